// Fuzz target: the kubeconfig reader (agent/kube/kube_config.h), yaml-cpp
// underneath. A kubeconfig is written by whoever set up the cluster and is
// mounted into the agent; a malformed one must be refused with a message,
// never crash the agent or throw past LoadKubeconfig.
//
// The input is written to <scratch>/kube/config beside a PEM file (ca.crt)
// and a token file (token), so seeds that name files relative to the
// kubeconfig reach the file-reading paths too.
// Oracles: an accepted config has a server URL that ParseKubeServerUrl
// takes, a CA, and a client certificate and key both or neither.
#include <cstddef>
#include <cstdint>
#include <fstream>

#include "agent/kube/kube_config.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

const std::filesystem::path& KubeDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = cairn::fuzz::ScratchDir() / "kube";
    std::filesystem::create_directories(d);
    std::ofstream(d / "ca.crt") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(d / "token") << "  eyJhbGciOiJSUzI1NiJ9.fuzz  \n";
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  const std::filesystem::path path = KubeDir() / "config";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  for (const char* context : {"", "edge"}) {
    Result<kube::KubeConfig> config = kube::LoadKubeconfig(path, context);
    fuzz::Debug(std::string("kubeconfig, context '") + context + "'", config.status());
    if (!config.ok()) {
      CAIRN_FUZZ_CHECK(config.error().IsInvalidArgument() || config.error().IsNotFound(),
                       config.error().ToString());
      continue;
    }
    auto url = kube::ParseKubeServerUrl(config->server);
    CAIRN_FUZZ_CHECK(url.ok(), "accepted server does not parse: " + config->server);
    CAIRN_FUZZ_CHECK(!config->ca_pem.empty(), "accepted without a CA");
    CAIRN_FUZZ_CHECK(config->client_cert_pem.empty() == config->client_key_pem.empty(),
                     "a client certificate without its key, or the reverse");
  }
  return 0;
}
