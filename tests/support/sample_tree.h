// Builders of source trees for tests: every entry type the engine handles,
// deterministic pseudo-random content, and a comparison of two trees that
// checks type, mode, size, link target, mtime and content.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace cairn {

// Writes `size` bytes of seeded pseudo-random (incompressible) or text-like
// (compressible) content.
void WriteSeededFile(const std::filesystem::path& path, std::uint64_t size, std::uint64_t seed,
                     bool compressible = false);

// A tree with: nested directories, empty dir, empty/small/large files,
// duplicates, a relative symlink, a hard link, a FIFO and a 32 MiB sparse
// file with two data regions.
void MakeSampleTree(const std::filesystem::path& root, std::uint64_t seed);

// Empty string when equal; otherwise the first difference, for the test log.
std::string DiffTrees(const std::filesystem::path& a, const std::filesystem::path& b);

}  // namespace cairn
