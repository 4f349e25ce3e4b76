// Fuzz target: the appliance's TOML configuration
// (appliance/config/appliance_config.h, toml++ underneath). A bad file must
// be refused with "<file>:<line>: <key>: ..." -- never crash the daemon at
// start or throw past ParseApplianceConfig.
// Oracles: refusals are InvalidArgument; an accepted config's paths are
// absolute and lexically normal (the header's promise), its listeners are
// IP literals, its limits are within the documented ranges, and its
// maintenance schedules are empty or cron expressions that fire.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>

#include "appliance/config/appliance_config.h"
#include "core/schedule/cron_expression.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

bool IsIpLiteral(const std::string& address) {
  unsigned char buf[16];
  return inet_pton(AF_INET, address.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, address.c_str(), buf) == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  auto config = ParseApplianceConfig(fuzz::AsText(data, size), "/etc/cairn", "appliance.toml");
  fuzz::Debug("appliance config", config.status());
  if (!config.ok()) {
    CAIRN_FUZZ_CHECK(config.error().IsInvalidArgument(), config.error().ToString());
    return 0;
  }
  for (const std::filesystem::path* p :
       {&config->state_dir, &config->store_dir, &config->key_file, &config->pki_dir}) {
    CAIRN_FUZZ_CHECK(p->is_absolute() && *p == p->lexically_normal(),
                     "path not absolute and normal: " + p->string());
  }
  CAIRN_FUZZ_CHECK(IsIpLiteral(config->ingest.address) && IsIpLiteral(config->admin.address),
                   "a listener address that is not an IP literal");
  CAIRN_FUZZ_CHECK(config->max_chunk_batch_bytes >= (9u << 20), "chunk batch bound under 9 MiB");
  CAIRN_FUZZ_CHECK(config->idle_timeout.count() > 0, "idle_timeout not positive");
  CAIRN_FUZZ_CHECK(config->worker_threads >= 0 && config->worker_threads <= 256,
                   "worker_threads out of range");
  for (const std::string* cron :
       {&config->maintenance.prune, &config->maintenance.gc, &config->maintenance.verify}) {
    if (cron->empty()) continue;
    auto parsed = CronExpression::Parse(*cron);
    CAIRN_FUZZ_CHECK(parsed.ok() && parsed->Next(1767225600).ok(),
                     "accepted maintenance cron does not fire: " + *cron);
  }
  return 0;
}
