#include "agent/volumes/hook_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace cairn::volumes {
namespace {

constexpr std::string_view kAnnotationSuffix = ".hook.backup.cairn.io/";

std::string Key(HookPhase phase, std::string_view field) {
  return std::string(HookPhaseName(phase)) + std::string(kAnnotationSuffix) + std::string(field);
}

Result<std::vector<std::string>> ParseCommand(const std::string& text) {
  if (text.size() > kMaxHookCommandBytes) {
    return Status::InvalidArgument("is longer than " + std::to_string(kMaxHookCommandBytes) +
                                   " bytes");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::string example = R"( (write a JSON array of strings, e.g. ["/bin/sh","-c","sync"]))";
  if (j.is_discarded()) return Status::InvalidArgument("is not valid JSON" + example);
  if (!j.is_array() || j.empty()) {
    return Status::InvalidArgument("must be a non-empty JSON array" + example);
  }
  if (j.size() > kMaxHookArgs) {
    return Status::InvalidArgument("has more than " + std::to_string(kMaxHookArgs) +
                                   " arguments");
  }
  std::vector<std::string> argv;
  for (const auto& arg : j) {
    if (!arg.is_string()) return Status::InvalidArgument("holds a non-string element" + example);
    argv.push_back(arg.get<std::string>());
  }
  if (argv.front().empty()) return Status::InvalidArgument("names an empty program" + example);
  return argv;
}

Result<std::optional<HookSpec>> ParsePhase(const std::map<std::string, std::string>& annotations,
                                           const std::vector<std::string>& containers,
                                           HookPhase phase, std::string_view pod) {
  auto get = [&](std::string_view field) -> const std::string* {
    auto it = annotations.find(Key(phase, field));
    return it == annotations.end() ? nullptr : &it->second;
  };
  auto bad = [&](std::string_view field, const Status& why) {
    return Status::InvalidArgument("pod " + std::string(pod) + ": annotation " +
                                   Key(phase, field) + " " + why.message());
  };
  const std::string* command = get("command");
  if (command == nullptr) {
    for (std::string_view field : {"container", "timeout", "on-error"}) {
      if (get(field) != nullptr) {
        return bad(field, Status::InvalidArgument("is set but " + Key(phase, "command") +
                                                  " is missing; add the command or remove it"));
      }
    }
    return std::optional<HookSpec>();
  }
  HookSpec spec;
  spec.phase = phase;
  auto argv = ParseCommand(*command);
  if (!argv.ok()) return bad("command", argv.error());
  spec.command = std::move(*argv);

  if (const std::string* container = get("container")) {
    if (std::find(containers.begin(), containers.end(), *container) == containers.end()) {
      std::string known;
      for (const std::string& c : containers) known += (known.empty() ? "" : ", ") + c;
      return bad("container", Status::InvalidArgument("names container '" + *container +
                                                      "', which the pod does not have (it has: " +
                                                      known + ")"));
    }
    spec.container = *container;
  } else {
    if (containers.empty()) {
      return bad("command", Status::InvalidArgument("cannot run: the pod lists no containers"));
    }
    spec.container = containers.front();
  }
  if (const std::string* timeout = get("timeout")) {
    auto t = ParseHookTimeout(*timeout);
    if (!t.ok()) return bad("timeout", t.error());
    spec.timeout = *t;
  }
  if (const std::string* on_error = get("on-error")) {
    if (*on_error == "Fail") {
      spec.on_error = HookOnError::kFail;
    } else if (*on_error == "Continue") {
      spec.on_error = HookOnError::kContinue;
    } else {
      return bad("on-error", Status::InvalidArgument("is '" + *on_error +
                                                     "'; write Fail or Continue"));
    }
  }
  return std::optional<HookSpec>(std::move(spec));
}

}  // namespace

std::string_view HookPhaseName(HookPhase phase) {
  return phase == HookPhase::kPre ? "pre" : "post";
}

Result<std::chrono::milliseconds> ParseHookTimeout(std::string_view text) {
  auto bad = [&text]() {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration; write e.g. 30s, 500ms, 2m or 1m30s");
  };
  if (text.empty() || text.size() > 32) return bad();
  double total_ms = 0;
  std::size_t i = 0;
  // Each pass consumes one "<number><unit>" group; the text is at most 32 bytes.
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (i == start) return bad();
    std::string number(text.substr(start, i - start));
    if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") return bad();
    double value = 0;
    auto parsed = std::from_chars(number.data(), number.data() + number.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr != number.data() + number.size()) return bad();
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      return bad();
    }
    total_ms += value * scale;
  }
  if (total_ms < 1) {
    return Status::InvalidArgument("timeout '" + std::string(text) + "' must be positive");
  }
  if (total_ms > static_cast<double>(kMaxHookTimeout.count())) {
    return Status::InvalidArgument("timeout '" + std::string(text) + "' is longer than 1h");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total_ms));
}

Result<PodHooks> ParsePodHooks(const std::map<std::string, std::string>& annotations,
                               const std::vector<std::string>& containers, std::string_view pod) {
  PodHooks hooks;
  CAIRN_ASSIGN_OR_RETURN(hooks.pre, ParsePhase(annotations, containers, HookPhase::kPre, pod));
  CAIRN_ASSIGN_OR_RETURN(hooks.post, ParsePhase(annotations, containers, HookPhase::kPost, pod));
  return hooks;
}

}  // namespace cairn::volumes
