// chunk_params: measures the chunker parameters that docs/performance-chunking.md
// recommends. Not a test: it prints figures for a human to judge.
//
//   chunk_params TREE_A TREE_B [--sets 256K,512K,1M,2M]
//       TREE_B is TREE_A after one day's mutation. For each average size S
//       (min = S/4, max = 4*S) every regular file of A and of B is chunked on
//       its own, streaming through FindCut() as the backup engine will, and
//       each chunk is named by SHA-256 of its bytes. Prints one markdown table
//       row per set: chunk references, unique chunks, mean size, chunking
//       throughput, and how much of B is already stored after backing up A.
//       Columns are explained in docs/performance-chunking.md.
//   chunk_params --throughput [--mib N]
//       Chunks N MiB (default 1024) of in-memory pseudo-random bytes with the
//       default parameters and prints GB/s: the chunker alone, no I/O.
//
// Single-threaded on purpose: the figures are per core. Uses the public test
// gear table; boundaries under a keyed table differ but the statistics do not.
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/c_deleter.h"
#include "core/base/chunk_id.h"
#include "core/chunking/chunker.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kMiBd = 1024.0 * 1024.0;
// Bytes a snapshot manifest spends per chunk reference (32-byte id + 8-byte
// length + framing); used only to estimate manifest size in the table.
constexpr std::size_t kManifestBytesPerRef = 48;

void Die(const std::string& what) {
  std::fprintf(stderr, "chunk_params: %s\n", what.c_str());
  std::exit(1);
}

ChunkId Sha256(ByteSpan data) {
  ChunkId id;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), id.bytes.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != ChunkId::kSize) {
    Die("EVP_Digest(sha256) failed");
  }
  return id;
}

std::vector<fs::path> ListFiles(const fs::path& root) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && !it->is_symlink()) files.push_back(it->path());
  }
  if (ec) Die("walk " + root.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// Per-tree figures for one parameter set.
struct TreeStats {
  std::uint64_t bytes = 0;
  std::uint64_t refs = 0;          // chunk references (manifest entries)
  // Chunks that end at a cut inside a file (content-defined or max), i.e. not
  // a file's last chunk: what the parameters control. Small files are one
  // chunk whatever the parameters.
  std::uint64_t interior_refs = 0;
  std::uint64_t interior_bytes = 0;
  double chunk_seconds = 0;        // time inside FindCut only
};

// Streams `path` through the chunker and calls on_chunk(id, length) per chunk.
// The buffer holds at least max_size unread bytes whenever more exist, so
// FindCut() never returns 0 before the end of the file.
template <class OnChunk>
void ChunkFile(const Chunker& chunker, const fs::path& path, Bytes& buf, TreeStats& stats,
               OnChunk on_chunk) {
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (raw == nullptr) Die("open " + path.string() + ": " + std::strerror(errno));
  CHandle<std::FILE, std::fclose> file(raw);
  std::size_t begin = 0, end = 0;
  bool eof = false;
  const std::size_t max_size = chunker.params().max_size;
  for (;;) {
    if (!eof && end - begin < max_size) {
      std::memmove(buf.data(), buf.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      while (!eof && end < buf.size()) {
        std::size_t got = std::fread(buf.data() + end, 1, buf.size() - end, file.get());
        end += got;
        if (got == 0) {
          if (std::ferror(file.get())) Die("read " + path.string());
          eof = true;
        }
      }
    }
    ByteSpan pending(buf.data() + begin, end - begin);
    const auto t0 = Clock::now();
    const std::size_t cut = chunker.FindCut(pending, eof);
    stats.chunk_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (cut == 0) {
      if (!pending.empty() || !eof) Die("FindCut returned 0 with data pending");
      return;
    }
    on_chunk(Sha256(pending.first(cut)), cut);
    stats.bytes += cut;
    ++stats.refs;
    if (!(eof && cut == pending.size())) {
      ++stats.interior_refs;
      stats.interior_bytes += cut;
    }
    begin += cut;
  }
}

std::uint32_t ParseSize(std::string_view s) {
  std::uint64_t mult = 1;
  if (!s.empty() && (s.back() == 'K' || s.back() == 'k')) mult = 1024, s.remove_suffix(1);
  else if (!s.empty() && (s.back() == 'M' || s.back() == 'm')) mult = 1024 * 1024, s.remove_suffix(1);
  std::uint64_t v = 0;
  if (s.empty()) Die("bad size in --sets");
  for (char c : s) {
    if (c < '0' || c > '9') Die("bad size in --sets");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return static_cast<std::uint32_t>(v * mult);
}

std::string Human(std::uint64_t n) {
  char out[32];
  if (n % (1024 * 1024) == 0) std::snprintf(out, sizeof out, "%" PRIu64 "M", n >> 20);
  else std::snprintf(out, sizeof out, "%" PRIu64 "K", n >> 10);
  return out;
}

void RunStudy(const fs::path& a, const fs::path& b, const std::vector<std::uint32_t>& sets) {
  const std::vector<fs::path> files_a = ListFiles(a);
  const std::vector<fs::path> files_b = ListFiles(b);
  std::printf("A: %s (%zu files)\nB: %s (%zu files)\n\n", a.c_str(), files_a.size(), b.c_str(),
              files_b.size());
  std::printf(
      "| avg (min/max) | A chunk refs | A interior chunks | mean interior KiB | A unique chunks | "
      "A stored MiB | chunking MB/s | B bytes already in A | B new MiB | B new chunks | "
      "manifest KiB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::uint32_t avg : sets) {
    ChunkerParams params;
    params.avg_size = avg;
    params.min_size = avg / 4;
    params.max_size = avg * 4;
    if (Status s = params.Validate(); !s.ok()) Die(s.ToString());
    const Chunker chunker(params, DefaultGearTableForTests());
    Bytes buf(std::max<std::size_t>(16u << 20, 2 * params.max_size));

    // Backup of A: every unique chunk becomes one stored object.
    std::unordered_set<ChunkId, ChunkIdHash> store;
    TreeStats sa;
    std::uint64_t stored_bytes = 0;
    for (const fs::path& f : files_a) {
      ChunkFile(chunker, f, buf, sa, [&](const ChunkId& id, std::size_t len) {
        if (store.insert(id).second) stored_bytes += len;
      });
    }
    const std::size_t unique_a = store.size();

    // Incremental backup of B against the store of A. A chunk new in B is
    // stored once even if B references it several times.
    TreeStats sb;
    std::unordered_set<ChunkId, ChunkIdHash> new_in_b;
    std::uint64_t b_in_a = 0, b_new_bytes = 0;
    for (const fs::path& f : files_b) {
      ChunkFile(chunker, f, buf, sb, [&](const ChunkId& id, std::size_t len) {
        if (store.count(id) != 0) {
          b_in_a += len;
        } else if (new_in_b.insert(id).second) {
          b_new_bytes += len;
        }
      });
    }
    const std::uint64_t b_new_chunks = new_in_b.size();
    const double mbps = (sa.bytes + sb.bytes) / 1e6 / (sa.chunk_seconds + sb.chunk_seconds);
    std::printf(
        "| %s (%s/%s) | %" PRIu64 " | %" PRIu64 " | %.0f | %zu | %.0f | %.0f | %.2f%% | %.1f | %" PRIu64
        " | %.0f |\n",
        Human(avg).c_str(), Human(params.min_size).c_str(), Human(params.max_size).c_str(), sa.refs,
        sa.interior_refs, sa.interior_bytes / 1024.0 / sa.interior_refs, unique_a,
        stored_bytes / kMiBd, mbps, 100.0 * b_in_a / sb.bytes, b_new_bytes / kMiBd, b_new_chunks,
        sb.refs * kManifestBytesPerRef / 1024.0);
    std::fflush(stdout);
  }
}

void RunThroughput(std::size_t mib) {
  Bytes data(mib << 20);
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < data.size(); i += 8) {
    const std::uint64_t v = rng();
    std::memcpy(data.data() + i, &v, 8);
  }
  const Chunker chunker(ChunkerParams{}, DefaultGearTableForTests());
  // Best of several runs: on a shared machine the slow runs measure the
  // neighbours, the fastest one measures the chunker.
  double best = 0;
  for (int rep = 0; rep < 7; ++rep) {
    const auto t0 = Clock::now();
    const std::vector<std::size_t> lengths = chunker.SplitAll(data);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, data.size() / 1e9 / s);
    std::printf("run %d: %zu MiB random, default params (avg %s), %zu chunks, mean %.0f KiB, %.2f GB/s\n",
                rep, mib, Human(chunker.params().avg_size).c_str(), lengths.size(),
                data.size() / 1024.0 / lengths.size(), data.size() / 1e9 / s);
  }
  std::printf("best: %.2f GB/s\n", best);
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  using namespace cairn;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "--throughput") {
    std::size_t mib = 1024;
    if (args.size() == 3 && args[1] == "--mib") mib = ParseSize(args[2]);
    else if (args.size() != 1) Die("usage: chunk_params --throughput [--mib N]");
    RunThroughput(mib);
    return 0;
  }
  std::vector<std::uint32_t> sets = {64u << 10, 128u << 10, 256u << 10, 512u << 10, 1u << 20, 2u << 20};
  if (args.size() == 4 && args[2] == "--sets") {
    sets.clear();
    std::string_view list = args[3];
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      sets.push_back(ParseSize(list.substr(0, comma)));
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  } else if (args.size() != 2) {
    Die("usage: chunk_params TREE_A TREE_B [--sets 256K,512K,1M,2M] | --throughput [--mib N]");
  }
  RunStudy(args[0], args[1], sets);
  return 0;
}
