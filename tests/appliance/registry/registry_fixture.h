// Shared setup for the registry tests: a fresh catalog in a temp dir,
// migrated by Catalog::Open as the appliance does, and a Registry on it
// driven by a FakeClock.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "appliance/registry/registry.h"
#include "core/base/clock.h"
#include "core/catalog/catalog.h"
#include "tests/support/temp_dir.h"

namespace cairn {

// SHA-256 of nothing in particular: a well-formed CA pin for tokens.
inline const std::string kTestCaPin(64, 'c');

struct RegistryFixture {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Registry> registry;

  RegistryFixture() {
    auto catalog = Catalog::Open(db_path());
    INFO(catalog.status().ToString());
    REQUIRE(catalog.ok());
    registry = OpenAnother();
  }

  std::filesystem::path db_path() const { return dir.path() / "catalog.db"; }

  // A second, independent connection to the same catalog.
  std::unique_ptr<Registry> OpenAnother() {
    auto r = Registry::Open(db_path(), clock);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return std::move(r).value();
  }

  Registry::EnrollmentToken NewToken(const std::string& cluster,
                                     std::chrono::seconds ttl = std::chrono::hours(24)) {
    auto t = registry->CreateEnrollmentToken(cluster, ttl, kTestCaPin, "test");
    INFO(t.status().ToString());
    REQUIRE(t.ok());
    return *t;
  }
};

}  // namespace cairn
