// The "verify" job: RunScrub (core/scrub/scrub.h) on the appliance's store --
// proves the chunks, quarantines the damaged ones and, unless "heal" is
// false, heals them from the replication targets (S3, appliances,
// directories: sync/engine/replica_chunk_source.h). Options:
// {"unverified_days": N (0 = every chunk), "heal": bool (default true)}.
// Permission restore: operators may verify -- it only ever replaces damaged
// chunk files with copies proven to be the same chunks.
//
// Catalog use is serialized with the request handlers (CatalogAccess); a
// quarantined chunk is forgotten by the ingest, so the next upload of the
// same content stores it again.
#include "appliance/daemon/maintenance_jobs.h"
#include "appliance/daemon/services.h"
#include "core/base/log.h"
#include "core/scrub/scrub.h"
#include "sync/engine/replica_chunk_source.h"

namespace cairn {
namespace {

// At most ten years: a larger figure means "everything", which 0 says.
constexpr int kMaxUnverifiedDays = 3650;

}  // namespace

JobKind VerifyJobKind() {
  JobKind kind;
  kind.permission = Permission::kRestore;
  kind.description = "prove every chunk, quarantine damage, heal it from the replicas";
  kind.make = [](const nlohmann::json& options, ApplianceServices& s) -> Result<JobFunction> {
    ScrubOptions scrub;
    bool heal = true;
    for (const auto& [key, value] : options.items()) {
      if (key == "unverified_days" && value.is_number_integer() && value.get<std::int64_t>() >= 0 &&
          value.get<std::int64_t>() <= kMaxUnverifiedDays) {
        scrub.unverified_days = value.get<int>();
      } else if (key == "heal" && value.is_boolean()) {
        heal = value.get<bool>();
      } else {
        return Status::InvalidArgument(
            "verify option \"" + key.substr(0, 40) +
            "\" is unknown or has the wrong type (known: unverified_days integer 0.." +
            std::to_string(kMaxUnverifiedDays) + ", heal boolean)");
      }
    }
    scrub.clock = &s.clock;
    scrub.on_quarantined = [&s](const ChunkId& id) { s.ingest.Forget(id); };
    return JobFunction([&s, scrub, heal](JobContext& job) -> Result<nlohmann::json> {
      std::unique_ptr<ReplicaChunkSource> replicas;
      if (heal) {
        // Its own connection to the catalog file, as the replication engine's.
        auto opened = ReplicaChunkSource::FromCatalog(s.store.store().dir() / "catalog.db");
        if (!opened.ok()) return opened.error().WithContext("verify: list the replication targets");
        replicas = std::move(*opened);
      }
      CAIRN_ASSIGN_OR_RETURN(ScrubReport report,
                             RunScrub(s.store.store(), s.store.CatalogAccess(), scrub,
                                      replicas.get(), &job.progress, &job.cancel));
      Log(report.sound() ? LogLevel::kInfo : LogLevel::kWarn, "verify.done",
          {{"chunks", std::to_string(report.chunks_checked)},
           {"damaged", std::to_string(report.damaged.size())},
           {"healed", std::to_string(report.healed)},
           {"unhealed", std::to_string(report.unhealed())},
           {"damaged_manifests", std::to_string(report.damaged_manifests.size())}});
      nlohmann::json out = ScrubReportToJson(report);
      out["heal"] = heal;
      out["heal_sources"] = replicas ? replicas->size() : 0;
      return out;
    });
  };
  return kind;
}

}  // namespace cairn
