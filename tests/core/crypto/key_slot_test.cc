#include "core/crypto/key_slot.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace cairn {
namespace {

constexpr ScryptParams kCheap{.n = 16, .r = 1, .p = 1};  // tests only

MasterKey NewMaster() {
  auto m = GenerateMasterKey();
  REQUIRE(m.ok());
  return *m;
}

KeyFileKey NewKek(std::uint8_t fill) {
  KeyFileKey k;
  k.bytes.fill(fill);
  return k;
}

const Bytes kStore(16, 0x5a);

TEST_CASE("KeySlot: a key-file slot unwraps to the master key with that key file", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(1);
  auto slot = WrapWithKeyFile(master, kek, kStore);
  REQUIRE(slot.ok());
  CHECK(slot->kind == "keyfile");
  CHECK(slot->id == KeyFileSlotId(kek));
  CHECK(slot->id.size() == 16);
  CHECK(slot->salt.empty());
  CHECK(slot->created.size() == 20);  // 2026-11-23T21:26:15Z

  auto back = UnwrapKeySlot(*slot, &kek, std::nullopt, kStore);
  REQUIRE(back.ok());
  CHECK(*back == master);
}

TEST_CASE("KeySlot: the wrong key file is PermissionDenied saying what to do", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(1);
  KeyFileKey other = NewKek(2);
  auto slot = WrapWithKeyFile(master, kek, kStore);
  REQUIRE(slot.ok());
  auto r = UnwrapKeySlot(*slot, &other, std::nullopt, kStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Status::Code::kPermissionDenied);
  CHECK(r.error().message().rfind("wrong key file or passphrase for this store", 0) == 0);
  CHECK(r.error().message().find("recovery kit") != std::string::npos);

  // Same id but a different key (a forged id): the tag catches it.
  KeySlot forged = *slot;
  forged.id = KeyFileSlotId(other);
  r = UnwrapKeySlot(forged, &other, std::nullopt, kStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Status::Code::kPermissionDenied);
}

TEST_CASE("KeySlot: a passphrase slot unwraps only with that passphrase", "[unit]") {
  MasterKey master = NewMaster();
  auto slot = WrapWithPassphrase(master, "correct horse battery staple", kStore, kCheap);
  REQUIRE(slot.ok());
  CHECK(slot->kind == "passphrase");
  CHECK(slot->salt.size() == 16);
  CHECK(slot->scrypt_n == 16);

  auto back = UnwrapKeySlot(*slot, nullptr, "correct horse battery staple", kStore);
  REQUIRE(back.ok());
  CHECK(*back == master);

  for (std::string_view wrong : {"correct horse battery stapl", "Correct horse battery staple",
                                 "correct horse battery staple ", ""}) {
    auto r = UnwrapKeySlot(*slot, nullptr, wrong, kStore);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == Status::Code::kPermissionDenied);
    CHECK(r.error().message().find("passphrase (case and spaces count)") != std::string::npos);
  }
}

TEST_CASE("KeySlot: two wraps of one key share no salt, nonce, label or ciphertext", "[unit]") {
  MasterKey master = NewMaster();
  auto a = WrapWithPassphrase(master, "pw", kStore, kCheap);
  auto b = WrapWithPassphrase(master, "pw", kStore, kCheap);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->salt != b->salt);
  CHECK(a->nonce != b->nonce);
  CHECK(a->id != b->id);
  CHECK(a->wrapped != b->wrapped);
}

TEST_CASE("KeySlot: the default scrypt parameters wrap and unwrap", "[unit]") {
  MasterKey master = NewMaster();
  auto slot = WrapWithPassphrase(master, "pw", kStore);
  REQUIRE(slot.ok());
  CHECK(slot->scrypt_n == 32768);
  CHECK(slot->scrypt_r == 8);
  CHECK(slot->scrypt_p == 1);
  auto back = UnwrapKeySlot(*slot, nullptr, "pw", kStore);
  REQUIRE(back.ok());
  CHECK(*back == master);
}

TEST_CASE("KeySlot: a slot does not open for another store id or as the other kind", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(3);
  auto slot = WrapWithKeyFile(master, kek, kStore);
  REQUIRE(slot.ok());
  auto r = UnwrapKeySlot(*slot, &kek, std::nullopt, Bytes(16, 0x5b));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Status::Code::kPermissionDenied);

  // Relabel a passphrase slot as... the same ciphertext under the other
  // kind's AAD never verifies.
  auto pslot = WrapWithPassphrase(master, "pw", kStore, kCheap);
  REQUIRE(pslot.ok());
  KeySlot relabelled = *pslot;
  relabelled.kind = "keyfile";
  relabelled.salt.clear();
  relabelled.scrypt_n = relabelled.scrypt_r = relabelled.scrypt_p = 0;
  relabelled.id = KeyFileSlotId(kek);
  r = UnwrapKeySlot(relabelled, &kek, std::nullopt, kStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Status::Code::kPermissionDenied);
}

TEST_CASE("KeySlot: unwrapping without the needed secret is InvalidArgument", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(4);
  auto kslot = WrapWithKeyFile(master, kek, kStore);
  auto pslot = WrapWithPassphrase(master, "pw", kStore, kCheap);
  REQUIRE(kslot.ok());
  REQUIRE(pslot.ok());
  auto r = UnwrapKeySlot(*kslot, nullptr, "pw", kStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  CHECK(r.error().message().find("key file") != std::string::npos);
  r = UnwrapKeySlot(*pslot, &kek, std::nullopt, kStore);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  CHECK(r.error().message().find("passphrase") != std::string::npos);
}

TEST_CASE("KeySlot: empty passphrases and out-of-range scrypt costs are refused", "[unit]") {
  MasterKey master = NewMaster();
  CHECK(WrapWithPassphrase(master, "", kStore, kCheap).error().IsInvalidArgument());
  for (ScryptParams p :
       {ScryptParams{.n = 1000, .r = 8, .p = 1}, ScryptParams{.n = 1, .r = 8, .p = 1},
        ScryptParams{.n = std::uint64_t{1} << 23, .r = 1, .p = 1},
        ScryptParams{.n = std::uint64_t{1} << 20, .r = 16, .p = 1},
        ScryptParams{.n = 16, .r = 0, .p = 1}, ScryptParams{.n = 16, .r = 1, .p = 17}}) {
    INFO(p.n << " " << p.r << " " << p.p);
    auto r = WrapWithPassphrase(master, "pw", kStore, p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
  }
}

TEST_CASE("KeySlot: JSON round trip keeps every field and still unwraps", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(5);
  for (bool passphrase : {false, true}) {
    auto slot = passphrase ? WrapWithPassphrase(master, "pw", kStore, kCheap)
                           : WrapWithKeyFile(master, kek, kStore);
    REQUIRE(slot.ok());
    nlohmann::json j = *slot;  // to_json
    std::string text = j.dump();
    KeySlot back = nlohmann::json::parse(text).get<KeySlot>();  // from_json
    CHECK(back.kind == slot->kind);
    CHECK(back.id == slot->id);
    CHECK(back.scrypt_n == slot->scrypt_n);
    CHECK(back.scrypt_r == slot->scrypt_r);
    CHECK(back.scrypt_p == slot->scrypt_p);
    CHECK(back.salt == slot->salt);
    CHECK(back.nonce == slot->nonce);
    CHECK(back.wrapped == slot->wrapped);
    CHECK(back.created == slot->created);
    auto m =
        UnwrapKeySlot(back, passphrase ? nullptr : &kek,
                      passphrase ? std::optional<std::string_view>("pw") : std::nullopt, kStore);
    REQUIRE(m.ok());
    CHECK(*m == master);
  }
}

TEST_CASE("KeySlot: hostile or damaged JSON is Corruption naming the field", "[unit]") {
  MasterKey master = NewMaster();
  auto slot = WrapWithPassphrase(master, "pw", kStore, kCheap);
  REQUIRE(slot.ok());
  const nlohmann::json good = KeySlotToJson(*slot);
  REQUIRE(KeySlotFromJson(good).ok());

  struct Case {
    const char* field;
    nlohmann::json value;  // null = remove the field
  };
  const Case cases[] = {
      {"kind", "tpm"},
      {"kind", nullptr},
      {"id", ""},
      {"id", std::string(65, 'a')},
      {"nonce", "00"},
      {"nonce", "zz"},
      {"wrapped", ToHex(Bytes(47, 1))},
      {"salt", ToHex(Bytes(15, 1))},
      {"salt", nullptr},
      {"scrypt_n", std::uint64_t{1} << 40},  // hours and terabytes: refused
      {"scrypt_n", 1000},
      {"scrypt_n", -16},
      {"scrypt_n", "16"},
      {"scrypt_r", 64},
      {"scrypt_p", 0},
      {"created", 7},
  };
  for (const Case& c : cases) {
    nlohmann::json j = good;
    if (c.value.is_null()) {
      j.erase(c.field);
    } else {
      j[c.field] = c.value;
    }
    INFO(j.dump());
    auto r = KeySlotFromJson(j);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsCorruption());
    CHECK_THROWS_AS(j.get<KeySlot>(), nlohmann::json::exception);
  }
  CHECK(KeySlotFromJson(nlohmann::json::array()).error().IsCorruption());
}

TEST_CASE("KeySlot: a tampered wrapped key or nonce does not unwrap", "[unit]") {
  MasterKey master = NewMaster();
  KeyFileKey kek = NewKek(6);
  auto slot = WrapWithKeyFile(master, kek, kStore);
  REQUIRE(slot.ok());
  for (std::size_t i = 0; i < slot->wrapped.size(); ++i) {
    KeySlot t = *slot;
    t.wrapped[i] ^= 0x01;
    CHECK_FALSE(UnwrapKeySlot(t, &kek, std::nullopt, kStore).ok());
  }
  KeySlot t = *slot;
  t.nonce[0] ^= 0x80;
  CHECK_FALSE(UnwrapKeySlot(t, &kek, std::nullopt, kStore).ok());
}

}  // namespace
}  // namespace cairn
