#!/usr/bin/env bash
# The disaster drill: appliance A backs up a volume tree and a Kubernetes
# resources tree, replicates them to S3 (a real Ceph RGW the test starts) and
# to appliance B; every object in the bucket is ciphertext (a plaintext
# marker from the source appears in none); a wrong S3 secret is refused with
# a clear message. Then site A is lost (store, catalog and key deleted). With
# only the recovery kit, a new site attaches the S3 replica and restores a
# snapshot bit for bit; the same from B's copy over B's admin API; and a new
# appliance is re-seeded from S3 in one command and serves the snapshots.
# Also: a synchronous target with B up, then down. (Object Lock on the
# replica, from the snapshots' own locks, is replica_lock_test.sh.)
# Prints the RTO figures (attach + restore) with the bytes transferred.
# Usage: replication_disaster_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-repl-dr-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/checks.sh"
source "$E2E/lib/rgw.sh"
PID_A=""; PID_B=""; PID_C=""
cleanup() {
  for p in $PID_A $PID_B $PID_C; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rgw_stop
  rm -rf "$W"
}
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
cd "$W"

# --- S3: a real Ceph RGW, and a bucket ---
rgw_start && ok "Ceph RGW up: $EP" || bad "rgw: $(tail -5 rgw.err)"
BUCKET=cairn-dr
"${S3CMD[@]}" mb "s3://$BUCKET" > /dev/null 2>&1 && ok "bucket $BUCKET (s3cmd)" || bad "s3cmd mb"
printf 'access_key = "testaccesskey"\nsecret_key = "wrongsecret"\n' > s3-wrong.toml && chmod 600 s3-wrong.toml

# --- appliances B (replica site) and A (the site) ---
mkdir -p a b c
APP_DIR=$W/b; appliance_init && appliance_start && ok "appliance B" || bad "appliance B"
PID_B=$APP_PID; B_INGEST=$INGEST; B_ADMIN=$CAIRN_APPLIANCE; B_TOKEN=$ADMIN_TOKEN; B_CA=$CAIRN_CA_FILE
PAIR=$("$CTL" peer token create --name site-a 2>&1 | tail -1)
APP_DIR=$W/a; appliance_init && appliance_start && ok "appliance A" || bad "appliance A"
PID_A=$APP_PID
MARKER="CAIRN-PLAINTEXT-MARKER-$$-7f3a"
mkdir -p vol/db res/resources/core/configmaps/namespaces/shop
head -c 20000000 /dev/urandom > vol/db/blob
for i in $(seq 1 300); do echo "$MARKER row $i" > "vol/db/row-$i.txt"; done
seq 1 300000 | sed "s/^/$MARKER /" > vol/db/pages.txt
echo "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"data\": {\"k\": \"$MARKER\"}, \"metadata\": {\"name\": \"cfg\", \"namespace\": \"shop\"}}" \
  > res/resources/core/configmaps/namespaces/shop/cfg.json
enroll_agent edge agent && ok "agent enrolled with A" || bad "enroll"
snap_of() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' "$1" | tail -1; }
"$AGENT" backup --state-dir agent --path vol --name volumes > b1.out 2>&1 && SNAP_VOL=$(snap_of b1.out) && ok "volume tree backed up ($SNAP_VOL)" || bad "backup vol: $(tail -3 b1.out)"
"$AGENT" backup --state-dir agent --path res --name resources > b2.out 2>&1 && SNAP_RES=$(snap_of b2.out) && ok "resources tree backed up ($SNAP_RES)" || bad "backup res: $(tail -3 b2.out)"

out=$("$CTL" target add cloud --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix site-a --s3-credentials "$W/s3.toml" --probe-interval 1s 2>&1) \
  && ok "target cloud (S3): $out" || bad "target add s3: $out"
out=$("$CTL" target add site-b --appliance-url "$B_INGEST" --pair-token "$PAIR" --probe-interval 1s --synchronous 2>&1) \
  && ok "target site-b (appliance, paired, synchronous): $out" || bad "target add b: $out"
out=$("$CTL" target add wrong --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix wrong --s3-credentials "$W/s3-wrong.toml" --probe-interval 1s 2>&1) \
  && ok "target wrong (a wrong S3 secret) added" || bad "target add wrong: $out"
for t in cloud site-b; do
  for _ in $(seq 1 240); do [ "$("$CTL" target status $t --json | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done
  st=$("$CTL" target status $t --json)
  [ "$(json 'd["queue_snapshots"]' <<<"$st")" = 0 ] && [ "$(json 'd["snapshots_replicated_total"]' <<<"$st")" = 2 ] \
    && ok "both snapshots replicated to $t ($(json 'd["bytes_sent_total"]' <<<"$st") bytes)" || bad "$t did not finish: $st"
done
for _ in $(seq 1 40); do [ -n "$("$CTL" target status wrong --json | json 'd["last_error"]')" ] && break; sleep 0.25; done
err=$("$CTL" target status wrong --json | json 'd["state"] + ": " + d["last_error"]')
grep -qiE "secret|credentials|signature" <<<"$err" && ok "wrong secret refused clearly: $err" || bad "wrong secret: $err"
"$CTL" target list

# Synchronous mode: a backup completes once B holds it; with B down it falls
# back to asynchronous and says so; B back, the queue drains.
echo "$MARKER sync" > vol/db/sync-1.txt
"$AGENT" backup --state-dir agent --path vol --name volumes > b3.out 2>&1 \
  && grep -q "replication    site-b: replicated (synchronous)" b3.out && SNAP_SYNC=$(snap_of b3.out) \
  && [ -f "b/var/replicas/$(ls b/var/replicas | head -1)/snapshots/volumes/$SNAP_SYNC" ] \
  && ok "synchronous target: the backup returned with $SNAP_SYNC already on B" || bad "sync backup: $(grep -E 'replication|snapshot' b3.out)"
SAVED_A=("$APP_PID" "$CAIRN_APPLIANCE" "$CAIRN_TOKEN" "$CAIRN_CA_FILE")
APP_PID=$PID_B; appliance_stop KILL; PID_B=""
echo "$MARKER async" > vol/db/sync-2.txt
"$AGENT" backup --state-dir agent --path vol --name volumes > b4.out 2>&1 \
  && grep -qE "site-b: .*falling back to asynchronous" b4.out && SNAP_LAST=$(snap_of b4.out) \
  && ok "B down: the backup succeeds and says it fell back: $(grep -m1 'replication ' b4.out)" || bad "async fallback: $(grep -E 'replication|warning|snapshot' b4.out)"
APP_DIR=$W/b; appliance_start && PID_B=$APP_PID && ok "B back" || bad "B restart"
APP_PID=${SAVED_A[0]}; export CAIRN_APPLIANCE=${SAVED_A[1]} CAIRN_TOKEN=${SAVED_A[2]} CAIRN_CA_FILE=${SAVED_A[3]}
for _ in $(seq 1 240); do [ "$("$CTL" target status site-b --json | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done
[ "$("$CTL" target status site-b --json | json 'd["queue_snapshots"]')" = 0 ] && ok "B caught up after its outage" || bad "B queue did not drain"
for _ in $(seq 1 240); do [ "$("$CTL" target status cloud --json | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done

# Every object in the bucket is ciphertext: the marker appears in none.
mkdir dl && "${S3CMD[@]}" sync "s3://$BUCKET/site-a/" dl/ > /dev/null 2>&1
n=$(find dl -type f | wc -l)
[ "$n" -gt 5 ] && ! grep -rqa "$MARKER" dl && ! grep -rqa "$MARKER" b/var/replicas \
  && ok "no plaintext in $n objects in the bucket, nor in B's replica" || bad "plaintext found or no objects ($n)"
grep -qa "$MARKER" vol/db/pages.txt && ok "(the marker is in the source)" || bad "marker missing from source"

# --- the disaster: site A is gone ---
"$CTL" key export --store a/var/store --key-file a/var/keys/store.key --output kit.txt > /dev/null 2>&1 \
  && ok "recovery kit exported (kept offline)" || bad "key export"
appliance_stop KILL; PID_A=""
rm -rf a/var/store a/var/keys && ok "site A's store, catalog and key deleted" || bad "rm"

# --- recovery from S3 ---
t0=$(now)
out=$("$CTL" replica attach --store new-s3/store --recovery-kit kit.txt --key-file new-s3/store.key \
      --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix site-a --s3-credentials "$W/s3.toml" 2>&1) \
  && ok "attached the S3 replica: $(tail -1 <<<"$out")" || bad "attach s3: $out"
list=$("$CTL" snapshots --store new-s3/store --key-file new-s3/store.key 2>&1)
grep -q "$SNAP_VOL" <<<"$list" && grep -q "$SNAP_RES" <<<"$list" && ok "both snapshots listed from S3" || bad "list: $list"
out=$("$CTL" restore --store new-s3/store --key-file new-s3/store.key --snapshot "$SNAP_LAST" --target out-s3 2>&1) \
  && diff -r vol out-s3 > /dev/null && ok "volume snapshot restored bit for bit from S3" || bad "restore s3: $(head -4 <<<"$out")"
RTO_S3=$(since "$t0"); BYTES_S3=$(du -sb new-s3/store | cut -f1)
"$CTL" restore --store new-s3/store --key-file new-s3/store.key --snapshot "$SNAP_RES" --target res-s3 > /dev/null 2>&1 \
  && diff -r res res-s3 > /dev/null && ok "resources snapshot restored bit for bit from S3" || bad "restore resources from s3"
echo "RTO from S3: ${RTO_S3} s (attach + restore of ${SNAP_LAST}, the newest volume snapshot), ${BYTES_S3} bytes fetched into the new store"

# --- recovery from appliance B's copy, over B's admin API ---
PEER=$(ls b/var/replicas | head -1)
t0=$(now)
out=$(CAIRN_REPLICA_TOKEN=$B_TOKEN "$CTL" replica attach --store new-b/store --recovery-kit kit.txt --key-file new-b/store.key \
      --from-appliance "$B_ADMIN" --peer "$PEER" --ca-file "$B_CA" 2>&1) \
  && ok "attached B's replica (peer $PEER): $(tail -1 <<<"$out")" || bad "attach b: $out"
out=$(CAIRN_REPLICA_TOKEN=$B_TOKEN "$CTL" restore --store new-b/store --key-file new-b/store.key --snapshot "$SNAP_LAST" --target out-b 2>&1) \
  && diff -r vol out-b > /dev/null && ok "volume snapshot restored bit for bit from B" || bad "restore b: $(head -4 <<<"$out")"
RTO_B=$(since "$t0"); BYTES_B=$(du -sb new-b/store | cut -f1)
echo "RTO from B: ${RTO_B} s (attach + restore of ${SNAP_LAST}, the newest volume snapshot), ${BYTES_B} bytes fetched into the new store"

# --- re-seed a new appliance from S3, one command, then adopt it ---
mkdir -p c/var/keys
t0=$(now)
out=$("$CTL" replica reseed --store c/var/store --recovery-kit kit.txt --key-file c/var/keys/store.key \
      --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix site-a --s3-credentials "$W/s3.toml" 2>&1) \
  && ok "re-seeded from S3 in $(since "$t0") s: $(tail -1 <<<"$out")" || bad "reseed: $out"
"$CTL" verify --store c/var/store --key-file c/var/keys/store.key > verify.out 2>&1 && ok "re-seeded store verifies" || bad "verify: $(tail -3 verify.out)"
cat > c/appliance.toml <<EOT
[paths]
state_dir = "$W/c/var"
[ingest]
address = "127.0.0.1"
port = 0
[admin]
address = "127.0.0.1"
port = 0
EOT
"$APP" init --config c/appliance.toml --adopt-store > c/init.out 2>&1 && ok "new appliance adopts the re-seeded store" || bad "adopt: $(cat c/init.out)"
C_TOKEN=$(grep -A1 "admin API token" c/init.out | tail -1)
"$APP" run --config c/appliance.toml --ready-file c/ready.json >> c/appliance.log 2>&1 &
PID_C=$!
for _ in $(seq 1 100); do [ -s c/ready.json ] && break; sleep 0.1; done
C_ADMIN=https://127.0.0.1:$(json 'd["admin_port"]' < c/ready.json)
n=$(CAIRN_APPLIANCE=$C_ADMIN CAIRN_TOKEN=$C_TOKEN CAIRN_CA_FILE=c/var/pki/ca.crt "$CTL" snapshots --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get('snapshots', [])))")
[ "$n" = 4 ] && ok "the new appliance serves all four snapshots" || bad "new appliance lists $n snapshots, not 4"

out=$(cat a/appliance.log b/appliance.log c/appliance.log 2>/dev/null); crashed "$out" && bad "an appliance crashed" || ok "no crash"
e2e_verdict "replication disaster e2e"
