#include "appliance/daemon/appliance_core.h"

#include "appliance/daemon/maintenance_jobs.h"
#include "sync/engine/open_target.h"

namespace cairn {

Result<std::unique_ptr<ApplianceCore>> ApplianceCore::Create(const ApplianceConfig& config,
                                                             std::unique_ptr<Store> store,
                                                             pki::CertificateAuthority ca,
                                                             Clock& clock) {
  std::unique_ptr<ApplianceCore> core(new ApplianceCore(config, std::move(ca)));
  core->store_ = std::make_unique<StoreService>(std::move(store));
  CAIRN_ASSIGN_OR_RETURN(core->registry_,
                         Registry::Open(core->store_->store().catalog().path(), clock));
  CAIRN_ASSIGN_OR_RETURN(core->ingest_, ChunkIngest::Create(*core->store_, clock));
  core->access_ = std::make_unique<ChunkAccess>(*core->store_);
  CAIRN_ASSIGN_OR_RETURN(core->replication_catalog_,
                         ReplicationCatalog::Open(core->store_->store().catalog().path(), clock));
  StoreService* store_service = core->store_.get();
  LocalStore local{store_service->store(),
                   [store_service](const std::function<Status(Catalog&)>& fn) {
                     return store_service->WithCatalog(fn);
                   }};
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
