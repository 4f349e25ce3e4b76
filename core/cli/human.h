// Human-readable figures for terminal output: sizes in binary units, rates in
// MB/s (decimal, as restic and borg print them), ratios as "1.84x".
#pragma once

#include <cstdint>
#include <string>

namespace cairn {

std::string HumanBytes(std::uint64_t bytes);                 // "1.21 GiB"
std::string HumanRate(std::uint64_t bytes, double seconds);  // "456.2 MB/s"
std::string Ratio(double numerator, double denominator);     // "1.84x" or "-"
std::string HumanTime(std::int64_t unix_nanos);              // "2026-11-23 21:40:12"

}  // namespace cairn
