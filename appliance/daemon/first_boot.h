// First boot: `cairn-appliance init --config FILE` creates everything an
// appliance needs -- the store and its key file, the appliance CA, the
// listeners' server certificate and a first admin API token -- and refuses
// (AlreadyExists, naming what exists) when any of it is already there, so
// running it twice can never replace keys or orphan a store.
//
// With adopt_store (`init --adopt-store`), a store already at store_dir --
// one re-seeded from a replica (`cairnctl replica reseed`) -- is taken as
// the appliance's own instead of refused, once its key file (key_file) has
// proved to open it; the CA, certificate and admin token are made around
// it. Without a store there, adopt_store changes nothing.
#pragma once

#include <string>

#include "appliance/config/appliance_config.h"
#include "core/base/status.h"

namespace cairn {

struct FirstBootReport {
  std::string admin_token;     // shown once; only its hash is kept
  std::string ca_sha256_hex;   // the enrollment pin, for operators to check
  std::string store_id;
  bool adopted_store = false;  // the store was there already (adopt_store)
};

struct FirstBootOptions {
  bool adopt_store = false;
};

Result<FirstBootReport> InitAppliance(const ApplianceConfig& config,
                                      const FirstBootOptions& options = {});

}  // namespace cairn
