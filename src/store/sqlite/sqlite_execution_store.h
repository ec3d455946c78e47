#pragma once

// The compute node's durable ExecutionStore: one SQLite file (WAL), one row per execution holding
// its record (store/record_codec.h). Small and write-through: the node keeps its working set in
// memory and reads this only at start, to learn what an earlier life of the node left behind.

#include <memory>
#include <mutex>
#include <string>

#include "store/execution_store.h"

namespace cod::store {

namespace sqlite {
class Connection;
}

class SqliteExecutionStore final : public ExecutionStore {
 public:
  static Result<std::unique_ptr<SqliteExecutionStore>> open(const std::string& path);
  ~SqliteExecutionStore() override;

  Status put(const LocalExecution& execution) override;
  Result<LocalExecution> get(const std::string& id) override;
  Result<std::vector<LocalExecution>> list() override;
  Status remove(const std::string& id) override;

 private:
  explicit SqliteExecutionStore(std::unique_ptr<sqlite::Connection> conn);

  std::mutex mu_;
  std::unique_ptr<sqlite::Connection> conn_;
};

}  // namespace cod::store
