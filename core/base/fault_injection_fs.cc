#include "core/base/fault_injection_fs.h"

#include <algorithm>
#include <system_error>

namespace cairn {

class FaultInjectionWritableFile final : public WritableFile {
 public:
  FaultInjectionWritableFile(FaultInjectionFs& owner, fs::path path,
                             std::unique_ptr<WritableFile> base)
      : owner_(owner), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(ByteSpan data) override {
    CAIRN_RETURN_IF_ERROR(owner_.MaybeFail("append", path_));
    CAIRN_RETURN_IF_ERROR(base_->Append(data));
    owner_.RecordAppend(path_, data.size());
    return Status::Ok();
  }
  Status Sync() override {
    CAIRN_RETURN_IF_ERROR(owner_.MaybeFail("sync", path_));
    CAIRN_RETURN_IF_ERROR(base_->Sync());
    owner_.RecordSync(path_);
    return Status::Ok();
  }
  Status Close() override {
    // A close after an injected failure still releases the descriptor.
    Status injected = owner_.MaybeFail("close", path_);
    Status s = base_->Close();
    return injected.ok() ? s : injected;
  }

 private:
  FaultInjectionFs& owner_;
  fs::path path_;
  std::unique_ptr<WritableFile> base_;
};

void FaultInjectionFs::FailAfter(int n) {
  std::lock_guard lock(mu_);
  fail_after_ = n;
  ops_ = 0;
}

int FaultInjectionFs::operations() const {
  std::lock_guard lock(mu_);
  return ops_;
}

void FaultInjectionFs::Reset() {
  std::lock_guard lock(mu_);
  fail_after_ = -1;
  ops_ = 0;
  files_.clear();
  renames_.clear();
}

Status FaultInjectionFs::MaybeFail(std::string_view op, const fs::path& path) {
  std::lock_guard lock(mu_);
  int index = ops_++;
  if (fail_after_ >= 0 && index >= fail_after_) {
    return Status::IoError("injected fault: " + std::string(op) + " " + path.string() +
                           " (operation " + std::to_string(index) + ")");
  }
  return Status::Ok();
}

void FaultInjectionFs::RecordAppend(const fs::path& path, std::uint64_t n) {
  std::lock_guard lock(mu_);
  files_[path].size += n;
}

void FaultInjectionFs::RecordSync(const fs::path& path) {
  std::lock_guard lock(mu_);
  auto& f = files_[path];
  f.synced_size = f.size;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFs::NewWritableFile(const fs::path& path,
                                                                        bool exclusive,
                                                                        std::uint32_t mode) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("create", path));
  CAIRN_ASSIGN_OR_RETURN(auto base, base_.NewWritableFile(path, exclusive, mode));
  {
    std::lock_guard lock(mu_);
    files_[path] = FileState{};
  }
  return std::unique_ptr<WritableFile>(new FaultInjectionWritableFile(*this, path, std::move(base)));
}

Result<std::unique_ptr<ReadableFile>> FaultInjectionFs::OpenReadable(const fs::path& path) {
  return base_.OpenReadable(path);
}

Status FaultInjectionFs::Rename(const fs::path& from, const fs::path& to) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("rename", from));
  std::optional<Bytes> replaced;
  CAIRN_ASSIGN_OR_RETURN(bool to_exists, base_.Exists(to));
  if (to_exists) {
    CAIRN_ASSIGN_OR_RETURN(Bytes old, ReadWholeFile(base_, to, 64 << 20));
    replaced = std::move(old);
  }
  CAIRN_RETURN_IF_ERROR(base_.Rename(from, to));
  std::lock_guard lock(mu_);
  auto it = files_.find(from);
  // A file this wrapper never saw change existed before it: durable, name
  // and content. Undoing the rename must give back exactly that (it once
  // gave back a non-durable name, so the crash then removed a file that had
  // been safe all along).
  FileState before{0, 0, true};
  if (it != files_.end()) {
    before = it->second;
    files_.erase(it);
  }
  FileState state = before;
  state.name_durable = false;
  files_[to] = state;
  renames_.push_back({from, to, std::move(replaced), before});
  return Status::Ok();
}

Status FaultInjectionFs::RemoveFile(const fs::path& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("remove", path));
  CAIRN_RETURN_IF_ERROR(base_.RemoveFile(path));
  std::lock_guard lock(mu_);
  files_.erase(path);
  return Status::Ok();
}

Status FaultInjectionFs::CreateDirectories(const fs::path& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("mkdir", path));
  return base_.CreateDirectories(path);
}

Status FaultInjectionFs::SyncDirectory(const fs::path& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("syncdir", path));
  CAIRN_RETURN_IF_ERROR(base_.SyncDirectory(path));
  std::lock_guard lock(mu_);
  for (auto& [p, f] : files_) {
    if (p.parent_path() == path) f.name_durable = true;
  }
  std::erase_if(renames_, [&](const PendingRename& r) { return r.to.parent_path() == path; });
  return Status::Ok();
}

Status FaultInjectionFs::SyncFilesystem(const fs::path& path) {
  CAIRN_RETURN_IF_ERROR(MaybeFail("syncfs", path));
  CAIRN_RETURN_IF_ERROR(base_.SyncFilesystem(path));
  // Data of every file becomes durable; names still need their directory.
  std::lock_guard lock(mu_);
  for (auto& [p, f] : files_) f.synced_size = f.size;
  return Status::Ok();
}

Result<bool> FaultInjectionFs::Exists(const fs::path& path) { return base_.Exists(path); }

Result<std::vector<std::string>> FaultInjectionFs::ListDirectory(const fs::path& path) {
  return base_.ListDirectory(path);
}

Result<std::uint64_t> FaultInjectionFs::FileSize(const fs::path& path) {
  return base_.FileSize(path);
}

Result<std::int64_t> FaultInjectionFs::ModifiedUnixNs(const fs::path& path) {
  return base_.ModifiedUnixNs(path);
}

Status FaultInjectionFs::SimulateCrash() {
  std::lock_guard lock(mu_);
  // Undo renames whose directory was never synced, newest first: the old
  // name comes back and a replaced file gets its old content again.
  for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
    std::error_code ec;
    fs::rename(it->to, it->from, ec);
    if (ec) return Status::IoError("simulate crash: undo rename of " + it->to.string());
    files_.erase(it->to);
    files_[it->from] = it->from_state;
    if (it->replaced) {
      auto w = base_.NewWritableFile(it->to, /*exclusive=*/false, 0600);
      if (!w.ok()) return w.error();
      CAIRN_RETURN_IF_ERROR((*w)->Append(*it->replaced));
      CAIRN_RETURN_IF_ERROR((*w)->Close());
    }
  }
  renames_.clear();
  // Files whose name never became durable vanish; the rest lose unsynced tails.
  for (auto& [path, f] : files_) {
    std::error_code ec;
    if (!f.name_durable) {
      fs::remove(path, ec);
    } else if (f.size > f.synced_size && fs::exists(path, ec)) {
      fs::resize_file(path, f.synced_size, ec);
    }
    if (ec) return Status::IoError("simulate crash: " + path.string() + ": " + ec.message());
  }
  files_.clear();
  fail_after_ = -1;
  ops_ = 0;
  return Status::Ok();
}

}  // namespace cairn
