// RestoreApplier: carries out a RestorePlan against a Kubernetes API server,
// one object at a time in plan order.
//
//  - create (POST); AlreadyExists is not a failure: with --existing skip the
//    object is reported as skipped, with update it is replaced (PUT with the
//    existing object's resourceVersion; a Service keeps its clusterIP(s),
//    which the backup dropped and the server will not let change);
//  - owner references: the backup dropped the owners' uids; each reference
//    gets the uid of the owner as restored (or as found existing in the
//    target); a reference whose owner is neither is dropped with a warning;
//  - CRDs: before the first object that waits for a CRD, discovery is polled
//    (bounded by crd_wait) until the target serves every pending kind; kinds
//    still not served then fail, naming their CRD;
//  - dry run: nothing is changed; each object's existence is queried to say
//    whether it would be created, updated or skipped.
//
// Thread-safety: uses the client on the calling thread; the callback runs
// there too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/kube/kube_client.h"
#include "agent/resources/restore_plan.h"
#include "core/engine/progress.h"

namespace cairn::kube {

enum class ExistingPolicy { kSkip, kUpdate };
// "skip", "update"; InvalidArgument otherwise.
Result<ExistingPolicy> ParseExistingPolicy(const std::string& text);

enum class ObjectAction { kCreated, kUpdated, kSkipped, kFailed };
// "create", "update", "skip", "fail" (dry-run wording) or "created", ...
std::string_view ObjectActionName(ObjectAction action, bool dry_run);

struct ObjectOutcome {
  std::string what;  // PlannedObject::Describe()
  ObjectAction action = ObjectAction::kFailed;
  std::string message;  // the server's message for failures; notes otherwise
};

struct ApplyOptions {
  ExistingPolicy existing = ExistingPolicy::kSkip;
  bool dry_run = false;
  std::chrono::milliseconds crd_wait{30000};
  std::chrono::milliseconds crd_poll{250};
  JobProgress* progress = nullptr;  // entries: objects done
  // Called after each object (dry-run plan lines, logs).
  std::function<void(const PlannedObject&, const ObjectOutcome&)> on_object;
};

struct ApplyResult {
  std::vector<ObjectOutcome> objects;  // in plan order
  std::uint64_t created = 0, updated = 0, skipped = 0, failed = 0;
  std::vector<std::string> warnings;
};

// `discovery` is the target's, as the plan was built with; refreshed
// internally after CRDs are created. Never fails as a whole: per-object
// failures are in the result.
ApplyResult ApplyPlan(KubeClient& client, RestorePlan& plan, const DiscoveryResult& discovery,
                      const ApplyOptions& options);

}  // namespace cairn::kube
