#include "appliance/daemon/ingest_gc_environment.h"

namespace cairn {

Status IngestGcEnvironment::WithCatalog(const std::function<Status(Catalog&)>& fn) {
  return service_.WithCatalog([&](Catalog& catalog) { return fn(catalog); });
}

Result<bool> IngestGcEnvironment::SweepChunk(const ChunkId& id,
                                             const std::function<Result<bool>(Catalog&)>& remove) {
  return ingest_.SweepChunk(id, remove);
}

}  // namespace cairn
