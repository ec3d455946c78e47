#include "store/sqlite/sqlite_queries.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/check.h"
#include "common/strings.h"
#include "models/json.h"
#include "store/query_rules.h"
#include "store/record_codec.h"

namespace cod::store::sqlite {

namespace {

// The tables' layout and the records' encoding (records::kRecordFormat) together.
constexpr int64_t kSchemaVersion = records::kRecordFormat;
static_assert(kSchemaVersion == 2, "a new version needs its migration in createSchema");

// Every model is stored in its record encoding (store/record_codec.h) in a `json` column; the other
// columns copy the fields that queries filter or sort on. Names are NULL when empty, so only set
// names are unique. A commit writes every B-tree page it touches to the WAL, so each index costs a
// page per write: tables with small rows keyed by text are WITHOUT ROWID (one B-tree instead of
// two), and there is no index on modify_time (it changes on every update; listing by it sorts
// (rowid, time) pairs). Evaluation IDs are time-ordered (several are written per job): their rows
// and their status index entries are appended, and retention removes old ones by an ID range.
// Foreign keys are not declared: every write would pay for the check, and the store's writes
// already reference only what they created.
constexpr const char* kSchema = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL,
  name TEXT,
  state INTEGER NOT NULL,
  type TEXT NOT NULL,
  create_time INTEGER NOT NULL,
  modify_time INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  version INTEGER NOT NULL,
  json TEXT NOT NULL,
  UNIQUE (namespace, name)
);
CREATE INDEX jobs_by_create_time ON jobs (create_time, id);
CREATE TABLE job_versions (
  job_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (job_id, version)
);
CREATE TABLE executions (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  job_version INTEGER NOT NULL,
  compute_state INTEGER NOT NULL,
  create_time INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX executions_by_job ON executions (job_id, create_time, id);
CREATE INDEX executions_by_node ON executions (node_id, compute_state);
CREATE TABLE evaluations (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  status TEXT NOT NULL,
  json TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX evaluations_by_status ON evaluations (status);
CREATE TABLE history (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  json TEXT NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 2;
)sql";

// A record in the current encoding (store/record_codec.h), or Internal from the JobStore.
template <typename T>
Result<T> decoded(Result<T> record) {
  if (!record.isOk()) return internal::storeError(std::move(record).error());
  return record;
}

Result<models::Job> decodeJob(std::string_view text) { return decoded(records::decodeJob(text)); }
Result<models::Execution> decodeExecution(std::string_view text) {
  return decoded(records::decodeExecution(text));
}
Result<models::Evaluation> decodeEvaluation(std::string_view text) {
  return decoded(records::decodeEvaluation(text));
}
Result<models::JobHistory> decodeHistory(std::string_view text) {
  return decoded(records::decodeHistory(text));
}
Result<models::NodeState> decodeNode(std::string_view text) {
  return decoded(records::decodeNode(text));
}

// Version 1 stored each record as its API JSON: a SQL function per kind turns that text into the
// current encoding, reading it with this release's API decoder (so a change to the API's JSON
// changes how a version-1 file is read; the migration is for the releases right after version 2).
template <typename T, typename Decoder>
Connection::TextFunction fromVersion1(const char* what, Decoder decoder) {
  return [what, decoder](std::string_view text) -> Result<std::string> {
    COD_ASSIGN_OR_RETURN(boost::json::value v,
                         models::parseJson(text, models::InvalidUtf8::kRepair));
    COD_ASSIGN_OR_RETURN(T record, decoder(v, models::DecodeOptions{.path = what}));
    return records::encode(record);
  };
}

// Rewrites every record of a version-1 file in the current encoding (inside createSchema's
// transaction, so a failure leaves the file as it was).
Status migrateFromVersion1(Connection& conn) {
  namespace m = models;
  COD_RETURN_IF_ERROR(conn.addTextFunction(
      "cod_v1_job", fromVersion1<m::Job>(
                        "Job", [](const auto& v, const auto& o) { return m::jobFromJson(v, o); })));
  COD_RETURN_IF_ERROR(conn.addTextFunction(
      "cod_v1_execution", fromVersion1<m::Execution>("Execution", [](const auto& v, const auto& o) {
        auto e = m::executionFromJson(v, o);
        if (e.isOk()) e->job = nullptr;
        return e;
      })));
  COD_RETURN_IF_ERROR(conn.addTextFunction(
      "cod_v1_evaluation",
      fromVersion1<m::Evaluation>(
          "Evaluation", [](const auto& v, const auto& o) { return m::evaluationFromJson(v, o); })));
  COD_RETURN_IF_ERROR(conn.addTextFunction(
      "cod_v1_history", fromVersion1<m::JobHistory>("JobHistory", [](const auto& v, const auto& o) {
        return m::jobHistoryFromJson(v, o);
      })));
  COD_RETURN_IF_ERROR(conn.addTextFunction(
      "cod_v1_node", fromVersion1<m::NodeState>("NodeState", [](const auto& v, const auto& o) {
        return m::nodeStateFromJson(v, o);
      })));
  COD_RETURN_IF_ERROR(conn.exec(R"sql(
UPDATE jobs SET json = cod_v1_job(json);
UPDATE job_versions SET json = cod_v1_job(json);
UPDATE executions SET json = cod_v1_execution(json);
UPDATE evaluations SET json = cod_v1_evaluation(json);
UPDATE history SET json = cod_v1_history(json);
UPDATE nodes SET json = cod_v1_node(json);
PRAGMA user_version = 2;
)sql"));
  // Said once, where an operator who upgraded will look.
  spdlog::info("{}: records rewritten from format 1 (the API's JSON) to format {}", conn.path(),
               records::kRecordFormat);
  return Status::ok();
}

// Runs a query with one text parameter and decodes the first column of every row.
template <typename T, typename Decode>
Result<std::vector<T>> decodeAll(Statement& stmt, Decode decode_row) {
  std::vector<T> out;
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return out;
    COD_ASSIGN_OR_RETURN(T item, decode_row(stmt.columnText(0)));
    out.push_back(std::move(item));
  }
}

// The job's latest version, or NotFound.
Result<uint64_t> jobVersion(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT version FROM jobs WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::jobNotFound(id);
  return stmt.columnUint(0);
}

const std::string& activeOnNodeSql() {
  static const std::string kSql = [] {
    std::vector<std::string> terminal;
    for (int i = 0; i <= static_cast<int>(models::ExecutionStateType::kCancelled); ++i) {
      if (models::isTerminal(static_cast<models::ExecutionStateType>(i))) {
        terminal.push_back(std::to_string(i));
      }
    }
    return "SELECT json FROM executions WHERE node_id = ?1 AND compute_state NOT IN (" +
           join(terminal, ", ") + ") ORDER BY create_time, id";
  }();
  return kSql;
}

}  // namespace

Status createSchema(Connection& conn) {
  // Inside the write lock, so that two processes opening a new file do not both create it.
  return conn.writeTransaction([&]() -> Status {
    COD_ASSIGN_OR_RETURN(int64_t version, conn.userVersion());
    if (version == kSchemaVersion) return Status::ok();
    if (version == 1) return migrateFromVersion1(conn);
    if (version != 0) {
      return internal::storeError(failedPrecondition(
          fmt::format("database {} has schema version {}; this cod understands version {}",
                      conn.path(), version, kSchemaVersion)));
    }
    return conn.exec(kSchema);
  });
}

std::string encode(const models::Job& job) { return records::encode(job); }
std::string encode(const models::Execution& execution) { return records::encode(execution); }
std::string encode(const models::Evaluation& eval) { return records::encode(eval); }
std::string encode(const models::JobHistory& entry) { return records::encode(entry); }
std::string encode(const models::NodeState& node) { return records::encode(node); }

Result<uint64_t> jobRevision(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT revision FROM jobs WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::jobNotFound(id);
  return stmt.columnUint(0);
}

Result<uint64_t> executionRevision(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT revision FROM executions WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::executionNotFound(id);
  return stmt.columnUint(0);
}

Result<std::string> jobIdByName(Connection& c, const std::string& ns, const std::string& name) {
  if (name.empty()) return internal::jobNotFound(name);
  COD_ASSIGN_OR_RETURN(Statement stmt,
                       c.prepare("SELECT id FROM jobs WHERE namespace = ?1 AND name = ?2"));
  stmt.bind(1, ns).bind(2, name);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::jobNotFound(name);
  return std::string(stmt.columnText(0));
}

Result<models::Job> getJob(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT json FROM jobs WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::jobNotFound(id);
  return decodeJob(stmt.columnText(0));
}

Result<models::Job> getJobByName(Connection& c, const std::string& ns, const std::string& name) {
  if (name.empty()) return internal::jobNotFound(name);
  COD_ASSIGN_OR_RETURN(Statement stmt,
                       c.prepare("SELECT json FROM jobs WHERE namespace = ?1 AND name = ?2"));
  stmt.bind(1, internal::nameNamespace(ns)).bind(2, name);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::jobNotFound(name);
  return decodeJob(stmt.columnText(0));
}

Result<models::Job> getJobVersion(Connection& c, const std::string& id, uint64_t version) {
  COD_ASSIGN_OR_RETURN(
      Statement stmt,
      c.prepare("SELECT json FROM job_versions WHERE job_id = ?1 AND version = ?2"));
  stmt.bind(1, id).bind(2, version);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (row) return decodeJob(stmt.columnText(0));
  COD_RETURN_IF_ERROR(jobVersion(c, id));  // NotFound for the job itself
  return internal::jobVersionNotFound(id, version);
}

Result<std::vector<models::Job>> getJobVersions(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(
      Statement stmt,
      c.prepare("SELECT json FROM job_versions WHERE job_id = ?1 ORDER BY version"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(auto versions, decodeAll<models::Job>(stmt, decodeJob));
  if (versions.empty()) return internal::jobNotFound(id);
  return versions;
}

Result<models::Job> resolveJob(Connection& c, const std::string& id_or_name,
                               const std::string& ns) {
  if (id_or_name.empty()) {
    return internal::storeError(invalidArgument("job ID or name is empty"));
  }
  auto by_id = getJob(c, id_or_name);
  if (by_id.isOk() || by_id.error().code() != StatusCode::kNotFound) return by_id;
  auto by_name = getJobByName(c, ns, id_or_name);
  if (by_name.isOk() || by_name.error().code() != StatusCode::kNotFound) return by_name;

  std::string upper = internal::prefixUpperBound(id_or_name);
  COD_ASSIGN_OR_RETURN(
      Statement stmt,
      c.prepare(upper.empty()
                    ? "SELECT id, namespace FROM jobs WHERE id >= ?1 ORDER BY id"
                    : "SELECT id, namespace FROM jobs WHERE id >= ?1 AND id < ?2 ORDER BY id"));
  stmt.bind(1, id_or_name);
  if (!upper.empty()) stmt.bind(2, upper);
  std::vector<std::string> ids;
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    if (internal::isAllNamespaces(ns) || stmt.columnText(1) == ns) {
      ids.emplace_back(stmt.columnText(0));
    }
  }
  if (ids.empty()) return internal::jobNotFound(id_or_name);
  if (ids.size() > 1) return internal::ambiguousJobPrefix(id_or_name, ids);
  return getJob(c, ids.front());
}

Result<JobList> listJobs(Connection& c, const JobQuery& q) {
  COD_ASSIGN_OR_RETURN(internal::JobOrder order, internal::parseJobOrder(q.order_by));
  // By create time an index gives the order (and a cursor's start) and the JSON comes with each
  // row. By modify time (no index) SQLite sorts small (rowid, time) rows and the JSON is read only
  // for rows used. States are filtered here, before any row is decoded.
  bool by_create = order == internal::JobOrder::kCreateTime;
  const char* time_column = by_create ? "create_time" : "modify_time";
  const char* direction = q.reverse ? "DESC" : "ASC";
  std::vector<std::string> where;
  bool all_ns = internal::isAllNamespaces(q.ns);
  if (!all_ns) where.emplace_back("namespace = ?1");
  if (!q.states.empty()) {
    std::vector<std::string> states;
    for (auto state : q.states) states.push_back(std::to_string(static_cast<int>(state)));
    where.push_back("state IN (" + join(states, ", ") + ")");
  }
  if (q.after.has_value()) {
    where.push_back(fmt::format("({}, id) {} (?2, ?3)", time_column, q.reverse ? "<" : ">"));
  }
  std::string sql = fmt::format("SELECT {} FROM jobs {}{} ORDER BY {} {}, id {}",
                                by_create ? "json" : "rowid", where.empty() ? "" : "WHERE ",
                                join(where, " AND "), time_column, direction, direction);
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare(sql));
  if (!all_ns) stmt.bind(1, q.ns);
  if (q.after.has_value()) stmt.bind(2, q.after->time).bind(3, q.after->id);

  // Rows are decoded only when the selector needs their labels or the page keeps them.
  internal::Pager<models::Job> pager(q.offset, q.limit);
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    if (!q.selector.has_value() && !pager.keepsNext()) {
      if (!pager.add(models::Job())) break;
      continue;
    }
    Result<models::Job> job = models::Job();
    if (by_create) {
      job = decodeJob(stmt.columnText(0));
    } else {
      COD_ASSIGN_OR_RETURN(Statement fetch, c.prepare("SELECT json FROM jobs WHERE rowid = ?1"));
      fetch.bind(1, stmt.columnInt(0));
      COD_ASSIGN_OR_RETURN(bool found, fetch.step());
      COD_CHECK(found) << "a job row vanished inside a read transaction";
      job = decodeJob(fetch.columnText(0));
    }
    COD_RETURN_IF_ERROR(job);
    if (internal::jobMatches(q, *job) && !pager.add(std::move(job).value())) break;
  }
  JobList list;
  list.has_more = pager.hasMore();
  list.items = std::move(pager).take();
  return list;
}

Result<models::Execution> getExecution(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT json FROM executions WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::executionNotFound(id);
  return decodeExecution(stmt.columnText(0));
}

Result<std::vector<models::Execution>> getExecutions(Connection& c, const ExecutionQuery& q) {
  COD_ASSIGN_OR_RETURN(uint64_t latest, jobVersion(c, q.job_id));
  uint64_t version = internal::wantedVersion(q.job_version, q.all_versions, latest);
  COD_ASSIGN_OR_RETURN(
      Statement stmt,
      c.prepare(version == 0 ? "SELECT json FROM executions WHERE job_id = ?1 "
                               "ORDER BY create_time, id"
                             : "SELECT json FROM executions WHERE job_id = ?1 AND job_version = ?2 "
                               "ORDER BY create_time, id"));
  stmt.bind(1, q.job_id);
  if (version != 0) stmt.bind(2, version);
  return decodeAll<models::Execution>(stmt, decodeExecution);
}

Result<std::vector<models::Execution>> getActiveExecutionsOnNode(Connection& c,
                                                                 const std::string& node_id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare(activeOnNodeSql()));
  stmt.bind(1, node_id);
  return decodeAll<models::Execution>(stmt, decodeExecution);
}

Result<models::Evaluation> getEvaluation(Connection& c, const std::string& id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT json FROM evaluations WHERE id = ?1"));
  stmt.bind(1, id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::evaluationNotFound(id);
  return decodeEvaluation(stmt.columnText(0));
}

Result<std::vector<models::Evaluation>> getPendingEvaluations(Connection& c) {
  COD_ASSIGN_OR_RETURN(Statement stmt,
                       c.prepare("SELECT json FROM evaluations WHERE status = ?1 ORDER BY id"));
  stmt.bind(1, std::string_view(models::kEvalStatusPending));
  return decodeAll<models::Evaluation>(stmt, decodeEvaluation);
}

Result<std::vector<std::string>> listFinishedJobsBefore(Connection& c, Time before, size_t limit) {
  COD_ASSIGN_OR_RETURN(Statement stmt,
                       c.prepare("SELECT id FROM jobs WHERE state IN (?1, ?2, ?3) AND "
                                 "modify_time < ?4 LIMIT ?5"));
  stmt.bind(1, static_cast<int>(models::JobStateType::kCompleted))
      .bind(2, static_cast<int>(models::JobStateType::kFailed))
      .bind(3, static_cast<int>(models::JobStateType::kStopped))
      .bind(4, toUnixNanos(before))
      .bind(5, static_cast<uint64_t>(limit));
  std::vector<std::string> ids;
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    ids.emplace_back(stmt.columnText(0));
  }
  return ids;
}

Result<HistoryPage> getHistory(Connection& c, const HistoryQuery& q) {
  COD_ASSIGN_OR_RETURN(uint64_t latest, jobVersion(c, q.job_id));
  uint64_t version = internal::wantedVersion(q.job_version, q.all_versions, latest);
  COD_ASSIGN_OR_RETURN(
      Statement stmt,
      c.prepare("SELECT seq, json FROM history WHERE job_id = ?1 AND seq >= ?2 ORDER BY seq"));
  stmt.bind(1, q.job_id).bind(2, q.offset);
  internal::HistoryPager pager(q);
  while (true) {
    COD_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    COD_ASSIGN_OR_RETURN(models::JobHistory item, decodeHistory(stmt.columnText(1)));
    item.seq_num = stmt.columnUint(0);
    if (internal::historyMatches(q, version, item) && !pager.add(std::move(item))) break;
  }
  return std::move(pager).finish();
}

Result<models::NodeState> getNode(Connection& c, const std::string& node_id) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT json FROM nodes WHERE id = ?1"));
  stmt.bind(1, node_id);
  COD_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return internal::nodeNotFound(node_id);
  return decodeNode(stmt.columnText(0));
}

Result<std::vector<models::NodeState>> listNodes(Connection& c) {
  COD_ASSIGN_OR_RETURN(Statement stmt, c.prepare("SELECT json FROM nodes ORDER BY id"));
  return decodeAll<models::NodeState>(stmt, decodeNode);
}

}  // namespace cod::store::sqlite
