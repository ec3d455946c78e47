#pragma once

// The stored form of records (DESIGN §5): what the orchestrator's SQLite store and a compute
// node's execution store write. It is compact JSON text with names of its own ("namespace",
// "tasks", "compute_state"), written from the field tables in record_codec.cc. It is neither the
// API's JSON (models/json.h) nor the NATS payloads, so a change to either never changes what is
// stored.
//
// Format version kRecordFormat, kept in each database's `PRAGMA user_version`. Within a version a
// field may be added: a field at its default value is left out, a missing one reads as its
// default, and an unknown one is ignored. Anything else (a field renamed, retyped or given a new
// meaning) is a new version with a migration: the stores rewrite their rows when they open a file
// of an older version. testdata/records-v2/ holds one record of each kind as version 2 writes it;
// record_codec_test checks that they read back the same and are written as the same JSON value.
// In free-form params (engine, publisher, source) a whole number reads back as an integer, as the
// text form writes it, and a number past a double's range is refused.
//
// Decoding errors are Internal, naming the record and the field ("stored Job is unreadable at
// tasks[0].engine.type: expected a string"): the file holds something cod did not write.

#include <string>
#include <string_view>

#include "common/status.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"
#include "models/node.h"
#include "store/execution_store.h"

namespace cod::store::records {

// Version 1 stored the API's JSON; version 2 is this encoding.
inline constexpr int kRecordFormat = 2;

std::string encode(const models::Job& job);
// Without the job snapshot (the job store keeps jobs apart).
std::string encode(const models::Execution& execution);
std::string encode(const models::Evaluation& eval);
std::string encode(const models::JobHistory& entry);
std::string encode(const models::NodeState& node);
// With the execution's job snapshot, which a compute node needs after a restart.
std::string encode(const LocalExecution& execution);

Result<models::Job> decodeJob(std::string_view text);
Result<models::Execution> decodeExecution(std::string_view text);
Result<models::Evaluation> decodeEvaluation(std::string_view text);
Result<models::JobHistory> decodeHistory(std::string_view text);
Result<models::NodeState> decodeNode(std::string_view text);
Result<LocalExecution> decodeLocalExecution(std::string_view text);

}  // namespace cod::store::records
