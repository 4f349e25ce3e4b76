#!/usr/bin/env bash
# Replication over a WAN that fails: appliance A (site a) replicates to
# appliance B (site b) across a veth link between two network namespaces the
# test makes. Checks, each measured, not assumed:
#   - pairing A -> B with a pinned token, then pushing over mTLS;
#   - the link cut (ip link set down) in the middle of a replication: the
#     target goes down, a backup taken meanwhile succeeds, and once the link
#     is back the replica converges with at most one chunk per stream resent
#     (A's failed uploads and B's count of objects it already had);
#   - the replica on B is byte-identical to A's store files;
#   - 100 ms of latency each way shows in the probe, and a bandwidth limit
#     (A's --bandwidth, under a kernel rate cap) is honoured. This kernel has
#     no netem qdisc (CONFIG_NET_SCH_NETEM unset), so the latency comes from
#     tests/support/net/delay_relay.py in front of B and the cap from tbf.
# Needs root (ip netns, tc). Usage: replication_wan_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-repl-wan-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/checks.sh"
NA=cairn-sa-$$; NB=cairn-sb-$$
SUB=10.232.$(( $$ % 250 )); IPA=$SUB.1; IPB=$SUB.2
# A listens on an address of its namespace's loopback: its own agent reaches
# it whatever the WAN link does (a down veth takes its addresses' routes away).
ALO=10.233.$(( $$ % 250 )).1
VA=rwa$$; VB=rwb$$
PID_A=""; PID_B=""; RELAY_PID=""
cleanup() {
  for p in $PID_A $PID_B $RELAY_PID; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
if [ "$(id -u)" != 0 ]; then echo "replication wan e2e: needs root for ip netns"; exit 1; fi
in_a() { ip netns exec "$NA" "$@"; }
in_b() { ip netns exec "$NB" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

cd "$W"
ip netns add "$NA" && ip netns add "$NB" && ip link add "$VA" type veth peer name "$VB" \
  && ip link set "$VA" netns "$NA" && ip link set "$VB" netns "$NB" \
  && in_a ip addr add "$IPA/30" dev "$VA" && in_b ip addr add "$IPB/30" dev "$VB" \
  && in_a ip link set "$VA" up && in_b ip link set "$VB" up && in_a ip link set lo up && in_b ip link set lo up \
  && in_a ip addr add "$ALO/32" dev lo \
  && ok "sites a ($IPA) and b ($IPB): one veth between two namespaces" || bad "netns setup"

# Appliance B, the replica site.
mkdir -p a b
APP_DIR=$W/b APP_WRAP="ip netns exec $NB"; appliance_init "$IPB" && appliance_start && ok "appliance B on $INGEST" || bad "appliance B"
PID_B=$APP_PID; B_INGEST=$INGEST; B_ADMIN=$CAIRN_APPLIANCE; B_TOKEN=$ADMIN_TOKEN; B_CA=$CAIRN_CA_FILE
PAIR=$(in_b env CAIRN_APPLIANCE="$B_ADMIN" CAIRN_TOKEN="$B_TOKEN" CAIRN_CA_FILE="$B_CA" "$CTL" peer token create --name site-a 2>&1 | tail -1)
[[ "$PAIR" == cairn-pair.v1.* ]] && ok "pairing token from B" || bad "peer token: $PAIR"

# Appliance A, the site, with an agent that backs up a 24 MB tree.
APP_DIR=$W/a APP_WRAP="ip netns exec $NA"; appliance_init "$ALO" && appliance_start && ok "appliance A on $INGEST" || bad "appliance A"
PID_A=$APP_PID
ctl_a() { in_a "$CTL" "$@"; }
token=$(ctl_a token create --cluster edge 2>/dev/null | tail -1)
in_a "$AGENT" enroll --appliance "$INGEST" --token "$token" --state-dir agent > enroll.out 2>&1 && ok "agent enrolled with A" || bad "enroll: $(cat enroll.out)"
mkdir vol && for i in 1 2 3 4 5 6; do head -c 4000000 /dev/urandom > vol/blob$i; done
in_a "$AGENT" backup --state-dir agent --path vol --name vol > b1.out 2>&1 && ok "first backup on A" || bad "backup: $(tail -3 b1.out)"

# Target B: 4 streams, 1 MiB/s, so the cut lands mid-replication.
STREAMS=4
out=$(ctl_a target add site-b --appliance-url "$B_INGEST" --pair-token "$PAIR" --streams $STREAMS \
      --bandwidth 1MiB --probe-interval 1s 2>&1) && ok "target site-b added (paired): $out" || bad "target add: $out"
status() { ctl_a target status site-b --json; }
for _ in $(seq 1 120); do
  sent=$(status | json 'd["bytes_sent_total"]'); [ "${sent:-0}" -gt 6000000 ] && break; sleep 0.25
done
[ "${sent:-0}" -gt 6000000 ] && ok "replicating: $sent bytes sent" || bad "replication did not start (sent ${sent:-0})"
in_a ip link set "$VA" down && ok "link cut mid-replication" || bad "link down"
for _ in $(seq 1 240); do [ "$(status | json 'd["state"]')" = down ] && break; sleep 0.25; done
[ "$(status | json 'd["state"]')" = down ] && ok "target site-b is down" || bad "target not seen down: $(status)"
head -c 3000000 /dev/urandom > vol/blob7
in_a "$AGENT" backup --state-dir agent --path vol --name vol > b2.out 2>&1 && ok "backup while the link is down succeeds" || bad "backup during outage: $(tail -3 b2.out)"
# The worker refreshes its queue when the commit wakes it (a few ms; more under ASan).
for _ in $(seq 1 40); do q=$(status | json 'd["queue_snapshots"]'); [ "$q" = 2 ] && break; sleep 0.25; done
[ "$q" = 2 ] && ok "queue holds both snapshots" || bad "queue $q"
in_a ip link set "$VA" up && ok "link back" || bad "link up"
for _ in $(seq 1 600); do [ "$(status | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done
st=$(status)
[ "$(json 'd["queue_snapshots"]' <<<"$st")" = 0 ] && [ "$(json 'd["state"]' <<<"$st")" = up ] \
  && ok "replica converged after the cut" || bad "did not converge: $st"
failures=$(json 'd["upload_failures_total"]' <<<"$st")
[ "$failures" -le "$STREAMS" ] && ok "uploads cut: $failures (at most one per stream, $STREAMS streams)" || bad "uploads cut: $failures > $STREAMS"
# B counts uploads of objects it already held: the resends whose first copy had arrived.
dups=$(in_b curl -s --cacert "$B_CA" -H "Authorization: Bearer $B_TOKEN" "$B_ADMIN/metrics" \
       | awk '/^cairn_replica_objects_kept_total/ {print $2}')
[ -n "$dups" ] && [ "${dups%.*}" -le "$STREAMS" ] && ok "chunks B received twice: ${dups%.*} (<= $STREAMS)" || bad "duplicates at B: '${dups}'"

# Byte-identical replica: every chunk and manifest file of A's store is on B as is.
PEER=$(ls b/var/replicas 2>/dev/null | head -1)
same=$(python3 - "$W/a/var/store" "$W/b/var/replicas/$PEER" <<'PY'
import filecmp, os, sys
a, b = sys.argv[1], sys.argv[2]
files = ["config"] + [os.path.relpath(os.path.join(d, f), a) for top in ("chunks", "snapshots")
                      for d, _, fs in os.walk(os.path.join(a, top)) for f in fs if ".tmp" not in f]
bad = [f for f in files if not os.path.exists(os.path.join(b, f)) or not filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False)]
print(len(files), len(bad), *bad[:3])
PY
)
read -r nfiles nbad rest <<<"$same"
[ "${nbad:-1}" = 0 ] && [ "${nfiles:-0}" -gt 10 ] && ok "replica on B is byte-identical to A's store ($nfiles files: config, chunks, manifests)" \
  || bad "replica differs: $same"

# Latency: a relay in B's namespace, on B's address (the certificate names it),
# delays each direction by 100 ms. Cap: tbf at 16 Mbit/s on A's end of the link.
RELAY=$E2E/../support/net/delay_relay.py
in_b python3 "$RELAY" --listen "$IPB:0" --to "${B_INGEST#https://}" --delay-ms 100 --ready-file relay.json > relay.log 2>&1 &
for _ in $(seq 1 50); do [ -s relay.json ] && break; sleep 0.1; done
# The relay's own PID from its ready file: $! is the subshell that ran in_b.
RELAY_PORT=$(json 'd["port"]' < relay.json); RELAY_PID=$(json 'd["pid"]' < relay.json)
in_a tc qdisc add dev "$VA" root tbf rate 32mbit burst 64kb latency 400ms && ok "100 ms relay on $IPB:$RELAY_PORT, 32 Mbit/s tbf cap on the link" || bad "tbf"
# A second target to B through the relay, limited to 2 MiB/s: it starts from
# nothing, so its first pass carries every snapshot (about 30 MB).
PAIR2=$(in_b env CAIRN_APPLIANCE="$B_ADMIN" CAIRN_TOKEN="$B_TOKEN" CAIRN_CA_FILE="$B_CA" "$CTL" peer token create --name site-a-far 2>&1 | tail -1)
t0=$(date +%s.%N)
ctl_a target add site-b-far --appliance-url "https://$IPB:$RELAY_PORT" --pair-token "$PAIR2" \
  --streams 2 --bandwidth 2MiB --probe-interval 1s > add2.out 2>&1 && ok "target site-b-far added through the relay, 2 MiB/s" || bad "add far: $(cat add2.out)"
far() { ctl_a target status site-b-far --json; }
for _ in $(seq 1 80); do [ "$(far | json 'd["state"]')" = up ] && break; sleep 0.25; done
lat=$(far | json 'd["probe_latency_ms"]')
[ "${lat:-0}" -ge 100 ] && ok "probe sees the latency: ${lat} ms" || bad "probe latency ${lat} ms < 100"
for _ in $(seq 1 400); do [ "$(far | json 'd["queue_snapshots"]')" = 0 ] && break; sleep 0.25; done
t1=$(date +%s.%N); sent=$(far | json 'd["bytes_sent_total"]')
rate=$(python3 -c "print(int(${sent:-0}/($t1-$t0)))")
[ "$(far | json 'd["queue_snapshots"]')" = 0 ] && [ "${sent:-0}" -gt 20000000 ] && [ "$rate" -le $((2*1048576*110/100)) ] \
  && ok "bandwidth limit honoured with 100 ms latency: $rate B/s over $sent bytes (limit 2097152)" \
  || bad "rate $rate B/s for ${sent:-0} bytes: over the 2 MiB/s limit, or did not finish"
in_a tc qdisc del dev "$VA" root 2>/dev/null
kill "$RELAY_PID" 2>/dev/null; RELAY_PID=""

in_a kill -TERM "$PID_A"; wait "$PID_A" 2>/dev/null; PID_A=""
out=$(cat a/appliance.log b/appliance.log); crashed "$out" && bad "an appliance crashed" || ok "no crash in either appliance"
e2e_verdict "replication wan e2e"
