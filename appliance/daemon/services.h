// ApplianceServices: the long-lived objects every API handler may use,
// gathered so handlers are plain functions of (request, services) ->
// response, testable without sockets (CONVENTIONS.md, "Tests").
// Thread-safety: each member documents its own; all are shared by the
// worker pool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <nlohmann/json.hpp>

#include "appliance/config/appliance_config.h"
#include "appliance/daemon/chunk_access.h"
#include "appliance/daemon/chunk_ingest.h"
#include "appliance/daemon/job_kind.h"
#include "appliance/daemon/job_runner.h"
#include "appliance/daemon/metrics.h"
#include "appliance/daemon/store_service.h"
#include "core/pki/certificate_authority.h"
#include "appliance/registry/registry.h"
#include "core/base/clock.h"
#include "sync/engine/replication_service.h"

namespace cairn {

class MaintenanceScheduler;

struct ApplianceServices {
  const ApplianceConfig& config;
  StoreService& store;
  ChunkIngest& ingest;
  ChunkAccess& access;
  Registry& registry;
  const pki::CertificateAuthority& ca;
  ApplianceMetrics& metrics;
  Clock& clock;
  std::int64_t started_unix_ns = 0;
  // Replication to targets (sync/); null only in tests that build services
  // by hand.
  ReplicationService* replication = nullptr;
  // Maintenance jobs (prune, gc, verify): the runner and the kinds it can
  // start; null/empty only in tests that build services by hand.
  JobRunner* jobs = nullptr;
  std::map<std::string, JobKind> job_kinds = {};
  // The [maintenance] schedule, for GET /v1/jobs; set by Appliance::Run while
  // it runs, null otherwise (and in tests that do not schedule).
  const MaintenanceScheduler* maintenance = nullptr;
  // Per-listener connection figures for /metrics and /v1/status (set once
  // the listeners exist; empty object before).
  std::function<nlohmann::json()> listener_stats = [] { return nlohmann::json::object(); };
};

}  // namespace cairn
