#include "core/base/host_name.h"

#include <unistd.h>

namespace cairn {

std::string LocalHostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace cairn
