#include "appliance/server/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include "core/base/c_deleter.h"

namespace cairn {
namespace {

using Bio = CHandle<BIO, BIO_free>;
using X509Handle = CHandle<X509, X509_free>;

// OpenSSL's error queue is per thread; a stale entry left here would be read
// by the next SSL call on this thread as if it were its own failure.
struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

// An encrypted key fails to load instead of OpenSSL's default callback
// prompting for a passphrase on the daemon's terminal.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

std::string OpensslReason(const boost::system::error_code& ec) {
  std::string m = ec.message();
  return m.empty() ? "unreadable" : m;
}

// Adds every certificate in `pem` to the verify store and to the CA names
// sent to clients. Counts them in *count.
Status AddClientCas(SSL_CTX* ctx, std::string_view pem, int* count) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return Status::IoError("client CA: out of memory");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  *count = 0;
  for (;;) {
    X509Handle cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;  // end of data, or garbage: told apart below
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      return Status::InvalidArgument("client CA certificate " + std::to_string(*count + 1) +
                                     " could not be added to the trust store");
    }
    if (SSL_CTX_add_client_CA(ctx, cert.get()) != 1) {
      return Status::InvalidArgument("client CA certificate " + std::to_string(*count + 1) +
                                     " has no usable subject name");
    }
    ++*count;
  }
  // PEM_read_bio_X509 ends with "no start line" at the end of good data; any
  // other reason means a broken certificate block.
  unsigned long err = ERR_peek_last_error();
  if (err != 0 &&
      !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    return Status::InvalidArgument("client CA PEM: certificate " + std::to_string(*count + 1) +
                                   " is not valid: " + buf);
  }
  return Status::Ok();
}

}  // namespace

Result<ssl::context> MakeTlsServerContext(const TlsServerConfig& config) {
  ClearErrorsOnExit clear_errors;
  ERR_clear_error();
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return Status::IoError("TLS: cannot set minimum protocol version 1.2");
  }
  // Client-initiated renegotiation is a cheap CPU DoS and nothing needs it.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);

  if (config.cert_chain_pem.empty()) {
    return Status::InvalidArgument("server certificate chain is empty (give cert_chain_pem)");
  }
  boost::system::error_code ec;
  ctx.use_certificate_chain(
      asio::buffer(config.cert_chain_pem.data(), config.cert_chain_pem.size()), ec);
  if (ec) {
    return Status::InvalidArgument("server certificate chain is not a valid PEM certificate: " +
                                   OpensslReason(ec));
  }
  if (config.key_pem.empty()) {
    return Status::InvalidArgument("server private key is empty (give key_pem)");
  }
  // Parsed here rather than by use_private_key so that "not a key" and "not
  // this certificate's key" (OpenSSL checks both in one call) read apart.
  Bio key_bio(BIO_new_mem_buf(config.key_pem.data(), static_cast<int>(config.key_pem.size())));
  if (key_bio == nullptr) return Status::IoError("server private key: out of memory");
  CHandle<EVP_PKEY, EVP_PKEY_free> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassword, nullptr));
  if (key == nullptr) {
    return Status::InvalidArgument("server private key is not a valid unencrypted PEM private key");
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument(
        "server private key does not match the server certificate (the first PEM block of the "
        "chain must be the key's certificate)");
  }

  if (config.client_auth != ClientAuth::kNone) {
    int count = 0;
    Status s = AddClientCas(native, config.client_ca_pem, &count);
    if (!s.ok()) return s;
    if (count == 0) {
      return Status::InvalidArgument(
          "client certificates are asked for but client_ca_pem holds no certificate");
    }
    int mode = SSL_VERIFY_PEER;
    if (config.client_auth == ClientAuth::kRequired) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(native, mode, nullptr);
    SSL_CTX_set_verify_depth(native, 4);
  }
  // Without a session id context, OpenSSL refuses to resume sessions of a
  // context that verifies peers (and fails those handshakes outright).
  std::size_t sid_len =
      std::min<std::size_t>(config.session_id_context.size(), SSL_MAX_SID_CTX_LENGTH);
  if (SSL_CTX_set_session_id_context(
          native, reinterpret_cast<const unsigned char*>(config.session_id_context.data()),
          static_cast<unsigned int>(sid_len)) != 1) {
    return Status::IoError("TLS: cannot set the session id context");
  }
  return Result<ssl::context>(std::move(ctx));
}

}  // namespace cairn
