#!/usr/bin/env bash
# Restore from the appliance with the WAN down: the site's cluster (a test API
# server) and the agent run inside a network namespace whose ONLY link is a
# veth to the appliance -- no default route, nothing else reachable. A
# snapshot taken earlier restores into the site's (empty) cluster and the
# result matches the source, resources and a volume tree alike.
# Needs root (ip netns). Usage: kube_wan_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-kube-wan-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/kube.sh"
NETNS=cairn-site-$$
# A /30 inside 10.231.0.0/16 picked from the PID, so parallel runs do not collide.
OCTET=$(( ($$ % 60) * 4 ))
HOST_IP=10.231.$(( $$ % 250 )).$((OCTET + 1)); SITE_IP=10.231.$(( $$ % 250 )).$((OCTET + 2))
VH=cw$$h; VS=cw$$s
SITE_PID=""
cleanup() {
  # `ip netns exec` execs the server: SITE_PID is the server's own PID.
  stop_pid "$SITE_PID" TERM 15
  kube_stop_all
  appliance_stop KILL
  ip link del "$VH" 2>/dev/null
  ip netns del "$NETNS" 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
site() { ip netns exec "$NETNS" "$@"; }
if [ "$(id -u)" != 0 ]; then echo "kube wan e2e: needs root for ip netns"; exit 1; fi

cd "$W"
ip netns add "$NETNS" && ip link add "$VH" type veth peer name "$VS" && ip link set "$VS" netns "$NETNS" \
  && ip addr add "$HOST_IP/30" dev "$VH" && ip link set "$VH" up \
  && site ip addr add "$SITE_IP/30" dev "$VS" && site ip link set "$VS" up && site ip link set lo up \
  && ok "site namespace $NETNS: one veth to the appliance ($HOST_IP), no default route" || bad "netns setup"
[ -z "$(site ip route show default)" ] && ! site ping -c1 -W1 192.0.2.1 >/dev/null 2>&1 \
  && ok "the site reaches nothing beyond the appliance link" || bad "the site has a route out"

python3 "$KUBE_SUPPORT/seed_cluster.py" --out seed --objects 400 --seed 3 > /dev/null
mkdir empty vol && seq 1 200000 > vol/data.txt && head -c 2000000 /dev/urandom > vol/blob
# The appliance listens on the host end of the veth only.
appliance_init "$HOST_IP" && appliance_start && ok "appliance on $INGEST" || bad "appliance"
enroll_agent site-1 a && ok "agent enrolled over the link" || bad "enroll"
kube_start src seed && ok "source cluster up" || bad "source API server"
out=$("$AGENT" backup-resources --state-dir a --kubeconfig "$(kube_config src)" --name resources 2>&1) \
  && SNAP=$(sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' <<<"$out" | tail -1) && [ -n "$SNAP" ] \
  && ok "resources backed up while the WAN was up ($SNAP)" || bad "backup: $(tail -5 <<<"$out")"
out=$("$AGENT" backup --state-dir a --path vol --name vol 2>&1) && ok "volume tree backed up" || bad "volume backup: $out"
kube_stop src

# The site's cluster, inside the namespace (its 127.0.0.1 is the namespace's own).
rm -f site-ready.json
ip netns exec "$NETNS" python3 "$KUBE_SUPPORT/kube-test-apiserver" --listen 127.0.0.1:0 --pki-dir site-pki --load empty \
  --ready-file site-ready.json --quiet > /dev/null 2>> site.log &
SITE_PID=$!
for _ in $(seq 1 150); do [ -s site-ready.json ] && break; sleep 0.1; done
[ -s site-ready.json ] && ok "site API server up inside the namespace" || bad "site API server: $(tail -3 site.log)"

out=$(timeout 120 ip netns exec "$NETNS" "$AGENT" restore-resources --state-dir a --kubeconfig site-pki/kubeconfig --snapshot "$SNAP" --kube-qps 5000 2>&1); rc=$?
[ $rc = 0 ] && ok "restore-resources inside the cut-off site" || bad "restore in site rc=$rc: $(tail -10 <<<"$out")"
norm() { python3 "$KUBE_SUPPORT/normalize.py" --exclude-kinds Event,Lease,Node,Endpoints,EndpointSlice -; }
types=$(site "$KUBECTL" --kubeconfig site-pki/kubeconfig api-resources --verbs=list -o name | paste -sd, -)
site "$KUBECTL" --kubeconfig site-pki/kubeconfig get "$types" -A -o json | norm > site.json
python3 - "$W/seed" site.json <<'PY' && ok "the site's cluster holds every backed-up object" || bad "site cluster differs from the seed"
import json, sys, pathlib, yaml
seed = [d for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')) for d in yaml.safe_load_all(p.read_text()) if d]
skip = {'Event', 'Lease', 'Node', 'Endpoints', 'EndpointSlice'}
want = {(d['kind'], d['metadata'].get('namespace'), d['metadata']['name']) for d in seed if d['kind'] not in skip}
got = {(d['kind'], d['metadata'].get('namespace'), d['metadata']['name']) for d in json.load(open(sys.argv[2]))['items']}
# The namespaces every cluster starts with are there before any restore.
got -= {('Namespace', None, n) for n in ('default', 'kube-system', 'kube-public', 'kube-node-lease')}
want -= {('Namespace', None, n) for n in ('default', 'kube-system', 'kube-public', 'kube-node-lease')}
print(f'{len(got)} objects in the site, {len(want)} seeded')
if want != got: print('missing', sorted(want - got)[:5], 'extra', sorted(got - want)[:5])
sys.exit(0 if want == got else 1)
PY
out=$(site "$AGENT" restore --state-dir a --snapshot latest --name vol --target vol-restored 2>&1) \
  && diff -r vol vol-restored > /dev/null && ok "the volume tree restores identical inside the site" || bad "volume restore: $out"

echo "kube wan e2e: $pass passed, $fail failed"
[ $fail = 0 ]
