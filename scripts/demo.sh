#!/usr/bin/env bash
# make demo: the main job end to end on the embedded default -- an appliance
# under ./var/demo on 127.0.0.1, a local agent enrolled with a one-time token,
# a sample tree backed up through the agent (client-side dedup, mTLS),
# changed and backed up again, restored and compared, and what the operator
# sees (cairnctl status, snapshots, audit, metrics). The appliance is stopped
# at the end; the last lines say how to start it again and go on.
set -euo pipefail
BUILD=$(readlink -f "${1:-build}")
APP=$BUILD/appliance/cairn-appliance; CTL=$BUILD/appliance/ctl/cairnctl; AGENT=$BUILD/agent/cairn-agent
DEMO=$(pwd)/var/demo
APP_PID=""
trap '[ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null; wait 2>/dev/null || true' EXIT
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
  The local-store walkthrough (no daemon): make demo-local
NEXT
