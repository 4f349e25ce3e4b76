// The JSON form of a GcReport: what `cairnctl gc --json` prints and what the
// appliance's gc job returns (docs/gc.md explains each field).
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "core/gc/garbage_collector.h"

namespace cairn {

nlohmann::json GcReportToJson(const GcReport& r);

}  // namespace cairn
