// Pre/post backup hooks declared by pod annotations, and their parsing.
//
//   pre.hook.backup.cairn.io/command    JSON array of strings, the argv to exec
//                                       (e.g. ["/bin/sh","-c","sync; fsfreeze -f /data"])
//   pre.hook.backup.cairn.io/container  container to run it in (default: the first)
//   pre.hook.backup.cairn.io/timeout    Go-style duration, "30s", "2m", "1m30s" (default 30s)
//   pre.hook.backup.cairn.io/on-error   Fail (default): abort the backup, nothing committed;
//                                       Continue: a warning in the backup result
//
// and the same with "post.". A pre hook runs before the first of the pod's
// volumes is read, a post hook after the last (and always once its pre hook
// ran, even when the backup failed). See hook_runner.h.
//
// Annotations come from the cluster: every value is bounded and checked, and
// a malformed one is InvalidArgument naming the pod, the annotation and what
// to write instead.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn::volumes {

enum class HookPhase { kPre, kPost };
enum class HookOnError { kFail, kContinue };

std::string_view HookPhaseName(HookPhase phase);  // "pre", "post"

inline constexpr std::chrono::milliseconds kDefaultHookTimeout{30000};
inline constexpr std::chrono::milliseconds kMaxHookTimeout{3600 * 1000};
inline constexpr std::size_t kMaxHookArgs = 256;
inline constexpr std::size_t kMaxHookCommandBytes = 64 * 1024;

struct HookSpec {
  HookPhase phase = HookPhase::kPre;
  std::vector<std::string> command;
  std::string container;
  std::chrono::milliseconds timeout = kDefaultHookTimeout;
  HookOnError on_error = HookOnError::kFail;
};

struct PodHooks {
  std::optional<HookSpec> pre;
  std::optional<HookSpec> post;
  bool empty() const { return !pre && !post; }
};

// "30s", "500ms", "2m", "1h", "1m30s": positive, at most kMaxHookTimeout.
Result<std::chrono::milliseconds> ParseHookTimeout(std::string_view text);

// The hooks of one pod from its annotations. `containers` are the pod's
// container names in spec order (the first is the default). `pod` ("ns/name")
// is for messages. Annotations of other keys are ignored; a container, timeout
// or on-error annotation without a command is refused (it would silently do
// nothing).
Result<PodHooks> ParsePodHooks(const std::map<std::string, std::string>& annotations,
                               const std::vector<std::string>& containers,
                               std::string_view pod);

}  // namespace cairn::volumes
