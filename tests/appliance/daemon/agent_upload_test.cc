// The agent library against an in-process appliance (the real ingest routes
// on a real HttpServer over TLS on 127.0.0.1): enrollment, a backup with tiny
// ask/upload batches so every batching edge is crossed, a restore that must
// match the source, and a rebackup without the files cache that uploads
// nothing.
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "agent/agent_backup.h"
#include "agent/enrollment.h"
#include "agent/remote_backup_target.h"
#include "appliance/daemon/appliance_core.h"
#include "appliance/daemon/ingest_api.h"
#include "appliance/server/http_server.h"
#include "core/engine/directory_source.h"
#include "core/scrub/scrub.h"
#include "core/tree/tree_restorer.h"
#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/sample_tree.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

// An appliance made of the daemon's parts, serving the ingest routes until
// destroyed. Everything is stopped and joined in the destructor.
struct InProcessAppliance {
  TempDir dir;
  std::unique_ptr<ApplianceCore> core;
  asio::io_context io{1};
  asio::thread_pool workers{2};
  Router router;
  std::unique_ptr<HttpServer> server;
  std::thread io_thread;
  std::uint16_t port = 0;

  InProcessAppliance() {
    core = test::MakeTestApplianceCore(dir.path());
    AddIngestRoutes(router, services());
    server = std::make_unique<HttpServer>(io, workers, router,
                                          test::TestListenerOptions(services().ca, "ingest", true));
    auto p = server->Start();
    REQUIRE(p.ok());
    port = *p;
    io_thread = std::thread([this] { io.run(); });
  }
  ~InProcessAppliance() {
    server->Stop(std::chrono::milliseconds(2000));
    io.stop();
    io_thread.join();
    workers.join();
  }
  ApplianceServices& services() { return core->services(); }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port); }
  std::string Token(const std::string& cluster) {
    auto t = services().registry.CreateEnrollmentToken(cluster, std::chrono::hours(1),
                                                       services().ca.sha256_hex(), "test");
    REQUIRE(t.ok());
    return t->text;
  }
};

// An agent of `cluster` enrolled with `app`, its state under `work`/agent.
Result<AgentState> EnrollAgent(InProcessAppliance& app, const TempDir& work,
                               const std::string& cluster) {
  EnrollRequest enroll;
  enroll.appliance_url = app.Url();
  enroll.token = app.Token(cluster);
  enroll.state_dir = work.path() / "agent";
  return Enroll(enroll);
}

TEST_CASE("Agent: tiny batches upload every chunk once, restore matches, rebackup sends nothing",
          "[integration][agent]") {
  InProcessAppliance app;
  TempDir work;
  auto state = EnrollAgent(app, work, "edge");
  REQUIRE(state.ok());
  CHECK(state->cluster == "edge");

  const auto src = work.path() / "src";
  MakeSampleTree(src, 11);
  RemoteBackupTarget target(*state);
  target.ask_batch_chunks = 3;              // several "missing" rounds
  target.upload_batch_bytes = 100 << 10;    // batches split mid-round
  auto source = DirectorySource::Open(src);
  REQUIRE(source.ok());
  BackupRequest request;
  request.name = "vol";
  request.threads = 3;
  auto first = RunBackup(target, **source, request);
  REQUIRE(first.ok());
  CHECK(target.counters().chunks_uploaded == target.counters().chunks_offered);
  CHECK(target.counters().chunks_uploaded == first->figures.chunks_new);
  CHECK(app.services().metrics.ingest_chunks_stored.load() == target.counters().chunks_uploaded);

  auto sink = TreeRestorer::Create(work.path() / "out", RestoreOptions{});
  REQUIRE(sink.ok());
  RestoreRequest restore;
  restore.snapshot = first->snapshot_id;
  auto restored = RunAgentRestore(*state, restore, **sink);
  REQUIRE(restored.ok());
  CHECK(restored->errors.empty());
  CHECK(DiffTrees(src, work.path() / "out") == "");

  // Every file read again, every chunk asked about: none is missing.
  RemoteBackupTarget again(*state);
  again.ask_batch_chunks = 3;
  auto source2 = DirectorySource::Open(src);
  REQUIRE(source2.ok());
  request.use_files_cache = false;
  auto second = RunBackup(again, **source2, request);
  REQUIRE(second.ok());
  CHECK(again.counters().chunks_offered > 0);
  CHECK(again.counters().chunks_uploaded == 0);
  CHECK(second->snapshot_id != first->snapshot_id);
}

TEST_CASE("Agent: a token of another appliance's CA is refused before anything is sent",
          "[integration][agent]") {
  InProcessAppliance app;
  InProcessAppliance other;
  TempDir work;
  EnrollRequest enroll;
  enroll.appliance_url = app.Url();
  enroll.token = other.Token("edge");  // pins the other appliance's CA
  enroll.state_dir = work.path() / "agent";
  auto state = Enroll(enroll);
  REQUIRE_FALSE(state.ok());
  CHECK(state.error().IsPermissionDenied());
  CHECK(state.error().message().find("does not present the CA this token pins") !=
        std::string::npos);
  CHECK(app.services().metrics.enrollments.load() == 0);
}

TEST_CASE(
    "Agent: after the appliance quarantined a chunk of unchanged files, the next backup sends "
    "it again (its second attempt reads those files) and the store is sound",
    "[integration][agent]") {
  InProcessAppliance app;
  TempDir work;
  auto state = EnrollAgent(app, work, "edge");
  REQUIRE(state.ok());
  const auto src = work.path() / "src";
  MakeSampleTree(src, 12);
  BackupRequest request;
  request.name = "vol";
  request.threads = 2;
  auto first = RunAgentBackup(*state, src.string(), request);
  REQUIRE(first.ok());

  // Verify on the appliance finds a damaged chunk of a file, quarantines it,
  // and the ingest forgets it (as the verify job does).
  Store& store = app.services().store.store();
  auto manifest = store.ReadManifest("vol", first->backup.snapshot_id);
  REQUIRE(manifest.ok());
  std::optional<ChunkId> damaged;
  for (const TreeEntry& e : manifest->entries) {
    if (e.type == EntryType::kFile && !e.content.empty()) damaged = e.content[0].id;
  }
  REQUIRE(damaged);
  {
    std::fstream f(store.ChunkPath(*damaged), std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(f);
    f.seekp(60);
    f.put('\x5a');
    f.seekp(61);
    f.put('\xa5');
  }
  ScrubOptions scrub;
  scrub.threads = 2;
  auto found = RunScrub(store, app.services().store.CatalogAccess(), scrub);
  REQUIRE(found.ok());
  REQUIRE(found->unhealed() == 1);
  app.services().ingest.Forget(*damaged);

  // Nothing changed in the source, so the files cache would reuse the chunk
  // list naming it; the commit lists it missing, the second attempt reads
  // the files that use it again and sends it.
  auto second = RunAgentBackup(*state, src.string(), request);
  REQUIRE(second.ok());
  CHECK(second->attempts == 2);
  CHECK(second->chunks_uploaded >= 1);
  auto sound = RunScrub(store, app.services().store.CatalogAccess(), scrub);
  REQUIRE(sound.ok());
  CHECK(sound->sound());
}

}  // namespace
}  // namespace cairn
