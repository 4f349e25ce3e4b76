#!/usr/bin/env bash
# Retention locks on an S3 replica, end to end, against a real Ceph RGW bucket
# with Object Lock, every date read back with boto3 (an independent client):
# a snapshot locked until now+3 days is replicated and its manifest and every
# chunk object are in COMPLIANCE mode retained until exactly that second; a
# DELETE of a locked version is refused by RGW; a later unlocked snapshot's
# new objects carry no lock; the lock extended to now+5 days reaches the
# replica -- a new manifest version retained until then, every chunk
# extended in place (no new version).
# Usage: replica_lock_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-replica-lock-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/checks.sh"
source "$E2E/lib/rgw.sh"
cleanup() {
  appliance_stop KILL
  rgw_stop
  rm -rf "$W"
}
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
cd "$W"
BUCKET=cairn-locked
LOCKS=(/usr/bin/python3 "$S3SUP/object_lock_check.py")

rgw_start && ok "Ceph RGW up" || bad "rgw: $(tail -5 rgw.err)"
LOCKS+=("$EP")
"${LOCKS[@]}" make-bucket "$BUCKET" > bucket.out 2>&1 && ok "bucket $BUCKET with Object Lock (boto3)" || bad "bucket: $(cat bucket.out)"

appliance_init && appliance_start && ok "appliance" || bad "appliance"
enroll_agent edge agent && ok "agent enrolled" || bad "enroll"
mkdir -p vol/db
head -c 6000000 /dev/urandom > vol/db/blob
seq 1 200000 > vol/db/pages.txt
snap_of() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' "$1" | tail -1; }
"$AGENT" backup --state-dir agent --path vol --name volumes > b1.out 2>&1 && SNAP1=$(snap_of b1.out) \
  && ok "backed up $SNAP1" || bad "backup: $(tail -3 b1.out)"

# How a snapshot gets its lock: `cairnctl snapshot lock` through the admin API.
# A cairnctl without it: the catalog row raised directly (the engine takes the
# later of the row and the manifest, so the replica's retention is the same;
# only the manifest's own copy of the date stays behind).
if "$CTL" snapshot --help 2>&1 | grep -qw lock; then
  LOCK_HOW="cairnctl snapshot lock"
  lock_snapshot() { "$CTL" snapshot lock "$1" --until "$2" 2>&1; }
else
  LOCK_HOW="test helper (catalog row)"
  lock_snapshot() {
    python3 - "$W/var/store/catalog.db" "$1" "$(date -u -d "$2" +%s)" <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE snapshots SET lock_until_unix_ns = max(lock_until_unix_ns, ?) WHERE id = ?",
           (int(sys.argv[3]) * 1000000000, sys.argv[2]))
db.commit()
print("locked", sys.argv[2], "(test helper)")
EOP
  }
fi
UNTIL=$(date -u -d "+3 days" +%Y-%m-%dT%H:%M:%SZ); UNTIL_S=$(date -u -d "$UNTIL" +%s)
out=$(lock_snapshot "$SNAP1" "$UNTIL") && ok "$SNAP1 locked until $UNTIL ($LOCK_HOW): $out" || bad "lock: $out"

out=$("$CTL" target add cloud --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix site-a \
      --s3-credentials "$W/s3.toml" --probe-interval 1s 2>&1) && ok "target cloud added" || bad "target add: $out"
wait_replicated() {
  for _ in $(seq 1 240); do
    st=$("$CTL" target status cloud --json 2>/dev/null)
    [ "$(json 'd["queue_snapshots"]' <<<"$st" 2>/dev/null)" = 0 ] \
      && [ "$(json 'd["snapshots_replicated_total"]' <<<"$st")" = "$1" ] && return 0
    sleep 0.25
  done
  return 1
}
wait_replicated 1 && [ "$(json 'd["supports_locks"]' <<<"$st")" = True ] \
  && ok "replicated; the probe found Object Lock" || bad "not replicated: $st"

# Every object of the snapshot, by boto3: KEY MODE UNTIL VERSIONS.
"${LOCKS[@]}" retention "$BUCKET" site-a > r1.txt 2>&1 || bad "retention listing: $(cat r1.txt)"
MANIFEST=site-a/snapshots/volumes/$SNAP1
grep -E '^site-a/chunks/' r1.txt | cut -d' ' -f1 > chunks1.txt
n1=$(wc -l < chunks1.txt)
wrong=$(grep -E '^site-a/(chunks|snapshots)/' r1.txt | awk -v u="$UNTIL_S" '$2 != "COMPLIANCE" || $3 != u')
[ "$n1" -gt 1 ] && grep -q "^$MANIFEST COMPLIANCE $UNTIL_S 1$" r1.txt && [ -z "$wrong" ] \
  && ok "manifest and all $n1 chunks in COMPLIANCE, retained until $UNTIL (to the second)" \
  || bad "retention after the first pass: $(grep -v '^site-a/chunks' r1.txt); wrong: $(head -3 <<<"$wrong")"
grep -q '^site-a/config - 0 ' r1.txt && ok "the store config carries no lock" || bad "config: $(grep config r1.txt)"
out=$("${LOCKS[@]}" try-delete "$BUCKET" "$MANIFEST" 2>&1) && ok "RGW refuses to delete the manifest version: $out" || bad "manifest delete: $out"
out=$("${LOCKS[@]}" try-delete "$BUCKET" "$(head -1 chunks1.txt)" 2>&1) && ok "RGW refuses to delete a chunk version: $(cut -d' ' -f1-2 <<<"$out")" || bad "chunk delete: $out"

# An unlocked snapshot: its new objects carry no lock headers.
head -c 3000000 /dev/urandom > vol/db/blob2
"$AGENT" backup --state-dir agent --path vol --name volumes > b2.out 2>&1 && SNAP2=$(snap_of b2.out) \
  && ok "backed up $SNAP2 (unlocked)" || bad "backup 2: $(tail -3 b2.out)"
wait_replicated 2 && ok "$SNAP2 replicated" || bad "not replicated: $st"
"${LOCKS[@]}" retention "$BUCKET" site-a > r2.txt 2>&1 || bad "retention listing: $(cat r2.txt)"
new=$(grep -E '^site-a/chunks/' r2.txt | grep -vFf chunks1.txt)
[ -n "$new" ] && [ -z "$(awk '$2 != "-" || $3 != 0' <<<"$new")" ] \
  && grep -q "^site-a/snapshots/volumes/$SNAP2 - 0 1$" r2.txt \
  && ok "the unlocked snapshot's manifest and $(wc -l <<<"$new") new chunks carry no lock" \
  || bad "unlocked snapshot: $(grep "$SNAP2" r2.txt); $(awk '$2 != "-"' <<<"$new" | head -3)"

# The lock extended: a new manifest version and every chunk extended in place.
UNTIL2=$(date -u -d "+5 days" +%Y-%m-%dT%H:%M:%SZ); UNTIL2_S=$(date -u -d "$UNTIL2" +%s)
out=$(lock_snapshot "$SNAP1" "$UNTIL2") && ok "lock of $SNAP1 extended to $UNTIL2" || bad "extend: $out"
for _ in $(seq 1 120); do
  "${LOCKS[@]}" retention "$BUCKET" site-a > r3.txt 2>&1
  grep -q "^$MANIFEST COMPLIANCE $UNTIL2_S 2$" r3.txt && break
  sleep 0.5
done
grep -q "^$MANIFEST COMPLIANCE $UNTIL2_S 2$" r3.txt \
  && ok "the rewritten manifest went up as a second version, retained until $UNTIL2" \
  || bad "manifest after the extension: $(grep "$MANIFEST" r3.txt)"
behind=$(grep -Ff chunks1.txt r3.txt | awk -v u="$UNTIL2_S" '$2 != "COMPLIANCE" || $3 != u || $4 != 1')
[ "$(grep -cFf chunks1.txt r3.txt)" = "$n1" ] && [ -z "$behind" ] \
  && ok "all $n1 chunks of $SNAP1 extended to $UNTIL2 in place (one version each)" \
  || bad "chunks after the extension: $(head -3 <<<"$behind")"
out=$("${LOCKS[@]}" try-delete "$BUCKET" "$MANIFEST" 2>&1) && ok "RGW refuses to delete the new manifest version" || bad "manifest delete: $out"
grep -q "replication.lock_extended target=cloud snapshot=$SNAP1" appliance.log \
  && ok "appliance logged: $(grep -m1 "replication.lock_extended" appliance.log | cut -d' ' -f2-)" || bad "no lock_extended in the log"

crashed "$(cat appliance.log)" && bad "the appliance crashed" || ok "no crash"
e2e_verdict "replica lock e2e"
