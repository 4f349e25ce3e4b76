// cairn-appliance: `init` (first boot) and `run` (the daemon). main only
// wires flags to the daemon library.
#include <malloc.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "appliance/config/appliance_config.h"
#include "appliance/daemon/appliance.h"
#include "appliance/daemon/first_boot.h"
#include "core/base/log.h"

namespace {

int Fail(const cairn::Status& s) {
  std::fprintf(stderr, "cairn-appliance: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a client that goes away is an error result, not a signal
  // Chunk buffers and request bodies (64 KiB - 32 MiB) come and go by the
  // thousand; above glibc's 128 KiB default each would be a fresh mmap, page
  // faults and a kernel memset every time. Serve them from the heap instead
  // (as cairnctl does).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"cairn-appliance: the Cairn backup appliance daemon"};
  app.require_subcommand(1);
  std::string config_path = "/etc/cairn/appliance.toml";
  std::string ready_file;
  int exit_code = 0;

  auto* init = app.add_subcommand("init", "first boot: create store, keys, CA, certificates and an admin token");
  init->add_option("--config", config_path, "appliance configuration file")->capture_default_str();
  cairn::FirstBootOptions init_options;
  init->add_flag("--adopt-store", init_options.adopt_store,
                 "take the store already at store_dir (re-seeded from a replica) once key_file opens it");
  init->callback([&] {
    auto config = cairn::LoadApplianceConfig(config_path);
    if (!config.ok()) {
      exit_code = Fail(config.error());
      return;
    }
    auto report = cairn::InitAppliance(*config, init_options);
    if (!report.ok()) {
      exit_code = Fail(report.error());
      return;
    }
    std::printf("appliance initialised (store %s%s)\n", report->store_id.c_str(),
                report->adopted_store ? ", adopted" : "");
    std::printf("CA fingerprint (sha256): %s\n", report->ca_sha256_hex.c_str());
    std::printf("admin API token (shown once, keep it safe):\n%s\n", report->admin_token.c_str());
    std::printf("next: export the recovery kit with `cairnctl key export --store %s --key-file %s`\n",
                config->store_dir.c_str(), config->key_file.c_str());
  });

  auto* run = app.add_subcommand("run", "serve the ingest and admin APIs until SIGTERM");
  run->add_option("--config", config_path, "appliance configuration file")->capture_default_str();
  run->add_option("--ready-file", ready_file, "write the bound ports here once listening");
  run->callback([&] {
    auto config = cairn::LoadApplianceConfig(config_path);
    if (!config.ok()) {
      exit_code = Fail(config.error());
      return;
    }
    for (auto level : {cairn::LogLevel::kDebug, cairn::LogLevel::kInfo, cairn::LogLevel::kWarn,
                       cairn::LogLevel::kError}) {
      if (cairn::LogLevelName(level) == config->log_level) cairn::SetMinLogLevel(level);
    }
    auto appliance = cairn::Appliance::Open(*config);
    if (!appliance.ok()) {
      exit_code = Fail(appliance.error());
      return;
    }
    cairn::RunOptions options;
    if (!ready_file.empty()) options.ready_file = ready_file;
    cairn::Status s = (*appliance)->Run(options);
    if (!s.ok()) exit_code = Fail(s);
  });
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
