#!/usr/bin/env bash
# Bit rot, found and self-healed: an appliance backs up a tree and replicates
# it to S3 (a real Ceph RGW the test starts); then bytes are flipped in
# several random chunk files of its store and one is truncated.
# `cairnctl verify --appliance ... --wait` finds every one, names the
# snapshots they belong to, quarantines them, heals each from the S3
# replica, and a second verify is clean; the newest snapshot restores bit
# for bit. Also: --no-heal leaves damage quarantined and named (exit 1), and
# the next verify heals it; `cairnctl job list|show`.
# Prints the scrub rate.
# Usage: bitrot_heal_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-bitrot-XXXXXX)
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
FLIPS=5

# --- S3 on Ceph RGW, an appliance, a replicated backup ---
rgw_start && ok "Ceph RGW up" || bad "rgw: $(tail -5 rgw.err)"
BUCKET=cairn-bitrot
"${S3CMD[@]}" mb "s3://$BUCKET" > /dev/null 2>&1 && ok "bucket $BUCKET" || bad "s3cmd mb"

appliance_init && appliance_start && ok "appliance up" || bad "appliance"
mkdir -p vol/db vol/etc
head -c 24000000 /dev/urandom > vol/db/blob
seq 1 400000 | sed 's/^/row /' > vol/db/pages.txt
for i in $(seq 1 200); do echo "setting $i = $RANDOM" > "vol/etc/conf-$i.txt"; done
enroll_agent edge agent && ok "agent enrolled" || bad "enroll"
snap_of() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' "$1" | tail -1; }
"$AGENT" backup --state-dir agent --path vol --name volumes > b1.out 2>&1 && S1=$(snap_of b1.out) && ok "backup 1 ($S1)" || bad "backup 1: $(tail -3 b1.out)"
head -c 4000000 /dev/urandom > vol/db/blob2
"$AGENT" backup --state-dir agent --path vol --name volumes > b2.out 2>&1 && S2=$(snap_of b2.out) && ok "backup 2 ($S2)" || bad "backup 2: $(tail -3 b2.out)"
out=$("$CTL" target add cloud --s3-endpoint "$EP" --s3-bucket "$BUCKET" --s3-prefix site-a --s3-credentials "$W/s3.toml" --probe-interval 1s 2>&1) \
  && ok "target cloud (S3)" || bad "target add: $out"
for _ in $(seq 1 240); do [ "$("$CTL" target status cloud --json | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done
st=$("$CTL" target status cloud --json)
[ "$(json 'd["snapshots_replicated_total"]' <<<"$st")" = 2 ] && ok "both snapshots replicated to S3" || bad "replication: $st"

# --- bit rot: flip a byte in FLIPS random chunk files, truncate one more ---
STORE=$W/var/store
chunk_files() { find "$STORE/chunks" -type f | grep -E '/[0-9a-f]{64}$'; }
chunk_files | shuf -n $((FLIPS + 1)) > victims
mapfile -t VICTIMS < victims
[ "${#VICTIMS[@]}" = $((FLIPS + 1)) ] && ok "$((FLIPS + 1)) chunk files picked" || bad "only ${#VICTIMS[@]} chunk files"
for f in "${VICTIMS[@]:0:$FLIPS}"; do
  python3 - "$f" <<'EOF'
import os, random, sys
p = sys.argv[1]; n = os.path.getsize(p); at = random.randrange(n)
with open(p, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0xFF]))
EOF
done
truncate -s $(( $(stat -c %s "${VICTIMS[$FLIPS]}") / 2 )) "${VICTIMS[$FLIPS]}"
ok "flipped a byte in $FLIPS chunk files, truncated $(basename "${VICTIMS[$FLIPS]}")"

# --- verify finds, names, quarantines and heals every one ---
t0=$(date +%s.%N)
"$CTL" verify --wait > v1.out 2>&1; rc=$?
secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$(date +%s.%N)")
[ $rc = 0 ] && ok "verify --wait exits 0: everything healed" || bad "verify rc=$rc: $(tail -5 v1.out)"
all=1; [ "${#VICTIMS[@]}" -gt 0 ] || all=0
for f in "${VICTIMS[@]}"; do
  id=$(basename "$f")
  grep -q "^HEALED chunk $id from s3 target cloud" v1.out || { all=0; echo "not healed: $id"; }
done
[ $all = 1 ] && ok "each of the $((FLIPS + 1)) damaged chunks found and healed from the S3 replica" || bad "$(cat v1.out)"
grep -qE "snapshot ($S1|$S2) \(volumes\)" v1.out && ok "the affected snapshots are named" || bad "no snapshot named: $(head -20 v1.out)"
n=$(ls "$STORE/quarantine" 2>/dev/null | wc -l)
[ "$n" = $((FLIPS + 1)) ] && ok "the damaged files are kept in quarantine/ ($n)" || bad "quarantine holds $n files"
JOB=$("$CTL" job list --json | json '[j["id"] for j in d["jobs"] if j["kind"] == "verify"][0]')
res=$("$CTL" job show "$JOB" --json)
[ "$(json 'd["result"]["healed"]' <<<"$res")" = $((FLIPS + 1)) ] && [ "$(json 'd["result"]["unhealed"]' <<<"$res")" = 0 ] \
  && [ "$(json 'len(d["result"]["damaged"])' <<<"$res")" = $((FLIPS + 1)) ] \
  && ok "job show $JOB: $((FLIPS + 1)) damaged, all healed" || bad "job show: $res"
MBS=$(json 'round(d["result"]["mb_per_second"], 1)' <<<"$res"); BYTES=$(json 'd["result"]["bytes_checked"]' <<<"$res")
echo "scrub of $BYTES plaintext bytes: $MBS MB/s inside the appliance (job), ${secs} s end to end with heals"

"$CTL" verify --wait > v2.out 2>&1 && grep -q "^store is sound$" v2.out && ! grep -q "DAMAGED\|HEALED" v2.out \
  && ok "a second verify is clean" || bad "second verify: $(tail -5 v2.out)"
"$AGENT" restore --state-dir agent --snapshot "$S2" --name volumes --target out > r.out 2>&1 && diff -r vol out > /dev/null \
  && ok "the newest snapshot restores bit for bit" || bad "restore: $(tail -3 r.out)"

# --- --no-heal: damage stays quarantined and named; the next verify heals it ---
VICTIM=$(chunk_files | shuf -n 1)
rm -f "$VICTIM"
"$CTL" verify --wait --no-heal > v3.out 2>&1; rc=$?
[ $rc != 0 ] && grep -q "^DAMAGED chunk $(basename "$VICTIM")" v3.out && grep -qE "snapshot ($S1|$S2) \(volumes\):" v3.out \
  && grep -q "store is DAMAGED" v3.out && ok "--no-heal: a deleted chunk is reported with its snapshot and files, exit $rc" || bad "no-heal: rc=$rc $(cat v3.out)"
grep -A3 "^DAMAGED chunk" v3.out | grep -qE "^    .*(blob|blob2|pages\.txt|conf-[0-9]+\.txt)$" && ok "... and the files it affects" || bad "no files named: $(cat v3.out)"
"$CTL" verify --wait --unverified-days 30 > v4.out 2>&1 && grep -q "^HEALED chunk $(basename "$VICTIM") from s3 target cloud" v4.out \
  && grep -q "chunks verified recently skipped" v4.out && ok "--unverified-days 30: only the quarantined chunk is due; healed" || bad "v4: $(cat v4.out)"
cmp -s "$VICTIM" <("${S3CMD[@]}" get "s3://$BUCKET/site-a/${VICTIM#$STORE/}" - 2>/dev/null) \
  && ok "the healed file is the replica's copy" || bad "healed file differs from the replica"

out=$(cat appliance.log 2>/dev/null); crashed "$out" && bad "the appliance crashed" || ok "no crash"
e2e_verdict "bitrot heal e2e"
