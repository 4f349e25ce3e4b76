// HttpsClient: a blocking HTTPS/1.1 client for the agent and the admin CLI
// talking to one appliance. One kept-alive TLS connection per client object,
// opened on first use; the server certificate is always verified against the
// configured CA and expected name; optional client certificate (mTLS).
//
// Every network step (connect, TLS handshake, writing the request, reading
// the response header, each read of the body) is bounded by
// options.timeout; a body read times out only when the server sends nothing
// for that long, so a large download is not cut off for being large.
//
// Errors: network failures (refused, reset, timed out, DNS) are Unavailable,
// which is retryable() for the caller's backoff, and name host:port and the
// step; a server certificate that fails verification, or the server refusing
// our client certificate, is PermissionDenied saying what to check; a bad
// request spec is InvalidArgument; a response over a limit is IoError naming
// the limit.
//
// Plain HTTP: an endpoint with tls == false (ParseHttpUrl, for S3 servers
// inside a site) is spoken to without TLS; everything else above holds.
//
// Thread-safety: a client is used by one thread at a time (it owns a private
// io_context and runs it inside each call). Separate clients are independent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/net/https_url.h"

namespace cairn {

struct HttpsClientOptions {
  HttpsEndpoint endpoint;
  std::string ca_pem;  // trust anchor(s) for the server certificate; required for
                       // TLS unless use_system_trust_store
  // Trust the system's CA store (OpenSSL's default paths) in addition to
  // ca_pem. Never for an appliance (its CA is private and pinned); for public
  // services such as AWS S3.
  bool use_system_trust_store = false;
  std::string client_cert_pem;  // optional client certificate chain (mTLS), leaf first ...
  std::string client_key_pem;   // ... and its private key; both or neither
  std::string server_name;      // name the server certificate must carry; empty: endpoint.host
                                // (an IP literal is matched against the IP SANs)
  // Connect to this host instead of endpoint.host (as curl --connect-to);
  // the Host header and the certificate check still use endpoint.host.
  // Empty: endpoint.host.
  std::string connect_host;
  std::chrono::milliseconds timeout{30000};       // per network step, see above
  std::uint64_t max_response_body = 64ull << 20;  // Send() refuses larger bodies
};

struct HttpsResponse {
  unsigned status = 0;
  std::string body;          // empty for SendStreaming
  std::string content_type;  // the Content-Type header, "" when absent
  // Header names lowercased; a repeated header's values joined with ", ".
  std::map<std::string, std::string> headers;
};

struct HttpsRequest {
  std::string method = "GET";
  std::string target;        // origin-form: "/api/v1/..." (must start with '/')
  std::string body;          // sent with Content-Length (none for an empty GET/HEAD)
  std::string content_type;  // sent as Content-Type when not empty
  // Extra headers. Host, Content-Length and Transfer-Encoding are the
  // client's to set and are refused here.
  std::vector<std::pair<std::string, std::string>> headers;
  // How long the server may think before its response header arrives; 0:
  // options.timeout. For requests whose answer waits on purpose (a commit
  // held until a synchronous replication target has the snapshot).
  std::chrono::milliseconds response_timeout{0};
};

// Response headers larger than this are refused (the parser's header_limit).
inline constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

class HttpsClient {
 public:
  // Validates the options and loads the CA and client certificate; does not
  // connect. InvalidArgument when the CA is missing or unparsable, only one
  // of client cert/key is given, they do not match, or a limit is zero.
  static Result<std::unique_ptr<HttpsClient>> Create(HttpsClientOptions options);

  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Sends one request on the kept-alive connection, connecting (TCP + TLS
  // with verification) when there is none, and reads the whole response
  // (body at most max_response_body bytes). If a reused connection turns out
  // to have been closed by the server while idle (EOF or reset while writing,
  // or before the first response byte), reconnects once and resends: the
  // server cannot have acted on a request it never read. A fresh connection
  // failing that way is not retried. Any other failure closes the connection;
  // the next call opens a new one.
  Result<HttpsResponse> Send(const HttpsRequest& request);

  // As Send, but the body is handed to `on_body` piece by piece as it
  // arrives (chunked or Content-Length), for downloads too large to hold,
  // e.g. a tar stream. No total size limit applies here: `on_body` bounds
  // what it accepts. An error from `on_body` is returned as is and closes the
  // connection. The returned response's body is empty.
  // `on_header`, when given, sees the status and headers before any body
  // byte is read (e.g. to refuse a Content-Length over a limit); an error
  // from it is returned as is and closes the connection.
  using HeaderCheck = std::function<Status(const HttpsResponse& head)>;
  Result<HttpsResponse> SendStreaming(const HttpsRequest& request,
                                      const std::function<Status(std::string_view)>& on_body,
                                      const HeaderCheck& on_header = {});

  // Closes the connection (TLS close_notify, bounded by the timeout, then the
  // socket). The client stays usable: the next Send reconnects.
  void Close();

  const HttpsEndpoint& endpoint() const;

 private:
  // Asio/Beast types stay out of this header so the agent and CLI do not
  // compile all of Boost.Asio for every includer.
  struct State;
  explicit HttpsClient(std::unique_ptr<State> state);

  using BodySink = std::function<Status(std::string_view)>;
  Result<HttpsResponse> SendWithRetry(const HttpsRequest& request, const BodySink& on_body,
                                      const HeaderCheck& on_header, bool limit_body);
  Status Connect();
  // Drops the connection without a TLS shutdown (after an error the stream
  // cannot be trusted to complete one).
  void Abandon();

  std::unique_ptr<State> state_;
};

}  // namespace cairn
