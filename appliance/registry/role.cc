#include "appliance/registry/role.h"

#include <string>

namespace cairn {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kAuditor:
      return "auditor";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kAuditor}) {
    if (name == RoleName(r)) return r;
  }
  return Status::InvalidArgument("unknown role \"" + std::string(name.substr(0, 64)) +
                                 "\": expected admin, operator or auditor");
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kRestore:
      return "restore";
    case Permission::kManageTokens:
      return "manage-tokens";
    case Permission::kManageAgents:
      return "manage-agents";
    case Permission::kManageApiTokens:
      return "manage-api-tokens";
    case Permission::kWriteConfig:
      return "write-config";
    case Permission::kManageSchedules:
      return "manage-schedules";
    case Permission::kManagePeers:
      return "manage-peers";
    case Permission::kReadReplicas:
      return "read-replicas";
  }
  return "unknown";
}

bool RoleAllows(Role role, Permission permission) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kOperator:
      switch (permission) {
        case Permission::kRead:
        case Permission::kRestore:
        case Permission::kManageTokens:
        case Permission::kManageAgents:
        case Permission::kManageSchedules:
          return true;
        case Permission::kManageApiTokens:
        case Permission::kWriteConfig:
        case Permission::kManagePeers:
        case Permission::kReadReplicas:
          return false;
      }
      return false;
    case Role::kAuditor:
      return permission == Permission::kRead;
  }
  // An out-of-range enum value (a cast gone wrong) grants nothing.
  return false;
}

}  // namespace cairn
