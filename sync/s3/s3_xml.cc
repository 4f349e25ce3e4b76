#include "sync/s3/s3_xml.h"

#include <charconv>
#include <pugixml.hpp>

#include "core/base/utc_time.h"

namespace cairn {
namespace {

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("malformed S3 answer: " + std::string(what));
}

// Parses `xml` into `doc` and checks the root element's name.
Status Load(pugi::xml_document& doc, std::string_view xml, std::string_view root_name,
            pugi::xml_node* root) {
  if (xml.size() > kMaxS3XmlBytes) {
    return Malformed("XML document of " + std::to_string(xml.size()) + " bytes, over the " +
                     std::to_string(kMaxS3XmlBytes) + "-byte limit");
  }
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return Malformed(std::string("not XML (") + parsed.description() + " at byte " +
                     std::to_string(parsed.offset) + ")");
  }
  *root = doc.document_element();
  if (root_name != root->name()) {
    return Malformed("expected <" + std::string(root_name) + ">, got <" +
                     SanitizeServerText(root->name(), 64) + ">");
  }
  return Status::Ok();
}

std::string Text(const pugi::xml_node& parent, const char* name) {
  return parent.child(name).text().as_string();
}

Result<bool> Flag(const pugi::xml_node& parent, const char* name) {
  const std::string v = Text(parent, name);
  if (v.empty() || v == "false") return false;
  if (v == "true") return true;
  return Malformed("<" + std::string(name) + "> is '" + SanitizeServerText(v, 16) +
                   "', not true or false");
}

// <IsTruncated>, and the marker a truncated page must carry to go on.
Result<bool> Truncated(const pugi::xml_node& root, const char* marker, std::string* value) {
  CAIRN_ASSIGN_OR_RETURN(bool truncated, Flag(root, "IsTruncated"));
  *value = Text(root, marker);
  if (truncated && value->empty()) {
    return Malformed("a truncated listing without <" + std::string(marker) + ">");
  }
  return truncated;
}

Result<std::uint64_t> Number(const pugi::xml_node& parent, const char* name) {
  const std::string v = Text(parent, name);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) {
    return Malformed("<" + std::string(name) + "> is '" + SanitizeServerText(v, 32) +
                     "', not a number");
  }
  return n;
}

Result<std::string> Key(const pugi::xml_node& parent) {
  std::string key = Text(parent, "Key");
  if (key.empty()) return Malformed("an entry without <Key>");
  if (key.size() > kMaxS3KeyBytes) {
    return Malformed("a key of " + std::to_string(key.size()) + " bytes, longer than S3's " +
                     std::to_string(kMaxS3KeyBytes));
  }
  return key;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// "2030-01-01T00:00:00Z", with the fraction servers add
// ("...:00.000Z" from S3, "...:00.000000000Z" from Ceph RGW) -> unix seconds.
Result<std::int64_t> ParseRetainUntil(std::string_view text) {
  constexpr std::size_t kSeconds = 19;  // "YYYY-MM-DDTHH:MM:SS"
  std::size_t end = kSeconds;
  if (text.size() > end && text[end] == '.') {
    ++end;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  }
  if (text.size() < kSeconds || end + 1 != text.size() || text[end] != 'Z') {
    return Malformed("<RetainUntilDate> '" + SanitizeServerText(text, 64) +
                     "' is not YYYY-MM-DDTHH:MM:SS[.fraction]Z");
  }
  auto ns = ParseUtc(std::string(text.substr(0, kSeconds)) + "Z");
  if (!ns.ok()) {
    return Malformed("<RetainUntilDate> '" + SanitizeServerText(text, 64) + "' is not a date");
  }
  return *ns / kNanosPerSecond;
}

}  // namespace

Result<S3Error> ParseS3ErrorXml(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "Error", &root));
  S3Error e;
  e.code = Text(root, "Code");
  e.message = Text(root, "Message");
  e.region = Text(root, "Region");
  if (e.code.empty()) return Malformed("<Error> without <Code>");
  return e;
}

Result<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "ListBucketResult", &root));
  S3ListPage page;
  CAIRN_ASSIGN_OR_RETURN(page.truncated,
                         Truncated(root, "NextContinuationToken", &page.next_continuation_token));
  for (pugi::xml_node entry : root.children("Contents")) {
    S3ListedObject object;
    CAIRN_ASSIGN_OR_RETURN(object.key, Key(entry));
    CAIRN_ASSIGN_OR_RETURN(object.size, Number(entry, "Size"));
    page.objects.push_back(std::move(object));
  }
  return page;
}

Result<S3VersionsPage> ParseListObjectVersions(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "ListVersionsResult", &root));
  S3VersionsPage page;
  CAIRN_ASSIGN_OR_RETURN(page.truncated, Truncated(root, "NextKeyMarker", &page.next_key_marker));
  page.next_version_id_marker = Text(root, "NextVersionIdMarker");
  for (pugi::xml_node entry : root.children()) {
    const std::string_view name = entry.name();
    if (name != "Version" && name != "DeleteMarker") continue;
    S3ObjectVersion v;
    CAIRN_ASSIGN_OR_RETURN(v.key, Key(entry));
    v.version_id = Text(entry, "VersionId");
    v.delete_marker = name == "DeleteMarker";
    if (v.version_id.empty()) return Malformed("a version without <VersionId>");
    page.versions.push_back(std::move(v));
  }
  return page;
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "InitiateMultipartUploadResult", &root));
  std::string id = Text(root, "UploadId");
  if (id.empty() || id.size() > 1024) return Malformed("missing or oversized <UploadId>");
  return id;
}

Result<S3ObjectLockConfig> ParseObjectLockConfiguration(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "ObjectLockConfiguration", &root));
  S3ObjectLockConfig c;
  c.enabled = Text(root, "ObjectLockEnabled") == "Enabled";
  const pugi::xml_node retention = root.child("Rule").child("DefaultRetention");
  if (retention) {
    c.default_mode = Text(retention, "Mode");
    c.default_days = retention.child("Days").text().as_int();
    c.default_years = retention.child("Years").text().as_int();
  }
  return c;
}

Result<S3Retention> ParseObjectRetention(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  CAIRN_RETURN_IF_ERROR(Load(doc, xml, "Retention", &root));
  S3Retention r;
  r.mode = Text(root, "Mode");
  r.retain_until = Text(root, "RetainUntilDate");
  if (r.mode.empty()) return Malformed("<Retention> without <Mode>");
  if (!r.retain_until.empty()) {
    CAIRN_ASSIGN_OR_RETURN(r.retain_until_unix, ParseRetainUntil(r.retain_until));
  }
  return r;
}

Result<std::optional<S3Error>> ParseCompleteMultipartUpload(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node root;
  Status as_result = Load(doc, xml, "CompleteMultipartUploadResult", &root);
  if (as_result.ok()) return std::optional<S3Error>();
  if (root && std::string_view(root.name()) == "Error") {
    CAIRN_ASSIGN_OR_RETURN(S3Error e, ParseS3ErrorXml(xml));
    return std::optional<S3Error>(std::move(e));
  }
  return as_result;
}

std::string CompleteMultipartUploadXml(const std::vector<S3CompletedPart>& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"" + std::string(kXmlns) + "\">";
  for (const S3CompletedPart& p : parts) {
    out += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>" +
           Escape(p.etag) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string RetentionXml(std::string_view mode, std::string_view retain_until) {
  return "<Retention xmlns=\"" + std::string(kXmlns) + "\"><Mode>" + Escape(mode) +
         "</Mode><RetainUntilDate>" + Escape(retain_until) + "</RetainUntilDate></Retention>";
}

std::string CreateBucketXml(std::string_view region) {
  if (region.empty() || region == "us-east-1") return "";
  return "<CreateBucketConfiguration xmlns=\"" + std::string(kXmlns) + "\"><LocationConstraint>" +
         Escape(region) + "</LocationConstraint></CreateBucketConfiguration>";
}

}  // namespace cairn
