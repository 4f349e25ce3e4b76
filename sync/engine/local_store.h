// LocalStore: what replication reads from the appliance's own store. The
// Store's file methods are thread-safe; its Catalog is not, so catalog reads
// go through `with_catalog`, which the appliance serializes with its other
// catalog users (StoreService::WithCatalog) and local mode calls directly.
#pragma once

#include <functional>

#include "core/catalog/catalog.h"
#include "core/store/store.h"

namespace cairn {

struct LocalStore {
  Store& store;
  std::function<Status(const std::function<Status(Catalog&)>&)> with_catalog;
};

// For a store used by one thread (tests, local mode): the catalog directly.
inline LocalStore UnsharedLocalStore(Store& store) {
  return LocalStore{store, [&store](const std::function<Status(Catalog&)>& fn) {
                      return fn(store.catalog());
                    }};
}

}  // namespace cairn
