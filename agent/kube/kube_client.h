// KubeClient: a blocking client of one Kubernetes API server, over
// HttpsClient (TLS always verified; bearer token or client certificate).
//
// Every request is rate-limited (token bucket: qps, burst) and retried with
// exponential backoff plus jitter on 429, 500, 502, 503, 504 and network
// failures (Unavailable), honouring Retry-After (capped at max_backoff), at
// most max_retries times. A request that still fails is returned as its last
// response (Call) or as a Status (the helpers).
//
// Retries apply to every method: 429 means the server did not act, and a
// network failure or 5xx on a create/replace may have been applied, in which
// case the retry answers 409 -- the restore's "object exists" policy handles
// that. Errors that retrying cannot cure (certificate verification, a body
// over max_response_body: IoError) are returned at once.
//
// Errors from the helpers (KubeStatusError): the API's Status object's
// message is kept, prefixed by what was asked ("GET /api/v1/namespaces/x:
// namespaces \"x\" not found"); codes map 401/403 -> PermissionDenied,
// 404 -> NotFound, 409 (AlreadyExists or Conflict) -> AlreadyExists,
// 400/422 -> InvalidArgument, 410 -> NotFound with "(410 Gone)" in the text,
// 429/5xx after retries -> Unavailable (with "(HTTP 503)"), any other 4xx
// -> InvalidArgument, anything else -> IoError. A non-Status error body
// (a proxy's HTML page) keeps the code mapping and quotes the body's start.
// A 2xx answer whose body is not JSON -> Corruption.
//
// Thread-safety: one thread at a time per client (it owns one kept-alive
// HttpsClient). Use one client per worker thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "agent/kube/kube_config.h"
#include "core/base/clock.h"
#include "core/base/status.h"

namespace cairn::kube {

struct KubeClientOptions {
  KubeConfig config;
  double qps = 50;   // sustained requests per second (client-go's default is 5; we list in pages)
  // A restore of thousands of objects is paced at qps once the burst is
  // spent (2,650 objects: ~47 s); raise both where the API server allows.
  int burst = 300;   // requests allowed at once before qps applies
  int max_retries = 5;  // retries after the first attempt (0: one attempt only)
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  std::chrono::milliseconds timeout{30000};            // per network step
  std::uint64_t max_response_body = 256ull << 20;       // one list page or object
  Clock* clock = nullptr;  // nullptr: the system clock (tests pass a FakeClock)
  // Sleeps for the rate limiter and backoff; nullptr: std::this_thread::sleep_for.
  // Tests replace it to run without waiting.
  std::function<void(std::chrono::nanoseconds)> sleep;
  std::string user_agent = "cairn-agent/0.1.0";
};

struct KubeRequest {
  std::string method = "GET";
  std::string path;          // "/api/v1/namespaces/x/pods?limit=500"
  std::string body;          // JSON text
  std::string content_type;  // default "application/json" when body is not empty
};

struct KubeResponse {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, "" when absent
  std::string content_type;
};

enum class PatchType { kMerge, kJson, kStrategicMerge };
// "application/merge-patch+json", "application/json-patch+json",
// "application/strategic-merge-patch+json".
std::string_view PatchContentType(PatchType type);

struct KubeClientStats {
  std::uint64_t requests = 0;  // sent, retries included
  std::uint64_t retries = 0;
  std::uint64_t throttled = 0;  // 429 responses seen
};

// A non-2xx response as a Status, as described above. `what` is prefixed.
Status KubeStatusError(const KubeResponse& response, std::string_view what);
// The Kubernetes Status "reason" of a response body ("NotFound",
// "AlreadyExists", "Conflict", "Gone", "Forbidden", ...), "" when none.
std::string KubeStatusReason(const KubeResponse& response);

class KubeClient {
 public:
  // Validates the config and options (qps > 0, burst >= 1, retries 0..100,
  // backoffs positive) and loads certificates; does not connect.
  // InvalidArgument naming the config's source otherwise.
  static Result<std::unique_ptr<KubeClient>> Create(KubeClientOptions options);
  ~KubeClient();

  // One request with rate limiting and retries. Ok with any final HTTP
  // status; an error only when no response came (network, after retries).
  Result<KubeResponse> Call(const KubeRequest& request);

  // Helpers: 2xx -> parsed body; anything else -> KubeStatusError.
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Create(const std::string& collection_path, const nlohmann::json& object);
  Result<nlohmann::json> Replace(const std::string& object_path, const nlohmann::json& object);
  Result<nlohmann::json> Patch(const std::string& object_path, PatchType type,
                               const nlohmann::json& patch);
  Result<nlohmann::json> Delete(const std::string& object_path);

  const KubeConfig& config() const;
  KubeClientStats stats() const;

 private:
  struct State;
  explicit KubeClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cairn::kube
