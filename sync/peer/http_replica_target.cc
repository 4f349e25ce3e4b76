#include "sync/peer/http_replica_target.h"

#include <nlohmann/json.hpp>

#include "core/net/api_error.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

using json = nlohmann::json;

// Keys per page asked for (the appliance's own bound is 1000).
constexpr std::size_t kPageKeys = 1000;
// What an error answer's body may be, when collected by a streaming Get.
constexpr std::uint64_t kMaxErrorBody = 64 << 10;

}  // namespace

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       u == '-' || u == '.' || u == '_' || u == '~' || (keep_slash && u == '/');
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string HttpReplicaTarget::ObjectTarget(std::string_view key) const {
  return routes_.object_path + "?key=" + PercentEncode(key, true);
}

Status HttpReplicaTarget::CheckWritable(const std::string& what) const {
  if (!routes_.read_only) return Status::Ok();
  return Status::PermissionDenied(routes_.description + ": " + what +
                                  ": this replica is opened read-only (for recovery)");
}

Status HttpReplicaTarget::Annotate(Status s, const std::string& what) const {
  if (s.ok()) return s;
  std::string message = routes_.description + ": " + what + ": " + s.message();
  if (s.IsPermissionDenied()) {
    if (!routes_.refusal_hint.empty()) message += " (" + routes_.refusal_hint + ")";
    return Status::PermissionDenied(std::move(message));
  }
  return Status(s.code(), std::move(message));
}

Result<HttpsResponse> HttpReplicaTarget::Call(const HttpsRequest& request,
                                              const std::string& what) {
  HttpsRequest spec = request;
  for (const auto& h : routes_.headers) spec.headers.push_back(h);
  auto reply = client_->Send(spec);
  if (!reply.ok()) return Annotate(reply.error(), what);
  // The server's refusals already say what to do: passed as they are.
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(*reply, routes_.description + ": " + what));
  return std::move(reply).value();
}

Result<ProbeResult> HttpReplicaTarget::Probe() {
  ProbeResult result;  // appliances keep replicas append-only, but have no locks
  if (routes_.probe_path.empty()) {
    HttpsRequest spec;
    spec.target = routes_.keys_path + "?limit=1";
    CAIRN_RETURN_IF_ERROR(Call(spec, "probe").status());
    result.detail = routes_.description + ": replica readable";
    return result;
  }
  HttpsRequest spec;
  spec.target = routes_.probe_path;
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse reply, Call(spec, "probe"));
  const json j = json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("peer_id") || !j["peer_id"].is_string()) {
    return Status::InvalidArgument(routes_.description +
                                   ": probe: the answer is not a replica probe (is the URL the "
                                   "remote appliance's ingest listener?)");
  }
  result.detail = routes_.description + ": peer " + j["peer_id"].get<std::string>();
  if (j.contains("name") && j["name"].is_string()) {
    result.detail += " (" + j["name"].get<std::string>() + ")";
  }
  if (j.contains("objects_held") && j["objects_held"].is_number_unsigned() &&
      j.contains("bytes_held") && j["bytes_held"].is_number_unsigned()) {
    result.detail += ", " + std::to_string(j["objects_held"].get<std::uint64_t>()) + " objects, " +
                     std::to_string(j["bytes_held"].get<std::uint64_t>()) + " bytes held";
  }
  return result;
}

Status HttpReplicaTarget::Put(std::string_view key, ByteSpan data, const PutOptions&) {
  const std::string what = "PUT " + std::string(key);
  CAIRN_RETURN_IF_ERROR(CheckWritable(what));
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  HttpsRequest spec;
  spec.method = "PUT";
  spec.target = ObjectTarget(key);
  spec.content_type = "application/octet-stream";
  spec.body.assign(reinterpret_cast<const char*>(data.data()), data.size());
  return Call(spec, what).status();
}

Result<Bytes> HttpReplicaTarget::Get(std::string_view key, std::uint64_t max_bytes) {
  const std::string what = "GET " + std::string(key);
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  HttpsRequest spec;
  spec.target = ObjectTarget(key);
  for (const auto& h : routes_.headers) spec.headers.push_back(h);
  // Streamed, so the bound is ours (max_bytes), not the client's.
  const std::uint64_t collect_limit = std::max(max_bytes, kMaxErrorBody);
  std::string body;
  bool too_large = false;
  auto reply = client_->SendStreaming(spec, [&](std::string_view piece) -> Status {
    if (body.size() + piece.size() > collect_limit) {
      too_large = true;
      return Status::InvalidArgument("over the limit");
    }
    body.append(piece);
    return Status::Ok();
  });
  if (too_large) {
    return Status::InvalidArgument(routes_.description + ": " + what + ": the object is larger " +
                                   "than the " + std::to_string(max_bytes) +
                                   " bytes allowed for it");
  }
  if (!reply.ok()) return Annotate(reply.error(), what);
  reply->body = std::move(body);
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(*reply, routes_.description + ": " + what));
  if (reply->body.size() > max_bytes) {
    return Status::InvalidArgument(routes_.description + ": " + what + ": the object is " +
                                   std::to_string(reply->body.size()) + " bytes, more than the " +
                                   std::to_string(max_bytes) + " allowed for it");
  }
  return Bytes(reply->body.begin(), reply->body.end());
}

Status HttpReplicaTarget::List(
    std::string_view prefix, const std::function<Status(std::string_view, std::uint64_t)>& on_key) {
  std::string after;
  for (;;) {
    HttpsRequest spec;
    spec.target = routes_.keys_path + "?limit=" + std::to_string(kPageKeys) +
                  "&prefix=" + PercentEncode(prefix, true) + "&after=" + PercentEncode(after, true);
    const std::string what = "list " + std::string(prefix) + "* after '" + after + "'";
    CAIRN_ASSIGN_OR_RETURN(HttpsResponse reply, Call(spec, what));
    const json j = json::parse(reply.body, nullptr, false);
    if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array() ||
        !j.contains("truncated") || !j["truncated"].is_boolean()) {
      return Status::InvalidArgument(routes_.description + ": " + what +
                                     ": the answer is not a page of keys");
    }
    for (const json& k : j["keys"]) {
      if (!k.is_object() || !k.contains("key") || !k["key"].is_string() || !k.contains("size") ||
          !k["size"].is_number_unsigned()) {
        return Status::InvalidArgument(routes_.description + ": " + what +
                                       ": a listed key is malformed");
      }
      const std::string key = k["key"].get<std::string>();
      // Untrusted: a key outside the layout, the prefix or the order would
      // name a path we must not form, or loop forever.
      CAIRN_RETURN_IF_ERROR(Annotate(ValidateReplicaKey(key), what));
      if (!key.starts_with(prefix) || key <= after) {
        return Status::InvalidArgument(routes_.description + ": " + what + ": listed key " + key +
                                       " is outside the prefix or out of order");
      }
      CAIRN_RETURN_IF_ERROR(on_key(key, k["size"].get<std::uint64_t>()));
      after = key;
    }
    if (!j["truncated"].get<bool>()) return Status::Ok();
    if (j["keys"].empty()) {
      return Status::InvalidArgument(routes_.description + ": " + what +
                                     ": an empty page claims more keys follow");
    }
  }
}

Status HttpReplicaTarget::Delete(std::string_view key) {
  const std::string what = "DELETE " + std::string(key);
  CAIRN_RETURN_IF_ERROR(CheckWritable(what));
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  HttpsRequest spec;
  spec.method = "DELETE";
  spec.target = ObjectTarget(key);
  Status st = Call(spec, what).status();
  if (st.IsNotFound()) return Status::Ok();
  return st;
}

}  // namespace cairn
