// ApplianceTarget and the replica routes of an in-process appliance B (real
// routes, real TLS on 127.0.0.1): a real store A pushed whole and read back
// (through the peer's mTLS routes and through B's admin API with a token),
// B's copy compared byte for byte and opened as a store with A's key; the
// append-only rules; and every refusal -- key escapes, oversize bodies,
// certificates of the wrong kind, a revoked peer.
#include "sync/peer/appliance_target.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "core/base/file_system.h"
#include "core/engine/catalog_rebuild.h"
#include "core/store/store.h"
#include "sync/peer/appliance_replica_reader.h"
#include "sync/peer/pairing.h"
#include "sync/target/directory_target.h"
#include "sync/target/replica_layout.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"
#include "tests/sync/peer/peer_test_appliance.h"

namespace cairn {
namespace {

using json = nlohmann::json;
using test::PeerTestAppliance;
using test::Send;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Site A's side: pairs with B into its own temp dir and opens the target.
struct SiteA {
  TempDir dir{"cairn-peer-a"};
  ApplianceTargetSettings settings;
  std::unique_ptr<ReplicaTarget> target;
  std::string peer_id;

  explicit SiteA(PeerTestAppliance& b, const std::string& name = "site-a") {
    settings.url = b.IngestUrl();
    settings.credentials_dir = dir.path() / "peers" / "b";
    Status st =
        PairWithAppliance(settings.url, b.PairingToken(name), settings.credentials_dir, "a.test");
    INFO(st.ToString());
    REQUIRE(st.ok());
    auto t = OpenApplianceTarget(settings);
    INFO(t.status().ToString());
    REQUIRE(t.ok());
    target = std::move(*t);
    auto peers = b.services().registry.ListPeers();
    REQUIRE(peers.ok());
    REQUIRE_FALSE(peers->empty());
    peer_id = peers->back().id;
  }
};

std::map<std::string, std::string> ListAll(ReplicaTarget& t, std::string_view prefix = "") {
  std::map<std::string, std::string> out;
  std::string last;
  Status st = t.List(prefix, [&](std::string_view key, std::uint64_t size) {
    CHECK(std::string(key) > last);  // ascending
    last = key;
    out[std::string(key)] = std::to_string(size);
    return Status::Ok();
  });
  INFO(st.ToString());
  REQUIRE(st.ok());
  return out;
}

// Every regular file under `dir`, relative path -> content.
std::map<std::string, std::string> FilesUnder(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto data = ReadWholeFile(DefaultFileSystem(), e.path(), 64 << 20);
    REQUIRE(data.ok());
    out[std::filesystem::relative(e.path(), dir).string()] = Text(*data);
  }
  return out;
}

TEST_CASE(
    "ApplianceTarget: a store pushed to B reads back, and B's copy is that store byte for byte",
    "[integration][peer]") {
  PeerTestAppliance b;
  StoreFixture store_a;
  MakeSampleTree(store_a.src, 17);
  std::string snapshot;
  {
    auto store = store_a.Open();
    auto backup = StoreFixture::Backup(*store, store_a.src, "vol");
    REQUIRE(backup.ok());
    snapshot = backup->snapshot_id;
  }
  SiteA a(b);
  auto probe = a.target->Probe();
  INFO(probe.status().ToString());
  REQUIRE(probe.ok());
  CHECK_FALSE(probe->supports_locks);
  CHECK(Contains(probe->detail, a.peer_id));
  CHECK(Contains(probe->detail, "site-a"));

  // Push every object of A's store, as the engine does: chunks, config,
  // manifests (order does not matter to B).
  DirectoryTarget source(DefaultFileSystem(), store_a.dir);
  std::map<std::string, std::string> pushed;
  std::uint64_t pushed_bytes = 0;
  REQUIRE(source
              .List("",
                    [&](std::string_view key, std::uint64_t) {
                      auto data = source.Get(key, 64 << 20);
                      REQUIRE(data.ok());
                      Status st = a.target->Put(key, *data, PutOptions{});
                      INFO(std::string(key) << ": " << st.ToString());
                      REQUIRE(st.ok());
                      pushed[std::string(key)] = Text(*data);
                      pushed_bytes += data->size();
                      return Status::Ok();
                    })
              .ok());
  REQUIRE(pushed.size() > 3);
  REQUIRE(pushed.count("config") == 1);

  // B's directory for the peer holds exactly the objects pushed, byte for byte.
  const auto replica = b.Replicas() / a.peer_id;
  CHECK(FilesUnder(replica) == pushed);
  CHECK(FilesUnder(b.Replicas()).size() == pushed.size());  // nothing beside the peer's dir

  // The target lists them in order, with their sizes; prefixes narrow it.
  auto listed = ListAll(*a.target);
  REQUIRE(listed.size() == pushed.size());
  for (const auto& [key, data] : pushed) CHECK(listed[key] == std::to_string(data.size()));
  auto manifests = ListAll(*a.target, "snapshots/");
  CHECK(manifests.size() == 1);
  CHECK(manifests.begin()->first == "snapshots/vol/" + snapshot);
  CHECK(ListAll(*a.target, "nothing/").empty());
  for (const auto& [key, data] : pushed) {
    auto back = a.target->Get(key, 64 << 20);
    REQUIRE(back.ok());
    CHECK(Text(*back) == data);
  }
  // A Get is bounded by what the caller allows.
  auto too_small = a.target->Get("config", 10);
  CHECK(too_small.status().IsInvalidArgument());
  CHECK(a.target->Get("chunks/00/" + std::string(64, '0'), 1 << 20).status().IsNotFound());

  // Pages of two, followed with `after`, give the same listing.
  auto raw = b.PeerClient(a.settings.credentials_dir);
  std::vector<std::string> paged;
  std::string after;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < 1000);
    auto r = Send(*raw, "GET", "/v1/replica/keys?limit=2&after=" + after);
    REQUIRE(r.status == 200);
    const json j = json::parse(r.body);
    REQUIRE(j["keys"].size() <= 2);
    for (const auto& k : j["keys"]) paged.push_back(k["key"].get<std::string>());
    if (!j["truncated"].get<bool>()) break;
    after = j["next_after"].get<std::string>();
  }
  std::vector<std::string> expected;
  for (const auto& [key, data] : pushed) expected.push_back(key);
  CHECK(paged == expected);

  // What B counted: objects, bytes, per peer and in the metrics.
  auto peer = b.services().registry.FindPeer(a.peer_id);
  REQUIRE(peer.ok());
  REQUIRE(peer->has_value());
  CHECK((*peer)->objects_held == pushed.size());
  CHECK((*peer)->bytes_held == pushed_bytes);
  CHECK((*peer)->last_seen_unix_ns.has_value());
  CHECK(b.services().metrics.replica_objects_stored.load() == pushed.size());
  CHECK(b.services().metrics.replica_bytes_received.load() == pushed_bytes);
  const std::string metrics = RenderMetrics(b.services());
  CHECK(Contains(metrics, "cairn_replica_objects_stored_total " + std::to_string(pushed.size())));
  CHECK(Contains(metrics, "cairn_replica_peer_bytes{peer=\"" + a.peer_id + "\",name=\"site-a\"} " +
                              std::to_string(pushed_bytes)));

  // B's admin reads the same back with a token (recovery when A is gone).
  auto reader = OpenApplianceReplicaReader(b.AdminUrl(), b.services().ca.cert_pem(), b.admin_token,
                                           a.peer_id);
  REQUIRE(reader.ok());
  REQUIRE((*reader)->Probe().ok());
  CHECK(ListAll(**reader) == listed);
  for (const auto& [key, data] : pushed) {
    auto back = (*reader)->Get(key, 64 << 20);
    REQUIRE(back.ok());
    CHECK(Text(*back) == data);
  }
  Status put = (*reader)->Put("config", AsBytes("x"), PutOptions{});
  CHECK(put.IsPermissionDenied());
  CHECK(Contains(put.message(), "read-only"));
  CHECK((*reader)->Delete("config").IsPermissionDenied());

  // B's copy is a store: A's key opens it, and the snapshot restores.
  TempDir work;
  std::filesystem::copy(replica, work.path() / "recovered",
                        std::filesystem::copy_options::recursive);
  auto recovered = Store::Open(DefaultFileSystem(), work.path() / "recovered",
                               KeySource{store_a.key, std::nullopt}, /*fresh_catalog=*/true);
  INFO(recovered.status().ToString());
  REQUIRE(recovered.ok());
  auto rebuilt = RebuildCatalog(**recovered);
  REQUIRE(rebuilt.ok());
  CHECK(rebuilt->missing_chunks.empty());
  auto restored = StoreFixture::Restore(**recovered, snapshot, work.path() / "out");
  REQUIRE(restored.ok());
  CHECK(DiffTrees(store_a.src, work.path() / "out") == "");
}

TEST_CASE(
    "ApplianceTarget: chunks and manifests are never overwritten, config may be, DELETE is refused",
    "[integration][peer]") {
  PeerTestAppliance b;
  SiteA a(b);
  const std::string chunk = "chunks/ab/ab" + std::string(62, '1');
  const std::string manifest = "snapshots/vol/0123456789abcdef";
  REQUIRE(a.target->Put(chunk, AsBytes("sealed-1"), PutOptions{}).ok());
  REQUIRE(a.target->Put(manifest, AsBytes("manifest-1"), PutOptions{}).ok());
  REQUIRE(a.target->Put("config", AsBytes("config-1"), PutOptions{}).ok());

  // A chunk sent again (even sealed anew) is kept as it is.
  CHECK(a.target->Put(chunk, AsBytes("sealed-2, longer"), PutOptions{}).ok());
  CHECK(Text(*a.target->Get(chunk, 1 << 20)) == "sealed-1");
  // A manifest sent again is fine; another content for it is refused.
  CHECK(a.target->Put(manifest, AsBytes("manifest-1"), PutOptions{}).ok());
  Status changed = a.target->Put(manifest, AsBytes("manifest-2"), PutOptions{});
  CHECK(changed.IsAlreadyExists());
  INFO(changed.message());
  CHECK(Contains(changed.message(), "append-only"));
  CHECK(Text(*a.target->Get(manifest, 1 << 20)) == "manifest-1");
  // The config is replaced (a recovery passphrase added on A changes it).
  REQUIRE(a.target->Put("config", AsBytes("config-two"), PutOptions{}).ok());
  CHECK(Text(*a.target->Get("config", 1 << 20)) == "config-two");
  CHECK(b.services().metrics.replica_objects_kept.load() == 2);

  // Nothing can be deleted, and the refusal is audited.
  Status del = a.target->Delete(chunk);
  CHECK(del.IsPermissionDenied());
  CHECK(Contains(del.message(), "append-only"));
  CHECK(std::filesystem::exists(b.Replicas() / a.peer_id / chunk));
  auto audit = b.services().registry.ListAudit(0, 1000);
  REQUIRE(audit.ok());
  bool denied_delete = false;
  for (const auto& e : *audit) {
    denied_delete |= e.action == "replica.delete" && e.outcome == "denied";
  }
  CHECK(denied_delete);

  // Running sums: three objects; the config's size is its latest.
  auto peer = b.services().registry.FindPeer(a.peer_id);
  REQUIRE(peer.ok());
  REQUIRE(peer->has_value());
  CHECK((*peer)->objects_held == 3);
  CHECK((*peer)->bytes_held == std::string("sealed-1manifest-1config-two").size());
}

TEST_CASE(
    "Replica routes: key escapes and oversize bodies are refused, nothing lands outside the peer's "
    "dir",
    "[integration][peer]") {
  ApplianceConfig config;
  config.max_manifest_bytes = 10 << 20;  // the route's bound, above the chunk's
  PeerTestAppliance b(config);
  SiteA a(b);
  auto raw = b.PeerClient(a.settings.credentials_dir);
  const auto before = FilesUnder(b.dir.path());

  for (const std::string& key : std::vector<std::string>{
           "../x", "..%2Fx", "%2Fetc%2Fx", "/etc/x", "config/../../x", "chunks/ab/../../../x",
           "chunks/../../x", "snapshots/../../../x/y", "snapshots/a/../../../x",
           "snapshots/vol/0123456789abcdef/../../../../x", "chunks/ab/" + std::string(64, 'a'),
           "chunks/AB/ab" + std::string(62, '0'), "snapshots/.hidden/0123456789abcdef",
           "catalog.db", "config.tmp-1", ""}) {
    INFO("key " << key);
    auto put = Send(*raw, "PUT", "/v1/replica/object?key=" + key, "evil");
    CHECK(put.status == 400);
    auto get = Send(*raw, "GET", "/v1/replica/object?key=" + key);
    CHECK(get.status == 400);
  }
  auto no_key = Send(*raw, "PUT", "/v1/replica/object", "evil");
  CHECK(no_key.status == 400);
  // The client refuses them before sending, too.
  CHECK(a.target->Put("../x", AsBytes("evil"), PutOptions{}).IsInvalidArgument());

  // Each kind has its own bound: config 1 MiB, a chunk the largest sealed
  // chunk, a manifest max_manifest_bytes (here 10 MiB, the route's bound).
  auto big_config =
      Send(*raw, "PUT", "/v1/replica/object?key=config", std::string((1 << 20) + 1, 'c'));
  CHECK(big_config.status == 400);
  CHECK(Contains(big_config.body, "allowed for it"));
  const std::string chunk = "chunks/ab/ab" + std::string(62, '2');
  auto big_chunk = Send(*raw, "PUT", "/v1/replica/object?key=" + chunk,
                        std::string(Store::kMaxSealedChunkBytes + 1, 'x'));
  CHECK(big_chunk.status == 400);
  // Past the route's bound the server stops reading: 413 (or the connection
  // closed while we were still sending).
  HttpsRequest huge;
  huge.method = "PUT";
  huge.target = "/v1/replica/object?key=snapshots/v/0123456789abcdef";
  huge.body = std::string((10 << 20) + 1, 'm');
  auto over = raw->Send(huge);
  if (over.ok()) CHECK(over->status == 413);
  CHECK(b.services().metrics.replica_objects_stored.load() == 0);

  // Nothing was written anywhere (B's catalog aside, which logs and audits).
  auto after = FilesUnder(b.dir.path());
  for (const auto& [path, data] : after) {
    INFO(path);
    if (path.starts_with("store/")) continue;
    CHECK(before.count(path) == 1);
  }
  CHECK_FALSE(std::filesystem::exists(b.Replicas() / a.peer_id / "chunks"));
}

TEST_CASE("Replica routes: an agent's certificate is refused there, a peer's on agent routes",
          "[integration][peer]") {
  PeerTestAppliance b;
  SiteA a(b);
  auto agent = b.AgentClient();
  // The agent's certificate works where it belongs...
  CHECK(Send(*agent, "GET", "/v1/session").status == 200);
  // ...and nowhere on the replica routes.
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/replica/probe"},
                                                        {"PUT", "/v1/replica/object?key=config"},
                                                        {"GET", "/v1/replica/object?key=config"},
                                                        {"GET", "/v1/replica/keys"}}) {
    INFO(method << " " << target);
    auto r = Send(*agent, method, target, method == "PUT" ? "x" : "");
    CHECK(r.status == 403);
    CHECK(Contains(r.body, "belongs to no paired replication peer"));
  }
  CHECK_FALSE(std::filesystem::exists(b.Replicas()));

  // The peer's certificate works on replica routes, and on no agent route.
  auto peer = b.PeerClient(a.settings.credentials_dir);
  CHECK(Send(*peer, "GET", "/v1/replica/probe").status == 200);
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/session"},
                                                        {"POST", "/v1/chunks/missing"},
                                                        {"GET", "/v1/snapshots"},
                                                        {"GET", "/v1/agent/schedules"}}) {
    INFO(method << " " << target);
    auto r = Send(*peer, method, target);
    CHECK(r.status == 403);
    CHECK(Contains(r.body, "replication peer's certificate"));
  }

  // No certificate at all: refused, saying how to get one.
  auto endpoint = ParseHttpsUrl(b.IngestUrl());
  REQUIRE(endpoint.ok());
  HttpsClientOptions options;
  options.endpoint = *endpoint;
  options.ca_pem = b.services().ca.cert_pem();
  auto anonymous = HttpsClient::Create(std::move(options));
  REQUIRE(anonymous.ok());
  auto r = Send(**anonymous, "GET", "/v1/replica/probe");
  CHECK(r.status == 403);
  CHECK(Contains(r.body, "pair first"));
}

TEST_CASE(
    "Replica routes: a revoked peer is refused at once; its replica stays readable by an admin",
    "[integration][peer]") {
  PeerTestAppliance b;
  SiteA a(b);
  REQUIRE(
      a.target->Put("config", AsBytes("config-1"), PutOptions{}).ok());  // connection kept alive

  auto admin = b.AdminClient();
  auto revoked = Send(*admin, "POST", "/v1/peers/" + a.peer_id + "/revoke", "", b.admin_token);
  REQUIRE(revoked.status == 200);
  Status put = a.target->Put("config", AsBytes("config-2"), PutOptions{});
  CHECK(put.IsPermissionDenied());
  INFO(put.message());
  CHECK(Contains(put.message(), "was revoked"));
  CHECK(Contains(put.message(), "new pairing token"));
  CHECK(a.target->Probe().status().IsPermissionDenied());
  CHECK(Send(*admin, "POST", "/v1/peers/peer-0000000000000000/revoke", "", b.admin_token).status ==
        404);

  // The peer list says so; the name is free for a new pairing.
  auto peers = Send(*admin, "GET", "/v1/peers", "", b.admin_token);
  REQUIRE(peers.status == 200);
  const json list = json::parse(peers.body);
  REQUIRE(list["peers"].size() == 1);
  CHECK(list["peers"][0]["revoked"] == true);
  CHECK(list["peers"][0]["objects_held"] == 1);
  CHECK(list["peers"][0]["bytes_held"] == 8);

  auto reader = OpenApplianceReplicaReader(b.AdminUrl(), b.services().ca.cert_pem(), b.admin_token,
                                           a.peer_id);
  REQUIRE(reader.ok());
  auto config = (*reader)->Get("config", 1 << 20);
  REQUIRE(config.ok());
  CHECK(Text(*config) == "config-1");

  // Reading replicas takes an admin: an operator's token is refused, as is
  // an unknown peer.
  auto op = b.services().registry.CreateApiToken("ops", Role::kOperator);
  REQUIRE(op.ok());
  auto op_reader =
      OpenApplianceReplicaReader(b.AdminUrl(), b.services().ca.cert_pem(), op->second, a.peer_id);
  REQUIRE(op_reader.ok());
  Status refused = (*op_reader)->Get("config", 1 << 20).status();
  CHECK(refused.IsPermissionDenied());
  CHECK(Contains(refused.message(), "read-replicas"));
  auto nobody = OpenApplianceReplicaReader(b.AdminUrl(), b.services().ca.cert_pem(), b.admin_token,
                                           "peer-0000000000000000");
  REQUIRE(nobody.ok());
  CHECK((*nobody)->Get("config", 1 << 20).status().IsNotFound());

  SiteA again(b);  // same name, paired anew: a new peer, a new directory
  CHECK(again.peer_id != a.peer_id);
  REQUIRE(again.target->Put("config", AsBytes("config-new"), PutOptions{}).ok());
  CHECK(Text(*(*reader)->Get("config", 1 << 20)) == "config-1");
}

TEST_CASE("Peer admin API: pairing tokens take manage-peers, and every change is audited",
          "[integration][peer]") {
  PeerTestAppliance b;
  auto admin = b.AdminClient();
  auto op = b.services().registry.CreateApiToken("ops", Role::kOperator);
  REQUIRE(op.ok());
  auto refused = Send(*admin, "POST", "/v1/peer-tokens", R"({"name":"site-a"})", op->second);
  CHECK(refused.status == 403);
  CHECK(Contains(refused.body, "manage-peers"));
  auto bad = Send(*admin, "POST", "/v1/peer-tokens", R"({"name":"Site A"})", b.admin_token);
  CHECK(bad.status == 400);
  CHECK(Contains(bad.body, "DNS-1123"));

  auto created =
      Send(*admin, "POST", "/v1/peer-tokens", R"({"name":"site-a","ttl":"2h"})", b.admin_token);
  REQUIRE(created.status == 201);
  const json t = json::parse(created.body);
  const std::string token = t["token"].get<std::string>();
  CHECK(token.starts_with("cairn-pair.v1."));
  CHECK(t["name"] == "site-a");
  CHECK(t["ca_sha256"] == b.services().ca.sha256_hex());

  TempDir a;
  REQUIRE(PairWithAppliance(b.IngestUrl(), token, a.path() / "c", "a").ok());
  // One name, one active peer.
  auto taken = Send(*admin, "POST", "/v1/peer-tokens", R"({"name":"site-a"})", b.admin_token);
  CHECK(taken.status == 409);
  CHECK(Contains(taken.body, "revoke it first"));
  const std::string id = b.OnlyPeerId();
  REQUIRE(Send(*admin, "POST", "/v1/peers/" + id + "/revoke", "", b.admin_token).status == 200);

  auto audit = b.services().registry.ListAudit(0, 1000);
  REQUIRE(audit.ok());
  std::map<std::string, int> ok_actions;
  for (const auto& e : *audit) {
    if (e.outcome == "ok") ++ok_actions[e.action];
  }
  CHECK(ok_actions["peer-token.create"] == 1);
  CHECK(ok_actions["peer.pair"] == 1);
  CHECK(ok_actions["peer.revoke"] == 1);
}

}  // namespace
}  // namespace cairn
