// The client side of CONVENTIONS.md's one Status <-> HTTP mapping: turns an
// error response of a Cairn API ({"error":{"code":..,"message":..}}) back
// into a Status, so a refusal reaches the user as the server worded it.
#pragma once

#include <string_view>

#include "core/base/status.h"
#include "core/net/https_client.h"

namespace cairn {

// Ok for 2xx. Otherwise 400 InvalidArgument, 401/403 PermissionDenied,
// 404 NotFound, 409 AlreadyExists, 413/431 InvalidArgument, 429/502/503/504
// Unavailable (retryable), other 5xx IoError; the message is the server's
// (or the status line when the body is not a Cairn error), prefixed by
// `context`.
Status StatusFromResponse(const HttpsResponse& response, std::string_view context);

}  // namespace cairn
