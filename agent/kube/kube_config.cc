#include "agent/kube/kube_config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/c_deleter.h"
#include "core/base/file_system.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;

// Every file a kubeconfig points at is small; these bound what a wrong path
// (a log file, /dev/zero) can make us read.
constexpr std::uint64_t kMaxKubeconfigBytes = 4 << 20;
constexpr std::uint64_t kMaxCredentialFileBytes = 1 << 20;

Result<std::string> ReadSmallFile(const fs::path& path, std::uint64_t max, std::string_view what) {
  auto bytes = ReadWholeFile(DefaultFileSystem(), path, max);
  if (!bytes.ok()) return bytes.error().WithContext(std::string(what));
  return std::string(AsChars(*bytes));
}

// Standard base64 as Go's encoding/base64 writes it into kubeconfigs; line
// breaks are tolerated (some tools wrap the text). OpenSSL's EVP decoder,
// not a copy of our own.
std::optional<std::string> DecodeBase64(std::string_view text) {
  CHandle<EVP_ENCODE_CTX, EVP_ENCODE_CTX_free> ctx(EVP_ENCODE_CTX_new());
  if (!ctx) return std::nullopt;
  EVP_DecodeInit(ctx.get());
  std::string out(text.size() / 4 * 3 + 80, '\0');
  int written = 0;
  int total = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  if (EVP_DecodeUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written, in,
                       static_cast<int>(text.size())) < 0) {
    return std::nullopt;
  }
  total = written;
  if (EVP_DecodeFinal(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &written) !=
      1) {
    return std::nullopt;
  }
  total += written;
  out.resize(static_cast<std::size_t>(total));
  return out;
}

// Reads kubeconfig fields. yaml-cpp throws on type mismatches; LoadKubeconfig
// catches at its edge, so these helpers may let YAML::Exception through.
std::string Str(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return "";
  if (!v.IsScalar()) throw YAML::Exception(v.Mark(), std::string(key) + " is not a string");
  return v.as<std::string>();
}

// The entry named `name` of a kubeconfig list ("clusters", "users",
// "contexts"), or an undefined node.
YAML::Node FindNamed(const YAML::Node& root, const char* list, const std::string& name) {
  YAML::Node entries = root[list];
  if (!entries || entries.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  if (!entries.IsSequence()) {
    throw YAML::Exception(entries.Mark(), std::string(list) + " is not a list");
  }
  for (const YAML::Node& entry : entries) {
    if (entry.IsMap() && Str(entry, "name") == name) return entry;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> Names(const YAML::Node& root, const char* list) {
  std::vector<std::string> names;
  YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return names;
  for (const YAML::Node& entry : entries) {
    if (entry.IsMap()) names.push_back(Str(entry, "name"));
  }
  return names;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "none" : out;
}

class KubeconfigReader {
 public:
  KubeconfigReader(fs::path path, std::string where)
      : path_(std::move(path)), dir_(path_.parent_path()), where_(std::move(where)) {}

  Status Refuse(const std::string& field, const std::string& why) const {
    return Status::InvalidArgument(where_ + ": " + field + ": " + why);
  }

  // PEM from "<field>-data" (base64) or "<field>" (a file path, relative to
  // the kubeconfig's directory). "" when neither is set.
  Result<std::string> Pem(const YAML::Node& node, const std::string& prefix,
                          const std::string& field) const {
    const std::string data_field = field + "-data";
    std::string data = Str(node, data_field.c_str());
    std::string file = Str(node, field.c_str());
    std::string pem;
    if (!data.empty()) {
      std::optional<std::string> decoded = DecodeBase64(data);
      if (!decoded) return Refuse(prefix + data_field, "is not valid base64");
      pem = std::move(*decoded);
      if (pem.find("-----BEGIN") == std::string::npos) {
        return Refuse(prefix + data_field, "does not decode to PEM text (expected -----BEGIN ...)");
      }
      return pem;
    }
    if (file.empty()) return std::string();
    CAIRN_ASSIGN_OR_RETURN(pem, ReadSmallFile(Resolve(file), kMaxCredentialFileBytes,
                                              where_ + ": " + prefix + field));
    if (pem.find("-----BEGIN") == std::string::npos) {
      return Refuse(prefix + field, "file " + Resolve(file).string() + " does not hold PEM text");
    }
    return pem;
  }

  fs::path Resolve(const std::string& file) const {
    fs::path p(file);
    return p.is_absolute() ? p : dir_ / p;
  }

  const std::string& where() const { return where_; }

 private:
  fs::path path_;
  fs::path dir_;
  std::string where_;
};

std::string TrimSpace(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

Status FillCluster(const KubeconfigReader& r, const YAML::Node& cluster, const std::string& prefix,
                   KubeConfig& out) {
  if (!cluster || !cluster.IsMap()) return r.Refuse(prefix, "missing or not a map");
  YAML::Node skip = cluster["insecure-skip-tls-verify"];
  if (skip && !skip.IsNull() && skip.as<bool>()) {
    return r.Refuse(prefix + "insecure-skip-tls-verify",
                    "is refused: Cairn always verifies the API server's certificate; remove it "
                    "and set certificate-authority-data to the cluster's CA");
  }
  if (!Str(cluster, "proxy-url").empty()) {
    return r.Refuse(prefix + "proxy-url",
                    "is not supported: the agent connects to the API server directly");
  }
  out.server = Str(cluster, "server");
  if (out.server.empty()) return r.Refuse(prefix + "server", "is missing");
  auto url = ParseKubeServerUrl(out.server);
  if (!url.ok()) return r.Refuse(prefix + "server", url.error().message());
  out.tls_server_name = Str(cluster, "tls-server-name");
  CAIRN_ASSIGN_OR_RETURN(out.ca_pem, r.Pem(cluster, prefix, "certificate-authority"));
  if (out.ca_pem.empty()) {
    return r.Refuse(prefix + "certificate-authority-data",
                    "is missing: Cairn verifies the API server against the cluster's own CA; "
                    "set certificate-authority-data or certificate-authority");
  }
  return Status::Ok();
}

Status FillUser(const KubeconfigReader& r, const YAML::Node& user, const std::string& prefix,
                KubeConfig& out) {
  if (!user) return Status::Ok();  // no user entry: anonymous, as kubectl allows
  if (!user.IsMap()) return r.Refuse(prefix, "is not a map");
  if (user["exec"] && !user["exec"].IsNull()) {
    return r.Refuse(prefix + "exec",
                    "credential plugins are not supported: the agent runs no helper programs; "
                    "use a service account token (token or tokenFile) or a client certificate");
  }
  if (user["auth-provider"] && !user["auth-provider"].IsNull()) {
    return r.Refuse(prefix + "auth-provider",
                    "auth provider plugins are not supported; use a service account token "
                    "(token or tokenFile) or a client certificate");
  }
  if (!Str(user, "username").empty() || !Str(user, "password").empty()) {
    return r.Refuse(prefix + "username/password",
                    "basic authentication is not supported; use a service account token "
                    "(token or tokenFile) or a client certificate");
  }
  out.bearer_token = Str(user, "token");
  // As client-go: when both are given, the file's content wins.
  if (std::string file = Str(user, "tokenFile"); !file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::string token,
                           ReadSmallFile(r.Resolve(file), kMaxCredentialFileBytes,
                                         r.where() + ": " + prefix + "tokenFile"));
    out.bearer_token = TrimSpace(std::move(token));
    if (out.bearer_token.empty()) {
      return r.Refuse(prefix + "tokenFile", "file " + r.Resolve(file).string() + " is empty");
    }
  }
  CAIRN_ASSIGN_OR_RETURN(out.client_cert_pem, r.Pem(user, prefix, "client-certificate"));
  CAIRN_ASSIGN_OR_RETURN(out.client_key_pem, r.Pem(user, prefix, "client-key"));
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    return r.Refuse(prefix + (out.client_cert_pem.empty() ? "client-certificate" : "client-key"),
                    "is missing: a client certificate needs both client-certificate(-data) and "
                    "client-key(-data)");
  }
  return Status::Ok();
}

Result<KubeConfig> ParseKubeconfig(const fs::path& path, const std::string& text,
                                   const std::string& wanted_context) {
  YAML::Node root = YAML::Load(text);
  if (!root.IsMap()) {
    return Status::InvalidArgument("kubeconfig " + path.string() + ": not a kubeconfig (expected a map)");
  }
  std::string context = wanted_context.empty() ? Str(root, "current-context") : wanted_context;
  if (context.empty()) {
    return Status::InvalidArgument("kubeconfig " + path.string() +
                                   ": no current-context; pass --context (contexts: " +
                                   Join(Names(root, "contexts")) + ")");
  }
  KubeconfigReader r(path, "kubeconfig " + path.string() + ", context " + context);
  YAML::Node entry = FindNamed(root, "contexts", context);
  if (!entry) {
    return Status::NotFound("kubeconfig " + path.string() + ": context \"" + context +
                            "\" not found (contexts: " + Join(Names(root, "contexts")) + ")");
  }
  YAML::Node ctx = entry["context"];
  if (!ctx || !ctx.IsMap()) return r.Refuse("context", "missing or not a map");

  KubeConfig out;
  out.source = r.where();
  const std::string cluster_name = Str(ctx, "cluster");
  if (cluster_name.empty()) return r.Refuse("context.cluster", "is missing");
  YAML::Node cluster = FindNamed(root, "clusters", cluster_name);
  if (!cluster) {
    return r.Refuse("context.cluster", "cluster \"" + cluster_name + "\" is not in clusters");
  }
  const std::string cluster_prefix = "clusters[" + cluster_name + "].cluster.";
  CAIRN_RETURN_IF_ERROR(FillCluster(r, cluster["cluster"], cluster_prefix, out));

  const std::string user_name = Str(ctx, "user");
  if (!user_name.empty()) {
    YAML::Node user = FindNamed(root, "users", user_name);
    if (!user) return r.Refuse("context.user", "user \"" + user_name + "\" is not in users");
    CAIRN_RETURN_IF_ERROR(FillUser(r, user["user"], "users[" + user_name + "].user.", out));
  }
  if (std::string ns = Str(ctx, "namespace"); !ns.empty()) out.default_namespace = ns;
  return out;
}

}  // namespace

Result<KubeServerUrl> ParseKubeServerUrl(std::string_view server) {
  auto refuse = [&](const std::string& why) {
    return Status::InvalidArgument("server URL '" + std::string(server) + "': " + why);
  };
  std::size_t scheme_end = server.find("://");
  if (scheme_end == std::string_view::npos) {
    return refuse("no scheme; write it as https://host:port");
  }
  std::string scheme(server.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "https") {
    return refuse(scheme == "http"
                      ? "plain http:// is refused: Cairn talks to the API server over verified "
                        "TLS only; use its https:// address"
                      : "unsupported scheme '" + scheme + "'; use https://host:port");
  }
  std::string_view rest = server.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return refuse("a query or fragment is not allowed");
  }
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  auto endpoint = ParseHttpsUrl("https://" + std::string(authority));
  if (!endpoint.ok()) return endpoint.error();
  return KubeServerUrl{*endpoint, prefix};
}

Result<KubeConfig> LoadKubeconfig(const std::filesystem::path& path, const std::string& context) {
  auto text = ReadSmallFile(path, kMaxKubeconfigBytes, "kubeconfig " + path.string());
  if (!text.ok()) return text.error();
  try {
    return ParseKubeconfig(path, *text, context);
  } catch (const YAML::Exception& e) {
    std::string where = "kubeconfig " + path.string();
    if (!e.mark.is_null()) {
      where += " line " + std::to_string(e.mark.line + 1) + " column " +
               std::to_string(e.mark.column + 1);
    }
    return Status::InvalidArgument(where + ": " + e.msg + " (fix the file; kubectl config view "
                                   "shows how kubectl reads it)");
  }
}

Result<KubeConfig> LoadInClusterConfig(const InClusterEnv& env) {
  if (env.service_host.empty()) {
    return Status::NotFound(
        "KUBERNETES_SERVICE_HOST is not set: not running in a pod? pass --kubeconfig");
  }
  const std::string port = env.service_port.empty() ? "443" : env.service_port;
  const bool v6 = env.service_host.find(':') != std::string::npos;
  KubeConfig out;
  out.server = "https://" + (v6 ? "[" + env.service_host + "]" : env.service_host) + ":" + port;
  out.source = "in-cluster service account (" + env.service_account_dir.string() + ")";
  if (auto url = ParseKubeServerUrl(out.server); !url.ok()) {
    return Status::InvalidArgument("KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT: " +
                                   url.error().message());
  }
  const fs::path token_path = env.service_account_dir / "token";
  auto token = ReadSmallFile(token_path, kMaxCredentialFileBytes, "service account token");
  if (!token.ok()) {
    if (token.error().IsNotFound()) {
      return Status::NotFound("service account token " + token_path.string() +
                              " is missing: not running in a pod? pass --kubeconfig");
    }
    return token.error();
  }
  out.bearer_token = TrimSpace(std::move(*token));
  if (out.bearer_token.empty()) {
    return Status::InvalidArgument("service account token " + token_path.string() + " is empty");
  }
  CAIRN_ASSIGN_OR_RETURN(out.ca_pem, ReadSmallFile(env.service_account_dir / "ca.crt",
                                                   kMaxCredentialFileBytes,
                                                   "service account CA certificate"));
  auto ns = ReadSmallFile(env.service_account_dir / "namespace", 4096, "service account namespace");
  if (ns.ok()) {
    if (std::string n = TrimSpace(std::move(*ns)); !n.empty()) out.default_namespace = n;
  } else if (!ns.error().IsNotFound()) {
    return ns.error();
  }
  return out;
}

}  // namespace cairn::kube
