#include "appliance/daemon/store_service.h"

#include "core/engine/restore.h"

namespace cairn {

Result<std::vector<SnapshotRecord>> StoreService::ListSnapshots(
    const std::optional<std::string>& cluster, const std::optional<std::string>& name) {
  return WithCatalog([&](Catalog& c) { return c.ListSnapshots(name, cluster); });
}

Result<SnapshotRecord> StoreService::Resolve(std::string_view spec,
                                             const std::optional<std::string>& cluster,
                                             const std::optional<std::string>& name) {
  return WithCatalog([&](Catalog& c) { return ResolveSnapshot(c, spec, name, cluster); });
}

Result<Manifest> StoreService::ReadManifest(const SnapshotRecord& record) {
  return store_->ReadManifest(record.name, record.id);
}

Result<CatalogStats> StoreService::Stats() {
  return WithCatalog([](Catalog& c) { return c.Stats(); });
}

}  // namespace cairn
