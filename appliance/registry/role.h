// Roles of admin API tokens and what each may do.
//
// The admin API checks RoleAllows(token's role, permission of the request)
// before it runs a handler; a refusal is written to the audit log like any
// change. The table is fixed in code, not configurable: three roles are
// easier to reason about (and to audit) than a policy language.
//
//   permission        admin  operator  auditor
//   kRead               x       x         x     list, status, audit log, metrics
//   kRestore            x       x               start restores and drills
//   kManageTokens       x       x               create/list enrollment tokens
//   kManageAgents       x       x               revoke agents
//   kManageApiTokens    x                       create/list/revoke API tokens
//   kManageSchedules    x       x               set/remove backup schedules
//   kWriteConfig        x                       retention, targets, settings
//   kManagePeers        x                       pairing tokens, revoke replication peers
//   kReadReplicas       x                       read what peers replicated here (recovery)
//
// Only an admin can mint API tokens, so no token can create one with more
// rights than its own.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "core/base/status.h"

namespace cairn {

enum class Role { kAdmin, kOperator, kAuditor };

enum class Permission {
  kRead,             // list, status, audit log
  kRestore,          // restores and drills
  kManageTokens,     // enrollment tokens
  kManageAgents,     // revoke agents
  kManageApiTokens,  // API tokens
  kWriteConfig,      // appliance settings, retention, targets
  kManageSchedules,  // backup schedules (the operator's daily work, as tokens are)
  // Which appliances may replicate into this one: pairing tokens, revoking
  // peers. Admin only: a peer can fill the disk, unlike an agent it is not
  // scoped to one cluster.
  kManagePeers,
  // Reading the replicas peers pushed here (ciphertext; for recovery with the
  // peer's recovery kit). Admin only: a whole other site's store.
  kReadReplicas,
};

// "admin", "operator", "auditor": the names stored in api_tokens.role.
std::string_view RoleName(Role role);
// The inverse of RoleName (exact, lowercase); InvalidArgument lists the
// valid names.
Result<Role> ParseRole(std::string_view name);

// "read", "restore", "manage-tokens", "manage-agents", "manage-api-tokens",
// "write-config", "manage-schedules", "manage-peers", "read-replicas": for
// refusal messages and the audit log.
std::string_view PermissionName(Permission permission);

// The table above.
bool RoleAllows(Role role, Permission permission);

}  // namespace cairn
