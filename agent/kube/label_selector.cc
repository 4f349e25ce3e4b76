#include "agent/kube/label_selector.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace cairn::kube {
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A label name or value: at most 63 characters of [A-Za-z0-9._-], starting
// and ending with an alphanumeric. (Values may also be empty; names not.)
bool IsLabelToken(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A DNS-1123 subdomain (the optional "example.com/" prefix of a key):
// lowercase labels of [a-z0-9-], each starting and ending alphanumeric,
// joined by '.', at most 253 characters.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
    for (char c : label) {
      if (!lower_alnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Why `key` is not a qualified name ("" when it is one).
std::string KeyProblem(std::string_view key) {
  std::string_view name = key;
  if (std::size_t slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!IsDnsSubdomain(prefix)) {
      return "its prefix \"" + std::string(prefix) +
             "\" must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 "
             "characters)";
    }
  }
  if (!IsLabelToken(name)) {
    return "its name \"" + std::string(name) +
           "\" must be 1 to 63 characters of letters, digits, '-', '_' or '.', starting and "
           "ending with a letter or digit";
  }
  return "";
}

enum class Tok { kIdent, kEquals, kDoubleEquals, kNotEquals, kNot, kOpen, kClose, kComma, kEnd };

struct Token {
  Tok kind;
  std::string text;
};

// Splits selector text into tokens. '<' and '>' (the numeric comparisons of
// node selectors) are not supported and come out as an error.
Result<std::vector<Token>> Lex(std::string_view s, const std::string& where) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto special = [](char c) {
    return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>' ||
           std::isspace(static_cast<unsigned char>(c));
  };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kNotEquals, "!="});
      i += 2;
    } else if (c == '!') {
      out.push_back({Tok::kNot, "!"});
      ++i;
    } else if (c == '=' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kDoubleEquals, "=="});
      i += 2;
    } else if (c == '=') {
      out.push_back({Tok::kEquals, "="});
      ++i;
    } else if (c == ',') {
      out.push_back({Tok::kComma, ","});
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::kOpen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::kClose, ")"});
      ++i;
    } else if (c == '<' || c == '>') {
      return Status::InvalidArgument(where + ": the operator '" + std::string(1, c) +
                                     "' is not supported; use =, ==, !=, in, notin, key or !key");
    } else {
      std::size_t start = i;
      while (i < s.size() && !special(s[i])) ++i;
      out.push_back({Tok::kIdent, std::string(s.substr(start, i - start))});
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(const std::string& text) {
  const std::string where = "label selector \"" + text + "\"";
  constexpr std::size_t kMaxSelectorBytes = 64 << 10;
  if (text.size() > kMaxSelectorBytes) {
    return Status::InvalidArgument("label selector of " + std::to_string(text.size()) +
                                   " bytes is too long (at most 64 KiB)");
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(text, where));
  LabelSelector out;
  out.text_ = text;
  std::size_t pos = 0;
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument(where + ": " + why +
                                   " (expected requirements such as app=web, tier!=cache, "
                                   "env in (a,b), env notin (c), release, !canary, joined by ',')");
  };
  auto check_value = [&](const std::string& key, const std::string& value) -> Status {
    if (value.empty() || IsLabelToken(value)) return Status::Ok();
    return fail("the value \"" + value + "\" of " + key +
                " must be at most 63 characters of letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit");
  };

  while (tokens[pos].kind != Tok::kEnd) {
    Requirement req;
    if (tokens[pos].kind == Tok::kNot) {
      ++pos;
      if (tokens[pos].kind != Tok::kIdent) return fail("'!' must be followed by a key");
      req.key = tokens[pos++].text;
      req.op = Op::kNotExists;
    } else if (tokens[pos].kind == Tok::kIdent) {
      req.key = tokens[pos++].text;
      const Token& op = tokens[pos];
      if (op.kind == Tok::kEnd || op.kind == Tok::kComma) {
        req.op = Op::kExists;
      } else if (op.kind == Tok::kEquals || op.kind == Tok::kDoubleEquals ||
                 op.kind == Tok::kNotEquals) {
        req.op = op.kind == Tok::kNotEquals ? Op::kNotEquals : Op::kEquals;
        ++pos;
        std::string value;  // "app=" selects an empty value
        if (tokens[pos].kind == Tok::kIdent) value = tokens[pos++].text;
        CAIRN_RETURN_IF_ERROR(check_value(req.key, value));
        req.values.push_back(std::move(value));
      } else if (op.kind == Tok::kIdent && (op.text == "in" || op.text == "notin")) {
        req.op = op.text == "in" ? Op::kIn : Op::kNotIn;
        ++pos;
        if (tokens[pos].kind != Tok::kOpen) return fail("'" + op.text + "' must be followed by '('");
        ++pos;
        if (tokens[pos].kind == Tok::kClose) {
          return fail("the set of values after '" + op.text + "' is empty");
        }
        for (;;) {
          std::string value;
          if (tokens[pos].kind == Tok::kIdent) value = tokens[pos++].text;
          CAIRN_RETURN_IF_ERROR(check_value(req.key, value));
          req.values.push_back(std::move(value));
          if (tokens[pos].kind == Tok::kClose) break;
          if (tokens[pos].kind != Tok::kComma) {
            return fail("expected ',' or ')' in the values of " + req.key);
          }
          ++pos;
        }
        ++pos;  // ')'
      } else {
        return fail("expected =, ==, !=, in or notin after the key " + req.key + ", found \"" +
                    op.text + "\"");
      }
    } else {
      return fail("expected a key, found \"" + tokens[pos].text + "\"");
    }
    if (std::string problem = KeyProblem(req.key); !problem.empty()) {
      return fail("the key \"" + req.key + "\" is invalid: " + problem);
    }
    out.requirements_.push_back(std::move(req));
    if (tokens[pos].kind == Tok::kComma) {
      ++pos;
      if (tokens[pos].kind == Tok::kEnd) return fail("a ',' ends the selector");
    } else if (tokens[pos].kind != Tok::kEnd) {
      return fail("expected ',' between requirements, found \"" + tokens[pos].text + "\"");
    }
  }
  return out;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& req : requirements_) {
    auto it = labels.find(req.key);
    const bool has = it != labels.end();
    const bool in_set =
        has && std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
    bool ok = false;
    switch (req.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = in_set;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !in_set;  // as Kubernetes: a missing label is "not equal"
        break;
      case Op::kExists:
        ok = has;
        break;
      case Op::kNotExists:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

bool LabelSelector::Matches(const nlohmann::json& object) const {
  std::map<std::string, std::string> labels;
  if (object.is_object()) {
    auto meta = object.find("metadata");
    if (meta != object.end() && meta->is_object()) {
      auto l = meta->find("labels");
      if (l != meta->end() && l->is_object()) {
        for (auto it = l->begin(); it != l->end(); ++it) {
          if (it.value().is_string()) labels.emplace(it.key(), it.value().get<std::string>());
        }
      }
    }
  }
  return Matches(labels);
}

}  // namespace cairn::kube
