#!/usr/bin/env bash
# End-to-end recovery from a replica with the built cairnctl: a site backs up
# a volume tree and a Kubernetes-resources-shaped tree, its store files are
# copied to a replica directory (as the replication engine lays them out),
# the site is lost (store and key file deleted), and a DR lead, with only the
# recovery kit, attaches the replica, lists the snapshots, restores both bit
# for bit, re-seeds a complete store, verifies it, and (when the daemon is
# built) makes a fresh appliance around it with init --adopt-store.
# Prints the RTO figures (attach + restore, reseed) with bytes transferred.
# Usage: replica_recovery_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
CTL=$B/appliance/ctl/cairnctl
W=$(mktemp -d /tmp/cairn-e2e-replica-XXXXXX)
APP_PID=""
cleanup() { [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
expect_fail() {  # expect_fail "description" "pattern in output" cmd...
  local what=$1 pattern=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -ne 0 ] && grep -qiE -- "$pattern" <<<"$out" && ! crashed "$out"; then ok "$what"; else bad "$what (rc=$rc): $out"; fi
}

# --- the site: two snapshots ---
S=$W/site/store; K=$W/site/store.key
VOL=$W/src/volumes; RES=$W/src/resources
mkdir -p "$VOL/shop/data/db" "$VOL/shop/data/media" "$RES/resources/apps/deployments/namespaces/shop" \
         "$RES/resources/core/secrets/namespaces/shop" "$RES/resources/rbac.authorization.k8s.io/clusterroles/cluster"
head -c $((48 << 20)) /dev/urandom > "$VOL/shop/data/media/video.bin"
seq 1 2000000 > "$VOL/shop/data/db/pages.txt"
for i in $(seq 1 200); do printf 'row %d\n' "$i" > "$VOL/shop/data/db/small-$i"; done
ln -s media/video.bin "$VOL/shop/data/latest"
echo '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}}' \
  > "$RES/resources/apps/deployments/namespaces/shop/web.json"
echo '{"apiVersion": "v1", "data": {"password": "c2VjcmV0"}, "kind": "Secret", "metadata": {"name": "db"}}' \
  > "$RES/resources/core/secrets/namespaces/shop/db.json"
echo '{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "admin"}}' \
  > "$RES/resources/rbac.authorization.k8s.io/clusterroles/cluster/admin.json"
echo '{"format": "cairn-kube-resources", "objects": 3, "version": 1}' > "$RES/index.json"
chmod 600 "$RES"/index.json "$RES"/resources/*/*/*/*/*.json "$RES"/resources/*/*/*/*.json 2>/dev/null

mkdir -p "$W/site"
"$CTL" store init --store "$S" --key-file "$K" >/dev/null || { bad "store init"; e2e_verdict replica_recovery; exit 1; }
VOL_ID=$("$CTL" backup --store "$S" --key-file "$K" --source "$VOL" --name volumes 2>&1 | tail -1 | cut -d' ' -f2)
RES_ID=$("$CTL" backup --store "$S" --key-file "$K" --source "$RES" --name resources 2>&1 | tail -1 | cut -d' ' -f2)
[[ $VOL_ID =~ ^[0-9a-f]{16}$ && $RES_ID =~ ^[0-9a-f]{16}$ ]] && ok "two snapshots backed up" || bad "backups: $VOL_ID $RES_ID"
"$CTL" key export --store "$S" --key-file "$K" > "$W/kit.txt" && ok "recovery kit exported" || bad "key export"

# The replica: the store's own layout, no catalog (what a target holds).
R=$W/replica; mkdir -p "$R"
cp -r "$S/config" "$S/chunks" "$S/snapshots" "$R/"
REPLICA_BYTES=$(du -sb "$R" | cut -f1)
mkdir -p "$R/lost+found" && echo stray > "$R/lost+found/junk"   # not a replica object

# Another store's kit, for the refusal.
"$CTL" store init --store "$W/other" --key-file "$W/other.key" >/dev/null
"$CTL" key export --store "$W/other" --key-file "$W/other.key" > "$W/other-kit.txt"

# --- the site is lost ---
rm -rf "$W/site"
[ ! -e "$S" ] && [ ! -e "$K" ] && ok "site store and key file deleted" || bad "site not deleted"

# --- attach with the recovery kit ---
A=$W/dr/store; AK=$W/dr/store.key
expect_fail "attach with another store's recovery kit is refused, naming both stores" \
  "this recovery kit belongs to store .*holds store" \
  "$CTL" replica attach --store "$A" --recovery-kit "$W/other-kit.txt" --key-file "$AK" --from-dir "$R"
[ ! -e "$A" ] && [ ! -e "$AK" ] && ok "a refused attach writes nothing" || bad "refused attach left files"
expect_fail "attach without a source says which flags to give" "--from-dir" \
  "$CTL" replica attach --store "$A" --recovery-kit "$W/kit.txt" --key-file "$AK"

T0=$(now)
out=$("$CTL" replica attach --store "$A" --recovery-kit "$W/kit.txt" --key-file "$AK" --from-dir "$R" 2>&1); rc=$?
ATTACH_S=$(since "$T0")
[ $rc -eq 0 ] && grep -q "attached" <<<"$out" && ok "replica attach ($ATTACH_S s)" || bad "attach rc=$rc: $out"
grep -q "transferred" <<<"$out" && ok "attach reports what it transferred" || bad "attach summary: $out"
[ -f "$A/replica-source.json" ] && ! grep -qi "token\|secret\|password" "$A/replica-source.json" \
  && ok "the source is recorded, without secrets" || bad "replica-source.json: $(cat "$A/replica-source.json" 2>&1)"
[ -z "$(find "$A/chunks" -type f | head -1)" ] && ok "attach copies no chunk" || bad "attach copied chunks"

list=$("$CTL" snapshots --store "$A" --key-file "$AK" 2>&1)
grep -q "$VOL_ID  volumes" <<<"$list" && grep -q "$RES_ID  resources" <<<"$list" \
  && ok "snapshots lists both replica snapshots by id and name" || bad "snapshots: $list"
grep -q "2 snapshot(s)" <<<"$list" && ok "exactly two snapshots" || bad "snapshot count: $list"

# --- restore, bit for bit ---
T0=$(now)
rout=$("$CTL" restore --store "$A" --key-file "$AK" --snapshot "$VOL_ID" --target "$W/restore/volumes" 2>&1); rc=$?
RESTORE_S=$(since "$T0")
[ $rc -eq 0 ] && diff -r --no-dereference "$VOL" "$W/restore/volumes" >/dev/null \
  && ok "volume snapshot restored bit for bit from the replica ($RESTORE_S s)" \
  || bad "volume restore rc=$rc: $rout $(diff -r --no-dereference "$VOL" "$W/restore/volumes" 2>&1 | head -3)"
FETCHED=$(grep -o "fetched [0-9]* chunks ([^)]*)" <<<"$rout")
"$CTL" restore --store "$A" --key-file "$AK" --snapshot latest --name resources --target "$W/restore/resources" >/dev/null 2>&1 \
  && diff -r "$RES" "$W/restore/resources" >/dev/null \
  && [ "$(stat -c %a "$W/restore/resources/index.json")" = 600 ] \
  && ok "resources snapshot restored bit for bit (modes kept)" || bad "resources restore differs"

# Chunks fetched were kept: with the replica gone, the same restore works.
mv "$R" "$W/replica-away"
rout=$("$CTL" restore --store "$A" --key-file "$AK" --snapshot "$VOL_ID" --target "$W/restore/again" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q "fetched 0 chunks" <<<"$rout" && diff -r --no-dereference "$VOL" "$W/restore/again" >/dev/null \
  && ok "a second restore needs no replica (chunks kept locally)" || bad "second restore rc=$rc: $rout"
mv "$W/replica-away" "$R"

# A tampered chunk in a replica is refused and named.
T=$W/tampered; cp -r "$R" "$T"
victim=$(find "$T/chunks" -type f -size +100k | head -1)
printf '\xff\xff\xff\xff' | dd of="$victim" bs=1 seek=200 conv=notrunc status=none
"$CTL" replica attach --store "$W/dr2/store" --recovery-kit "$W/kit.txt" --key-file "$W/dr2/key" --from-dir "$T" >/dev/null 2>&1
out=$("$CTL" restore --store "$W/dr2/store" --key-file "$W/dr2/key" --snapshot "$VOL_ID" --target "$W/restore/t" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "$(basename "$victim")" <<<"$out" && ! crashed "$out" \
  && ok "a tampered replica chunk fails the restore, naming the chunk" || bad "tampered chunk: rc=$rc $out"
[ ! -e "$W/dr2/store/chunks/$(basename "$(dirname "$victim")")/$(basename "$victim")" ] \
  && ok "the tampered chunk is not kept" || bad "tampered chunk was stored"

# --- reseed: a complete store, timed ---
N=$W/new/store; NK=$W/new/store.key
T0=$(now)
sout=$("$CTL" replica reseed --store "$N" --recovery-kit "$W/kit.txt" --key-file "$NK" --from-dir "$R" --streams 4 2>&1); rc=$?
RESEED_S=$(since "$T0")
[ $rc -eq 0 ] && grep -q "is complete" <<<"$sout" && ok "replica reseed ($RESEED_S s)" || bad "reseed rc=$rc: $sout"
TRANSFER=$(grep "^transferred" <<<"$sout")
vout=$("$CTL" verify --store "$N" --key-file "$NK" 2>&1)
grep -q "store is sound" <<<"$vout" && ok "verify passes on the re-seeded store" || bad "verify: $vout"
sout2=$("$CTL" replica reseed --store "$N" --recovery-kit "$W/kit.txt" --key-file "$NK" --from-dir "$R" 2>&1)
grep -q "pulled 0 chunks" <<<"$sout2" && grep -q "0 manifests fetched" <<<"$sout2" \
  && ok "a second reseed fetches no chunk and no manifest" || bad "second reseed: $sout2"
rm -rf "$R"
"$CTL" restore --store "$N" --key-file "$NK" --snapshot "$VOL_ID" --target "$W/restore/new" >/dev/null 2>&1 \
  && diff -r --no-dereference "$VOL" "$W/restore/new" >/dev/null \
  && ok "the re-seeded store restores on its own (replica deleted)" || bad "re-seeded restore"

# --- a fresh appliance adopts the re-seeded store ---
APP=$B/appliance/cairn-appliance
if [ -x "$APP" ]; then
  cat > "$W/appliance.toml" <<EOT
[paths]
state_dir = "$W/var"
store_dir = "$N"
key_file = "$NK"
[ingest]
address = "127.0.0.1"
port = 0
[admin]
address = "127.0.0.1"
port = 0
EOT
  expect_fail "appliance init refuses an existing store without --adopt-store" "adopt-store" \
    "$APP" init --config "$W/appliance.toml"
  if "$APP" init --config "$W/appliance.toml" --adopt-store > "$W/init.out" 2>&1; then
    ok "appliance init --adopt-store takes the re-seeded store"
    TOKEN=$(grep -A1 "admin API token" "$W/init.out" | tail -1)
    "$APP" run --config "$W/appliance.toml" --ready-file "$W/ready.json" >> "$W/appliance.log" 2>&1 &
    APP_PID=$!
    for _ in $(seq 1 100); do [ -s "$W/ready.json" ] && break; sleep 0.1; done
    AP=$(python3 -c "import json; print(json.load(open('$W/ready.json'))['admin_port'])" 2>/dev/null)
    list=$(CAIRN_STORE= "$CTL" snapshots --appliance "https://127.0.0.1:$AP" --token "$TOKEN" --ca-file "$W/var/pki/ca.crt" 2>&1)
    grep -q "$VOL_ID" <<<"$list" && grep -q "$RES_ID" <<<"$list" \
      && ok "the adopted appliance serves the recovered snapshots over its admin API" || bad "appliance snapshots: $list"
    kill "$APP_PID" 2>/dev/null; wait "$APP_PID" 2>/dev/null; APP_PID=""
  else
    bad "init --adopt-store: $(cat "$W/init.out")"
  fi
else
  echo "skip adopt: $APP not built"
fi

echo "figures: replica $REPLICA_BYTES bytes; attach $ATTACH_S s + restore of the volume snapshot $RESTORE_S s ($FETCHED); reseed $RESEED_S s ($TRANSFER)"
e2e_verdict replica_recovery
