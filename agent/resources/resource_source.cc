#include "agent/resources/resource_source.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

namespace cairn::kube {
namespace {

constexpr std::uint32_t kDirMode = 0700;
constexpr std::uint32_t kFileMode = 0600;

// Content already in memory (one object file, or the index).
class StringContent final : public ContentStream {
 public:
  explicit StringContent(std::string text) : text_(std::move(text)) {}
  Result<std::size_t> Read(MutableByteSpan buf) override {
    std::size_t n = std::min(buf.size(), text_.size() - at_);
    if (n > 0) std::memcpy(buf.data(), text_.data() + at_, n);
    at_ += n;
    return n;
  }
  Status Finish(TreeEntry&) override { return Status::Ok(); }

 private:
  std::string text_;
  std::size_t at_ = 0;
};

}  // namespace

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

ResourceSource::ResourceSource(KubeClient& client, const ResourceFilter& filter,
                               ResourceSourceOptions options)
    : options_(std::move(options)),
      server_(client.config().server),
      mtime_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::floor<std::chrono::seconds>(options_.taken_at).time_since_epoch())
                    .count()),
      collector_(client, filter, options_.collector) {
  index_.cluster = options_.cluster;
  index_.server = server_;
  index_.taken_at = Rfc3339(options_.taken_at);
  index_.filters = filter.ToJson();
}

Result<std::unique_ptr<ResourceSource>> ResourceSource::Create(KubeClient& client,
                                                               const ResourceFilter& filter,
                                                               ResourceSourceOptions options) {
  std::unique_ptr<ResourceSource> source(new ResourceSource(client, filter, std::move(options)));
  CAIRN_RETURN_IF_ERROR(source->collector_.Discover());
  return source;
}

TreeEntry ResourceSource::Directory(std::string path) const {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kDirectory;
  e.mode = kDirMode;
  e.mtime_ns = e.atime_ns = e.ctime_ns = mtime_ns_;
  return e;
}

TreeEntry ResourceSource::File(std::string path, std::size_t size) const {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kFile;
  e.mode = kFileMode;
  e.size = size;
  e.mtime_ns = e.atime_ns = e.ctime_ns = mtime_ns_;
  return e;
}

void ResourceSource::QueueParents(const std::string& path) {
  for (std::size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (dirs_.insert(dir).second) pending_.push_back({Directory(std::move(dir)), {}});
  }
}

void ResourceSource::QueueType(CollectedType type) {
  for (CollectedObject& o : type.objects) {
    QueueParents(o.path);
    TreeEntry file = File(std::move(o.path), o.content.size());
    pending_.push_back({std::move(file), std::move(o.content)});
  }
  index_.objects += type.info.objects;
  index_.resources.push_back(std::move(type.info));
}

void ResourceSource::QueueIndex() {
  index_.skipped = collector_.skipped();
  index_.warnings = collector_.warnings();
  if (options_.on_index) options_.on_index(index_);
  std::string text = SerializeObject(index_.ToJson());
  TreeEntry file = File(std::string(kIndexFile), text.size());
  pending_.push_back({std::move(file), std::move(text)});
}

Result<std::optional<TreeEntry>> ResourceSource::Next() {
  if (!started_) {
    started_ = true;
    dirs_.insert(".");
    return std::optional<TreeEntry>(Directory("."));
  }
  while (pending_.empty()) {
    if (done_) return std::optional<TreeEntry>();
    if (collected_) {
      done_ = true;
      continue;
    }
    auto type = collector_.Next();
    if (!type.ok()) {
      if (options_.on_failure) options_.on_failure(type.error());
      return type.error();
    }
    if (*type) {
      QueueType(std::move(**type));
    } else {
      collected_ = true;
      QueueIndex();
    }
  }
  Pending next = std::move(pending_.front());
  pending_.pop_front();
  content_ = std::move(next.content);
  return std::optional<TreeEntry>(std::move(next.entry));
}

Result<std::unique_ptr<ContentStream>> ResourceSource::OpenContent(const TreeEntry& entry) {
  if (entry.type != EntryType::kFile) {
    return Status::InvalidArgument("resource source: " + entry.path + " has no content");
  }
  return std::unique_ptr<ContentStream>(std::make_unique<StringContent>(std::move(content_)));
}

std::vector<std::string> ResourceSource::TakeWarnings() {
  const std::vector<std::string>& all = collector_.warnings();
  std::vector<std::string> out(all.begin() + static_cast<std::ptrdiff_t>(warnings_taken_), all.end());
  warnings_taken_ = all.size();
  return out;
}

}  // namespace cairn::kube
