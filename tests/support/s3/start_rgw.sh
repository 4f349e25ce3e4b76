#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster -- one monitor, one memstore
# OSD (data in RAM), no manager -- and radosgw (S3) on 127.0.0.1, for the S3
# tests. Everything lives under DIR; nothing is installed or touched outside
# it. Test use only.
#
# Usage: start_rgw.sh DIR [PORT]
#   DIR   a directory of its own (created; emptied when it holds a stopped
#         cluster's files)
#   PORT  the S3 port; a free one is picked when omitted or 0
# Env:   RGW_ACCESS_KEY / RGW_SECRET_KEY  (default testaccesskey / testsecretkey)
#        MEMSTORE_BYTES                  (default 4 GiB; RAM is used as written)
#
# Prints, as its last lines:
#   PIDS=<mon> <osd> <rgw>
#   ENDPOINT=http://127.0.0.1:PORT ACCESS_KEY=... SECRET_KEY=... REGION=us-east-1
# and writes the PIDs to DIR/pids. Stop with stop_rgw.sh DIR (by PID).
#
# radosgw's DNS name is "localhost", so http://localhost:PORT with
# Host: <bucket>.localhost reaches <bucket> in virtual-host style, while
# 127.0.0.1:PORT stays path style.
set -euo pipefail

DIR=${1:?usage: start_rgw.sh DIR [PORT]}
PORT=${2:-0}
AK=${RGW_ACCESS_KEY:-testaccesskey}
SK=${RGW_SECRET_KEY:-testsecretkey}
t0=$(date +%s%N)
say() { echo "[$(( ($(date +%s%N) - t0) / 1000000 )) ms] $*" >&2; }

for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen curl; do
  command -v "$b" >/dev/null || {
    echo "start_rgw.sh: $b is not installed; run scripts/deps.sh (make deps)" >&2
    exit 2
  }
done

# A port nobody listens on: bash's /dev/tcp connect fails on it. Random in
# 20000..59999 so that parallel test programs rarely race for the same one.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! listening "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
  done
  echo "start_rgw.sh: no free port found" >&2
  return 1
}
if [ "$PORT" = 0 ]; then PORT=$(free_port); fi
if listening "$PORT"; then echo "start_rgw.sh: port $PORT is already in use" >&2; exit 1; fi
MON_PORT=$(free_port "$PORT")

if [ -e "$DIR/pids" ]; then
  echo "start_rgw.sh: $DIR/pids exists: stop that cluster first (stop_rgw.sh $DIR)" >&2
  exit 1
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -rf "$DIR"/{mon,osd.*,rgw,log,run,ceph.conf,monmap}
mkdir -p "$DIR"/{mon,rgw,log,run}

stop_started() {
  echo "start_rgw.sh: failed; logs in $DIR/log" >&2
  for f in "$DIR"/run/*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  tail -n 20 "$DIR"/log/*.log >&2 2>/dev/null || true
}
trap stop_started ERR

FSID=$(uuidgen)
# auth none: a throwaway cluster on loopback. radosgw asks for a 'secure'
# monitor connection by default, which auth none cannot give: crc allowed.
cat > "$DIR/ceph.conf" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
public network = 127.0.0.1/32
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-4294967296}
osd memory target = 1073741824
paxos propose interval = 0.1
paxos min wait = 0.01

[mon.a]
mon data = $DIR/mon
[osd]
osd data = $DIR/osd.\$id
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
rgw dns name = localhost
rgw thread pool size = 32
ms mon client mode = crc
EOF
export CEPH_CONF=$DIR/ceph.conf

monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
  "$DIR/monmap" >/dev/null
ceph-mon --id a --mkfs --monmap "$DIR/monmap" --keyring /dev/null
touch "$DIR/mon/keyring"
ceph-mon --id a --pid-file "$DIR/run/mon.pid"
for _ in $(seq 1 150); do ceph -s --connect-timeout 2 >/dev/null 2>&1 && break; sleep 0.2; done
ceph -s --connect-timeout 2 >/dev/null
say "mon up on 127.0.0.1:$MON_PORT"

OSD_UUID=$(uuidgen)
OSD_ID=$(ceph osd new "$OSD_UUID")
mkdir -p "$DIR/osd.$OSD_ID"
ceph-osd --id "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.out" 2>&1
ceph-osd --id "$OSD_ID" --pid-file "$DIR/run/osd.pid" >"$DIR/log/osd-start.out" 2>&1
for _ in $(seq 1 300); do ceph osd stat 2>/dev/null | grep -q "1 up" && break; sleep 0.2; done
ceph osd stat | grep -q "1 up"
say "osd.$OSD_ID up"

radosgw -n client.rgw.gw --pid-file "$DIR/run/rgw.pid"
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$PORT/"
say "radosgw answers on 127.0.0.1:$PORT"
radosgw-admin user create --uid=cairn-test --display-name="Cairn test" \
  --access-key="$AK" --secret="$SK" >/dev/null
say "S3 user created"
trap - ERR

# The pid files are written by the daemons once they have forked.
echo "$(cat "$DIR/run/mon.pid") $(cat "$DIR/run/osd.pid") $(cat "$DIR/run/rgw.pid")" >"$DIR/pids"
echo "PIDS=$(cat "$DIR/pids")"
echo "ENDPOINT=http://127.0.0.1:$PORT ACCESS_KEY=$AK SECRET_KEY=$SK REGION=us-east-1"
