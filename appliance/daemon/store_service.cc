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
  if (spec == "latest") {
    CAIRN_ASSIGN_OR_RETURN(auto latest,
                           WithCatalog([&](Catalog& c) { return c.LatestSnapshot(name, cluster); }));
    if (!latest) {
      std::string what = name ? "no snapshot named '" + *name + "'" : std::string("no snapshot");
      if (cluster) what += " for cluster '" + *cluster + "'";
      return Status::NotFound(what + " yet");
    }
    return *latest;
  }
  CAIRN_ASSIGN_OR_RETURN(SnapshotRecord record,
                         WithCatalog([&](Catalog& c) { return c.FindSnapshot(spec); }));
  if (cluster && record.cluster != *cluster) {
    // The same answer as for an id that does not exist.
    return Status::NotFound("no snapshot with id or id prefix \"" + std::string(spec) + "\"");
  }
  return record;
}

Result<Manifest> StoreService::ReadManifest(const SnapshotRecord& record) {
  return store_->ReadManifest(record.name, record.id);
}

Result<CatalogStats> StoreService::Stats() {
  return WithCatalog([](Catalog& c) { return c.Stats(); });
}

}  // namespace cairn
