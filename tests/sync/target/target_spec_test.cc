#include <catch2/catch.hpp>

#include "sync/target/target_spec.h"

namespace cairn {
namespace {

TargetSpec S3Spec() {
  TargetSpec t;
  t.name = "cloud";
  t.kind = TargetKind::kS3;
  t.s3.endpoint = "http://127.0.0.1:7480";
  t.s3.bucket = "cairn-replica";
  t.s3.prefix = "site-a";
  t.s3.credentials_file = "/etc/cairn/s3.toml";
  t.policy.bandwidth_limit = 1 << 20;
  t.policy.windows = {TimeWindow{22 * 60, 6 * 60}};
  t.policy.order = ReplicationOrder::kNewestFirst;
  t.policy.synchronous = true;
  return t;
}

TEST_CASE("TargetSpec: JSON round-trips every field", "[unit]") {
  const TargetSpec t = S3Spec();
  REQUIRE(t.Validate().ok());
  auto back = TargetSpec::FromJson(t.ToJson());
  INFO(t.ToJson().dump());
  REQUIRE(back.ok());
  CHECK(*back == t);
}

TEST_CASE("TargetSpec: invalid settings are refused naming the field", "[unit]") {
  TargetSpec t = S3Spec();
  t.s3.bucket = "Bad_Bucket";
  CHECK(t.Validate().message().find("bucket") != std::string::npos);
  t = S3Spec();
  t.s3.credentials_file = "relative.toml";
  CHECK(t.Validate().message().find("credentials file") != std::string::npos);
  t = S3Spec();
  t.name = "Cloud!";
  CHECK(t.Validate().message().find("target name") != std::string::npos);
  t = S3Spec();
  t.policy.streams = 0;
  CHECK(t.Validate().message().find("streams") != std::string::npos);
  t = S3Spec();
  t.kind = TargetKind::kAppliance;
  t.appliance.url = "http://b:8443";
  t.appliance.credentials_dir = "/var/lib/cairn/peers/b";
  CHECK(t.Validate().message().find("https://") != std::string::npos);
  CHECK(TargetSpec::FromJson(nlohmann::json{{"name", "x"}, {"kind", "ftp"}}).error().message().find(
            "ftp") != std::string::npos);
}

TEST_CASE(
    "TargetSpec: a stored spec with the former object_lock_days still loads, the field is "
    "ignored, named as obsolete and not written back",
    "[unit]") {
  nlohmann::json j = S3Spec().ToJson();
  CHECK_FALSE(j["s3"].contains("object_lock_days"));
  j["s3"]["object_lock_days"] = 30;
  std::vector<std::string> obsolete;
  auto loaded = TargetSpec::FromJson(j, &obsolete);
  INFO(j.dump());
  REQUIRE(loaded.ok());
  CHECK(*loaded == S3Spec());
  CHECK(obsolete == std::vector<std::string>{"s3.object_lock_days"});
  CHECK_FALSE(loaded->ToJson()["s3"].contains("object_lock_days"));
  // Whatever it held (it was validated 0..36500 once), and without a list to report to.
  j["s3"]["object_lock_days"] = "bogus";
  CHECK(TargetSpec::FromJson(j).ok());
  obsolete.clear();
  REQUIRE(TargetSpec::FromJson(S3Spec().ToJson(), &obsolete).ok());
  CHECK(obsolete.empty());
}

TEST_CASE("TargetSpec: numbers must be integers in their field's range, never cast", "[unit]") {
  // Found by tests/fuzz/target_spec_fuzz: "streams": 1e300 was cast to an
  // int (undefined behaviour); 2.5 bytes/s was truncated to 2.
  for (const char* key : {"bandwidth_limit", "streams", "rpo_budget_s", "probe_interval_s"}) {
    for (const nlohmann::json& bad : {nlohmann::json(1e300), nlohmann::json(2.5)}) {
      nlohmann::json j = S3Spec().ToJson();
      j["policy"][key] = bad;
      INFO(j.dump());
      auto r = TargetSpec::FromJson(j);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().message().find(key) != std::string::npos);
    }
  }
  nlohmann::json j = S3Spec().ToJson();
  j["s3"]["part_size"] = 18446744073709551616.0;  // past uint64
  CHECK_FALSE(TargetSpec::FromJson(j).ok());
}

TEST_CASE("TimeWindow: parses HH:MM-HH:MM and wraps past midnight", "[unit]") {
  auto w = ParseTimeWindow("22:00-06:00");
  REQUIRE(w.ok());
  CHECK(w->Contains(23 * 60));
  CHECK(w->Contains(0));
  CHECK(w->Contains(5 * 60 + 59));
  CHECK_FALSE(w->Contains(6 * 60));
  CHECK_FALSE(w->Contains(12 * 60));
  CHECK(w->ToString() == "22:00-06:00");
  auto day = ParseTimeWindow("09:30-17:00");
  REQUIRE(day.ok());
  CHECK(day->Contains(9 * 60 + 30));
  CHECK_FALSE(day->Contains(17 * 60));
  CHECK(ParseTimeWindow("00:00-24:00")->Contains(12 * 60));
  for (const char* bad : {"22-06", "25:00-01:00", "10:60-11:00", "", "10:00"}) {
    INFO(bad);
    CHECK_FALSE(ParseTimeWindow(bad).ok());
  }
}

TEST_CASE("ParseByteRate: units in bytes and bits per second", "[unit]") {
  CHECK(*ParseByteRate("0") == 0);
  CHECK(*ParseByteRate("500000") == 500000);
  CHECK(*ParseByteRate("10MiB") == 10u << 20);
  CHECK(*ParseByteRate("1.5MB/s") == 1500000);
  CHECK(*ParseByteRate("100Mbit") == 12500000);
  for (const char* bad : {"fast", "-1", "10 MiB", "10XB", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseByteRate(bad).ok());
  }
}

}  // namespace
}  // namespace cairn
