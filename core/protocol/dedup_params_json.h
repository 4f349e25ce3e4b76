// DedupParams as JSON: what the appliance hands an agent at enrollment (and
// again on GET /v1/session), and what the agent keeps in its state directory
// (mode 0600: it holds the id key). Format in docs/protocol.md, "Dedup
// parameters". Parsing validates everything (chunker bounds, key sizes).
#pragma once

#include <nlohmann/json.hpp>

#include "core/engine/backup_target.h"

namespace cairn {

nlohmann::json DedupParamsToJson(const DedupParams& params);
Result<DedupParams> DedupParamsFromJson(const nlohmann::json& j);

}  // namespace cairn
