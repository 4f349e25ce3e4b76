// IsDnsLabel: an RFC 1123 DNS label as Kubernetes names use it -- 1 to 63 of
// a-z 0-9 '-', starting and ending with a letter or digit. Names that must
// serve as directory names, label values and certificate name components as
// they are (clusters, replication targets, peers) are checked with it.
// Thread-safety: pure function.
#pragma once

#include <string_view>

namespace cairn {

bool IsDnsLabel(std::string_view name);

}  // namespace cairn
