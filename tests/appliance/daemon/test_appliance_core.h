// A real ApplianceCore over a fresh store and a fresh CA in `dir`, as first
// boot and `cairn-appliance run` build one, for tests that drive the
// daemon's routes in process. The CA is reachable as services().ca.
// Header-only (the test program globs *_test.cc). Not thread-safe.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>

#include "appliance/daemon/appliance_core.h"
#include "appliance/server/http_server.h"
#include "core/base/file_system.h"
#include "core/pki/certificate_authority.h"

namespace cairn::test {

// `config` is used as given, except that its state_dir is `dir` (routes that
// keep files there, such as the replicas peers push, stay inside the test).
inline std::unique_ptr<ApplianceCore> MakeTestApplianceCore(const std::filesystem::path& dir,
                                                            ApplianceConfig config = {}) {
  config.state_dir = dir;
  REQUIRE(Store::Init(DefaultFileSystem(), dir / "store", dir / "key", StoreOptions{}).ok());
  KeySource key;
  key.key_file = dir / "key";
  auto opened = Store::Open(DefaultFileSystem(), dir / "store", key);
  REQUIRE(opened.ok());
  auto material = pki::CreateCertificateAuthority("test CA", std::chrono::hours(24));
  REQUIRE(material.ok());
  auto ca = pki::CertificateAuthority::Load(material->cert_pem, material->key_pem);
  REQUIRE(ca.ok());
  auto created = ApplianceCore::Create(config, std::move(*opened), std::move(*ca));
  REQUIRE(created.ok());
  return std::move(*created);
}

// A listener on 127.0.0.1 port 0 with a server certificate `ca` issues for
// localhost / 127.0.0.1; with client_certs, it asks for (optional) client
// certificates of `ca`, as the daemon's ingest listener does.
inline ListenerOptions TestListenerOptions(const pki::CertificateAuthority& ca, std::string name,
                                           bool client_certs) {
  auto server_cert = ca.IssueServerCertificate("appliance", {"localhost"}, {"127.0.0.1"},
                                               std::chrono::hours(24));
  REQUIRE(server_cert.ok());
  ListenerOptions o;
  o.name = std::move(name);
  o.cert_chain_pem = server_cert->cert_pem + ca.cert_pem();
  o.key_pem = server_cert->key_pem;
  if (client_certs) {
    o.client_ca_pem = ca.cert_pem();
    o.client_auth = ClientAuth::kOptional;
  }
  return o;
}

}  // namespace cairn::test
