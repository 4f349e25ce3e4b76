// LabelSelector: a table of selectors matched against label sets, and a
// table of malformed selectors with what their refusal must say.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/kube/label_selector.h"

namespace cairn::kube {
namespace {

using Labels = std::map<std::string, std::string>;

TEST_CASE("LabelSelector: parses every operator and matches as Kubernetes does", "[unit]") {
  const Labels web{{"app", "web"}, {"tier", "frontend"}, {"env", "prod"}, {"release", ""}};
  const Labels db{{"app", "db"}, {"env", "dev"}, {"canary", "true"},
                  {"app.kubernetes.io/name", "postgres"}};
  const Labels none;
  struct Case {
    const char* selector;
    bool web, db, none;
  };
  const Case cases[] = {
      {"", true, true, true},
      {"   ", true, true, true},
      {"app=web", true, false, false},
      {"app==web", true, false, false},
      {"app = web", true, false, false},
      {"app!=web", false, true, true},  // a missing label is "not equal"
      {"app=web,env=prod", true, false, false},
      {"app=web,env=dev", false, false, false},
      {"env in (prod, staging)", true, false, false},
      {"env in (prod,dev)", true, true, false},
      {"env notin (dev)", true, false, true},
      {"canary", false, true, false},
      {"!canary", true, false, true},
      {"release", true, false, false},
      {"release=", true, false, false},  // an empty value
      {"app.kubernetes.io/name=postgres", false, true, false},
      {"app.kubernetes.io/name in (postgres,mysql),env!=prod", false, true, false},
      {"tier in (frontend, )", true, false, false},
      {"app=web, !canary, env in (prod), tier notin (cache,queue)", true, false, false},
      {"A_b.c-D=Value_1.x-Y", false, false, false},
  };
  for (const Case& c : cases) {
    INFO("selector: " << c.selector);
    auto s = LabelSelector::Parse(c.selector);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    CHECK(s->Matches(web) == c.web);
    CHECK(s->Matches(db) == c.db);
    CHECK(s->Matches(none) == c.none);
    CHECK(s->text() == c.selector);
  }
  CHECK(LabelSelector::Parse("")->empty());
  CHECK_FALSE(LabelSelector::Parse("a")->empty());
}

TEST_CASE("LabelSelector: matches an object's metadata.labels, missing labels as none", "[unit]") {
  auto s = LabelSelector::Parse("app=web,!canary");
  REQUIRE(s.ok());
  CHECK(s->Matches(nlohmann::json{{"metadata", {{"labels", {{"app", "web"}}}}}}));
  CHECK_FALSE(s->Matches(nlohmann::json{{"metadata", {{"labels", {{"app", "web"}, {"canary", "1"}}}}}}));
  CHECK_FALSE(s->Matches(nlohmann::json{{"metadata", {{"name", "x"}}}}));
  CHECK_FALSE(s->Matches(nlohmann::json{{"metadata", {{"labels", {{"app", 7}}}}}}));
  CHECK_FALSE(s->Matches(nlohmann::json("not an object")));
  auto not_canary = LabelSelector::Parse("!canary");
  REQUIRE(not_canary.ok());
  CHECK(not_canary->Matches(nlohmann::json{{"kind", "Pod"}}));
}

TEST_CASE("LabelSelector: malformed selectors are refused saying what is wrong", "[unit]") {
  struct Case {
    const char* selector;
    const char* says;
  };
  const std::string long_value(64, 'a');
  const std::string long_name = "x=" + std::string(63, 'a');  // a 63-character value is fine
  REQUIRE(LabelSelector::Parse(long_name).ok());
  const std::string too_long = "x=" + long_value;
  const std::string long_key = std::string(64, 'k') + "=v";
  const Case cases[] = {
      {"app=web,", "',' ends"},
      {",app=web", "expected a key"},
      {"app=web tier=x", "expected ','"},
      {"=web", "expected a key"},
      {"app in prod", "must be followed by '('"},
      {"app in ()", "is empty"},
      {"app in (a b)", "expected ',' or ')'"},
      {"app in (a", "expected ',' or ')'"},
      {"app notin", "must be followed by '('"},
      {"!", "'!' must be followed by a key"},
      {"!app=web", "expected ','"},
      {"app=web=x", "expected ','"},
      {"app=we$b", "the value \"we$b\""},
      {"app=-web", "the value \"-web\""},
      {too_long.c_str(), "at most 63 characters"},
      {long_key.c_str(), "1 to 63 characters"},
      {"-app=web", "the key \"-app\" is invalid"},
      {"Example.com/app=web", "must be a DNS subdomain"},
      {"example..com/app=web", "must be a DNS subdomain"},
      {"example.com/=web", "its name \"\""},
      {"a/b/c=x", "its name \"b/c\""},
      {"replicas>2", "'>' is not supported"},
      {"app is web", "expected =, ==, !=, in or notin"},
  };
  for (const Case& c : cases) {
    INFO("selector: " << c.selector);
    auto s = LabelSelector::Parse(c.selector);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().IsInvalidArgument());
    CHECK_THAT(s.error().message(), Catch::Contains(c.says) &&
                                        Catch::StartsWith(std::string("label selector \"") + c.selector));
  }
}

}  // namespace
}  // namespace cairn::kube
