// S3 XML parsing: well-formed answers as S3 and Ceph RGW write them, and
// malformed, hostile and oversized ones.
#include "sync/s3/s3_xml.h"

#include <catch2/catch.hpp>
#include <pugixml.hpp>
#include <string>

namespace cairn {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ListXml(const std::string& contents, const std::string& truncated = "false",
                    const std::string& token = "") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         R"(<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)"
         "<Name>replica</Name><Prefix>site-a/</Prefix><KeyCount>2</KeyCount>"
         "<MaxKeys>1000</MaxKeys><IsTruncated>" +
         truncated + "</IsTruncated>" +
         (token.empty() ? "" : "<NextContinuationToken>" + token + "</NextContinuationToken>") +
         contents + "</ListBucketResult>";
}

std::string Entry(const std::string& key, const std::string& size) {
  return "<Contents><Key>" + key +
         "</Key><LastModified>2026-11-24T05:15:00.000Z</LastModified>"
         "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>" +
         size + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

TEST_CASE("S3 XML: a ListObjectsV2 page gives its keys, sizes and continuation token",
          "[unit][s3]") {
  auto page = ParseListObjectsV2(
      ListXml(Entry("site-a/chunks/ab/ab01", "70000") + Entry("site-a/config", "300"), "true",
              "1/dGhlIHRva2Vu+=="));
  INFO(page.status().ToString());
  REQUIRE(page.ok());
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "site-a/chunks/ab/ab01");
  CHECK(page->objects[0].size == 70000);
  CHECK(page->objects[1].key == "site-a/config");
  CHECK(page->truncated);
  CHECK(page->next_continuation_token == "1/dGhlIHRva2Vu+==");

  auto last = ParseListObjectsV2(ListXml(""));
  REQUIRE(last.ok());
  CHECK(last->objects.empty());
  CHECK_FALSE(last->truncated);
  // Keys are XML text: entities are decoded.
  auto escaped = ParseListObjectsV2(ListXml(Entry("a&amp;b&lt;c", "1")));
  REQUIRE(escaped.ok());
  CHECK(escaped->objects[0].key == "a&b<c");
}

TEST_CASE("S3 XML: malformed listings are refused saying what is wrong", "[unit][s3]") {
  struct Case {
    std::string xml;
    std::string expected;
  };
  const std::string full = ListXml(Entry("k", "1"));
  const Case cases[] = {
      {"", "not XML"},
      {full.substr(0, full.size() - 10), "not XML"},
      {"<ListBucketResult><Contents><Key>k</Key>", "not XML"},
      {"this is not xml", "not XML"},
      {"<Error><Code>x</Code></Error>", "expected <ListBucketResult>, got <Error>"},
      {ListXml("", "true"), "without <NextContinuationToken>"},
      {ListXml("", "yes"), "<IsTruncated> is 'yes'"},
      {ListXml(Entry("k", "12x")), "<Size> is '12x', not a number"},
      {ListXml(Entry("k", "-1")), "not a number"},
      {ListXml(Entry("k", "")), "not a number"},
      {ListXml(Entry("k", "99999999999999999999999")), "not a number"},
      {ListXml(Entry("", "1")), "without <Key>"},
      {ListXml(Entry(std::string(1025, 'k'), "1")), "longer than S3's 1024"},
  };
  for (const Case& c : cases) {
    INFO(c.xml.substr(0, 200));
    auto page = ParseListObjectsV2(c.xml);
    REQUIRE_FALSE(page.ok());
    CHECK(page.error().IsInvalidArgument());
    CHECK(Contains(page.error().message(), c.expected));
  }
}

TEST_CASE("S3 XML: a document over the size limit is refused before it is parsed", "[unit][s3]") {
  std::string huge = ListXml("");
  huge.insert(huge.find("<Name>"), std::string(kMaxS3XmlBytes, ' '));
  auto page = ParseListObjectsV2(huge);
  REQUIRE_FALSE(page.ok());
  CHECK(Contains(page.error().message(), "over the " + std::to_string(kMaxS3XmlBytes)));
}

TEST_CASE("S3 XML: a DOCTYPE's entities are not expanded (no entity bombs)", "[unit][s3]") {
  const std::string bomb =
      "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\">"
      "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>&c;</Key><Size>1</Size></Contents></ListBucketResult>";
  auto page = ParseListObjectsV2(bomb);
  if (page.ok()) {
    REQUIRE(page->objects.size() == 1);
    CHECK(page->objects[0].key.size() < 10);  // "&c;" as text, never 800 a's
  } else {
    CHECK(page.error().IsInvalidArgument());
  }
}

TEST_CASE("S3 XML: error bodies give their code and message", "[unit][s3]") {
  auto e = ParseS3ErrorXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
      "<Message>The request signature we calculated does not match</Message>"
      "<RequestId>tx1</RequestId></Error>");
  REQUIRE(e.ok());
  CHECK(e->code == "SignatureDoesNotMatch");
  CHECK(e->message == "The request signature we calculated does not match");
  CHECK(e->http_status == 0);
  CHECK_FALSE(ParseS3ErrorXml("<Error><Message>m</Message></Error>").ok());
  CHECK_FALSE(ParseS3ErrorXml("<html>503</html>").ok());
}

TEST_CASE("S3 XML: versions and delete markers are listed in document order", "[unit][s3]") {
  auto page = ParseListObjectVersions(
      "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<IsTruncated>true</IsTruncated><NextKeyMarker>k</NextKeyMarker>"
      "<NextVersionIdMarker>v3</NextVersionIdMarker>"
      "<DeleteMarker><Key>k</Key><VersionId>v1</VersionId></DeleteMarker>"
      "<Version><Key>k</Key><VersionId>v2</VersionId><Size>5</Size></Version>"
      "<Version><Key>k2</Key><VersionId>null</VersionId></Version>"
      "</ListVersionsResult>");
  INFO(page.status().ToString());
  REQUIRE(page.ok());
  REQUIRE(page->versions.size() == 3);
  CHECK(page->versions[0].delete_marker);
  CHECK(page->versions[0].version_id == "v1");
  CHECK_FALSE(page->versions[1].delete_marker);
  CHECK(page->versions[2].key == "k2");
  CHECK(page->next_key_marker == "k");
  CHECK(page->next_version_id_marker == "v3");
  CHECK_FALSE(ParseListObjectVersions("<ListVersionsResult><Version><Key>k</Key></Version>"
                                      "</ListVersionsResult>")
                  .ok());
}

TEST_CASE("S3 XML: Object Lock configuration, retention and multipart answers", "[unit][s3]") {
  auto lock = ParseObjectLockConfiguration(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
      "<DefaultRetention><Mode>COMPLIANCE</Mode><Days>30</Days></DefaultRetention></Rule>"
      "</ObjectLockConfiguration>");
  REQUIRE(lock.ok());
  CHECK(lock->enabled);
  CHECK(lock->default_mode == "COMPLIANCE");
  CHECK(lock->default_days == 30);
  auto off = ParseObjectLockConfiguration("<ObjectLockConfiguration/>");
  REQUIRE(off.ok());
  CHECK_FALSE(off->enabled);

  auto retention = ParseObjectRetention(
      "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z"
      "</RetainUntilDate></Retention>");
  REQUIRE(retention.ok());
  CHECK(retention->mode == "COMPLIANCE");
  CHECK(retention->retain_until == "2030-01-01T00:00:00.000Z");
  CHECK(retention->retain_until_unix == 1'893'456'000);

  auto id = ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>2~abc</UploadId></InitiateMultipartUploadResult>");
  REQUIRE(id.ok());
  CHECK(*id == "2~abc");
  CHECK_FALSE(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").ok());

  auto done = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>");
  REQUIRE(done.ok());
  CHECK_FALSE(done->has_value());
  // S3 may answer 200 and put the failure in the body.
  auto failed = ParseCompleteMultipartUpload(
      "<Error><Code>InternalError</Code><Message>try again</Message></Error>");
  REQUIRE(failed.ok());
  REQUIRE(failed->has_value());
  CHECK((*failed)->code == "InternalError");
  CHECK_FALSE(ParseCompleteMultipartUpload("<Other/>").ok());
}

TEST_CASE("S3 XML: a retain-until date is read to the second, whatever fraction the server adds",
          "[unit][s3]") {
  auto at = [](const std::string& date) {
    return ParseObjectRetention("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>" + date +
                                "</RetainUntilDate></Retention>");
  };
  // S3 writes milliseconds, Ceph RGW 16 nanoseconds, a bare date is valid too.
  for (const char* date :
       {"2030-01-02T03:04:05Z", "2030-01-02T03:04:05.000Z", "2030-01-02T03:04:05.999999999Z"}) {
    INFO(date);
    auto r = at(date);
    REQUIRE(r.ok());
    CHECK(r->retain_until_unix == 1'893'553'445);
  }
  for (const char* bad : {"2030-01-02", "2030-01-02T03:04:05", "2030-01-02T03:04:05+01:00",
                          "2030-13-02T03:04:05Z", "2030-01-02T03:04:05.Zx", "soon"}) {
    INFO(bad);
    auto r = at(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("RetainUntilDate") != std::string::npos);
  }
  // Found by tests/fuzz/s3_xml_fuzz: years past 2262 overflowed the nanoseconds
  // of ParseUtc (signed overflow, UBSan); a server's date that far is refused.
  for (const char* far : {"6070-01-01T00:00:00.000Z", "2262-04-12T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    INFO(far);
    auto r = at(far);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("RetainUntilDate") != std::string::npos);
  }
  REQUIRE(at("2262-04-11T00:00:00Z").ok());
  // No date at all is not an error (S3 answers so for a version never retained).
  auto none = ParseObjectRetention("<Retention><Mode>COMPLIANCE</Mode></Retention>");
  REQUIRE(none.ok());
  CHECK(none->retain_until_unix == 0);
}

TEST_CASE("S3 XML: request bodies are well-formed with their values escaped", "[unit][s3]") {
  const std::string xml = CompleteMultipartUploadXml({{1, "\"etag-1\""}, {2, "\"a<b&c\""}});
  pugi::xml_document doc;
  REQUIRE(doc.load_string(xml.c_str()));
  auto parts = doc.child("CompleteMultipartUpload").children("Part");
  std::vector<std::pair<int, std::string>> seen;
  for (pugi::xml_node p : parts) {
    seen.emplace_back(p.child("PartNumber").text().as_int(), p.child("ETag").text().as_string());
  }
  CHECK(seen == std::vector<std::pair<int, std::string>>{{1, "\"etag-1\""}, {2, "\"a<b&c\""}});

  auto retention = ParseObjectRetention(RetentionXml("COMPLIANCE", "2030-01-02T03:04:05Z"));
  REQUIRE(retention.ok());
  CHECK(retention->mode == "COMPLIANCE");
  CHECK(retention->retain_until == "2030-01-02T03:04:05Z");

  CHECK(CreateBucketXml("us-east-1").empty());
  CHECK(Contains(CreateBucketXml("eu-central-1"),
                 "<LocationConstraint>eu-central-1</LocationConstraint>"));
}

}  // namespace
}  // namespace cairn
