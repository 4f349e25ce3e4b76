// A blocking TLS test client on a plain POSIX socket + OpenSSL, so tests can
// send any bytes at all (malformed requests, half a header) and see exactly
// how the server ends a connection. Responses are parsed with Beast's parser,
// which tells a complete chunked body from a truncated one. Every read is
// bounded by SO_RCVTIMEO. Header-only (the test program globs *_test.cc).
// Not thread-safe: one client per thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/net/asio.h"
#include "tests/appliance/server/test_certs.h"

namespace cairn::test {

// Connects a bare TCP socket to 127.0.0.1:port; returns 0 or the errno.
inline int TryTcpConnect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

struct ClientResponse {
  bool complete = false;  // a whole response was parsed
  std::string error;      // why not
  unsigned status = 0;
  http::fields headers;
  std::string body;
  std::string header(std::string_view name) const {
    auto it = headers.find(beast::string_view(name.data(), name.size()));
    return it == headers.end() ? "" : std::string(it->value().data(), it->value().size());
  }
};

class TestTlsClient {
 public:
  enum class ReadEnd { kData, kCleanClose, kTruncated, kReset, kTimeout, kError };

  // trust_pem: CA that must have signed the server's certificate (checked
  // with IP 127.0.0.1). cert/key: optional client certificate.
  explicit TestTlsClient(const std::string& trust_pem, const TestCert* client_cert = nullptr,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000))
      : timeout_(timeout) {
    // OpenSSL writes to the socket with write(2): a server that already
    // closed (the very thing some tests provoke) would kill the test process
    // with SIGPIPE instead of failing the write. The server itself needs no
    // such help (Asio sends with MSG_NOSIGNAL).
    ::signal(SIGPIPE, SIG_IGN);
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    REQUIRE(ctx_ != nullptr);
    BioPtr bio(BIO_new_mem_buf(trust_pem.data(), static_cast<int>(trust_pem.size())));
    X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    REQUIRE(ca != nullptr);
    REQUIRE(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_.get()), ca.get()) == 1);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (client_cert != nullptr) {
      REQUIRE(SSL_CTX_use_certificate(ctx_.get(), client_cert->cert.get()) == 1);
      REQUIRE(SSL_CTX_use_PrivateKey(ctx_.get(), client_cert->key.get()) == 1);
    }
  }
  ~TestTlsClient() { Close(); }
  TestTlsClient(const TestTlsClient&) = delete;
  TestTlsClient& operator=(const TestTlsClient&) = delete;

  // TCP connect + TLS handshake. False (with *error) when either fails.
  bool Connect(std::uint16_t port, std::string* error = nullptr) {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    SetTimeout(timeout_);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      if (error != nullptr) *error = std::string("connect: ") + std::strerror(errno);
      return false;
    }
    ssl_.reset(SSL_new(ctx_.get()));
    REQUIRE(ssl_ != nullptr);
    REQUIRE(X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), "127.0.0.1") == 1);
    REQUIRE(SSL_set_fd(ssl_.get(), fd_) == 1);
    ERR_clear_error();
    if (SSL_connect(ssl_.get()) != 1) {
      if (error != nullptr) *error = "handshake: " + LastSslError();
      return false;
    }
    return true;
  }

  bool Send(std::string_view bytes) {
    REQUIRE(ssl_ != nullptr);
    while (!bytes.empty()) {
      ERR_clear_error();
      int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length, chunked, or until close).
  ClientResponse ReadResponse(std::uint64_t body_limit = 64 << 20) {
    ClientResponse out;
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(body_limit);
    auto deadline = std::chrono::steady_clock::now() + 4 * timeout_;
    for (;;) {  // bounded by the deadline and the body limit
      if (!pending_.empty()) {
        boost::system::error_code ec;
        std::size_t used = parser.put(asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != http::error::need_more) {
          out.error = "parse: " + ec.message();
          return out;
        }
        if (parser.is_done()) break;
        if (used > 0 && !pending_.empty() && !ec) continue;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        out.error = "deadline";
        return out;
      }
      ReadEnd end = ReadMore();
      if (end != ReadEnd::kData) {
        boost::system::error_code ec;
        if (parser.got_some()) parser.put_eof(ec);
        if (!parser.is_done() || ec) {
          out.error = "connection ended (" + std::string(Name(end)) + ") before the response did";
          return out;
        }
        break;
      }
    }
    out.complete = true;
    out.status = parser.get().result_int();
    out.headers = static_cast<const http::fields&>(parser.get());
    out.body = std::move(parser.get().body());
    return out;
  }

  ClientResponse Request(std::string_view raw) {
    if (!Send(raw)) {
      ClientResponse r;
      r.error = "send failed";
      return r;
    }
    return ReadResponse();
  }

  // Reads (and drops) until the server ends the connection; how it ended, or
  // kTimeout when it is still open after `max`.
  ReadEnd WaitClosed(std::chrono::milliseconds max) {
    auto deadline = std::chrono::steady_clock::now() + max;
    pending_.clear();
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      SetTimeout(std::max(left, std::chrono::milliseconds(1)));
      ReadEnd end = ReadMore();
      pending_.clear();
      if (end != ReadEnd::kData && end != ReadEnd::kTimeout) {
        SetTimeout(timeout_);
        return end;
      }
    }
    SetTimeout(timeout_);
    return ReadEnd::kTimeout;
  }

  // Application bytes received over this client's life (all connections).
  std::uint64_t bytes_read() const { return bytes_read_; }

  void Close() {
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pending_.clear();
  }

  static const char* Name(ReadEnd e) {
    switch (e) {
      case ReadEnd::kData:
        return "data";
      case ReadEnd::kCleanClose:
        return "close_notify";
      case ReadEnd::kTruncated:
        return "eof without close_notify";
      case ReadEnd::kReset:
        return "reset";
      case ReadEnd::kTimeout:
        return "timeout";
      case ReadEnd::kError:
        return "error";
    }
    return "?";
  }

 private:
  static std::string LastSslError() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "no OpenSSL error (" + std::string(std::strerror(errno)) + ")";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
  }

  void SetTimeout(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
  }

  ReadEnd ReadMore() {
    if (ssl_ == nullptr) return ReadEnd::kError;
    char buf[16384];
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(ssl_.get(), buf, sizeof(buf));
    if (n > 0) {
      bytes_read_ += static_cast<std::size_t>(n);
      pending_.append(buf, static_cast<std::size_t>(n));
      return ReadEnd::kData;
    }
    int err = SSL_get_error(ssl_.get(), n);
    int sys = errno;
    if (err == SSL_ERROR_ZERO_RETURN) return ReadEnd::kCleanClose;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return ReadEnd::kTimeout;
    if (err == SSL_ERROR_SYSCALL) {
      if (sys == EAGAIN || sys == EWOULDBLOCK) return ReadEnd::kTimeout;
      if (sys == ECONNRESET || sys == EPIPE) return ReadEnd::kReset;
      return sys == 0 ? ReadEnd::kTruncated : ReadEnd::kError;
    }
    unsigned long e = ERR_peek_error();
    if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return ReadEnd::kTruncated;
    return ReadEnd::kError;
  }

  std::chrono::milliseconds timeout_;
  CHandle<SSL_CTX, SSL_CTX_free> ctx_;
  CHandle<SSL, SSL_free> ssl_;
  int fd_ = -1;
  std::string pending_;  // received, not yet parsed
  std::uint64_t bytes_read_ = 0;
};

}  // namespace cairn::test
