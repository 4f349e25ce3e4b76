// First boot: `cairn-appliance init --config FILE` creates everything an
// appliance needs -- the store and its key file, the appliance CA, the
// listeners' server certificate and a first admin API token -- and refuses
// (AlreadyExists, naming what exists) when any of it is already there, so
// running it twice can never replace keys or orphan a store.
#pragma once

#include <string>

#include "appliance/config/appliance_config.h"
#include "core/base/status.h"

namespace cairn {

struct FirstBootReport {
  std::string admin_token;     // shown once; only its hash is kept
  std::string ca_sha256_hex;   // the enrollment pin, for operators to check
  std::string store_id;
};

Result<FirstBootReport> InitAppliance(const ApplianceConfig& config);

}  // namespace cairn
