// LoadKubeconfig and LoadInClusterConfig over files in a temporary
// directory: inline data and file paths (relative to the kubeconfig),
// tokens and token files, context choice and namespace, every refusal with
// its message, and the service account a pod sees.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "agent/kube/kube_config.h"
#include "tests/agent/kube/fake_api_server.h"
#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// A kubeconfig with two clusters, two users and three contexts; `extra_*`
// are spliced into the "edge" cluster and the "admin" user.
std::string Kubeconfig(const std::string& extra_cluster = "", const std::string& extra_user = "",
                       const std::string& current = "edge-admin") {
  const auto& pki = test::SharedPki();
  return "apiVersion: v1\n"
         "kind: Config\n"
         "current-context: " + current + "\n"
         "clusters:\n"
         "- name: edge\n"
         "  cluster:\n"
         "    server: https://10.0.0.2:6443\n"
         "    certificate-authority-data: " + Base64(pki.ca_pem) + "\n" + extra_cluster +
         "- name: lab\n"
         "  cluster:\n"
         "    server: https://[fd00::2]:8443/k8s/clusters/c-1/\n"
         "    certificate-authority: certs/ca.crt\n"
         "    tls-server-name: kube.test\n"
         "users:\n"
         "- name: admin\n"
         "  user:\n"
         "    token: abc.def\n" + extra_user +
         "- name: robot\n"
         "  user:\n"
         "    client-certificate: certs/robot.crt\n"
         "    client-key: certs/robot.key\n"
         "- name: sa\n"
         "  user:\n"
         "    tokenFile: sa-token\n"
         "contexts:\n"
         "- name: edge-admin\n"
         "  context: {cluster: edge, user: admin}\n"
         "- name: lab-robot\n"
         "  context: {cluster: lab, user: robot, namespace: shop}\n"
         "- name: edge-sa\n"
         "  context:\n"
         "    cluster: edge\n"
         "    user: sa\n"
         "    namespace: cairn\n";
}

struct Files {
  TempDir dir{"kubeconfig"};
  fs::path path() const { return dir.path() / "conf" / "config"; }
  void Write(const std::string& text) {
    const auto& pki = test::SharedPki();
    WriteFile(path(), text);
    WriteFile(dir.path() / "conf/certs/ca.crt", pki.ca_pem);
    WriteFile(dir.path() / "conf/certs/robot.crt", pki.client_cert_pem);
    WriteFile(dir.path() / "conf/certs/robot.key", pki.client_key_pem);
    WriteFile(dir.path() / "conf/sa-token", "sa-token-value\n");
  }
};

TEST_CASE("LoadKubeconfig: current-context with inline CA data and a token", "[unit]") {
  Files f;
  f.Write(Kubeconfig());
  auto c = LoadKubeconfig(f.path());
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->server == "https://10.0.0.2:6443");
  CHECK(c->ca_pem == test::SharedPki().ca_pem);
  CHECK(c->bearer_token == "abc.def");
  CHECK(c->client_cert_pem.empty());
  CHECK(c->default_namespace == "default");
  CHECK(c->tls_server_name.empty());
  CHECK(c->source == "kubeconfig " + f.path().string() + ", context edge-admin");
}

TEST_CASE("LoadKubeconfig: a chosen context with files relative to the kubeconfig's directory",
          "[unit]") {
  Files f;
  f.Write(Kubeconfig());
  auto c = LoadKubeconfig(f.path(), "lab-robot");
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->server == "https://[fd00::2]:8443/k8s/clusters/c-1/");
  CHECK(c->ca_pem == test::SharedPki().ca_pem);
  CHECK(c->tls_server_name == "kube.test");
  CHECK(c->client_cert_pem == test::SharedPki().client_cert_pem);
  CHECK(c->client_key_pem == test::SharedPki().client_key_pem);
  CHECK(c->bearer_token.empty());
  CHECK(c->default_namespace == "shop");
}

TEST_CASE("LoadKubeconfig: tokenFile is read (trimmed) relative to the kubeconfig", "[unit]") {
  Files f;
  f.Write(Kubeconfig());
  auto c = LoadKubeconfig(f.path(), "edge-sa");
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->bearer_token == "sa-token-value");
  CHECK(c->default_namespace == "cairn");
}

TEST_CASE("LoadKubeconfig: client certificate and key as inline data, absolute CA path", "[unit]") {
  Files f;
  const auto& pki = test::SharedPki();
  f.Write(Kubeconfig("", "    client-certificate-data: " + Base64(pki.client_cert_pem) +
                             "\n    client-key-data: " + Base64(pki.client_key_pem) + "\n"));
  auto c = LoadKubeconfig(f.path());
  REQUIRE(c.ok());
  CHECK(c->client_cert_pem == pki.client_cert_pem);
  CHECK(c->client_key_pem == pki.client_key_pem);
  CHECK(c->bearer_token == "abc.def");  // both, as kubectl would send them

  // An absolute path is taken as it is.
  std::string text = Kubeconfig();
  const std::string rel = "certificate-authority: certs/ca.crt";
  text.replace(text.find(rel), rel.size(),
               "certificate-authority: " + (f.dir.path() / "conf/certs/ca.crt").string());
  f.Write(text);
  auto lab = LoadKubeconfig(f.path(), "lab-robot");
  INFO(lab.status().ToString());
  REQUIRE(lab.ok());
  CHECK(lab->ca_pem == pki.ca_pem);
}

TEST_CASE("LoadKubeconfig: a missing file or context is NotFound", "[unit]") {
  Files f;
  auto missing = LoadKubeconfig(f.dir.path() / "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().IsNotFound());

  f.Write(Kubeconfig());
  auto no_context = LoadKubeconfig(f.path(), "prod");
  REQUIRE_FALSE(no_context.ok());
  CHECK(no_context.error().IsNotFound());
  CHECK_THAT(no_context.error().message(),
             Catch::Contains("\"prod\" not found") &&
                 Catch::Contains("edge-admin, lab-robot, edge-sa"));

  f.Write(Kubeconfig("", "", "\"\""));
  auto no_current = LoadKubeconfig(f.path());
  REQUIRE_FALSE(no_current.ok());
  CHECK(no_current.error().IsInvalidArgument());
  CHECK_THAT(no_current.error().message(), Catch::Contains("--context"));
}

TEST_CASE("LoadKubeconfig: unsupported or insecure settings are refused with what to do",
          "[unit]") {
  struct Case {
    const char* name;
    std::string cluster;
    std::string user;
    const char* says;
  };
  const Case cases[] = {
      {"insecure-skip-tls-verify", "    insecure-skip-tls-verify: true\n", "",
       "insecure-skip-tls-verify: is refused: Cairn always verifies"},
      {"exec plugin", "", "    exec:\n      command: aws\n      args: [eks, get-token]\n",
       "exec: credential plugins are not supported"},
      {"auth-provider", "", "    auth-provider:\n      name: gcp\n",
       "auth-provider: auth provider plugins are not supported"},
      {"basic auth", "", "    username: admin\n    password: secret\n",
       "basic authentication is not supported"},
      {"certificate without key", "", "    client-certificate: certs/robot.crt\n",
       "client-key: is missing"},
      {"bad base64", "", "    client-certificate-data: '%%%'\n    client-key-data: '%%%'\n",
       "client-certificate-data: is not valid base64"},
      {"data that is not PEM", "", "    client-certificate-data: aGVsbG8=\n",
       "does not decode to PEM"},
      {"missing token file", "", "    tokenFile: no-such-token\n", "tokenFile"},
      {"proxy", "    proxy-url: http://proxy:3128\n", "", "proxy-url"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Files f;
    f.Write(Kubeconfig(c.cluster, c.user));
    auto config = LoadKubeconfig(f.path());
    REQUIRE_FALSE(config.ok());
    INFO(config.error().ToString());
    CHECK_THAT(config.error().message(),
               Catch::Contains(c.says) && Catch::Contains("context edge-admin"));
  }
}

TEST_CASE("LoadKubeconfig: an http:// server, a missing CA, a directory as CA and broken YAML are refused",
          "[unit]") {
  Files f;
  std::string text = Kubeconfig();
  text.replace(text.find("https://10.0.0.2"), 16, "http://10.0.0.2");
  f.Write(text);
  auto http = LoadKubeconfig(f.path());
  REQUIRE_FALSE(http.ok());
  CHECK(http.error().IsInvalidArgument());
  CHECK_THAT(http.error().message(), Catch::Contains("server") && Catch::Contains("plain http://"));

  text = Kubeconfig();
  std::size_t at = text.find("    certificate-authority-data:");
  text.erase(at, text.find('\n', at) - at + 1);
  f.Write(text);
  auto no_ca = LoadKubeconfig(f.path());
  REQUIRE_FALSE(no_ca.ok());
  CHECK_THAT(no_ca.error().message(), Catch::Contains("certificate-authority-data: is missing"));

  // A CA path naming a directory (found by tests/fuzz/kubeconfig_fuzz).
  text = Kubeconfig();
  text.replace(text.find("certificate-authority: certs/ca.crt"), 35, "certificate-authority: ./");
  f.Write(text);
  auto dir_ca = LoadKubeconfig(f.path(), "lab-robot");
  REQUIRE_FALSE(dir_ca.ok());
  CHECK(dir_ca.error().IsInvalidArgument());
  CHECK_THAT(dir_ca.error().message(), Catch::Contains("a file was expected"));

  f.Write("clusters: [\n  - {name: x\n");
  auto broken = LoadKubeconfig(f.path());
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().IsInvalidArgument());
  CHECK_THAT(broken.error().message(), Catch::Contains("line"));

  f.Write("clusters: 7\ncontexts:\n- name: a\n  context: {cluster: x}\ncurrent-context: a\n");
  auto mistyped = LoadKubeconfig(f.path());
  REQUIRE_FALSE(mistyped.ok());
  CHECK(mistyped.error().IsInvalidArgument());
  CHECK_THAT(mistyped.error().message(), Catch::Contains("clusters is not a list"));
}

TEST_CASE("ParseKubeServerUrl: splits host, port and path prefix and refuses http", "[unit]") {
  auto plain = ParseKubeServerUrl("https://kube.example.com");
  REQUIRE(plain.ok());
  CHECK(plain->endpoint.host == "kube.example.com");
  CHECK(plain->endpoint.port == 443);
  CHECK(plain->path_prefix.empty());

  auto prefixed = ParseKubeServerUrl("https://[fd00::2]:8443/k8s/clusters/c-1/");
  REQUIRE(prefixed.ok());
  CHECK(prefixed->endpoint.host == "fd00::2");
  CHECK(prefixed->endpoint.port == 8443);
  CHECK(prefixed->path_prefix == "/k8s/clusters/c-1");

  CHECK_FALSE(ParseKubeServerUrl("http://10.0.0.2:6443").ok());
  CHECK_FALSE(ParseKubeServerUrl("https://10.0.0.2:6443/api?x=1").ok());
  CHECK_FALSE(ParseKubeServerUrl("https://user:pw@10.0.0.2").ok());
  CHECK_FALSE(ParseKubeServerUrl("10.0.0.2:6443").ok());
}

TEST_CASE("LoadInClusterConfig: token, CA and namespace of the pod's service account", "[unit]") {
  TempDir dir("serviceaccount");
  const auto& pki = test::SharedPki();
  WriteFile(dir.path() / "token", "eyJhbGciOi.token\n");
  WriteFile(dir.path() / "ca.crt", pki.ca_pem);
  WriteFile(dir.path() / "namespace", "cairn-system");

  InClusterEnv env;
  env.service_host = "10.96.0.1";
  env.service_port = "443";
  env.service_account_dir = dir.path();
  auto c = LoadInClusterConfig(env);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->bearer_token == "eyJhbGciOi.token");
  CHECK(c->ca_pem == pki.ca_pem);
  CHECK(c->default_namespace == "cairn-system");
  CHECK_THAT(c->source, Catch::Contains("in-cluster service account"));

  env.service_host = "fd00:10:96::1";
  env.service_port = "";
  auto v6 = LoadInClusterConfig(env);
  REQUIRE(v6.ok());
  CHECK(v6->server == "https://[fd00:10:96::1]:443");
  REQUIRE(ParseKubeServerUrl(v6->server).ok());

  fs::remove(dir.path() / "namespace");
  auto no_ns = LoadInClusterConfig(env);
  REQUIRE(no_ns.ok());
  CHECK(no_ns->default_namespace == "default");

  env.service_port = "http";
  auto bad_port = LoadInClusterConfig(env);
  REQUIRE_FALSE(bad_port.ok());
  CHECK_THAT(bad_port.error().message(), Catch::Contains("KUBERNETES_SERVICE_PORT"));
  env.service_port = "443";

  fs::remove(dir.path() / "token");
  auto no_token = LoadInClusterConfig(env);
  REQUIRE_FALSE(no_token.ok());
  CHECK(no_token.error().IsNotFound());
  CHECK_THAT(no_token.error().message(), Catch::Contains("--kubeconfig"));

  env.service_host.clear();
  auto outside = LoadInClusterConfig(env);
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().IsNotFound());
  CHECK_THAT(outside.error().message(),
             Catch::Contains("KUBERNETES_SERVICE_HOST") && Catch::Contains("--kubeconfig"));
}

}  // namespace
}  // namespace cairn::kube
