#include "executor/docker/docker_client.h"

#include <cstdlib>
#include <cstring>

#include <boost/json.hpp>

#include "common/strings.h"
#include "http/session.h"
#include "models/json.h"

namespace cod::executor {

namespace bj = boost::json;

namespace {

constexpr const char* kApi = "http://docker/v1.41";

std::string defaultSocket() {
  if (const char* host = std::getenv("DOCKER_HOST"); host && startsWith(host, "unix://")) {
    return std::string(host + 7);
  }
  return "/var/run/docker.sock";
}

std::string urlEncode(const std::string& s) {
  std::string out;
  static constexpr const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Splits "repo:tag" / "repo@digest" into the fromImage and tag query parameters.
std::pair<std::string, std::string> splitImage(const std::string& image) {
  auto at = image.find('@');
  if (at != std::string::npos) return {image.substr(0, at), image.substr(at + 1)};
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {image.substr(0, colon), image.substr(colon + 1)};
  }
  return {image, "latest"};
}

}  // namespace

DockerClient::DockerClient(std::string socket)
    : socket_(socket.empty() ? defaultSocket() : std::move(socket)) {}

Result<DockerClient::Response> DockerClient::request(
    const std::string& method, const std::string& path, const std::string& body, int64_t timeout_ms,
    const std::function<void(std::string_view)>& on_data, const std::atomic<bool>* abort,
    const std::function<void(long)>& on_headers) const {
  http::SessionOptions options;
  options.unix_socket = socket_;
  options.connect_timeout = std::chrono::seconds(5);
  http::Session session(options);
  http::SessionRequest r;
  r.method = method;
  r.url = std::string(kApi) + path;
  // Docker wants a POST with Content-Length: 0 rather than none.
  r.has_body = !body.empty() || method == "POST";
  r.body = body;
  r.content_type = "application/json";
  r.timeout = std::chrono::milliseconds(timeout_ms);
  r.on_data = on_data;
  r.on_headers = on_headers;
  r.abort = abort;
  auto got = session.send(r);
  if (!got.isOk()) {
    if (got.status().code() == StatusCode::kCancelled) {
      return cancelled(method + " " + path + " was given up");
    }
    if (got.status().code() == StatusCode::kDeadlineExceeded) {
      return deadlineExceeded("Docker did not answer " + method + " " + path + " in time");
    }
    return unavailable("cannot reach the Docker daemon at " + socket_ + ": " +
                       got.status().message())
        .withComponent("Docker")
        .withHint("is dockerd running? set DOCKER_HOST=unix:///path/to/docker.sock");
  }
  return Response{got->status, std::move(got->body)};
}

std::string DockerClient::errorMessage(const Response& r) {
  auto parsed = models::parseJson(r.body);
  if (parsed.isOk() && parsed->is_object()) {
    if (const auto* m = models::findKey(parsed->as_object(), "message"); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  std::string body(trim(r.body));
  return body.empty() ? "HTTP " + std::to_string(r.status) : body;
}

Status DockerClient::ping() const {
  COD_ASSIGN_OR_RETURN(Response r, request("GET", "/_ping", "", 5000));
  if (r.status != 200) return unavailable("Docker ping failed: " + errorMessage(r));
  return Status::ok();
}

Result<DaemonInfo> parseDaemonInfo(std::string_view body) {
  auto v = models::parseJson(body);
  if (!v.isOk() || !v->is_object()) return internalError("unexpected /info response");
  const bj::object& o = v->as_object();
  DaemonInfo info;
  if (const auto* opts = models::findKey(o, "SecurityOptions"); opts && opts->is_array()) {
    for (const auto& opt : opts->as_array()) {
      if (!opt.is_string()) continue;
      for (const std::string& field : split(opt.as_string(), ',')) {
        if (field == "name=userns") info.userns_remap = true;
      }
    }
  }
  const auto* root = models::findKey(o, "DockerRootDir");
  if (info.userns_remap && root && root->is_string()) {
    std::string_view dir = root->as_string();
    std::string_view last = dir.substr(dir.find_last_of('/') + 1);
    size_t dot = last.find('.');
    if (dot != std::string_view::npos) {
      int64_t uid = 0;
      int64_t gid = 0;
      if (parseInt64(last.substr(0, dot), &uid) && parseInt64(last.substr(dot + 1), &gid) &&
          uid > 0 && gid > 0) {
        info.remap_uid = uid;
        info.remap_gid = gid;
      }
    }
  }
  return info;
}

Result<DaemonInfo> DockerClient::info() const {
  COD_ASSIGN_OR_RETURN(Response r, request("GET", "/info", "", 10000));
  if (r.status != 200) return unavailable("Docker info failed: " + errorMessage(r));
  return parseDaemonInfo(r.body);
}

Status DockerClient::inspectImage(const std::string& image) const {
  COD_ASSIGN_OR_RETURN(Response r,
                       request("GET", "/images/" + urlEncode(image) + "/json", "", 30000));
  if (r.status == 200) return Status::ok();
  if (r.status == 404) return notFound("image " + image + " is not present locally");
  return unavailable("inspecting image " + image + ": " + errorMessage(r));
}

Status DockerClient::pullImage(const std::string& image) const {
  auto [from, tag] = splitImage(image);
  std::string last_error;
  std::string pending;
  // The daemon streams progress as JSON lines; a failure mid-stream is a line with "error".
  auto on_data = [&](std::string_view data) {
    pending.append(data);
    size_t pos;
    while ((pos = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, pos);
      pending.erase(0, pos + 1);
      auto v = models::parseJson(line);
      if (!v.isOk() || !v->is_object()) continue;
      const auto& o = v->as_object();
      if (const auto* e = models::findKey(o, "error"); e && e->is_string()) {
        last_error = std::string(e->as_string());
      } else if (const auto* m = models::findKey(o, "message"); m && m->is_string()) {
        last_error = std::string(m->as_string());
      }
    }
  };
  COD_ASSIGN_OR_RETURN(
      Response r,
      request("POST", "/images/create?fromImage=" + urlEncode(from) + "&tag=" + urlEncode(tag), "",
              int64_t{15} * 60 * 1000, on_data));
  if (!pending.empty()) on_data("\n");
  if (r.status != 200 || !last_error.empty()) {
    std::string msg = last_error.empty() ? "HTTP " + std::to_string(r.status) : last_error;
    return unavailable("could not pull image " + image + ": " + msg)
        .withComponent("Docker")
        .withHint(
            "check the image name, or make the image available on the compute node "
            "(docker pull/load)");
  }
  return inspectImage(image);
}

Result<std::string> DockerClient::createContainer(const bj::value& spec,
                                                  const std::string& name) const {
  COD_ASSIGN_OR_RETURN(Response r, request("POST", "/containers/create?name=" + urlEncode(name),
                                           bj::serialize(spec), 60000));
  if (r.status == 404) return notFound(errorMessage(r));
  if (r.status == 409) return alreadyExists(errorMessage(r));
  if (r.status != 201) {
    return invalidArgument("Docker refused the container: " + errorMessage(r))
        .withComponent("Docker");
  }
  auto v = models::parseJson(r.body);
  if (!v.isOk() || !v->is_object()) return internalError("unexpected create response: " + r.body);
  const auto* id = models::findKey(v->as_object(), "Id");
  if (!id || !id->is_string()) return internalError("create response without an Id: " + r.body);
  return std::string(id->as_string());
}

Status DockerClient::startContainer(const std::string& id) const {
  COD_ASSIGN_OR_RETURN(Response r, request("POST", "/containers/" + id + "/start", "", 60000));
  if (r.status == 204 || r.status == 304) return Status::ok();
  return invalidArgument("the container did not start: " + errorMessage(r)).withComponent("Docker");
}

Result<int64_t> DockerClient::waitContainer(const std::string& id, int64_t timeout_ms) const {
  COD_ASSIGN_OR_RETURN(
      Response r,
      request("POST", "/containers/" + id + "/wait?condition=not-running", "", timeout_ms));
  if (r.status != 200) return unavailable("waiting for the container: " + errorMessage(r));
  auto v = models::parseJson(r.body);
  if (!v.isOk() || !v->is_object()) return internalError("unexpected wait response: " + r.body);
  const auto* code = models::findKey(v->as_object(), "StatusCode");
  return code ? models::exactInt64(*code).value_or(-1) : int64_t{-1};
}

Result<ContainerState> DockerClient::inspectContainer(const std::string& id) const {
  COD_ASSIGN_OR_RETURN(Response r, request("GET", "/containers/" + id + "/json", "", 30000));
  if (r.status == 404) return notFound("no such container: " + id);
  if (r.status != 200) return unavailable("inspecting the container: " + errorMessage(r));
  auto v = models::parseJson(r.body);
  if (!v.isOk() || !v->is_object()) return internalError("unexpected inspect response");
  ContainerState s;
  if (const auto* st = models::findKey(v->as_object(), "State"); st && st->is_object()) {
    const auto& o = st->as_object();
    if (const auto* x = models::findKey(o, "Running"); x && x->is_bool()) s.running = x->as_bool();
    if (const auto* x = models::findKey(o, "ExitCode"); x && x->is_number()) {
      s.exit_code = models::exactInt64(*x).value_or(-1);
    }
    if (const auto* x = models::findKey(o, "OOMKilled"); x && x->is_bool()) {
      s.oom_killed = x->as_bool();
    }
    if (const auto* x = models::findKey(o, "Error"); x && x->is_string()) {
      s.error = std::string(x->as_string());
    }
  }
  return s;
}

Status DockerClient::killContainer(const std::string& id) const {
  COD_ASSIGN_OR_RETURN(Response r, request("POST", "/containers/" + id + "/kill", "", 30000));
  if (r.status == 204 || r.status == 404 || r.status == 409) return Status::ok();
  return unavailable("killing the container: " + errorMessage(r));
}

Status DockerClient::removeContainer(const std::string& id) const {
  COD_ASSIGN_OR_RETURN(Response r,
                       request("DELETE", "/containers/" + id + "?force=1&v=1", "", 60000));
  if (r.status == 204 || r.status == 404) return Status::ok();
  return unavailable("removing the container: " + errorMessage(r));
}

Status DockerClient::attachContainer(const std::string& id,
                                     const std::function<void(int, std::string_view)>& sink,
                                     const std::function<void()>& on_attached,
                                     const std::atomic<bool>* abort) const {
  // Frames: 8-byte header [stream, 0, 0, 0, size as uint32 big-endian], then the payload.
  std::string buf;
  long status = 0;
  std::string error_body;
  auto on_data = [&](std::string_view data) {
    if (status != 200) {  // an error's JSON, not frames
      error_body.append(data.substr(0, 4096 - std::min<size_t>(error_body.size(), 4096)));
      return;
    }
    buf.append(data);
    size_t off = 0;
    while (buf.size() - off >= 8) {
      auto b = reinterpret_cast<const unsigned char*>(buf.data() + off);
      uint32_t len = (uint32_t{b[4]} << 24) | (uint32_t{b[5]} << 16) | (uint32_t{b[6]} << 8) | b[7];
      if (buf.size() - off - 8 < len) break;
      sink(b[0] == 2 ? 2 : 1, std::string_view(buf.data() + off + 8, len));
      off += 8 + len;
    }
    buf.erase(0, off);
  };
  // dockerd answers 200 once the streams are attached, then sends output until the container
  // stops and closes the connection. No timeout: killing the container ends it, and the caller
  // can give it up with `abort`.
  auto on_headers = [&](long got) {
    status = got;
    if (status == 200 && on_attached) on_attached();
  };
  COD_ASSIGN_OR_RETURN(
      Response r, request("POST", "/containers/" + id + "/attach?stream=1&stdout=1&stderr=1", "", 0,
                          on_data, abort, on_headers));
  if (r.status != 200) {
    return unavailable("attaching to the container's output: " +
                       errorMessage(Response{r.status, std::move(error_body)}));
  }
  return Status::ok();
}

Result<std::vector<std::string>> DockerClient::listContainers(
    const std::map<std::string, std::string>& labels) const {
  bj::array label_filters;
  for (const auto& [k, v] : labels) label_filters.emplace_back(k + "=" + v);
  bj::object filters{{"label", std::move(label_filters)}};
  COD_ASSIGN_OR_RETURN(
      Response r,
      request("GET", "/containers/json?all=1&filters=" + urlEncode(bj::serialize(filters)), "",
              30000));
  if (r.status != 200) return unavailable("listing containers: " + errorMessage(r));
  auto v = models::parseJson(r.body);
  std::vector<std::string> ids;
  if (v.isOk() && v->is_array()) {
    for (const auto& c : v->as_array()) {
      if (!c.is_object()) continue;
      if (const auto* id = models::findKey(c.as_object(), "Id"); id && id->is_string()) {
        ids.emplace_back(id->as_string());
      }
    }
  }
  return ids;
}

}  // namespace cod::executor
