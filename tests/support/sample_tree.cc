#include "tests/support/sample_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

namespace cairn {

namespace fs = std::filesystem;

void WriteSeededFile(const fs::path& path, std::uint64_t size, std::uint64_t seed,
                     bool compressible) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<char> buf(1 << 16);
  static const char* kWords[] = {"alpha ", "beta ", "gamma ", "delta\n", "pod ", "volume ",
                                 "namespace ", "cairn "};
  std::uint64_t left = size;
  while (left > 0) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
    if (compressible) {
      std::size_t i = 0;
      while (i < n) {
        const char* w = kWords[rng() % 8];
        while (*w && i < n) buf[i++] = *w++;
      }
    } else {
      for (std::size_t i = 0; i < n; i += 8) {
        std::uint64_t v = rng();
        for (std::size_t k = 0; k < 8 && i + k < n; ++k) buf[i + k] = static_cast<char>(v >> (8 * k));
      }
    }
    out.write(buf.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  if (!out) throw std::runtime_error("write " + path.string());
}

void MakeSampleTree(const fs::path& root, std::uint64_t seed) {
  fs::create_directories(root / "a" / "b" / "c");
  fs::create_directories(root / "empty-dir");
  WriteSeededFile(root / "empty", 0, seed);
  WriteSeededFile(root / "a" / "small.txt", 1234, seed + 1, true);
  WriteSeededFile(root / "a" / "b" / "medium.bin", 300 * 1024, seed + 2);
  WriteSeededFile(root / "a" / "b" / "c" / "large.bin", 9 * 1024 * 1024 + 17, seed + 3);
  WriteSeededFile(root / "a" / "text.log", 3 * 1024 * 1024, seed + 4, true);
  fs::copy_file(root / "a" / "small.txt", root / "a" / "b" / "dup-small.txt");
  fs::copy_file(root / "a" / "b" / "c" / "large.bin", root / "dup-large.bin");
  for (int i = 0; i < 40; ++i) {
    WriteSeededFile(root / "a" / ("many-" + std::to_string(i)), 100 + i * 97, seed + 10 + i, i % 2);
  }
  fs::create_symlink("b/c/large.bin", root / "a" / "link-to-large");
  fs::create_hard_link(root / "a" / "text.log", root / "hardlink.log");
  if (::mkfifo((root / "fifo").c_str(), 0640) != 0) throw std::runtime_error("mkfifo");
  ::chmod((root / "a" / "small.txt").c_str(), 0604);
  int fd = ::open((root / "sparse.img").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, 32 << 20) != 0) throw std::runtime_error("sparse");
  const char data[] = "region one";
  (void)!::pwrite(fd, data, sizeof data, 1 << 20);
  (void)!::pwrite(fd, data, sizeof data, 20 << 20);
  ::close(fd);
  struct timespec times[2] = {{1000000000, 123456789}, {1000000000, 123456789}};
  ::utimensat(AT_FDCWD, (root / "a" / "small.txt").c_str(), times, AT_SYMLINK_NOFOLLOW);
}

namespace {

std::string Describe(const fs::path& p) {
  struct stat st;
  if (::lstat(p.c_str(), &st) != 0) return "missing";
  std::string d = "mode=" + std::to_string(st.st_mode) + " size=" +
                  (S_ISDIR(st.st_mode) ? std::string("-") : std::to_string(st.st_size));
  if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
    d += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  if (S_ISLNK(st.st_mode)) d += " link=" + fs::read_symlink(p).string();
  if (S_ISREG(st.st_mode)) {
    std::ifstream in(p, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    d += " content-hash=" + std::to_string(std::hash<std::string>{}(content));
  }
  return d;
}

std::map<std::string, std::string> Listing(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    out[fs::relative(it->path(), root).string()] = Describe(it->path());
  }
  return out;
}

}  // namespace

std::string DiffTrees(const fs::path& a, const fs::path& b) {
  auto la = Listing(a), lb = Listing(b);
  for (const auto& [path, desc] : la) {
    auto it = lb.find(path);
    if (it == lb.end()) return path + ": missing in " + b.string();
    if (it->second != desc) return path + ": " + desc + " vs " + it->second;
  }
  for (const auto& [path, desc] : lb) {
    if (!la.contains(path)) return path + ": extra in " + b.string();
  }
  return "";
}

}  // namespace cairn
