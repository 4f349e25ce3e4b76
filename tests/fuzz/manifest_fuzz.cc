// Fuzz target: the snapshot manifest parser (core/store/manifest.h), which
// reads what an agent commits (POST /v1/snapshots), what a replica holds and
// what a store's sealed manifests decrypt to.
//
// Oracle beyond the sanitizers: a manifest that parses must survive its own
// round trip -- Serialize() parses back to the same entries and serializes to
// the same text -- or a catalog rebuild / replica read would refuse what the
// appliance itself wrote.
#include <cstddef>
#include <cstdint>

#include "core/store/manifest.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  Result<Manifest> parsed = Manifest::Parse(fuzz::AsSpan(data, size));
  fuzz::Debug("manifest", parsed.status());
  if (!parsed.ok()) return 0;
  const std::string text = parsed->Serialize();
  Result<Manifest> again = Manifest::Parse(AsBytes(text));
  CAIRN_FUZZ_CHECK(again.ok(), "serialized manifest does not parse: " + again.error().message());
  CAIRN_FUZZ_CHECK(again->entries == parsed->entries, "entries changed in the round trip");
  CAIRN_FUZZ_CHECK(again->snapshot_id == parsed->snapshot_id && again->name == parsed->name,
                   "header changed in the round trip");
  CAIRN_FUZZ_CHECK(again->Serialize() == text, "second serialization differs");
  return 0;
}
