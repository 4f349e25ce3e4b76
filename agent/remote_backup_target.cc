#include "agent/remote_backup_target.h"

#include "agent/appliance_client.h"
#include "core/crypto/payload_codec.h"
#include "core/protocol/chunk_batch.h"

namespace cairn {
namespace {

class RemoteChunkSink : public ChunkSink {
 public:
  RemoteChunkSink(std::unique_ptr<ApplianceClient> client, const DedupParams& dedup,
                  UploadCounters& counters, std::size_t ask_batch, std::size_t upload_bytes)
      : client_(std::move(client)),
        encoder_(dedup.zstd_level),
        counters_(counters),
        ask_batch_(std::max<std::size_t>(ask_batch, 1)),
        upload_bytes_(std::max<std::size_t>(upload_bytes, 1)) {}

  Status Put(const ChunkId& id, std::shared_ptr<const Bytes> owner, ByteSpan plaintext) override {
    pending_.push_back(Pending{id, std::move(owner), plaintext});
    pending_bytes_ += plaintext.size();
    // Ask once enough ids or bytes wait: fewer round trips, bounded memory
    // (the pending chunks keep their read blocks alive).
    if (pending_.size() >= ask_batch_ || pending_bytes_ >= upload_bytes_ * 2) return SendPending();
    return Status::Ok();
  }

  Status Flush() override { return SendPending(); }

 private:
  struct Pending {
    ChunkId id;
    std::shared_ptr<const Bytes> owner;
    ByteSpan data;
  };

  Status SendPending() {
    if (pending_.empty()) return Status::Ok();
    std::vector<ChunkId> ids;
    ids.reserve(pending_.size());
    for (const Pending& p : pending_) ids.push_back(p.id);
    counters_.chunks_offered += ids.size();
    CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkId> missing, client_->Missing(ids));
    std::size_t m = 0;  // `missing` is a subsequence of `ids`, in order
    for (const Pending& p : pending_) {
      if (m == missing.size() || missing[m] != p.id) continue;
      ++m;
      CAIRN_ASSIGN_OR_RETURN(EncodedPayload payload, encoder_.Encode(p.data));
      batch_.Add(p.id, payload);
      batch_ids_.push_back(NewChunk{p.id, p.data.size(), payload.bytes.size() + 40});
      if (batch_.size() >= upload_bytes_) CAIRN_RETURN_IF_ERROR(Upload());
    }
    if (m != missing.size()) {
      return Status::InvalidArgument(
          "the appliance's missing-chunk reply is not a subset of the ids asked about");
    }
    pending_.clear();
    pending_bytes_ = 0;
    return Upload();
  }

  Status Upload() {
    if (batch_.count() == 0) return Status::Ok();
    const std::string& body = batch_.Finish();
    CAIRN_RETURN_IF_ERROR(client_->UploadBatch(body));
    counters_.chunks_uploaded += batch_.count();
    counters_.bytes_uploaded += body.size();
    for (const NewChunk& c : batch_ids_) RecordNew(c);
    batch_.Clear();
    batch_ids_.clear();
    return Status::Ok();
  }

  std::unique_ptr<ApplianceClient> client_;
  PayloadEncoder encoder_;
  UploadCounters& counters_;
  const std::size_t ask_batch_;
  const std::size_t upload_bytes_;
  std::vector<Pending> pending_;
  std::size_t pending_bytes_ = 0;
  ChunkBatchWriter batch_;
  std::vector<NewChunk> batch_ids_;
};

}  // namespace

Result<std::optional<ParentSnapshot>> RemoteBackupTarget::FindParent(const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state_));
  auto m = client->GetManifest("latest", name);
  if (!m.ok() && m.error().IsNotFound()) return std::optional<ParentSnapshot>();
  if (!m.ok()) return m.error();
  std::string id = m->snapshot_id;
  return std::optional<ParentSnapshot>(ParentSnapshot{std::move(id), std::move(*m)});
}

Result<std::unique_ptr<ChunkSink>> RemoteBackupTarget::NewChunkSink() {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state_));
  return std::unique_ptr<ChunkSink>(std::make_unique<RemoteChunkSink>(
      std::move(client), state_.dedup, counters_, ask_batch_chunks, upload_batch_bytes));
}

Result<std::uint64_t> RemoteBackupTarget::Commit(Manifest& manifest, const std::vector<NewChunk>&,
                                                 const std::vector<ChunkId>&) {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state_));
  CAIRN_ASSIGN_OR_RETURN(CommitReply reply, client->Commit(manifest.Serialize()));
  if (!reply.missing.empty()) {
    missing_at_commit_ = reply.missing;
    return Status::Unavailable("the appliance no longer has " +
                               std::to_string(reply.missing.size()) +
                               " chunk(s) it had acknowledged (it restarted during the upload?); "
                               "nothing was committed -- run the backup again, it sends only those");
  }
  manifest.snapshot_id = reply.snapshot_id;
  appliance_bytes_new_ = reply.bytes_new;
  appliance_bytes_stored_ = reply.bytes_stored;
  replication_ = reply.replication;
  return reply.manifest_bytes;
}

}  // namespace cairn
