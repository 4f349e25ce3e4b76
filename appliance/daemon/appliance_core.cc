#include "appliance/daemon/appliance_core.h"

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
  core->services_.reset(new ApplianceServices{core->config_, *core->store_, *core->ingest_,
                                              *core->access_, *core->registry_, core->ca_,
                                              core->metrics_, clock});
  core->services_->started_unix_ns = clock.NowUnixNanos();
  return core;
}

}  // namespace cairn
