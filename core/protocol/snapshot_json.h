// A snapshot's catalog record as JSON: the object of every snapshot listing
// (`cairnctl snapshots --json`, GET /v1/snapshots on both APIs). Documented in
// docs/api.md, "Snapshot object". Unknown keys are ignored when reading, so
// newer appliances can add fields.
#pragma once

#include <nlohmann/json.hpp>

#include "core/catalog/catalog.h"

namespace cairn {

nlohmann::json SnapshotRecordToJson(const SnapshotRecord& s);
Result<SnapshotRecord> SnapshotRecordFromJson(const nlohmann::json& j);

}  // namespace cairn
