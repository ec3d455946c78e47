#include "http/http_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "common/strings.h"

namespace cod::http {

namespace {

struct Transfer {
  FILE* file = nullptr;           // the body goes here, or
  std::string* memory = nullptr;  // here
  uint64_t bytes = 0;
  uint64_t max_bytes = 0;
  bool too_large = false;
  CancelToken* cancel = nullptr;
  std::string content_disposition;
  std::map<std::string, std::string>* headers = nullptr;  // every header, when set
  // Resuming: the bytes the file already holds, kept when the answer is a 206.
  uint64_t resumed_from = 0;
  bool body_started = false;
  CURL* handle = nullptr;
  std::string validator;  // the answer's ETag, else Last-Modified
  const std::function<void(uint64_t, uint64_t)>* on_progress = nullptr;
  bool allow_link_local = false;
  std::string refused_address;  // set when a link-local address was refused
};

bool isLinkLocal(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(addr);
    uint32_t ip = ntohl(a->sin_addr.s_addr);
    return (ip >> 16) == 0xA9FE;  // 169.254.0.0/16
  }
  if (addr->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(addr);
    const uint8_t* b = a->sin6_addr.s6_addr;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10
    static const uint8_t kAwsMetadata[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                             0,    0,    0,    0,    0, 0, 0x02, 0x54};
    if (std::memcmp(b, kAwsMetadata, 16) == 0) return true;
    bool mapped =
        std::all_of(b, b + 10, [](uint8_t x) { return x == 0; }) && b[10] == 0xff && b[11] == 0xff;
    return mapped && b[12] == 169 && b[13] == 254;  // ::ffff:169.254.x.x
  }
  return false;
}

// Opens each connection's socket, unless the address is one a download must never reach.
curl_socket_t onOpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->allow_link_local && isLinkLocal(&address->addr)) {
    char text[INET6_ADDRSTRLEN] = "?";
    const void* ip = address->family == AF_INET
                         ? static_cast<const void*>(
                               &reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr)
                         : static_cast<const void*>(
                               &reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr);
    inet_ntop(address->family, ip, text, sizeof text);
    t->refused_address = text;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

Status refusedAddress(const std::string& shown, const std::string& address) {
  return Status(StatusCode::kPermissionDenied,
                "refusing to fetch " + shown + ": it leads to the link-local address " + address +
                    ", where cloud metadata services hand out this machine's credentials");
}

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (!t->body_started) {
    t->body_started = true;
    if (t->resumed_from > 0) {
      long status = 0;
      curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &status);
      if (status == 206) {
        t->bytes = t->resumed_from;
      } else {
        // The whole body again: start the file over.
        if (std::fseek(t->file, 0, SEEK_SET) != 0 || ftruncate(fileno(t->file), 0) != 0) return 0;
        t->resumed_from = 0;
      }
    }
  }
  if (t->max_bytes > 0 && t->bytes + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->bytes += len;
  if (t->memory != nullptr) {
    t->memory->append(data, len);
    return len;
  }
  return std::fwrite(data, 1, len, t->file);
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "content-disposition:";
  if (line.size() > kName.size() && equalsIgnoreCase(line.substr(0, kName.size()), kName)) {
    t->content_disposition = std::string(trim(line.substr(kName.size())));
  }
  if (startsWith(line, "HTTP/")) {  // a new answer (after a redirect): forget the last one's
    t->validator.clear();
    t->content_disposition.clear();
    if (t->headers != nullptr) t->headers->clear();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name = toLower(trim(line.substr(0, colon)));
    if (name == "etag" || (name == "last-modified" && t->validator.empty())) {
      t->validator = std::string(trim(line.substr(colon + 1)));
    }
  }
  if (t->headers != nullptr && colon != std::string_view::npos) {
    (*t->headers)[toLower(trim(line.substr(0, colon)))] = std::string(trim(line.substr(colon + 1)));
  }
  return size * n;
}

int onProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->on_progress != nullptr && *t->on_progress) {
    uint64_t base = t->body_started ? t->resumed_from : 0;
    (*t->on_progress)(base + static_cast<uint64_t>(dlnow),
                      dltotal > 0 ? base + static_cast<uint64_t>(dltotal) : 0);
  }
  return t->cancel != nullptr && t->cancel->cancelled() ? 1 : 0;
}

bool isHttpUrl(const std::string& url) {
  std::string lower = toLower(url.substr(0, 8));
  return startsWith(lower, "http://") || startsWith(lower, "https://");
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct HeaderListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// One attempt: the options every request shares, then perform.
CURLcode perform(CURL* c, const std::string& url, const DownloadOptions& options, Transfer* t,
                 std::unique_ptr<curl_slist, HeaderListDeleter>* header_list) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, options.max_redirects);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "cod");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  if (options.timeout.count() > 0) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  }
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout.count()));
  if (options.max_bytes > 0) {
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : options.headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  header_list->reset(list);
  if (list != nullptr) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (options.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (options.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (options.method == "DELETE") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  t->allow_link_local = options.allow_link_local;
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, onOpenSocket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
  return curl_easy_perform(c);
}

// Waits before attempt `attempt` (from 2 on); false when cancelled meanwhile.
bool backOff(int attempt, std::chrono::milliseconds* backoff, CancelToken* cancel) {
  if (attempt == 1) return true;
  if (cancel != nullptr) {
    if (cancel->waitFor(*backoff)) return false;
  } else {
    std::this_thread::sleep_for(*backoff);
  }
  *backoff *= 2;
  return true;
}

}  // namespace

std::string redactUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  // scheme://user:secret@host → scheme://host
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t host = scheme + 3;
    size_t at = out.find('@', host);
    size_t slash = out.find('/', host);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      out.erase(host, at + 1 - host);
    }
  }
  return out;
}

Result<DownloadResult> download(const std::string& url, const std::string& path,
                                const DownloadOptions& options, CancelToken* cancel) {
  const std::string shown = redactUrl(url);
  if (!isHttpUrl(url)) {
    return invalidArgument("\"" + shown + "\" is not an http:// or https:// URL");
  }
  auto backoff = options.backoff;
  Status last = unavailable("downloading " + shown + ": no attempt made");
  const bool at_offset = options.write_offset != UINT64_MAX;
  uint64_t have = 0;      // what earlier attempts wrote, to resume from
  std::string validator;  // the first answer's ETag or Last-Modified
  for (int attempt = 1; attempt <= std::max(1, options.attempts); ++attempt) {
    if (!backOff(attempt, &backoff, cancel)) break;
    const bool resuming = !at_offset && options.resume && have > 0 && !validator.empty();
    const char* mode = at_offset || resuming ? "r+b" : "wb";
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), mode), &std::fclose);
    if (!file) return internalError("cannot write " + path);
    uint64_t start = at_offset ? options.write_offset : resuming ? have : 0;
    if (start > 0 && fseeko(file.get(), static_cast<off_t>(start), SEEK_SET) != 0) {
      return internalError("cannot write " + path);
    }
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return internalError("libcurl could not make a handle");
    Transfer t;
    t.file = file.get();
    t.max_bytes = options.max_bytes;
    t.cancel = cancel;
    t.handle = curl.get();
    t.on_progress = &options.on_progress;
    CURL* c = curl.get();
    DownloadOptions attempt_options = options;
    if (resuming) {
      t.resumed_from = have;
      attempt_options.headers.emplace_back("Range", "bytes=" + std::to_string(have) + "-");
      attempt_options.headers.emplace_back("If-Range", validator);
    }
    std::unique_ptr<curl_slist, HeaderListDeleter> header_list;
    CURLcode rc = perform(c, url, attempt_options, &t, &header_list);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (validator.empty()) validator = t.validator;
      if (t.body_started) have = t.bytes;
    } else if (status != 0) {
      have = 0;  // an error page is no part of the body
    }
    char* effective = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
    if (std::fflush(file.get()) != 0) return internalError("cannot write " + path);

    if (cancel != nullptr && cancel->cancelled()) return cancelled("download cancelled");
    if (!t.refused_address.empty()) return refusedAddress(shown, t.refused_address);
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      return resourceExhausted("downloading " + shown + ": larger than the limit of " +
                               std::to_string(options.max_bytes) + " bytes");
    }
    if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
      return invalidArgument("downloading " + shown +
                             ": redirected to a URL that is not http:// or https://");
    }
    if (rc == CURLE_TOO_MANY_REDIRECTS) {
      return failedPrecondition("downloading " + shown + ": more than " +
                                std::to_string(options.max_redirects) + " redirects");
    }
    if (rc != CURLE_OK) {
      last = unavailable("downloading " + shown + ": " + curl_easy_strerror(rc));
      continue;
    }
    if (status >= 500) {
      last = unavailable("downloading " + shown + ": HTTP " + std::to_string(status));
      continue;
    }
    if (status == 404 || status == 410) {
      return notFound("downloading " + shown + ": HTTP " + std::to_string(status) +
                      " (nothing at that URL)");
    }
    if (status >= 300) {
      return failedPrecondition("downloading " + shown + ": HTTP " + std::to_string(status));
    }
    DownloadResult out;
    out.bytes = t.bytes;
    out.content_disposition = std::move(t.content_disposition);
    out.effective_url = effective != nullptr ? effective : url;
    return out;
  }
  if (cancel != nullptr && cancel->cancelled()) return cancelled("download cancelled");
  return last;
}

namespace {

struct FileRange {
  FILE* file = nullptr;
  uint64_t left = 0;
};

size_t readFromFile(char* buffer, size_t size, size_t n, void* user) {
  auto* r = static_cast<FileRange*>(user);
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, r->left));
  size_t got = std::fread(buffer, 1, want, r->file);
  r->left -= got;
  return got;
}

// What a request sends: nothing, a file PUT, or a multipart form POSTed.
struct Body {
  const std::string* file = nullptr;
  const std::vector<FormPart>* form = nullptr;
  const std::string* data = nullptr;  // POSTed
  uint64_t offset = 0;                // of `file`
  uint64_t length = UINT64_MAX;       // of `file`; UINT64_MAX = to its end
};

// get(), upload() and postForm(): an answer read into memory.
Result<Response> request(const std::string& url, const Body& body, const DownloadOptions& options,
                         CancelToken* cancel);

struct MimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};

// Percent-encodes all but unreserved characters and '/'.
std::string encodeFileName(const std::string& name) {
  constexpr const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : name) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == '/') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

Result<std::unique_ptr<curl_mime, MimeDeleter>> makeForm(CURL* c,
                                                         const std::vector<FormPart>& parts) {
  std::unique_ptr<curl_mime, MimeDeleter> mime(curl_mime_init(c));
  for (const FormPart& part : parts) {
    curl_mimepart* p = curl_mime_addpart(mime.get());
    curl_mime_name(p, "file");
    curl_mime_filename(p, encodeFileName(part.filename).c_str());
    if (part.path.empty()) {
      curl_mime_data(p, "", 0);
      curl_mime_type(p, "application/x-directory");
    } else {
      if (curl_mime_filedata(p, part.path.c_str()) != CURLE_OK) {
        return internalError("cannot read " + part.path);
      }
      // filedata sets the file's own name; the server must see ours.
      curl_mime_filename(p, encodeFileName(part.filename).c_str());
      curl_mime_type(p, "application/octet-stream");
    }
  }
  return mime;
}

}  // namespace

Result<Response> get(const std::string& url, const DownloadOptions& options, CancelToken* cancel) {
  return request(url, Body{}, options, cancel);
}

Result<Response> upload(const std::string& url, const std::string& path,
                        const DownloadOptions& options, CancelToken* cancel) {
  return request(url, Body{&path, nullptr, nullptr, 0, UINT64_MAX}, options, cancel);
}

Result<Response> uploadRange(const std::string& url, const std::string& path, uint64_t offset,
                             uint64_t length, const DownloadOptions& options, CancelToken* cancel) {
  return request(url, Body{&path, nullptr, nullptr, offset, length}, options, cancel);
}

Result<Response> post(const std::string& url, const std::string& body,
                      const DownloadOptions& options, CancelToken* cancel) {
  return request(url, Body{nullptr, nullptr, &body, 0, UINT64_MAX}, options, cancel);
}

Result<Response> postForm(const std::string& url, const std::vector<FormPart>& parts,
                          const DownloadOptions& options, CancelToken* cancel) {
  return request(url, Body{nullptr, &parts, nullptr, 0, UINT64_MAX}, options, cancel);
}

namespace {

Result<Response> request(const std::string& url, const Body& body, const DownloadOptions& options,
                         CancelToken* cancel) {
  const std::string* body_file = body.file;
  const std::string shown = redactUrl(url);
  if (!isHttpUrl(url))
    return invalidArgument("\"" + shown + "\" is not an http:// or https:// URL");
  auto backoff = options.backoff;
  Status last = unavailable("requesting " + shown + ": no attempt made");
  Response response;
  for (int attempt = 1; attempt <= std::max(1, options.attempts); ++attempt) {
    if (!backOff(attempt, &backoff, cancel)) break;
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return internalError("libcurl could not make a handle");
    response.body.clear();
    response.headers.clear();
    Transfer t;
    t.memory = &response.body;
    t.headers = &response.headers;
    t.max_bytes = options.max_bytes;
    t.cancel = cancel;
    std::unique_ptr<FILE, int (*)(FILE*)> in(nullptr, &std::fclose);
    FileRange range;
    if (body_file != nullptr) {
      in.reset(std::fopen(body_file->c_str(), "rb"));
      if (!in) return internalError("cannot read " + *body_file);
      std::error_code ec;
      uint64_t size = std::filesystem::file_size(*body_file, ec);
      uint64_t offset = std::min(body.offset, size);
      uint64_t length = std::min(body.length, size - offset);
      if (std::fseek(in.get(), static_cast<long>(offset), SEEK_SET) != 0) {
        return internalError("cannot read " + *body_file);
      }
      range = FileRange{in.get(), length};
      curl_easy_setopt(curl.get(), CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl.get(), CURLOPT_READFUNCTION, readFromFile);
      curl_easy_setopt(curl.get(), CURLOPT_READDATA, &range);
      curl_easy_setopt(curl.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
    }
    if (body.data != nullptr) {
      curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(body.data->size()));
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data->data());
    }
    std::unique_ptr<curl_mime, MimeDeleter> form;
    if (body.form != nullptr) {
      COD_ASSIGN_OR_RETURN(form, makeForm(curl.get(), *body.form));
      curl_easy_setopt(curl.get(), CURLOPT_MIMEPOST, form.get());
    }
    std::unique_ptr<curl_slist, HeaderListDeleter> header_list;
    CURLcode rc = perform(curl.get(), url, options, &t, &header_list);
    if (form) curl_easy_setopt(curl.get(), CURLOPT_MIMEPOST, nullptr);  // freed before the handle
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
    if (cancel != nullptr && cancel->cancelled()) return cancelled("request cancelled");
    if (!t.refused_address.empty()) return refusedAddress(shown, t.refused_address);
    if (t.too_large) {
      return resourceExhausted("requesting " + shown + ": the answer is larger than " +
                               std::to_string(options.max_bytes) + " bytes");
    }
    if (rc != CURLE_OK) {
      last = unavailable("requesting " + shown + ": " + curl_easy_strerror(rc));
      continue;
    }
    if (response.status >= 500 && attempt < options.attempts) continue;
    return response;
  }
  if (cancel != nullptr && cancel->cancelled()) return cancelled("request cancelled");
  return last;
}

}  // namespace

}  // namespace cod::http
