#include "sync/target/target_spec.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/base/dns_label.h"
#include "core/tree/json_integer.h"

namespace cairn {
namespace {

using json = nlohmann::json;

Result<int> ParseClock(std::string_view hhmm, std::string_view whole) {
  int h = -1, m = -1;
  if (hhmm.size() == 5 && hhmm[2] == ':') {
    std::from_chars(hhmm.data(), hhmm.data() + 2, h);
    std::from_chars(hhmm.data() + 3, hhmm.data() + 5, m);
  }
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) {
    return Status::InvalidArgument("time window '" + std::string(whole) +
                                   "': expected HH:MM-HH:MM in UTC, e.g. 22:00-06:00");
  }
  return h * 60 + m;
}

std::string Clock(int minute) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

template <typename T>
Status Take(const json& j, const char* key, T& out) {
  if (!j.contains(key)) return Status::Ok();
  try {
    if constexpr (std::integral<T> && !std::same_as<T, bool>) {
      out = JsonInteger<T>(j.at(key));  // get<T>() would cast 1e300 (undefined)
    } else {
      out = j.at(key).get<T>();
    }
  } catch (const json::exception&) {
    return Status::InvalidArgument(std::string("target spec: \"") + key + "\" has the wrong type");
  }
  return Status::Ok();
}

Status TakePath(const json& j, const char* key, std::filesystem::path& out) {
  std::string s = out.string();
  Status st = Take(j, key, s);
  out = s;
  return st;
}

}  // namespace

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kS3: return "s3";
    case TargetKind::kAppliance: return "appliance";
    case TargetKind::kDirectory: return "directory";
  }
  return "?";
}

bool TimeWindow::Contains(int minute) const {
  if (start_minute == end_minute) return true;  // "00:00-24:00" or "06:00-06:00": all day
  if (start_minute < end_minute) return minute >= start_minute && minute < end_minute;
  return minute >= start_minute || minute < end_minute;  // wraps past midnight
}

std::string TimeWindow::ToString() const { return Clock(start_minute) + "-" + Clock(end_minute); }

Result<TimeWindow> ParseTimeWindow(std::string_view text) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return Status::InvalidArgument("time window '" + std::string(text) +
                                   "': expected HH:MM-HH:MM in UTC, e.g. 22:00-06:00");
  }
  CAIRN_ASSIGN_OR_RETURN(int start, ParseClock(text.substr(0, dash), text));
  CAIRN_ASSIGN_OR_RETURN(int end, ParseClock(text.substr(dash + 1), text));
  if (start == 24 * 60) start = 0;
  if (end == 24 * 60) end = 0;
  return TimeWindow{start, end};
}

Result<std::uint64_t> ParseByteRate(std::string_view text) {
  std::string_view t = text;
  if (t.ends_with("/s")) t.remove_suffix(2);
  double value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  const std::string_view unit(end, t.data() + t.size() - end);
  struct Unit {
    std::string_view name;
    double factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},          {"B", 1},          {"k", 1e3},          {"kB", 1e3},   {"KB", 1e3},
      {"KiB", 1024.0},  {"M", 1e6},        {"MB", 1e6},         {"MiB", 1048576.0},
      {"G", 1e9},       {"GB", 1e9},       {"GiB", 1073741824.0},
      {"kbit", 125.0},  {"Kbit", 125.0},   {"Mbit", 125000.0},  {"Gbit", 125000000.0},
  };
  if (ec == std::errc() && value >= 0 && std::isfinite(value)) {
    for (const Unit& u : kUnits) {
      if (unit == u.name && value * u.factor < 1e15) {
        return static_cast<std::uint64_t>(std::llround(value * u.factor));
      }
    }
  }
  return Status::InvalidArgument("bandwidth '" + std::string(text) +
                                 "': expected bytes per second such as 0 (unlimited), 500000, "
                                 "10MiB, 1.5MB or 100Mbit");
}

json TargetSpec::ToJson() const {
  json windows = json::array();
  for (const TimeWindow& w : policy.windows) windows.push_back(w.ToString());
  json j{{"name", name},
         {"kind", TargetKindName(kind)},
         {"policy",
          {{"bandwidth_limit", policy.bandwidth_limit},
           {"windows", windows},
           {"order", policy.order == ReplicationOrder::kOldestFirst ? "oldest-first" : "newest-first"},
           {"streams", policy.streams},
           {"synchronous", policy.synchronous},
           {"rpo_budget_s", policy.rpo_budget.count()},
           {"probe_interval_s", policy.probe_interval.count()}}}};
  switch (kind) {
    case TargetKind::kS3:
      j["s3"] = {{"endpoint", s3.endpoint},
                 {"region", s3.region},
                 {"bucket", s3.bucket},
                 {"prefix", s3.prefix},
                 {"credentials_file", s3.credentials_file.string()},
                 {"ca_file", s3.ca_file.string()},
                 {"virtual_host", s3.virtual_host},
                 {"multipart_threshold", s3.multipart_threshold},
                 {"part_size", s3.part_size}};
      break;
    case TargetKind::kAppliance:
      j["appliance"] = {{"url", appliance.url},
                        {"credentials_dir", appliance.credentials_dir.string()}};
      break;
    case TargetKind::kDirectory:
      j["directory"] = {{"dir", directory.dir.string()}};
      break;
  }
  return j;
}

Result<TargetSpec> TargetSpec::FromJson(const json& j, std::vector<std::string>* obsolete) {
  if (!j.is_object()) return Status::InvalidArgument("target spec: expected a JSON object");
  TargetSpec t;
  std::string kind;
  CAIRN_RETURN_IF_ERROR(Take(j, "name", t.name));
  CAIRN_RETURN_IF_ERROR(Take(j, "kind", kind));
  if (kind == "s3") {
    t.kind = TargetKind::kS3;
  } else if (kind == "appliance") {
    t.kind = TargetKind::kAppliance;
  } else if (kind == "directory") {
    t.kind = TargetKind::kDirectory;
  } else {
    return Status::InvalidArgument("target spec: kind '" + kind +
                                   "' is not one of s3, appliance, directory");
  }
  const json empty = json::object();
  const json& p = j.contains("policy") && j["policy"].is_object() ? j["policy"] : empty;
  CAIRN_RETURN_IF_ERROR(Take(p, "bandwidth_limit", t.policy.bandwidth_limit));
  std::vector<std::string> windows;
  CAIRN_RETURN_IF_ERROR(Take(p, "windows", windows));
  for (const std::string& w : windows) {
    CAIRN_ASSIGN_OR_RETURN(TimeWindow parsed, ParseTimeWindow(w));
    t.policy.windows.push_back(parsed);
  }
  std::string order = "oldest-first";
  CAIRN_RETURN_IF_ERROR(Take(p, "order", order));
  if (order == "oldest-first") {
    t.policy.order = ReplicationOrder::kOldestFirst;
  } else if (order == "newest-first") {
    t.policy.order = ReplicationOrder::kNewestFirst;
  } else {
    return Status::InvalidArgument("target spec: order '" + order +
                                   "' is not oldest-first or newest-first");
  }
  CAIRN_RETURN_IF_ERROR(Take(p, "streams", t.policy.streams));
  CAIRN_RETURN_IF_ERROR(Take(p, "synchronous", t.policy.synchronous));
  std::int64_t rpo = t.policy.rpo_budget.count(), probe = t.policy.probe_interval.count();
  CAIRN_RETURN_IF_ERROR(Take(p, "rpo_budget_s", rpo));
  CAIRN_RETURN_IF_ERROR(Take(p, "probe_interval_s", probe));
  t.policy.rpo_budget = std::chrono::seconds(rpo);
  t.policy.probe_interval = std::chrono::seconds(probe);
  if (t.kind == TargetKind::kS3 && j.contains("s3")) {
    const json& s = j["s3"];
    CAIRN_RETURN_IF_ERROR(Take(s, "endpoint", t.s3.endpoint));
    CAIRN_RETURN_IF_ERROR(Take(s, "region", t.s3.region));
    CAIRN_RETURN_IF_ERROR(Take(s, "bucket", t.s3.bucket));
    CAIRN_RETURN_IF_ERROR(Take(s, "prefix", t.s3.prefix));
    CAIRN_RETURN_IF_ERROR(TakePath(s, "credentials_file", t.s3.credentials_file));
    CAIRN_RETURN_IF_ERROR(TakePath(s, "ca_file", t.s3.ca_file));
    CAIRN_RETURN_IF_ERROR(Take(s, "virtual_host", t.s3.virtual_host));
    CAIRN_RETURN_IF_ERROR(Take(s, "multipart_threshold", t.s3.multipart_threshold));
    CAIRN_RETURN_IF_ERROR(Take(s, "part_size", t.s3.part_size));
    // Retention came from this until issue 6; it now comes from each
    // snapshot's lock. Ignored (not refused) so a stored spec still loads.
    if (s.is_object() && s.contains("object_lock_days") && obsolete != nullptr) {
      obsolete->push_back("s3.object_lock_days");
    }
  }
  if (t.kind == TargetKind::kAppliance && j.contains("appliance")) {
    CAIRN_RETURN_IF_ERROR(Take(j["appliance"], "url", t.appliance.url));
    CAIRN_RETURN_IF_ERROR(TakePath(j["appliance"], "credentials_dir", t.appliance.credentials_dir));
  }
  if (t.kind == TargetKind::kDirectory && j.contains("directory")) {
    CAIRN_RETURN_IF_ERROR(TakePath(j["directory"], "dir", t.directory.dir));
  }
  CAIRN_RETURN_IF_ERROR(t.Validate());
  return t;
}

Status TargetSpec::Validate() const {
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument("target '" + name + "': " + what);
  };
  if (!IsDnsLabel(name)) {
    return Status::InvalidArgument("target name '" + name +
                                   "' is not valid: use 1-63 of a-z 0-9 -, not starting or "
                                   "ending with '-'");
  }
  if (policy.streams < 1 || policy.streams > 32) return bad("streams must be 1..32");
  if (policy.rpo_budget.count() < 60) return bad("the RPO budget must be at least 1 minute");
  if (policy.probe_interval.count() < 1 || policy.probe_interval.count() > 3600) {
    return bad("the probe interval must be 1 s..1 h");
  }
  switch (kind) {
    case TargetKind::kS3:
      if (!s3.endpoint.starts_with("http://") && !s3.endpoint.starts_with("https://")) {
        return bad("the S3 endpoint must start with http:// or https:// (got '" + s3.endpoint +
                   "')");
      }
      if (s3.bucket.size() < 3 || s3.bucket.size() > 63) return bad("the bucket name must be 3..63 characters");
      for (char c : s3.bucket) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
          return bad("the bucket name '" + s3.bucket + "' may hold only a-z 0-9 . -");
        }
      }
      if (s3.region.empty()) return bad("the S3 region must not be empty (e.g. us-east-1)");
      if (s3.prefix.starts_with('/') || s3.prefix.ends_with('/')) {
        return bad("the S3 prefix must not start or end with '/' (got '" + s3.prefix + "')");
      }
      if (s3.credentials_file.empty() || !s3.credentials_file.is_absolute()) {
        return bad("the S3 credentials file must be an absolute path");
      }
      if (s3.part_size < (5ull << 20) || s3.part_size > (5ull << 30)) {
        return bad("the multipart part size must be 5 MiB..5 GiB");
      }
      if (s3.multipart_threshold < s3.part_size) {
        return bad("the multipart threshold must be at least the part size");
      }
      break;
    case TargetKind::kAppliance:
      if (!appliance.url.starts_with("https://")) {
        return bad("the appliance URL must start with https:// (got '" + appliance.url + "')");
      }
      if (appliance.credentials_dir.empty() || !appliance.credentials_dir.is_absolute()) {
        return bad("the pairing credentials directory must be an absolute path");
      }
      break;
    case TargetKind::kDirectory:
      if (directory.dir.empty() || !directory.dir.is_absolute()) {
        return bad("the replica directory must be an absolute path");
      }
      break;
  }
  return Status::Ok();
}

}  // namespace cairn
