// The agent identity kept in a Kubernetes Secret (agent/identity_secret.h),
// against the project's test API server (tests/support/kube) over real TLS,
// driven by the agent's own KubeClient.
#include "agent/identity_secret.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "agent/kube/kube_config.h"
#include "core/chunking/chunker.h"
#include "core/crypto/random.h"
#include "core/tree/tree_entry.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// kube-test-apiserver in a child process on 127.0.0.1:0, stopped by PID.
class TestApiServer {
 public:
  explicit TestApiServer(const fs::path& work) {
    const fs::path script =
        fs::path(CAIRN_SOURCE_DIR) / "tests/support/kube/kube-test-apiserver";
    const fs::path seed = work / "seed";
    fs::create_directories(seed);
    pki_ = work / "pki";
    const fs::path ready = work / "ready.json";
    const fs::path log = work / "server.log";
    std::vector<std::string> args = {"python3",     script.string(), "--listen",
                                     "127.0.0.1:0", "--pki-dir",     pki_.string(),
                                     "--load",      seed.string(),   "--ready-file",
                                     ready.string(), "--quiet"};
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    // Bounded: 150 x 100 ms.
    for (int i = 0; i < 150 && !(fs::exists(ready) && fs::file_size(ready) > 0); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!fs::exists(ready) || fs::file_size(ready) == 0) {
      Stop();  // FAIL throws: the destructor of a half-built object never runs
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      FAIL("the test API server did not start: " << text.str());
    }
  }
  ~TestApiServer() { Stop(); }
  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  std::unique_ptr<kube::KubeClient> Client() const {
    auto config = kube::LoadKubeconfig(pki_ / "kubeconfig");
    REQUIRE(config.ok());
    kube::KubeClientOptions options;
    options.config = *config;
    options.max_retries = 1;
    auto client = kube::KubeClient::Create(std::move(options));
    REQUIRE(client.ok());
    return std::move(*client);
  }

 private:
  fs::path pki_;
  pid_t pid_ = -1;
};

AgentState SampleState(const std::string& agent_id) {
  AgentState s;
  s.appliance_url = "https://127.0.0.1:8443";
  s.agent_id = agent_id;
  s.cluster = "edge-1";
  s.ca_pem = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  s.cert_pem = "-----BEGIN CERTIFICATE-----\n" + agent_id + "\n-----END CERTIFICATE-----\n";
  s.key_pem = "-----BEGIN PRIVATE KEY-----\nsecret-" + agent_id + "\n-----END PRIVATE KEY-----\n";
  s.dedup.pack_below = 1000;
  REQUIRE(FillRandom(s.dedup.id_key.bytes).ok());
  s.dedup.gear_table = GearTableFromSeed(7);
  return s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const SecretRef kRef{"cairn-system", "cairn-agent-identity"};

// A test API server with the namespace cairn-system, and a client of it.
struct Cluster {
  TempDir dir;
  TestApiServer server{dir.path()};
  std::unique_ptr<kube::KubeClient> client = server.Client();
  Cluster() {
    auto ns = client->Create("/api/v1/namespaces", {{"apiVersion", "v1"},
                                                    {"kind", "Namespace"},
                                                    {"metadata", {{"name", "cairn-system"}}}});
    REQUIRE(ns.ok());
  }
};

TEST_CASE("Identity Secret: it holds exactly the five state files, base64, type Opaque",
          "[integration][agent]") {
  Cluster cluster;
  const TempDir& dir = cluster.dir;
  kube::KubeClient* client = cluster.client.get();
  const fs::path state_dir = dir.path() / "enrolled";
  REQUIRE(SampleState("ag-1111").SaveNew(state_dir).ok());
  REQUIRE(SaveIdentitySecret(*client, kRef, state_dir).ok());

  auto secret = client->Get(kRef.Path());
  REQUIRE(secret.ok());
  CHECK((*secret)["type"] == "Opaque");
  CHECK((*secret)["metadata"]["annotations"]["cairn.io/agent-id"] == "ag-1111");
  const auto& data = (*secret)["data"];
  REQUIRE(data.is_object());
  CHECK(data.size() == 5);
  for (const char* name : kIdentityFiles) {
    INFO(name);
    REQUIRE(data.contains(name));
    auto decoded = Base64Decode(data[name].get<std::string>());
    REQUIRE(decoded);
    CHECK(std::string(decoded->begin(), decoded->end()) == ReadFile(state_dir / name));
  }
}

TEST_CASE("Identity Secret: materialised into another state dir it loads as the same agent",
          "[integration][agent]") {
  Cluster cluster;
  const TempDir& dir = cluster.dir;
  kube::KubeClient* client = cluster.client.get();
  const AgentState original = SampleState("ag-2222");
  REQUIRE(original.SaveNew(dir.path() / "a").ok());
  REQUIRE(SaveIdentitySecret(*client, kRef, dir.path() / "a").ok());

  auto files = LoadIdentitySecret(*client, kRef);
  REQUIRE(files.ok());
  const fs::path other = dir.path() / "node" / "state";
  auto state = MaterializeIdentity(*files, other);
  REQUIRE(state.ok());
  auto back = AgentState::Load(other);
  REQUIRE(back.ok());
  CHECK(back->agent_id == original.agent_id);
  CHECK(back->cluster == original.cluster);
  CHECK(back->appliance_url == original.appliance_url);
  CHECK(back->ca_pem == original.ca_pem);
  CHECK(back->cert_pem == original.cert_pem);
  CHECK(back->key_pem == original.key_pem);
  CHECK(back->dedup.id_key == original.dedup.id_key);
  CHECK(back->dedup.gear_table == original.dedup.gear_table);
  for (const char* secret : {"agent.key", "dedup.json"}) {
    INFO(secret);
    CHECK((fs::status(other / secret).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
  }
  CHECK_FALSE(fs::exists(other / ".identity-stage"));

  // A state dir holding another agent (a node left over from an old
  // install) is replaced: the Secret is the cluster's identity.
  const fs::path stale = dir.path() / "stale";
  REQUIRE(SampleState("ag-old").SaveNew(stale).ok());
  auto replaced = MaterializeIdentity(*files, stale);
  REQUIRE(replaced.ok());
  CHECK(AgentState::Load(stale)->agent_id == "ag-2222");
}

TEST_CASE("Identity Secret: an existing Secret is never overwritten by a second enrollment",
          "[integration][agent]") {
  Cluster cluster;
  const TempDir& dir = cluster.dir;
  kube::KubeClient* client = cluster.client.get();
  REQUIRE(SampleState("ag-first").SaveNew(dir.path() / "first").ok());
  REQUIRE(SampleState("ag-second").SaveNew(dir.path() / "second").ok());
  REQUIRE(SaveIdentitySecret(*client, kRef, dir.path() / "first").ok());

  Status again = SaveIdentitySecret(*client, kRef, dir.path() / "second");
  REQUIRE(again.IsAlreadyExists());
  CHECK_THAT(again.message(), Catch::Contains("ag-first") && Catch::Contains("never overwritten"));
  auto files = LoadIdentitySecret(*client, kRef);
  REQUIRE(files.ok());
  CHECK((*files)["agent.key"] == ReadFile(dir.path() / "first" / "agent.key"));
}

TEST_CASE("Identity Secret: a Secret with a key missing or not base64 says which and what to do",
          "[integration][agent]") {
  Cluster cluster;
  const TempDir& dir = cluster.dir;
  kube::KubeClient* client = cluster.client.get();

  auto missing = LoadIdentitySecret(*client, kRef);
  REQUIRE(missing.error().IsNotFound());

  nlohmann::json data;
  for (const char* name : {"agent.json", "ca.crt", "agent.crt", "dedup.json"}) {
    data[name] = Base64Encode(AsBytes(std::string("x")));
  }
  nlohmann::json secret = {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", kRef.name}, {"namespace", kRef.ns}}},
                           {"type", "Opaque"},
                           {"data", data}};
  REQUIRE(client->Create("/api/v1/namespaces/cairn-system/secrets", secret).ok());
  auto no_key = LoadIdentitySecret(*client, kRef);
  REQUIRE(no_key.error().IsInvalidArgument());
  CHECK_THAT(no_key.error().message(),
             Catch::Contains("no key 'agent.key'") && Catch::Contains("enroll again"));

  // Loaded files that do not make an agent state are refused before the
  // state dir changes.
  std::map<std::string, std::string> garbage;
  for (const char* name : kIdentityFiles) garbage[name] = "x";
  const fs::path state_dir = dir.path() / "state";
  auto bad = MaterializeIdentity(garbage, state_dir);
  REQUIRE_FALSE(bad.ok());
  CHECK_FALSE(fs::exists(state_dir / "agent.json"));
}

TEST_CASE("Identity Secret: two pods, one enrollment -- the second takes the Secret, "
          "a waiting pod gets it when it appears",
          "[integration][agent]") {
  Cluster cluster;
  const TempDir& dir = cluster.dir;
  kube::KubeClient* client = cluster.client.get();
  int enrollments = 0;
  auto fake_enroll = [&](const EnrollRequest& req) -> Result<AgentState> {
    ++enrollments;
    AgentState s = SampleState("ag-" + std::to_string(enrollments));
    CAIRN_RETURN_IF_ERROR(s.SaveNew(req.state_dir));
    return s;
  };
  EnsureIdentityRequest first;
  first.secret = kRef;
  first.state_dir = dir.path() / "deployment";
  first.enroll = EnrollRequest{};
  first.enroll_fn = fake_enroll;

  SECTION("the first enrolls and stores, the second (with a token too) does not enroll") {
    auto a = EnsureIdentity(*client, first);
    REQUIRE(a.ok());
    CHECK(a->source == IdentitySource::kEnrolled);
    EnsureIdentityRequest second = first;
    second.state_dir = dir.path() / "daemonset";
    auto b = EnsureIdentity(*client, second);
    REQUIRE(b.ok());
    CHECK(b->source == IdentitySource::kFromSecret);
    CHECK(enrollments == 1);
    CHECK(b->state.agent_id == a->state.agent_id);
    // A restart of the first pod: same identity, still one enrollment.
    auto again = EnsureIdentity(*client, first);
    REQUIRE(again.ok());
    CHECK(again->source == IdentitySource::kFromSecret);
    CHECK(enrollments == 1);
  }
  SECTION("a pod without a token waits, bounded, for the Secret") {
    EnsureIdentityRequest waiting;
    waiting.secret = kRef;
    waiting.state_dir = dir.path() / "daemonset";
    waiting.wait = std::chrono::seconds(20);
    int polls = 0;
    waiting.sleep = [&](std::chrono::milliseconds) {
      if (++polls == 2) REQUIRE(EnsureIdentity(*client, first).ok());
    };
    auto got = EnsureIdentity(*client, waiting);
    REQUIRE(got.ok());
    CHECK(polls == 2);
    CHECK(got->state.agent_id == "ag-1");

    waiting.wait = std::chrono::milliseconds(0);
    waiting.secret.name = "never-there";
    auto timed_out = EnsureIdentity(*client, waiting);
    REQUIRE_FALSE(timed_out.ok());
    CHECK_THAT(timed_out.error().message(),
               Catch::Contains("did not appear") && Catch::Contains("deploy/cairn-agent"));
  }
  SECTION("an enrolled state dir whose Secret was never stored is stored, not re-enrolled") {
    REQUIRE(SampleState("ag-kept").SaveNew(first.state_dir).ok());
    auto got = EnsureIdentity(*client, first);
    REQUIRE(got.ok());
    CHECK(got->source == IdentitySource::kStoredExisting);
    CHECK(enrollments == 0);
    CHECK(got->state.agent_id == "ag-kept");
  }
}

TEST_CASE("Identity Secret: the reference is NAMESPACE/NAME", "[unit][agent]") {
  auto ok = ParseSecretRef("cairn-system/cairn-agent-identity");
  REQUIRE(ok.ok());
  CHECK(ok->ns == "cairn-system");
  CHECK(ok->Path() == "/api/v1/namespaces/cairn-system/secrets/cairn-agent-identity");
  for (const char* bad : {"", "cairn-agent-identity", "/x", "ns/", "NS/x", "a/b/c", "ns/x_y"}) {
    INFO(bad);
    auto r = ParseSecretRef(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message(), Catch::Contains("NAMESPACE/NAME"));
  }
}

}  // namespace
}  // namespace cairn
