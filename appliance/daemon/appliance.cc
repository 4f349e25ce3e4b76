#include "appliance/daemon/appliance.h"

#include <unistd.h>

#include <chrono>
#include <thread>

#include "appliance/daemon/admin_api.h"
#include "appliance/daemon/appliance_core.h"
#include "appliance/daemon/ingest_api.h"
#include "appliance/daemon/maintenance_scheduler.h"
#include "appliance/daemon/pki_files.h"
#include "appliance/server/http_server.h"
#include "core/base/file_system.h"
#include "core/base/log.h"

namespace cairn {

struct Appliance::Impl {
  ApplianceConfig config;
  PkiMaterial pki;
  std::unique_ptr<ApplianceCore> core;
};

Appliance::Appliance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Appliance::~Appliance() = default;

namespace {

// A damaged catalog.db: refuse to start (nothing is written through it), and
// give the exact command for this appliance's store.
Status CatalogDamaged(const ApplianceConfig& config, const Status& error) {
  return Status::Corruption(
      error.message() + "\nThe appliance did not start; the store's data is not touched. To "
      "recover: `cairnctl catalog rebuild --store " + config.store_dir.string() +
      " --key-file " + config.key_file.string() + "` as the appliance's user, then start it again.");
}

}  // namespace

Result<std::unique_ptr<Appliance>> Appliance::Open(const ApplianceConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  KeySource key;
  key.key_file = config.key_file;
  auto store = Store::Open(DefaultFileSystem(), config.store_dir, key);
  if (!store.ok() && store.error().IsCorruption()) return CatalogDamaged(config, store.error());
  if (!store.ok()) {
    return store.error().WithContext("open the store (was `cairn-appliance init` run with this config?)");
  }
  // Store::Open reads the catalog's header and schema only; a damaged page
  // would otherwise surface in the middle of some agent's commit.
  const auto check_started = std::chrono::steady_clock::now();
  Status sound = (*store)->catalog().CheckIntegrity();
  if (!sound.ok()) {
    return sound.IsCorruption() ? CatalogDamaged(config, sound)
                                : sound.WithContext("check the catalog");
  }
  Log(LogLevel::kInfo, "catalog.checked",
      {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - check_started)
                  .count()}});
  CAIRN_ASSIGN_OR_RETURN(impl->pki, ReadPki(config.pki_dir));
  CAIRN_ASSIGN_OR_RETURN(auto ca, pki::CertificateAuthority::Load(impl->pki.ca_cert_pem,
                                                                   impl->pki.ca_key_pem));
  CAIRN_ASSIGN_OR_RETURN(impl->core,
                         ApplianceCore::Create(impl->config, std::move(*store), std::move(ca)));
  return std::unique_ptr<Appliance>(new Appliance(std::move(impl)));
}

namespace {

nlohmann::json StatsJson(const ListenerStats& s) {
  return {{"connections_total", s.connections_total.load()},
          {"connections_active", s.connections_active.load()},
          {"connections_refused", s.connections_refused.load()},
          {"requests_total", s.requests_total.load()},
          {"responses_4xx", s.responses_4xx.load()},
          {"responses_5xx", s.responses_5xx.load()},
          {"bytes_received", s.bytes_received.load()},
          {"bytes_sent", s.bytes_sent.load()},
          {"tls_handshake_failures", s.tls_handshake_failures.load()}};
}

ListenerOptions ListenerFor(const ApplianceConfig& c, const ListenerConfig& l, std::string name,
                            const PkiMaterial& pki) {
  ListenerOptions o;
  o.name = std::move(name);
  o.address = l.address;
  o.port = l.port;
  o.cert_chain_pem = pki.server_chain_pem;
  o.key_pem = pki.server_key_pem;
  o.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(c.idle_timeout);
  o.max_connections = c.max_connections;
  return o;
}

}  // namespace

Status Appliance::Run(const RunOptions& options) {
  Impl& m = *impl_;
  const ApplianceConfig& c = m.config;
  // Twice the cores by default: handlers block on disk (chunk files, fsync,
  // SQLite) as much as they compute, and a blocked worker must not leave a
  // core idle while uploads queue.
  const int workers_n =
      c.worker_threads > 0 ? c.worker_threads
                           : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  asio::io_context io(1);
  asio::thread_pool workers(static_cast<std::size_t>(workers_n));

  ApplianceServices& services = m.core->services();
  CAIRN_ASSIGN_OR_RETURN(auto maintenance_plans, MaintenancePlans(c.maintenance));
  MaintenanceScheduler maintenance(services, std::move(maintenance_plans));
  Router ingest_router, admin_router;
  AddIngestRoutes(ingest_router, services);
  AddAdminRoutes(admin_router, services);

  ListenerOptions ingest_opts = ListenerFor(c, c.ingest, "ingest", m.pki);
  ingest_opts.client_ca_pem = m.pki.ca_cert_pem;
  // Optional, not required, at the TLS layer: enrollment happens before the
  // agent has a certificate. Every other ingest route requires one (and one
  // from an enrolled, non-revoked agent) -- see ingest_api.h. A certificate
  // from another CA still fails the handshake.
  ingest_opts.client_auth = ClientAuth::kOptional;
  HttpServer ingest(io, workers, ingest_router, ingest_opts);
  HttpServer admin(io, workers, admin_router, ListenerFor(c, c.admin, "admin", m.pki));
  services.listener_stats = [&ingest, &admin] {
    return nlohmann::json{{"ingest", StatsJson(ingest.stats())},
                          {"admin", StatsJson(admin.stats())}};
  };

  auto ingest_port = ingest.Start();
  if (!ingest_port.ok()) return ingest_port.error().WithContext("ingest listener");
  auto admin_port = admin.Start();
  if (!admin_port.ok()) {
    ingest.Stop(std::chrono::milliseconds(0));
    return admin_port.error().WithContext("admin listener");
  }
  Log(LogLevel::kInfo, "appliance.listening",
      {{"ingest", c.ingest.address + ":" + std::to_string(*ingest_port)},
       {"admin", c.admin.address + ":" + std::to_string(*admin_port)},
       {"workers", workers_n}, {"store", c.store_dir.string()}});
  if (options.ready_file) {
    const std::string ready = nlohmann::json{{"ingest_port", *ingest_port},
                                             {"admin_port", *admin_port},
                                             {"pid", static_cast<int>(::getpid())}}
                                  .dump();
    CAIRN_RETURN_IF_ERROR(WriteFileAtomically(DefaultFileSystem(), *options.ready_file, AsBytes(ready)));
  }

  // Replication workers start once the listeners are up (a synchronous
  // target's pairing peer may be this very appliance in tests).
  if (services.replication) {
    if (Status st = services.replication->Start(); !st.ok()) {
      Log(LogLevel::kError, "replication.start_failed", {{"error", st.ToString()}});
    }
  }
  // Maintenance on the [maintenance] schedules, once the admin API can show
  // what it starts.
  services.maintenance = &maintenance;
  maintenance.Start();

  // Stop() blocks until connections drain, so it runs on its own thread
  // while the I/O thread keeps serving the requests in flight.
  std::thread stopper;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    Log(LogLevel::kInfo, "appliance.stopping", {{"signal", signo}});
    stopper = std::thread([&] {
      // No scheduled job starts during the shutdown; one running is
      // cancelled with the job runner (ApplianceCore).
      maintenance.Stop();
      // Replication before the listeners: an upload cut here resumes after
      // the restart without resending what arrived.
      if (services.replication) services.replication->Stop();
      ingest.Stop(std::chrono::seconds(30));
      admin.Stop(std::chrono::seconds(5));
      io.stop();
    });
  });
  io.run();
  if (stopper.joinable()) stopper.join();
  workers.join();
  services.maintenance = nullptr;  // no handler runs any more
  // Chunks received for snapshots that were never committed: durable now, so
  // a resumed upload after the restart need not send them again.
  Status committed = services.store.store().CommitChunks();
  if (!committed.ok()) Log(LogLevel::kWarn, "appliance.commit_on_stop", {{"error", committed.ToString()}});
  Log(LogLevel::kInfo, "appliance.stopped");
  return Status::Ok();
}

}  // namespace cairn
