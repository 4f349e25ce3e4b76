#include "core/net/peer_chain.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <exception>
#include <memory>

#include "core/base/c_deleter.h"
#include "core/base/log.h"
#include "core/net/asio.h"
#include "core/net/tls_connect.h"

namespace cairn {
namespace {

using Bio = CHandle<BIO, BIO_free>;

Result<std::string> ToPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return Status::IoError("encode peer certificate as PEM: " + net_internal::DrainOpenSslErrors());
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return Status::IoError("encode peer certificate as PEM: empty");
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

Result<std::vector<std::string>> FetchPeerCertificateChain(const HttpsEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout) {
  if (endpoint.host.empty() || endpoint.port == 0) {
    return Status::InvalidArgument("fetch peer certificates: endpoint needs a host and a port");
  }
  if (timeout <= std::chrono::milliseconds::zero()) {
    return Status::InvalidArgument("fetch peer certificates: timeout must be positive");
  }
  try {
    asio::io_context io{1};
    CAIRN_ASSIGN_OR_RETURN(auto ctx, net_internal::NewTlsClientContext(/*verify_peer=*/false));
    // Empty verify_name: nothing is verified, on purpose (see the header).
    CAIRN_ASSIGN_OR_RETURN(auto stream,
                           net_internal::ConnectTls(io, *ctx, endpoint,
                                                    /*verify_name=*/"",
                                                    /*sni_name=*/endpoint.host, timeout));
    // For a client, OpenSSL's peer chain includes the leaf, in the order sent.
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(stream->native_handle());
    std::vector<std::string> pems;
    const int n = chain == nullptr ? 0 : sk_X509_num(chain);
    for (int i = 0; i < n; ++i) {
      CAIRN_ASSIGN_OR_RETURN(std::string pem, ToPem(sk_X509_value(chain, i)));
      pems.push_back(std::move(pem));
    }
    net_internal::ShutdownTls(io, *stream, std::min(timeout, std::chrono::milliseconds(1000)));
    stream.reset();  // before io and ctx, which it refers to
    if (pems.empty()) {
      return Status::IoError("fetch peer certificates from " + FormatHostPort(endpoint) +
                             ": the server sent no certificate");
    }
    Log(LogLevel::kDebug, "peer_chain_fetched",
        {{"peer", FormatHostPort(endpoint)}, {"certificates", pems.size()}});
    return pems;
  } catch (const std::exception& e) {
    return Status::IoError("fetch peer certificates from " + FormatHostPort(endpoint) + ": " +
                           e.what());
  }
}

}  // namespace cairn
