#include "core/crypto/key_derivation.h"

#include <string_view>

#include "core/crypto/openssl_util.h"

namespace cairn {
namespace {

void Derive(const MasterKey& master, ByteSpan store_id, std::string_view info,
            MutableByteSpan out) {
  Status s = crypto_internal::HkdfSha256(master.span(), store_id, AsBytes(info), out);
  if (!s.ok()) crypto_internal::DieOnOpenSslFailure("derive store keys: " + s.message());
}

}  // namespace

DerivedKeys::~DerivedKeys() {
  Cleanse({reinterpret_cast<std::uint8_t*>(gear_table.data()), sizeof gear_table});
  Cleanse(config_mac_key);
}

DerivedKeys DeriveKeys(const MasterKey& master, ByteSpan store_id) {
  DerivedKeys keys;
  Derive(master, store_id, kHkdfInfoData, keys.data.bytes);
  Derive(master, store_id, kHkdfInfoId, keys.id.bytes);
  Derive(master, store_id, kHkdfInfoConfigMac, keys.config_mac_key);

  std::array<std::uint8_t, 256 * 8> gear_bytes;
  Derive(master, store_id, kHkdfInfoGear, gear_bytes);
  for (std::size_t i = 0; i < keys.gear_table.size(); ++i) {
    keys.gear_table[i] = GetU64(gear_bytes.data() + 8 * i);
  }
  Cleanse(gear_bytes);
  return keys;
}

}  // namespace cairn
