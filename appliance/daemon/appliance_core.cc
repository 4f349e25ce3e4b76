#include "appliance/daemon/appliance_core.h"

#include "appliance/daemon/maintenance_jobs.h"
#include "core/base/log.h"
#include "core/retention/snapshot_deleter.h"
#include "sync/engine/open_target.h"

namespace cairn {

Result<std::unique_ptr<ApplianceCore>> ApplianceCore::Create(const ApplianceConfig& config,
                                                             std::unique_ptr<Store> store,
                                                             pki::CertificateAuthority ca,
                                                             Clock& clock) {
  std::unique_ptr<ApplianceCore> core(new ApplianceCore(config, std::move(ca)));
  CAIRN_ASSIGN_OR_RETURN(core->store_lock_,
                         StoreLock::TryAcquire(store->dir(), StoreLockMode::kShared));
  core->store_ = std::make_unique<StoreService>(std::move(store));
  // A deletion the last run did not finish (killed mid-prune) is finished
  // before anyone can list or read the snapshot (core/retention).
  CAIRN_ASSIGN_OR_RETURN(std::size_t finished,
                         FinishInterruptedDeletions(core->store_->store(),
                                                    core->store_->CatalogAccess()));
  if (finished > 0) {
    Log(LogLevel::kInfo, "snapshot.deletions_finished", {{"count", finished}});
  }
  CAIRN_ASSIGN_OR_RETURN(core->registry_,
                         Registry::Open(core->store_->store().catalog().path(), clock));
  CAIRN_ASSIGN_OR_RETURN(core->ingest_, ChunkIngest::Create(*core->store_, clock));
  core->access_ = std::make_unique<ChunkAccess>(*core->store_);
  CAIRN_ASSIGN_OR_RETURN(core->replication_catalog_,
                         ReplicationCatalog::Open(core->store_->store().catalog().path(), clock));
  StoreService* store_service = core->store_.get();
  LocalStore local{store_service->store(), store_service->CatalogAccess()};
  // Workers start with Appliance::Run (ReplicationService::Start); tests that
  // serve routes in-process add targets, which start their own workers.
  core->replication_ = std::make_unique<ReplicationService>(
      std::move(local), *core->replication_catalog_,
      [](const TargetSpec& spec) { return OpenReplicaTarget(spec); }, clock);
  core->services_.reset(new ApplianceServices{core->config_, *core->store_, *core->ingest_,
                                              *core->access_, *core->registry_, core->ca_,
                                              core->metrics_, clock});
  core->services_->started_unix_ns = clock.NowUnixNanos();
  core->services_->replication = core->replication_.get();
  core->jobs_ = std::make_unique<JobRunner>(clock);
  core->services_->jobs = core->jobs_.get();
  RegisterMaintenanceJobs(core->services_->job_kinds);
  return core;
}

}  // namespace cairn
