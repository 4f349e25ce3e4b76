#include "sync/recovery/replica_source.h"

#include "sync/engine/open_target.h"
#include "sync/peer/appliance_replica_reader.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr int kReplicaSourceVersion = 1;

Result<std::unique_ptr<ReplicaTarget>> OpenApplianceReplica(
    const ApplianceReplicaSettings& settings, const ReplicaSecrets& secrets, FileSystem& fs) {
  if (secrets.admin_token.empty()) {
    return Status::InvalidArgument(
        "reading the replica held by appliance " + settings.admin_url +
        " needs one of its admin API tokens: pass --token (attach, reseed) or --replica-token "
        "(restore), or set CAIRN_REPLICA_TOKEN");
  }
  const std::filesystem::path& ca = secrets.ca_file.empty() ? settings.ca_file : secrets.ca_file;
  auto pem = ReadWholeFile(fs, ca, 1 << 20);
  if (!pem.ok())
    return pem.error().WithContext("the CA certificate of appliance " + settings.admin_url);
  return OpenApplianceReplicaReader(settings.admin_url, std::string(AsChars(*pem)),
                                    secrets.admin_token, settings.peer_id);
}

}  // namespace

std::string ReplicaSource::Describe() const {
  if (kind == ReplicaSourceKind::kApplianceAdmin) {
    return "appliance " + appliance.admin_url + " peer " + appliance.peer_id;
  }
  if (target.kind == TargetKind::kS3) {
    std::string where = target.s3.bucket;
    if (!target.s3.prefix.empty()) where += "/" + target.s3.prefix;
    return "s3 " + target.s3.endpoint + " " + where;
  }
  return "directory " + target.directory.dir.string();
}

Status ReplicaSource::Validate() const {
  if (kind == ReplicaSourceKind::kApplianceAdmin) {
    if (!appliance.admin_url.starts_with("https://")) {
      return Status::InvalidArgument("the appliance's admin URL must start with https:// (got '" +
                                     appliance.admin_url + "')");
    }
    if (appliance.ca_file.empty()) {
      return Status::InvalidArgument(
          "give the CA certificate of the appliance holding the replica with --ca-file (its "
          "pki/ca.crt; an appliance's CA is its own, not a public one)");
    }
    if (appliance.peer_id.empty()) {
      return Status::InvalidArgument(
          "name the replica to read on the appliance with --peer (the peer id it holds this "
          "store's replica under; 'cairnctl peer list' on that appliance shows it)");
    }
    return Status::Ok();
  }
  if (target.kind == TargetKind::kAppliance) {
    return Status::InvalidArgument(
        "a replica on another appliance is read over its admin API: use --from-appliance URL "
        "--token T --peer ID");
  }
  return target.Validate();
}

json ReplicaSource::ToJson() const {
  json j = {{"version", kReplicaSourceVersion}};
  if (kind == ReplicaSourceKind::kApplianceAdmin) {
    j["kind"] = "appliance-admin";
    j["admin_url"] = appliance.admin_url;
    j["ca_file"] = appliance.ca_file.string();
    j["peer_id"] = appliance.peer_id;
  } else {
    j["kind"] = "target";
    j["target"] = target.ToJson();
  }
  return j;
}

Result<ReplicaSource> ReplicaSource::FromJson(const json& j) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("replica source: " + what);
  };
  if (!j.is_object()) return bad("not a JSON object");
  if (!j.contains("version") || !j["version"].is_number_integer() ||
      j["version"].get<int>() != kReplicaSourceVersion) {
    return bad("version must be " + std::to_string(kReplicaSourceVersion) +
               " (written by another cairnctl?)");
  }
  ReplicaSource source;
  const std::string kind = j.value("kind", std::string());
  try {
    if (kind == "appliance-admin") {
      source.kind = ReplicaSourceKind::kApplianceAdmin;
      source.appliance.admin_url = j.at("admin_url").get<std::string>();
      source.appliance.ca_file = j.value("ca_file", std::string());
      source.appliance.peer_id = j.at("peer_id").get<std::string>();
    } else if (kind == "target") {
      CAIRN_ASSIGN_OR_RETURN(source.target, TargetSpec::FromJson(j.at("target")));
    } else {
      return bad("unknown kind '" + kind + "'");
    }
  } catch (const json::exception&) {
    return bad("a field is missing or has the wrong type");
  }
  CAIRN_RETURN_IF_ERROR(source.Validate().WithContext("replica source"));
  return source;
}

Status SaveReplicaSource(FileSystem& fs, const std::filesystem::path& store_dir,
                         const ReplicaSource& source) {
  CAIRN_RETURN_IF_ERROR(source.Validate());
  const std::string text = source.ToJson().dump(2) + "\n";
  return WriteFileAtomically(fs, store_dir / kReplicaSourceFileName, AsBytes(text));
}

Result<std::optional<ReplicaSource>> LoadReplicaSource(FileSystem& fs,
                                                       const std::filesystem::path& store_dir) {
  const std::filesystem::path path = store_dir / kReplicaSourceFileName;
  auto text = ReadWholeFile(fs, path, kMaxReplicaSourceBytes);
  if (!text.ok() && text.error().IsNotFound()) return std::optional<ReplicaSource>();
  if (!text.ok()) return text.error();
  json j = json::parse(AsChars(*text), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corruption(path.string() + " is not JSON");
  auto source = ReplicaSource::FromJson(j);
  if (!source.ok()) return source.error().WithContext(path.string());
  return std::optional<ReplicaSource>(std::move(*source));
}

ReplicaTargetFactory MakeReplicaTargetFactory(const ReplicaSource& source,
                                              const ReplicaSecrets& secrets, FileSystem& fs) {
  return [source, secrets, &fs]() -> Result<std::unique_ptr<ReplicaTarget>> {
    CAIRN_RETURN_IF_ERROR(source.Validate());
    if (source.kind == ReplicaSourceKind::kApplianceAdmin) {
      return OpenApplianceReplica(source.appliance, secrets, fs);
    }
    TargetSpec spec = source.target;
    if (!secrets.s3_credentials_file.empty())
      spec.s3.credentials_file = secrets.s3_credentials_file;
    if (!secrets.ca_file.empty()) spec.s3.ca_file = secrets.ca_file;
    return OpenReplicaTarget(spec, fs);
  };
}

}  // namespace cairn
