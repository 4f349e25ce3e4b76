// StoreService: the appliance's one Store, shared by every request handler.
//
// The Store's chunk methods are thread-safe; its Catalog is not, so every
// catalog use goes through WithCatalog(), which holds catalog_mu_. Handlers
// run on the worker pool, so a slow SQLite call blocks one worker, never the
// I/O thread.
//
// Cluster scoping lives here, not in the handlers: every lookup made for an
// agent takes its cluster, and a snapshot of another cluster is NotFound (an
// agent does not even learn that it exists).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/catalog/catalog.h"
#include "core/catalog/catalog_access.h"
#include "core/store/store.h"

namespace cairn {

class StoreService {
 public:
  explicit StoreService(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  Store& store() { return *store_; }

  // Runs `fn` with the catalog, serialized with every other catalog user.
  template <typename Fn>
  auto WithCatalog(Fn&& fn) {
    std::lock_guard lock(catalog_mu_);
    return fn(store_->catalog());
  }

  // `cluster`: nullopt for an admin (every cluster), a name for an agent.
  // WithCatalog as a WithCatalogFn, for code shared with cairnctl (prune,
  // garbage collection, verify).
  WithCatalogFn CatalogAccess() {
    return [this](const std::function<Status(Catalog&)>& fn) { return WithCatalog(fn); };
  }

  Result<std::vector<SnapshotRecord>> ListSnapshots(const std::optional<std::string>& cluster,
                                                    const std::optional<std::string>& name);
  // "latest" (of `name` if given), an id, or a unique id prefix, within
  // `cluster` when one is given.
  Result<SnapshotRecord> Resolve(std::string_view spec, const std::optional<std::string>& cluster,
                                 const std::optional<std::string>& name);
  Result<Manifest> ReadManifest(const SnapshotRecord& record);
  Result<CatalogStats> Stats();

 private:
  std::unique_ptr<Store> store_;
  std::mutex catalog_mu_;
};

}  // namespace cairn
