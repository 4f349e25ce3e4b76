// WebSocketClient: a blocking WebSocket (RFC 6455) client over TLS, for the
// agent's streaming calls to a Kubernetes API server (pod exec). Built on
// Boost.Beast's websocket stream over core/net's ConnectTls, so the server
// certificate is always verified against the given CA and an optional client
// certificate is offered (mTLS), exactly as HttpsClient does.
//
// Bounds: every network step (connect, TLS and upgrade handshakes, each
// write) is limited by options.timeout; each Read() by the deadline the
// caller passes; one message is at most options.max_message_bytes (a larger
// one fails the read and the connection). The upgrade response's body (a
// refusal such as 403 with a Status object) is kept, at most 64 KiB of it.
//
// Errors: network failures are Unavailable naming host:port and the step; an
// untrusted server certificate is PermissionDenied; a server that answers the
// upgrade with another HTTP status is PermissionDenied (401/403), NotFound
// (404) or InvalidArgument (400), else Unavailable, each carrying the status
// and the start of the body; a timeout is Unavailable saying so.
//
// Thread-safety: one thread at a time per client (it owns a private
// io_context and runs it inside each call).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/net/https_url.h"

namespace cairn {

struct WebSocketClientOptions {
  HttpsEndpoint endpoint;
  std::string target;           // origin-form request target: "/path?query"
  std::string ca_pem;           // trust anchor(s) for the server certificate; required
  std::string client_cert_pem;  // optional client certificate (mTLS) and ...
  std::string client_key_pem;   // ... its key; both or neither
  std::string server_name;      // name to verify instead of endpoint.host; "" = host
  // Extra request headers (e.g. Authorization). Names the handshake sets
  // itself (Host, Upgrade, Connection, Sec-WebSocket-*) are refused.
  std::vector<std::pair<std::string, std::string>> headers;
  // Offered in Sec-WebSocket-Protocol, most preferred first. When not empty
  // the server must pick one of them.
  std::vector<std::string> subprotocols;
  std::chrono::milliseconds timeout{30000};      // per network step, see above
  std::uint64_t max_message_bytes = 1ull << 20;  // one received message
};

struct WebSocketMessage {
  bool binary = false;
  std::string data;
};

class WebSocketClient {
 public:
  // Connects, verifies the server and performs the upgrade handshake.
  static Result<std::unique_ptr<WebSocketClient>> Connect(WebSocketClientOptions options);

  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // The subprotocol the server chose ("" when none was offered or chosen).
  const std::string& subprotocol() const;

  // The next data message (pings are answered, pongs dropped, as Beast
  // does). nullopt when the server closed the WebSocket (see close_reason()).
  // Unavailable when nothing completes a message before `deadline`; after
  // any error the connection is dropped and further reads fail.
  Result<std::optional<WebSocketMessage>> Read(std::chrono::steady_clock::time_point deadline);
  Status Write(std::string_view data, bool binary);

  // The server's close frame: code and reason ("1000 " for a normal close).
  std::string close_reason() const;

  // Sends a close frame and waits (bounded by the timeout) for the server's;
  // errors are dropped. Called by the destructor.
  void Close();

 private:
  // Beast types stay out of this header (see HttpsClient).
  struct State;
  explicit WebSocketClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cairn
