#include "agent/resource_restore.h"

#include "agent/agent_backup.h"
#include "agent/resources/resource_set.h"
#include "agent/resources/restore_order.h"
#include "agent/resources/yaml_writer.h"

namespace cairn {
namespace {

using SteadyClock = std::chrono::steady_clock;

void PrintPlanLine(std::FILE* out, const kube::PlannedObject& o, const kube::ObjectOutcome& r) {
  if (out == nullptr) return;
  std::fprintf(out, "%-7s %s%s%s\n", std::string(kube::ObjectActionName(r.action, true)).c_str(),
               r.what.c_str(), r.message.empty() ? "" : "  # ", r.message.c_str());
  (void)o;
}

void Count(ResourceRestoreResult& result, const kube::ObjectOutcome& outcome) {
  switch (outcome.action) {
    case kube::ObjectAction::kCreated: ++result.created; break;
    case kube::ObjectAction::kUpdated: ++result.updated; break;
    case kube::ObjectAction::kSkipped: ++result.skipped; break;
    case kube::ObjectAction::kFailed: ++result.failed; break;
  }
  result.outcomes.push_back(outcome);
}

std::string JoinNotes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}

Status WriteToDir(const kube::RestorePlan& plan, const std::string& dir,
                  ResourceRestoreResult& result) {
  std::vector<nlohmann::json> objects;
  objects.reserve(plan.objects.size());
  std::vector<kube::YamlTreeItem> items;
  for (const kube::PlannedObject& o : plan.objects) {
    if (!o.error.empty()) {
      Count(result, {o.Describe(), kube::ObjectAction::kFailed, o.error});
      continue;
    }
    nlohmann::json object = o.object;
    // No uids to put there: the objects' owners get new ones when applied,
    // and controllers adopt what matches their selectors again.
    if (object["metadata"].is_object()) object["metadata"].erase("ownerReferences");
    objects.push_back(std::move(object));
  }
  std::size_t next = 0;
  for (const kube::PlannedObject& o : plan.objects) {
    if (!o.error.empty()) continue;
    items.push_back(kube::YamlTreeItem{kube::RestoreRank(o.group, o.resource, o.custom),
                                       o.QualifiedResource(), o.ns, o.name, &objects[next++]});
  }
  CAIRN_ASSIGN_OR_RETURN(std::size_t written, kube::WriteYamlTree(dir, items));
  result.files_written = written;
  for (const kube::PlannedObject& o : plan.objects) {
    if (o.error.empty()) Count(result, {o.Describe(), kube::ObjectAction::kCreated, JoinNotes(o.notes)});
  }
  return Status::Ok();
}

}  // namespace

Result<kube::SnapshotFiles> LoadResourceSnapshot(const ResourceSetSource& source,
                                                 std::string* snapshot_id) {
  if (!source.from_dir.empty()) return kube::LoadSnapshotDir(source.from_dir, source.limits);
  if (source.state == nullptr) {
    return Status::InvalidArgument("no snapshot source: pass --snapshot (with --state-dir) or --from-dir");
  }
  kube::SnapshotFilesSink sink(source.limits);
  CAIRN_ASSIGN_OR_RETURN(RestoreResult restored, RunAgentRestore(*source.state, source.request, sink));
  if (snapshot_id != nullptr) *snapshot_id = restored.snapshot_id;
  if (!restored.errors.empty()) {
    return Status::IoError("snapshot " + restored.snapshot_id + ": " +
                           std::to_string(restored.errors.size()) +
                           " files could not be read, first: " + restored.errors.front() +
                           "; nothing was restored (a partial set could leave an app half there)");
  }
  return sink.Take();
}

Result<ResourceRestoreResult> RunResourceRestore(kube::KubeClient* client,
                                                 const ResourceSetSource& source,
                                                 const ResourceRestoreOptions& options,
                                                 JobProgress* progress) {
  auto start = SteadyClock::now();
  ResourceRestoreResult result;
  result.dry_run = options.dry_run;
  result.to_dir = options.to_dir;
  if (client == nullptr && options.to_dir.empty() && !options.dry_run) {
    return Status::InvalidArgument("no Kubernetes API server to restore into: pass --kubeconfig "
                                   "(or run in the cluster), or --to-dir to write YAML files");
  }
  CAIRN_ASSIGN_OR_RETURN(kube::SnapshotFiles files, LoadResourceSnapshot(source, &result.snapshot_id));
  CAIRN_ASSIGN_OR_RETURN(kube::ResourceSet set, kube::BuildResourceSet(files));
  files = {};  // the parsed set holds what is needed
  for (std::string& w : set.warnings) result.warnings.push_back(std::move(w));

  std::optional<kube::DiscoveryResult> discovery;
  if (options.to_dir.empty() && client != nullptr) {
    Result<kube::DiscoveryResult> d = kube::Discover(*client);
    if (d.ok()) {
      discovery = std::move(*d);
      for (std::string& w : discovery->warnings) result.warnings.push_back(std::move(w));
    } else if (options.dry_run) {
      result.warnings.push_back("the target did not answer (" + d.error().message() +
                                "): the plan is shown without existence checks");
    } else {
      return d.error().WithContext("discover the target's API");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(kube::RestorePlan plan,
                         kube::BuildRestorePlan(set, options.plan, discovery ? &*discovery : nullptr));
  result.objects = plan.objects.size();
  result.notes = plan.notes;
  for (std::string& w : plan.warnings) result.warnings.push_back(std::move(w));
  if (progress != nullptr) progress->bytes_total.store(plan.objects.size(), std::memory_order_relaxed);

  if (!options.to_dir.empty()) {
    CAIRN_RETURN_IF_ERROR(WriteToDir(plan, options.to_dir, result));
  } else if (!discovery) {  // a dry run, target unreachable
    for (const kube::PlannedObject& o : plan.objects) {
      kube::ObjectOutcome r{o.Describe(),
                            o.error.empty() ? kube::ObjectAction::kCreated : kube::ObjectAction::kFailed,
                            o.error.empty() ? JoinNotes(o.notes) : o.error};
      PrintPlanLine(options.plan_out, o, r);
      Count(result, r);
    }
  } else {
    kube::ApplyOptions apply;
    apply.existing = options.existing;
    apply.dry_run = options.dry_run;
    apply.crd_wait = options.crd_wait;
    apply.progress = progress;
    if (options.dry_run) {
      apply.on_object = [&](const kube::PlannedObject& o, const kube::ObjectOutcome& r) {
        PrintPlanLine(options.plan_out, o, r);
      };
    }
    kube::ApplyResult applied = kube::ApplyPlan(*client, plan, *discovery, apply);
    for (const kube::ObjectOutcome& r : applied.objects) Count(result, r);
    for (std::string& w : applied.warnings) result.warnings.push_back(std::move(w));
  }
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return result;
}

int PrintResourceRestoreReport(const ResourceRestoreResult& r, std::FILE* out) {
  for (const std::string& n : r.notes) std::fprintf(out, "note: %s\n", n.c_str());
  for (const std::string& w : r.warnings) std::fprintf(out, "warning: %s\n", w.c_str());
  if (!r.dry_run && r.to_dir.empty()) {
    for (const kube::ObjectOutcome& o : r.outcomes) {
      if (o.action == kube::ObjectAction::kSkipped) {
        std::fprintf(out, "skipped %s: %s\n", o.what.c_str(), o.message.c_str());
      } else if (o.action == kube::ObjectAction::kUpdated) {
        std::fprintf(out, "updated %s\n", o.what.c_str());
      }
    }
  }
  for (const kube::ObjectOutcome& o : r.outcomes) {
    if (o.action == kube::ObjectAction::kFailed) {
      std::fprintf(out, "failed  %s: %s\n", o.what.c_str(), o.message.c_str());
    }
  }
  const char* what = r.dry_run ? "dry run (nothing changed)" : !r.to_dir.empty() ? "written" : "restored";
  if (!r.to_dir.empty()) {
    std::fprintf(out, "%s %llu objects as YAML under %s (see its README.txt), %llu failed, "
                 "%.2f s\n", what, static_cast<unsigned long long>(r.files_written),
                 r.to_dir.c_str(), static_cast<unsigned long long>(r.failed), r.seconds);
  } else {
    std::fprintf(out,
                 "%s %llu objects%s%s: %llu %s, %llu %s, %llu %s, %llu failed, %zu warnings, "
                 "%.2f s, %.0f objects/s\n",
                 what, static_cast<unsigned long long>(r.objects),
                 r.snapshot_id.empty() ? "" : " of snapshot ", r.snapshot_id.c_str(),
                 static_cast<unsigned long long>(r.created), r.dry_run ? "to create" : "created",
                 static_cast<unsigned long long>(r.updated), r.dry_run ? "to update" : "updated",
                 static_cast<unsigned long long>(r.skipped),
                 r.dry_run ? "to skip (exist)" : "skipped (exist)",
                 static_cast<unsigned long long>(r.failed), r.warnings.size(), r.seconds,
                 r.objects_per_second());
  }
  return r.ok() ? 0 : 1;
}

}  // namespace cairn
