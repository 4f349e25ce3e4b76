#include "appliance/daemon/metrics.h"

#include <cstdio>

namespace cairn {

void AppendMetric(std::string& out, std::string_view name, std::string_view kind,
                  std::string_view help, double value, std::string_view labels) {
  // HELP/TYPE once per family: callers emit a family's labelled series in a
  // row, so the header is written when the previous line is another family.
  const std::string family(name);
  const std::string header = "# TYPE " + family + " ";
  if (out.rfind(header) == std::string::npos) {
    out += "# HELP " + family + " " + std::string(help) + "\n";
    out += header + std::string(kind) + "\n";
  }
  char number[64];
  std::snprintf(number, sizeof number, "%.17g", value);
  out += family;
  if (!labels.empty()) out += "{" + std::string(labels) + "}";
  out += " ";
  out += number;
  out += "\n";
}

}  // namespace cairn
