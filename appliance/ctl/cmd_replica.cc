// cairnctl replica attach | reseed: a store brought back from a replica (an
// S3 bucket, another appliance's copy, a directory) with the recovery kit.
//
//   attach  makes DIR a store: config, every manifest, a new key file, the
//           catalog; chunks stay on the replica until a restore needs them
//   reseed  attach, then pull every chunk: DIR becomes a complete store
//           (verify passes; cairn-appliance init --adopt-store takes it)
//
// Both are safe to run again (a cut reseed resumes). The source's secrets
// (an appliance's admin token) come from flags or CAIRN_REPLICA_TOKEN and
// are never written to DIR.
#include <chrono>
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/cli/human.h"
#include "core/cli/progress_line.h"
#include "core/crypto/recovery_kit.h"
#include "sync/recovery/replica_reseed.h"

namespace cairn::ctl {
namespace {

struct SourceFlags {
  std::string from_dir;
  std::string s3_endpoint, s3_bucket, s3_prefix, s3_credentials, s3_ca_file;
  std::string s3_region = "us-east-1";
  bool s3_virtual_host = false;
  std::string from_appliance, token, peer, ca_file;
};

struct ReplicaFlags {
  std::string store, kit, key_file;
  SourceFlags source;
  int streams = 4;
};

void AddReplicaFlags(CLI::App* cmd, ReplicaFlags& f, const Environment& env, bool pull) {
  f.store = env.store;
  cmd->add_option("--store", f.store, "the local store directory to make (env CAIRN_STORE)")
      ->required(env.store.empty());
  cmd->add_option("--recovery-kit", f.kit, "the store's recovery kit (cairnctl key export)")
      ->required();
  cmd->add_option("--key-file", f.key_file,
                  "key file for the local store: created (a new key slot) when absent; when it "
                  "exists it must open the store")
      ->required();
  auto* dir = cmd->add_option("--from-dir", f.source.from_dir, "the replica is this directory");
  auto* s3 = cmd->add_option("--s3-endpoint", f.source.s3_endpoint,
                             "the replica is in S3 at this endpoint (http[s]://host[:port])");
  cmd->add_option("--s3-bucket", f.source.s3_bucket, "S3 bucket");
  cmd->add_option("--s3-prefix", f.source.s3_prefix, "key prefix in the bucket (no leading '/')");
  cmd->add_option("--s3-region", f.source.s3_region, "S3 region")->capture_default_str();
  cmd->add_option("--s3-credentials", f.source.s3_credentials,
                  "TOML file: access_key = \"...\", secret_key = \"...\"");
  cmd->add_flag("--s3-virtual-host", f.source.s3_virtual_host, "virtual-host style bucket URLs");
  cmd->add_option("--s3-ca-file", f.source.s3_ca_file, "CA bundle for an https endpoint");
  auto* appliance = cmd->add_option("--from-appliance", f.source.from_appliance,
                                    "the replica another appliance holds: its admin API URL");
  cmd->add_option("--token", f.source.token,
                  "an admin API token of that appliance (env CAIRN_REPLICA_TOKEN; never stored)")
      ->envname("CAIRN_REPLICA_TOKEN");
  cmd->add_option("--peer", f.source.peer,
                  "the peer id that appliance holds this store's replica under");
  cmd->add_option("--ca-file", f.source.ca_file, "that appliance's CA certificate");
  dir->excludes(s3)->excludes(appliance);
  s3->excludes(appliance);
  if (pull) {
    cmd->add_option("--streams", f.streams, "chunks fetched at once (1..32)")
        ->capture_default_str();
  }
}

std::string Absolute(const std::string& path) {
  return path.empty() ? path : std::filesystem::absolute(path).string();
}

Result<std::pair<ReplicaSource, ReplicaSecrets>> SourceOf(const SourceFlags& f) {
  ReplicaSource source;
  ReplicaSecrets secrets;
  if (!f.from_dir.empty()) {
    source.target.kind = TargetKind::kDirectory;
    source.target.directory.dir = Absolute(f.from_dir);
  } else if (!f.s3_endpoint.empty()) {
    source.target.kind = TargetKind::kS3;
    S3TargetSettings& s3 = source.target.s3;
    s3.endpoint = f.s3_endpoint;
    s3.bucket = f.s3_bucket;
    s3.prefix = f.s3_prefix;
    s3.region = f.s3_region;
    s3.credentials_file = Absolute(f.s3_credentials);
    s3.ca_file = Absolute(f.s3_ca_file);
    s3.virtual_host = f.s3_virtual_host;
  } else if (!f.from_appliance.empty()) {
    source.kind = ReplicaSourceKind::kApplianceAdmin;
    source.appliance.admin_url = f.from_appliance;
    source.appliance.ca_file = Absolute(f.ca_file);
    source.appliance.peer_id = f.peer;
    secrets.admin_token = f.token;
  } else {
    return Status::InvalidArgument(
        "say where the replica is: --from-dir PATH, --s3-endpoint URL --s3-bucket B "
        "--s3-credentials FILE, or --from-appliance URL --token T --peer ID");
  }
  source.target.name = "replica";  // a TargetSpec needs one; never shown
  CAIRN_RETURN_IF_ERROR(source.Validate());
  return std::make_pair(std::move(source), std::move(secrets));
}

Result<AttachRequest> RequestOf(const ReplicaFlags& f, JobProgress* progress) {
  AttachRequest request;
  request.store_dir = f.store;
  request.key_file = f.key_file;
  CAIRN_ASSIGN_OR_RETURN(Bytes text,
                         ReadWholeFile(DefaultFileSystem(), f.kit, kMaxRecoveryKitTextSize));
  auto kit = ParseRecoveryKit(AsChars(text));
  Cleanse(text);  // it holds the master key
  if (!kit.ok()) return kit.error().WithContext("recovery kit " + f.kit);
  request.master = std::move(kit->first);
  request.kit_store_id = std::move(kit->second);
  CAIRN_ASSIGN_OR_RETURN(auto source, SourceOf(f.source));
  request.open_target = MakeReplicaTargetFactory(source.first, source.second);
  request.source = std::move(source.first);
  request.progress = progress;
  return request;
}

std::string RenderReplicaProgress(const JobProgress& p, double secs) {
  std::string line =
      "replica  " + std::to_string(p.chunks_done.load()) + " objects  " + HumanBytes(p.bytes_done);
  if (p.bytes_total > 0) line += " of " + HumanBytes(p.bytes_total);
  return line + "  " + HumanRate(p.bytes_done, secs);
}

void PrintChunkProblems(const char* label, const std::vector<DamagedChunk>& chunks) {
  for (const DamagedChunk& d : chunks) {
    std::printf("%s chunk %s: %s\n", label, d.id.Hex().c_str(), d.problem.c_str());
    for (const DamagedChunk::Use& use : d.used_by) {
      std::printf("  snapshot %s (%s):\n", use.snapshot_id.c_str(), use.name.c_str());
      for (const std::string& file : use.files) std::printf("    %s\n", file.c_str());
      if (use.more_files > 0) {
        std::printf("    ... and %llu more files\n",
                    static_cast<unsigned long long>(use.more_files));
      }
    }
  }
}

void PrintAttach(const AttachRequest& request, const AttachReport& r) {
  std::printf("replica %s: store %s, %zu snapshot manifests, %llu chunks (%s)\n", r.source.c_str(),
              r.store_id.c_str(), static_cast<std::size_t>(r.replica_manifests),
              static_cast<unsigned long long>(r.replica_chunks),
              HumanBytes(r.replica_chunk_bytes).c_str());
  if (r.ignored_key_count > 0) {
    std::string some;
    for (const std::string& k : r.ignored_keys) some += (some.empty() ? "" : ", ") + k;
    std::printf("ignored %llu listed keys that are not replica objects: %s%s\n",
                static_cast<unsigned long long>(r.ignored_key_count), some.c_str(),
                r.ignored_key_count > r.ignored_keys.size() ? ", ..." : "");
  }
  for (const std::string& w : r.warnings) std::printf("warning: %s\n", w.c_str());
  for (const std::string& m : r.unreadable_manifests)
    std::printf("UNREADABLE snapshot manifest %s\n", m.c_str());
  if (r.created_key_file) {
    std::printf("new key file %s: open the store with --key-file %s from now on\n",
                request.key_file.c_str(), request.key_file.c_str());
  }
  std::printf(
      "attached %s: %llu snapshots; %llu manifests fetched, %llu already local; %llu of %llu "
      "chunks local\n",
      request.store_dir.c_str(), static_cast<unsigned long long>(r.snapshots),
      static_cast<unsigned long long>(r.manifests_fetched),
      static_cast<unsigned long long>(r.manifests_local),
      static_cast<unsigned long long>(r.chunks_local),
      static_cast<unsigned long long>(r.chunks_referenced));
}

void PrintTransfer(std::uint64_t objects, std::uint64_t bytes, double secs) {
  std::printf("transferred %llu objects, %s in %.2f s (%s)\n",
              static_cast<unsigned long long>(objects), HumanBytes(bytes).c_str(), secs,
              HumanRate(bytes, secs).c_str());
}

int RunAttach(const ReplicaFlags& flags) {
  const auto start = std::chrono::steady_clock::now();
  JobProgress progress;
  auto request = RequestOf(flags, &progress);
  if (!request.ok()) return Fail(request.error());
  ProgressLine line(progress, RenderReplicaProgress);
  auto attached = AttachReplica(DefaultFileSystem(), *request);
  line.Stop();
  if (!attached.ok()) return Fail(attached.error().WithContext("replica attach failed"));
  const AttachReport& r = attached->report;
  PrintAttach(*request, r);
  PrintChunkProblems("MISSING", r.missing_chunks);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  PrintTransfer(r.objects_fetched, r.bytes_fetched, secs);
  if (!r.complete()) {
    std::printf("the replica is incomplete (listed above): the other snapshots restore\n");
    return 1;
  }
  std::printf(
      "restores fetch the chunks they need from the replica and keep them; "
      "'cairnctl replica reseed' pulls them all\n");
  return 0;
}

int RunReseed(const ReplicaFlags& flags) {
  const auto start = std::chrono::steady_clock::now();
  JobProgress progress;
  auto request = RequestOf(flags, &progress);
  if (!request.ok()) return Fail(request.error());
  PullOptions options;
  options.streams = flags.streams;
  options.progress = &progress;
  ProgressLine line(progress, RenderReplicaProgress);
  auto reseeded = ReseedStore(DefaultFileSystem(), *request, options);
  line.Stop();
  if (!reseeded.ok()) return Fail(reseeded.error().WithContext("replica reseed failed"));
  const ReseedReport& r = reseeded->second;
  PrintAttach(*request, r.attach);
  std::printf("pulled %llu chunks (%s); %llu were already local\n",
              static_cast<unsigned long long>(r.pull.chunks_fetched),
              HumanBytes(r.pull.bytes_fetched).c_str(),
              static_cast<unsigned long long>(r.attach.chunks_local + r.pull.chunks_already_local));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t objects = r.attach.objects_fetched + r.pull.chunks_fetched;
  const std::uint64_t bytes = r.attach.bytes_fetched + r.pull.bytes_fetched;
  if (!r.pull.stopped.ok()) {
    PrintChunkProblems("MISSING", r.attach.missing_chunks);
    PrintTransfer(objects, bytes, secs);
    return Fail(r.pull.stopped.WithContext(
        "the pull stopped (what arrived is kept: run the same command again to resume)"));
  }
  PrintChunkProblems("UNRECOVERED", r.unrecovered);
  for (const std::string& m : r.rebuild.unreadable_manifests) {
    std::printf("UNREADABLE snapshot manifest %s\n", m.c_str());
  }
  PrintTransfer(objects, bytes, secs);
  if (!r.complete()) {
    std::printf(
        "store %s is INCOMPLETE: the snapshots listed above lack data the replica does not "
        "have; the others restore\n",
        flags.store.c_str());
    return 1;
  }
  std::printf("store %s is complete: %llu snapshots, %llu chunks ('cairnctl verify' proves them)\n",
              flags.store.c_str(), static_cast<unsigned long long>(r.rebuild.snapshots),
              static_cast<unsigned long long>(r.rebuild.chunks));
  return 0;
}

}  // namespace

void RegisterReplicaCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* replica =
      app.add_subcommand("replica", "recovery from a replica, with the recovery kit");
  replica->require_subcommand(1);

  CLI::App* attach = replica->add_subcommand(
      "attach", "make a local store from a replica: snapshots listed and restorable at once");
  auto attach_flags = std::make_shared<ReplicaFlags>();
  AddReplicaFlags(attach, *attach_flags, env, /*pull=*/false);
  attach->callback(
      [&reg, attach_flags] { reg.runner = [attach_flags] { return RunAttach(*attach_flags); }; });

  CLI::App* reseed = replica->add_subcommand(
      "reseed", "attach, then pull every chunk: a complete local store (resumable)");
  auto reseed_flags = std::make_shared<ReplicaFlags>();
  AddReplicaFlags(reseed, *reseed_flags, env, /*pull=*/true);
  reseed->callback(
      [&reg, reseed_flags] { reg.runner = [reseed_flags] { return RunReseed(*reseed_flags); }; });
}

}  // namespace cairn::ctl
