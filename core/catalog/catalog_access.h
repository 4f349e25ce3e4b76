// WithCatalogFn: "run this with the catalog, serialized with its other
// users". A Catalog is for one thread at a time; the appliance shares one
// among its request handlers and jobs behind a mutex (StoreService), while
// cairnctl and tests use it directly. Code that runs in both places (prune,
// garbage collection, verify, replication) takes a WithCatalogFn instead of
// a Catalog&.
// Thread-safety: as the function given.
#pragma once

#include <functional>

#include "core/base/status.h"
#include "core/catalog/catalog.h"

namespace cairn {

using WithCatalogFn = std::function<Status(const std::function<Status(Catalog&)>&)>;

// For single-threaded callers: calls straight through.
inline WithCatalogFn DirectCatalogAccess(Catalog& catalog) {
  return [&catalog](const std::function<Status(Catalog&)>& fn) { return fn(catalog); };
}

}  // namespace cairn
