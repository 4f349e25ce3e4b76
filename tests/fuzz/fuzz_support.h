// Shared by the libFuzzer targets in tests/fuzz: a check that stops the run
// (libFuzzer then saves the input as a crash artifact), the fixed test key
// the sealed-object target and the seed generator agree on, and a scratch
// directory per process.
//
// Thread-safety: each target runs single-threaded (libFuzzer's default), so
// nothing here is synchronized.
#pragma once

#include <stdlib.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/secret_key.h"

namespace cairn::fuzz {

// Aborts with `what` when `cond` is false: an invariant of ours, broken by
// the current input.
#define CAIRN_FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "CAIRN_FUZZ_CHECK(%s) failed: %s\n", #cond, std::string(what).c_str()); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

inline ByteSpan AsSpan(const std::uint8_t* data, std::size_t size) { return ByteSpan(data, size); }

// Targets with several parsers: the first input byte picks one (modulo
// their count) and the rest is that parser's input.
using ModeFn = void (*)(ByteSpan);
template <std::size_t N>
void Dispatch(const std::uint8_t* data, std::size_t size, const std::array<ModeFn, N>& modes) {
  if (size == 0) return;
  modes[data[0] % N](ByteSpan(data + 1, size - 1));
}

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// The names the sealed-object target opens its inputs under (a sealed
// object's name is authenticated with it), shared with seed_gen.cc.
inline constexpr std::uint8_t kFuzzChunkName[32] = {
    0xab, 0xcd, 0xef, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
    14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29};
inline constexpr char kFuzzManifestName[] = "0011223344556677";

// Bytes 1..32: not secret, only fixed, so seeds sealed by make_seeds open.
inline DataKey FuzzDataKey() {
  DataKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i)
    key.bytes[i] = static_cast<std::uint8_t>(i + 1);
  return key;
}

// With CAIRN_FUZZ_DEBUG set in the environment, says on stderr what the
// parser under test made of the input: how to check that a seed is valid
// (`CAIRN_FUZZ_DEBUG=1 ./manifest_fuzz -runs=0 corpus/manifest`).
inline void Debug(std::string_view what, const Status& status) {
  static const bool enabled = std::getenv("CAIRN_FUZZ_DEBUG") != nullptr;
  if (enabled) {
    std::fprintf(stderr, "cairn-fuzz: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
                 status.ToString().c_str());
  }
}

// A directory of this process's own under the system temp dir, made once
// and reused for every input.
inline const std::filesystem::path& ScratchDir() {
  // A pointer, never destroyed: the exit handler below runs after static
  // destructors registered later would have run.
  static const std::filesystem::path* dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    // Removed when the run ends normally; kept after a crash, for a look.
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(ScratchDir(), ec);
    });
    return new std::filesystem::path(tmpl);
  }();
  return *dir;
}

}  // namespace cairn::fuzz
