// cairnctl target add|list|status|remove: the appliance's replication
// targets (docs/api.md, "Replication targets"). The spec is built and
// validated here (the same TargetSpec the appliance keeps), so a typo is
// refused before anything is sent; the appliance validates it again.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "appliance/ctl/remote_command.h"
#include "core/base/clock.h"
#include "core/base/duration.h"
#include "core/cli/human.h"
#include "sync/target/target_spec.h"

namespace cairn::ctl {
namespace {

using json = nlohmann::json;

struct AddOptions {
  std::string name;
  // S3
  std::string s3_endpoint, s3_bucket, s3_prefix, s3_region = "us-east-1", s3_credentials, s3_ca_file;
  bool s3_virtual_host = false;
  std::string s3_part_size;
  // appliance
  std::string appliance_url, pair_token;
  // directory
  std::string dir;
  // policy
  std::string bandwidth = "0", order = "oldest-first", rpo_budget = "24h", probe_interval = "30s";
  std::vector<std::string> windows;
  int streams = 4;
  bool synchronous = false;
};

Result<json> BuildAddRequest(const AddOptions& o) {
  TargetSpec t;
  t.name = o.name;
  const int kinds = !o.s3_endpoint.empty() + !o.appliance_url.empty() + !o.dir.empty();
  if (kinds != 1) {
    return Status::InvalidArgument(
        "give exactly one of --s3-endpoint (S3), --appliance-url (another Cairn appliance) or "
        "--dir (a directory on the appliance)");
  }
  if (!o.s3_endpoint.empty()) {
    t.kind = TargetKind::kS3;
    t.s3.endpoint = o.s3_endpoint;
    t.s3.bucket = o.s3_bucket;
    t.s3.prefix = o.s3_prefix;
    t.s3.region = o.s3_region;
    t.s3.credentials_file = o.s3_credentials;
    t.s3.ca_file = o.s3_ca_file;
    t.s3.virtual_host = o.s3_virtual_host;
    if (!o.s3_part_size.empty()) {
      CAIRN_ASSIGN_OR_RETURN(t.s3.part_size, ParseByteRate(o.s3_part_size));
      t.s3.multipart_threshold = std::max(t.s3.multipart_threshold, t.s3.part_size);
    }
  } else if (!o.appliance_url.empty()) {
    t.kind = TargetKind::kAppliance;
    t.appliance.url = o.appliance_url;
    // The appliance chooses where pairing keeps the credentials; a valid
    // placeholder lets the spec validate here.
    t.appliance.credentials_dir = "/var/lib/cairn/peers/" + o.name;
  } else {
    t.kind = TargetKind::kDirectory;
    t.directory.dir = o.dir;
  }
  CAIRN_ASSIGN_OR_RETURN(t.policy.bandwidth_limit, ParseByteRate(o.bandwidth));
  for (const std::string& w : o.windows) {
    CAIRN_ASSIGN_OR_RETURN(TimeWindow parsed, ParseTimeWindow(w));
    t.policy.windows.push_back(parsed);
  }
  if (o.order == "oldest-first") {
    t.policy.order = ReplicationOrder::kOldestFirst;
  } else if (o.order == "newest-first") {
    t.policy.order = ReplicationOrder::kNewestFirst;
  } else {
    return Status::InvalidArgument("--order must be oldest-first or newest-first");
  }
  t.policy.streams = o.streams;
  t.policy.synchronous = o.synchronous;
  CAIRN_ASSIGN_OR_RETURN(t.policy.rpo_budget, ParseDuration(o.rpo_budget));
  CAIRN_ASSIGN_OR_RETURN(t.policy.probe_interval, ParseDuration(o.probe_interval));
  CAIRN_RETURN_IF_ERROR(t.Validate());
  json spec = t.ToJson();
  if (t.kind == TargetKind::kAppliance) spec["appliance"].erase("credentials_dir");
  json body{{"spec", spec}};
  if (!o.pair_token.empty()) body["pair_token"] = o.pair_token;
  return body;
}

std::string Age(const json& j, const char* key, std::int64_t now_ns) {
  if (!j.contains(key) || !j[key].is_number_integer()) return "never";
  const std::int64_t s = (now_ns - j[key].get<std::int64_t>()) / 1'000'000'000;
  return FormatDuration(std::chrono::seconds(std::max<std::int64_t>(s, 0))) + " ago";
}

std::string Where(const json& t) {
  const json& spec = t.contains("spec") ? t["spec"] : json::object();
  const std::string kind = Str(t, "kind");
  if (kind == "s3" && spec.contains("s3")) {
    const json& s = spec["s3"];
    std::string where = Str(s, "endpoint") + " " + Str(s, "bucket");
    if (!Str(s, "prefix").empty()) where += "/" + Str(s, "prefix");
    return where;
  }
  if (kind == "appliance" && spec.contains("appliance")) return Str(spec["appliance"], "url");
  if (kind == "directory" && spec.contains("directory")) return Str(spec["directory"], "dir");
  return "";
}

std::string Rpo(const json& t) {
  std::string rpo = FormatDuration(std::chrono::seconds(Int(t, "rpo_seconds")));
  if (Flag(t, "rpo_alert")) rpo += " ALERT";
  return rpo;
}

void PrintStatus(const json& t) {
  const std::int64_t now = DefaultClock().NowUnixNanos();
  const json& spec = t.contains("spec") ? t["spec"] : json::object();
  const json& policy = spec.contains("policy") ? spec["policy"] : json::object();
  std::printf("target %s (%s) %s\n", Str(t, "name").c_str(), Str(t, "kind").c_str(), Where(t).c_str());
  std::printf("  state          %s since %s, %s\n", Str(t, "state").c_str(),
              Age(t, "state_since_unix_ns", now).c_str(), Str(t, "activity").c_str());
  if (!Str(t, "last_error").empty()) std::printf("  last error     %s\n", Str(t, "last_error").c_str());
  std::printf("  last probe     %s (%lld ms)%s\n", Age(t, "last_probe_unix_ns", now).c_str(),
              static_cast<long long>(Int(t, "probe_latency_ms")),
              Flag(t, "supports_locks") ? ", object lock on" : "");
  std::printf("  queue          %llu snapshot(s), %s\n",
              static_cast<unsigned long long>(Num(t, "queue_snapshots")),
              HumanBytes(Num(t, "queue_bytes")).c_str());
  std::printf("  throughput     %s/s (last pass); %s sent, %llu snapshot(s) since start\n",
              HumanBytes(static_cast<std::uint64_t>(Real(t, "throughput_bytes_per_s"))).c_str(),
              HumanBytes(Num(t, "bytes_sent_total")).c_str(),
              static_cast<unsigned long long>(Num(t, "snapshots_replicated_total")));
  std::printf("  last success   %s\n", Age(t, "last_success_unix_ns", now).c_str());
  std::printf("  RPO            %s (budget %s)\n", Rpo(t).c_str(),
              FormatDuration(std::chrono::seconds(Int(t, "rpo_budget_seconds"))).c_str());
  std::string windows;
  for (const auto& w : List(policy, "windows")) windows += (windows.empty() ? "" : ", ") + w.get<std::string>();
  std::printf("  policy         %s, %lld stream(s), bandwidth %s, windows %s%s\n",
              Str(policy, "order").c_str(), static_cast<long long>(Int(policy, "streams")),
              Num(policy, "bandwidth_limit") ? (HumanBytes(Num(policy, "bandwidth_limit")) + "/s").c_str()
                                             : "unlimited",
              windows.empty() ? "always" : windows.c_str(),
              Flag(policy, "synchronous") ? ", synchronous" : "");
  for (const auto& e : List(t, "history")) {
    std::printf("  %s  %-8s  %s\n", HumanTime(Int(e, "at_unix_ns")).c_str(), Str(e, "state").c_str(),
                Str(e, "detail").c_str());
  }
}

}  // namespace

void RegisterTargetCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* target = app.add_subcommand("target", "replication targets of the appliance (remote)");
  target->require_subcommand(1);

  auto o = std::make_shared<AddOptions>();
  CLI::App* add = target->add_subcommand("add", "add a target: S3, another appliance, or a directory");
  add->add_option("name", o->name, "target name (a-z 0-9 -)")->required();
  add->add_option("--s3-endpoint", o->s3_endpoint, "S3 endpoint, http(s)://host[:port]");
  add->add_option("--s3-bucket", o->s3_bucket,
                  "bucket; with Object Lock enabled on it, a locked snapshot's objects are "
                  "retained (COMPLIANCE) until the snapshot's lock");
  add->add_option("--s3-prefix", o->s3_prefix, "key prefix inside the bucket");
  add->add_option("--s3-region", o->s3_region, "region (default us-east-1)");
  add->add_option("--s3-credentials", o->s3_credentials,
                  "credentials file ON THE APPLIANCE: access_key = \"...\" / secret_key = \"...\"");
  add->add_option("--s3-ca-file", o->s3_ca_file, "CA bundle on the appliance for an https endpoint");
  add->add_flag("--s3-virtual-host", o->s3_virtual_host, "virtual-host style (bucket.host)");
  add->add_option("--s3-part-size", o->s3_part_size, "multipart part size (default 16MiB)");
  add->add_option("--appliance-url", o->appliance_url, "the remote appliance's ingest URL, https://host:8443");
  add->add_option("--pair-token", o->pair_token,
                  "pairing token from the remote appliance (`cairnctl peer token create`)");
  add->add_option("--dir", o->dir, "a directory on the appliance (a mounted disk)");
  add->add_option("--bandwidth", o->bandwidth, "limit, e.g. 10MiB or 100Mbit (per second); 0: none");
  add->add_option("--window", o->windows, "HH:MM-HH:MM UTC when replication may run (repeatable)");
  add->add_option("--order", o->order, "oldest-first (default) or newest-first");
  add->add_option("--streams", o->streams, "uploads in flight, 1..32 (default 4)");
  add->add_flag("--synchronous", o->synchronous,
                "a backup completes only once this target has it (asynchronous while it is down)");
  add->add_option("--rpo-budget", o->rpo_budget, "alert when the RPO passes this (default 24h)");
  add->add_option("--probe-interval", o->probe_interval, "WAN monitor period (default 30s)");
  Remote(add, reg, env,
         [o](AdminClient& c) -> Result<json> {
           CAIRN_ASSIGN_OR_RETURN(json body, BuildAddRequest(*o));
           return c.Post("/v1/targets", body);
         },
         [](const json& t) {
           std::printf("added target %s (%s) %s\n", Str(t, "name").c_str(), Str(t, "kind").c_str(),
                       Where(t).c_str());
         });

  Remote(target->add_subcommand("list", "list targets"), reg, env,
         [](AdminClient& c) { return c.Get("/v1/targets"); },
         [](const json& j) {
           const std::int64_t now = DefaultClock().NowUnixNanos();
           std::printf("%-16s  %-9s  %-8s  %8s  %10s  %-12s  %-14s  %s\n", "NAME", "KIND", "STATE",
                       "QUEUE", "BYTES", "RPO", "LAST SUCCESS", "WHERE");
           for (const auto& t : List(j, "targets")) {
             std::printf("%-16s  %-9s  %-8s  %8llu  %10s  %-12s  %-14s  %s\n", Str(t, "name").c_str(),
                         Str(t, "kind").c_str(), Str(t, "state").c_str(),
                         static_cast<unsigned long long>(Num(t, "queue_snapshots")),
                         HumanBytes(Num(t, "queue_bytes")).c_str(), Rpo(t).c_str(),
                         Age(t, "last_success_unix_ns", now).c_str(), Where(t).c_str());
           }
         });

  auto status_name = std::make_shared<std::string>();
  CLI::App* status = target->add_subcommand("status", "state, queue, throughput, RPO and history");
  status->add_option("name", *status_name, "one target (default: all)");
  Remote(status, reg, env,
         [status_name](AdminClient& c) -> Result<json> {
           if (!status_name->empty()) return c.Get("/v1/targets/" + *status_name);
           return c.Get("/v1/targets");
         },
         [](const json& j) {
           if (j.contains("targets")) {
             for (const auto& t : List(j, "targets")) PrintStatus(t);
           } else {
             PrintStatus(j);
           }
         });

  auto remove_name = std::make_shared<std::string>();
  CLI::App* remove = target->add_subcommand("remove", "remove a target (what it holds stays there)");
  remove->add_option("name", *remove_name, "target name")->required();
  Remote(remove, reg, env,
         [remove_name](AdminClient& c) { return c.Call("DELETE", "/v1/targets/" + *remove_name); },
         [](const json& j) { std::printf("removed target %s\n", Str(j, "removed").c_str()); });
}

}  // namespace cairn::ctl
