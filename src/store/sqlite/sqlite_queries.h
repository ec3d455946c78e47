#pragma once

// The SQLite store's reads and the schema they run against. Each read takes the connection to
// use: the writer's inside a transaction (so it sees the transaction's writes), a pooled
// read-only one otherwise. Private to src/store/sqlite.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/job_store.h"
#include "store/sqlite/sqlite_connection.h"

namespace cod::store::sqlite {

// Creates the tables and indexes of a new database, or checks the version of an existing one and
// migrates a version-1 file (records stored as the API's JSON).
// Runs on the writer connection, outside a transaction.
Status createSchema(Connection& conn);

// Model → the text stored in the `json` columns (store/record_codec.h).
std::string encode(const models::Job& job);
std::string encode(const models::Execution& execution);  // without the job snapshot
std::string encode(const models::Evaluation& eval);
std::string encode(const models::JobHistory& entry);
std::string encode(const models::NodeState& node);

// The job's stored revision, or NotFound.
Result<uint64_t> jobRevision(Connection& c, const std::string& id);
Result<uint64_t> executionRevision(Connection& c, const std::string& id);
// The ID of the job holding (ns, name), or NotFound.
Result<std::string> jobIdByName(Connection& c, const std::string& ns, const std::string& name);

Result<models::Job> getJob(Connection& c, const std::string& id);
Result<models::Job> getJobByName(Connection& c, const std::string& ns, const std::string& name);
Result<models::Job> getJobVersion(Connection& c, const std::string& id, uint64_t version);
Result<std::vector<models::Job>> getJobVersions(Connection& c, const std::string& id);
Result<models::Job> resolveJob(Connection& c, const std::string& id_or_name, const std::string& ns);
Result<JobList> listJobs(Connection& c, const JobQuery& q);
Result<models::Execution> getExecution(Connection& c, const std::string& id);
Result<std::vector<models::Execution>> getExecutions(Connection& c, const ExecutionQuery& q);
Result<std::vector<models::Execution>> getActiveExecutionsOnNode(Connection& c,
                                                                 const std::string& node_id);
Result<models::Evaluation> getEvaluation(Connection& c, const std::string& id);
Result<std::vector<models::Evaluation>> getPendingEvaluations(Connection& c);
// Retention's candidates (JobStore::listFinishedJobsBefore).
Result<std::vector<std::string>> listFinishedJobsBefore(Connection& c, Time before, size_t limit);
Result<HistoryPage> getHistory(Connection& c, const HistoryQuery& q);
Result<models::NodeState> getNode(Connection& c, const std::string& node_id);
Result<std::vector<models::NodeState>> listNodes(Connection& c);

}  // namespace cod::store::sqlite
