#include "core/base/status.h"

#include <catch2/catch.hpp>
#include <cerrno>

namespace cairn {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value must be positive");
  return v;
}

Result<int> Doubled(int v) {
  CAIRN_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

TEST_CASE("Status: errno maps onto the closed set of codes with context", "[unit]") {
  Status s = Status::FromErrno(ENOENT, "open chunks/ab/cd/x");
  CHECK(s.IsNotFound());
  CHECK(s.message().rfind("open chunks/ab/cd/x: ", 0) == 0);
  CHECK(Status::FromErrno(EEXIST, "x").IsAlreadyExists());
  CHECK(Status::FromErrno(EACCES, "x").code() == Status::Code::kPermissionDenied);
  CHECK(Status::FromErrno(EIO, "x").code() == Status::Code::kIoError);
  CHECK(Status::FromErrno(EISDIR, "read /etc/").IsInvalidArgument());  // a file was expected
  CHECK(Status::Unavailable("peer").retryable());
  CHECK_FALSE(Status::IoError("disk").retryable());
  CHECK(Status::Corruption("bad").WithContext("verify").message() == "verify: bad");
  CHECK(Status::Ok().WithContext("x").ok());
  CHECK(Status::NotFound("n").ToString() == "NotFound: n");
}

TEST_CASE("Result: values and errors propagate through CAIRN_ASSIGN_OR_RETURN", "[unit]") {
  auto good = Doubled(21);
  REQUIRE(good.ok());
  CHECK(*good == 42);
  auto bad = Doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().IsInvalidArgument());
  CHECK(bad.status().message() == "value must be positive");
}

}  // namespace
}  // namespace cairn
