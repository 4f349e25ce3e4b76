#!/usr/bin/env bash
# Ransomware drill (issue 6): an attacker holds an agent's credentials (its
# client certificate and key) and then an admin API token. Locked snapshots
# must survive both: every attempt to delete, overwrite or shorten the
# retention of an existing snapshot fails, and the snapshot still restores
# bit for bit afterwards.
# Usage: ransomware_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-e2e-ransom-XXXXXX)
source "$(dirname "$0")/lib/checks.sh"
source "$(dirname "$0")/lib/appliance.sh"
cleanup() { appliance_stop; rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 1

appliance_init && appliance_start || { bad "appliance start"; e2e_verdict ransomware; exit 1; }
enroll_agent prod "$W/agent" || { bad "enroll"; e2e_verdict ransomware; exit 1; }

# Policy: keep the newest snapshot only, but lock every new one for 30 days.
out=$("$CTL" retention set --cluster prod --keep-last 1 --lock-for 30d 2>&1) \
  && ok "retention set: $out" || bad "retention set: $out"

SRC=$W/src; mkdir -p "$SRC/db"
head -c $((6 << 20)) /dev/urandom > "$SRC/db/data.bin"
seq 1 200000 > "$SRC/db/pages.txt"
S1=$("$AGENT" backup --state-dir "$W/agent" --path "$SRC" --name vols 2>&1 | grep -oE 'snapshot [0-9a-f]{16}' | tail -1 | cut -d' ' -f2)
echo more >> "$SRC/db/pages.txt"
S2=$("$AGENT" backup --state-dir "$W/agent" --path "$SRC" --name vols 2>&1 | grep -oE 'snapshot [0-9a-f]{16}' | tail -1 | cut -d' ' -f2)
[[ $S1 =~ ^[0-9a-f]{16}$ && $S2 =~ ^[0-9a-f]{16}$ ]] && ok "two backups: $S1 $S2" || bad "backups: '$S1' '$S2'"
"$CTL" snapshots --json > snaps.json 2>&1
python3 - "$S1" snaps.json <<'PY' && ok "new snapshots carry the policy's 30-day lock" || bad "lock at commit: $(cat snaps.json)"
import json, sys, time
snaps = json.load(open(sys.argv[2]))
snaps = snaps.get("snapshots", snaps) if isinstance(snaps, dict) else snaps
s = [x for x in snaps if x["id"] == sys.argv[1]][0]
left = s["lock_until_unix_ns"] / 1e9 - time.time()
sys.exit(0 if 29.9 * 86400 < left <= 30 * 86400 else 1)
PY
MANIFEST=$(ls "$W"/var/store/snapshots/vols/"$S1")
SUM_BEFORE=$(sha256sum "$MANIFEST" | cut -d' ' -f1)

# --- with the agent's credentials (mTLS on the ingest listener) ---
A=(--silent --show-error --cacert "$W/agent/ca.crt" --cert "$W/agent/agent.crt" --key "$W/agent/agent.key"
   -o /dev/null -w '%{http_code}')
agent_refused() {  # agent_refused "what" METHOD PATH [BODY]
  local code; code=$(curl "${A[@]}" -X "$2" ${4:+-H 'Content-Type: application/json' --data "$4"} "$INGEST$3")
  if [[ $code =~ ^4[0-9][0-9]$ ]]; then ok "agent: $1 refused ($code)"; else bad "agent: $1 answered $code"; fi
}
agent_refused "delete a snapshot" DELETE "/v1/snapshots/$S1"
agent_refused "shorten its lock" POST "/v1/snapshots/$S1/lock" '{"until": "2026-01-01"}'
agent_refused "drop the retention policy" DELETE "/v1/retention" '{"cluster": "prod"}'
agent_refused "set a policy without lock" PUT "/v1/retention" '{"cluster": "prod", "policy": {"keep_last": 1}}'
agent_refused "start a prune" POST "/v1/jobs/prune" '{}'
agent_refused "start a gc" POST "/v1/jobs/gc" '{}'
agent_refused "overwrite the manifest" PUT "/v1/snapshots/$S1/manifest" '{}'
# A commit never replaces a snapshot: the appliance names every new one.
code=$(curl "${A[@]}" -X POST -H 'Content-Type: application/json' \
  --data "{\"snapshot_id\": \"$S1\", \"name\": \"vols\", \"entries\": []}" "$INGEST/v1/snapshots")
[ "$(sha256sum "$MANIFEST" | cut -d' ' -f1)" = "$SUM_BEFORE" ] \
  && ok "agent: a commit naming $S1 ($code) left its manifest as it was" || bad "manifest of $S1 changed"
# The agent's certificate is no credential on the admin listener.
code=$(curl --silent --cacert "$W/agent/ca.crt" --cert "$W/agent/agent.crt" --key "$W/agent/agent.key" \
  -o /dev/null -w '%{http_code}' -X DELETE "$CAIRN_APPLIANCE/v1/snapshots/$S1")
[ "$code" = 401 ] && ok "agent cert on the admin API: 401" || bad "agent cert on the admin API: $code"

# --- with an admin token ---
out=$("$CTL" snapshot delete "$S1" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "locked until" <<<"$out" && ! crashed "$out" \
  && ok "admin: delete of a locked snapshot refused: $out" || bad "admin delete (rc=$rc): $out"
out=$("$CTL" snapshot lock "$S1" --until "$(date -u -d tomorrow +%F)" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "never shortened" <<<"$out" \
  && ok "admin: shortening the lock refused" || bad "admin shorten (rc=$rc): $out"
out=$("$CTL" retention set --cluster prod --keep-last 1 2>&1) && ok "admin: policy without lock set" || bad "$out"
out=$("$CTL" prune --wait 2>&1); rc=$?
grep -q "0 deleted" <<<"$out" && ok "admin: prune deletes no locked snapshot" || bad "prune (rc=$rc): $out"
out=$("$CTL" retention preview 2>&1)
grep -q "locked until" <<<"$out" && ok "preview names the lock as the reason" || bad "preview: $out"
out=$("$CTL" snapshot lock "$S1" --until "$(date -u -d '+60 days' +%F)" 2>&1) \
  && ok "admin: extending the lock works: $out" || bad "extend: $out"
out=$("$CTL" audit 2>&1)
grep -q "snapshot.delete" <<<"$out" && ok "refusals are in the audit log" || bad "audit: $out"

# Nothing was lost: both snapshots restore, the first bit for bit.
"$CTL" snapshots 2>&1 | grep -q "$S1" && "$CTL" snapshots 2>&1 | grep -q "$S2" \
  && ok "both snapshots still listed" || bad "snapshots: $("$CTL" snapshots 2>&1)"
rm -rf "$W/restored"
out=$("$AGENT" restore --state-dir "$W/agent" --snapshot "$S1" --target "$W/restored" 2>&1)
cmp -s "$W/restored/db/data.bin" "$SRC/db/data.bin" && ok "locked snapshot restores bit for bit" \
  || bad "restore: $out"
e2e_verdict ransomware
