#include "core/scrub/scrub.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <unordered_set>

#include "core/scrub/quarantine.h"
#include "core/scrub/scrub_catalog.h"
#include "core/store/chunk_reader.h"

namespace cairn {
namespace {

constexpr std::int64_t kNanosPerDay = 86'400'000'000'000;
// MarkVerified rows per catalog call: in the appliance each call holds the
// catalog lock, which backups wait on; a million rows at once would hold it
// for seconds.
constexpr std::size_t kMarkBatch = 20'000;

using SnapshotNames = std::vector<std::pair<std::string, std::string>>;  // (name, id)

// Pass 1: the manifests, and the distinct chunks they name.
struct Referenced {
  std::vector<ChunkId> chunks;
  SnapshotNames readable;
};

Referenced ReadManifests(Store& store, const std::vector<SnapshotRecord>& snapshots,
                         ScrubReport& report, JobProgress* progress) {
  Referenced out;
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  for (const SnapshotRecord& snap : snapshots) {
    auto m = store.ReadManifest(snap.name, snap.id);
    if (progress) progress->Add(progress->entries, 1);
    if (!m.ok()) {
      report.damaged_manifests.push_back(snap.name + "/" + snap.id + ": " + m.error().ToString());
      continue;
    }
    out.readable.emplace_back(snap.name, snap.id);
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) {
        if (seen.insert(s.id).second) out.chunks.push_back(s.id);
      }
    }
  }
  return out;
}

// Tries each member of `heal` until one's copy proves; writes it and reads
// it back. Every refusal is recorded in c.heal_attempts.
void HealChunk(Store& store, ChunkReader& reader, ChunkHealSource& heal, ScrubbedChunk& c) {
  const ChunkId& id = c.damage.id;
  for (ChunkHealSource* source : heal.Members()) {
    const std::string name = source->name();
    auto fetched = source->FetchSealedChunk(id);
    if (!fetched.ok()) {
      c.heal_attempts.push_back(name + ": " + fetched.error().ToString());
      continue;
    }
    if (!fetched->has_value()) {
      c.heal_attempts.push_back(name + ": does not hold the chunk");
      continue;
    }
    const Bytes& sealed = **fetched;
    if (sealed.size() > Store::kMaxSealedChunkBytes) {
      c.heal_attempts.push_back(name + ": refused, " + std::to_string(sealed.size()) +
                                " bytes is larger than any chunk");
      continue;
    }
    // The proof: the copy must open under this store's data key with the
    // chunk id as associated data and hash back to the id. A replica that
    // lies, or holds another store's chunk, stops here.
    auto proven = reader.Open(id, sealed);
    if (!proven.ok()) {
      c.heal_attempts.push_back(name +
                                ": refused, its copy does not prove: " + proven.error().ToString());
      continue;
    }
    auto written = store.WriteChunk(id, sealed);
    Status s = written.ok() ? store.CommitChunks() : written.error();
    if (s.ok()) {
      auto back = reader.Read(id);
      if (!back.ok()) s = back.error().WithContext("read back after healing");
    }
    if (!s.ok()) {
      // Our own disk failed: another source's copy would fare no better.
      c.heal_attempts.push_back(name + ": proven, but writing it failed: " + s.ToString());
      return;
    }
    c.healed_from = name;
    return;
  }
}

// One snapshot_checks row per readable snapshot, from who uses the damage.
std::vector<SnapshotCheck> SnapshotChecks(const SnapshotNames& readable,
                                          const std::vector<SnapshotRecord>& snapshots,
                                          const ScrubReport& report, int unverified_days) {
  struct Tally {
    std::uint64_t damaged = 0, healed = 0;
    std::set<std::string> sources;
    std::string first_problem;
  };
  std::map<std::string, Tally> tallies;
  for (const ScrubbedChunk& c : report.damaged) {
    for (const DamagedChunk::Use& use : c.damage.used_by) {
      Tally& t = tallies[use.snapshot_id];
      ++t.damaged;
      if (c.healed()) {
        ++t.healed;
        t.sources.insert(c.healed_from);
      } else if (t.first_problem.empty()) {
        t.first_problem = c.damage.problem;
      }
    }
  }
  std::vector<SnapshotCheck> out;
  for (const auto& [name, id] : readable) {
    SnapshotCheck check;
    check.snapshot_id = id;
    auto it = tallies.find(id);
    if (it == tallies.end()) {
      check.state = "ok";
      if (unverified_days > 0) {
        check.detail = "chunks not verified in " + std::to_string(unverified_days) +
                       " days checked; the others were recently";
      }
    } else {
      const Tally& t = it->second;
      check.damaged_chunks = t.damaged;
      check.healed_chunks = t.healed;
      std::string from;
      for (const std::string& s : t.sources) from += (from.empty() ? "" : ", ") + s;
      if (t.healed == t.damaged) {
        check.state = "healed";
        check.detail = std::to_string(t.damaged) + " damaged chunks healed from " + from;
      } else {
        check.state = "damaged";
        check.detail = std::to_string(t.damaged - t.healed) + " of " + std::to_string(t.damaged) +
                       " damaged chunks not healed (" + t.first_problem.substr(0, 200) + ")";
      }
    }
    out.push_back(std::move(check));
  }
  // A snapshot whose manifest cannot be read: its chunks are unknown.
  std::unordered_set<std::string> ok_ids;
  for (const auto& [name, id] : readable) ok_ids.insert(id);
  for (const SnapshotRecord& snap : snapshots) {
    if (ok_ids.contains(snap.id)) continue;
    for (const std::string& m : report.damaged_manifests) {
      if (m.starts_with(snap.name + "/" + snap.id + ": ")) {
        out.push_back(
            SnapshotCheck{snap.id, "damaged", 0, 0,
                          "manifest: " + m.substr(snap.name.size() + snap.id.size() + 3)});
        break;
      }
    }
  }
  return out;
}

}  // namespace

Result<ScrubReport> RunScrub(Store& store, const WithCatalogFn& with_catalog,
                             const ScrubOptions& options, ChunkHealSource* heal,
                             JobProgress* progress, const std::atomic<bool>* cancel) {
  Clock& clock = options.clock ? *options.clock : DefaultClock();
  const auto started = std::chrono::steady_clock::now();
  ScrubReport report;
  report.started_unix_ns = clock.NowUnixNanos();

  std::vector<SnapshotRecord> snapshots;
  ChunkVerifyStates states;
  ChunkIdSet quarantined;
  Status s = with_catalog([&](Catalog& catalog) -> Status {
    CAIRN_ASSIGN_OR_RETURN(snapshots, catalog.ListSnapshots());
    CAIRN_ASSIGN_OR_RETURN(states, LoadChunkVerifyStates(catalog));
    CAIRN_ASSIGN_OR_RETURN(quarantined, QuarantinedChunkIds(catalog));
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("scrub: read the catalog");
  report.snapshots = snapshots.size();

  Referenced referenced = ReadManifests(store, snapshots, report, progress);
  report.chunks_referenced = referenced.chunks.size();

  // Which chunks are due.
  std::vector<ChunkId> due;
  std::uint64_t bytes_due = 0;
  const std::int64_t cutoff =
      report.started_unix_ns - static_cast<std::int64_t>(options.unverified_days) * kNanosPerDay;
  for (const ChunkId& id : referenced.chunks) {
    auto it = states.find(id);
    const bool recent = options.unverified_days > 0 && it != states.end() &&
                        it->second.verified_unix_ns && *it->second.verified_unix_ns >= cutoff &&
                        !quarantined.contains(id);
    if (recent) {
      ++report.chunks_skipped;
      continue;
    }
    due.push_back(id);
    if (it != states.end()) bytes_due += it->second.plain_size;
  }
  states = {};  // not needed any more; may be large
  if (progress) progress->bytes_total = bytes_due;

  ChunkProofs checked = ProveChunks(store, due, options.threads, progress, cancel);
  if (checked.cancelled) return Status::Cancelled("scrub cancelled before it finished");
  report.chunks_checked = due.size();
  report.bytes_checked = checked.bytes;

  // Pass 3: quarantine, then heal, one damaged chunk at a time.
  ChunkReader reader(store);
  std::vector<ChunkId> sound = std::move(checked.good);
  for (auto& [id, problem] : checked.bad) {
    ScrubbedChunk c;
    c.damage = DamagedChunk{id, problem, {}};
    const std::int64_t now = clock.NowUnixNanos();
    auto moved = MoveChunkToQuarantine(store, id, now);
    if (!moved.ok()) {
      // Still in place: healing would write beside it (WriteChunk keeps a
      // present file), so leave it for the operator.
      c.heal_attempts.push_back("not quarantined: " + moved.error().ToString());
    } else {
      c.quarantined_as = *moved;
      s = with_catalog(
          [&](Catalog& catalog) { return RecordQuarantine(catalog, id, now, problem, *moved); });
      if (!s.ok()) return s.WithContext("scrub: record quarantine of chunk " + id.Hex());
      quarantined.insert(id);
      if (options.on_quarantined) options.on_quarantined(id);
      if (heal) HealChunk(store, reader, *heal, c);
    }
    if (c.healed()) {
      ++report.healed;
      sound.push_back(id);
    }
    report.damaged.push_back(std::move(c));
  }

  // Pass 4: who loses what.
  if (!report.damaged.empty()) {
    std::vector<DamagedChunk> damage;
    for (const ScrubbedChunk& c : report.damaged) damage.push_back(c.damage);
    AttributeDamagedChunks(store, referenced.readable, damage);
    for (std::size_t k = 0; k < damage.size(); ++k) {
      report.damaged[k].damage.used_by = std::move(damage[k].used_by);
    }
  }

  // Pass 5: the catalog.
  const std::int64_t now = clock.NowUnixNanos();
  std::vector<ChunkId> unquarantine;
  for (const ChunkId& id : sound) {
    if (quarantined.contains(id)) unquarantine.push_back(id);
  }
  for (std::size_t at = 0; at < sound.size() && s.ok(); at += kMarkBatch) {
    std::vector<ChunkId> batch(
        sound.begin() + static_cast<std::ptrdiff_t>(at),
        sound.begin() + static_cast<std::ptrdiff_t>(std::min(sound.size(), at + kMarkBatch)));
    s = with_catalog([&](Catalog& catalog) { return catalog.MarkVerified(batch, now); });
  }
  const std::vector<SnapshotCheck> checks =
      SnapshotChecks(referenced.readable, snapshots, report, options.unverified_days);
  if (s.ok()) {
    s = with_catalog([&](Catalog& catalog) -> Status {
      CAIRN_RETURN_IF_ERROR(ClearQuarantine(catalog, unquarantine));
      return RecordSnapshotChecks(catalog, checks, now);
    });
  }
  if (!s.ok()) return s.WithContext("scrub: record the results in the catalog");
  report.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return report;
}

}  // namespace cairn
