// /api/v1/orchestrator/jobs… (reference/bacalhau-api.md §2 rows 1–9, §2.1–§2.9).

#include <algorithm>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/endpoints/endpoints.h"
#include "api/endpoints/paging.h"
#include "api/middleware.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/label_selector.h"
#include "orchestrator/job_service.h"
#include "store/job_store.h"

namespace cod::api::endpoints {

namespace {

namespace json = boost::json;

constexpr uint64_t kDefaultHistoryLimit = 100;
constexpr const char* kMetaClientInstallationId = "bacalhau.org/client.installation.id";
constexpr const char* kMetaClientInstanceId = "bacalhau.org/client.instance.id";

json::value warningsJson(const std::vector<std::string>& warnings) {
  if (warnings.empty()) return nullptr;  // Go's nil slice
  json::array out;
  for (const std::string& w : warnings) out.emplace_back(w);
  return out;
}

// An execution as the API shows it: without the embedded job snapshot (clients must not rely on
// it, and it would repeat the whole spec per execution).
json::value executionJson(models::Execution e) {
  e.job = nullptr;
  return models::toJson(e);
}

// Reads {"Job":…} (and "Force") from a submit or diff body.
struct JobBody {
  models::Job job;
  bool force = false;
};

Result<JobBody> parseJobBody(const HttpRequest& req) {
  COD_ASSIGN_OR_RETURN(json::object body, bodyObject(req, /*allow_empty=*/false));
  const json::value* job = models::findKey(body, "Job");
  if (job == nullptr || job->is_null()) {
    return invalidArgument(
        "missing Job: the request body must be {\"Job\": {…}, \"Force\": false}");
  }
  JobBody out;
  COD_RETURN_IF_ERROR(optionalBool(body, "Force", &out.force));
  COD_ASSIGN_OR_RETURN(out.job, models::jobFromJson(*job));
  return out;
}

class JobRoutes {
 public:
  explicit JobRoutes(const ApiDeps& deps) : deps_(deps) {}

  Result<HttpResponse> submit(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(JobBody body, parseJobBody(req));
    orchestrator::SubmitJobRequest sreq;
    sreq.job = std::move(body.job);
    sreq.force = body.force;
    if (std::string id = req.headers.get("X-Bacalhau-InstallationID"); !id.empty()) {
      sreq.client_meta[kMetaClientInstallationId] = id;
    }
    if (std::string id = req.headers.get("X-Bacalhau-InstanceID"); !id.empty()) {
      sreq.client_meta[kMetaClientInstanceId] = id;
    }
    COD_ASSIGN_OR_RETURN(orchestrator::SubmitJobResponse res, deps_.jobs->submit(std::move(sreq)));
    json::object out;
    out["JobID"] = res.job_id;
    out["EvaluationID"] = res.evaluation_id;
    out["Warnings"] = warningsJson(res.warnings);
    return jsonOk(out);
  }

  Result<HttpResponse> diff(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(JobBody body, parseJobBody(req));
    COD_ASSIGN_OR_RETURN(orchestrator::DiffJobResponse res, deps_.jobs->diff(std::move(body.job)));
    json::object out;
    out["Diff"] = res.diff;
    out["Warnings"] = warningsJson(res.warnings);
    return jsonOk(out);
  }

  Result<HttpResponse> list(const HttpRequest& req) const {
    store::JobQuery q;
    q.ns = namespaceOf(req);
    COD_ASSIGN_OR_RETURN(PageToken page, pageRequest(req));
    q.order_by = page.order_by;
    q.reverse = page.reverse;
    q.limit = pageLimit(page.limit, kMaxJobsPerPage);
    q.offset = page.offset;
    std::vector<std::string> selectors = req.queryValues("labels");
    if (!selectors.empty()) {
      Result<models::LabelSelector> selector = models::LabelSelector::parseAll(selectors);
      if (!selector.isOk()) {
        return invalidArgument("labels: " + selector.error().message())
            .withHint("use Kubernetes selector syntax: key=value, key!=value, key in (a,b), !key");
      }
      q.selector = std::move(selector).value();
    }
    COD_ASSIGN_OR_RETURN(store::JobList jobs, deps_.store->listJobs(q));
    json::array items;
    for (const models::Job& job : jobs.items) items.push_back(models::toJson(job));
    json::object out;
    std::string next;
    if (jobs.has_more) {
      next = encodePageToken({q.order_by, q.reverse, q.limit, q.offset + jobs.items.size()});
    }
    out["NextToken"] = next;
    out["Items"] = std::move(items);
    return jsonOk(out);
  }

  Result<HttpResponse> get(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::Job job, resolve(req));
    std::string job_id = job.id;
    COD_ASSIGN_OR_RETURN(uint64_t version, queryUint(req, "job_version"));
    if (version > 0 && version != job.version) {
      COD_ASSIGN_OR_RETURN(job, deps_.store->getJobVersion(job_id, version));
    }
    std::set<std::string> include;
    for (const std::string& part : split(req.queryValue("include"), ',')) {
      std::string name = toLower(trim(part));
      if (!name.empty()) include.insert(name);
    }
    json::object out;
    out["Job"] = models::toJson(job);
    if (include.count("history")) {
      store::HistoryQuery hq;
      hq.job_id = job_id;
      hq.limit = kDefaultHistoryLimit;
      COD_ASSIGN_OR_RETURN(store::HistoryPage page, deps_.store->getHistory(hq));
      json::array items;
      for (const models::JobHistory& h : page.items) items.push_back(models::toJson(h));
      out["History"] = json::object{{"NextToken", ""}, {"Items", std::move(items)}};
    }
    if (include.count("executions")) {
      store::ExecutionQuery eq;
      eq.job_id = job_id;
      eq.job_version = version;
      COD_ASSIGN_OR_RETURN(std::vector<models::Execution> executions,
                           deps_.store->getExecutions(eq));
      json::array items;
      for (models::Execution& e : executions) items.push_back(executionJson(std::move(e)));
      out["Executions"] = json::object{{"NextToken", ""}, {"Items", std::move(items)}};
    }
    return jsonOk(out);
  }

  Result<HttpResponse> stop(const HttpRequest& req) const {
    // Bacalhau reads the reason only from the body; the web UI and Python send it as a query
    // parameter, so both are accepted (the body wins).
    COD_ASSIGN_OR_RETURN(json::object body, bodyObject(req, /*allow_empty=*/true));
    std::string reason;
    COD_RETURN_IF_ERROR(optionalString(body, "reason", &reason));
    if (reason.empty()) reason = req.queryValue("reason");
    COD_ASSIGN_OR_RETURN(std::string eval_id,
                         deps_.jobs->stop(req.pathParam("id"), namespaceOf(req), reason));
    return jsonOk(json::object{{"EvaluationID", eval_id}});
  }

  Result<HttpResponse> rerun(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(json::object body, bodyObject(req, /*allow_empty=*/true));
    uint64_t version = 0;
    std::string reason;
    COD_RETURN_IF_ERROR(optionalUint(body, "JobVersion", &version));
    COD_RETURN_IF_ERROR(optionalString(body, "Reason", &reason));
    COD_ASSIGN_OR_RETURN(orchestrator::RerunJobResponse res,
                         deps_.jobs->rerun(req.pathParam("id"), namespaceOf(req), version, reason));
    json::object out;
    out["EvaluationID"] = res.evaluation_id;
    out["JobID"] = res.job_id;
    out["JobVersion"] = res.job_version;
    out["Warnings"] = warningsJson(res.warnings);
    return jsonOk(out);
  }

  Result<HttpResponse> history(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::Job job, resolve(req));
    store::HistoryQuery q;
    q.job_id = job.id;
    std::string event_type = toLower(req.queryValue("event_type"));
    if (event_type.empty() || event_type == "all") {
      q.event_type = store::HistoryEventType::kAll;
    } else if (event_type == "job") {
      q.event_type = store::HistoryEventType::kJob;
    } else if (event_type == "execution") {
      q.event_type = store::HistoryEventType::kExecution;
    } else {
      return invalidArgument("event_type: '" + req.queryValue("event_type") +
                             "' is not one of all, job, execution");
    }
    COD_ASSIGN_OR_RETURN(uint64_t since, queryUint(req, "since"));
    if (since > static_cast<uint64_t>(INT64_MAX / 1000000000)) {
      return invalidArgument("since: " + std::to_string(since) + " is out of range");
    }
    if (since > 0) q.since = fromUnixNanos(static_cast<int64_t>(since) * 1000000000);
    q.execution_id_prefix = req.queryValue("execution_id");
    COD_ASSIGN_OR_RETURN(q.job_version, queryUint(req, "job_version"));
    COD_ASSIGN_OR_RETURN(q.all_versions, queryBool(req, "all_job_versions"));
    COD_ASSIGN_OR_RETURN(q.limit, queryUint(req, "limit", kDefaultHistoryLimit));
    if (q.limit == 0) q.limit = kDefaultHistoryLimit;
    std::string token_text = req.queryValue("next_token");
    if (!token_text.empty()) {
      COD_ASSIGN_OR_RETURN(PageToken token, decodePageToken(token_text));
      if (token.limit > 0) q.limit = token.limit;
      q.offset = token.offset;
    }

    // Whether the watched object is terminal is read before the history, so that every event
    // written before it became terminal is in this page or a later one.
    COD_ASSIGN_OR_RETURN(bool terminal, watchedObjectTerminal(job, q.execution_id_prefix));
    COD_ASSIGN_OR_RETURN(store::HistoryPage page, deps_.store->getHistory(q));

    bool legacy = legacyHistoryClient(req);
    json::array items;
    for (const models::JobHistory& h : page.items) {
      json::value item = models::toJson(h);
      if (legacy && item.is_object()) {
        item.as_object()["JobState"] = json::object();
        item.as_object()["ExecutionState"] = json::object();
      }
      items.push_back(std::move(item));
    }
    // The CLI's wait loop polls until NextToken is "": keep it until the job (or execution) is
    // terminal and everything has been read; with nothing new, repeat the same offset.
    std::string next;
    if (page.has_more || !terminal) {
      next = encodePageToken({"", false, q.limit, std::max(page.next_offset, q.offset)});
    }
    json::object out;
    out["NextToken"] = next;
    out["Items"] = std::move(items);
    return jsonOk(out);
  }

  Result<HttpResponse> executions(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::Job job, resolve(req));
    store::ExecutionQuery q;
    q.job_id = job.id;
    COD_ASSIGN_OR_RETURN(q.job_version, queryUint(req, "job_version"));
    COD_ASSIGN_OR_RETURN(q.all_versions, queryBool(req, "all_job_versions"));
    // order_by: created_at/create_time (default) or modified_at/modify_time; like Bacalhau,
    // another value is not an error (the Python client always sends one) and keeps the default.
    COD_ASSIGN_OR_RETURN(PageToken page, pageRequest(req));
    const std::string& order_by = page.order_by;
    const bool reverse = page.reverse;
    const uint64_t offset = page.offset;
    const uint64_t limit = pageLimit(page.limit, kMaxExecutionsPerPage);
    COD_ASSIGN_OR_RETURN(std::vector<models::Execution> executions, deps_.store->getExecutions(q));
    bool by_modify = order_by == "modified_at" || order_by == "modify_time";
    std::stable_sort(executions.begin(), executions.end(),
                     [by_modify](const models::Execution& a, const models::Execution& b) {
                       int64_t ta = by_modify ? a.modify_time : a.create_time;
                       int64_t tb = by_modify ? b.modify_time : b.create_time;
                       return ta != tb ? ta < tb : a.id < b.id;
                     });
    if (reverse) std::reverse(executions.begin(), executions.end());
    std::string next;
    if (offset > 0) {
      executions.erase(executions.begin(),
                       executions.begin() + static_cast<std::ptrdiff_t>(
                                                std::min<uint64_t>(offset, executions.size())));
    }
    if (executions.size() > limit) {
      executions.resize(limit);
      next = encodePageToken(PageToken{order_by, reverse, page.limit, offset + limit});
    }
    json::array items;
    for (models::Execution& e : executions) items.push_back(executionJson(std::move(e)));
    return jsonOk(json::object{{"NextToken", next}, {"Items", std::move(items)}});
  }

  Result<HttpResponse> versions(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::Job job, resolve(req));
    COD_ASSIGN_OR_RETURN(std::vector<models::Job> versions, deps_.store->getJobVersions(job.id));
    json::array items;
    // A version is stored as it was submitted; the latest one is the job, with its state now.
    for (const models::Job& v : versions) {
      items.push_back(models::toJson(v.version == job.version ? job : v));
    }
    return jsonOk(json::object{{"NextToken", ""}, {"Items", std::move(items)}});
  }

  // §2.10: the published results of the latest version's completed executions. Only batch and
  // ops jobs have results; for the others it is a 400 (Bacalhau answers 500).
  Result<HttpResponse> results(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::Job job, resolve(req));
    if (job.type != models::kJobTypeBatch && job.type != models::kJobTypeOps) {
      return invalidArgument("job type " + job.type + " does not support results")
          .withHint("results are published by batch and ops jobs");
    }
    store::ExecutionQuery eq;
    eq.job_id = job.id;
    COD_ASSIGN_OR_RETURN(std::vector<models::Execution> executions, deps_.store->getExecutions(eq));
    json::array items;
    for (const models::Execution& e : executions) {
      if (e.compute_state.state_type != models::ExecutionStateType::kCompleted) continue;
      if (e.published_result.type.empty()) continue;
      items.push_back(models::toJson(deps_.transform_result ? deps_.transform_result(job, e)
                                                            : e.published_result));
    }
    json::object body{{"NextToken", ""}, {"Items", std::move(items)}};
    HttpResponse resp = jsonOk(body);
    if (req.hasQuery("pretty")) resp.body = models::serializePretty(body);
    return resp;
  }

 private:
  Result<models::Job> resolve(const HttpRequest& req) const {
    return deps_.store->resolveJob(req.pathParam("id"), namespaceOf(req));
  }

  // The job's state decides, or the execution's when the history is filtered to one execution
  // (a prefix matching exactly one of the job's executions).
  Result<bool> watchedObjectTerminal(const models::Job& job, const std::string& prefix) const {
    if (!prefix.empty()) {
      store::ExecutionQuery eq;
      eq.job_id = job.id;
      eq.all_versions = true;
      COD_ASSIGN_OR_RETURN(std::vector<models::Execution> executions,
                           deps_.store->getExecutions(eq));
      const models::Execution* match = nullptr;
      int matches = 0;
      for (const models::Execution& e : executions) {
        if (startsWith(e.id, prefix)) {
          match = &e;
          ++matches;
        }
      }
      if (matches == 1) return match->isTerminal();
      // No (or no unique) execution: fall back to the job, so a wait loop still ends.
    }
    return models::isTerminal(job.state.state_type);
  }

  // Clients older than v1.5 expect the legacy JobState/ExecutionState keys (as {}).
  static bool legacyHistoryClient(const HttpRequest& req) {
    std::string v = req.headers.get("X-Bacalhau-Git-Version");
    SemVer client;
    if (v.empty() || checkClientVersion(v) != ClientVersionVerdict::kAccepted ||
        !parseSemVer(v, &client) || client.major == 0) {
      return false;  // no header, or a development build
    }
    return client.major == 1 && client.minor < 5;
  }

  const ApiDeps& deps_;
};

}  // namespace

void registerJobRoutes(Router& router, const ApiDeps& deps) {
  auto routes = std::make_shared<JobRoutes>(deps);
  auto bind = [&](const char* method, const char* pattern,
                  Result<HttpResponse> (JobRoutes::*fn)(const HttpRequest&) const) {
    router.add(method, pattern,
               [routes, fn, &deps](const HttpRequest& req) -> Result<HttpResponse> {
                 if (deps.jobs == nullptr || deps.store == nullptr) return notAnOrchestrator(req);
                 return ((*routes).*fn)(req);
               });
  };
  constexpr const char* kJobs = "/api/v1/orchestrator/jobs";
  bind("PUT", kJobs, &JobRoutes::submit);
  bind("POST", kJobs, &JobRoutes::submit);
  bind("GET", kJobs, &JobRoutes::list);
  bind("PUT", "/api/v1/orchestrator/jobs/diff", &JobRoutes::diff);
  bind("GET", "/api/v1/orchestrator/jobs/:id", &JobRoutes::get);
  bind("DELETE", "/api/v1/orchestrator/jobs/:id", &JobRoutes::stop);
  bind("PUT", "/api/v1/orchestrator/jobs/:id/rerun", &JobRoutes::rerun);
  bind("GET", "/api/v1/orchestrator/jobs/:id/history", &JobRoutes::history);
  bind("GET", "/api/v1/orchestrator/jobs/:id/executions", &JobRoutes::executions);
  bind("GET", "/api/v1/orchestrator/jobs/:id/versions", &JobRoutes::versions);
  bind("GET", "/api/v1/orchestrator/jobs/:id/results", &JobRoutes::results);
}

}  // namespace cod::api::endpoints
