#include "agent/agent_commands.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "agent/agent_backup.h"
#include "agent/enrollment.h"
#include "agent/identity_secret.h"
#include "agent/kube_connection.h"
#include "agent/resource_backup_command.h"
#include "agent/resource_restore_command.h"
#include "agent/run_command.h"
#include "agent/volume_commands.h"
#include "core/base/host_name.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"
#include "core/engine/directory_source.h"
#include "core/tree/tree_restorer.h"

namespace cairn {

int CommandFailed(const Status& s) {
  std::fprintf(stderr, "cairn-agent: %s\n", s.ToString().c_str());
  return 1;
}

namespace {

struct EnrollOpts {
  std::string token, token_file, cluster, identity_secret;
  bool if_needed = false;
  int wait_seconds = 600;
  KubeFlags kube;
};

// enroll, plus --if-needed and --identity-secret (agent/identity_secret.h).
int RunEnroll(AgentCommandFlags& flags, const EnrollOpts& o) {
  std::string token = o.token;
  if (!o.token_file.empty()) {
    auto read = ReadEnrollmentTokenFile(o.token_file);
    if (!read.ok()) return CommandFailed(read.error());
    token = *read;
  }
  std::optional<EnrollRequest> req;
  if (!token.empty()) {
    if (flags.appliance_url.empty())
      return CommandFailed(Status::InvalidArgument("--appliance is required to enroll"));
    req = EnrollRequest{};
    req->appliance_url = flags.appliance_url;
    req->token = token;
    req->state_dir = flags.state_dir;
    req->hostname = LocalHostName();  // Enroll falls back to "cairn-agent"
    req->cluster = o.cluster;
  }
  if (o.identity_secret.empty()) {
    if (o.if_needed) {
      if (auto have = AgentState::Load(flags.state_dir); have.ok()) {
        std::printf("already enrolled as agent %s of cluster %s\n", have->agent_id.c_str(),
                    have->cluster.c_str());
        return 0;
      }
    }
    if (!req)
      return CommandFailed(
          Status::InvalidArgument("--token or --token-file is required to enroll"));
    auto state = Enroll(*req);
    if (!state.ok()) return CommandFailed(state.error().WithContext("enrollment failed"));
    std::printf("enrolled as agent %s of cluster %s with %s\nstate in %s\n",
                state->agent_id.c_str(), state->cluster.c_str(), state->appliance_url.c_str(),
                flags.state_dir.c_str());
    return 0;
  }
  auto ref = ParseSecretRef(o.identity_secret);
  if (!ref.ok()) return CommandFailed(ref.error());
  auto kube = ConnectKube(o.kube, flags);
  if (!kube.ok()) return CommandFailed(kube.error());
  if (!o.if_needed) {
    // A plain enroll never replaces a stored identity (nor spends a token on it).
    auto existing = LoadIdentitySecret(**kube, *ref);
    if (existing.ok()) {
      return CommandFailed(
          Status::AlreadyExists("Secret " + ref->ToString() +
                                " already holds an agent identity: pass --if-needed to "
                                "run as that agent, or delete it to enroll anew"));
    }
    if (!existing.error().IsNotFound()) return CommandFailed(existing.error());
    if (!req)
      return CommandFailed(
          Status::InvalidArgument("--token or --token-file is required to enroll"));
  }
  EnsureIdentityRequest ensure;
  ensure.secret = *ref;
  ensure.state_dir = flags.state_dir;
  ensure.enroll = req;
  ensure.wait = std::chrono::seconds(o.wait_seconds);
  auto got = EnsureIdentity(**kube, ensure);
  if (!got.ok()) return CommandFailed(got.error().WithContext("enrollment failed"));
  const AgentState& st = got->state;
  switch (got->source) {
    case IdentitySource::kEnrolled:
      std::printf("enrolled as agent %s of cluster %s with %s\n", st.agent_id.c_str(),
                  st.cluster.c_str(), st.appliance_url.c_str());
      break;
    case IdentitySource::kStoredExisting:
      std::printf("already enrolled as agent %s of cluster %s\n", st.agent_id.c_str(),
                  st.cluster.c_str());
      break;
    case IdentitySource::kFromSecret:
      std::printf("running as agent %s of cluster %s (enrolled before)\n", st.agent_id.c_str(),
                  st.cluster.c_str());
      break;
  }
  std::printf("identity in Secret %s\nstate in %s\n", ref->ToString().c_str(),
              flags.state_dir.c_str());
  return 0;
}

void RegisterEnroll(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("enroll", "enroll with an appliance using a one-time token");
  auto o = std::make_shared<EnrollOpts>();
  cmd->add_option("--appliance", flags.appliance_url, "https://HOST:PORT of the ingest listener");
  auto* token =
      cmd->add_option("--token", o->token, "enrollment token from `cairnctl token create`");
  cmd->add_option("--token-file", o->token_file, "read the token from this file (a mounted Secret)")
      ->excludes(token);
  cmd->add_option("--state-dir", flags.state_dir, "where the agent keeps its identity");
  cmd->add_option("--cluster", o->cluster, "refuse a token that is not for this cluster");
  cmd->add_option("--identity-secret", o->identity_secret,
                  "NAMESPACE/NAME: keep the identity in this Kubernetes Secret, so all pods of a "
                  "cluster run as one agent");
  cmd->add_flag("--if-needed", o->if_needed,
                "succeed without enrolling when already enrolled (state dir or identity Secret); "
                "without a token, wait for the identity Secret");
  cmd->add_option("--wait", o->wait_seconds,
                  "seconds to wait for the identity Secret when not enrolling (default 600)")
      ->check(CLI::NonNegativeNumber);
  AddKubeFlags(*cmd, o->kube);
  cmd->callback([&flags, o] { flags.exit_code = RunEnroll(flags, *o); });
}

void RegisterBackup(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("backup", "back up a directory to the appliance");
  struct Opts {
    std::string path, name;
    std::vector<std::string> tags;
    int threads = 0;
    bool no_cache = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  cmd->add_option("--path", o->path, "directory to back up")->required();
  cmd->add_option("--name", o->name, "snapshot family name (A-Z a-z 0-9 . _ -)")->required();
  cmd->add_option("--tag", o->tags, "a label to attach (repeatable)");
  cmd->add_option("--threads", o->threads, "upload workers (default: one per core)");
  cmd->add_flag("--no-files-cache", o->no_cache, "read every file even if unchanged");
  cmd->callback([&flags, o] {
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) {
      flags.exit_code = CommandFailed(state.error());
      return;
    }
    JobProgress progress;
    BackupRequest request;
    request.name = o->name;
    request.tags = o->tags;
    request.threads = o->threads;
    request.use_files_cache = !o->no_cache;
    request.progress = &progress;
    ProgressLine line(progress, RenderBackupProgress);
    auto result = RunAgentBackup(*state, o->path, request);
    line.Stop();
    if (!result.ok()) {
      flags.exit_code =
          CommandFailed(result.error().WithContext("backup failed, no snapshot made"));
      return;
    }
    std::printf("uploaded       %llu chunks (%llu bytes) of %llu new to this backup\n",
                static_cast<unsigned long long>(result->chunks_uploaded),
                static_cast<unsigned long long>(result->bytes_uploaded),
                static_cast<unsigned long long>(result->chunks_offered));
    for (const std::string& r : result->replication) std::printf("replication    %s\n", r.c_str());
    PrintBackupSummary(result->backup);
  });
}

void RegisterRestore(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("restore", "restore a snapshot of this cluster");
  struct Opts {
    std::string snapshot, target, name;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  cmd->add_option("--snapshot", o->snapshot, "snapshot id, unique prefix, or latest")->required();
  cmd->add_option("--name", o->name, "with --snapshot latest: the newest of this name");
  cmd->add_option("--target", o->target, "directory to restore into")->required();
  cmd->add_option("--threads", o->threads, "download workers (default: one per core)");
  cmd->callback([&flags, o] {
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) {
      flags.exit_code = CommandFailed(state.error());
      return;
    }
    auto sink = TreeRestorer::Create(o->target, RestoreOptions{});
    if (!sink.ok()) {
      flags.exit_code = CommandFailed(sink.error());
      return;
    }
    JobProgress progress;
    RestoreRequest request;
    request.snapshot = o->snapshot;
    if (!o->name.empty()) request.name = o->name;
    request.threads = o->threads;
    request.progress = &progress;
    auto start = std::chrono::steady_clock::now();
    ProgressLine line(progress, RenderRestoreProgress);
    auto result = RunAgentRestore(*state, request, **sink);
    line.Stop();
    if (!result.ok()) {
      flags.exit_code = CommandFailed(result.error().WithContext("restore failed"));
      return;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    flags.exit_code = ReportRestore(*result, secs, stdout, "cairn-agent");
  });
}

void RegisterSnapshots(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("snapshots", "list this cluster's snapshots");
  auto name = std::make_shared<std::string>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  cmd->add_option("--name", *name, "only this snapshot family");
  cmd->callback([&flags, name] {
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) {
      flags.exit_code = CommandFailed(state.error());
      return;
    }
    auto list = ListAgentSnapshots(
        *state, name->empty() ? std::nullopt : std::optional<std::string>(*name));
    if (!list.ok()) {
      flags.exit_code = CommandFailed(list.error());
      return;
    }
    for (const SnapshotRecord& s : *list) {
      std::printf("%s  %-20s  %llu files  %llu bytes\n", s.id.c_str(), s.name.c_str(),
                  static_cast<unsigned long long>(s.file_count),
                  static_cast<unsigned long long>(s.bytes_read));
    }
    std::printf("%zu snapshot(s)\n", list->size());
  });
}

}  // namespace

void RegisterAgentCommands(CLI::App& app, AgentCommandFlags& flags) {
  RegisterEnroll(app, flags);
  RegisterBackup(app, flags);
  RegisterRestore(app, flags);
  RegisterSnapshots(app, flags);
  RegisterBackupResourcesCommand(app, flags);
  RegisterRestoreResourcesCommand(app, flags);
  RegisterVolumeCommands(app, flags);
  RegisterRunCommand(app, flags);
}

}  // namespace cairn
