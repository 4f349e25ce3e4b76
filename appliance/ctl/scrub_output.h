// The words `cairnctl verify` prints for a scrub result (the JSON of
// core/scrub/scrub_report.h, local or from the appliance's verify job):
// each damaged chunk -- healed from where, or not and why -- with the
// snapshots and files it affects, then the figures and the verdict
// ("store is sound" / "store is DAMAGED: ...").
#pragma once

#include <nlohmann/json.hpp>

namespace cairn::ctl {

// Prints the result; returns the exit status (0 only when nothing stays
// damaged).
int PrintScrubResult(const nlohmann::json& result);

}  // namespace cairn::ctl
