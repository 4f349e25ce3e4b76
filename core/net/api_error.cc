#include "core/net/api_error.h"

#include <nlohmann/json.hpp>
#include <string>

namespace cairn {

Status StatusFromResponse(const HttpsResponse& response, std::string_view context) {
  const unsigned code = response.status;
  if (code >= 200 && code < 300) return Status::Ok();
  std::string message = "HTTP " + std::to_string(code);
  const auto j = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() &&
      j["error"].contains("message") && j["error"]["message"].is_string()) {
    message = j["error"]["message"].get<std::string>();
  } else if (!response.body.empty() && response.body.size() < 512) {
    message += ": " + response.body;
  }
  message = std::string(context) + ": " + message;
  switch (code) {
    case 400:
    case 413:
    case 422:
    case 431:
      return Status::InvalidArgument(std::move(message));
    case 401:
    case 403:
      return Status::PermissionDenied(std::move(message));
    case 404:
      return Status::NotFound(std::move(message));
    case 409:
      return Status::AlreadyExists(std::move(message));
    case 429:
    case 502:
    case 503:
    case 504:
      return Status::Unavailable(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

}  // namespace cairn
