#include "agent/resources/restore_applier.h"

#include <map>
#include <set>
#include <thread>

#include "agent/resources/restore_order.h"

namespace cairn::kube {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

class Applier {
 public:
  Applier(KubeClient& client, RestorePlan& plan, const DiscoveryResult& discovery,
          const ApplyOptions& options)
      : client_(client), plan_(plan), discovery_(discovery), options_(options) {}

  ApplyResult Run() {
    for (PlannedObject& o : plan_.objects) {
      ObjectOutcome outcome = Apply(o);
      switch (outcome.action) {
        case ObjectAction::kCreated: ++result_.created; break;
        case ObjectAction::kUpdated: ++result_.updated; break;
        case ObjectAction::kSkipped: ++result_.skipped; break;
        case ObjectAction::kFailed: ++result_.failed; break;
      }
      if (options_.progress != nullptr) options_.progress->Add(options_.progress->entries, 1);
      if (options_.on_object) options_.on_object(o, outcome);
      result_.objects.push_back(std::move(outcome));
    }
    return std::move(result_);
  }

 private:
  static std::string Joined(const std::vector<std::string>& notes) {
    std::string out;
    for (const std::string& n : notes) out += (out.empty() ? "" : "; ") + n;
    return out;
  }

  ObjectOutcome Outcome(const PlannedObject& o, ObjectAction action, std::string message) {
    return ObjectOutcome{o.Describe(), action, std::move(message)};
  }

  ObjectOutcome Apply(PlannedObject& o) {
    if (!o.error.empty()) return Outcome(o, ObjectAction::kFailed, o.error);
    if (o.pending_crd) {
      if (options_.dry_run) {
        return Outcome(o, ObjectAction::kCreated, "after its CRD is established");
      }
      if (!crds_waited_) WaitForCrds();
      if (o.pending_crd || !o.error.empty()) {
        return Outcome(o, ObjectAction::kFailed,
                       o.error.empty() ? "its CRD is not served" : o.error);
      }
    }
    if (options_.dry_run) return DryRun(o);
    FixOwnerReferences(o);
    Result<json> created = client_.Create(o.CollectionPath(), o.object);
    if (created.ok()) {
      Remember(o, *created);
      return Outcome(o, ObjectAction::kCreated, Joined(o.notes));
    }
    if (created.error().code() != Status::Code::kAlreadyExists) {
      return Outcome(o, ObjectAction::kFailed, created.error().message());
    }
    if (options_.existing == ExistingPolicy::kSkip) {
      return Outcome(o, ObjectAction::kSkipped, "exists in the target (--existing skip)");
    }
    return Update(o);
  }

  ObjectOutcome DryRun(const PlannedObject& o) {
    Result<json> existing = client_.Get(o.ObjectPath());
    std::string notes = Joined(o.notes);
    if (existing.ok()) {
      if (options_.existing == ExistingPolicy::kSkip) {
        return Outcome(o, ObjectAction::kSkipped, "exists in the target");
      }
      return Outcome(o, ObjectAction::kUpdated, notes);
    }
    if (existing.error().code() != Status::Code::kNotFound) {
      notes += (notes.empty() ? "" : "; ") + std::string("could not tell whether it exists: ") +
               existing.error().message();
    }
    return Outcome(o, ObjectAction::kCreated, notes);
  }

  ObjectOutcome Update(PlannedObject& o) {
    // Two tries: someone may change the object between our GET and PUT.
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      Result<json> existing = client_.Get(o.ObjectPath());
      if (!existing.ok()) return Outcome(o, ObjectAction::kFailed, existing.error().message());
      json replacement = o.object;
      std::string rv = StringAt(*existing, {"metadata", "resourceVersion"});
      replacement["metadata"]["resourceVersion"] = rv;
      if (o.group.empty() && o.kind == "Service") {
        // Allocated by the server, dropped by the backup, immutable.
        for (const char* field : {"clusterIP", "clusterIPs"}) {
          const json* ip = JsonAt(*existing, {"spec", field});
          const json* spec = JsonAt(replacement, {"spec"});
          if (ip != nullptr && spec != nullptr && spec->is_object() && !spec->contains(field)) {
            replacement["spec"][field] = *ip;
          }
        }
      }
      Result<json> replaced = client_.Replace(o.ObjectPath(), replacement);
      if (replaced.ok()) {
        Remember(o, *replaced);
        return Outcome(o, ObjectAction::kUpdated, "replaced the existing object (--existing update)");
      }
      last = replaced.error();
      if (last.code() != Status::Code::kAlreadyExists) break;  // 409 Conflict: retry once
    }
    return Outcome(o, ObjectAction::kFailed, last.message());
  }

  void Remember(const PlannedObject& o, const json& server_object) {
    std::string uid = StringAt(server_object, {"metadata", "uid"});
    if (!uid.empty()) uids_[OwnerKey(o.group, o.kind, o.ns, o.name)] = uid;
  }

  // The uid of the owner in the target, "" when there is none.
  std::string OwnerUid(const std::string& group, const std::string& kind, const std::string& ns,
                       const std::string& name) {
    for (const std::string& key : {OwnerKey(group, kind, ns, name), OwnerKey(group, kind, "", name)}) {
      auto it = uids_.find(key);
      if (it != uids_.end()) return it->second;
    }
    const ApiResource* r = discovery_.FindPreferredKind(group, kind);
    if (r == nullptr) return "";
    std::string owner_ns = r->namespaced ? ns : "";
    std::string key = OwnerKey(group, kind, owner_ns, name);
    Result<json> found = client_.Get(r->ObjectPath(owner_ns, name));
    std::string uid = found.ok() ? StringAt(*found, {"metadata", "uid"}) : "";
    uids_[key] = uid;  // also remembers absence: one lookup per owner
    return uid;
  }

  void FixOwnerReferences(PlannedObject& o) {
    json* meta = const_cast<json*>(JsonAt(o.object, {"metadata"}));
    if (meta == nullptr || !meta->contains("ownerReferences")) return;
    json& refs = (*meta)["ownerReferences"];
    if (!refs.is_array()) {
      meta->erase("ownerReferences");
      return;
    }
    json kept = json::array();
    for (json& ref : refs) {
      std::string group = SplitApiVersion(StringAt(ref, {"apiVersion"})).first;
      std::string kind = StringAt(ref, {"kind"});
      std::string name = StringAt(ref, {"name"});
      std::string uid = kind.empty() || name.empty() ? "" : OwnerUid(group, kind, o.ns, name);
      if (uid.empty()) {
        result_.warnings.push_back(o.Describe() + ": owner " + kind + " " + name +
                                   " is neither restored nor in the target; reference dropped");
        continue;
      }
      ref["uid"] = uid;
      kept.push_back(std::move(ref));
    }
    if (kept.empty()) {
      meta->erase("ownerReferences");
    } else {
      refs = std::move(kept);
    }
  }

  // Polls discovery until every kind that waits for a CRD is served (or the
  // CRD defining it failed, or crd_wait passed), then resolves those objects.
  void WaitForCrds() {
    crds_waited_ = true;
    std::set<std::pair<std::string, std::string>> failed_crds;
    for (std::size_t i = 0; i < result_.objects.size(); ++i) {
      const PlannedObject& o = plan_.objects[i];
      if (o.kind == "CustomResourceDefinition" && result_.objects[i].action == ObjectAction::kFailed) {
        failed_crds.emplace(StringAt(o.object, {"spec", "group"}),
                            StringAt(o.object, {"spec", "names", "kind"}));
      }
    }
    std::set<std::pair<std::string, std::string>> waiting;
    for (const PlannedObject& o : plan_.objects) {
      if (o.pending_crd && failed_crds.count({o.group, o.kind}) == 0) waiting.emplace(o.group, o.kind);
    }
    auto start = SteadyClock::now();
    auto deadline = start + options_.crd_wait;
    while (!waiting.empty()) {
      Result<DiscoveryResult> d = Discover(client_);
      if (d.ok()) {
        discovery_ = std::move(*d);
        for (auto it = waiting.begin(); it != waiting.end();) {
          it = discovery_.FindPreferredKind(it->first, it->second) != nullptr ? waiting.erase(it)
                                                                              : std::next(it);
        }
      }
      if (waiting.empty() || SteadyClock::now() >= deadline) break;
      std::this_thread::sleep_for(options_.crd_poll);
    }
    double waited = std::chrono::duration<double>(SteadyClock::now() - start).count();
    for (PlannedObject& o : plan_.objects) {
      if (!o.pending_crd) continue;
      ResolveTargetApi(o, discovery_, /*crd_defined=*/false);
      if (!o.error.empty()) {
        o.error = failed_crds.count({o.group, o.kind}) != 0
                      ? "its CRD could not be created: " + o.error
                      : "not served " + std::to_string(static_cast<int>(waited)) +
                            " s after its CRD was created: " + o.error;
      }
    }
  }

  KubeClient& client_;
  RestorePlan& plan_;
  DiscoveryResult discovery_;
  const ApplyOptions& options_;
  ApplyResult result_;
  std::map<std::string, std::string> uids_;  // OwnerKey -> uid in the target ("" = absent)
  bool crds_waited_ = false;
};

}  // namespace

Result<ExistingPolicy> ParseExistingPolicy(const std::string& text) {
  if (text == "skip") return ExistingPolicy::kSkip;
  if (text == "update") return ExistingPolicy::kUpdate;
  return Status::InvalidArgument("--existing " + text + ": expected skip or update");
}

std::string_view ObjectActionName(ObjectAction action, bool dry_run) {
  switch (action) {
    case ObjectAction::kCreated: return dry_run ? "create" : "created";
    case ObjectAction::kUpdated: return dry_run ? "update" : "updated";
    case ObjectAction::kSkipped: return dry_run ? "skip" : "skipped";
    case ObjectAction::kFailed: return dry_run ? "fail" : "failed";
  }
  return "?";
}

ApplyResult ApplyPlan(KubeClient& client, RestorePlan& plan, const DiscoveryResult& discovery,
                      const ApplyOptions& options) {
  return Applier(client, plan, discovery, options).Run();
}

}  // namespace cairn::kube
