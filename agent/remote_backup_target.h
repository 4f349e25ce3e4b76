// RemoteBackupTarget: the engine's BackupTarget for an agent -- chunks go to
// the appliance over the ingest API instead of into a local store.
//
// Each worker's sink collects the chunks it claimed, asks the appliance in
// batches which it lacks (POST /v1/chunks/missing), encodes only those and
// uploads them in chunk batches (POST /v1/chunks), on its own connection:
// with N workers, N requests are in flight. Nothing is asked about chunks of
// unchanged files (the files cache reuses their slices), so an unchanged
// rebackup sends one manifest.
//
// Counting: uploaded()/offered() let a caller (and the resume test) see how
// many chunks actually crossed the wire.
// Thread-safety: see BackupTarget.
#pragma once

#include <atomic>

#include "agent/agent_state.h"
#include "core/engine/backup_target.h"

namespace cairn {

struct UploadCounters {
  std::atomic<std::uint64_t> chunks_offered{0};   // asked about
  std::atomic<std::uint64_t> chunks_uploaded{0};  // sent
  std::atomic<std::uint64_t> bytes_uploaded{0};   // encoded payload bytes sent
};

class RemoteBackupTarget : public BackupTarget {
 public:
  explicit RemoteBackupTarget(const AgentState& state) : state_(state) {}

  const DedupParams& dedup() const override { return state_.dedup; }
  Result<std::vector<ChunkId>> KnownChunkIds() override { return std::vector<ChunkId>(); }
  Result<std::optional<ParentSnapshot>> FindParent(const std::string& name) override;
  Result<std::unique_ptr<ChunkSink>> NewChunkSink() override;
  // A reply listing missing chunks (the appliance restarted and lost chunks
  // it had acknowledged) is Unavailable: run the backup again, which sends
  // them.
  Result<std::uint64_t> Commit(Manifest& manifest, const std::vector<NewChunk>& new_chunks,
                               const std::vector<ChunkId>& referenced) override;

  const UploadCounters& counters() const { return counters_; }
  // The chunks the appliance listed missing when Commit failed so: the next
  // attempt passes them as BackupRequest::absent_chunks, so files the files
  // cache would have reused (never offered again) are read and sent.
  const std::vector<ChunkId>& missing_at_commit() const { return missing_at_commit_; }
  // Figures the appliance reported at commit.
  std::uint64_t appliance_bytes_new() const { return appliance_bytes_new_; }
  // What synchronous replication targets did with the commit (CommitReply).
  const std::vector<std::string>& replication() const { return replication_; }
  std::uint64_t appliance_bytes_stored() const { return appliance_bytes_stored_; }

  // Tuning (tests use small values to exercise batching).
  std::size_t ask_batch_chunks = 256;
  std::size_t upload_batch_bytes = 8u << 20;

 private:
  const AgentState& state_;
  UploadCounters counters_;
  std::uint64_t appliance_bytes_new_ = 0;
  std::vector<std::string> replication_;
  std::uint64_t appliance_bytes_stored_ = 0;
  std::vector<ChunkId> missing_at_commit_;
};

}  // namespace cairn
