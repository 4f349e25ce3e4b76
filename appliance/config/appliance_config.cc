#include "appliance/config/appliance_config.h"

#include <arpa/inet.h>

#include <cerrno>
#include <fstream>
#include <functional>
#include <limits>
#include <type_traits>
#include <utility>

// toml++ from Debian (3.3) is a compiled shared library built with
// exceptions, and it exports only that variant: defining TOML_EXCEPTIONS 0
// here would select toml::noex::parse, which the library does not contain
// (link error). So this file uses the library as built and catches its one
// exception, toml::parse_error, at the single toml::parse call below; every
// other toml++ call used here (as_*, value, iteration, source) does not throw.
#include <toml++/toml.h>

#include "core/base/duration.h"
#include "core/schedule/cron_expression.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr std::uint64_t kMiB = 1u << 20;
constexpr std::uint64_t kGiB = 1u << 30;
constexpr std::size_t kMaxConfigFileBytes = 1 << 20;

std::string_view TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Parses one document into an ApplianceConfig. Each setter reads one key;
// errors carry "<source>:<line>: <section>.<key>: ...".
class ConfigReader {
 public:
  ConfigReader(std::string_view source, ApplianceConfig& out) : source_(source), out_(out) {}

  Status Read(const toml::table& root);
  Status ResolvePaths(const fs::path& base_dir);

 private:
  using Setter = std::function<Status(const toml::node&, const std::string& key)>;
  struct Section {
    std::string_view name;
    std::vector<std::pair<std::string_view, Setter>> keys;
  };

  std::vector<Section> Sections();
  std::string At(const toml::source_region& where) const {
    return std::string(source_) + ":" + std::to_string(where.begin.line) + ": ";
  }
  Status Error(const toml::node& n, const std::string& key, std::string_view what) const {
    return Status::InvalidArgument(At(n.source()) + key + ": " + std::string(what));
  }
  Status TypeError(const toml::node& n, const std::string& key, std::string_view expected) const {
    return Error(n, key,
                 "expected " + std::string(expected) + ", got " + std::string(TypeName(n.type())));
  }

  // Typed readers.
  Status String(const toml::node& n, const std::string& key, std::string* out) const;
  Status Path(const toml::node& n, const std::string& key, fs::path* out) const;
  Status Address(const toml::node& n, const std::string& key, std::string* out) const;
  Status Integer(const toml::node& n, const std::string& key, std::int64_t min, std::int64_t max,
                 std::int64_t* out) const;
  Status Duration(const toml::node& n, const std::string& key, seconds min, seconds max,
                  seconds* out) const;
  Status ServerNames(const toml::node& n, const std::string& key,
                     std::vector<std::string>* out) const;
  // A cron expression that parses and fires, or "" (disabled).
  Status Cron(const toml::node& n, const std::string& key, std::string* out) const;

  std::string_view source_;
  ApplianceConfig& out_;
  // As written (before ResolvePaths); defaults are relative to state_dir.
  fs::path state_dir_ = "/var/lib/cairn";
  fs::path store_dir_ = "store";
  fs::path key_file_ = "keys/store.key";
  fs::path pki_dir_ = "pki";
};

std::vector<ConfigReader::Section> ConfigReader::Sections() {
  auto path = [this](fs::path* p) {
    return [this, p](const toml::node& n, const std::string& k) { return Path(n, k, p); };
  };
  auto integer = [this](auto* field, std::int64_t min, std::int64_t max) {
    return [this, field, min, max](const toml::node& n, const std::string& k) {
      std::int64_t v = 0;
      CAIRN_RETURN_IF_ERROR(Integer(n, k, min, max, &v));
      *field = static_cast<std::remove_pointer_t<decltype(field)>>(v);
      return Status::Ok();
    };
  };
  auto duration = [this](seconds* field, seconds min, seconds max) {
    return [this, field, min, max](const toml::node& n, const std::string& k) {
      return Duration(n, k, min, max, field);
    };
  };
  auto address = [this](std::string* field) {
    return
        [this, field](const toml::node& n, const std::string& k) { return Address(n, k, field); };
  };
  auto cron = [this](std::string* field) {
    return [this, field](const toml::node& n, const std::string& k) { return Cron(n, k, field); };
  };
  constexpr seconds kMinute(60), kHour(3600), kDay(24 * 3600);
  return {
      {"paths",
       {{"state_dir", path(&state_dir_)},
        {"store_dir", path(&store_dir_)},
        {"key_file", path(&key_file_)},
        {"pki_dir", path(&pki_dir_)}}},
      {"ingest",
       {{"address", address(&out_.ingest.address)},
        {"port", integer(&out_.ingest.port, 0, 65535)}}},
      {"admin",
       {{"address", address(&out_.admin.address)},
        {"port", integer(&out_.admin.port, 0, 65535)},
        {"server_names",
         [this](const toml::node& n, const std::string& k) {
           return ServerNames(n, k, &out_.server_names);
         }}}},
      {"limits",
       {{"worker_threads", integer(&out_.worker_threads, 0, 256)},
        {"max_chunk_batch_bytes",
         integer(&out_.max_chunk_batch_bytes, 9 * kMiB, static_cast<std::int64_t>(kGiB))},
        {"max_manifest_bytes",
         integer(&out_.max_manifest_bytes, kMiB, static_cast<std::int64_t>(4 * kGiB))},
        {"idle_timeout", duration(&out_.idle_timeout, seconds(1), kDay)},
        {"max_connections", integer(&out_.max_connections, 1, 65536)}}},
      {"enrollment",
       {{"token_ttl", duration(&out_.default_token_ttl, kMinute, 365 * kDay)},
        {"agent_cert_validity", duration(&out_.agent_cert_validity, kHour, 3650 * kDay)}}},
      {"replication",
       {{"synchronous_timeout", duration(&out_.synchronous_timeout, seconds(1), kDay)}}},
      {"maintenance",
       {{"prune", cron(&out_.maintenance.prune)},
        {"gc", cron(&out_.maintenance.gc)},
        {"verify", cron(&out_.maintenance.verify)},
        {"verify_unverified_days", integer(&out_.maintenance.verify_unverified_days, 0, 3650)},
        {"gc_grace", duration(&out_.maintenance.gc_grace, seconds(0), 30 * kDay)}}},
      {"log",
       {{"level",
         [this](const toml::node& n, const std::string& k) {
           std::string level;
           CAIRN_RETURN_IF_ERROR(String(n, k, &level));
           if (level != "debug" && level != "info" && level != "warn" && level != "error") {
             return Error(n, k,
                          "\"" + level.substr(0, 32) +
                              "\" is not a log level: expected debug, info, warn or error");
           }
           out_.log_level = level;
           return Status::Ok();
         }}}},
  };
}

Status ConfigReader::Read(const toml::table& root) {
  const std::vector<Section> sections = Sections();
  for (auto&& [section_key, section_node] : root) {
    const std::string name(section_key.str());
    const Section* section = nullptr;
    for (const Section& s : sections) {
      if (s.name == name) section = &s;
    }
    if (section == nullptr) {
      std::string known;
      for (const Section& s : sections)
        known += (known.empty() ? "[" : ", [") + std::string(s.name) + "]";
      const std::string_view kind = section_node.is_table() ? "section" : "key";
      return Status::InvalidArgument(At(section_key.source()) + "unknown " + std::string(kind) +
                                     " \"" + name.substr(0, 64) + "\" (known sections: " + known +
                                     ")");
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      return TypeError(section_node, name, "a table ([" + name + "])");
    }
    for (auto&& [key, node] : *table) {
      const std::string key_name(key.str());
      const std::string qualified = name + "." + key_name;
      const Setter* setter = nullptr;
      for (const auto& [k, set] : section->keys) {
        if (k == key_name) setter = &set;
      }
      if (setter == nullptr) {
        std::string known;
        for (const auto& [k, set] : section->keys)
          known += (known.empty() ? "" : ", ") + std::string(k);
        return Status::InvalidArgument(At(key.source()) + "unknown key \"" +
                                       qualified.substr(0, 96) + "\" (known keys in [" + name +
                                       "]: " + known + ")");
      }
      CAIRN_RETURN_IF_ERROR((*setter)(node, qualified));
    }
  }
  return Status::Ok();
}

Status ConfigReader::String(const toml::node& n, const std::string& key, std::string* out) const {
  const auto* s = n.as_string();
  if (s == nullptr) return TypeError(n, key, "a string");
  *out = s->get();
  return Status::Ok();
}

Status ConfigReader::Path(const toml::node& n, const std::string& key, fs::path* out) const {
  std::string text;
  CAIRN_RETURN_IF_ERROR(String(n, key, &text));
  if (text.empty()) return Error(n, key, "expected a path, got an empty string");
  if (text.find('\0') != std::string::npos) return Error(n, key, "a path cannot contain NUL");
  *out = text;
  return Status::Ok();
}

Status ConfigReader::Address(const toml::node& n, const std::string& key, std::string* out) const {
  std::string text;
  CAIRN_RETURN_IF_ERROR(String(n, key, &text));
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, text.c_str(), buf) != 1 && inet_pton(AF_INET6, text.c_str(), buf) != 1) {
    return Error(n, key,
                 "\"" + text.substr(0, 64) +
                     "\" is not an IP address: expected an IPv4 or IPv6 literal without brackets "
                     "or port, e.g. \"0.0.0.0\", \"10.0.0.5\" or \"::\"");
  }
  *out = text;
  return Status::Ok();
}

Status ConfigReader::Integer(const toml::node& n, const std::string& key, std::int64_t min,
                             std::int64_t max, std::int64_t* out) const {
  const std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  const auto* v = n.as_integer();
  if (v == nullptr) return TypeError(n, key, range);
  if (v->get() < min || v->get() > max) {
    return Error(n, key, std::to_string(v->get()) + " is out of range: expected " + range);
  }
  *out = v->get();
  return Status::Ok();
}

Status ConfigReader::Duration(const toml::node& n, const std::string& key, seconds min, seconds max,
                              seconds* out) const {
  const std::string range = FormatDuration(min) + " to " + FormatDuration(max);
  const auto* s = n.as_string();
  if (s == nullptr) {
    return TypeError(n, key, "a duration string such as \"60s\", \"24h\" or \"365d\"");
  }
  auto d = ParseDuration(s->get());
  if (!d.ok()) return Error(n, key, d.error().message());
  if (*d < min || *d > max) {
    return Error(n, key, "\"" + s->get() + "\" is out of range: expected " + range);
  }
  *out = *d;
  return Status::Ok();
}

Status ConfigReader::ServerNames(const toml::node& n, const std::string& key,
                                 std::vector<std::string>* out) const {
  const auto* array = n.as_array();
  if (array == nullptr) return TypeError(n, key, "an array of strings");
  std::vector<std::string> names;
  for (const toml::node& element : *array) {
    std::string name;
    CAIRN_RETURN_IF_ERROR(String(element, key + "[]", &name));
    const bool ok = !name.empty() && name.size() <= 253 &&
                    name.find_first_not_of(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789.-:*") == std::string::npos;
    if (!ok) {
      return Error(element, key,
                   "\"" + name.substr(0, 64) +
                       "\" is not a DNS name or IP address (letters, digits, '.', '-', ':', '*')");
    }
    names.push_back(std::move(name));
  }
  *out = std::move(names);
  return Status::Ok();
}

Status ConfigReader::Cron(const toml::node& n, const std::string& key, std::string* out) const {
  std::string text;
  CAIRN_RETURN_IF_ERROR(String(n, key, &text));
  if (text.size() > 256) return Error(n, key, "a cron expression of more than 256 bytes");
  if (!text.empty()) {
    // Parse's message names the expression, the field and what is allowed.
    if (auto parsed = CronExpression::Parse(text); !parsed.ok()) {
      return Error(n, key, parsed.error().message() + " (\"\" disables the job)");
    }
  }
  *out = std::move(text);
  return Status::Ok();
}

// `p` lexically normal and without a trailing separator.
fs::path Normal(const fs::path& p) {
  fs::path out = p.lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

Status ConfigReader::ResolvePaths(const fs::path& base_dir) {
  std::error_code ec;
  const fs::path base = fs::absolute(base_dir, ec);
  if (ec) {
    return Status::IoError(std::string(source_) + ": cannot make " + base_dir.string() +
                           " absolute: " + ec.message());
  }
  // operator/ keeps an absolute right-hand side as it is.
  out_.state_dir = Normal(base / state_dir_);
  out_.store_dir = Normal(out_.state_dir / store_dir_);
  out_.key_file = Normal(out_.state_dir / key_file_);
  out_.pki_dir = Normal(out_.state_dir / pki_dir_);
  return Status::Ok();
}

}  // namespace

Result<ApplianceConfig> ParseApplianceConfig(std::string_view toml_text,
                                             const std::filesystem::path& base_dir,
                                             std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string(source_name) + ":" +
                                   std::to_string(e.source().begin.line) + ":" +
                                   std::to_string(e.source().begin.column) +
                                   ": not valid TOML: " + std::string(e.description()));
  }
  ApplianceConfig config;
  ConfigReader reader(source_name, config);
  CAIRN_RETURN_IF_ERROR(reader.Read(root));
  CAIRN_RETURN_IF_ERROR(reader.ResolvePaths(base_dir));
  return config;
}

Result<ApplianceConfig> LoadApplianceConfig(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto status = fs::status(file, ec);
  if (ec || !fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return Status::FromErrno(ec.value(), "read config " + name);
    }
    return Status::NotFound("config file " + name +
                            " does not exist (the documented example is configs/appliance.toml)");
  }
  if (!fs::is_regular_file(status)) {
    return Status::InvalidArgument("config file " + name + " is not a regular file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "open config " + name);
  std::string text;
  text.resize(kMaxConfigFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::IoError("read config " + name);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileBytes) {
    return Status::InvalidArgument("config file " + name + " is larger than 1 MiB");
  }
  return ParseApplianceConfig(text, file.parent_path().empty() ? fs::path(".") : file.parent_path(),
                              name);
}

}  // namespace cairn
