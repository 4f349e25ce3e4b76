#include "agent/kube/kube_client.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "agent/kube/rate_limiter.h"
#include "core/net/https_client.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

bool IsRetryableStatus(unsigned status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// Retry-After in its seconds form ("120"). The HTTP-date form is not used
// by Kubernetes and is treated as absent (our own backoff applies).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::int64_t seconds = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

// The start of a non-Status error body, printable, for a message.
std::string BodySnippet(std::string_view body) {
  constexpr std::size_t kMax = 200;
  std::string out;
  for (char c : body.substr(0, kMax)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (body.size() > kMax) out += "...";
  return out;
}

// The Status object of an error body, or a discarded value.
json StatusObject(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return json(json::value_t::discarded);
  auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string() || kind->get_ref<const std::string&>() != "Status") {
    return json(json::value_t::discarded);
  }
  return j;
}

std::string StringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
  }
  return "application/merge-patch+json";
}

std::string KubeStatusReason(const KubeResponse& response) {
  json status = StatusObject(response.body);
  return status.is_discarded() ? std::string() : StringField(status, "reason");
}

Status KubeStatusError(const KubeResponse& response, std::string_view what) {
  const unsigned code = response.status;
  std::string message;
  if (json status = StatusObject(response.body); !status.is_discarded()) {
    message = StringField(status, "message");
  }
  if (message.empty()) {
    message = "HTTP " + std::to_string(code);
    if (!response.body.empty()) message += ": " + BodySnippet(response.body);
  }
  std::string text = std::string(what) + ": " + message;
  const std::string http = " (HTTP " + std::to_string(code) + ")";
  switch (code) {
    case 401:
      return Status::PermissionDenied(
          text + " (HTTP 401: the API server did not accept the token or client certificate)");
    case 403:
      return Status::PermissionDenied(text);
    case 404:
      return Status::NotFound(text);
    case 409:
      return Status::AlreadyExists(text);
    case 410:
      return Status::NotFound(text + " (410 Gone)");
    case 400:
    case 422:
      return Status::InvalidArgument(text);
    default:
      break;
  }
  if (code == 429 || (code >= 500 && code < 600)) return Status::Unavailable(text + http);
  if (code >= 400 && code < 500) return Status::InvalidArgument(text + http);
  return Status::IoError(text + http);
}

struct KubeClient::State {
  State(KubeClientOptions opts, KubeServerUrl url, std::unique_ptr<HttpsClient> https,
        const Clock& clk)
      : options(std::move(opts)),
        path_prefix(std::move(url.path_prefix)),
        http(std::move(https)),
        clock(clk),
        limiter(clk, options.qps, options.burst),
        rng(std::random_device{}()) {}

  void Sleep(std::chrono::nanoseconds d) {
    if (d <= std::chrono::nanoseconds::zero()) return;
    if (options.sleep) {
      options.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  // Exponential backoff with "equal jitter": half the step fixed, half
  // random, so clients that failed together do not retry together.
  std::chrono::nanoseconds Backoff(int attempt) {
    const double base = static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.initial_backoff).count());
    const double cap = static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.max_backoff).count());
    const double step = std::min(cap, base * std::ldexp(1.0, std::min(attempt, 30)));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::nanoseconds(static_cast<std::int64_t>(step * jitter(rng)));
  }

  KubeClientOptions options;
  std::string path_prefix;
  std::unique_ptr<HttpsClient> http;
  const Clock& clock;
  TokenBucket limiter;
  std::mt19937_64 rng;
  KubeClientStats stats;
};

KubeClient::KubeClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
KubeClient::~KubeClient() = default;

Result<std::unique_ptr<KubeClient>> KubeClient::Create(KubeClientOptions options) {
  const KubeConfig& config = options.config;
  auto refuse = [&](const std::string& why) {
    return Status::InvalidArgument("Kubernetes client for " +
                                   (config.source.empty() ? config.server : config.source) + ": " +
                                   why);
  };
  if (!(options.qps > 0) || !std::isfinite(options.qps)) return refuse("qps must be positive");
  if (options.burst < 1) return refuse("burst must be at least 1");
  if (options.max_retries < 0 || options.max_retries > 100) {
    return refuse("max_retries must be from 0 to 100");
  }
  if (options.initial_backoff.count() <= 0 || options.max_backoff < options.initial_backoff) {
    return refuse("backoffs must be positive, max_backoff at least initial_backoff");
  }
  if (config.ca_pem.empty()) return refuse("no CA certificate to verify the API server with");
  auto url = ParseKubeServerUrl(config.server);
  if (!url.ok()) return refuse(url.error().message());

  HttpsClientOptions http;
  http.endpoint = url->endpoint;
  http.ca_pem = config.ca_pem;
  http.client_cert_pem = config.client_cert_pem;
  http.client_key_pem = config.client_key_pem;
  http.server_name = config.tls_server_name;
  http.timeout = options.timeout;
  http.max_response_body = options.max_response_body;
  auto https = HttpsClient::Create(std::move(http));
  if (!https.ok()) return refuse(https.error().message());

  const Clock& clock = options.clock != nullptr ? *options.clock : DefaultClock();
  auto state = std::make_unique<State>(std::move(options), std::move(*url), std::move(*https), clock);
  return std::unique_ptr<KubeClient>(new KubeClient(std::move(state)));
}

Result<KubeResponse> KubeClient::Call(const KubeRequest& request) {
  State& s = *state_;
  const std::string what = request.method + " " + request.path;
  if (request.path.empty() || request.path.front() != '/') {
    return Status::InvalidArgument(what + ": a request path must start with '/'");
  }
  HttpsRequest http;
  http.method = request.method;
  http.target = s.path_prefix + request.path;
  http.body = request.body;
  if (!request.body.empty()) {
    http.content_type = request.content_type.empty() ? "application/json" : request.content_type;
  }
  http.headers.emplace_back("Accept", "application/json");
  http.headers.emplace_back("User-Agent", s.options.user_agent);
  if (!s.options.config.bearer_token.empty()) {
    http.headers.emplace_back("Authorization", "Bearer " + s.options.config.bearer_token);
  }

  for (int attempt = 0;; ++attempt) {
    s.Sleep(s.limiter.Reserve());
    ++s.stats.requests;
    Result<HttpsResponse> sent = s.http->Send(http);
    const bool last = attempt >= s.options.max_retries;
    if (!sent.ok()) {
      if (!sent.error().retryable()) return sent.error().WithContext(what);
      if (last) {
        return Status::Unavailable(what + ": " + sent.error().message() + " (gave up after " +
                                   std::to_string(attempt + 1) + " attempts)");
      }
      ++s.stats.retries;
      s.Sleep(s.Backoff(attempt));
      continue;
    }
    KubeResponse response;
    response.status = sent->status;
    response.body = std::move(sent->body);
    response.content_type = std::move(sent->content_type);
    if (auto it = sent->headers.find("retry-after"); it != sent->headers.end()) {
      response.retry_after = it->second;
    }
    if (response.status == 429) ++s.stats.throttled;
    if (!IsRetryableStatus(response.status) || last) return response;

    std::chrono::nanoseconds delay = s.Backoff(attempt);
    if (auto after = ParseRetryAfter(response.retry_after)) {
      delay = std::min<std::chrono::nanoseconds>(*after, s.options.max_backoff);
    }
    ++s.stats.retries;
    s.Sleep(delay);
  }
}

namespace {

Result<json> ParseJsonBody(const KubeResponse& response, const std::string& what) {
  if (response.status < 200 || response.status >= 300) return KubeStatusError(response, what);
  if (response.body.empty()) return json::object();
  json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::Corruption(what + ": the API server's answer is not JSON: " +
                              BodySnippet(response.body));
  }
  return j;
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<json> KubeClient::Get(const std::string& path) {
  KubeRequest request;
  request.path = path;
  CAIRN_ASSIGN_OR_RETURN(KubeResponse response, Call(request));
  return ParseJsonBody(response, "GET " + path);
}

Result<json> KubeClient::Create(const std::string& collection_path, const json& object) {
  KubeRequest request{"POST", collection_path, DumpJson(object), "application/json"};
  CAIRN_ASSIGN_OR_RETURN(KubeResponse response, Call(request));
  return ParseJsonBody(response, "POST " + collection_path);
}

Result<json> KubeClient::Replace(const std::string& object_path, const json& object) {
  KubeRequest request{"PUT", object_path, DumpJson(object), "application/json"};
  CAIRN_ASSIGN_OR_RETURN(KubeResponse response, Call(request));
  return ParseJsonBody(response, "PUT " + object_path);
}

Result<json> KubeClient::Patch(const std::string& object_path, PatchType type, const json& patch) {
  KubeRequest request{"PATCH", object_path, DumpJson(patch), std::string(PatchContentType(type))};
  CAIRN_ASSIGN_OR_RETURN(KubeResponse response, Call(request));
  return ParseJsonBody(response, "PATCH " + object_path);
}

Result<json> KubeClient::Delete(const std::string& object_path) {
  KubeRequest request{"DELETE", object_path, "", ""};
  CAIRN_ASSIGN_OR_RETURN(KubeResponse response, Call(request));
  return ParseJsonBody(response, "DELETE " + object_path);
}

const KubeConfig& KubeClient::config() const { return state_->options.config; }
KubeClientStats KubeClient::stats() const { return state_->stats; }

}  // namespace cairn::kube
