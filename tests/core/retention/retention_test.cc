// Retention: policies, plans, prune, snapshot deletion (crash-safe) and
// retention locks -- against a real store on disk.
#include <catch2/catch.hpp>

#include "core/base/fault_injection_fs.h"
#include "core/base/utc_time.h"
#include "core/catalog/sqlite_statement.h"
#include "core/engine/catalog_rebuild.h"
#include "core/engine/verify.h"
#include "core/retention/prune.h"
#include "core/retention/retention_plan.h"
#include "core/retention/retention_policies.h"
#include "core/retention/snapshot_deleter.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {
namespace {

constexpr std::int64_t kHour = 3600 * kNanosPerSecond;
constexpr std::int64_t kDay = 24 * kHour;

SnapshotRecord At(std::string id, std::int64_t created) {
  SnapshotRecord r;
  r.id = std::move(id);
  r.name = "n";
  r.created_unix_ns = created;
  return r;
}

RetentionPolicy Policy(const char* json_text) {
  auto p = RetentionPolicy::FromJson(nlohmann::json::parse(json_text));
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

std::vector<std::string> Kept(const std::vector<RetentionDecision>& plan) {
  std::vector<std::string> ids;
  for (const auto& d : plan) {
    if (d.keep) ids.push_back(d.snapshot.id);
  }
  return ids;
}

// A store with `count` snapshots of one small tree, one per backup.
struct RetentionFixture : StoreFixture {
  std::unique_ptr<Store> store = Open();
  std::vector<std::string> ids;

  void BackupTimes(int count) {
    if (!fs::exists(src)) MakeSampleTree(src, 100);
    for (int i = 0; i < count; ++i) {
      // One file changes per backup: each snapshot has chunks of its own.
      WriteSeededFile(src / "changing.bin", 300 << 10, 1000 + static_cast<std::uint64_t>(i));
      auto r = Backup(*store, src);
      REQUIRE(r.ok());
      ids.push_back(r->snapshot_id);
    }
  }
  std::vector<SnapshotRecord> Listed() {
    auto list = store->catalog().ListSnapshots();
    REQUIRE(list.ok());
    return *list;
  }
};

}  // namespace

TEST_CASE("Retention policy: JSON round trip, and bad policies are refused with the field named",
          "[unit]") {
  RetentionPolicy p = Policy(R"({"keep_last": 3, "keep_daily": 7, "min_age": "1d", "lock_for": "30d"})");
  CHECK(p.keep_last == 3);
  CHECK(p.keep_daily == 7);
  CHECK(p.min_age_ns == kDay);
  CHECK(p.lock_for_ns == 30 * kDay);
  CHECK(*RetentionPolicy::FromJson(p.ToJson()) == p);
  CHECK(p.Describe() == "last 3, daily 7, min age 1d, lock 30d");
  for (const char* bad : {R"({})", R"({"keep_daly": 3})", R"({"keep_last": -1})",
                          R"({"keep_last": "3"})", R"({"keep_last": 1, "min_age": "soon"})",
                          R"({"min_age": "1d"})", R"([1])"}) {
    INFO(bad);
    auto r = RetentionPolicy::FromJson(nlohmann::json::parse(bad));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
  }
  auto unknown = RetentionPolicy::FromJson(nlohmann::json::parse(R"({"keep_daly": 3})"));
  CHECK_THAT(unknown.error().message(), Catch::Contains("keep_daly"));
  auto empty = RetentionPolicy::FromJson(nlohmann::json::parse(R"({"min_age": "1d"})"));
  CHECK_THAT(empty.error().message(), Catch::Contains("keeps nothing"));
}

TEST_CASE("Retention plan: keep-last, daily and weekly keep the newest of each period, with reasons",
          "[unit]") {
  // 2026-11-02 is a Monday. Snapshots every 12 hours over 10 days.
  const std::int64_t base = *ParseUtc("2026-11-02T06:00:00Z");
  std::vector<SnapshotRecord> group;
  for (int i = 0; i < 20; ++i) group.push_back(At("s" + std::to_string(i), base + i * 12 * kHour));
  const std::int64_t now = base + 20 * 12 * kHour;

  auto last = PlanRetention(group, Policy(R"({"keep_last": 2})"), now);
  CHECK(Kept(last) == std::vector<std::string>{"s19", "s18"});
  CHECK(last[0].reasons == std::vector<std::string>{"last 1"});
  CHECK(last[5].reasons == std::vector<std::string>{"no rule keeps it"});

  // Daily 3: the newest of 11-11, 11-10, 11-09 (s19 at 11-11 18:00, s17, s15).
  auto daily = PlanRetention(group, Policy(R"({"keep_daily": 3})"), now);
  CHECK(Kept(daily) == std::vector<std::string>{"s19", "s17", "s15"});
  CHECK(daily[0].reasons == std::vector<std::string>{"daily 2026-11-11"});

  // Weekly 2: ISO weeks 46 (11-09..) and 45 (11-02..11-08: newest s13 at 11-08 18:00).
  auto weekly = PlanRetention(group, Policy(R"({"keep_weekly": 2})"), now);
  CHECK(Kept(weekly) == std::vector<std::string>{"s19", "s13"});

  // Rules add up; min age keeps the young; a lock keeps the locked.
  group[0].lock_until_unix_ns = now + kDay;
  auto combined =
      PlanRetention(group, Policy(R"({"keep_last": 1, "keep_weekly": 2, "min_age": "1d"})"), now);
  CHECK(Kept(combined) == std::vector<std::string>{"s19", "s13", "s0"});
  CHECK_THAT(combined.back().reasons.front(), Catch::StartsWith("locked until 2026-11-1"));
  // s19 is 12 h old: kept by three reasons; s18, a day old, by none.
  CHECK(combined[0].reasons ==
        std::vector<std::string>{"last 1", "weekly 2026-W46", "younger than min age 1d"});
  CHECK(combined[1].reasons == std::vector<std::string>{"no rule keeps it"});
}

TEST_CASE("Prune: a preview deletes nothing; a prune deletes what no rule keeps and the rest "
          "still restores", "[integration]") {
  RetentionFixture f;
  f.BackupTimes(4);
  // No policy: everything is kept.
  auto none = RunPrune(*f.store, DirectCatalogAccess(f.store->catalog()), {}, 0);
  REQUIRE(none.ok());
  CHECK(none->deleted == 0);
  CHECK(none->kept == 4);

  RetentionPolicies table(f.store->catalog().db());
  REQUIRE(table.Set({"", "", Policy(R"({"keep_last": 2})"), 1, "test"}).ok());
  const std::int64_t now = DefaultClock().NowUnixNanos();
  PruneOptions preview;
  preview.dry_run = true;
  auto planned = RunPrune(*f.store, DirectCatalogAccess(f.store->catalog()), preview, now);
  REQUIRE(planned.ok());
  CHECK(planned->would_delete == 2);
  CHECK(planned->deleted == 0);
  CHECK(f.Listed().size() == 4);

  auto pruned = RunPrune(*f.store, DirectCatalogAccess(f.store->catalog()), {}, now);
  REQUIRE(pruned.ok());
  CHECK(pruned->deleted == 2);
  CHECK(pruned->errors.empty());
  auto left = f.Listed();
  REQUIRE(left.size() == 2);
  CHECK(left[0].id == f.ids[2]);
  CHECK(left[1].id == f.ids[3]);
  auto files = f.store->ListManifestFiles();
  REQUIRE(files.ok());
  CHECK(files->size() == 2);
  auto verified = RunVerify(*f.store, 2);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  TempDir out;
  REQUIRE(StoreFixture::Restore(*f.store, f.ids[3], out.path() / "r").ok());
}

TEST_CASE("Retention lock: a locked snapshot cannot be deleted or its lock shortened; the manifest "
          "lock counts even when the catalog row says otherwise", "[integration]") {
  RetentionFixture f;
  f.BackupTimes(2);
  const std::int64_t now = DefaultClock().NowUnixNanos();
  const SnapshotRecord first = f.Listed()[0];
  auto access = DirectCatalogAccess(f.store->catalog());
  auto until = ExtendSnapshotLock(*f.store, access, first, now + 10 * kDay, now);
  REQUIRE(until.ok());
  CHECK(*until == now + 10 * kDay);
  CHECK(f.Listed()[0].lock_until_unix_ns == now + 10 * kDay);

  Status del = DeleteSnapshot(*f.store, access, f.Listed()[0], now);
  CHECK(del.IsPermissionDenied());
  CHECK_THAT(del.message(), Catch::Contains("locked until"));
  auto shorter = ExtendSnapshotLock(*f.store, access, first, now + kDay, now);
  REQUIRE_FALSE(shorter.ok());
  CHECK(shorter.error().IsPermissionDenied());
  CHECK_FALSE(ExtendSnapshotLock(*f.store, access, first, now - kDay, now).ok());

  // Tamper with the catalog: the row no longer shows the lock. The manifest
  // still does, and deletion is still refused.
  REQUIRE(f.store->catalog().db().Exec("UPDATE snapshots SET lock_until_unix_ns = 0").ok());
  CHECK(DeleteSnapshot(*f.store, access, f.Listed()[0], now).IsPermissionDenied());
  // After the lock, it can go; a prune keeps it while locked.
  REQUIRE(f.store->catalog().db().Exec("UPDATE snapshots SET lock_until_unix_ns = " +
                                       std::to_string(now + 10 * kDay) + " WHERE id = '" +
                                       first.id + "'")
              .ok());
  RetentionPolicies(f.store->catalog().db())
      .Set({"", "", Policy(R"({"keep_last": 1})"), 1, "t"})
      .IgnoreError();
  auto pruned = RunPrune(*f.store, access, {}, now);
  REQUIRE(pruned.ok());
  CHECK(pruned->deleted == 0);
  CHECK(f.Listed().size() == 2);
  CHECK(DeleteSnapshot(*f.store, access, f.Listed()[0], now + 11 * kDay).ok());
  CHECK(f.Listed().size() == 1);
}

TEST_CASE("Retention lock: a policy's lock_for locks new snapshots at commit, in the manifest",
          "[integration]") {
  RetentionFixture f;
  REQUIRE(RetentionPolicies(f.store->catalog().db())
              .Set({"", "", Policy(R"({"keep_last": 5, "lock_for": "7d"})"), 1, "t"})
              .ok());
  f.BackupTimes(1);
  const SnapshotRecord s = f.Listed()[0];
  CHECK(s.lock_until_unix_ns == s.created_unix_ns + 7 * kDay);
  auto m = f.store->ReadManifest(s.name, s.id);
  REQUIRE(m.ok());
  CHECK(m->lock_until_unix_ns == s.lock_until_unix_ns);
}

TEST_CASE("Catalog rebuild: snapshot list, refcounts and locks equal those before the SQLite file "
          "was lost", "[integration]") {
  RetentionFixture f;
  f.BackupTimes(3);
  const std::int64_t now = DefaultClock().NowUnixNanos();
  auto access = DirectCatalogAccess(f.store->catalog());
  REQUIRE(ExtendSnapshotLock(*f.store, access, f.Listed()[1], now + 3 * kDay, now).ok());
  REQUIRE(DeleteSnapshot(*f.store, access, f.Listed()[0], now).ok());
  auto snapshots_before = f.Listed();
  auto dump = [](Store& s) {
    std::vector<std::pair<std::string, std::int64_t>> rows;
    auto stmt = s.catalog().db().Prepare("SELECT hex(id), refcount FROM chunks ORDER BY id");
    REQUIRE(stmt.ok());
    while (*stmt->Step()) rows.emplace_back(stmt->ColumnText(0), stmt->ColumnInt64(1));
    return rows;
  };
  // Chunks the deleted snapshot alone used keep a 0 refcount until garbage
  // collection; a rebuilt catalog indexes only what manifests name.
  REQUIRE(f.store->catalog().db().Exec("DELETE FROM chunks WHERE refcount = 0").ok());
  auto chunks_before = dump(*f.store);
  f.store.reset();
  fs::remove(f.dir / "catalog.db");
  auto reopened = Store::Open(DefaultFileSystem(), f.dir, KeySource{f.key, std::nullopt}, true);
  REQUIRE(reopened.ok());
  auto report = RebuildCatalog(**reopened);
  REQUIRE(report.ok());
  CHECK(report->snapshots == 2);
  auto snapshots_after = (*reopened)->catalog().ListSnapshots();
  REQUIRE(snapshots_after.ok());
  REQUIRE(snapshots_after->size() == snapshots_before.size());
  for (std::size_t i = 0; i < snapshots_before.size(); ++i) {
    const SnapshotRecord& a = (*snapshots_after)[i];
    const SnapshotRecord& b = snapshots_before[i];
    INFO("snapshot " << b.id << " manifest_bytes " << a.manifest_bytes << " vs " << b.manifest_bytes
                     << ", bytes_new " << a.bytes_new << " vs " << b.bytes_new << ", chunks "
                     << a.chunk_count << " vs " << b.chunk_count << ", lock "
                     << a.lock_until_unix_ns << " vs " << b.lock_until_unix_ns);
    CHECK(a == b);
  }
  CHECK((*snapshots_after)[0].lock_until_unix_ns == now + 3 * kDay);
  CHECK(dump(**reopened) == chunks_before);
}

TEST_CASE("Snapshot deletion: failing each file operation in turn, then crashing, leaves the "
          "snapshot whole or gone -- never half -- and the next prune finishes it",
          "[integration]") {
  for (int n = 0;; ++n) {
    INFO("fail after " << n);
    RetentionFixture f;
    f.BackupTimes(2);
    const SnapshotRecord victim = f.Listed()[0];
    const SnapshotRecord other = f.Listed()[1];
    f.store.reset();
    FaultInjectionFs faulty(DefaultFileSystem());
    bool done = false;
    {
      auto store = f.Open(faulty);
      faulty.FailAfter(n);
      Status st = DeleteSnapshot(*store, DirectCatalogAccess(store->catalog()), victim,
                                 DefaultClock().NowUnixNanos());
      done = st.ok();
      REQUIRE(faulty.SimulateCrash().ok());
    }
    auto store = f.Open();
    auto listed = store->catalog().ListSnapshots();
    REQUIRE(listed.ok());
    // The other snapshot is untouched whatever happened.
    REQUIRE_FALSE(listed->empty());
    CHECK(listed->back().id == other.id);
    auto finished = FinishInterruptedDeletions(*store, DirectCatalogAccess(store->catalog()));
    REQUIRE(finished.ok());
    listed = store->catalog().ListSnapshots();
    REQUIRE(listed.ok());
    auto files = store->ListManifestFiles();
    REQUIRE(files.ok());
    CHECK(files->size() == listed->size());
    auto marked = store->catalog().SnapshotsBeingDeleted();
    REQUIRE(marked.ok());
    CHECK(marked->empty());
    auto verified = RunVerify(*store, 2);
    REQUIRE(verified.ok());
    CHECK(verified->sound());
    if (done) {
      CHECK(listed->size() == 1);
      break;
    }
    REQUIRE(n < 100);
  }
}

}  // namespace cairn
