// Fuzz target: replication target specs (sync/target/target_spec.h), the
// JSON an operator POSTs to /v1/targets and the catalog keeps, with the
// window and byte-rate parsers inside it.
//
// Input: JSON. When it is an object, TargetSpec::FromJson; when it is a
// string, ParseTimeWindow and ParseByteRate as well.
// Oracles: refusals are InvalidArgument; an accepted spec validates and
// survives ToJson -> FromJson unchanged; a parsed window prints back to
// text that parses to the same window.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "sync/target/target_spec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  const nlohmann::json j = nlohmann::json::parse(fuzz::AsText(data, size), nullptr, false);
  if (j.is_discarded()) return 0;
  if (j.is_string()) {
    const std::string text = j.get<std::string>();
    auto w = ParseTimeWindow(text);
    fuzz::Debug("time window", w.status());
    if (w.ok()) {
      auto again = ParseTimeWindow(w->ToString());
      CAIRN_FUZZ_CHECK(again.ok() && *again == *w, "window '" + text + "' does not round-trip");
    }
    fuzz::Debug("byte rate", ParseByteRate(text).status());
    return 0;
  }
  auto spec = TargetSpec::FromJson(j);
  fuzz::Debug("target spec", spec.status());
  if (!spec.ok()) {
    CAIRN_FUZZ_CHECK(spec.error().IsInvalidArgument(), spec.error().ToString());
    return 0;
  }
  CAIRN_FUZZ_CHECK(spec->Validate().ok(), "accepted spec does not validate");
  auto again = TargetSpec::FromJson(spec->ToJson());
  CAIRN_FUZZ_CHECK(again.ok(), "spec does not survive its JSON: " + again.error().ToString());
  CAIRN_FUZZ_CHECK(*again == *spec, "spec changes in its JSON round trip");
  return 0;
}
