#include "core/crypto/recovery_kit.h"

#include <array>
#include <cassert>
#include <optional>

#include "core/crypto/openssl_util.h"

namespace cairn {
namespace {

constexpr std::string_view kTitle = "CAIRN RECOVERY KIT (format 1)";
constexpr std::size_t kKeyLines = 4;
constexpr std::size_t kBytesPerKeyLine = SecretKey::kSize / kKeyLines;  // 8 -> 16 hex digits
constexpr std::size_t kLineCheckHex = 4;
constexpr std::size_t kKeyCheckHex = 8;

std::array<std::uint8_t, 32> Digest(std::string_view domain, ByteSpan a, ByteSpan b = {}) {
  Bytes input(domain.begin(), domain.end());
  input.push_back(0);
  input.insert(input.end(), a.begin(), a.end());
  input.insert(input.end(), b.begin(), b.end());
  std::array<std::uint8_t, 32> out;
  Status s = crypto_internal::Sha256(input, out);
  Cleanse(input);
  if (!s.ok()) crypto_internal::DieOnOpenSslFailure(s.message());
  return out;
}

// 4 hex digits over the line's label ("S", "K1".."K4") and its bytes, so a
// typo, or a line typed under the wrong label, is caught on that line.
std::string LineCheck(std::string_view label, ByteSpan data) {
  auto d = Digest(std::string("cairn/v1/kit-line/") + std::string(label), data);
  return ToHex(ByteSpan(d).first(kLineCheckHex / 2));
}

std::string KeyCheck(const MasterKey& master, ByteSpan store_id) {
  auto d = Digest("cairn/v1/kit-key", master.span(), store_id);
  return ToHex(ByteSpan(d).first(kKeyCheckHex / 2));
}

// "3fa109bc..." -> "3fa1 09bc ...".
std::string Grouped(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i > 0) out += ' ';
    out += hex.substr(i, 4);
  }
  return out;
}

// Lower case, without spaces, tabs or carriage returns.
std::string Compact(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The hex digits of a compacted line body: the word "check" and dashes are
// dropped; anything else must be a hex digit.
Result<std::string> HexDigits(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (body.substr(i, 5) == "check") {
      i += 4;
      continue;
    }
    if (c == '-') continue;
    if (!IsHexDigit(c)) {
      return Status::InvalidArgument(std::string("'") + c +
                                     "' is not a hex digit (only 0-9 and a-f appear in a kit)");
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string FormatRecoveryKit(const MasterKey& master, ByteSpan store_id,
                              std::string_view store_path_hint) {
  assert(!store_id.empty() && store_id.size() <= kMaxRecoveryKitStoreIdSize);
  std::string hint;
  for (char c : store_path_hint)
    hint += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;

  std::string t;
  t += kTitle;
  t += "\n\n";
  t += "This page opens every backup in the store below. Keep it offline, in a safe:\n";
  t += "anyone who holds it can read all of the store's data.\n\n";
  t += "Store id:   " + Grouped(ToHex(store_id)) + "   check " + LineCheck("S", store_id) + "\n";
  t += "Store path: " + hint + "   (a hint only; the store or a replica may be elsewhere)\n\n";
  t += "Master key (each line ends in a 4-digit check that catches a typo in it):\n";
  for (std::size_t i = 0; i < kKeyLines; ++i) {
    std::string label = "K" + std::to_string(i + 1);
    ByteSpan part = master.span().subspan(i * kBytesPerKeyLine, kBytesPerKeyLine);
    t += "  " + label + ": " + Grouped(ToHex(part)) + "   check " + LineCheck(label, part) + "\n";
  }
  t += "Key check:  " + Grouped(KeyCheck(master, store_id)) + "\n\n";
  t += "To open the store or a replica of it: type this page into a file (spacing and\n";
  t += "upper/lower case do not matter; the lines above are what counts) and run\n";
  t += "  cairnctl key import --store DIR --kit FILE --key-file NEW\n";
  t += "which checks every line, then writes a new key file NEW that opens the store in DIR.\n";
  return t;
}

Result<std::pair<MasterKey, Bytes>> ParseRecoveryKit(std::string_view text) {
  if (text.size() > kMaxRecoveryKitTextSize) {
    return Status::InvalidArgument("recovery kit: the text is over 64 KiB; is it the right file?");
  }
  bool saw_title = false;
  std::optional<Bytes> store_id;
  std::array<std::optional<Bytes>, kKeyLines> key_parts;
  std::optional<std::string> key_check;
  std::size_t line_no = 0;

  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    // Labels and digits are matched with all blank space removed and in
    // lower case: "Store id:" == "STOREID:", "3fa1 09bc" == "3FA109BC".
    std::string line = Compact(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    auto bad = [&](const std::string& what) {
      return Status::InvalidArgument("recovery kit line " + std::to_string(line_no) + ": " + what);
    };
    auto body_after = [&](std::string_view prefix) -> std::optional<std::string_view> {
      if (std::string_view(line).substr(0, prefix.size()) != prefix) return std::nullopt;
      return std::string_view(line).substr(prefix.size());
    };

    if (line.find("cairnrecoverykit") != std::string::npos) {
      if (line.find("format1)") == std::string::npos) {
        return bad(
            "this kit is in a format this version of Cairn does not read (it reads "
            "\"format 1\")");
      }
      saw_title = true;
      continue;
    }
    if (auto body = body_after("storeid:")) {
      if (store_id) return bad("a second \"Store id\" line");
      auto digits = HexDigits(*body);
      if (!digits.ok()) return bad("Store id: " + digits.error().message());
      const std::string& hex = *digits;
      if (hex.size() <= kLineCheckHex || (hex.size() - kLineCheckHex) % 2 != 0 ||
          (hex.size() - kLineCheckHex) / 2 > kMaxRecoveryKitStoreIdSize) {
        return bad("the Store id line has " + std::to_string(hex.size()) +
                   " hex digits; expected the id's digits and 4 check digits");
      }
      Bytes id = *FromHex(std::string_view(hex).substr(0, hex.size() - kLineCheckHex));
      if (LineCheck("S", id) != std::string_view(hex).substr(hex.size() - kLineCheckHex)) {
        return bad("the Store id line does not match its check digits: a digit is mistyped");
      }
      store_id = std::move(id);
      continue;
    }
    if (auto body = body_after("keycheck:")) {
      if (key_check) return bad("a second \"Key check\" line");
      auto hex = HexDigits(*body);
      if (!hex.ok()) return bad("Key check: " + hex.error().message());
      if (hex->size() != kKeyCheckHex) {
        return bad("the Key check line has " + std::to_string(hex->size()) +
                   " hex digits, expected 8");
      }
      key_check = std::move(*hex);
      continue;
    }
    if (line.size() >= 3 && line[0] == 'k' && line[1] >= '1' &&
        line[1] < static_cast<char>('1' + kKeyLines) && line[2] == ':') {
      std::size_t index = static_cast<std::size_t>(line[1] - '1');
      std::string label = "K" + std::to_string(index + 1);
      if (key_parts[index]) return bad("a second " + label + " line");
      auto hex = HexDigits(std::string_view(line).substr(3));
      if (!hex.ok()) return bad(label + ": " + hex.error().message());
      const std::size_t want = 2 * kBytesPerKeyLine + kLineCheckHex;
      if (hex->size() != want) {
        Cleanse({reinterpret_cast<std::uint8_t*>(hex->data()), hex->size()});
        return bad("the " + label + " line has " + std::to_string(hex->size()) +
                   " hex digits, expected " + std::to_string(want) +
                   " (16 of key and 4 check digits): a digit is missing or doubled");
      }
      Bytes part = *FromHex(std::string_view(*hex).substr(0, 2 * kBytesPerKeyLine));
      bool match = LineCheck(label, part) == std::string_view(*hex).substr(2 * kBytesPerKeyLine);
      Cleanse({reinterpret_cast<std::uint8_t*>(hex->data()), hex->size()});
      if (!match) {
        Cleanse(part);
        return bad("the " + label +
                   " line does not match its check digits: a digit on this line is mistyped");
      }
      key_parts[index] = std::move(part);
      continue;
    }
    // Anything else is prose (instructions, the path hint): ignored.
  }

  auto cleanse_parts = [&] {
    for (auto& p : key_parts) {
      if (p) Cleanse(*p);
    }
  };
  if (!saw_title) {
    cleanse_parts();
    return Status::InvalidArgument(
        "recovery kit: no \"CAIRN RECOVERY KIT (format 1)\" title line; is this a recovery kit?");
  }
  if (!store_id) {
    cleanse_parts();
    return Status::InvalidArgument("recovery kit: the \"Store id:\" line is missing");
  }
  MasterKey master;
  for (std::size_t i = 0; i < kKeyLines; ++i) {
    if (!key_parts[i]) {
      cleanse_parts();
      return Status::InvalidArgument("recovery kit: master key line K" + std::to_string(i + 1) +
                                     " is missing");
    }
    std::copy(key_parts[i]->begin(), key_parts[i]->end(),
              master.bytes.begin() + static_cast<std::ptrdiff_t>(i * kBytesPerKeyLine));
  }
  cleanse_parts();
  if (!key_check)
    return Status::InvalidArgument("recovery kit: the \"Key check:\" line is missing");
  if (KeyCheck(master, *store_id) != *key_check) {
    return Status::InvalidArgument(
        "recovery kit: every line matches its own check, but the Key check does not: the Key "
        "check line is mistyped, or lines from two different kits were mixed");
  }
  return std::make_pair(master, std::move(*store_id));
}

}  // namespace cairn
