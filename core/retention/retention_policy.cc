#include "core/retention/retention_policy.h"

#include "core/base/duration.h"
#include "core/base/utc_time.h"

namespace cairn {
namespace {

constexpr const char* kKeepFields[] = {"keep_last",    "keep_hourly",  "keep_daily",
                                       "keep_weekly",  "keep_monthly", "keep_yearly"};

int* KeepField(RetentionPolicy& p, std::string_view name) {
  if (name == "keep_last") return &p.keep_last;
  if (name == "keep_hourly") return &p.keep_hourly;
  if (name == "keep_daily") return &p.keep_daily;
  if (name == "keep_weekly") return &p.keep_weekly;
  if (name == "keep_monthly") return &p.keep_monthly;
  if (name == "keep_yearly") return &p.keep_yearly;
  return nullptr;
}

std::string Duration(std::int64_t ns) {
  return FormatDuration(std::chrono::seconds(ns / kNanosPerSecond));
}

}  // namespace

bool RetentionPolicy::KeepsSomething() const {
  return keep_last + keep_hourly + keep_daily + keep_weekly + keep_monthly + keep_yearly > 0;
}

nlohmann::json RetentionPolicy::ToJson() const {
  RetentionPolicy copy = *this;
  nlohmann::json j = nlohmann::json::object();
  for (const char* field : kKeepFields) {
    if (int v = *KeepField(copy, field); v > 0) j[field] = v;
  }
  if (min_age_ns > 0) j["min_age"] = Duration(min_age_ns);
  if (lock_for_ns > 0) j["lock_for"] = Duration(lock_for_ns);
  return j;
}

Result<RetentionPolicy> RetentionPolicy::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a retention policy is a JSON object");
  RetentionPolicy p;
  for (const auto& [key, value] : j.items()) {
    if (int* field = KeepField(p, key)) {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
          value.get<std::int64_t>() > kMaxKeep) {
        return Status::InvalidArgument("retention policy: " + key + " must be a whole number 0.." +
                                       std::to_string(kMaxKeep));
      }
      *field = value.get<int>();
    } else if (key == "min_age" || key == "lock_for") {
      if (!value.is_string()) {
        return Status::InvalidArgument("retention policy: " + key +
                                       " must be a duration string such as \"30d\"");
      }
      auto d = ParseDuration(value.get<std::string>());
      if (!d.ok()) return d.error().WithContext("retention policy " + key);
      (key == "min_age" ? p.min_age_ns : p.lock_for_ns) = d->count() * kNanosPerSecond;
    } else {
      return Status::InvalidArgument(
          "retention policy: unknown field \"" + key.substr(0, 40) +
          "\" (known: keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, "
          "keep_yearly, min_age, lock_for)");
    }
  }
  if (!p.KeepsSomething()) {
    return Status::InvalidArgument(
        "retention policy keeps nothing: give at least one of keep_last, keep_hourly, "
        "keep_daily, keep_weekly, keep_monthly, keep_yearly (to delete a snapshot, delete it "
        "by id)");
  }
  return p;
}

std::string RetentionPolicy::Describe() const {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  RetentionPolicy copy = *this;
  for (const char* field : kKeepFields) {
    if (int v = *KeepField(copy, field); v > 0) {
      add(std::string(field).substr(5) + " " + std::to_string(v));
    }
  }
  if (min_age_ns > 0) add("min age " + Duration(min_age_ns));
  if (lock_for_ns > 0) add("lock " + Duration(lock_for_ns));
  return out.empty() ? "keep everything" : out;
}

}  // namespace cairn
