#include "core/gc/garbage_collector.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <optional>
#include <span>

#include "core/gc/chunk_rows.h"
#include "core/gc/gc_runs.h"

namespace cairn {

namespace {

constexpr int kPrefixes = 256;  // chunks/00 .. chunks/ff (Store::ChunkPath)
constexpr std::int64_t kMaxGraceSeconds = 100ll * 365 * 24 * 3600;
constexpr std::int64_t kSaveIntervalNs = 5'000'000'000;

std::string PrefixName(int prefix) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(prefix) & 0xff);
  return buf;
}

// One live chunk and the first snapshot (index into LiveSet::snapshots)
// naming it, which the missing-chunk report quotes.
struct LiveChunk {
  ChunkId id;
  std::uint32_t snapshot = 0;
};

bool ById(const LiveChunk& a, const LiveChunk& b) { return a.id < b.id; }
bool SameId(const LiveChunk& a, const LiveChunk& b) { return a.id == b.id; }

// A chunk file that may go, pending the catalog's word.
struct Candidate {
  ChunkId id;
  fs::path path;
  std::uint64_t size = 0;
};

// Chunks removed per critical section: one catalog transaction (an fsync)
// for the batch, while the section stays short (an unlink costs ~3 ms on a
// slow disk; the appliance holds its catalog lock meanwhile).
constexpr std::size_t kSweepBatch = 64;

// A sorted vector rather than a hash set: 36 bytes per chunk instead of
// ~80, and each chunk directory's live chunks form one contiguous range.
struct LiveSet {
  std::vector<LiveChunk> chunks;       // sorted by id, unique
  std::vector<std::string> snapshots;  // "name/id"
};

// Store temporaries are "<64 hex>.tmp-<pid>-<n>-<random>" (TemporaryPathFor).
// Returns the writer's pid (0 when unreadable), or nullopt for other names.
std::optional<long> TemporaryWriterPid(std::string_view name) {
  constexpr std::size_t kHex = 2 * ChunkId::kSize;
  constexpr std::string_view kTag = ".tmp-";
  if (name.size() <= kHex + kTag.size() || name.substr(kHex, kTag.size()) != kTag) {
    return std::nullopt;
  }
  if (!ChunkId::FromHex(name.substr(0, kHex))) return std::nullopt;
  const std::string_view rest = name.substr(kHex + kTag.size());
  long pid = 0;
  auto parsed = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  if (parsed.ec != std::errc()) pid = 0;
  return pid;
}

class Collector {
 public:
  Collector(Store& store, GcEnvironment& env, const GcOptions& options, JobProgress* progress)
      : store_(store),
        fs_(store.fs()),
        env_(env),
        options_(options),
        clock_(options.clock ? *options.clock : DefaultClock()),
        progress_(progress) {}

  Result<GcReport> Run() {
    const std::int64_t t0 = clock_.MonotonicNanos();
    CAIRN_RETURN_IF_ERROR(Begin());
    Status marked = Mark();
    if (!marked.ok()) {
      // Nothing was swept in this invocation; the next run starts afresh.
      // Should this update fail, the row stays 'running' and the next run
      // resumes it -- marking again, which is just as safe.
      if (report_.run_id != 0) {
        env_.WithCatalog([&](Catalog& c) {
              return FinishGcRun(c, report_.run_id, "failed", clock_.NowUnixNanos(),
                                 marked.ToString());
            })
            .IgnoreError();
      }
      return marked;
    }
    std::int64_t last_save = clock_.MonotonicNanos();
    for (int prefix = 0; prefix < kPrefixes; ++prefix) {
      const bool sweep = prefix >= report_.first_prefix;
      const std::uint64_t freed_before = report_.chunks_freed + report_.temporaries_freed;
      Status s = SweepDirectory(prefix, sweep);
      // Progress is saved after every directory where something was freed,
      // and at least every kSaveInterval otherwise: a commit per directory
      // costs an fsync each (256 per run, over a second on small stores),
      // and re-listing a few seconds' worth of directories on resume is
      // cheap.
      const bool freed = report_.chunks_freed + report_.temporaries_freed != freed_before;
      const bool due = clock_.MonotonicNanos() - last_save >= kSaveIntervalNs;
      if (s.ok() && sweep && !options_.dry_run && (freed || due)) {
        s = env_.WithCatalog([&](Catalog& c) {
          return SaveGcProgress(c, report_.run_id, prefix + 1, report_.chunks_freed,
                                report_.bytes_freed);
        });
        last_save = clock_.MonotonicNanos();
      }
      if (!s.ok()) return Interrupted(s, prefix);
    }
    Status rows = RemoveStaleRows();
    if (!rows.ok()) return Interrupted(rows, kPrefixes);
    if (!options_.dry_run) {
      CAIRN_RETURN_IF_ERROR(env_.WithCatalog([&](Catalog& c) {
        Status s =
            SaveGcProgress(c, report_.run_id, kPrefixes, report_.chunks_freed, report_.bytes_freed);
        if (s.ok()) s = FinishGcRun(c, report_.run_id, "done", clock_.NowUnixNanos(), Summary());
        return s;
      }));
    }
    report_.duration_ns = clock_.MonotonicNanos() - t0;
    return report_;
  }

 private:
  // Resumes the newest interrupted run, or starts one (a dry run records
  // nothing and always starts from its own cutoff).
  Status Begin() {
    if (options_.grace.count() < 0 || options_.grace.count() > kMaxGraceSeconds) {
      return Status::InvalidArgument("gc: the grace period must be between 0 and 100 years");
    }
    const std::int64_t now = clock_.NowUnixNanos();
    const std::int64_t cutoff = now - options_.grace.count() * 1'000'000'000;
    report_.dry_run = options_.dry_run;
    if (options_.dry_run) {
      report_.started_unix_ns = now;
      report_.cutoff_unix_ns = cutoff;
      return Status::Ok();
    }
    return env_.WithCatalog([&](Catalog& c) -> Status {
      CAIRN_ASSIGN_OR_RETURN(std::optional<GcRun> running, FindRunningGcRun(c));
      GcRun run;
      if (running) {
        run = std::move(*running);
        report_.resumed = true;
      } else {
        CAIRN_ASSIGN_OR_RETURN(run, StartGcRun(c, now, cutoff));
      }
      report_.run_id = run.id;
      report_.started_unix_ns = run.started_unix_ns;
      report_.cutoff_unix_ns = run.cutoff_unix_ns;
      report_.first_prefix = run.next_prefix;
      report_.chunks_freed = run.chunks_freed;
      report_.bytes_freed = run.bytes_freed;
      return Status::Ok();
    });
  }

  // Every manifest file, read and authenticated; the chunks they name.
  Status Mark() {
    auto listed = store_.ListManifestFiles();
    if (!listed.ok()) {
      return listed.error().WithContext("gc: list the snapshot manifests (nothing was removed)");
    }
    std::vector<LiveChunk> mine, merged;
    for (const auto& [name, id] : *listed) {
      if (Cancelled()) return CancelledStatus();
      auto manifest = store_.ReadManifest(name, id);
      if (!manifest.ok()) {
        // Listed, then gone: a deletion unlinked it meanwhile. Its chunks
        // stay counted by the catalog until that deletion finishes, and are
        // garbage after it.
        if (manifest.error().IsNotFound()) {
          ++report_.manifests_vanished;
          continue;
        }
        return manifest.error().WithContext(
            "gc: cannot read the manifest of snapshot " + name + "/" + id +
            ", so the chunks it names cannot be told from garbage; stopped before removing "
            "anything. Run `cairnctl verify` to see the damage, restore the file from a replica "
            "or delete the snapshot, then run gc again");
      }
      const auto index = static_cast<std::uint32_t>(live_.snapshots.size());
      live_.snapshots.push_back(name + "/" + id);
      mine.clear();
      for (const TreeEntry& e : manifest->entries) {
        for (const ChunkSlice& s : e.content) mine.push_back(LiveChunk{s.id, index});
      }
      std::sort(mine.begin(), mine.end(), ById);
      mine.erase(std::unique(mine.begin(), mine.end(), SameId), mine.end());
      // Merge, keeping the earlier snapshot's entry for a shared chunk
      // (std::merge is stable: equal elements of the first range come first).
      merged.clear();
      merged.reserve(live_.chunks.size() + mine.size());
      std::merge(live_.chunks.begin(), live_.chunks.end(), mine.begin(), mine.end(),
                 std::back_inserter(merged), ById);
      merged.erase(std::unique(merged.begin(), merged.end(), SameId), merged.end());
      live_.chunks.swap(merged);
      ++report_.snapshots_marked;
      if (progress_) progress_->Add(progress_->entries, 1);
    }
    report_.chunks_live = live_.chunks.size();
    return Status::Ok();
  }

  // Lists one chunk directory: notes the live chunks it holds (the others
  // are missing) and, when `sweep`, removes what may go.
  Status SweepDirectory(int prefix, bool sweep) {
    const fs::path dir = store_.dir() / "chunks" / PrefixName(prefix);
    auto names = fs_.ListDirectory(dir);
    if (!names.ok() && !names.error().IsNotFound()) {
      return names.error().WithContext("gc: list " + dir.string());
    }
    const auto begin =
        std::partition_point(live_.chunks.begin(), live_.chunks.end(),
                             [&](const LiveChunk& c) { return c.id.bytes[0] < prefix; });
    const auto end = std::partition_point(
        begin, live_.chunks.end(), [&](const LiveChunk& c) { return c.id.bytes[0] == prefix; });
    std::vector<bool> seen(static_cast<std::size_t>(end - begin));
    std::vector<Candidate> candidates;
    bool removed_any = false;
    for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
      if (Cancelled()) return CancelledStatus();
      auto id = ChunkId::FromHex(name);
      if (id && id->bytes[0] == prefix && id->Hex() == name) {
        ++report_.chunk_files;
        if (progress_) progress_->Add(progress_->chunks_done, 1);
        auto it = std::lower_bound(begin, end, LiveChunk{*id, 0}, ById);
        if (it != end && it->id == *id) {
          seen[static_cast<std::size_t>(it - begin)] = true;
        } else if (sweep) {
          CAIRN_RETURN_IF_ERROR(ConsiderChunkFile(*id, dir / name, candidates));
        }
      } else if (auto pid = TemporaryWriterPid(name); pid && sweep) {
        CAIRN_RETURN_IF_ERROR(SweepTemporary(dir / name, *pid, removed_any));
      }
      // Anything else is not the store's: left alone.
    }
    for (std::size_t i = 0; i < candidates.size(); i += kSweepBatch) {
      if (Cancelled()) return CancelledStatus();
      const std::size_t n = std::min(kSweepBatch, candidates.size() - i);
      CAIRN_RETURN_IF_ERROR(SweepBatch(std::span(candidates).subspan(i, n), removed_any));
    }
    for (auto it = begin; it != end; ++it) {
      if (seen[static_cast<std::size_t>(it - begin)]) continue;
      ++report_.missing_count;
      if (progress_) progress_->Add(progress_->problems, 1);
      if (report_.missing.size() < GcReport::kMaxMissingListed) {
        report_.missing.push_back(it->id.Hex() + " (snapshot " + live_.snapshots[it->snapshot] +
                                  ")");
      }
    }
    // The removals durable before the progress row says this directory is
    // done. (Were they lost, the files would be swept again: nothing refers
    // to them any more.)
    if (removed_any) CAIRN_RETURN_IF_ERROR(fs_.SyncDirectory(dir).WithContext("gc"));
    return Status::Ok();
  }

  // A chunk file no manifest names: kept when it is recent; otherwise a
  // candidate (or, in a dry run, judged by its catalog row at once).
  Status ConsiderChunkFile(const ChunkId& id, const fs::path& path,
                           std::vector<Candidate>& candidates) {
    auto mtime = fs_.ModifiedUnixNs(path);
    if (!mtime.ok()) return mtime.error().IsNotFound() ? Status::Ok() : mtime.error();
    if (*mtime >= report_.cutoff_unix_ns) {
      ++report_.kept_recent;
      return Status::Ok();
    }
    auto size = fs_.FileSize(path);
    if (!size.ok()) return size.error().IsNotFound() ? Status::Ok() : size.error();
    if (!options_.dry_run) {
      candidates.push_back(Candidate{id, path, *size});
      return Status::Ok();
    }
    std::optional<ChunkRecord> row;
    CAIRN_RETURN_IF_ERROR(env_.WithCatalog([&](Catalog& c) -> Status {
      CAIRN_ASSIGN_OR_RETURN(row, c.GetChunk(id));
      return Status::Ok();
    }));
    if (row && row->refcount > 0) {
      ++report_.kept_referenced;
    } else {
      Freed(*size, /*temporary=*/false);
    }
    return Status::Ok();
  }

  // Removes what it may of `batch`: rows first (only those at refcount 0,
  // one transaction), then files, inside the environment's critical section.
  // A row without its file would let a backup deduplicate against nothing; a
  // file without its row (the unlink failed, or a crash) is merely swept
  // next time. Counted as it goes, so an error midway loses no count.
  Status SweepBatch(std::span<const Candidate> batch, bool& removed_any) {
    std::vector<ChunkId> ids;
    for (const Candidate& c : batch) ids.push_back(c.id);
    auto find = [&](const ChunkId& id) -> const Candidate& {
      return *std::find_if(batch.begin(), batch.end(),
                           [&](const Candidate& c) { return c.id == id; });
    };
    std::size_t gone = 0;  // removed here, or by someone else meanwhile
    CAIRN_RETURN_IF_ERROR(env_.SweepChunks(
        ids,
        [&](Catalog& catalog, const std::vector<ChunkId>& allowed) -> Result<std::vector<ChunkId>> {
          CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkRowOutcome> rows,
                                 DeleteChunkRowsIfUnreferenced(catalog, allowed));
          std::vector<ChunkId> removed;
          for (std::size_t i = 0; i < allowed.size(); ++i) {
            if (rows[i] == ChunkRowOutcome::kReferenced) continue;
            const Candidate& c = find(allowed[i]);
            Status s = fs_.RemoveFile(c.path);
            if (s.IsNotFound()) {
              ++gone;
              continue;
            }
            if (!s.ok()) {
              return s.WithContext("gc: chunk " + c.id.Hex() +
                                   ": its catalog row is deleted but the file could not be "
                                   "removed (harmless: the next run removes it)");
            }
            removed.push_back(c.id);
            ++gone;
            Freed(c.size, /*temporary=*/false);
            removed_any = true;
          }
          return removed;
        }));
    report_.kept_referenced += batch.size() - gone;
    return Status::Ok();
  }

  // A temporary left by a writer that crashed before renaming it. Those
  // named by this process are never touched: a writer here (a backup, the
  // appliance's ingest) may still rename them.
  Status SweepTemporary(const fs::path& path, long writer_pid, bool& removed_any) {
    if (writer_pid == own_pid_) return Status::Ok();
    auto mtime = fs_.ModifiedUnixNs(path);
    if (!mtime.ok()) return mtime.error().IsNotFound() ? Status::Ok() : mtime.error();
    if (*mtime >= report_.cutoff_unix_ns) return Status::Ok();
    auto size = fs_.FileSize(path);
    if (!size.ok()) return size.error().IsNotFound() ? Status::Ok() : size.error();
    if (!options_.dry_run) {
      Status s = fs_.RemoveFile(path);
      if (s.IsNotFound()) return Status::Ok();
      CAIRN_RETURN_IF_ERROR(s.WithContext("gc: remove temporary"));
      removed_any = true;
    }
    Freed(*size, /*temporary=*/true);
    return Status::Ok();
  }

  // Rows no snapshot counts whose file is gone (a chunk lost or removed by
  // hand): without this, a backup would deduplicate against them forever.
  Status RemoveStaleRows() {
    std::vector<ChunkId> ids;
    CAIRN_RETURN_IF_ERROR(env_.WithCatalog([&](Catalog& c) -> Status {
      CAIRN_ASSIGN_OR_RETURN(ids, UnreferencedChunkRows(c));
      return Status::Ok();
    }));
    for (const ChunkId& id : ids) {
      if (Cancelled()) return CancelledStatus();
      const fs::path path = store_.ChunkPath(id);
      CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
      if (exists) continue;
      if (options_.dry_run) {
        ++report_.stale_rows_removed;
        continue;
      }
      auto removed = env_.SweepChunk(id, [&](Catalog& c) -> Result<bool> {
        // Again inside the critical section: a writer may have stored it.
        CAIRN_ASSIGN_OR_RETURN(bool now_exists, fs_.Exists(path));
        if (now_exists) return false;
        CAIRN_ASSIGN_OR_RETURN(ChunkRowOutcome row, DeleteChunkRowIfUnreferenced(c, id));
        return row == ChunkRowOutcome::kDeleted;
      });
      if (!removed.ok()) return removed.error();
      if (*removed) ++report_.stale_rows_removed;
    }
    return Status::Ok();
  }

  void Freed(std::uint64_t bytes, bool temporary) {
    if (temporary) {
      ++report_.temporaries_freed;
    } else {
      ++report_.chunks_freed;
    }
    report_.bytes_freed += bytes;
    if (progress_) progress_->Add(progress_->bytes_done, bytes);
  }

  // The run stays 'running' so the next one resumes it at `prefix`. What
  // this invocation freed there is counted now (best effort: the catalog is
  // usually fine when the filesystem failed); after a kill, the totals miss
  // what the unfinished directory freed.
  Status Interrupted(const Status& s, int prefix) {
    const std::string where =
        prefix < kPrefixes ? "chunks/" + PrefixName(prefix) : "the catalog's unreferenced rows";
    if (options_.dry_run) return s.WithContext("gc (dry run) stopped in " + where);
    env_.WithCatalog([&](Catalog& c) {
          Status saved =
              SaveGcProgress(c, report_.run_id, prefix, report_.chunks_freed, report_.bytes_freed);
          if (saved.ok()) {
            saved = NoteGcInterruption(c, report_.run_id,
                                       "interrupted in " + where + ": " + s.ToString());
          }
          return saved;
        })
        .IgnoreError();  // the row already says 'running'; s is what matters
    return s.WithContext("gc stopped in " + where + " (the next run resumes there)");
  }

  std::string Summary() const {
    auto n = [](std::uint64_t v) { return std::to_string(v); };
    return "marked " + n(report_.snapshots_marked) + " snapshots, " + n(report_.chunks_live) +
           " live chunks; freed " + n(report_.chunks_freed) + " chunks and " +
           n(report_.temporaries_freed) + " temporaries, " + n(report_.bytes_freed) +
           " bytes; kept " + n(report_.kept_recent) + " recent, " + n(report_.kept_referenced) +
           " referenced; " + n(report_.stale_rows_removed) + " stale rows; " +
           n(report_.missing_count) + " missing";
  }

  bool Cancelled() const { return options_.cancel && options_.cancel->load(); }
  static Status CancelledStatus() { return Status::Cancelled("gc cancelled"); }

  Store& store_;
  FileSystem& fs_;
  GcEnvironment& env_;
  const GcOptions& options_;
  Clock& clock_;
  JobProgress* progress_;
  const long own_pid_ = static_cast<long>(::getpid());
  GcReport report_;
  LiveSet live_;
};

}  // namespace

Result<GcReport> RunGarbageCollection(Store& store, GcEnvironment& env, const GcOptions& options,
                                      JobProgress* progress) {
  Collector collector(store, env, options, progress);
  return collector.Run();
}

Result<StoreLock> LockStoreForGc(const std::filesystem::path& store_dir) {
  auto lock = StoreLock::TryAcquire(store_dir, StoreLockMode::kExclusive);
  if (lock.ok() || !lock.error().retryable()) return lock;
  std::string who;
  for (const std::string& holder : StoreLock::Holders(store_dir)) {
    who += (who.empty() ? " (" : ", ") + holder;
  }
  if (!who.empty()) who += ")";
  return Status::Unavailable("the store " + store_dir.string() +
                             " is in use by a backup or a running appliance" + who +
                             ": run gc through the appliance, or when the backup finishes");
}

}  // namespace cairn
