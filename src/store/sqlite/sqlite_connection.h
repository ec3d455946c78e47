#pragma once

// A thin RAII layer over one SQLite connection: prepared statements cached per connection, and
// SQLite result codes turned into Status values. Private to src/store/sqlite.
//
// Thread-safety: none. A Connection is used by one thread at a time (the store's writer mutex or a
// reader lease guarantees it), so it is opened in multi-thread mode (no SQLite mutex).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cod::store::sqlite {

class Connection;

// A cached prepared statement on loan: bind, step, read columns. Resets itself and clears its
// bindings when it goes out of scope, ready for the next user. Move-only.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, Connection* conn) : stmt_(stmt), conn_(conn) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based. Text is copied, so temporaries are fine.
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, uint64_t value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bindNull(int index);
  // Binds NULL for an empty string (names, which are unique only when set).
  Statement& bindTextOrNull(int index, std::string_view text);

  // True when a row is ready, false when the statement is done. A unique or primary-key
  // violation is AlreadyExists (with SQLite's message); busy/locked is Unavailable; other errors
  // are Internal.
  Result<bool> step();
  // Steps to completion, ignoring rows.
  Status run();

  int64_t columnInt(int index) const;
  uint64_t columnUint(int index) const { return static_cast<uint64_t>(columnInt(index)); }
  // Valid until the next step() or the end of the loan.
  std::string_view columnText(int index) const;
  bool columnIsNull(int index) const;

 private:
  sqlite3_stmt* stmt_;
  Connection* conn_;
};

class Connection {
 public:
  // Opens (read-only, or read-write creating the file) with extended result codes and the busy
  // timeout set.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, bool read_only,
                                                  int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The statement for `sql`, prepared on first use and cached for the connection's lifetime.
  // One loan per statement at a time.
  Result<Statement> prepare(std::string_view sql);
  // Runs `sql` (several statements allowed) without caching: for the schema and pragmas.
  Status exec(const char* sql);
  // Runs a cached single statement that returns no rows ("BEGIN IMMEDIATE", "COMMIT", …).
  Status run(std::string_view sql);

  // Makes `name(text)` a SQL function on this connection that returns `fn(text)`, for migrations
  // that rewrite a column in place (`UPDATE t SET json = name(json)`). A failure of `fn` fails
  // the statement with its message.
  using TextFunction = std::function<Result<std::string>(std::string_view)>;
  Status addTextFunction(const char* name, TextFunction fn);

  // Runs `body` inside BEGIN IMMEDIATE … COMMIT, or ROLLBACK when it (or the commit) fails: for
  // opening a file (schema, migrations), under the write lock.
  Status writeTransaction(const std::function<Status()>& body);
  // The file's PRAGMA user_version (0 for a new file).
  Result<int64_t> userVersion();

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;
  // True when no transaction is open.
  bool autocommit() const;
  // Pages this connection has written since it opened (to the WAL, in WAL mode).
  int64_t pagesWritten() const;

  // The Status for a failed call that returned `rc`, naming the SQL or the action.
  Status error(int rc, std::string_view context) const;

  const std::string& path() const { return path_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Lets the statement cache be searched with a string_view, without building a string.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
  };

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;
  // The functions of addTextFunction, which SQLite may call until the destructor closes it.
  std::vector<std::unique_ptr<TextFunction>> functions_;
};

}  // namespace cod::store::sqlite
