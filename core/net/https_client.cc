#include "core/net/https_client.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <limits>
#include <type_traits>

#include "core/base/c_deleter.h"
#include "core/base/log.h"
#include "core/net/asio.h"
#include "core/net/tls_connect.h"

namespace cairn {

using boost::system::error_code;
using net_internal::DrainOpenSslErrors;
using net_internal::LoadClientCertificate;
using net_internal::LoadTrustAnchors;
using net_internal::NetworkError;
using net_internal::RunUntilDone;
using net_internal::TlsStream;

namespace {

using Bio = CHandle<BIO, BIO_free>;
using X509Handle = CHandle<X509, X509_free>;

// Bytes read from the socket per body piece handed to a sink.
constexpr std::size_t kBodyPieceBytes = 64 * 1024;
// Close() waits at most this long for the server's close_notify.
constexpr std::chrono::milliseconds kMaxShutdownWait{1000};

std::string FormatBytes(std::uint64_t n) {
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= (1ull << 10) && n % (1ull << 10) == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

}  // namespace

namespace net_internal {  // declared in tls_connect.h: the WebSocket client shares them

// Loads every certificate in `pem` into the context's trust store. The CA
// must be given explicitly: the system trust store is never consulted, since
// the appliance's CA is private and no public CA should vouch for it.
Status LoadTrustAnchors(ssl::context& ctx, std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::IoError("load CA certificate: " + DrainOpenSslErrors());
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.native_handle());
  int count = 0;
  // Bounded by the PEM text: each iteration consumes one certificate.
  while (X509Handle cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      return Status::IoError("add CA certificate to the trust store: " + DrainOpenSslErrors());
    }
    ++count;
  }
  ERR_clear_error();  // the read that ended the loop left "no start line"
  if (count == 0) {
    return Status::InvalidArgument(
        "the CA certificate (ca_pem) contains no PEM certificate; pass the appliance's CA "
        "certificate (-----BEGIN CERTIFICATE-----)");
  }
  return Status::Ok();
}

Status LoadClientCertificate(ssl::context& ctx, std::string_view cert_pem,
                             std::string_view key_pem) {
  if (cert_pem.empty() != key_pem.empty()) {
    return Status::InvalidArgument(
        "a client certificate needs its private key and vice versa: give both or neither");
  }
  if (cert_pem.empty()) return Status::Ok();
  // Parsed here first so that a failure of use_private_key below can only
  // mean the key belongs to another certificate.
  {
    Bio bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
    CHandle<EVP_PKEY, EVP_PKEY_free> key(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) {
      ERR_clear_error();
      return Status::InvalidArgument("client private key is not a valid PEM private key");
    }
  }
  error_code ec;
  ctx.use_certificate_chain(asio::buffer(cert_pem.data(), cert_pem.size()), ec);
  if (ec) {
    ERR_clear_error();
    return Status::InvalidArgument("client certificate is not a valid PEM certificate: " +
                                   ec.message());
  }
  ctx.use_private_key(asio::buffer(key_pem.data(), key_pem.size()), ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(
        "client private key does not match the client certificate; give the key the "
        "certificate was issued for");
  }
  return Status::Ok();
}

}  // namespace net_internal

namespace {

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool HasControlChars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
}

std::string_view Std(beast::string_view s) { return {s.data(), s.size()}; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<http::request<http::string_body>> BuildRequest(const HttpsRequest& spec,
                                                      const HttpsEndpoint& endpoint) {
  if (!IsToken(spec.method)) {
    return Status::InvalidArgument("HTTP method '" + spec.method + "' is not a valid token");
  }
  if (spec.target.empty() || spec.target.front() != '/' ||
      std::any_of(spec.target.begin(), spec.target.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    return Status::InvalidArgument("request target '" + spec.target +
                                   "' must start with '/' and contain no spaces or control "
                                   "characters (percent-encode them)");
  }
  http::request<http::string_body> req;
  req.version(11);
  http::verb verb = http::string_to_verb(spec.method);
  if (verb == http::verb::unknown) {
    req.method_string(spec.method);
  } else {
    req.method(verb);
  }
  req.target(spec.target);
  // The Host header omits the default port, as browsers do.
  req.set(http::field::host, HostHeaderValue(endpoint));
  req.set(http::field::user_agent, "cairn");
  if (!spec.content_type.empty()) {
    if (HasControlChars(spec.content_type)) {
      return Status::InvalidArgument("content type contains control characters");
    }
    req.set(http::field::content_type, spec.content_type);
  }
  for (const auto& [name, value] : spec.headers) {
    if (!IsToken(name)) {
      return Status::InvalidArgument("header name '" + name + "' is not a valid token");
    }
    if (HasControlChars(value)) {
      return Status::InvalidArgument("value of header '" + name +
                                     "' contains control characters (CR/LF are not allowed)");
    }
    std::string lower = Lower(name);
    if (lower == "host" || lower == "content-length" || lower == "transfer-encoding") {
      return Status::InvalidArgument("header '" + name + "' is set by the client, not the caller");
    }
    req.set(name, value);
  }
  req.body() = spec.body;
  req.prepare_payload();
  return req;
}

}  // namespace

struct HttpsClient::State {
  HttpsClientOptions options;
  std::string verify_name;  // options.server_name, or endpoint.host
  // Declaration order is destruction order reversed: the stream uses the
  // context and the io_context, so it must go first.
  asio::io_context io{1};
  std::unique_ptr<ssl::context> ssl_ctx;            // null for plain HTTP
  std::unique_ptr<TlsStream> stream;                // null: not connected over TLS
  std::unique_ptr<beast::tcp_stream> plain_stream;  // null: not connected over plain HTTP
  beast::flat_buffer buffer;                        // bytes read past the last parsed response
  std::array<char, kBodyPieceBytes> piece;
};

Result<std::unique_ptr<HttpsClient>> HttpsClient::Create(HttpsClientOptions options) {
  if (options.endpoint.host.empty() || options.endpoint.port == 0) {
    return Status::InvalidArgument("HTTPS client needs a host and a port (see ParseHttpsUrl)");
  }
  if (options.endpoint.tls && options.ca_pem.empty() && !options.use_system_trust_store) {
    return Status::InvalidArgument(
        "HTTPS client needs the CA certificate that issued the server's certificate (ca_pem)");
  }
  if (!options.endpoint.tls && !options.client_cert_pem.empty()) {
    return Status::InvalidArgument("a client certificate needs an https:// endpoint");
  }
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return Status::InvalidArgument("HTTPS client timeout must be positive");
  }
  if (options.max_response_body == 0) {
    return Status::InvalidArgument("HTTPS client max_response_body must be positive");
  }
  std::unique_ptr<State> state;
  try {
    state = std::make_unique<State>();  // io_context may throw on resource exhaustion
  } catch (const std::exception& e) {
    return Status::IoError(std::string("create HTTPS client: ") + e.what());
  }
  if (options.endpoint.tls) {
    CAIRN_ASSIGN_OR_RETURN(state->ssl_ctx, net_internal::NewTlsClientContext(/*verify_peer=*/true));
    if (!options.ca_pem.empty()) {
      CAIRN_RETURN_IF_ERROR(LoadTrustAnchors(*state->ssl_ctx, options.ca_pem));
    }
    if (options.use_system_trust_store &&
        SSL_CTX_set_default_verify_paths(state->ssl_ctx->native_handle()) != 1) {
      return Status::IoError("load the system's CA certificates: " + DrainOpenSslErrors());
    }
    CAIRN_RETURN_IF_ERROR(
        LoadClientCertificate(*state->ssl_ctx, options.client_cert_pem, options.client_key_pem));
  }
  state->verify_name = options.server_name.empty() ? options.endpoint.host : options.server_name;
  state->options = std::move(options);
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(state)));
}

HttpsClient::HttpsClient(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpsClient::~HttpsClient() { Close(); }

const HttpsEndpoint& HttpsClient::endpoint() const { return state_->options.endpoint; }

void HttpsClient::Close() {
  if (!state_->stream) {
    Abandon();  // plain HTTP has no closing handshake
    return;
  }
  try {
    net_internal::ShutdownTls(state_->io, *state_->stream,
                              std::min(state_->options.timeout, kMaxShutdownWait));
  } catch (const std::exception&) {
    // Allocation failure inside Asio while closing: the socket is dropped
    // below either way.
  }
  Abandon();
}

void HttpsClient::Abandon() {
  error_code ignored;
  if (state_->stream) {
    beast::get_lowest_layer(*state_->stream).socket().close(ignored);
    state_->stream.reset();
  }
  if (state_->plain_stream) {
    state_->plain_stream->socket().close(ignored);
    state_->plain_stream.reset();
  }
  state_->buffer.clear();
}

Status HttpsClient::Connect() {
  const HttpsClientOptions& o = state_->options;
  HttpsEndpoint connect_to = o.endpoint;
  if (!o.connect_host.empty()) connect_to.host = o.connect_host;
  state_->buffer.clear();
  if (!o.endpoint.tls) {
    CAIRN_ASSIGN_OR_RETURN(state_->plain_stream,
                           net_internal::ConnectTcp(state_->io, connect_to, o.timeout));
    Log(LogLevel::kDebug, "https_connected",
        {{"peer", FormatHostPort(connect_to)}, {"tls", "none"}});
    return Status::Ok();
  }
  CAIRN_ASSIGN_OR_RETURN(state_->stream, net_internal::ConnectTls(state_->io, *state_->ssl_ctx,
                                                                  connect_to, state_->verify_name,
                                                                  state_->verify_name, o.timeout));
  Log(LogLevel::kDebug, "https_connected",
      {{"peer", FormatHostPort(connect_to)},
       {"tls", SSL_get_version(state_->stream->native_handle())}});
  return Status::Ok();
}

Result<HttpsResponse> HttpsClient::Send(const HttpsRequest& request) {
  std::string body;
  auto append = [&body](std::string_view piece) {
    body.append(piece);
    return Status::Ok();
  };
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse response, SendWithRetry(request, append, {}, true));
  response.body = std::move(body);
  return response;
}

Result<HttpsResponse> HttpsClient::SendStreaming(
    const HttpsRequest& request, const std::function<Status(std::string_view)>& on_body,
    const HeaderCheck& on_header) {
  return SendWithRetry(request, on_body, on_header, false);
}

namespace {

// One request/response exchange on an open connection (a TlsStream, or a
// beast::tcp_stream for plain HTTP). Sets `*stale` when the failure shows the
// server had closed the connection before reading the request (nothing of a
// response arrived).
template <typename Stream>
struct Exchange {
  asio::io_context& io;
  Stream& stream;
  beast::flat_buffer& buffer;
  std::array<char, kBodyPieceBytes>& piece;
  const HttpsClientOptions& options;
  bool limit_body;
  std::chrono::milliseconds response_timeout;  // for the response header

  Result<HttpsResponse> Run(http::request<http::string_body>& req,
                            const std::function<Status(std::string_view)>& on_body,
                            const HttpsClient::HeaderCheck& on_header, bool* stale,
                            bool* keep_alive) {
    const HttpsEndpoint& ep = options.endpoint;
    const std::string what_prefix =
        std::string(Std(req.method_string())) + " " + std::string(Std(req.target())) + ": ";
    {
      bool done = false;
      error_code result;
      beast::get_lowest_layer(stream).expires_after(options.timeout);
      http::async_write(stream, req, [&](const error_code& ec, std::size_t) {
        result = ec;
        done = true;
      });
      RunUntilDone(io, done);
      if (result) {
        *stale = net_internal::IsConnectionClosed(result);
        return NetworkError(what_prefix + "send request to", ep, result, options.timeout);
      }
    }

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    // Not boost::none for "no limit": Beast 1.74 compares the Content-Length
    // against the optional itself, and any value is greater than none.
    parser.body_limit(limit_body ? options.max_response_body
                                 : std::numeric_limits<std::uint64_t>::max());
    if (req.method() == http::verb::head) parser.skip(true);

    {
      bool done = false;
      error_code result;
      beast::get_lowest_layer(stream).expires_after(response_timeout);
      http::async_read_header(stream, buffer, parser, [&](const error_code& ec, std::size_t) {
        result = ec;
        done = true;
      });
      RunUntilDone(io, done);
      if (result) {
        *stale =
            net_internal::IsConnectionClosed(result) && !parser.got_some() && buffer.size() == 0;
        return ReadError(what_prefix + "read response header from", result);
      }
    }

    HttpsResponse response;
    const auto& header = parser.get();
    response.status = header.result_int();
    for (const auto& field : header) {
      std::string name = Lower(Std(field.name_string()));
      auto [it, inserted] = response.headers.emplace(name, std::string(Std(field.value())));
      if (!inserted) {
        it->second += ", ";
        it->second += Std(field.value());
      }
    }
    if (auto it = response.headers.find("content-type"); it != response.headers.end()) {
      response.content_type = it->second;
    }
    if (on_header) CAIRN_RETURN_IF_ERROR(on_header(response));

    // Bounded: each pass either consumes body bytes, ends the body, or fails
    // (a stalled server times out after options.timeout).
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      bool done = false;
      error_code result;
      beast::get_lowest_layer(stream).expires_after(options.timeout);
      http::async_read(stream, buffer, parser, [&](const error_code& ec, std::size_t) {
        result = ec;
        done = true;
      });
      RunUntilDone(io, done);
      if (result == http::error::need_buffer) result = {};
      if (result) return ReadError(what_prefix + "read response body from", result);
      std::size_t n = piece.size() - parser.get().body().size;
      if (n > 0) CAIRN_RETURN_IF_ERROR(on_body(std::string_view(piece.data(), n)));
    }
    beast::get_lowest_layer(stream).expires_never();
    *keep_alive = parser.keep_alive();
    return response;
  }

  Status ReadError(const std::string& what, const error_code& ec) {
    const HttpsEndpoint& ep = options.endpoint;
    if (ec == http::error::body_limit) {
      return Status::IoError(what + " " + FormatHostPort(ep) +
                             ": response body exceeds the limit of " +
                             FormatBytes(options.max_response_body) +
                             " (max_response_body); use a streaming download for large bodies");
    }
    if (ec == http::error::header_limit) {
      return Status::IoError(what + " " + FormatHostPort(ep) +
                             ": response header exceeds the limit of " +
                             FormatBytes(kMaxResponseHeaderBytes));
    }
    if (ec.category() == http::make_error_code(http::error::bad_field).category()) {
      return Status::IoError(what + " " + FormatHostPort(ep) +
                             ": malformed HTTP response: " + ec.message());
    }
    return NetworkError(what, ep, ec, options.timeout);
  }
};

}  // namespace

Result<HttpsResponse> HttpsClient::SendWithRetry(const HttpsRequest& spec, const BodySink& on_body,
                                                 const HeaderCheck& on_header, bool limit_body) {
  CAIRN_ASSIGN_OR_RETURN(auto req, BuildRequest(spec, state_->options.endpoint));
  // Exceptions do not escape: Beast reports expected failures through
  // error_code; what remains (bad_alloc) ends this request and the connection.
  try {
    // At most two attempts: the second only after a reused connection
    // proved to have been closed by the server while idle.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = state_->stream != nullptr || state_->plain_stream != nullptr;
      if (!reused) CAIRN_RETURN_IF_ERROR(Connect());
      bool stale = false;
      bool keep_alive = false;
      auto run = [&](auto& stream) {
        Exchange<std::remove_reference_t<decltype(stream)>> exchange{
            state_->io, stream, state_->buffer, state_->piece, state_->options, limit_body,
            spec.response_timeout > std::chrono::milliseconds::zero() ? spec.response_timeout
                                                                      : state_->options.timeout};
        return exchange.Run(req, on_body, on_header, &stale, &keep_alive);
      };
      Result<HttpsResponse> result =
          state_->stream ? run(*state_->stream) : run(*state_->plain_stream);
      if (result.ok()) {
        if (!keep_alive) Close();
        return result;
      }
      Abandon();
      if (!(stale && reused && attempt == 0)) return result;
      Log(LogLevel::kInfo, "https_reconnect",
          {{"peer", FormatHostPort(state_->options.endpoint)},
           {"reason", result.error().message()}});
    }
  } catch (const std::exception& e) {
    Abandon();
    return Status::IoError(std::string("HTTPS request to ") +
                           FormatHostPort(state_->options.endpoint) + ": " + e.what());
  }
  return Status::Unavailable("HTTPS request to " + FormatHostPort(state_->options.endpoint) +
                             ": connection closed twice");  // not reached: loop returns
}

}  // namespace cairn
