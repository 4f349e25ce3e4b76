#include "core/net/websocket_client.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/net/asio.h"
#include "core/net/tls_connect.h"

namespace cairn {

using boost::system::error_code;
using net_internal::NetworkError;
using net_internal::RunUntilDone;
using net_internal::TlsStream;
namespace websocket = boost::beast::websocket;

namespace {

// Kept of a refused upgrade's body, for the error message.
constexpr std::size_t kMaxRefusalBody = 64 * 1024;
constexpr std::size_t kRefusalInMessage = 512;
constexpr std::chrono::milliseconds kMaxCloseWait{2000};
constexpr std::size_t kReadPiece = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool HasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

Status CheckOptions(const WebSocketClientOptions& o) {
  if (o.endpoint.host.empty() || o.endpoint.port == 0) {
    return Status::InvalidArgument("WebSocket client needs a host and a port");
  }
  if (o.ca_pem.empty()) {
    return Status::InvalidArgument(
        "WebSocket client needs the CA certificate that issued the server's certificate");
  }
  if (o.timeout <= std::chrono::milliseconds::zero() || o.max_message_bytes == 0) {
    return Status::InvalidArgument("WebSocket client timeout and message limit must be positive");
  }
  if (o.target.empty() || o.target.front() != '/' ||
      std::any_of(o.target.begin(), o.target.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    return Status::InvalidArgument("WebSocket target '" + o.target +
                                   "' must start with '/' and contain no spaces or control "
                                   "characters (percent-encode them)");
  }
  for (const auto& [name, value] : o.headers) {
    std::string lower = Lower(name);
    if (name.empty() || HasControlChars(name) || HasControlChars(value) ||
        name.find_first_of(" :") != std::string::npos) {
      return Status::InvalidArgument("WebSocket request header '" + name + "' is malformed");
    }
    if (lower == "host" || lower == "upgrade" || lower == "connection" ||
        lower.rfind("sec-websocket-", 0) == 0) {
      return Status::InvalidArgument("WebSocket request header '" + name +
                                     "' is set by the handshake, not the caller");
    }
  }
  for (const std::string& p : o.subprotocols) {
    if (p.empty() || HasControlChars(p) || p.find_first_of(" ,") != std::string::npos) {
      return Status::InvalidArgument("WebSocket subprotocol '" + p + "' is malformed");
    }
  }
  return Status::Ok();
}

// The server answered the upgrade with an HTTP status other than 101.
Status RefusedUpgrade(const WebSocketClientOptions& o, const websocket::response_type& res) {
  std::string body = res.body().substr(0, kRefusalInMessage);
  std::string msg = "WebSocket upgrade " + o.target + " at " + FormatHostPort(o.endpoint) +
                    " refused with HTTP " + std::to_string(res.result_int());
  if (!body.empty()) msg += ": " + body;
  switch (res.result_int()) {
    case 401:
    case 403:
      return Status::PermissionDenied(msg + " (check the credentials and their permissions)");
    case 404:
      return Status::NotFound(std::move(msg));
    case 400:
      return Status::InvalidArgument(std::move(msg));
    default:
      return Status::Unavailable(std::move(msg));
  }
}

}  // namespace

struct WebSocketClient::State {
  WebSocketClientOptions options;
  // Destruction order: the stream refers to the context and the io_context.
  asio::io_context io{1};
  std::unique_ptr<ssl::context> ssl_ctx;
  std::unique_ptr<websocket::stream<TlsStream>> ws;  // null once dropped
  std::string subprotocol;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(*ws); }
  void Drop() {
    if (!ws) return;
    error_code ignored;
    tcp().socket().close(ignored);
    ws.reset();
  }
};

Result<std::unique_ptr<WebSocketClient>> WebSocketClient::Connect(WebSocketClientOptions options) {
  CAIRN_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<State> state;
  try {
    state = std::make_unique<State>();
  } catch (const std::exception& e) {
    return Status::IoError(std::string("create WebSocket client: ") + e.what());
  }
  CAIRN_ASSIGN_OR_RETURN(state->ssl_ctx, net_internal::NewTlsClientContext(/*verify_peer=*/true));
  CAIRN_RETURN_IF_ERROR(net_internal::LoadTrustAnchors(*state->ssl_ctx, options.ca_pem));
  CAIRN_RETURN_IF_ERROR(net_internal::LoadClientCertificate(
      *state->ssl_ctx, options.client_cert_pem, options.client_key_pem));
  const std::string verify_name =
      options.server_name.empty() ? options.endpoint.host : options.server_name;
  CAIRN_ASSIGN_OR_RETURN(auto tls,
                         net_internal::ConnectTls(state->io, *state->ssl_ctx, options.endpoint,
                                                  verify_name, verify_name, options.timeout));
  const WebSocketClientOptions& o = options;
  websocket::response_type res;
  error_code result;
  try {
    state->ws = std::make_unique<websocket::stream<TlsStream>>(std::move(*tls));
    auto& ws = *state->ws;
    // Unlimited for Beast: Read() enforces max_message_bytes itself, because
    // Beast's own limit fails the read with the TLS teardown's error instead
    // of saying the message was too big.
    ws.read_message_max(0);
    ws.auto_fragment(false);
    ws.set_option(websocket::stream_base::decorator([&o](websocket::request_type& req) {
      req.set(http::field::user_agent, "cairn");
      for (const auto& [name, value] : o.headers) req.set(name, value);
      if (!o.subprotocols.empty()) {
        std::string offered;
        for (const std::string& p : o.subprotocols) {
          if (!offered.empty()) offered += ", ";
          offered += p;
        }
        req.set(http::field::sec_websocket_protocol, offered);
      }
    }));
    std::string host = FormatHostPort(o.endpoint);
    if (o.endpoint.port == kDefaultHttpsPort) host.resize(host.rfind(':'));
    bool done = false;
    state->tcp().expires_after(o.timeout);
    ws.async_handshake(res, host, o.target, [&](const error_code& ec) {
      result = ec;
      done = true;
    });
    RunUntilDone(state->io, done);
  } catch (const std::exception& e) {
    return Status::IoError(std::string("WebSocket handshake: ") + e.what());
  }
  if (result == websocket::error::upgrade_declined ||
      (result && res.result_int() != 0 && res.result() != http::status::switching_protocols)) {
    if (res.body().size() > kMaxRefusalBody) res.body().resize(kMaxRefusalBody);
    return RefusedUpgrade(o, res);
  }
  if (result) {
    return NetworkError("WebSocket handshake " + o.target + " with", o.endpoint, result,
                        o.timeout);
  }
  state->tcp().expires_never();
  auto chosen = res.find(http::field::sec_websocket_protocol);
  if (chosen != res.end()) state->subprotocol = std::string(chosen->value());
  if (!o.subprotocols.empty() &&
      std::find(o.subprotocols.begin(), o.subprotocols.end(), state->subprotocol) ==
          o.subprotocols.end()) {
    return Status::InvalidArgument("WebSocket server at " + FormatHostPort(o.endpoint) +
                                   " chose subprotocol '" + state->subprotocol +
                                   "', none of those offered");
  }
  state->options = std::move(options);
  return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(state)));
}

WebSocketClient::WebSocketClient(std::unique_ptr<State> state) : state_(std::move(state)) {}

WebSocketClient::~WebSocketClient() { Close(); }

const std::string& WebSocketClient::subprotocol() const { return state_->subprotocol; }

std::string WebSocketClient::close_reason() const {
  if (!state_->ws) return "";
  const websocket::close_reason& r = state_->ws->reason();
  return std::to_string(r.code) + " " + std::string(r.reason.data(), r.reason.size());
}

Result<std::optional<WebSocketMessage>> WebSocketClient::Read(
    std::chrono::steady_clock::time_point deadline) {
  State& s = *state_;
  if (!s.ws || !s.ws->is_open()) return Status::Unavailable("WebSocket connection is closed");
  const HttpsEndpoint& ep = s.options.endpoint;
  const std::uint64_t max = s.options.max_message_bytes;
  WebSocketMessage msg;
  // One frame piece per pass; the size check below ends the loop within
  // max / kReadPiece + 1 passes, the deadline within its time.
  do {
    bool done = false;
    error_code result;
    s.buffer.clear();
    try {
      s.tcp().expires_at(deadline);
      s.ws->async_read_some(s.buffer, kReadPiece, [&](const error_code& ec, std::size_t) {
        result = ec;
        done = true;
      });
      RunUntilDone(s.io, done);
    } catch (const std::exception& e) {
      s.Drop();
      return Status::IoError(std::string("WebSocket read: ") + e.what());
    }
    if (result == websocket::error::closed) {
      // Closed cleanly: keep the stream (for close_reason) but never use it again.
      error_code ignored;
      s.tcp().socket().close(ignored);
      return std::optional<WebSocketMessage>();
    }
    if (result) {
      s.Drop();
      if (result == beast::error::timeout) {
        return Status::Unavailable("WebSocket read from " + FormatHostPort(ep) +
                                   ": nothing arrived before the deadline");
      }
      return NetworkError("WebSocket read from", ep, result, s.options.timeout);
    }
    msg.data += beast::buffers_to_string(s.buffer.data());
    if (msg.data.size() > max) {
      // Dropped rather than closed politely: the rest of the message is
      // still on its way and would have to be read to reach a close frame.
      s.Drop();
      return Status::IoError("WebSocket message from " + FormatHostPort(ep) + " exceeds " +
                             std::to_string(max) + " bytes");
    }
  } while (!s.ws->is_message_done());
  s.tcp().expires_never();
  msg.binary = s.ws->got_binary();
  s.buffer.clear();
  return std::optional<WebSocketMessage>(std::move(msg));
}

Status WebSocketClient::Write(std::string_view data, bool binary) {
  State& s = *state_;
  if (!s.ws || !s.ws->is_open()) return Status::Unavailable("WebSocket connection is closed");
  bool done = false;
  error_code result;
  try {
    s.ws->binary(binary);
    s.tcp().expires_after(s.options.timeout);
    s.ws->async_write(asio::buffer(data.data(), data.size()),
                      [&](const error_code& ec, std::size_t) {
                        result = ec;
                        done = true;
                      });
    RunUntilDone(s.io, done);
  } catch (const std::exception& e) {
    s.Drop();
    return Status::IoError(std::string("WebSocket write: ") + e.what());
  }
  if (result) {
    s.Drop();
    return NetworkError("WebSocket write to", s.options.endpoint, result, s.options.timeout);
  }
  s.tcp().expires_never();
  return Status::Ok();
}

void WebSocketClient::Close() {
  State& s = *state_;
  if (!s.ws) return;
  if (s.ws->is_open()) {
    bool done = false;
    try {
      s.tcp().expires_after(std::min(s.options.timeout, kMaxCloseWait));
      s.ws->async_close(websocket::close_code::normal, [&](const error_code&) { done = true; });
      RunUntilDone(s.io, done);
    } catch (const std::exception&) {
      // Dropped below either way.
    }
  }
  s.Drop();
}

}  // namespace cairn
