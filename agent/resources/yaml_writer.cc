#include "agent/resources/yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <system_error>

namespace cairn::kube {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void Emit(YAML::Emitter& out, const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      // nlohmann's object is a std::map: iteration is already key-sorted.
      for (auto it = v.begin(); it != v.end(); ++it) {
        out << YAML::Key << YAML::DoubleQuoted << it.key() << YAML::Value;
        Emit(out, it.value());
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const json& e : v) Emit(out, e);
      out << YAML::EndSeq;
      break;
    case json::value_t::string:
      out << YAML::DoubleQuoted << v.get_ref<const std::string&>();
      break;
    case json::value_t::boolean:
      out << (v.get<bool>() ? "true" : "false");
      break;
    case json::value_t::null:
    case json::value_t::discarded:
      out << YAML::Null;
      break;
    default:  // numbers: JSON's own text, which YAML reads as the same number
      out << v.dump();
      break;
  }
}

struct Converter {
  std::size_t nodes = 0;
  std::string what;

  static bool IsNull(const std::string& s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
  }

  Result<json> Scalar(const YAML::Node& node) {
    const std::string& s = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(s);
    if (IsNull(s)) return json(nullptr);
    if (s == "true" || s == "True" || s == "TRUE") return json(true);
    if (s == "false" || s == "False" || s == "FALSE") return json(false);
    static const std::regex kInt("[-+]?[0-9]+");
    static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, kInt)) {
      json n = json::parse(s[0] == '+' ? s.substr(1) : s, nullptr, false);
      if (!n.is_discarded()) return n;
    }
    if (std::regex_match(s, kFloat)) {
      std::string t = s[0] == '+' ? s.substr(1) : s;
      if (t[0] == '.') t = "0" + t;
      if (t.size() > 1 && t[0] == '-' && t[1] == '.') t = "-0" + t.substr(1);
      if (!t.empty() && t.back() == '.') t += "0";
      auto dot_e = t.find(".e");
      if (dot_e == std::string::npos) dot_e = t.find(".E");
      if (dot_e != std::string::npos) t.insert(dot_e + 1, "0");
      json n = json::parse(t, nullptr, false);
      if (!n.is_discarded()) return n;
    }
    return json(s);  // anything else plain is a string (also .inf/.nan: JSON has none)
  }

  Result<json> Convert(const YAML::Node& node, int depth) {
    if (++nodes > kMaxYamlNodes) {
      return Status::InvalidArgument(what + ": more than " + std::to_string(kMaxYamlNodes) +
                                     " YAML nodes (aliases expanding?)");
    }
    if (depth > kMaxYamlDepth) {
      return Status::InvalidArgument(what + ": nested deeper than " +
                                     std::to_string(kMaxYamlDepth) + " levels");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return Scalar(node);
      case YAML::NodeType::Sequence: {
        json arr = json::array();
        for (const YAML::Node& e : node) {
          CAIRN_ASSIGN_OR_RETURN(json v, Convert(e, depth + 1));
          arr.push_back(std::move(v));
        }
        return arr;
      }
      case YAML::NodeType::Map: {
        json obj = json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return Status::InvalidArgument(what + ": line " + std::to_string(kv.first.Mark().line + 1) +
                                           ": a mapping key must be a plain string");
          }
          CAIRN_ASSIGN_OR_RETURN(json v, Convert(kv.second, depth + 1));
          obj[kv.first.Scalar()] = std::move(v);
        }
        return obj;
      }
    }
    return json(nullptr);
  }
};

bool SafeSegment(const std::string& s) {
  return !s.empty() && s != "." && s != ".." && s.size() <= 253 &&
         s.find('/') == std::string::npos && s.find('\0') == std::string::npos;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return Status::IoError("write " + path.string() + ": failed (disk full?)");
  return Status::Ok();
}

constexpr char kReadme[] =
    "Kubernetes objects restored by cairn-agent restore-resources --to-dir.\n"
    "\n"
    "One object per file, in folders whose names sort in restore order. Owner\n"
    "references were removed (their uids belong to the old cluster); controllers\n"
    "adopt their objects again. Apply the CustomResourceDefinitions first, wait\n"
    "until they are established, then everything:\n"
    "\n"
    "  kubectl apply -R -f 00-customresourcedefinitions.apiextensions.k8s.io\n"
    "  kubectl wait --for condition=established --timeout=60s crd --all\n"
    "  kubectl apply -R -f .\n"
    "\n"
    "(there is no CRD folder when the restore held no CRDs; kubectl applies the\n"
    "folders in name order, so namespaces and storage come before workloads).\n";

}  // namespace

std::string JsonToYaml(const json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(out, value);
  std::string text = out.c_str();
  text.push_back('\n');
  return text;
}

Result<json> YamlToJson(std::string_view text, std::string_view what) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": not valid YAML: line " +
                                   std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  Converter c;
  c.what = std::string(what);
  try {
    return c.Convert(root, 0);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(what) + ": " + e.msg);
  }
}

Result<std::size_t> WriteYamlTree(const fs::path& dir, const std::vector<YamlTreeItem>& items) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return Status::AlreadyExists(dir.string() +
                                 " is not empty: --to-dir needs a new or empty folder, so no "
                                 "stale file is applied with the restored ones");
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "create " + dir.string());
  std::set<fs::path> made;
  std::size_t written = 0;
  for (const YamlTreeItem& item : items) {
    if (!SafeSegment(item.name) || (!item.ns.empty() && !SafeSegment(item.ns)) ||
        !SafeSegment(item.resource) || item.object == nullptr) {
      return Status::InvalidArgument("--to-dir: " + item.resource + " \"" + item.ns + "/" +
                                     item.name + "\" is not a usable file name");
    }
    char prefix[16];
    std::snprintf(prefix, sizeof(prefix), "%02d-", item.rank);
    fs::path folder = dir / (prefix + item.resource);
    if (!item.ns.empty()) folder /= item.ns;
    if (made.insert(folder).second) {
      fs::create_directories(folder, ec);
      if (ec) return Status::FromErrno(ec.value(), "create " + folder.string());
    }
    fs::path file = folder / (item.name + ".yaml");
    if (fs::exists(file, ec)) {
      return Status::AlreadyExists("--to-dir: two objects map to " + file.string() +
                                   " (a namespace mapping joined two namespaces?)");
    }
    CAIRN_RETURN_IF_ERROR(WriteText(file, JsonToYaml(*item.object)));
    ++written;
  }
  CAIRN_RETURN_IF_ERROR(WriteText(dir / "README.txt", kReadme));
  return written;
}

}  // namespace cairn::kube
