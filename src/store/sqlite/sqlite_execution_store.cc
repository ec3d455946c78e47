#include "store/sqlite/sqlite_execution_store.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "models/json.h"
#include "store/record_codec.h"
#include "store/sqlite/sqlite_connection.h"

namespace cod::store {

namespace bj = boost::json;

namespace {

// Before the record encoding (store/record_codec.h), rows held the API's JSON of the execution
// with its job, beside the node's own fields; this reads that form, with this release's decoders.
Result<LocalExecution> decodeVersion1(std::string_view text) {
  COD_ASSIGN_OR_RETURN(bj::value v, models::parseJson(text, models::InvalidUtf8::kRepair));
  if (!v.is_object()) return internalError("stored execution is not a JSON object");
  const auto& o = v.as_object();
  auto str = [&](std::string_view k) {
    const auto* x = models::findKey(o, k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  LocalExecution e;
  const auto* ex = models::findKey(o, "Execution");
  if (!ex) return internalError("stored execution without Execution");
  models::DecodeOptions opts;
  opts.path = "Execution";
  COD_ASSIGN_OR_RETURN(e.execution, models::executionFromJson(*ex, opts));
  if (const auto* r = models::findKey(o, "Resources")) {
    COD_ASSIGN_OR_RETURN(e.resources, models::resourcesFromJson(*r));
  }
  if (const auto* r = models::findKey(o, "Result")) {
    COD_ASSIGN_OR_RETURN(e.result, models::runCommandResultFromJson(*r));
  }
  if (const auto* r = models::findKey(o, "PublishedResult")) {
    COD_ASSIGN_OR_RETURN(e.published_result, models::specConfigFromJson(*r));
  }
  e.bid_reason = str("BidReason");
  e.error = str("Error");
  e.error_code = str("ErrorCode");
  e.hint = str("Hint");
  if (const auto* r = models::findKey(o, "Retryable"); r && r->is_bool())
    e.retryable = r->as_bool();
  if (const auto* u = models::findKey(o, "Updated"); u && u->is_number()) {
    e.updated = fromUnixNanos(models::exactInt64(*u).value_or(0));
  }
  return e;
}

// Creates the table, or checks the file's version and moves a version-1 file's rows, in the
// current encoding, to the table of this version; one transaction, so a failure leaves the file as
// it was. The table has a new name, `local_executions`: a cod from before the format would
// otherwise misread these rows (it ignores the version, and matches names loosely) where now it
// finds none.
Status prepareSchema(sqlite::Connection& conn) {
  static_assert(records::kRecordFormat == 2, "a new format needs its migration here");
  return conn.writeTransaction([&]() -> Status {
    COD_ASSIGN_OR_RETURN(int64_t version, conn.userVersion());
    if (version == records::kRecordFormat) return Status::ok();
    if (version != 0) {
      return failedPrecondition(
          fmt::format("execution store {} has format version {}; this cod understands version {}",
                      conn.path(), version, records::kRecordFormat));
    }
    // Version 0: a new file, or one of a cod that stored version-1 rows without saying so.
    COD_RETURN_IF_ERROR(conn.addTextFunction(
        "cod_v1_local_execution", [](std::string_view text) -> Result<std::string> {
          COD_ASSIGN_OR_RETURN(LocalExecution e, decodeVersion1(text));
          return records::encode(e);
        }));
    COD_ASSIGN_OR_RETURN(
        auto count,
        conn.prepare(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'executions'"));
    COD_ASSIGN_OR_RETURN(bool counted, count.step());
    bool had_old_table = counted && count.columnInt(0) > 0;
    COD_RETURN_IF_ERROR(count.run());
    COD_RETURN_IF_ERROR(conn.exec(
        "CREATE TABLE IF NOT EXISTS executions (id TEXT PRIMARY KEY, json TEXT NOT NULL);"
        "CREATE TABLE local_executions (id TEXT PRIMARY KEY, json TEXT NOT NULL);"
        "INSERT INTO local_executions SELECT id, cod_v1_local_execution(json) FROM executions;"
        "DROP TABLE executions;"
        "PRAGMA user_version = 2;"));
    if (had_old_table) {
      spdlog::info("{}: executions rewritten to record format {}", conn.path(),
                   records::kRecordFormat);
    }
    return Status::ok();
  });
}

}  // namespace

SqliteExecutionStore::SqliteExecutionStore(std::unique_ptr<sqlite::Connection> conn)
    : conn_(std::move(conn)) {}

SqliteExecutionStore::~SqliteExecutionStore() = default;

Result<std::unique_ptr<SqliteExecutionStore>> SqliteExecutionStore::open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return internalError("cannot create the folder of " + path + ": " + ec.message());
  COD_ASSIGN_OR_RETURN(auto conn, sqlite::Connection::open(path, false, 5000));
  COD_RETURN_IF_ERROR(conn->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  COD_RETURN_IF_ERROR(prepareSchema(*conn));
  return std::unique_ptr<SqliteExecutionStore>(new SqliteExecutionStore(std::move(conn)));
}

Status SqliteExecutionStore::put(const LocalExecution& execution) {
  std::string json = records::encode(execution);
  std::lock_guard lock(mu_);
  COD_ASSIGN_OR_RETURN(auto stmt,
                       conn_->prepare("INSERT INTO local_executions (id, json) VALUES (?1, ?2) "
                                      "ON CONFLICT(id) DO UPDATE SET json = excluded.json"));
  return stmt.bind(1, execution.id()).bind(2, json).run();
}

Result<LocalExecution> SqliteExecutionStore::get(const std::string& id) {
  std::string json;
  {
    std::lock_guard lock(mu_);
    COD_ASSIGN_OR_RETURN(auto stmt,
                         conn_->prepare("SELECT json FROM local_executions WHERE id = ?1"));
    stmt.bind(1, id);
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return notFound("execution not found: " + id);
    json = std::string(stmt.columnText(0));
  }
  return records::decodeLocalExecution(json);
}

Result<std::vector<LocalExecution>> SqliteExecutionStore::list() {
  std::vector<std::string> rows;
  {
    std::lock_guard lock(mu_);
    COD_ASSIGN_OR_RETURN(auto stmt,
                         conn_->prepare("SELECT json FROM local_executions ORDER BY id"));
    while (true) {
      COD_ASSIGN_OR_RETURN(bool row, stmt.step());
      if (!row) break;
      rows.emplace_back(stmt.columnText(0));
    }
  }
  std::vector<LocalExecution> out;
  for (const auto& json : rows) {
    auto e = records::decodeLocalExecution(json);
    if (!e.isOk()) return std::move(e).error().prepend("reading the execution store");
    out.push_back(std::move(e).value());
  }
  return out;
}

Status SqliteExecutionStore::remove(const std::string& id) {
  std::lock_guard lock(mu_);
  COD_ASSIGN_OR_RETURN(auto stmt, conn_->prepare("DELETE FROM local_executions WHERE id = ?1"));
  COD_RETURN_IF_ERROR(stmt.bind(1, id).run());
  if (conn_->changes() == 0) return notFound("execution not found: " + id);
  return Status::ok();
}

}  // namespace cod::store
