#include "agent/resources/yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("JsonToYaml: strings that look like other things stay strings through a round trip",
          "[unit]") {
  json object = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", "tricky"}, {"labels", json::object()}, {"on", "off"}}},
      {"data",
       {{"yes", "yes"}, {"no", "No"}, {"octal", "0755"}, {"version", "1.10"}, {"null", "null"},
        {"tilde", "~"}, {"empty", ""}, {"bool", "true"}, {"int", "42"}, {"colon", "a: b"},
        {"dash", "- item"}, {"hash", "# not a comment"}, {"multi", "line 1\nline 2\n\ttab"},
        {"quote", "say \"hi\" 'there'"}, {"unicode", "grüße ✓"}, {"star", "*alias"},
        {"lead", " spaced "}, {"exp", "1e3"}}},
      {"numbers", {{"int", 3}, {"neg", -7}, {"float", 1.5}, {"big", 4294967296LL}}},
      {"flags", {{"t", true}, {"f", false}, {"nothing", nullptr}}},
      {"list", json::array({"a", 1, json::array(), json::object(), json::array({"0x1F"})})},
  };
  std::string yaml = JsonToYaml(object);
  CHECK(yaml.find("\"0755\"") != std::string::npos);
  CHECK(yaml.find("\"on\"") != std::string::npos);  // keys are quoted too
  Result<json> back = YamlToJson(yaml, "round trip");
  REQUIRE(back.ok());
  CHECK(*back == object);
  // Keys come out sorted.
  CHECK(yaml.find("\"apiVersion\"") < yaml.find("\"data\""));
  CHECK(yaml.find("\"data\"") < yaml.find("\"kind\""));

  // And yaml-cpp itself, reading the text independently, sees strings.
  YAML::Node node = YAML::Load(yaml);
  CHECK(node["data"]["yes"].Tag() == "!");
  CHECK(node["numbers"]["int"].Tag() == "?");
}

TEST_CASE("YamlToJson: plain scalars resolve as YAML 1.2 core types", "[unit]") {
  Result<json> j = YamlToJson("a: 1\nb: -2.5\nc: true\nd: ~\ne: hello\nf: '7'\ng: !!str 8\nh: .5\n",
                              "doc");
  REQUIRE(j.ok());
  CHECK(*j == json{{"a", 1}, {"b", -2.5}, {"c", true}, {"d", nullptr}, {"e", "hello"},
                   {"f", "7"}, {"g", "8"}, {"h", 0.5}});
  CHECK_FALSE(YamlToJson("a: [1, 2", "doc").ok());
  CHECK_FALSE(YamlToJson("? [a]\n: b\n", "doc").ok());  // a non-scalar key
  // An alias bomb is stopped by the node bound.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
    prev = c;
  }
  Result<json> exploded = YamlToJson(bomb, "bomb");
  REQUIRE_FALSE(exploded.ok());
  CHECK(exploded.error().message().find("nodes") != std::string::npos);
}

TEST_CASE("WriteYamlTree: one file per object in folders that sort in restore order", "[unit]") {
  TempDir tmp;
  json crd = {{"apiVersion", "apiextensions.k8s.io/v1"}, {"kind", "CustomResourceDefinition"},
              {"metadata", {{"name", "widgets.example.com"}}}};
  json pvc = {{"apiVersion", "v1"}, {"kind", "PersistentVolumeClaim"},
              {"metadata", {{"name", "data"}, {"namespace", "shop"}}}};
  std::vector<YamlTreeItem> items = {
      {0, "customresourcedefinitions.apiextensions.k8s.io", "", "widgets.example.com", &crd},
      {4, "persistentvolumeclaims", "shop", "data", &pvc},
  };
  std::filesystem::path dir = tmp.path() / "out";
  Result<std::size_t> n = WriteYamlTree(dir, items);
  REQUIRE(n.ok());
  CHECK(*n == 2);
  auto crd_file = dir / "00-customresourcedefinitions.apiextensions.k8s.io/widgets.example.com.yaml";
  auto pvc_file = dir / "04-persistentvolumeclaims/shop/data.yaml";
  REQUIRE(std::filesystem::exists(crd_file));
  REQUIRE(std::filesystem::exists(pvc_file));
  CHECK(*YamlToJson(ReadText(pvc_file), "pvc") == pvc);
  CHECK(ReadText(dir / "README.txt").find("kubectl apply -R -f") != std::string::npos);
  // Not into a folder that holds something already.
  CHECK(WriteYamlTree(dir, items).error().code() == Status::Code::kAlreadyExists);
  // Names that would leave the folder are refused.
  json evil = pvc;
  std::vector<YamlTreeItem> bad = {{4, "persistentvolumeclaims", "..", "data", &evil}};
  CHECK_FALSE(WriteYamlTree(tmp.path() / "bad", bad).ok());
}

}  // namespace
}  // namespace cairn::kube
