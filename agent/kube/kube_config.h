// KubeConfig: where the Kubernetes API server is and how to authenticate to
// it, from a kubeconfig file (as kubectl reads it) or from the in-cluster
// service account a pod is given.
//
// Supported in a kubeconfig: clusters[].cluster.{server, certificate-authority,
// certificate-authority-data, tls-server-name}, users[].user.{token, tokenFile,
// client-certificate(-data), client-key(-data)}, contexts, current-context,
// and a context's namespace. Relative file paths are relative to the
// kubeconfig's directory (as kubectl does); tokenFile wins over token, as in
// client-go. A cluster without a CA is refused (no system trust store). Refused with a clear message:
// insecure-skip-tls-verify (Cairn always verifies the server), exec and
// auth-provider plugins, username/password, proxy-url, a non-https server.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/net/https_url.h"

namespace cairn::kube {

struct KubeConfig {
  std::string server;           // "https://host:port" (path prefix allowed)
  std::string ca_pem;           // trust anchor for the API server's certificate
  std::string tls_server_name;  // name to verify instead of the server's host; "" = host
  std::string bearer_token;     // may be set together with a client certificate (both are sent)
  std::string client_cert_pem;  // both or neither
  std::string client_key_pem;
  std::string default_namespace = "default";
  // For messages: "kubeconfig /root/.kube/config, context kind-edge" or
  // "in-cluster service account".
  std::string source;
};

// `context` empty: the file's current-context. NotFound when the file or the
// context does not exist; InvalidArgument naming the field for anything
// malformed or unsupported.
Result<KubeConfig> LoadKubeconfig(const std::filesystem::path& path,
                                  const std::string& context = "");

// What a pod sees (main() reads the environment and passes it in).
struct InClusterEnv {
  std::string service_host;  // KUBERNETES_SERVICE_HOST
  std::string service_port;  // KUBERNETES_SERVICE_PORT (default 443)
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Reads token, ca.crt and namespace from the service account directory.
// NotFound (saying "not running in a pod? pass --kubeconfig") when
// service_host is empty or the token is missing.
Result<KubeConfig> LoadInClusterConfig(const InClusterEnv& env);

// A KubeConfig::server split for the HTTPS client: "https://h:6443/k8s/"
// -> {{h, 6443}, "/k8s"}. The prefix has no trailing '/' and is put before
// every request path (API servers behind a path-routing proxy, as Rancher
// does). InvalidArgument for http:// or any other scheme, credentials, a
// query or fragment, or a bad host/port.
struct KubeServerUrl {
  HttpsEndpoint endpoint;
  std::string path_prefix;  // "" or "/k8s/clusters/c-1"
};
Result<KubeServerUrl> ParseKubeServerUrl(std::string_view server);

}  // namespace cairn::kube
