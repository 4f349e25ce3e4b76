#include "appliance/daemon/first_boot.h"

#include "appliance/daemon/pki_files.h"
#include "core/pki/certificate_authority.h"
#include "appliance/registry/registry.h"
#include "core/base/host_name.h"
#include "core/store/store.h"

namespace cairn {
namespace {

constexpr std::chrono::seconds kCaValidity{20LL * 365 * 24 * 3600};
constexpr std::chrono::seconds kServerCertValidity{5LL * 365 * 24 * 3600};

bool LooksLikeIp(const std::string& s) {
  return s.find_first_not_of("0123456789.") == std::string::npos ||
         s.find(':') != std::string::npos;
}

}  // namespace

Result<FirstBootReport> InitAppliance(const ApplianceConfig& config,
                                      const FirstBootOptions& options) {
  std::error_code ec;
  KeySource key;
  key.key_file = config.key_file;
  const bool store_exists = std::filesystem::exists(config.store_dir / "config", ec);
  if (store_exists && !options.adopt_store) {
    return Status::AlreadyExists("appliance already initialised: a store exists at " +
                                 config.store_dir.string() +
                                 " (nothing was changed; to make this appliance around a store "
                                 "re-seeded from a replica, run init --adopt-store)");
  }
  if (PkiExists(config.pki_dir)) {
    return Status::AlreadyExists("appliance already initialised: a CA exists in " +
                                 config.pki_dir.string() + " (nothing was changed)");
  }
  if (store_exists) {
    // Adopted only once its key file has proved to open it, before anything
    // is created.
    auto adopted = Store::Open(DefaultFileSystem(), config.store_dir, key);
    if (!adopted.ok()) {
      return adopted.error().WithContext("adopt the store at " + config.store_dir.string() +
                                         " (nothing was changed)");
    }
  } else {
    std::filesystem::create_directories(config.key_file.parent_path(), ec);
    CAIRN_RETURN_IF_ERROR(
        Store::Init(DefaultFileSystem(), config.store_dir, config.key_file, StoreOptions{}));
  }

  const std::string host = LocalHostName();
  CAIRN_ASSIGN_OR_RETURN(pki::CaMaterial ca, pki::CreateCertificateAuthority(
                                                 std::string("Cairn appliance CA ") + host,
                                                 kCaValidity));
  CAIRN_ASSIGN_OR_RETURN(pki::CertificateAuthority authority,
                         pki::CertificateAuthority::Load(ca.cert_pem, ca.key_pem));
  std::vector<std::string> dns = {"localhost"}, ips = {"127.0.0.1"};
  if (!host.empty()) dns.push_back(host);
  for (const std::string& name : config.server_names) {
    (LooksLikeIp(name) ? ips : dns).push_back(name);
  }
  for (const ListenerConfig* l : {&config.ingest, &config.admin}) {
    if (l->address != "0.0.0.0" && l->address != "::" && l->address != "127.0.0.1") {
      ips.push_back(l->address);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(pki::IssuedCertificate server,
                         authority.IssueServerCertificate(host.empty() ? "cairn-appliance" : host, dns,
                                                          ips, kServerCertValidity));
  CAIRN_RETURN_IF_ERROR(WritePki(config.pki_dir, PkiMaterial{ca.cert_pem, ca.key_pem,
                                                             server.cert_pem + ca.cert_pem,
                                                             server.key_pem}));

  // Open the store once: creates and migrates the catalog the registry uses.
  CAIRN_ASSIGN_OR_RETURN(auto store, Store::Open(DefaultFileSystem(), config.store_dir, key));
  CAIRN_ASSIGN_OR_RETURN(auto registry, Registry::Open(store->catalog().path(), DefaultClock()));
  CAIRN_ASSIGN_OR_RETURN(auto token, registry->CreateApiToken("bootstrap admin", Role::kAdmin));
  CAIRN_RETURN_IF_ERROR(registry->Audit("local:init",
                                        store_exists ? "appliance.init.adopt_store" : "appliance.init",
                                        config.state_dir.string(), "ok",
                                        {{"admin_token_id", token.first.id}}));
  FirstBootReport report;
  report.admin_token = token.second;
  report.ca_sha256_hex = authority.sha256_hex();
  report.store_id = store->config().StoreIdHex();
  report.adopted_store = store_exists;
  return report;
}

}  // namespace cairn
