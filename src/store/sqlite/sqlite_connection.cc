#include "store/sqlite/sqlite_connection.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include <fmt/format.h>

#include "common/check.h"
#include "store/query_rules.h"

namespace cod::store::sqlite {

namespace {
// Messages quote at most this much SQL.
constexpr size_t kMaxQuotedSql = 80;

std::string quoteSql(std::string_view sql) {
  if (sql.size() <= kMaxQuotedSql) return std::string(sql);
  return std::string(sql.substr(0, kMaxQuotedSql)) + "…";
}
}  // namespace

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), conn_(other.conn_) {}

Statement& Statement::bind(int index, std::string_view text) {
  // Binding errors (index out of range, too big) are bugs in this file's SQL.
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  COD_CHECK(rc == SQLITE_OK) << "sqlite3_bind_text64: " << sqlite3_errstr(rc);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  COD_CHECK(rc == SQLITE_OK) << "sqlite3_bind_int64: " << sqlite3_errstr(rc);
  return *this;
}

Statement& Statement::bindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  COD_CHECK(rc == SQLITE_OK) << "sqlite3_bind_null: " << sqlite3_errstr(rc);
  return *this;
}

Statement& Statement::bindTextOrNull(int index, std::string_view text) {
  return text.empty() ? bindNull(index) : bind(index, text);
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->error(rc, sqlite3_sql(stmt_));
}

Status Statement::run() {
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return Status::ok();
  }
}

int64_t Statement::columnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string_view Statement::columnText(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return {text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, bool read_only,
                                                     int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX |
              (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // The Connection owns the handle from here on, even when opening failed.
  std::unique_ptr<Connection> conn(new Connection(db, path));
  if (rc != SQLITE_OK) {
    return conn->error(rc, fmt::format("opening {}", path))
        .withHint("check that the data directory exists and is writable");
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  if (!read_only && path != ":memory:" && !path.empty()) {
    // Jobs hold their specs' secrets (environment values, credentials in params): owner only.
    // SQLite gives the -wal and -shm files it creates later the database file's mode.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::string file = path + suffix;
      if (::chmod(file.c_str(), S_IRUSR | S_IWUSR) != 0 && errno != ENOENT) {
        return internalError(
            fmt::format("cannot make {} private (chmod 0600): {}", file, std::strerror(errno)));
      }
    }
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, sql);
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(it->second, this);
}

Status Connection::addTextFunction(const char* name, TextFunction fn) {
  auto call = [](sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    const auto& f = *static_cast<const TextFunction*>(sqlite3_user_data(ctx));
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    try {  // nothing may unwind through SQLite's C frames
      auto out = f(std::string_view(text != nullptr ? text : "",
                                    static_cast<size_t>(sqlite3_value_bytes(argv[0]))));
      if (out.isOk()) {
        sqlite3_result_text64(ctx, out->data(), out->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        sqlite3_result_error(ctx, out.error().message().c_str(), -1);
      }
    } catch (const std::bad_alloc&) {
      sqlite3_result_error_nomem(ctx);
    } catch (const std::exception& e) {
      sqlite3_result_error(ctx, e.what(), -1);
    }
  };
  functions_.push_back(std::make_unique<TextFunction>(std::move(fn)));
  int rc = sqlite3_create_function_v2(db_, name, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      functions_.back().get(), call, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, name);
  return Status::ok();
}

Status Connection::writeTransaction(const std::function<Status()>& body) {
  COD_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (s.isOk()) s = exec("COMMIT");
  if (!s.isOk()) (void)exec("ROLLBACK");
  return s;
}

Result<int64_t> Connection::userVersion() {
  COD_ASSIGN_OR_RETURN(Statement stmt, prepare("PRAGMA user_version"));
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  int64_t version = row ? stmt.columnInt(0) : 0;
  COD_RETURN_IF_ERROR(stmt.run());
  return version;
}

Status Connection::exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, sql);
  return Status::ok();
}

Status Connection::run(std::string_view sql) {
  COD_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  return stmt.run();
}

int64_t Connection::changes() const { return sqlite3_changes64(db_); }

bool Connection::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

int64_t Connection::pagesWritten() const {
  int current = 0, highwater = 0;
  if (sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highwater, 0) != SQLITE_OK) {
    return 0;
  }
  return current;
}

Status Connection::error(int rc, std::string_view context) const {
  const char* detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  std::string message =
      fmt::format("SQLite error in {}: {} ({})", quoteSql(context), detail, sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return internal::storeError(unavailable(
          fmt::format("database {} is busy: another process holds its lock ({})", path_, detail)));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return internal::storeError(alreadyExists(std::move(message)));
      }
      break;
    case SQLITE_FULL:
      return internal::storeError(resourceExhausted(std::move(message)))
          .withHint("free some disk space");
    default: break;
  }
  return internal::storeError(internalError(std::move(message)));
}

}  // namespace cod::store::sqlite
