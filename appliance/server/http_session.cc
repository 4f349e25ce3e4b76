#include "appliance/server/http_session.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <string_view>

#include "appliance/server/peer_identity.h"
#include "core/base/log.h"

namespace cairn::server_internal {
namespace {

using boost::system::error_code;

// Streamed pieces are written as chunks of at most this size, each with its
// own idle_timeout deadline, so a slow but moving reader is not cut off.
constexpr std::size_t kMaxChunkBytes = 256 << 10;
// Bounds on the polite endings (close_notify; draining unread request bytes).
constexpr std::chrono::milliseconds kMaxCloseTime{2000};
constexpr std::size_t kMaxLingerBytes = 1 << 20;

std::string ToStd(beast::string_view v) { return std::string(v.data(), v.size()); }

// A parse error in the client's bytes (answered 400), as opposed to the
// stream ending or failing (nothing to answer).
bool IsMalformed(const error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_target).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::buffer_overflow &&
         ec != http::error::header_limit && ec != http::error::body_limit;
}

// Runs on the worker pool (co_spawned there): the handler may block.
asio::awaitable<HttpResponse> InvokeHandler(const HttpHandler* handler, HttpRequest request,
                                            std::string listener) {
  std::string failure;
  try {
    co_return (*handler)(request);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  Log(LogLevel::kError, "http.handler_exception",
           {{"listener", listener},
            {"method", ToStd(http::to_string(request.method))},
            {"path", request.path},
            {"what", failure}});
  co_return ErrorResponse(500, "internal",
                          "the server failed while handling this request; the details are in "
                          "the appliance log");
}

// One streamed piece, or why there is none. Default-constructible as co_spawn
// of awaitable<T> needs; Result<std::string> is not.
struct StreamPiece {
  bool failed = false;
  std::string data;   // empty: end of body
  std::string error;  // when failed
};

// Runs on the worker pool (co_spawned there).
asio::awaitable<StreamPiece> NextPiece(std::function<Result<std::string>()>* producer) {
  StreamPiece piece;
  try {
    Result<std::string> r = (*producer)();
    if (r.ok()) {
      piece.data = std::move(*r);
    } else {
      piece.failed = true;
      piece.error = r.error().ToString();
    }
  } catch (const std::exception& e) {
    piece.failed = true;
    piece.error = std::string("exception: ") + e.what();
  } catch (...) {
    piece.failed = true;
    piece.error = "unknown exception";
  }
  co_return piece;
}

}  // namespace

HttpSession::HttpSession(std::shared_ptr<ServerState> server, tcp::socket socket)
    : server_(std::move(server)), stream_(beast::tcp_stream(std::move(socket)), *server_->tls) {
  error_code ec;
  tcp::endpoint ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (!ec) {
    remote_ip_ = ep.address().to_string();
    remote_ = (ep.address().is_v6() ? "[" + remote_ip_ + "]" : remote_ip_) + ":" +
              std::to_string(ep.port());
  }
}

void HttpSession::Abort() { beast::get_lowest_layer(stream_).close(); }

asio::awaitable<void> HttpSession::Run(std::shared_ptr<HttpSession> self) {
  if (!co_await self->Handshake()) {
    self->Abort();
    co_return;
  }
  Next next = Next::kKeepAlive;
  while (next == Next::kKeepAlive) {  // one iteration per request; each bounded by timeouts
    self->busy_ = false;
    if (self->server_->closing) {
      next = Next::kClose;
      break;
    }
    next = co_await self->ServeOne();
  }
  self->busy_ = false;
  co_await self->Close(next);
}

asio::awaitable<bool> HttpSession::Handshake() {
  beast::get_lowest_layer(stream_).expires_after(server_->options.handshake_timeout);
  error_code ec;
  co_await stream_.async_handshake(ssl::stream_base::server,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    if (!server_->closing) {  // connections cut by Stop are not handshake failures
      ++server_->stats.tls_handshake_failures;
      Log(LogLevel::kInfo, "http.tls_handshake_failed",
               {{"listener", server_->options.name}, {"remote", remote_}, {"error", ec.message()}});
    }
    co_return false;
  }
  peer_ = PeerIdentityFromSsl(stream_.native_handle());
  co_return true;
}

asio::awaitable<HttpSession::Next> HttpSession::ServeOne() {
  const ListenerOptions& options = server_->options;
  head_.emplace();
  body_.reset();
  head_->header_limit(options.header_limit_bytes);
  // No limit here: the route's limit is checked below. Not boost::none, which
  // Beast 1.74 compares as `len > none` (always true), refusing every body.
  head_->body_limit(std::numeric_limits<std::uint64_t>::max());
  error_code ec;
  beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
  std::size_t n = co_await http::async_read_header(stream_, buffer_, *head_,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  server_->stats.bytes_received += n;
  busy_ = true;
  if (ec == http::error::header_limit) {
    HttpResponse r = ErrorResponse(431, "header_too_large",
                                   "the request line and headers exceed " +
                                       std::to_string(options.header_limit_bytes) + " bytes");
    co_return co_await Respond(std::move(r), 11, false, true);
  }
  if (ec && IsMalformed(ec)) {
    HttpResponse r = ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message());
    co_return co_await Respond(std::move(r), 11, false, true);
  }
  if (ec == http::error::end_of_stream) co_return Next::kClose;  // client said goodbye
  if (ec) co_return Next::kAbort;  // timeout, reset, truncation, or closed by Stop

  // Valid until ReadBody moves head_ into body_; read everything needed first.
  http::request<http::empty_body>& msg = head_->get();
  const unsigned version = msg.version();
  const bool keep_alive = msg.keep_alive();
  const bool body_unread = !head_->is_done();
  HttpRequest request;
  request.method = msg.method();
  request.target = ToStd(msg.target());
  std::pair<std::string_view, std::string_view> split = SplitTarget(request.target);
  request.path = std::string(split.first);
  request.peer = peer_;
  request.remote_address = remote_ip_;

  Router::Match match = server_->router.Find(request.method, request.path);
  if (match.handler == nullptr) {
    HttpResponse r;
    if (match.error_status == 405) {
      r = ErrorResponse(405, "method_not_allowed",
                        ToStd(http::to_string(request.method)) + " is not allowed on " +
                            request.path + "; allowed: " + match.allow);
      r.headers.emplace_back("Allow", match.allow);
    } else {
      r = ErrorResponse(404, "not_found", "no such resource: " + request.path);
    }
    co_return co_await Respond(std::move(r), version, keep_alive, body_unread);
  }
  Result<std::map<std::string, std::string>> query = ParseQuery(split.second);
  if (!query.ok()) {
    HttpResponse r = ErrorResponse(query.error());
    co_return co_await Respond(std::move(r), version, keep_alive, body_unread);
  }
  request.query = std::move(*query);
  request.params = std::move(match.params);

  if (body_unread) {
    Next read = co_await ReadBody(match.options.max_body_bytes, version);
    if (read != Next::kKeepAlive) co_return read;
    request.body = std::move(body_->get().body());
    request.headers = std::move(static_cast<http::fields&>(body_->get()));
  } else {
    request.headers = std::move(static_cast<http::fields&>(msg));
  }

  // co_spawn, not `co_await post(workers)`: a coroutine resumes on its own
  // executor, so a post there would come straight back to the I/O thread.
  // (Operands are named first, as GCC 12 mishandles some temporaries in
  // co_await expressions.)
  asio::awaitable<HttpResponse> call =
      InvokeHandler(match.handler, std::move(request), options.name);
  HttpResponse response = co_await asio::co_spawn(server_->workers.get_executor(), std::move(call),
                                                  asio::use_awaitable);
  co_return co_await Respond(std::move(response), version, keep_alive, false);
}

asio::awaitable<HttpSession::Next> HttpSession::ReadBody(std::uint64_t max_body_bytes,
                                                         unsigned version) {
  const ListenerOptions& options = server_->options;
  std::optional<std::uint64_t> length;
  if (boost::optional<std::uint64_t> cl = head_->content_length()) length = *cl;
  if (length && *length > max_body_bytes) {
    HttpResponse r = ErrorResponse(413, "body_too_large",
                                   "the request body of " + std::to_string(*length) +
                                       " bytes exceeds this resource's limit of " +
                                       std::to_string(max_body_bytes) + " bytes");
    co_return co_await Respond(std::move(r), version, false, true);
  }
  error_code ec;
  // Clients that wait for "100 Continue" (curl, for bodies over 1 KiB) would
  // otherwise pause a second before sending the body.
  if (beast::iequals(head_->get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> cont{http::status::continue_, version};
    beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
    co_await http::async_write(stream_, cont, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Next::kAbort;
  }
  body_.emplace(std::move(*head_));
  body_->body_limit(max_body_bytes);  // enforces the limit for chunked bodies too
  while (!body_->is_done()) {         // each pass parses at least one byte or fails
    beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
    std::size_t n = co_await http::async_read_some(stream_, buffer_, *body_,
                                                   asio::redirect_error(asio::use_awaitable, ec));
    server_->stats.bytes_received += n;
    if (ec == http::error::body_limit) {
      HttpResponse r = ErrorResponse(413, "body_too_large",
                                     "the request body exceeds this resource's limit of " +
                                         std::to_string(max_body_bytes) + " bytes");
      co_return co_await Respond(std::move(r), version, false, true);
    }
    if (ec && IsMalformed(ec)) {
      HttpResponse r = ErrorResponse(400, "bad_request", "malformed request body: " + ec.message());
      co_return co_await Respond(std::move(r), version, false, true);
    }
    if (ec) co_return Next::kAbort;
  }
  co_return Next::kKeepAlive;
}

void HttpSession::CountResponse(unsigned status) {
  ListenerStats& stats = server_->stats;
  ++stats.requests_total;
  if (status >= 400 && status < 500) ++stats.responses_4xx;
  if (status >= 500) ++stats.responses_5xx;
}

asio::awaitable<HttpSession::Next> HttpSession::Respond(HttpResponse response, unsigned version,
                                                        bool keep_alive, bool body_unread) {
  keep_alive = keep_alive && !body_unread && !server_->closing;
  if (response.status < 200 || response.status > 599) {
    Log(LogLevel::kError, "http.bad_status",
             {{"listener", server_->options.name}, {"status", std::to_string(response.status)}});
    response = ErrorResponse(500, "internal", "the server produced an invalid answer");
  }
  if (response.stream && version < 11) {
    response = ErrorResponse(505, "http_version_not_supported",
                             "this resource is streamed and needs HTTP/1.1");
  }
  if (response.status == 204 || response.status == 304) {
    // These never carry a body; Beast's prepare_payload would throw on one.
    response.body.clear();
    response.stream = nullptr;
  }
  CountResponse(response.status);
  if (response.stream) co_return co_await WriteStreamed(std::move(response), version, keep_alive);

  http::response<http::string_body> res;
  res.version(version);
  res.result(response.status);
  if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
  for (const std::pair<std::string, std::string>& h : response.headers) {
    res.insert(h.first, h.second);
  }
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  http::response_serializer<http::string_body> serializer{res};
  error_code ec;
  while (!serializer.is_done()) {  // each pass writes at least one byte or fails
    beast::get_lowest_layer(stream_).expires_after(server_->options.idle_timeout);
    std::size_t n = co_await http::async_write_some(stream_, serializer,
                                                    asio::redirect_error(asio::use_awaitable, ec));
    server_->stats.bytes_sent += n;
    if (ec) co_return Next::kAbort;
  }
  if (body_unread) co_return Next::kLingerClose;
  co_return keep_alive ? Next::kKeepAlive : Next::kClose;
}

asio::awaitable<HttpSession::Next> HttpSession::WriteStreamed(HttpResponse response,
                                                              unsigned version, bool keep_alive) {
  const ListenerOptions& options = server_->options;
  http::response<http::empty_body> res;
  res.version(version);
  res.result(response.status);
  if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
  for (const std::pair<std::string, std::string>& h : response.headers) {
    res.insert(h.first, h.second);
  }
  res.keep_alive(keep_alive);
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  error_code ec;
  beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
  std::size_t n = co_await http::async_write_header(stream_, serializer,
                                                    asio::redirect_error(asio::use_awaitable, ec));
  server_->stats.bytes_sent += n;
  if (ec) co_return Next::kAbort;

  std::function<Result<std::string>()>* producer = &response.stream;  // lives in this frame
  for (;;) {  // ends on the empty piece, an error, or a failed write
    asio::awaitable<StreamPiece> next = NextPiece(producer);
    StreamPiece piece = co_await asio::co_spawn(server_->workers.get_executor(), std::move(next),
                                                asio::use_awaitable);
    if (piece.failed) {
      // Abort without the last chunk: the client must see a truncated body.
      Log(LogLevel::kError, "http.stream_failed",
               {{"listener", options.name}, {"remote", remote_}, {"error", piece.error}});
      co_return Next::kAbort;
    }
    if (piece.data.empty()) break;
    for (std::size_t off = 0; off < piece.data.size(); off += kMaxChunkBytes) {
      std::size_t len = std::min(kMaxChunkBytes, piece.data.size() - off);
      auto chunk = http::make_chunk(asio::const_buffer(piece.data.data() + off, len));
      beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
      n = co_await asio::async_write(stream_, chunk, asio::redirect_error(asio::use_awaitable, ec));
      server_->stats.bytes_sent += n;
      if (ec) co_return Next::kAbort;
    }
  }
  auto last = http::make_chunk_last();
  beast::get_lowest_layer(stream_).expires_after(options.idle_timeout);
  n = co_await asio::async_write(stream_, last, asio::redirect_error(asio::use_awaitable, ec));
  server_->stats.bytes_sent += n;
  if (ec) co_return Next::kAbort;
  co_return keep_alive ? Next::kKeepAlive : Next::kClose;
}

asio::awaitable<void> HttpSession::Close(Next how) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream_);
  std::chrono::milliseconds limit = std::min(server_->options.idle_timeout, kMaxCloseTime);
  error_code ec;
  if (how == Next::kClose) {
    // Send our close_notify but do not wait for the client's: marking it as
    // received makes SSL_shutdown complete once ours is written. Waiting
    // would let an idle client hold the connection (and Stop) open.
    SSL* ssl = stream_.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    tcp.expires_after(limit);
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  } else if (how == Next::kLingerClose) {
    // Closing with unread bytes would send a TCP reset, and the client could
    // lose our answer (413/431/400) before reading it; half-close and drain
    // instead, bounded in time and bytes. TLS is abandoned here: the answer
    // carried its own length.
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp.expires_after(limit);
    std::array<char, 16384> scratch;
    std::size_t drained = 0;
    while (!ec && drained < kMaxLingerBytes) {
      drained += co_await tcp.async_read_some(asio::buffer(scratch),
                                              asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  tcp.close();
}

}  // namespace cairn::server_internal
