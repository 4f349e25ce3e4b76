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
#include "core/base/file_system.h"
#include "core/pki/certificate_authority.h"

namespace cairn::test {

inline std::unique_ptr<ApplianceCore> MakeTestApplianceCore(const std::filesystem::path& dir) {
  REQUIRE(Store::Init(DefaultFileSystem(), dir / "store", dir / "key", StoreOptions{}).ok());
  KeySource key;
  key.key_file = dir / "key";
  auto opened = Store::Open(DefaultFileSystem(), dir / "store", key);
  REQUIRE(opened.ok());
  auto material = pki::CreateCertificateAuthority("test CA", std::chrono::hours(24));
  REQUIRE(material.ok());
  auto ca = pki::CertificateAuthority::Load(material->cert_pem, material->key_pem);
  REQUIRE(ca.ok());
  auto created = ApplianceCore::Create(ApplianceConfig{}, std::move(*opened), std::move(*ca));
  REQUIRE(created.ok());
  return std::move(*created);
}

}  // namespace cairn::test
