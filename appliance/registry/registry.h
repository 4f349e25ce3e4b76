// Registry: who may talk to the appliance. Clusters, enrollment tokens,
// enrolled agents (by client certificate), admin API tokens and their roles,
// and the audit log, all kept in the store's catalog (<store>/catalog.db,
// schema v2 and later; docs/formats.md "Schema v2").
//
// The registry opens its own connection to the catalog, next to the engine's
// Catalog; SQLite's file lock and busy_timeout arbitrate between the two.
// The file must already be at schema v2: Catalog::Open (which the appliance
// runs first, when it opens the store) migrates it; the registry never
// migrates on its own, so there is one place that changes the schema.
//
// Secrets (enrollment and API token secrets) are 32 random bytes, shown once
// in the token text returned by the Create* call and stored only as SHA-256;
// comparisons are constant time. No message, log line or audit entry made
// here contains a secret.
//
// Refusals of a credential are PermissionDenied with a message that says
// what was wrong and what to do next; callers map them to 401/403 and may
// show them to the person holding the token. The token id (not secret) may
// appear in them.
//
// Time comes from the Clock passed to Open (FakeClock in tests); the clock
// must outlive the registry.
//
// Thread-safety: every method may be called from any thread (the appliance
// calls it from its worker pool). Calls are serialized by one mutex around
// the connection: each is a few indexed statements, so a queue of callers is
// cheap, and SQLite allows only one writer at a time anyway. Several
// Registry objects (in this or another process) may open the same file;
// RedeemEnrollmentToken stays single-use across them (one BEGIN IMMEDIATE
// transaction and a conditional UPDATE).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "appliance/registry/role.h"
#include "core/base/clock.h"
#include "core/base/status.h"

namespace cairn {

class SqliteDb;

// Cluster names: a DNS-1123 label ([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?), so a
// name can serve as a directory name (snapshots/<cluster>/...), a label
// value and a certificate name component as it is.
bool IsValidClusterName(std::string_view name);

// ---- replication peers (registry_peers.cc) ---------------------------------
// Peer ids: "peer-" and 16 lowercase hex digits, chosen at pairing; a peer's
// replica directory (<state_dir>/replicas/<id>) and its certificate's CN.
bool IsValidPeerId(std::string_view id);
Result<std::string> NewPeerId();
// The subject O of every replication peer's client certificate (agents'
// certificates carry their cluster there).
inline constexpr std::string_view kPeerCertificateOrganization = "cairn-replica-peer";

class Registry {
 public:
  // Opens `catalog_db` (which must exist, be a cairn catalog and be at
  // schema v2 or later). Errors: NotFound (no such file), InvalidArgument
  // (not a catalog, schema too old or too new, each with what to do),
  // Corruption, Unavailable, IoError as SqliteDb::Open reports them.
  static Result<std::unique_ptr<Registry>> Open(const std::filesystem::path& catalog_db,
                                                Clock& clock);

  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  // ---- enrollment tokens ---------------------------------------------------
  struct EnrollmentToken {
    std::string id;       // 16 hex digits; not secret
    std::string cluster;  // the cluster an agent redeeming it joins
    std::string text;     // cairn-enroll.v1.<id>.<secret>.<ca-sha256>: show once
    std::int64_t expires_unix_ns = 0;
  };
  // Creates a single-use token that enrolls one agent into `cluster` until
  // now + ttl. The cluster row is created if absent. `ca_sha256_hex` is the
  // SHA-256 of the appliance CA certificate (64 hex digits); it is put into
  // the text, not stored. `created_by` (the actor, for the audit trail) must
  // not be empty. InvalidArgument for a bad cluster name, a ttl outside
  // 1 s..3650 days, a malformed pin.
  Result<EnrollmentToken> CreateEnrollmentToken(std::string_view cluster, std::chrono::seconds ttl,
                                                std::string_view ca_sha256_hex,
                                                std::string_view created_by);

  // Redeems a token for `agent_id`: in one transaction, checks it and marks
  // it used (UPDATE ... WHERE used_unix_ns IS NULL), so of any number of
  // concurrent redeemers, in any process, exactly one succeeds. Returns the
  // token's cluster. PermissionDenied, each with its own message: malformed
  // text, unknown token, wrong secret, already used (when, by which agent),
  // expired (when), and -- if `expected_cluster` is not empty -- a token of
  // another cluster ("token is for cluster X, not Y"). A refused token is
  // left as it was (still usable by its rightful holder unless used or
  // expired).
  Result<std::string> RedeemEnrollmentToken(std::string_view token_text,
                                            std::string_view expected_cluster,
                                            std::string_view agent_id);

  // ---- agents --------------------------------------------------------------
  struct AgentRecord {
    std::string id;                        // the agent's id (chosen at enrollment); primary key
    std::string cluster;                   // must exist (clusters come from enrollment tokens)
    std::string common_name;               // subject CN of its client certificate
    std::string cert_serial;               // client certificate serial (hex); unique
    std::string cert_sha256;               // SHA-256 of the certificate (DER), 64 hex digits
    std::int64_t created_unix_ns = 0;      // 0 on RegisterAgent: now
    std::int64_t cert_not_after_unix = 0;  // certificate expiry, seconds since the epoch
    std::optional<std::int64_t> revoked_unix_ns;
    std::optional<std::int64_t> last_seen_unix_ns;

    friend bool operator==(const AgentRecord&, const AgentRecord&) = default;
  };
  // Records a newly enrolled agent. AlreadyExists when its id or certificate
  // serial is taken; InvalidArgument for an unknown cluster or a malformed
  // field. revoked/last_seen of the argument are ignored (a new agent is
  // neither).
  Status RegisterAgent(const AgentRecord& agent);
  // Ordered by cluster, then creation time, then id; one cluster's if given.
  Result<std::vector<AgentRecord>> ListAgents(std::optional<std::string> cluster = std::nullopt);
  // The agent holding the certificate with this serial (the mTLS layer's
  // lookup), revoked or not: the caller checks revoked_unix_ns.
  Result<std::optional<AgentRecord>> FindAgentBySerial(std::string_view cert_serial);
  // Marks the agent revoked now; its certificate is refused from then on.
  // NotFound for an unknown id (a typo must not look like a revocation).
  // Revoking a revoked agent is Ok and keeps the first revocation time.
  Status RevokeAgent(std::string_view agent_id);
  // Records that the agent was seen now. Written at most once a minute per
  // agent (remembered in memory), so calling it on every request is cheap.
  // NotFound for an unknown id.
  Status TouchAgent(std::string_view agent_id);

  // Every cluster name, sorted.
  Result<std::vector<std::string>> ListClusters();

  // ---- admin API tokens ----------------------------------------------------
  struct ApiTokenRecord {
    std::string id;    // 16 hex digits; not secret
    std::string name;  // what the token is for ("ci", "alice laptop")
    Role role = Role::kAuditor;
    std::int64_t created_unix_ns = 0;
    std::optional<std::int64_t> revoked_unix_ns;
    std::optional<std::int64_t> last_used_unix_ns;

    friend bool operator==(const ApiTokenRecord&, const ApiTokenRecord&) = default;
  };
  // Creates a token; the returned text (cairn-api.v1.<id>.<secret>) is the
  // only copy of the secret. `name` must be 1..128 bytes.
  Result<std::pair<ApiTokenRecord, std::string>> CreateApiToken(std::string_view name, Role role);
  // The token's record if `token_text` is a valid, unrevoked token.
  // PermissionDenied (malformed, unknown, wrong secret, revoked), never
  // repeating the secret. Updates last_used at most once a minute per token.
  Result<ApiTokenRecord> AuthenticateApiToken(std::string_view token_text);
  // Ordered by creation time, then id. Secrets are not listed (not kept).
  Result<std::vector<ApiTokenRecord>> ListApiTokens();
  // NotFound for an unknown id; revoking a revoked token is Ok and keeps the
  // first revocation time.
  Status RevokeApiToken(std::string_view id);

  // ---- audit log -----------------------------------------------------------
  struct AuditEntry {
    std::int64_t seq = 0;  // strictly increasing, never reused
    std::int64_t at_unix_ns = 0;
    std::string actor;        // "api-token:<id>", "agent:<id>", "local:root", ...
    std::string action;       // "enrollment-token.create", "agent.revoke", ...
    std::string target;       // what it acted on
    std::string outcome;      // "ok", "denied" or "failed"
    std::string detail_json;  // a JSON object
  };
  // Appends one entry stamped now. `outcome` must be ok, denied or failed;
  // `detail` a JSON object (invalid UTF-8 in it is replaced, not refused:
  // an audit entry must not be lost over an odd byte). Over-long fields are
  // cut (actor, action, target: 1 KiB; detail: 16 KiB, replaced by
  // {"truncated":true,"bytes":N}) so a hostile request cannot grow the log
  // without bound per entry.
  Status Audit(std::string_view actor, std::string_view action, std::string_view target,
               std::string_view outcome, const nlohmann::json& detail = nlohmann::json::object());
  // Entries with seq > after_seq, oldest first, at most min(limit, 1000):
  // page with after_seq = the last seq seen.
  Result<std::vector<AuditEntry>> ListAudit(std::int64_t after_seq, std::size_t limit);

  static constexpr std::size_t kMaxAuditPage = 1000;

  // ---- backup schedules (schema v3; registry_schedules.cc) ------------------
  struct ScheduleRecord {
    std::string cluster;
    std::string name;  // unique per cluster; a snapshot name (A-Z a-z 0-9 . _ -)
    std::string cron;  // checked in full by the agent (agent/schedule); here: shape and size
    std::string kind;  // resources, volumes or directory
    std::string options_json = "{}";  // the kind's options, a JSON object
    std::int64_t created_unix_ns = 0;
    std::int64_t updated_unix_ns = 0;

    friend bool operator==(const ScheduleRecord&, const ScheduleRecord&) = default;
  };
  // Creates or replaces the schedule (cluster, name); returns the stored
  // record and whether it was created. InvalidArgument for a malformed name,
  // cron, kind or options (each says what is allowed), NotFound for a
  // cluster the appliance does not know (clusters come from `cairnctl token
  // create`), and past kMaxSchedulesPerCluster.
  Result<std::pair<ScheduleRecord, bool>> PutSchedule(std::string_view cluster,
                                                      std::string_view name, std::string_view cron,
                                                      std::string_view kind,
                                                      const nlohmann::json& options);
  // Ordered by cluster, then name; one cluster's if given.
  Result<std::vector<ScheduleRecord>> ListSchedules(std::optional<std::string> cluster = std::nullopt);
  // NotFound when there is no such schedule.
  Status DeleteSchedule(std::string_view cluster, std::string_view name);

  static constexpr std::size_t kMaxSchedulesPerCluster = 256;

  // ---- replication peers (schema v4; registry_peers.cc) ---------------------
  // Other appliances that replicate INTO this one (sync/peer). A peer is
  // paired once with a one-time pairing token, like an agent's enrollment:
  // the token names the peer and pins this appliance's CA; redeeming it gets
  // the peer a client certificate (O=cairn-replica-peer, CN=<peer id>) with
  // which it pushes its store's objects over mTLS. Peers are not agents:
  // their certificates are looked up here, never in `agents`, and the other
  // way round.
  struct PairingToken {
    std::string id;         // 16 hex digits; not secret
    std::string peer_name;  // the name the redeeming peer gets
    std::string text;       // cairn-pair.v1.<id>.<secret>.<ca-sha256>: show once
    std::int64_t expires_unix_ns = 0;
  };
  // A single-use token that pairs one peer named `peer_name` (a DNS-1123
  // label, like a cluster name) until now + ttl. InvalidArgument for a bad
  // name, a ttl outside 1 s..3650 days, a malformed pin or an empty
  // created_by; AlreadyExists when an active (unrevoked) peer holds the
  // name (revoke it first: one name, one active peer).
  Result<PairingToken> CreatePairingToken(std::string_view peer_name, std::chrono::seconds ttl,
                                          std::string_view ca_sha256_hex,
                                          std::string_view created_by);

  struct PeerRecord {
    std::string id;           // "peer-<16 hex>", chosen at pairing; its replica directory's name
    std::string name;         // from the pairing token; unique among active peers
    std::string remote_name;  // what the peer calls itself (its host name), for operators
    std::string cert_serial;  // client certificate serial (hex); unique
    std::string cert_sha256;  // SHA-256 of the certificate (DER), 64 hex digits
    std::int64_t created_unix_ns = 0;  // 0 on RedeemPairingToken: now
    std::int64_t cert_not_after_unix = 0;
    std::optional<std::int64_t> revoked_unix_ns;
    std::optional<std::int64_t> last_seen_unix_ns;
    std::uint64_t objects_held = 0;  // objects stored for it, running sum (AddPeerHoldings)
    std::uint64_t bytes_held = 0;    // their bytes

    friend bool operator==(const PeerRecord&, const PeerRecord&) = default;
  };
  // Redeems a pairing token and registers the peer, in one transaction: of
  // any number of concurrent redeemers, in any process, exactly one
  // succeeds, and a refused or failed pairing leaves neither a spent token
  // nor a half-registered peer. `peer` carries the id and the certificate
  // already issued for it (the certificate does not depend on the token, so
  // it is signed first and simply discarded on refusal); its name comes from
  // the token, its counters start at zero. Returns the registered record.
  // PermissionDenied, each with its own message: malformed text, unknown
  // token, wrong secret, already used (when, by which peer), expired (when),
  // the name now held by another active peer. AlreadyExists for a taken id
  // or certificate serial; InvalidArgument for a malformed field.
  Result<PeerRecord> RedeemPairingToken(std::string_view token_text, const PeerRecord& peer);
  // Ordered by creation time, then id; revoked peers included.
  Result<std::vector<PeerRecord>> ListPeers();
  Result<std::optional<PeerRecord>> FindPeer(std::string_view peer_id);
  // The peer holding the certificate with this serial (the mTLS layer's
  // lookup), revoked or not: the caller checks revoked_unix_ns.
  Result<std::optional<PeerRecord>> FindPeerBySerial(std::string_view cert_serial);
  // Marks the peer revoked now: its certificate is refused from its next
  // request on. What it pushed stays (readable with an admin token). NotFound
  // for an unknown id; revoking a revoked peer is Ok and keeps the first time.
  Status RevokePeer(std::string_view peer_id);
  // Records that the peer was seen now; written at most once a minute per
  // peer, so calling it on every request is cheap. NotFound for an unknown id.
  Status TouchPeer(std::string_view peer_id);
  // Adds to the peer's running sums what one write changed (a new object:
  // +1 and its size; a replaced config: 0 and the size difference; sums
  // never go below zero) and marks it seen. NotFound for an unknown id.
  Status AddPeerHoldings(std::string_view peer_id, std::int64_t objects_delta,
                         std::int64_t bytes_delta);

 private:
  Registry(std::unique_ptr<SqliteDb> db, Clock& clock);

  // Bodies of the public calls, run with mu_ held.
  Result<std::string> RedeemLocked(std::string_view token_text, std::string_view expected_cluster,
                                   std::string_view agent_id);
  Result<ApiTokenRecord> AuthenticateLocked(std::string_view token_text);
  // Sets last_seen_unix_ns = now of row `id` in `table` (agents,
  // replica_peers), at most once a minute per id (`written` remembers when);
  // NotFound naming `noun` for an unknown id. Takes mu_.
  Status TouchRow(std::string_view table, std::string_view noun, std::string_view id,
                  std::unordered_map<std::string, std::int64_t>& written);

  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
  Clock& clock_;
  // Monotonic time of the last last_seen / last_used write, per id; entries
  // are added only for ids that exist, so the maps are bounded by the number
  // of agents and tokens. Guarded by mu_.
  std::unordered_map<std::string, std::int64_t> agent_seen_written_;
  std::unordered_map<std::string, std::int64_t> token_used_written_;
  // The same for replication peers' last_seen (TouchPeer). Guarded by mu_.
  std::unordered_map<std::string, std::int64_t> peer_seen_written_;
};

}  // namespace cairn
