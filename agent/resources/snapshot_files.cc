#include "agent/resources/snapshot_files.h"

#include <fstream>
#include <system_error>

#include "core/tree/path_guard.h"

namespace cairn::kube {
namespace fs = std::filesystem;

namespace {

std::string Limit(std::uint64_t n) { return std::to_string(n); }

}  // namespace

Status SnapshotFilesSink::Refuse(const std::string& path, Status why) {
  files_.refused.push_back(path + ": " + why.message());
  return why;
}

Status SnapshotFilesSink::Begin(const TreeEntry& entry) {
  if (finished_) return Status::InvalidArgument("snapshot files: Begin after Finish");
  if (in_entry_) return Status::InvalidArgument("snapshot files: Begin inside an entry");
  if (Status s = ValidateRelativePath(entry.path); !s.ok() && entry.path != ".") {
    return Refuse(entry.path, s);
  }
  if (entry.type == EntryType::kDirectory) {
    // Structure only; the engine still closes every begun entry with End().
    in_entry_ = true;
    in_directory_ = true;
    path_ = entry.path;
    expected_ = 0;  // any Write is refused
    return Status::Ok();
  }
  if (entry.type != EntryType::kFile) {
    return Refuse(entry.path, Status::InvalidArgument(
                                  std::string("a resources snapshot holds only regular files, "
                                              "this entry is a ") +
                                  std::string(EntryTypeName(entry.type))));
  }
  if (entry.ContentLength() != entry.size) {
    return Refuse(entry.path, Status::InvalidArgument("sparse file in a resources snapshot"));
  }
  if (entry.size > limits_.max_file_bytes) {
    return Refuse(entry.path, Status::InvalidArgument(
                                  "file of " + Limit(entry.size) + " bytes exceeds the limit of " +
                                  Limit(limits_.max_file_bytes) + " bytes per object"));
  }
  if (files_.files.size() >= limits_.max_files) {
    return Refuse(entry.path, Status::InvalidArgument("more than " + Limit(limits_.max_files) +
                                                      " files in the snapshot"));
  }
  if (files_.total_bytes + entry.size > limits_.max_total_bytes) {
    return Refuse(entry.path,
                  Status::InvalidArgument("the snapshot's files exceed " +
                                          Limit(limits_.max_total_bytes) + " bytes in total"));
  }
  if (files_.files.count(entry.path) != 0) {
    return Refuse(entry.path, Status::InvalidArgument("the same path twice in the snapshot"));
  }
  in_entry_ = true;
  path_ = entry.path;
  expected_ = entry.size;
  content_.clear();
  content_.reserve(static_cast<std::size_t>(entry.size));
  return Status::Ok();
}

Status SnapshotFilesSink::Write(std::uint64_t content_offset, ByteSpan data) {
  if (!in_entry_) return Status::InvalidArgument("snapshot files: Write outside an entry");
  if (content_offset != content_.size() || content_offset + data.size() > expected_) {
    return Status::InvalidArgument(path_ + ": content out of order or beyond the file's size");
  }
  content_.append(reinterpret_cast<const char*>(data.data()), data.size());
  return Status::Ok();
}

Status SnapshotFilesSink::End() {
  if (!in_entry_) return Status::InvalidArgument("snapshot files: End outside an entry");
  in_entry_ = false;
  if (in_directory_) {
    in_directory_ = false;
    return Status::Ok();
  }
  if (content_.size() != expected_) {
    // A short file would parse as damaged JSON later; say so here instead.
    return Refuse(path_, Status::IoError("only " + Limit(content_.size()) + " of " +
                                         Limit(expected_) + " bytes arrived"));
  }
  files_.total_bytes += content_.size();
  files_.files.emplace(std::move(path_), std::move(content_));
  content_.clear();
  return Status::Ok();
}

Status SnapshotFilesSink::Finish() {
  if (in_entry_) return Status::InvalidArgument("snapshot files: Finish inside an entry");
  finished_ = true;
  return Status::Ok();
}

Result<SnapshotFiles> LoadSnapshotDir(const fs::path& dir, const SnapshotFilesLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound(dir.string() + " is not a directory: pass the folder an extracted "
                            "resources snapshot was restored into (it holds index.json)");
  }
  SnapshotFiles out;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return Status::FromErrno(ec.value(), "read " + dir.string());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::FromErrno(ec.value(), "read " + dir.string());
    const fs::directory_entry& e = *it;
    // Lexically: fs::relative would resolve a symlink to its target.
    std::string rel = e.path().lexically_relative(dir).generic_string();
    fs::file_status st = e.symlink_status(ec);
    if (ec) return Status::FromErrno(ec.value(), "stat " + e.path().string());
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st)) {
      out.refused.push_back(rel + ": not a regular file (symlinks and special files are not "
                                  "part of a resources snapshot)");
      continue;
    }
    std::uintmax_t size = fs::file_size(e.path(), ec);
    if (ec) return Status::FromErrno(ec.value(), "stat " + e.path().string());
    if (size > limits.max_file_bytes) {
      return Status::InvalidArgument(rel + ": " + Limit(size) + " bytes exceeds the limit of " +
                                     Limit(limits.max_file_bytes) + " bytes per object");
    }
    if (out.files.size() >= limits.max_files) {
      return Status::InvalidArgument(dir.string() + " holds more than " +
                                     Limit(limits.max_files) + " files");
    }
    if (out.total_bytes + size > limits.max_total_bytes) {
      return Status::InvalidArgument(dir.string() + ": the files exceed " +
                                     Limit(limits.max_total_bytes) + " bytes in total");
    }
    std::ifstream in(e.path(), std::ios::binary);
    std::string content(static_cast<std::size_t>(size), '\0');
    if (!in.read(content.data(), static_cast<std::streamsize>(size))) {
      return Status::IoError("read " + e.path().string() + ": short read");
    }
    out.total_bytes += size;
    out.files.emplace(std::move(rel), std::move(content));
  }
  return out;
}

}  // namespace cairn::kube
