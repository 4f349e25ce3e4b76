#include "core/store/store_config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

namespace cairn {

using nlohmann::json;

namespace {

std::string ComputeMacHex(const DerivedKeys& keys, std::string_view text) {
  unsigned char out[32];
  size_t out_len = 0;
  // One-shot HMAC: the config is small and read once per open.
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, keys.config_mac_key.data(),
                keys.config_mac_key.size(), reinterpret_cast<const unsigned char*>(text.data()),
                text.size(), out, sizeof out, &out_len) == nullptr) {
    return {};
  }
  return ToHex(ByteSpan(out, out_len));
}

}  // namespace

std::string StoreConfig::ToJson(bool include_mac) const {
  json j{{"format", "cairn-store"},
         {"version", kFormatVersion},
         {"store_id", ToHex(store_id)},
         {"created_unix_ns", created_unix_ns},
         {"chunker",
          {{"algorithm", "fastcdc-gear-keyed"},
           {"min_size", chunker.min_size},
           {"avg_size", chunker.avg_size},
           {"max_size", chunker.max_size}}},
         {"compression", {{"codec", "zstd"}, {"level", zstd_level}}},
         {"pack_below", pack_below},
         {"key_slots", key_slots}};
  if (include_mac) j["config_mac"] = mac_hex;
  return j.dump(2) + "\n";
}

Result<StoreConfig> StoreConfig::Parse(ByteSpan text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("store config is not valid JSON");
  }
  try {
    if (j.value("format", "") != "cairn-store") {
      return Status::InvalidArgument("this is not a cairn store (config has no 'cairn-store' marker)");
    }
    int version = j.at("version").get<int>();
    if (version != kFormatVersion) {
      return Status::InvalidArgument("store format v" + std::to_string(version) +
                                     " is not supported by this cairn (knows v" +
                                     std::to_string(kFormatVersion) + "): upgrade cairn");
    }
    StoreConfig c;
    auto id = FromHex(j.at("store_id").get<std::string>());
    if (!id || id->size() != 16) return Status::Corruption("store config: store_id is not 16 hex bytes");
    c.store_id = std::move(*id);
    c.created_unix_ns = j.at("created_unix_ns").get<std::int64_t>();
    const json& ch = j.at("chunker");
    c.chunker.min_size = ch.at("min_size").get<std::uint32_t>();
    c.chunker.avg_size = ch.at("avg_size").get<std::uint32_t>();
    c.chunker.max_size = ch.at("max_size").get<std::uint32_t>();
    CAIRN_RETURN_IF_ERROR(c.chunker.Validate().WithContext("store config: chunker"));
    c.zstd_level = j.at("compression").at("level").get<int>();
    if (c.zstd_level < 1 || c.zstd_level > 19) {
      return Status::Corruption("store config: zstd level must be 1..19");
    }
    c.pack_below = j.at("pack_below").get<std::uint32_t>();
    if (c.pack_below > c.chunker.max_size) {
      return Status::Corruption("store config: pack_below exceeds the chunker's max size");
    }
    const json& slots = j.at("key_slots");
    if (!slots.is_array() || slots.empty() || slots.size() > 64) {
      return Status::Corruption("store config: key_slots must hold 1-64 slots");
    }
    for (const json& s : slots) c.key_slots.push_back(s.get<KeySlot>());
    c.mac_hex = j.value("config_mac", "");
    return c;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("store config is malformed: ") + e.what());
  }
}

void StoreConfig::Seal(const DerivedKeys& keys) { mac_hex = ComputeMacHex(keys, ToJson(false)); }

Status StoreConfig::CheckMac(const DerivedKeys& keys) const {
  std::string expected = ComputeMacHex(keys, ToJson(false));
  if (expected.empty() || !ConstantTimeEqual(AsBytes(expected), AsBytes(mac_hex))) {
    return Status::Corruption(
        "store config failed its integrity check: it was modified outside cairn. Restore "
        "the config file from a replica or backup copy of this store");
  }
  return Status::Ok();
}

}  // namespace cairn
