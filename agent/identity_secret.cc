#include "agent/identity_secret.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "core/base/file_system.h"
#include "core/base/log.h"
#include "core/tree/tree_entry.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// DNS-1123 subdomain (a Secret's name) or label (a namespace): lowercase
// alphanumerics, '-' and, for a subdomain, '.', starting and ending with an
// alphanumeric.
bool IsDnsName(std::string_view s, bool allow_dots, std::size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && !(allow_dots && c == '.')) return false;
  }
  return true;
}

std::string AgentIdOf(const std::string& agent_json) {
  const auto j = nlohmann::json::parse(agent_json, nullptr, false);
  if (j.is_object() && j.contains("agent_id") && j["agent_id"].is_string()) {
    return j["agent_id"].get<std::string>();
  }
  return "";
}

bool IsSecretFile(std::string_view name) { return name == "agent.key" || name == "dedup.json"; }

// Reads the five files of `dir` as they are.
Result<std::map<std::string, std::string>> ReadStateFiles(const fs::path& dir) {
  FileSystem& fs = DefaultFileSystem();
  std::map<std::string, std::string> files;
  for (const char* name : kIdentityFiles) {
    CAIRN_ASSIGN_OR_RETURN(Bytes b, ReadWholeFile(fs, dir / name, kMaxIdentityFileBytes));
    files[name] = std::string(b.begin(), b.end());
  }
  return files;
}

void DefaultSleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

}  // namespace

std::string SecretRef::Path() const {
  return "/api/v1/namespaces/" + ns + "/secrets/" + name;
}

Result<SecretRef> ParseSecretRef(std::string_view text) {
  const auto slash = text.find('/');
  SecretRef ref;
  if (slash != std::string_view::npos) {
    ref.ns = std::string(text.substr(0, slash));
    ref.name = std::string(text.substr(slash + 1));
  }
  if (!IsDnsName(ref.ns, false, 63) || !IsDnsName(ref.name, true, 253)) {
    return Status::InvalidArgument("identity secret '" + std::string(text) +
                                   "' is not NAMESPACE/NAME (lowercase letters, digits, '-'), "
                                   "e.g. cairn-system/cairn-agent-identity");
  }
  return ref;
}

Status SaveIdentitySecret(kube::KubeClient& client, const SecretRef& ref,
                          const fs::path& state_dir) {
  CAIRN_ASSIGN_OR_RETURN(AgentState state, AgentState::Load(state_dir));
  CAIRN_ASSIGN_OR_RETURN(auto files, ReadStateFiles(state_dir));
  nlohmann::json data = nlohmann::json::object();
  for (const auto& [name, text] : files) data[name] = Base64Encode(AsBytes(text));
  const nlohmann::json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", ref.name},
        {"namespace", ref.ns},
        {"labels",
         {{"app.kubernetes.io/name", "cairn-agent"},
          {"app.kubernetes.io/component", "identity"}}},
        // For operators: which appliance agent this cluster runs as.
        {"annotations",
         {{"cairn.io/agent-id", state.agent_id},
          {"cairn.io/cluster", state.cluster},
          {"cairn.io/appliance", state.appliance_url}}}}},
      {"type", "Opaque"},
      {"data", std::move(data)}};
  auto created = client.Create("/api/v1/namespaces/" + ref.ns + "/secrets", secret);
  if (created.ok()) return Status::Ok();
  if (!created.error().IsAlreadyExists()) {
    return created.error().WithContext("store the agent identity in Secret " + ref.ToString());
  }
  // The client retries a create whose answer was lost (5xx, network): the
  // Secret may be our own, which is success. Otherwise say which identity
  // is there, so the operator can tell a race from a leftover.
  std::string holder = "another agent";
  if (auto existing = LoadIdentitySecret(client, ref); existing.ok()) {
    if (*existing == files) return Status::Ok();
    holder = "agent " + AgentIdOf((*existing)["agent.json"]);
  }
  return Status::AlreadyExists("Secret " + ref.ToString() + " already holds the identity of " +
                               holder + " and is never overwritten: use --if-needed to run as " +
                               "that agent, or delete the Secret (and revoke that agent with " +
                               "`cairnctl agent revoke`) to enroll anew");
}

Result<std::map<std::string, std::string>> LoadIdentitySecret(kube::KubeClient& client,
                                                              const SecretRef& ref) {
  auto got = client.Get(ref.Path());
  if (!got.ok()) {
    if (got.error().IsNotFound()) {
      return Status::NotFound("Secret " + ref.ToString() + " does not exist");
    }
    return got.error().WithContext("read the agent identity from Secret " + ref.ToString());
  }
  const nlohmann::json& secret = *got;
  const std::string what = "Secret " + ref.ToString();
  const std::string fix =
      ": it was not written by `cairn-agent enroll`, or was edited; delete it and enroll again "
      "with a new token";
  if (!secret.is_object() || !secret.contains("data") || !secret["data"].is_object()) {
    return Status::InvalidArgument(what + " has no data" + fix);
  }
  const nlohmann::json& data = secret["data"];
  std::map<std::string, std::string> files;
  for (const char* name : kIdentityFiles) {
    if (!data.contains(name) || !data[name].is_string()) {
      return Status::InvalidArgument(what + " has no key '" + name + "'" + fix);
    }
    const auto& text = data[name].get_ref<const std::string&>();
    if (text.size() > (kMaxIdentityFileBytes / 3 + 1) * 4) {
      return Status::InvalidArgument(what + ": key '" + name + "' is larger than " +
                                     std::to_string(kMaxIdentityFileBytes) + " bytes" + fix);
    }
    auto decoded = Base64Decode(text);
    if (!decoded) {
      return Status::InvalidArgument(what + ": key '" + name + "' is not base64" + fix);
    }
    files[name] = std::string(decoded->begin(), decoded->end());
  }
  return files;
}

Result<AgentState> MaterializeIdentity(const std::map<std::string, std::string>& files,
                                       const fs::path& state_dir) {
  FileSystem& fs = DefaultFileSystem();
  for (const char* name : kIdentityFiles) {
    if (!files.contains(name)) {
      return Status::InvalidArgument(std::string("identity has no ") + name);
    }
  }
  // Same identity already there (a restarted pod): nothing to do.
  if (auto current = ReadStateFiles(state_dir); current.ok() && *current == files) {
    return AgentState::Load(state_dir);
  }
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return Status::IoError("create " + state_dir.string() + ": " + ec.message());
  fs::permissions(state_dir, fs::perms::owner_all, ec);
  // Staged beside the final names (same filesystem: the renames are atomic)
  // and checked as a whole before anything in the state dir changes.
  const fs::path stage = state_dir / ".identity-stage";
  fs::remove_all(stage, ec);
  CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(stage));
  fs::permissions(stage, fs::perms::owner_all, ec);
  Status s;
  for (const char* name : kIdentityFiles) {
    if (!s.ok()) break;
    const std::string& text = files.at(name);
    s = WriteFileAtomically(fs, stage / name, AsBytes(text), false,
                            IsSecretFile(name) ? 0600 : 0644);
  }
  if (s.ok()) {
    auto staged = AgentState::Load(stage);
    if (!staged.ok()) s = staged.error().WithContext("the identity Secret's files are not a valid agent state");
  }
  if (s.ok()) s = fs.SyncDirectory(stage);
  // Another identity there is replaced: its agent.json goes first and the
  // new one comes last (kIdentityFiles' order), so a crash in between leaves
  // a state dir that says "not enrolled", never old metadata beside new keys.
  if (s.ok() && fs::exists(state_dir / "agent.json", ec)) {
    std::string old_id;
    if (auto old = ReadStateFiles(state_dir); old.ok()) old_id = AgentIdOf((*old)["agent.json"]);
    Log(LogLevel::kWarn, "identity_replaced",
        {{"state_dir", state_dir.string()}, {"old_agent", old_id},
         {"new_agent", AgentIdOf(files.at("agent.json"))}});
    s = fs.RemoveFile(state_dir / "agent.json");
    if (s.ok()) s = fs.SyncDirectory(state_dir);
  }
  for (const char* name : kIdentityFiles) {
    if (!s.ok()) break;
    s = fs.Rename(stage / name, state_dir / name);
  }
  if (s.ok()) s = fs.SyncDirectory(state_dir);
  fs::remove_all(stage, ec);
  if (!s.ok()) return s.WithContext("materialise the agent identity into " + state_dir.string());
  return AgentState::Load(state_dir);
}

Result<EnsuredIdentity> EnsureIdentity(kube::KubeClient& client,
                                       const EnsureIdentityRequest& request) {
  const SecretRef& ref = request.secret;
  auto sleep = request.sleep ? request.sleep : DefaultSleep;
  auto materialise = [&](IdentitySource source) -> Result<EnsuredIdentity> {
    CAIRN_ASSIGN_OR_RETURN(auto files, LoadIdentitySecret(client, ref));
    CAIRN_ASSIGN_OR_RETURN(AgentState state, MaterializeIdentity(files, request.state_dir));
    return EnsuredIdentity{std::move(state), source};
  };

  auto existing = LoadIdentitySecret(client, ref);
  if (existing.ok()) {
    CAIRN_ASSIGN_OR_RETURN(AgentState state, MaterializeIdentity(*existing, request.state_dir));
    return EnsuredIdentity{std::move(state), IdentitySource::kFromSecret};
  }
  if (!existing.error().IsNotFound()) return existing.error();

  if (!request.enroll) {
    // This pod never enrolls (the volume agents): the resource agent's pod
    // enrolls and stores the Secret; wait for it, bounded.
    const auto deadline = std::chrono::steady_clock::now() + request.wait;
    Log(LogLevel::kInfo, "identity_wait", {{"secret", ref.ToString()}});
    while (std::chrono::steady_clock::now() < deadline) {
      sleep(request.poll);
      auto again = LoadIdentitySecret(client, ref);
      if (again.ok()) {
        CAIRN_ASSIGN_OR_RETURN(AgentState state, MaterializeIdentity(*again, request.state_dir));
        return EnsuredIdentity{std::move(state), IdentitySource::kFromSecret};
      }
      if (!again.error().IsNotFound()) return again.error();
    }
    return Status::Unavailable(
        "Secret " + ref.ToString() + " did not appear within " +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(request.wait).count()) +
        " s: it is created by the pod that enrolls with the token (Deployment cairn-agent); "
        "check it with `kubectl -n " + ref.ns + " logs deploy/cairn-agent -c enroll`");
  }

  // This pod enrolls. A state dir it already enrolled (the Secret could not
  // be stored last time; an emptyDir survives container restarts) is stored
  // rather than spending another token.
  if (AgentState::Load(request.state_dir).ok()) {
    CAIRN_RETURN_IF_ERROR(SaveIdentitySecret(client, ref, request.state_dir));
    CAIRN_ASSIGN_OR_RETURN(AgentState state, AgentState::Load(request.state_dir));
    return EnsuredIdentity{std::move(state), IdentitySource::kStoredExisting};
  }
  EnrollRequest enroll = *request.enroll;
  enroll.state_dir = request.state_dir;
  auto enrolled = request.enroll_fn ? request.enroll_fn(enroll) : Enroll(enroll);
  if (!enrolled.ok()) {
    return enrolled.error().WithContext(
        "Secret " + ref.ToString() + " does not exist, so this pod enrolled with the token and "
        "that failed (a token works once: if it was used, create a new one with `cairnctl token "
        "create` and put it in the enrollment Secret)");
  }
  Status saved = SaveIdentitySecret(client, ref, request.state_dir);
  if (saved.IsAlreadyExists()) {
    // Another pod enrolled at the same moment with another token and stored
    // first: the cluster is that agent; ours is an orphan to revoke.
    Log(LogLevel::kWarn, "identity_race_lost",
        {{"secret", ref.ToString()}, {"orphan_agent", enrolled->agent_id},
         {"fix", "cairnctl agent revoke " + enrolled->agent_id}});
    return materialise(IdentitySource::kFromSecret);
  }
  if (!saved.ok()) {
    return saved.WithContext("enrolled as agent " + enrolled->agent_id +
                             " (kept in " + request.state_dir.string() +
                             ") but could not store it; fix the Role, the next attempt stores it");
  }
  return EnsuredIdentity{std::move(*enrolled), IdentitySource::kEnrolled};
}

}  // namespace cairn
