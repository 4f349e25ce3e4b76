// ApplianceCore: the long-lived objects behind ApplianceServices, built in
// the one order they depend on each other (store -> registry -> dedup index
// -> chunk access -> replication; the CA beside them). Shared by the daemon (Appliance) and
// by tests that serve the real routes in-process, so both wire it the same
// way.
// Thread-safety: build on one thread; services() is then shared (see
// ApplianceServices).
#pragma once

#include <memory>
#include <optional>

#include "appliance/daemon/services.h"
#include "core/store/store_lock.h"

namespace cairn {

class ApplianceCore {
 public:
  static Result<std::unique_ptr<ApplianceCore>> Create(const ApplianceConfig& config,
                                                       std::unique_ptr<Store> store,
                                                       pki::CertificateAuthority ca,
                                                       Clock& clock = DefaultClock());
  ApplianceCore(const ApplianceCore&) = delete;
  ApplianceCore& operator=(const ApplianceCore&) = delete;

  ApplianceServices& services() { return *services_; }

 private:
  ApplianceCore(const ApplianceConfig& config, pki::CertificateAuthority ca)
      : config_(config), ca_(std::move(ca)) {}

  ApplianceConfig config_;
  pki::CertificateAuthority ca_;
  // Shared for the appliance's lifetime: a local `cairnctl gc` (exclusive)
  // on this store is refused while the appliance runs (core/store/store_lock.h).
  std::optional<StoreLock> store_lock_;
  std::unique_ptr<StoreService> store_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ChunkIngest> ingest_;
  std::unique_ptr<ChunkAccess> access_;
  ApplianceMetrics metrics_;
  std::unique_ptr<ReplicationCatalog> replication_catalog_;
  std::unique_ptr<ReplicationService> replication_;  // declared after what it uses: destroyed first
  std::unique_ptr<JobRunner> jobs_;  // after what jobs use: stopped first
  std::unique_ptr<ApplianceServices> services_;
};

}  // namespace cairn
