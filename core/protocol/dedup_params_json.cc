#include "core/protocol/dedup_params_json.h"

#include "core/base/bytes.h"
#include "core/tree/json_integer.h"
#include "core/tree/tree_entry.h"

namespace cairn {

nlohmann::json DedupParamsToJson(const DedupParams& p) {
  Bytes gear(p.gear_table.size() * 8);
  for (std::size_t i = 0; i < p.gear_table.size(); ++i) {
    PutU64(gear.data() + 8 * i, p.gear_table[i]);
  }
  return {{"chunker",
           {{"min_size", p.chunker.min_size},
            {"avg_size", p.chunker.avg_size},
            {"max_size", p.chunker.max_size}}},
          {"pack_below", p.pack_below},
          {"zstd_level", p.zstd_level},
          {"id_key", Base64Encode(p.id_key.bytes)},
          {"gear_table", Base64Encode(gear)}};
}

Result<DedupParams> DedupParamsFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("dedup parameters: " + what);
  };
  if (!j.is_object()) return bad("not a JSON object");
  DedupParams p;
  try {
    const auto& c = j.at("chunker");
    p.chunker.min_size = JsonInteger<std::uint32_t>(c.at("min_size"));
    p.chunker.avg_size = JsonInteger<std::uint32_t>(c.at("avg_size"));
    p.chunker.max_size = JsonInteger<std::uint32_t>(c.at("max_size"));
    p.pack_below = JsonInteger<std::uint32_t>(j.at("pack_below"));
    p.zstd_level = JsonInteger<int>(j.at("zstd_level"));
    auto key = Base64Decode(j.at("id_key").get<std::string>());
    if (!key || key->size() != SecretKey::kSize) return bad("id_key is not 32 bytes of base64");
    p.id_key = KeyFromBytes<IdKey>(*key);
    auto gear = Base64Decode(j.at("gear_table").get<std::string>());
    if (!gear) return bad("gear_table is not base64");
    auto table = GearTableFromBytes(*gear);
    if (!table.ok()) return bad(table.error().message());
    p.gear_table = *table;
  } catch (const nlohmann::json::exception& e) {
    // nlohmann reports missing keys and wrong types by throwing; this is the
    // one place they become a Status.
    return bad(std::string("malformed: ") + e.what());
  }
  CAIRN_RETURN_IF_ERROR(p.chunker.Validate().WithContext("dedup parameters"));
  if (p.pack_below > p.chunker.max_size) return bad("pack_below is over the largest chunk");
  if (p.zstd_level < 1 || p.zstd_level > 19) return bad("zstd_level must be 1..19");
  return p;
}

}  // namespace cairn
