// JobKind: one kind of maintenance job the admin API can start
// (POST /v1/jobs/{kind}): who may start it, and how to build the work from
// the request's options. Each kind lives in its own file (prune_job.cc,
// gc_job.cc, verify_job.cc) and is registered by ApplianceCore.
// Thread-safety: immutable after registration.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "appliance/daemon/job_runner.h"
#include "appliance/registry/role.h"

namespace cairn {

struct ApplianceServices;

struct JobKind {
  Permission permission = Permission::kWriteConfig;
  std::string description;
  // Checks `options` (InvalidArgument says what was wrong) and returns the
  // work; runs on the request's worker thread, the work on the job thread.
  std::function<Result<JobFunction>(const nlohmann::json& options, ApplianceServices&)> make;
};

}  // namespace cairn
