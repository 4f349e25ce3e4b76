// Fuzz target: the S3 answers the replication client parses
// (sync/s3/s3_xml.h, pugixml underneath): an S3 endpoint is a remote server
// and its answers are untrusted.
//
// Input: one selector byte, then the XML text.
//   0 <Error>  1 ListObjectsV2  2 ListObjectVersions  3 InitiateMultipartUpload
//   4 CompleteMultipartUpload  5 Object Lock configuration  6 Retention
// Oracles: refusals are InvalidArgument; listed keys are non-empty and at
// most S3's 1024 bytes; a truncated page carries the marker to go on with;
// an accepted UploadId is non-empty and bounded (it goes back in requests).
#include <cstddef>
#include <cstdint>

#include "sync/s3/s3_xml.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

template <typename T>
bool Refused(const Result<T>& r) {
  fuzz::Debug("s3 xml", r.status());
  if (r.ok()) return false;
  CAIRN_FUZZ_CHECK(r.error().IsInvalidArgument(), r.error().ToString());
  return true;
}

void CheckKey(const std::string& key) {
  CAIRN_FUZZ_CHECK(!key.empty() && key.size() <= kMaxS3KeyBytes,
                   "listed key of " + std::to_string(key.size()) + " bytes");
}

void Parse(int which, std::string_view xml) {
  switch (which) {
    case 0: {
      auto e = ParseS3ErrorXml(xml);
      if (Refused(e)) return;
      CAIRN_FUZZ_CHECK(e->http_status == 0, "ParseS3ErrorXml set an HTTP status");
      return;
    }
    case 1: {
      auto page = ParseListObjectsV2(xml);
      if (Refused(page)) return;
      for (const S3ListedObject& o : page->objects) CheckKey(o.key);
      CAIRN_FUZZ_CHECK(!page->truncated || !page->next_continuation_token.empty(),
                       "truncated page without a continuation token");
      return;
    }
    case 2: {
      auto page = ParseListObjectVersions(xml);
      if (Refused(page)) return;
      for (const S3ObjectVersion& v : page->versions) CheckKey(v.key);
      CAIRN_FUZZ_CHECK(!page->truncated || !page->next_key_marker.empty(),
                       "truncated versions page without a key marker");
      return;
    }
    case 3: {
      auto id = ParseInitiateMultipartUpload(xml);
      if (Refused(id)) return;
      CAIRN_FUZZ_CHECK(!id->empty() && id->size() <= 1024,
                       "UploadId of " + std::to_string(id->size()) + " bytes");
      return;
    }
    case 4: {
      auto done = ParseCompleteMultipartUpload(xml);
      if (Refused(done)) return;
      CAIRN_FUZZ_CHECK(!done->has_value() || !(*done)->code.empty(), "an <Error> without a code");
      return;
    }
    case 5: {
      Refused(ParseObjectLockConfiguration(xml));
      return;
    }
    case 6: {
      auto retention = ParseObjectRetention(xml);
      if (Refused(retention)) return;
      CAIRN_FUZZ_CHECK(!retention->mode.empty(), "a retention without a mode");
      return;
    }
  }
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  cairn::Parse(data[0] % 7, cairn::fuzz::AsText(data + 1, size - 1));
  return 0;
}
