#include "core/crypto/random.h"

#include <catch2/catch.hpp>

namespace cairn {
namespace {

TEST_CASE("FillRandom: fills the whole buffer and never repeats itself", "[unit]") {
  Bytes a(64, 0), b(64, 0);
  REQUIRE(FillRandom(a).ok());
  REQUIRE(FillRandom(b).ok());
  CHECK(a != b);
  CHECK(a != Bytes(64, 0));
  // The tail is written too (false failure: 2^-64).
  Bytes c(1000, 0xee);
  REQUIRE(FillRandom(c).ok());
  CHECK(Bytes(c.end() - 8, c.end()) != Bytes(8, 0xee));
  CHECK(FillRandom({}).ok());
}

}  // namespace
}  // namespace cairn
