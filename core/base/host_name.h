// This machine's host name, for what a backup or a certificate records about
// where it came from. Informational only: never used to decide anything.
#pragma once

#include <string>

namespace cairn {

// gethostname(2), or "" when it fails.
std::string LocalHostName();

}  // namespace cairn
