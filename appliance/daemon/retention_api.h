// Retention and the two ways a committed snapshot changes, over the admin
// API (docs/api.md, "Retention"):
//
//   GET    /v1/retention[?cluster=C]        read: the policies
//   PUT    /v1/retention                    write-config, audited:
//                                           {"cluster","schedule"?,"policy":{...}}
//   DELETE /v1/retention                    write-config, audited: {"cluster","schedule"?}
//   POST   /v1/retention/preview            read: {"cluster"?} -> what a prune would
//                                           delete and why (nothing is deleted)
//   DELETE /v1/snapshots/{id}               write-config, audited; 403 while locked
//   POST   /v1/snapshots/{id}/lock          write-config, audited: {"until": "2027-01-01"};
//                                           403 when it would shorten the lock
//
// Agents have none of these (the ingest API has no route that deletes or
// rewrites a snapshot); a locked snapshot is refused to admins too.
// Thread-safety: as every handler.
#pragma once

#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/http_types.h"

namespace cairn {

HttpResponse ListRetention(HttpRequest& req, ApplianceServices& s);
HttpResponse PutRetention(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse DeleteRetention(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse PreviewRetention(HttpRequest& req, ApplianceServices& s);
HttpResponse DeleteSnapshotRoute(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse LockSnapshotRoute(HttpRequest& req, ApplianceServices& s, const std::string& actor);

}  // namespace cairn
