#!/bin/bash
# firewall_netns_test.sh -- the appliance's rendered nftables ruleset, applied
# in a network namespace, segments the appliance as configs/network.toml says.
#
#   [cluster] c0 10.77.1.1 --- ingest0 10.77.1.2 ┐
#   [mgmt]    m0 10.77.2.1 --- mgmt0   10.77.2.2 ├ [appliance]  (ip_forward on)
#   [wan]     w0 10.77.3.1 --- wan0    10.77.3.2 ┘
#             (+ .53 dns, .9 a non-target host)
#
# A network.toml naming those links is rendered by image/network/render-nftables
# (ruleset + listener addresses) and loaded with nft -f in the appliance
# namespace. Listeners (python sockets that greet) sit on the ingest, admin and
# ssh ports at the rendered addresses, and on a replication target, DNS and
# other ports in wan. Every probe is a TCP connect + read with a 2 s bound:
# open (greeting) | closed (refused or silently dropped). Then the drop
# counters must have grown, and a control run with the ruleset flushed must
# show the blocked paths open -- proof the probes can see a hole.
# Usage: firewall_netns_test.sh [BUILD_DIR] (unused: no binaries needed). Root, nft.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RENDER=$HERE/../../image/network/render-nftables
T0=$(date +%s.%N)

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
command -v nft >/dev/null || { echo "FAIL: nft missing (apt-get install nftables)"; exit 1; }

P=cfw$$                 # unique per run: parallel runs never share a namespace
AP=$P-app CL=$P-cluster MG=$P-mgmt WAN=$P-wan
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Deleting the namespaces deletes the veths inside them.
  for ns in "$AP" "$CL" "$MG" "$WAN"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- topology --
for ns in "$AP" "$CL" "$MG" "$WAN"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
link() { # peer-ns peer-if peer-addr app-if app-addr
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$AP"
  ip -n "$1" addr add "$3/24" dev "$2"; ip -n "$1" link set "$2" up
  ip -n "$AP" addr add "$5/24" dev "$4"; ip -n "$AP" link set "$4" up
  # Every outside namespace can address every appliance address (and, through
  # it, the others): the weak host model would accept them if nft did not stop it.
  ip -n "$1" route add 10.77.0.0/16 via "$5"
}
link "$CL"  c0 10.77.1.1 ingest0 10.77.1.2
link "$MG"  m0 10.77.2.1 mgmt0   10.77.2.2
link "$WAN" w0 10.77.3.1 wan0    10.77.3.2
ip -n "$WAN" addr add 10.77.3.53/24 dev w0
ip -n "$WAN" addr add 10.77.3.9/24 dev w0
ip netns exec "$AP" sysctl -qw net.ipv4.ip_forward=1   # the forward chain must stop routing

# ------------------------------------------------------- render and load --
cat > "$WORK/network.toml" <<'TOML'
[ingest]
interface = "ingest0"
address = "10.77.1.2/24"
cluster_networks = ["10.77.1.0/24"]
port = 8443
[management]
interface = "mgmt0"
address = "10.77.2.2/24"
networks = ["10.77.2.0/24"]
admin_port = 9443
ssh_port = 22
[replication]
interface = "wan0"
address = "10.77.3.2/24"
dns = ["10.77.3.53/32"]
[[replication.targets]]
name = "offsite"
address = "10.77.3.1/32"
port = 9443
TOML
"$RENDER" nftables "$WORK/network.toml" -o "$WORK/cairn.nft"
"$RENDER" listeners "$WORK/network.toml" "$HERE/../../configs/appliance.toml" -o "$WORK/appliance.toml"
# The listeners bind where the renderer told the appliance to bind.
addr_of() { python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))[sys.argv[2]]["address"])' "$WORK/appliance.toml" "$1"; }
INGEST=$(addr_of ingest) ADMIN=$(addr_of admin)
[ "$INGEST" = 10.77.1.2 ] && [ "$ADMIN" = 10.77.2.2 ] || { echo "FAIL: rendered listeners $INGEST $ADMIN"; exit 1; }
# Twice: a reload (boot, then an edited network.toml) replaces the table whole.
ip netns exec "$AP" nft -f "$WORK/cairn.nft"
ip netns exec "$AP" nft -f "$WORK/cairn.nft"
[ "$(ip netns exec "$AP" nft list tables | grep -c 'inet cairn')" = 1 ] || { echo "FAIL: reload"; exit 1; }

# --------------------------------------------------------------- listeners --
listen() { # ns addr:port ... -- one process greeting on each, killed by PID at exit
  local ns=$1; shift
  ip netns exec "$ns" python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port))); s.listen(16); sel.register(s, selectors.EVENT_READ, spec)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        c.sendall(("hello " + key.data + "\n").encode()); c.close()
' "$@" > "$WORK/listen-$ns-$#" &
  PIDS+=($!)
}
listen "$AP"  "$INGEST:8443" "$ADMIN:9443" "$ADMIN:22" "$INGEST:9999"
listen "$WAN" 10.77.3.1:9443 10.77.3.1:80 10.77.3.9:9443 10.77.3.53:53 10.77.3.1:8443
for _ in $(seq 100); do   # bounded wait for both to be listening (10 s)
  [ "$(cat "$WORK"/listen-* 2>/dev/null | grep -c ready)" = 2 ] && break; sleep 0.1
done
[ "$(cat "$WORK"/listen-* | grep -c ready)" = 2 ] || { echo "FAIL: listeners did not start"; exit 1; }

# ------------------------------------------------------------------ probes --
probe() { # ns addr port -> open|closed, within 2 s whatever the firewall does
  ip netns exec "$1" timeout 2 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5)
s.settimeout(1.5); sys.exit(0 if s.recv(64).startswith(b"hello") else 1)' "$2" "$3" 2>/dev/null \
    && echo open || echo closed
}
fails=0
check() { # expect ns addr port description
  local got; got=$(probe "$2" "$3" "$4")
  if [ "$got" = "$1" ]; then v=PASS; else v=FAIL; fails=$((fails+1)); fi
  printf '%s %-52s expect=%-6s got=%s\n' "$v" "$5" "$1" "$got"
}
counter() { ip netns exec "$AP" nft list counter inet cairn "$1" | awk '/packets/ {print $2}'; }

# Each row: expectation with the ruleset, then in the control run.
PROBES=(
  "open   open   $CL  $INGEST 8443 cluster -> ingest"
  "closed open   $CL  $ADMIN  9443 cluster -> admin"
  "closed open   $CL  $ADMIN  22   cluster -> ssh"
  "closed open   $CL  $INGEST 9999 cluster -> other port on ingest address"
  "open   open   $MG  $ADMIN  9443 management -> admin"
  "open   open   $MG  $ADMIN  22   management -> ssh"
  "closed open   $MG  $INGEST 8443 management -> ingest"
  "closed open   $WAN $INGEST 8443 wan -> ingest"
  "closed open   $WAN $ADMIN  9443 wan -> admin"
  "closed open   $WAN $ADMIN  22   wan -> ssh"
  "open   open   $AP  10.77.3.1 9443 appliance -> replication target"
  "closed open   $AP  10.77.3.1 80   appliance -> target host, other port"
  "closed open   $AP  10.77.3.9 9443 appliance -> other host, target port"
  "open   open   $AP  10.77.3.53 53  appliance -> dns (tcp)"
  "closed open   $CL  10.77.3.1 8443 cluster -> wan, forwarded"
)
run() { # column: 0 with ruleset, 1 control
  for row in "${PROBES[@]}"; do
    read -r e0 e1 ns addr port desc <<<"$row"
    if [ "$1" = 0 ]; then exp=$e0; else exp=$e1; fi
    check "$exp" "$ns" "$addr" "$port" "${desc//$P-/}"
  done
}

echo "== with the rendered ruleset =="
run 0
echo "-- drop counters --"
for c in dropped_input dropped_output dropped_forward; do
  n=$(counter $c); printf '   %-16s %s packets\n' "$c" "$n"
  if [ "${n:-0}" -gt 0 ]; then :; else echo "FAIL $c did not count the drops"; fails=$((fails+1)); fi
done

echo "== control: ruleset flushed, the same probes must get through =="
ip netns exec "$AP" nft delete table inet cairn
run 1

T1=$(date +%s.%N)
printf 'RESULT firewall_netns: %d failures, %.1fs\n' "$fails" "$(python3 -c "print($T1 - $T0)")"
exit $((fails > 0))
