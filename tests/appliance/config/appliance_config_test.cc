#include "appliance/config/appliance_config.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// configs/ in the source tree, found from this file's own path
// (tests/appliance/config/ -> ../../../configs).
fs::path ConfigsDir() {
  return (fs::path(CAIRN_SOURCE_DIR) / "configs").lexically_normal();
}

Result<ApplianceConfig> Parse(std::string_view text, const fs::path& base = "/etc/cairn") {
  return ParseApplianceConfig(text, base, "test.toml");
}

// The refusal message of `text`, which must fail.
std::string ErrorOf(std::string_view text) {
  auto c = Parse(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsInvalidArgument());
  return c.error().message();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("ApplianceConfig: configs/appliance.toml loads and equals the built-in defaults",
          "[unit][config]") {
  const fs::path file = ConfigsDir() / "appliance.toml";
  REQUIRE(fs::exists(file));
  auto config = LoadApplianceConfig(file);
  INFO(config.status().ToString());
  REQUIRE(config.ok());
  CHECK(*config == ApplianceConfig{});
  // And the defaults are the documented ones.
  CHECK(config->state_dir == "/var/lib/cairn");
  CHECK(config->store_dir == "/var/lib/cairn/store");
  CHECK(config->key_file == "/var/lib/cairn/keys/store.key");
  CHECK(config->pki_dir == "/var/lib/cairn/pki");
  CHECK(config->ingest == ListenerConfig{"127.0.0.1", 8443});
  CHECK(config->admin == ListenerConfig{"127.0.0.1", 9443});
  CHECK(config->server_names.empty());
  CHECK(config->worker_threads == 0);
  CHECK(config->max_chunk_batch_bytes == 32u << 20);
  CHECK(config->max_manifest_bytes == 256u << 20);
  CHECK(config->idle_timeout == seconds(60));
  CHECK(config->max_connections == 256);
  CHECK(config->default_token_ttl == seconds(24 * 3600));
  CHECK(config->agent_cert_validity == seconds(365 * 24 * 3600));
  CHECK(config->log_level == "info");
  CHECK(config->maintenance.prune == "15 * * * *");
  CHECK(config->maintenance.gc == "30 3 * * *");
  CHECK(config->maintenance.verify == "45 4 * * 0");
  CHECK(config->maintenance.verify_unverified_days == 30);
  CHECK(config->maintenance.gc_grace == seconds(3600));
}

TEST_CASE("ApplianceConfig: every key of the example is known and changes its field",
          "[unit][config]") {
  const std::string text = R"(
[paths]
state_dir = "/srv/cairn"
store_dir = "/data/store"
key_file = "/keys/k"
pki_dir = "tls"
[ingest]
address = "0.0.0.0"
port = 18443
[admin]
address = "::1"
port = 0
server_names = ["backup.example.org", "10.0.0.9", "*.edge.example"]
[limits]
worker_threads = 8
max_chunk_batch_bytes = 16_777_216
max_manifest_bytes = 1_048_576
idle_timeout = "5m"
max_connections = 32
[enrollment]
token_ttl = "1h"
agent_cert_validity = "90d"
[maintenance]
prune = "@hourly"
gc = "0 2 * * *"
verify = "*/1 * * * * *"
verify_unverified_days = 0
gc_grace = "0s"
[log]
level = "debug"
)";
  auto c = Parse(text);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->state_dir == "/srv/cairn");
  CHECK(c->store_dir == "/data/store");
  CHECK(c->key_file == "/keys/k");
  CHECK(c->pki_dir == "/srv/cairn/tls");
  CHECK(c->ingest == ListenerConfig{"0.0.0.0", 18443});
  CHECK(c->admin == ListenerConfig{"::1", 0});
  CHECK(c->server_names ==
        std::vector<std::string>{"backup.example.org", "10.0.0.9", "*.edge.example"});
  CHECK(c->worker_threads == 8);
  CHECK(c->max_chunk_batch_bytes == 16u << 20);
  CHECK(c->max_manifest_bytes == 1u << 20);
  CHECK(c->idle_timeout == seconds(300));
  CHECK(c->max_connections == 32);
  CHECK(c->default_token_ttl == seconds(3600));
  CHECK(c->agent_cert_validity == seconds(90 * 86400));
  CHECK(c->log_level == "debug");
  CHECK(c->maintenance.prune == "@hourly");
  CHECK(c->maintenance.gc == "0 2 * * *");
  CHECK(c->maintenance.verify == "*/1 * * * * *");
  CHECK(c->maintenance.verify_unverified_days == 0);
  CHECK(c->maintenance.gc_grace == seconds(0));
}

TEST_CASE("ApplianceConfig: an empty file is the defaults", "[unit][config]") {
  auto c = Parse("");
  REQUIRE(c.ok());
  CHECK(*c == ApplianceConfig{});
}

TEST_CASE("ApplianceConfig: relative paths resolve against the file, then state_dir",
          "[unit][config]") {
  TempDir dir;
  fs::create_directories(dir.path() / "etc");
  const fs::path file = dir.path() / "etc" / "appliance.toml";
  {
    std::ofstream out(file);
    out << "[paths]\nstate_dir = \"../state/\"\nkey_file = \"../keys/store.key\"\n";
  }
  auto c = LoadApplianceConfig(file);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  const fs::path state = (dir.path() / "state").lexically_normal();
  CHECK(c->state_dir == state);
  CHECK(c->store_dir == state / "store");  // the default follows state_dir
  CHECK(c->pki_dir == state / "pki");
  CHECK(c->key_file == (dir.path() / "keys" / "store.key").lexically_normal());

  // A relative base directory is made absolute (against the working dir).
  auto rel = ParseApplianceConfig("[paths]\nstate_dir = \"s\"\n", "conf", "x.toml");
  REQUIRE(rel.ok());
  CHECK(rel->state_dir.is_absolute());
  CHECK(rel->state_dir == (fs::current_path() / "conf" / "s").lexically_normal());
}

TEST_CASE("ApplianceConfig: an unknown key or section is refused with file, line and key",
          "[unit][config]") {
  std::string m = ErrorOf("[limits]\nworker_threads = 2\n\nmax_conections = 10\n");
  INFO(m);
  CHECK(Contains(m, "test.toml:4: unknown key \"limits.max_conections\""));
  CHECK(Contains(m, "max_connections"));  // the known keys are listed

  m = ErrorOf("[paths]\nstate_dir = \"/x\"\n[logging]\nlevel = \"info\"\n");
  CHECK(Contains(m, "test.toml:3: unknown section \"logging\""));
  CHECK(Contains(m, "[log]"));

  m = ErrorOf("port = 8443\n");
  CHECK(Contains(m, "test.toml:1: unknown key \"port\""));

  m = ErrorOf("[admin.tls]\ncert = \"x\"\n");
  CHECK(Contains(m, "unknown key \"admin.tls\""));
}

TEST_CASE("ApplianceConfig: a value of the wrong type names the key, the type and the line",
          "[unit][config]") {
  std::string m = ErrorOf("[ingest]\naddress = \"0.0.0.0\"\nport = \"8443\"\n");
  INFO(m);
  CHECK(Contains(m, "test.toml:3: ingest.port: expected an integer from 0 to 65535, got a string"));

  m = ErrorOf("[limits]\nidle_timeout = 60\n");
  CHECK(Contains(m, "test.toml:2: limits.idle_timeout: expected a duration string"));
  CHECK(Contains(m, "got an integer"));

  m = ErrorOf("[admin]\nserver_names = \"a.example\"\n");
  CHECK(Contains(m, "admin.server_names: expected an array of strings, got a string"));

  m = ErrorOf("[admin]\nserver_names = [\"a.example\", 7]\n");
  CHECK(Contains(m, "expected a string, got an integer"));

  m = ErrorOf("[limits]\nworker_threads = 2.5\n");
  CHECK(Contains(m, "got a floating-point number"));

  m = ErrorOf("paths = \"/x\"\n");
  CHECK(Contains(m, "test.toml:1: paths: expected a table ([paths]), got a string"));
}

TEST_CASE("ApplianceConfig: out-of-range ports, sizes and durations are refused",
          "[unit][config]") {
  std::string m = ErrorOf("[admin]\nport = 70000\n");
  INFO(m);
  CHECK(Contains(m,
                 "test.toml:2: admin.port: 70000 is out of range: expected an integer from 0 "
                 "to 65535"));
  CHECK(Contains(ErrorOf("[ingest]\nport = -1\n"), "ingest.port: -1 is out of range"));
  CHECK(Contains(ErrorOf("[limits]\nmax_chunk_batch_bytes = 1024\n"),
                 "limits.max_chunk_batch_bytes: 1024 is out of range"));
  CHECK(Contains(ErrorOf("[limits]\nmax_connections = 0\n"), "limits.max_connections: 0 is out"));
  CHECK(Contains(ErrorOf("[limits]\nworker_threads = 1000\n"), "worker_threads: 1000 is out"));
  m = ErrorOf("[limits]\nidle_timeout = \"0s\"\n");
  CHECK(Contains(m, "limits.idle_timeout: \"0s\" is out of range: expected 1s to 1d"));
  m = ErrorOf("[enrollment]\nagent_cert_validity = \"20000d\"\n");
  CHECK(Contains(m, "\"20000d\" is out of range: expected 1h to 3650d"));
}

TEST_CASE("ApplianceConfig: bad durations, addresses, log levels and paths are refused",
          "[unit][config]") {
  std::string m = ErrorOf("\n[enrollment]\ntoken_ttl = \"24\"\n");
  INFO(m);
  CHECK(Contains(m, "test.toml:3: enrollment.token_ttl: invalid duration \"24\""));
  CHECK(Contains(m, "has no unit"));
  CHECK(Contains(ErrorOf("[enrollment]\ntoken_ttl = \"1 day\"\n"), "invalid duration"));

  m = ErrorOf("[ingest]\naddress = \"backup.example.org\"\n");
  CHECK(Contains(m, "ingest.address: \"backup.example.org\" is not an IP address"));
  CHECK(Contains(ErrorOf("[admin]\naddress = \"[::1]\"\n"), "without brackets"));
  CHECK(Contains(ErrorOf("[admin]\naddress = \"10.0.0.1:9443\"\n"), "is not an IP address"));

  CHECK(Contains(ErrorOf("[log]\nlevel = \"verbose\"\n"),
                 "log.level: \"verbose\" is not a log level"));
  CHECK(Contains(ErrorOf("[paths]\nstore_dir = \"\"\n"),
                 "paths.store_dir: expected a path, got an empty string"));
  CHECK(Contains(ErrorOf("[admin]\nserver_names = [\"has space\"]\n"),
                 "is not a DNS name or IP address"));
}

TEST_CASE("ApplianceConfig: an empty maintenance schedule disables that job only",
          "[unit][config]") {
  auto c = Parse("[maintenance]\ngc = \"\"\n");
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->maintenance.gc.empty());
  CHECK(c->maintenance.prune == MaintenanceConfig{}.prune);
  CHECK(c->maintenance.verify == MaintenanceConfig{}.verify);
  CHECK_FALSE(*c == ApplianceConfig{});

  // An empty [maintenance] section is the defaults.
  auto empty = Parse("[maintenance]\n");
  REQUIRE(empty.ok());
  CHECK(*empty == ApplianceConfig{});
}

TEST_CASE("ApplianceConfig: a bad maintenance cron is refused with its line and key",
          "[unit][config]") {
  std::string m = ErrorOf("[maintenance]\nprune = \"15 * * * *\"\n\ngc = \"0 25 * * *\"\n");
  INFO(m);
  CHECK(Contains(m, "test.toml:4: maintenance.gc: "));
  CHECK(Contains(m, "hour"));
  CHECK(Contains(m, "\"\" disables the job"));

  m = ErrorOf("[maintenance]\nverify = \"0 0 31 2 *\"\n");  // never fires
  CHECK(Contains(m, "test.toml:2: maintenance.verify: "));
  CHECK(Contains(ErrorOf("[maintenance]\nprune = \"@reboot\"\n"), "maintenance.prune: "));
  CHECK(Contains(ErrorOf("[maintenance]\nprune = \"* * *\"\n"), "maintenance.prune: "));
  CHECK(Contains(ErrorOf("[maintenance]\nprune = 15\n"),
                 "maintenance.prune: expected a string, got an integer"));
  CHECK(Contains(ErrorOf("[maintenance]\nverify_unverified_days = -1\n"),
                 "maintenance.verify_unverified_days: -1 is out of range"));
  CHECK(Contains(ErrorOf("[maintenance]\ngc_grace = \"31d\"\n"),
                 "maintenance.gc_grace: \"31d\" is out of range: expected 0s to 30d"));
  CHECK(Contains(ErrorOf("[maintenance]\ngc = \"" + std::string(300, '*') + "\"\n"),
                 "more than 256 bytes"));
}

TEST_CASE("ApplianceConfig: TOML syntax errors and missing files say where", "[unit][config]") {
  std::string m = ErrorOf("[ingest]\nport = 8443\nport = 8444\n");
  INFO(m);
  CHECK(Contains(m, "test.toml:3:"));
  CHECK(Contains(m, "not valid TOML"));
  m = ErrorOf("[ingest\n");
  CHECK(Contains(m, "test.toml:1:"));

  TempDir dir;
  auto missing = LoadApplianceConfig(dir.path() / "nope.toml");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().IsNotFound());
  CHECK(Contains(missing.error().message(), "nope.toml does not exist"));

  const fs::path big = dir.path() / "big.toml";
  {
    std::ofstream out(big);
    out << "# " << std::string(2 << 20, 'x') << "\n";
  }
  auto too_big = LoadApplianceConfig(big);
  REQUIRE_FALSE(too_big.ok());
  CHECK(Contains(too_big.error().message(), "larger than 1 MiB"));

  // A file's own name appears in its messages.
  const fs::path bad = dir.path() / "bad.toml";
  {
    std::ofstream out(bad);
    out << "[log]\n\nlevle = \"info\"\n";
  }
  auto b = LoadApplianceConfig(bad);
  REQUIRE_FALSE(b.ok());
  CHECK(Contains(b.error().message(), bad.string() + ":3: unknown key \"log.levle\""));
}

}  // namespace
}  // namespace cairn
