// cairnctl retention set|show|preview|remove, cairnctl prune, and
// cairnctl snapshot delete|lock -- against the appliance's admin API
// (appliance/daemon/retention_api.h). Prune runs on the appliance as a job;
// `--wait` follows it.
#include <cstdio>

#include "appliance/ctl/job_wait.h"
#include "appliance/ctl/remote_command.h"
#include "core/cli/human.h"

namespace cairn::ctl {
namespace {

using json = nlohmann::json;

struct PolicyFlags {
  std::string cluster, schedule;
  int keep_last = 0, keep_hourly = 0, keep_daily = 0, keep_weekly = 0, keep_monthly = 0,
      keep_yearly = 0;
  std::string min_age, lock_for;
};

json PolicyBody(const PolicyFlags& f) {
  json policy = json::object();
  const std::pair<const char*, int> keeps[] = {
      {"keep_last", f.keep_last},     {"keep_hourly", f.keep_hourly},
      {"keep_daily", f.keep_daily},   {"keep_weekly", f.keep_weekly},
      {"keep_monthly", f.keep_monthly}, {"keep_yearly", f.keep_yearly}};
  for (const auto& [key, value] : keeps) {
    if (value != 0) policy[key] = value;
  }
  if (!f.min_age.empty()) policy["min_age"] = f.min_age;
  if (!f.lock_for.empty()) policy["lock_for"] = f.lock_for;
  json body{{"cluster", f.cluster}, {"policy", policy}};
  if (!f.schedule.empty()) body["schedule"] = f.schedule;
  return body;
}

void PrintPolicies(const json& j) {
  std::printf("%-20s  %-16s  %s\n", "CLUSTER", "SCHEDULE", "POLICY");
  for (const json& p : List(j, "policies")) {
    const std::string schedule = Str(p, "schedule");
    std::printf("%-20s  %-16s  %s\n", Str(p, "cluster").c_str(),
                schedule.empty() ? "(default)" : schedule.c_str(), Str(p, "description").c_str());
  }
}

void PrintPlan(const json& j, bool preview) {
  for (const json& set : List(j, "sets")) {
    const std::string policy = Str(set, "policy");
    std::printf("%s/%s%s  policy: %s\n", Str(set, "cluster").c_str(), Str(set, "name").c_str(),
                Str(set, "schedule").empty() ? "" : (" [" + Str(set, "schedule") + "]").c_str(),
                policy.empty() ? "none (everything is kept)" : policy.c_str());
    for (const json& s : List(set, "snapshots")) {
      std::string reasons;
      for (const json& r : List(s, "reasons")) {
        reasons += (reasons.empty() ? "" : "; ") + r.get<std::string>();
      }
      std::printf("  %-6s %s  %s  %s\n", Flag(s, "keep") ? "keep" : (preview ? "forget" : "gone"),
                  Str(s, "id").c_str(), HumanTime(Int(s, "created_unix_ns")).c_str(),
                  reasons.c_str());
    }
  }
  std::printf("%s: %llu kept, %llu %s\n", preview ? "preview" : "prune",
              static_cast<unsigned long long>(Num(j, "kept")),
              static_cast<unsigned long long>(preview ? Num(j, "would_delete") : Num(j, "deleted")),
              preview ? "would be deleted (run `cairnctl prune` to delete them)" : "deleted");
  for (const json& e : List(j, "errors")) std::printf("error: %s\n", e.get<std::string>().c_str());
}

// Starts job `kind`; with `wait`, follows it and fails unless it succeeded.
Result<json> StartJobAndMaybeWait(AdminClient& c, const std::string& kind, const json& options,
                                  bool wait) {
  CAIRN_ASSIGN_OR_RETURN(json job, c.Post("/v1/jobs/" + kind, {{"options", options}}));
  if (!wait) return job;
  CAIRN_ASSIGN_OR_RETURN(json done, WaitForJob(c, Str(job, "id")));
  if (Str(done, "state") != "succeeded") {
    return Status::IoError("job " + Str(done, "id") + " (" + kind + ") " + Str(done, "state") +
                           ": " + Str(done, "error"));
  }
  return done;
}

}  // namespace

void RegisterRetentionCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* retention =
      app.add_subcommand("retention", "retention policies per cluster and schedule (remote)");
  retention->require_subcommand(1);

  auto f = std::make_shared<PolicyFlags>();
  CLI::App* set = retention->add_subcommand(
      "set", "set the policy of a cluster (or of one of its schedules); replaces the old one");
  set->add_option("--cluster", f->cluster, "cluster name")->required();
  set->add_option("--schedule", f->schedule,
                  "only snapshots of this schedule (tag schedule=NAME); default: the cluster's "
                  "default policy");
  set->add_option("--keep-last", f->keep_last, "keep the N newest");
  set->add_option("--keep-hourly", f->keep_hourly, "keep the newest of each of the last N hours");
  set->add_option("--keep-daily", f->keep_daily, "... days");
  set->add_option("--keep-weekly", f->keep_weekly, "... ISO weeks");
  set->add_option("--keep-monthly", f->keep_monthly, "... months");
  set->add_option("--keep-yearly", f->keep_yearly, "... years");
  set->add_option("--min-age", f->min_age, "never delete snapshots younger than this (e.g. 24h)");
  set->add_option("--lock-for", f->lock_for,
                  "lock new snapshots for this long (WORM, e.g. 30d): nobody, admins included, "
                  "can delete them or shorten the lock");
  Remote(set, reg, env, [f](AdminClient& c) { return c.Call("PUT", "/v1/retention", PolicyBody(*f)); },
         [](const json& p) {
           std::printf("retention of %s%s: %s\n", Str(p, "cluster").c_str(),
                       Str(p, "schedule").empty() ? "" : ("/" + Str(p, "schedule")).c_str(),
                       Str(p, "description").c_str());
         });

  auto show_cluster = std::make_shared<std::string>();
  CLI::App* show = retention->add_subcommand("show", "list the policies");
  show->add_option("--cluster", *show_cluster, "only this cluster");
  Remote(show, reg, env,
         [show_cluster](AdminClient& c) {
           return c.Get("/v1/retention" +
                        (show_cluster->empty() ? "" : "?cluster=" + *show_cluster));
         },
         PrintPolicies);

  auto preview_cluster = std::make_shared<std::string>();
  CLI::App* preview =
      retention->add_subcommand("preview", "what a prune would delete now, and why each stays");
  preview->add_option("--cluster", *preview_cluster, "only this cluster");
  Remote(preview, reg, env,
         [preview_cluster](AdminClient& c) {
           json body = json::object();
           if (!preview_cluster->empty()) body["cluster"] = *preview_cluster;
           return c.Post("/v1/retention/preview", body);
         },
         [](const json& j) { PrintPlan(j, /*preview=*/true); });

  auto rf = std::make_shared<PolicyFlags>();
  CLI::App* remove = retention->add_subcommand("remove", "remove a policy (its sets are kept whole)");
  remove->add_option("--cluster", rf->cluster, "cluster name")->required();
  remove->add_option("--schedule", rf->schedule, "the schedule's policy, not the default");
  Remote(remove, reg, env,
         [rf](AdminClient& c) {
           json body{{"cluster", rf->cluster}};
           if (!rf->schedule.empty()) body["schedule"] = rf->schedule;
           return c.Call("DELETE", "/v1/retention", body);
         },
         [](const json&) { std::printf("removed\n"); });

  struct PruneFlags {
    std::string cluster;
    bool dry_run = false, wait = false;
  };
  auto pf = std::make_shared<PruneFlags>();
  CLI::App* prune = app.add_subcommand(
      "prune", "run the retention policies on the appliance (a job); locked snapshots stay");
  prune->add_option("--cluster", pf->cluster, "only this cluster");
  prune->add_flag("--dry-run", pf->dry_run, "decide, delete nothing");
  prune->add_flag("--wait", pf->wait, "follow the job and print what it deleted");
  Remote(prune, reg, env,
         [pf](AdminClient& c) {
           json options{{"dry_run", pf->dry_run}};
           if (!pf->cluster.empty()) options["cluster"] = pf->cluster;
           return StartJobAndMaybeWait(c, "prune", options, pf->wait);
         },
         [pf](const json& job) {
           if (!pf->wait) {
             std::printf("started prune job %s (`cairnctl job show %s --wait` follows it)\n",
                         Str(job, "id").c_str(), Str(job, "id").c_str());
             return;
           }
           PrintPlan(job["result"], pf->dry_run);
         });

  CLI::App* snapshot = app.add_subcommand("snapshot", "delete or lock one snapshot (remote)");
  snapshot->require_subcommand(1);
  auto del_id = std::make_shared<std::string>();
  CLI::App* del = snapshot->add_subcommand("delete", "delete a snapshot (refused while locked)");
  del->add_option("id", *del_id, "snapshot id or unique prefix")->required();
  Remote(del, reg, env,
         [del_id](AdminClient& c) { return c.Call("DELETE", "/v1/snapshots/" + *del_id); },
         [](const json& j) {
           std::printf("deleted %s; %s\n", Str(j, "deleted").c_str(), Str(j, "hint").c_str());
         });
  struct LockFlags {
    std::string id, until;
  };
  auto lf = std::make_shared<LockFlags>();
  CLI::App* lock = snapshot->add_subcommand(
      "lock", "lock a snapshot until a date (WORM): it can be extended later, never shortened");
  lock->add_option("id", lf->id, "snapshot id or unique prefix")->required();
  lock->add_option("--until", lf->until, "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)")->required();
  Remote(lock, reg, env,
         [lf](AdminClient& c) {
           return c.Post("/v1/snapshots/" + lf->id + "/lock", {{"until", lf->until}});
         },
         [](const json& j) {
           std::printf("snapshot %s locked until %s\n", Str(j, "id").c_str(),
                       Str(j, "locked_until").c_str());
         });
}

}  // namespace cairn::ctl
