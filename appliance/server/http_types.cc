#include "appliance/server/http_types.h"

#include <nlohmann/json.hpp>

namespace cairn {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> DecodeComponent(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad %-escape in query parameter '" + std::string(in) +
                                       "' (write a literal '%' as %25)");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  auto it = headers.find(beast::string_view(name.data(), name.size()));
  if (it == headers.end()) return "";
  return std::string(it->value().data(), it->value().size());
}

std::optional<std::string> HttpRequest::query_value(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

HttpResponse JsonResponse(unsigned status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  // replace, not strict: a handler's string from the network or a file name
  // may hold invalid UTF-8, and a dump() that throws would turn a good answer
  // into a 500.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string_view ErrorCodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "internal";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kAlreadyExists:
      return "already_exists";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kIoError:
      return "io_error";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kPermissionDenied:
      return "permission_denied";
    case Status::Code::kCancelled:
      return "cancelled";
  }
  return "internal";
}

HttpResponse ErrorResponse(const Status& status) {
  unsigned http_status = 500;
  switch (status.code()) {
    case Status::Code::kOk:
      return ErrorResponse(500, "internal",
                           "the server answered with an error that was not one (a bug); "
                           "the request may or may not have been applied");
    case Status::Code::kNotFound:
      http_status = 404;
      break;
    case Status::Code::kAlreadyExists:
      http_status = 409;
      break;
    case Status::Code::kInvalidArgument:
      http_status = 400;
      break;
    case Status::Code::kPermissionDenied:
      http_status = 403;
      break;
    case Status::Code::kUnavailable:
    case Status::Code::kCancelled:
      http_status = 503;
      break;
    case Status::Code::kCorruption:
    case Status::Code::kIoError:
      http_status = 500;
      break;
  }
  HttpResponse r = ErrorResponse(http_status, ErrorCodeName(status.code()), status.message());
  // Unavailable is the retryable code (Status::retryable): tell clients when.
  if (status.code() == Status::Code::kUnavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

HttpResponse ErrorResponse(unsigned http_status, std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return JsonResponse(http_status, body);
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

Result<std::map<std::string, std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    std::size_t eq = piece.find('=');
    std::string_view raw_key = piece.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    CAIRN_ASSIGN_OR_RETURN(std::string key, DecodeComponent(raw_key));
    CAIRN_ASSIGN_OR_RETURN(std::string value, DecodeComponent(raw_value));
    if (key.empty()) {
      return Status::InvalidArgument("query parameter without a name ('" + std::string(piece) +
                                     "')");
    }
    if (out.contains(key)) {
      return Status::InvalidArgument("query parameter '" + key +
                                     "' given more than once; give it once");
    }
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

}  // namespace cairn
