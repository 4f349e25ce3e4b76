// LocalStore: what replication reads from the appliance's own store. The
// Store's file methods are thread-safe; its Catalog is not, so catalog reads
// go through `with_catalog` (core/catalog/catalog_access.h), which the appliance serializes with its other
// catalog users (StoreService::WithCatalog) and local mode calls directly.
#pragma once

#include "core/catalog/catalog_access.h"
#include "core/store/store.h"

namespace cairn {

struct LocalStore {
  Store& store;
  WithCatalogFn with_catalog;
};

// For a store used by one thread (tests, local mode): the catalog directly.
inline LocalStore UnsharedLocalStore(Store& store) {
  return LocalStore{store, DirectCatalogAccess(store.catalog())};
}

}  // namespace cairn
