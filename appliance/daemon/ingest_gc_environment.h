// IngestGcEnvironment: garbage collection inside the appliance, where
// agents upload and commit while GC runs (core/gc/gc_environment.h).
//
// Catalog use goes through StoreService::WithCatalog (the catalog lock every
// handler takes); each removal through ChunkIngest::SweepChunk, which holds
// the catalog lock and then the ingest's received lock -- the order Commit
// uses -- and refuses chunks an upload has sent since the appliance started.
// So a commit either lands before a removal (the chunk's refcount is then
// above zero and the removal keeps it) or after it (the chunk is no longer
// "present", and the commit answers with it in its missing list). Why that
// is enough: docs/gc.md.
//
// Thread-safety: use from one GC job at a time; safe beside every ingest and
// admin handler.
#pragma once

#include "appliance/daemon/chunk_ingest.h"
#include "appliance/daemon/store_service.h"
#include "core/gc/gc_environment.h"

namespace cairn {

class IngestGcEnvironment final : public GcEnvironment {
 public:
  // Both must outlive this object.
  IngestGcEnvironment(StoreService& service, ChunkIngest& ingest)
      : service_(service), ingest_(ingest) {}

  Status WithCatalog(const std::function<Status(Catalog&)>& fn) override;
  Result<bool> SweepChunk(const ChunkId& id,
                          const std::function<Result<bool>(Catalog&)>& remove) override;

 private:
  StoreService& service_;
  ChunkIngest& ingest_;
};

}  // namespace cairn
