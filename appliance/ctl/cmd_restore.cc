// cairnctl restore: a snapshot into a directory (confined to it), or as a
// pax tar stream on stdout with --target -. A store attached to a replica
// (cairnctl replica attach) fetches the chunks it lacks from the replica.
#include <unistd.h>

#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/cli/human.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"
#include "core/engine/restore.h"
#include "core/tree/tar_writer.h"
#include "core/tree/tree_restorer.h"
#include "sync/recovery/attached_restore.h"

namespace cairn::ctl {
namespace {

Result<RestoreResult> RestoreLocal(const StoreFlags& flags, const Environment& env,
                                   const ReplicaSecrets& secrets, const RestoreRequest& request,
                                   EntrySink& sink, AttachedRestoreStats& stats) {
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenStore(flags, env));
  return RestoreFromStore(*store, request, sink, secrets, &stats);
}

// A chunk from the admin API (plaintext, checked against its id by the
// appliance), one client connection per prefetch thread.
class AdminChunkFetcher : public ChunkFetcher {
 public:
  explicit AdminChunkFetcher(std::unique_ptr<AdminClient> client) : client_(std::move(client)) {}
  Result<Bytes> Fetch(const ChunkId& id) override {
    CAIRN_ASSIGN_OR_RETURN(std::string body, client_->GetRaw("/v1/chunks/" + id.Hex(), "read chunk " + id.Hex()));
    return Bytes(body.begin(), body.end());
  }

 private:
  std::unique_ptr<AdminClient> client_;
};

// "latest", an id or an id prefix: it goes into a URL path, so only the id
// alphabet is accepted.
Status ValidateSnapshotSpec(const std::string& spec) {
  if (spec.empty() || spec.find_first_not_of("0123456789abcdeflatest") != std::string::npos) {
    return Status::InvalidArgument("--snapshot must be 'latest' or a (prefix of a) snapshot id, "
                                   "16 lowercase hex digits; got '" + spec + "'");
  }
  return Status::Ok();
}

Result<RestoreResult> RestoreRemote(const RemoteFlags& flags, const RestoreRequest& request,
                                    EntrySink& sink) {
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotSpec(request.snapshot));
  if (request.name) CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(*request.name));
  CAIRN_ASSIGN_OR_RETURN(auto client, AdminClient::Connect(flags));
  std::string target = "/v1/snapshots/" + request.snapshot + "/manifest";
  if (request.name) target += "?name=" + *request.name;
  CAIRN_ASSIGN_OR_RETURN(std::string text, client->GetRaw(target, "read snapshot " + request.snapshot));
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, Manifest::Parse(AsBytes(text)));
  std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
  for (int i = 0; i < RestoreThreads(request); ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto c, AdminClient::Connect(flags));
    fetchers.push_back(std::make_unique<AdminChunkFetcher>(std::move(c)));
  }
  return RestoreManifest(manifest, std::move(fetchers), request, sink);
}

}  // namespace


void RegisterRestoreCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("restore", "restore a snapshot");
  struct Flags {
    StoreFlags store;
    RemoteFlags remote;
    std::string snapshot, target, name;
    int threads = 0;
    std::string replica_token, s3_credentials, replica_ca_file;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  AddRemoteFlags(cmd, flags->remote, env.remote, /*required=*/false);
  cmd->add_option("--snapshot", flags->snapshot, "snapshot id, unique id prefix, or latest")
      ->required();
  cmd->add_option("--target", flags->target, "directory to restore into, or - for a tar stream")
      ->required();
  cmd->add_option("--name", flags->name, "with --snapshot latest: the newest of this name");
  cmd->add_option("--threads", flags->threads, "reader threads (default: one per core)");
  cmd->add_option("--replica-token", flags->replica_token,
                  "attached store: admin API token of the appliance holding the replica (env "
                  "CAIRN_REPLICA_TOKEN)")
      ->envname("CAIRN_REPLICA_TOKEN");
  cmd->add_option("--s3-credentials", flags->s3_credentials,
                  "attached store: the replica's S3 credentials file, if moved since attach");
  cmd->add_option("--replica-ca-file", flags->replica_ca_file,
                  "attached store: the replica's CA file, if moved since attach");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      bool to_stdout = flags->target == "-";
      std::unique_ptr<EntrySink> sink;
      if (to_stdout) {
        auto w = TarWriter::Create(STDOUT_FILENO);
        if (!w.ok()) return Fail(w.error());
        sink = std::move(*w);
      } else {
        auto r = TreeRestorer::Create(flags->target, RestoreOptions{});
        if (!r.ok()) return Fail(r.error());
        sink = std::move(*r);
      }
      JobProgress progress;
      RestoreRequest request;
      request.snapshot = flags->snapshot;
      if (!flags->name.empty()) request.name = flags->name;
      request.threads = flags->threads;
      request.progress = &progress;
      ReplicaSecrets secrets;
      secrets.admin_token = flags->replica_token;
      if (!flags->s3_credentials.empty()) secrets.s3_credentials_file = fs::absolute(flags->s3_credentials);
      if (!flags->replica_ca_file.empty()) secrets.ca_file = fs::absolute(flags->replica_ca_file);
      AttachedRestoreStats fetched;
      auto start = std::chrono::steady_clock::now();
      ProgressLine line(progress, RenderRestoreProgress);
      auto result = UseRemote(flags->store, flags->remote)
                        ? RestoreRemote(flags->remote, request, *sink)
                        : RestoreLocal(flags->store, env, secrets, request, *sink, fetched);
      line.Stop();
      if (!result.ok()) return Fail(result.error().WithContext("restore failed"));
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      FILE* out = to_stdout ? stderr : stdout;  // stdout carries the tar stream
      if (fetched.attached) {
        std::fprintf(out, "fetched %llu chunks (%s) from the replica %s; kept in the store\n",
                     static_cast<unsigned long long>(fetched.fetched.chunks.load()),
                     HumanBytes(fetched.fetched.bytes).c_str(), fetched.source.c_str());
      }
      return ReportRestore(*result, secs, out, "cairnctl");
    };
  });
}

}  // namespace cairn::ctl
