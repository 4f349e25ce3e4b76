// cairnctl catalog rebuild: recreates the catalog (an index) from the store's
// own files when catalog.db is lost or damaged. The old file is kept aside.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/engine/catalog_rebuild.h"

namespace cairn::ctl {

void RegisterCatalogCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* catalog = app.add_subcommand("catalog", "the store's index");
  catalog->require_subcommand(1);
  CLI::App* rebuild = catalog->add_subcommand(
      "rebuild", "recreate the catalog from the store's manifests and chunks");
  auto flags = std::make_shared<StoreFlags>();
  AddStoreFlags(rebuild, *flags, env);
  rebuild->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto store = OpenStore(*flags, env, /*fresh_catalog=*/true);
      if (!store.ok()) return Fail(store.error());
      for (const std::string& w : (*store)->open_warnings()) std::printf("warning: %s\n", w.c_str());
      auto report = RebuildCatalog(**store);
      if (!report.ok()) return Fail(report.error().WithContext("catalog rebuild failed"));
      for (const std::string& m : report->unreadable_manifests) {
        std::printf("UNREADABLE snapshot manifest %s\n", m.c_str());
      }
      for (const std::string& c : report->missing_chunks) std::printf("MISSING chunk %s\n", c.c_str());
      std::printf("catalog rebuilt: %llu snapshots, %llu chunks (the old catalog, if any, was "
                  "kept as catalog.db.old-*)\n",
                  static_cast<unsigned long long>(report->snapshots),
                  static_cast<unsigned long long>(report->chunks));
      if (!report->unreadable_manifests.empty() || !report->missing_chunks.empty()) {
        std::printf("the store has damage: run 'cairnctl verify' for the files it affects\n");
        return 1;
      }
      return 0;
    };
  });
}

}  // namespace cairn::ctl
