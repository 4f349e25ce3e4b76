#include "appliance/registry/role.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

namespace cairn {
namespace {

TEST_CASE("Roles: the permission table is exactly the documented one", "[unit][registry]") {
  const Permission all[] = {
      Permission::kRead,         Permission::kRestore,         Permission::kManageTokens,
      Permission::kManageAgents, Permission::kManageApiTokens, Permission::kWriteConfig,
      Permission::kManageSchedules, Permission::kManagePeers,   Permission::kReadReplicas};
  // role -> the permissions it has (role.h's table, written out again).
  const std::map<Role, std::set<Permission>> expected = {
      {Role::kAdmin,
       {Permission::kRead, Permission::kRestore, Permission::kManageTokens,
        Permission::kManageAgents, Permission::kManageApiTokens, Permission::kWriteConfig,
        Permission::kManageSchedules, Permission::kManagePeers, Permission::kReadReplicas}},
      {Role::kOperator,
       {Permission::kRead, Permission::kRestore, Permission::kManageTokens,
        Permission::kManageAgents, Permission::kManageSchedules}},
      {Role::kAuditor, {Permission::kRead}},
  };
  for (const auto& [role, allowed] : expected) {
    for (Permission p : all) {
      INFO(RoleName(role) << " / " << PermissionName(p));
      CHECK(RoleAllows(role, p) == (allowed.count(p) == 1));
    }
  }
  // An out-of-range value (a bad cast) grants nothing.
  CHECK_FALSE(RoleAllows(static_cast<Role>(42), Permission::kRead));
}

TEST_CASE("Roles: names round trip and an unknown name lists the valid ones", "[unit][registry]") {
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kAuditor}) {
    auto parsed = ParseRole(RoleName(r));
    REQUIRE(parsed.ok());
    CHECK(*parsed == r);
  }
  CHECK(RoleName(Role::kAdmin) == "admin");
  CHECK(RoleName(Role::kOperator) == "operator");
  CHECK(RoleName(Role::kAuditor) == "auditor");
  for (const char* bad : {"Admin", "root", "", "auditor "}) {
    auto parsed = ParseRole(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().IsInvalidArgument());
    CHECK(parsed.error().message().find("expected admin, operator or auditor") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace cairn
