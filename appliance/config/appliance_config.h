// ApplianceConfig: the settings of cairn-appliance, read once at start from
// a TOML file (default /etc/cairn/appliance.toml; the documented example is
// configs/appliance.toml) into one plain aggregate, validated, then passed
// by const& to whatever needs it.
//
// Every field has a default (below, and in configs/appliance.toml), so an
// empty file is a valid configuration. What the parser refuses, each with
// "<file>:<line>: <key>: <what was expected>":
//   - unknown sections and keys (a typo must not silently leave a default),
//   - values of the wrong TOML type (port = "8443"),
//   - values out of range (port = 70000, idle_timeout = "0s"),
//   - malformed durations and listener addresses that are not IP literals,
//   - cron expressions that do not parse or never fire ([maintenance]).
//
// Paths: a relative state_dir is taken relative to the directory holding
// the config file; relative store_dir, key_file and pki_dir relative to
// state_dir. After parsing every path is absolute and lexically normal.
//
// Thread-safety: a parsed config is an immutable value; the functions are
// pure apart from LoadApplianceConfig reading its file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn {

struct ListenerConfig {
  std::string address;     // IPv4 or IPv6 literal to bind ("0.0.0.0", "::", "10.0.0.5")
  std::uint16_t port = 0;  // 0: the kernel picks a free port (tests)

  friend bool operator==(const ListenerConfig&, const ListenerConfig&) = default;
};

// [maintenance]: when the appliance runs its maintenance jobs by itself
// (appliance/daemon/maintenance_scheduler.h). Each schedule is a cron
// expression in UTC (core/schedule/cron_expression.h), checked when the
// config is loaded and kept as written; "" disables that job.
struct MaintenanceConfig {
  std::string prune = "15 * * * *";   // hourly: retention policies applied
  std::string gc = "30 3 * * *";      // daily, after a prune: frees what prunes left
  std::string verify = "45 4 * * 0";  // weekly (Sunday), after that day's gc
  // The scheduled verify re-reads only chunks not proven for this many days
  // (0: every chunk, every time). 0..3650.
  int verify_unverified_days = 30;
  // The scheduled gc keeps files younger than this (docs/gc.md). 0s..30d.
  std::chrono::seconds gc_grace{3600};

  friend bool operator==(const MaintenanceConfig&, const MaintenanceConfig&) = default;
};

struct ApplianceConfig {
  // [paths]: the defaults of the last three are <state_dir>/store,
  // <state_dir>/keys/store.key and <state_dir>/pki, written out here for the
  // default state_dir (so ApplianceConfig{} equals an empty file parsed).
  std::filesystem::path state_dir = "/var/lib/cairn";  // root; relative paths resolve against it
  std::filesystem::path store_dir = "/var/lib/cairn/store";
  std::filesystem::path key_file = "/var/lib/cairn/keys/store.key";
  std::filesystem::path pki_dir = "/var/lib/cairn/pki";

  // [ingest]: mTLS listener for agents.
  ListenerConfig ingest{"127.0.0.1", 8443};
  // [admin]: TLS listener for the admin API, dashboard and /metrics.
  ListenerConfig admin{"127.0.0.1", 9443};
  // Extra DNS names / IP addresses for the server certificate (besides the
  // host name and the listener addresses), e.g. a VIP or a DNS alias.
  std::vector<std::string> server_names;

  // [limits]
  int worker_threads = 0;  // 0: one per core, at least 2; else 1..256
  // Bound of one upload request body (a batch of chunks). At least 9 MiB: a
  // batch must hold the largest chunk (8 MiB) with its framing.
  std::uint64_t max_chunk_batch_bytes = 32u << 20;
  std::uint64_t max_manifest_bytes = 256u << 20;  // bound of one snapshot manifest upload
  std::chrono::seconds idle_timeout{60};          // a connection idle this long is closed
  std::size_t max_connections = 256;              // per listener; more wait in the backlog

  // [enrollment]
  std::chrono::seconds default_token_ttl{24 * 3600};          // lifetime of a new enrollment token
  std::chrono::seconds agent_cert_validity{365 * 24 * 3600};  // lifetime of an agent certificate

  // [replication]: targets themselves are managed with `cairnctl target`.
  // How long a commit waits for a synchronous target before it reports the
  // snapshot as replicated asynchronously (and says so).
  std::chrono::seconds synchronous_timeout{600};

  // [maintenance]
  MaintenanceConfig maintenance;

  // [log]
  std::string log_level = "info";  // debug, info, warn or error

  friend bool operator==(const ApplianceConfig&, const ApplianceConfig&) = default;
};

// Reads and parses `file` (at most 1 MiB). Relative paths inside resolve
// against the file's directory; messages name the file as given.
// NotFound when the file does not exist.
Result<ApplianceConfig> LoadApplianceConfig(const std::filesystem::path& file);

// Parses TOML text. `base_dir` (made absolute if relative) anchors a
// relative state_dir; `source_name` is what messages call the text
// ("appliance.toml:12: ...").
Result<ApplianceConfig> ParseApplianceConfig(std::string_view toml_text,
                                             const std::filesystem::path& base_dir,
                                             std::string_view source_name);

}  // namespace cairn
