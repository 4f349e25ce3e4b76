// A fresh appliance made around a store re-seeded from a replica
// (`cairn-appliance init --adopt-store`).
#include "appliance/daemon/first_boot.h"
#include "appliance/daemon/pki_files.h"
#include "sync/recovery/replica_reseed.h"
#include "tests/sync/recovery/recovery_test_util.h"

namespace cairn {
namespace {

ApplianceConfig ConfigAround(const fs::path& state, const fs::path& store, const fs::path& key) {
  ApplianceConfig config;
  config.state_dir = state;
  config.store_dir = store;
  config.key_file = key;
  config.pki_dir = state / "pki";
  return config;
}

TEST_CASE(
    "Appliance init adopts a re-seeded store only when asked and only once its key file "
    "opens it",
    "[integration]") {
  ReplicaFixture f;
  f.BackUpSampleAndReplicate(61);
  auto reseeded = ReseedStore(DefaultFileSystem(), f.Request(), PullOptions{});
  REQUIRE(reseeded.ok());
  REQUIRE(reseeded->second.complete());
  reseeded->first.reset();
  const fs::path state = f.tmp.path() / "appliance";

  // The old behaviour: a store there is refused.
  auto refused = InitAppliance(ConfigAround(state, f.attached, f.new_key));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().IsAlreadyExists());
  CHECK_THAT(refused.error().message(), Catch::Contains("--adopt-store"));
  CHECK_FALSE(PkiExists(state / "pki"));

  // A key file of another store: refused, nothing made. (The old site's key
  // file would open it: the replica's config keeps its key slot.)
  FirstBootOptions adopt;
  adopt.adopt_store = true;
  StoreFixture other;
  auto wrong_key = InitAppliance(ConfigAround(state, f.attached, other.key), adopt);
  REQUIRE_FALSE(wrong_key.ok());
  CHECK(wrong_key.error().IsPermissionDenied());
  CHECK_FALSE(PkiExists(state / "pki"));

  auto adopted = InitAppliance(ConfigAround(state, f.attached, f.new_key), adopt);
  REQUIRE(adopted.ok());
  CHECK(adopted->adopted_store);
  CHECK(adopted->store_id == f.store->config().StoreIdHex());
  CHECK_FALSE(adopted->admin_token.empty());
  CHECK(PkiExists(state / "pki"));
  auto store = Store::Open(DefaultFileSystem(), f.attached, KeySource{f.new_key, std::nullopt});
  REQUIRE(store.ok());
  auto snapshots = (*store)->catalog().ListSnapshots();
  REQUIRE(snapshots.ok());
  CHECK(snapshots->size() == 1);  // the snapshots are the appliance's now

  // Twice: the CA is there now.
  auto twice = InitAppliance(ConfigAround(state, f.attached, f.new_key), adopt);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().IsAlreadyExists());
}

}  // namespace
}  // namespace cairn
