#!/usr/bin/env bash
# make demo: the main job end to end on the embedded default -- an appliance
# under ./var/demo on 127.0.0.1, a local agent enrolled with a one-time token,
# a sample tree backed up through the agent (client-side dedup, mTLS),
# changed and backed up again, restored and compared; then a Kubernetes
# cluster (a stand-in API server) backed up resource by resource and one
# namespace restored into an empty DR cluster with mappings; and what the
# operator sees (cairnctl status, snapshots, audit, metrics). The appliance is stopped
# at the end; the last lines say how to start it again and go on.
set -euo pipefail
BUILD=$(readlink -f "${1:-build}")
APP=$BUILD/appliance/cairn-appliance; CTL=$BUILD/appliance/ctl/cairnctl; AGENT=$BUILD/agent/cairn-agent
DEMO=$(pwd)/var/demo
ROOT=$(cd "$(dirname "$0")/.." && pwd)
APP_PID=""; CLUSTER_PIDS=""
trap '[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null; for p in $CLUSTER_PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null || true' EXIT
rm -rf "$DEMO"; mkdir -p "$DEMO"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "appliance configuration ($DEMO/appliance.toml)"
cat > "$DEMO/appliance.toml" <<CONF
# The embedded default: everything under this directory, both listeners on
# 127.0.0.1 (ports chosen by the kernel; see ready.json).
[paths]
state_dir = "state"
[ingest]
address = "127.0.0.1"
port = 0
[admin]
address = "127.0.0.1"
port = 0
CONF
cat "$DEMO/appliance.toml"

step "first boot: cairn-appliance init (store, keys, CA, certificates, admin token)"
"$APP" init --config "$DEMO/appliance.toml" | tee "$DEMO/init.out"
ADMIN_TOKEN=$(grep -A1 "admin API token" "$DEMO/init.out" | tail -1)

step "start the appliance"
"$APP" run --config "$DEMO/appliance.toml" --ready-file "$DEMO/ready.json" 2> "$DEMO/appliance.log" &
APP_PID=$!
for _ in $(seq 1 100); do [ -s "$DEMO/ready.json" ] && break; sleep 0.1; done
[ -s "$DEMO/ready.json" ] || { cat "$DEMO/appliance.log"; exit 1; }
IP=$(python3 -c "import json; print(json.load(open('$DEMO/ready.json'))['ingest_port'])")
AP=$(python3 -c "import json; print(json.load(open('$DEMO/ready.json'))['admin_port'])")
export CAIRN_APPLIANCE=https://127.0.0.1:$AP CAIRN_TOKEN=$ADMIN_TOKEN CAIRN_CA_FILE=$DEMO/state/pki/ca.crt
echo "ingest (agents, mTLS): https://127.0.0.1:$IP   admin API: https://127.0.0.1:$AP   pid $APP_PID"

step "an enrollment token for cluster 'demo' (cairnctl token create)"
TOKEN=$("$CTL" token create --cluster demo --ttl 1h | tail -1)
echo "$TOKEN"

step "enroll a local agent (checks the CA pin in the token, sends a CSR)"
"$AGENT" enroll --appliance "https://127.0.0.1:$IP" --token "$TOKEN" --state-dir "$DEMO/agent" 2>/dev/null

step "a sample tree: /usr/include, duplicates, links, a sparse file"
SRC=$DEMO/src; mkdir -p "$SRC"
cp -a /usr/include "$SRC/include"
cp -a "$SRC/include/linux" "$SRC/include-copy-of-linux"
ln -s include/stdio.h "$SRC/stdio-link"
ln "$SRC/include/stdlib.h" "$SRC/stdlib-hardlink.h"
truncate -s 64M "$SRC/sparse.img"; echo "data in a hole" | dd of="$SRC/sparse.img" bs=1 seek=$((40<<20)) conv=notrunc status=none
du -sh --apparent-size "$SRC"

step "agent backup (chunked and deduplicated on the agent, only missing chunks uploaded)"
"$AGENT" backup --state-dir "$DEMO/agent" --path "$SRC" --name volumes

step "change a few files, back up again"
echo "// changed by the demo" >> "$SRC/include/stdio.h"
head -c 3000000 /dev/urandom > "$SRC/new-blob.bin"
"$AGENT" backup --state-dir "$DEMO/agent" --path "$SRC" --name volumes

step "restore the latest snapshot through the agent and compare"
"$AGENT" restore --state-dir "$DEMO/agent" --snapshot latest --name volumes --target "$DEMO/restored"
diff -r --no-dereference "$SRC" "$DEMO/restored" && echo "restored tree is identical to the source"

# No Kubernetes cluster can run here: the project's test API server (it speaks
# the real wire protocol, tests/support/kube) stands in for two clusters.
KUBE=$ROOT/tests/support/kube
start_cluster() {  # start_cluster NAME LOAD_DIR: a stand-in cluster, its kubeconfig in $DEMO/NAME/kubeconfig
  python3 "$KUBE/kube-test-apiserver" --listen 127.0.0.1:0 --pki-dir "$DEMO/$1" --load "$2" \
    --ready-file "$DEMO/$1/ready.json" --quiet > /dev/null 2> "$DEMO/$1.log" &
  CLUSTER_PIDS="$CLUSTER_PIDS $!"
  for _ in $(seq 1 150); do [ -s "$DEMO/$1/ready.json" ] && break; sleep 0.1; done
  [ -s "$DEMO/$1/ready.json" ] || { cat "$DEMO/$1.log"; exit 1; }
}
step "a Kubernetes cluster to protect: a seeded stand-in API server (CRDs, workloads, RBAC, PVCs, secrets)"
python3 "$KUBE/seed_cluster.py" --out "$DEMO/cluster-seed" --objects 1500 --seed 1 | tail -1
mkdir -p "$DEMO/empty"
start_cluster edge-cluster "$DEMO/cluster-seed"
start_cluster dr-cluster "$DEMO/empty"
echo "edge cluster: $DEMO/edge-cluster/kubeconfig   empty DR cluster: $DEMO/dr-cluster/kubeconfig"

step "back up every resource of the cluster (cairn-agent backup-resources)"
"$AGENT" backup-resources --state-dir "$DEMO/agent" --kubeconfig "$DEMO/edge-cluster/kubeconfig" --name resources

step "the plan for restoring namespace 'shop' into the DR cluster as 'shop-dr' (--dry-run)"
"$AGENT" restore-resources --state-dir "$DEMO/agent" --kubeconfig "$DEMO/dr-cluster/kubeconfig" \
  --snapshot latest --name resources --include-namespaces shop --namespace-mapping shop=shop-dr \
  --storage-class-mapping fast=standard --dry-run | tail -8

step "restore it (CRDs, namespace, PVs/PVCs, RBAC, secrets, config, then workloads)"
"$AGENT" restore-resources --state-dir "$DEMO/agent" --kubeconfig "$DEMO/dr-cluster/kubeconfig" \
  --snapshot latest --name resources --include-namespaces shop --namespace-mapping shop=shop-dr \
  --storage-class-mapping fast=standard | tail -3

step "the whole cluster as plain YAML for kubectl apply, no API server needed (--to-dir)"
"$AGENT" restore-resources --state-dir "$DEMO/agent" --snapshot latest --name resources \
  --to-dir "$DEMO/cluster-yaml" | tail -1
ls "$DEMO/cluster-yaml" | head -5

step "what the operator sees: cairnctl status, snapshots, clusters, audit"
"$CTL" status
"$CTL" snapshots
"$CTL" clusters
"$CTL" audit | tail -6
curl -s --cacert "$CAIRN_CA_FILE" "$CAIRN_APPLIANCE/metrics" | grep -E '^cairn_(ingest_bytes_total|snapshots|dedup_ratio) '

step "stop the appliance (SIGTERM: in-flight work finishes)"
kill -TERM "$APP_PID"; wait "$APP_PID" || true; APP_PID=""
tail -2 "$DEMO/appliance.log"

step "demo done -- everything is under $DEMO. To go on:"
cat <<NEXT
  $APP run --config $DEMO/appliance.toml --ready-file $DEMO/ready.json &
  export CAIRN_APPLIANCE=https://127.0.0.1:<admin_port from ready.json> CAIRN_CA_FILE=$DEMO/state/pki/ca.crt
  export CAIRN_TOKEN=$ADMIN_TOKEN
  $CTL snapshots          # list, with sizes and dedup
  $CTL token create --cluster <name>   # enroll more agents
  $CTL restore --snapshot latest --name volumes --target /tmp/out
  (ports are chosen at each start with port = 0; set fixed ports in appliance.toml
   so enrolled agents find the appliance again: they remember its address)
  $AGENT restore-resources --state-dir $DEMO/agent --kubeconfig $DEMO/dr-cluster/kubeconfig \\
      --snapshot latest --name resources --app <name> --dry-run    # (restart the stand-in clusters first)
  Deploying the agent into a real cluster: docs/agent.md
  The local-store walkthrough (no daemon): make demo-local
NEXT
