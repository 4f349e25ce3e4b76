#!/usr/bin/env bash
# End-to-end checks of the appliance over real TLS on 127.0.0.1 (ports chosen
# by the kernel): first boot, enrollment and each of its refusals, agent
# backup/restore, cluster scoping, unenrolled / foreign-CA / revoked clients,
# roles and the audit log, metrics, an agent killed mid-upload (the resume
# sends only what is missing, counted), the appliance killed mid-upload
# (committed snapshots intact, nothing half visible), hostile clients (malformed,
# oversized header and body, slow-loris) during an upload, graceful SIGTERM.
# Usage: appliance_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
APP=$B/appliance/cairn-appliance; CTL=$B/appliance/ctl/cairnctl; AGENT=$B/agent/cairn-agent
W=$(mktemp -d /tmp/cairn-appliance-e2e-XXXXXX)
APP_PID=""; BG_PID=""
cleanup() {
  [ -n "$BG_PID" ] && kill -9 "$BG_PID" 2>/dev/null
  [ -n "$APP_PID" ] && kill -9 "$APP_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
expect_fail() {  # expect_fail "description" "pattern in output" cmd...
  local what=$1 pattern=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -ne 0 ] && grep -qiE "$pattern" <<<"$out" && ! crashed "$out"; then
    ok "$what"
  else
    bad "$what (rc=$rc) output: $out"
  fi
}
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

cd "$W"
cat > appliance.toml <<EOF
[paths]
state_dir = "var"
[ingest]
address = "127.0.0.1"
port = 0
[admin]
address = "127.0.0.1"
port = 0
[limits]
idle_timeout = "10s"
EOF

# --- first boot, and its refusal to run twice ---
"$APP" init --config appliance.toml > init.out 2>&1 && ok "init" || bad "init: $(cat init.out)"
ADMIN_TOKEN=$(grep -A1 "admin API token" init.out | tail -1)
PIN=$(sed -n 's/^CA fingerprint (sha256): //p' init.out)
[[ $ADMIN_TOKEN == cairn-api.v1.* ]] && ok "init prints an admin token once" || bad "no admin token in: $(cat init.out)"
expect_fail "a second init is refused and changes nothing" "already initialised" "$APP" init --config appliance.toml
[ "$(sha256sum < var/pki/ca.crt | cut -c1-64)" != "" ] && openssl x509 -in var/pki/ca.crt -outform der | sha256sum | grep -q "$PIN" \
  && ok "printed fingerprint is the CA certificate's SHA-256" || bad "fingerprint mismatch"

start_appliance() {
  rm -f ready.json
  "$APP" run --config appliance.toml --ready-file ready.json 2>> appliance.log &
  APP_PID=$!
  for _ in $(seq 1 100); do [ -s ready.json ] && break; sleep 0.1; done
  [ -s ready.json ] || { bad "appliance did not start: $(tail -5 appliance.log)"; return 1; }
  IP=$(json ready.json 'd["ingest_port"]'); AP=$(json ready.json 'd["admin_port"]')
  export CAIRN_APPLIANCE=https://127.0.0.1:$AP CAIRN_TOKEN=$ADMIN_TOKEN CAIRN_CA_FILE=$W/var/pki/ca.crt
  INGEST=https://127.0.0.1:$IP
  # Restarts keep these ports: enrolled agents remember the address.
  sed -i "/^\[ingest\]/,/^port/ s/^port = .*/port = $IP/; /^\[admin\]/,/^port/ s/^port = .*/port = $AP/" appliance.toml
}
start_appliance && ok "appliance runs and reports its ports"
curl -sf --cacert var/pki/ca.crt "$INGEST/v1/healthz" | grep -q ok && ok "ingest health" || bad "ingest health"
curl -sf --cacert var/pki/ca.crt "$CAIRN_APPLIANCE/v1/healthz" | grep -q ok && ok "admin health" || bad "admin health"

# --- enrollment and each refusal ---
new_token() { "$CTL" token create --cluster "$1" ${2:+--ttl "$2"} 2>/dev/null | tail -1; }
T1=$(new_token edge-1 1h)
"$AGENT" enroll --appliance "$INGEST" --token "$T1" --state-dir a1 > enroll.out 2>&1 \
  && ok "enroll (happy path)" || bad "enroll: $(cat enroll.out)"
[ "$(stat -c %a a1/agent.key)" = 600 ] && [ "$(stat -c %a a1/dedup.json)" = 600 ] \
  && ok "agent key and id key are mode 0600" || bad "agent secret modes"
expect_fail "a used token is refused (replay), naming the agent" "already used.*ag-" \
  "$AGENT" enroll --appliance "$INGEST" --token "$T1" --state-dir replay
T_SHORT=$(new_token edge-1 1s); sleep 2.2
expect_fail "an expired token is refused" "expired" "$AGENT" enroll --appliance "$INGEST" --token "$T_SHORT" --state-dir expired
T_PIN=$(new_token edge-1 1h)
WRONG_PIN="${T_PIN%.*}.$(printf '%064d' 0)"
expect_fail "a token whose CA pin does not match the appliance is refused" "does not present the CA this token pins" \
  "$AGENT" enroll --appliance "$INGEST" --token "$WRONG_PIN" --state-dir wrongpin
expect_fail "a token for another cluster is refused" "is for cluster edge-1, not edge-9" \
  "$AGENT" enroll --appliance "$INGEST" --token "$T_PIN" --state-dir wrongcluster --cluster edge-9
expect_fail "a garbled token is refused with what is expected" "cairn-enroll" \
  "$AGENT" enroll --appliance "$INGEST" --token "hello" --state-dir garbled
code=$(curl -s -o enroll-bad.out -w '%{http_code}' --cacert var/pki/ca.crt -X POST -d '{"token":"t","csr_pem":"c","cluster":5}' "$INGEST/v1/enroll")
[ "$code" = 400 ] && grep -q 'must be a string' enroll-bad.out && ok "a malformed enrollment request is a 400 that says what was wrong" \
  || bad "malformed enroll: $code $(cat enroll-bad.out)"
expect_fail "an agent state dir is not enrolled twice" "already holds an enrollment" \
  "$AGENT" enroll --appliance "$INGEST" --token "$(new_token edge-1)" --state-dir a1

# --- backup and restore through the appliance ---
SRC=$W/src; mkdir -p "$SRC/d/sub"
head -c 3000000 /dev/urandom > "$SRC/d/random.bin"
seq 1 300000 > "$SRC/d/text.txt"; cp "$SRC/d/text.txt" "$SRC/d/sub/copy.txt"
ln -s ../text.txt "$SRC/d/sub/link"; printf 'x' > "$SRC/small"; chmod 640 "$SRC/small"
out=$("$AGENT" backup --state-dir a1 --path "$SRC" --name vols 2>&1); rc=$?
SNAP1=$(tail -1 <<<"$out" | sed -n 's/^snapshot //p')
[ $rc = 0 ] && [ -n "$SNAP1" ] && ok "agent backup -> snapshot $SNAP1" || bad "agent backup: $out"
"$AGENT" restore --state-dir a1 --snapshot "$SNAP1" --target r1 > /dev/null 2>&1 && diff -r "$SRC" r1 >/dev/null \
  && ok "agent restore is identical" || bad "agent restore differs"
"$CTL" restore --snapshot "$SNAP1" --target r2 > /dev/null 2>&1 && diff -r "$SRC" r2 >/dev/null \
  && ok "cairnctl restore --appliance is identical" || bad "cairnctl remote restore differs"
curl -sf --cacert var/pki/ca.crt -H "Authorization: Bearer $ADMIN_TOKEN" "$CAIRN_APPLIANCE/v1/snapshots/$SNAP1/tar" -o snap.tar \
  && mkdir r3 && tar -xf snap.tar -C r3 2>/dev/null && diff -r "$SRC" r3 >/dev/null \
  && ok "admin tar download extracts identical" || bad "tar download differs"
out=$("$AGENT" backup --state-dir a1 --path "$SRC" --name vols 2>&1)
grep -q "uploaded       0 chunks" <<<"$out" && grep -q "(4 unchanged)" <<<"$out" \
  && ok "unchanged rebackup uploads nothing (files cache from the appliance)" || bad "rebackup: $out"
"$CTL" snapshots | grep -q "$SNAP1.*edge-1" && ok "cairnctl snapshots lists it with its cluster" || bad "remote snapshots"
"$CTL" clusters | grep -qE "edge-1 +1 +2" && ok "cairnctl clusters: 1 agent, 2 snapshots" || bad "clusters: $("$CTL" clusters)"
"$CTL" status | grep -q "snapshots      2" && ok "cairnctl status" || bad "status: $("$CTL" status)"

# --- cluster scoping ---
"$AGENT" enroll --appliance "$INGEST" --token "$(new_token edge-2)" --state-dir a2 >/dev/null 2>&1 \
  && ok "second agent enrolled in edge-2" || bad "enroll a2"
[ "$("$AGENT" snapshots --state-dir a2 2>&1 | tail -1)" = "0 snapshot(s)" ] \
  && ok "another cluster's agent sees none of edge-1's snapshots" || bad "a2 sees snapshots"
expect_fail "another cluster's agent cannot restore edge-1's snapshot" "no snapshot" \
  "$AGENT" restore --state-dir a2 --snapshot "$SNAP1" --target r4

# --- unenrolled, foreign-CA and revoked clients ---
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert var/pki/ca.crt "$INGEST/v1/snapshots")
[ "$code" = 403 ] && ok "a client without a certificate is refused (403)" || bad "no-cert client got $code"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt \
  -subj "/CN=intruder/O=edge-1" -days 1 2>/dev/null
curl -s --cacert var/pki/ca.crt --cert other.crt --key other.key "$INGEST/v1/snapshots" > foreign.out 2>&1; rc=$?
[ $rc -ne 0 ] && ! grep -q snapshots foreign.out && ok "a certificate from another CA is refused at the TLS layer (curl rc=$rc)" \
  || bad "foreign CA accepted: $(cat foreign.out)"
A2=$(json a2/agent.json 'd["agent_id"]')
"$CTL" agent revoke "$A2" >/dev/null 2>&1 && ok "cairnctl agent revoke" || bad "revoke"
expect_fail "a revoked agent is refused at once" "revoked" "$AGENT" snapshots --state-dir a2
"$CTL" agent list | grep -q "$A2.*revoked" && ok "agent list shows it revoked" || bad "agent list"

# --- roles and the audit log ---
AUD=$("$CTL" api-token create --name viewer --role auditor 2>/dev/null | tail -1)
CAIRN_TOKEN=$AUD "$CTL" status >/dev/null 2>&1 && ok "an auditor can read status" || bad "auditor status"
expect_fail "an auditor cannot create enrollment tokens" "role 'auditor' may not" \
  env CAIRN_TOKEN="$AUD" "$CTL" token create --cluster edge-1
expect_fail "a bad API token is refused" "malformed API token|unknown|not valid" env CAIRN_TOKEN=cairn-api.v1.0000000000000000.AAAA "$CTL" status
audit=$("$CTL" audit --limit 1000)
for action in appliance.init enrollment-token.create agent.enroll agent.revoke snapshot.restore api-token.create; do
  grep -q "$action" <<<"$audit" && ok "audit log has $action" || bad "audit log lacks $action"
done
grep -q "denied .*enrollment-token.create" <<<"$audit" && ok "audit log records the auditor's denied attempt" || bad "no denied entry"

# --- metrics ---
metrics=$(curl -sf --cacert var/pki/ca.crt "$CAIRN_APPLIANCE/metrics")
ingested=$(sed -n 's/^cairn_ingest_bytes_total //p' <<<"$metrics")
python3 -c "import sys; sys.exit(0 if float('${ingested:-0}') > 3e6 else 1)" \
  && ok "metrics: cairn_ingest_bytes_total=$ingested" || bad "metrics: $metrics"
for m in cairn_dedup_ratio cairn_active_uploads cairn_snapshots cairn_store_stored_bytes cairn_errors_total 'cairn_listener_connections_active{listener="ingest"}'; do
  grep -qF "$m" <<<"$metrics" && ok "metrics has $m" || bad "metrics lacks $m"
done

# --- an agent killed mid-upload resumes without resending ---
BIG=$W/big; mkdir -p "$BIG"
for i in 1 2 3 4; do head -c 100000000 /dev/urandom > "$BIG/part$i.bin"; done
stored_chunks() { curl -sf --cacert var/pki/ca.crt -H "Authorization: Bearer $ADMIN_TOKEN" "$CAIRN_APPLIANCE/v1/status" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["ingest"]["chunks_stored"])'; }
before=$(stored_chunks)
"$AGENT" backup --state-dir a1 --path "$BIG" --name big --threads 2 > /dev/null 2>&1 &
BG_PID=$!
for _ in $(seq 1 200); do [ "$(stored_chunks)" -gt $((before + 40)) ] && break; sleep 0.05; done
kill -9 "$BG_PID" 2>/dev/null; wait "$BG_PID" 2>/dev/null; BG_PID=""
sleep 1  # a batch the appliance was already processing still lands: count it
arrived=$(( $(stored_chunks) - before ))
out=$("$AGENT" backup --state-dir a1 --path "$BIG" --name big 2>&1); rc=$?
up=$(sed -n 's/^uploaded *\([0-9]*\) chunks.* of \([0-9]*\) new.*/\1/p' <<<"$out")
total=$(sed -n 's/^uploaded *\([0-9]*\) chunks.* of \([0-9]*\) new.*/\2/p' <<<"$out")
if [ $rc = 0 ] && [ -n "$up" ] && [ "$arrived" -gt 0 ] && [ "$up" -lt "$total" ] && [ $((up + arrived)) -ge "$total" ]; then
  ok "after kill -9 of the agent, the resumed backup sent $up of $total chunks ($arrived had arrived)"
else
  bad "resume: rc=$rc arrived=$arrived uploaded=$up total=$total: $out"
fi
BIGSNAP=$(tail -1 <<<"$out" | sed -n 's/^snapshot //p')
"$AGENT" restore --state-dir a1 --snapshot "$BIGSNAP" --target rbig >/dev/null 2>&1 && diff -r "$BIG" rbig >/dev/null \
  && ok "the resumed snapshot restores identical" || bad "resumed snapshot differs"
rm -rf rbig

# --- hostile clients while an upload runs: each refused, the upload unharmed ---
cat > hostile.py <<'PY'
import socket, ssl, sys, time
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="127.0.0.1")
if mode == "malformed":
    s.sendall(b"GARBAGE / HTTP/9.9\r\n\r\n")
elif mode == "big-header":
    s.sendall(b"GET /v1/healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 100000 + b"\r\n\r\n")
elif mode == "big-body":
    s.sendall(b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n")
elif mode == "slow":
    s.sendall(b"GET /v1/healthz HTTP/1.1\r\nHo")   # and then nothing: a slow-loris
    t0 = time.monotonic()
    try:
        data = s.recv(100)
    except (ConnectionError, ssl.SSLError, socket.timeout):
        data = b""
    print("closed after %.0f s" % (time.monotonic() - t0))
    sys.exit(0)
try:
    data = s.recv(200)
except (ConnectionError, ssl.SSLError):
    data = b""
print(data.split(b"\r\n")[0].decode(errors="replace"))
PY
for i in 1 2 3 4; do head -c 60000000 /dev/urandom > "$BIG/part$i.bin"; done
"$AGENT" backup --state-dir a1 --path "$BIG" --name hostile > hostile-backup.out 2>&1 &
BG_PID=$!
python3 hostile.py "$IP" var/pki/ca.crt slow > slow.out 2>&1 &
SLOW_PID=$!
sleep 0.3
line=$(python3 hostile.py "$IP" var/pki/ca.crt malformed 2>&1)
grep -q "400" <<<"$line" && ok "malformed request line during an upload: $line" || bad "malformed: $line"
line=$(python3 hostile.py "$IP" var/pki/ca.crt big-header 2>&1)
grep -q "431" <<<"$line" && ok "oversized header during an upload: $line" || bad "big header: $line"
line=$(python3 hostile.py "$IP" var/pki/ca.crt big-body 2>&1)
grep -q "413" <<<"$line" && ok "oversized body during an upload: $line" || bad "big body: $line"
wait "$BG_PID"; rc=$?; BG_PID=""
[ $rc = 0 ] && ok "the upload running meanwhile completed" || bad "upload harmed: $(tail -3 hostile-backup.out)"
wait "$SLOW_PID"
grep -qE "closed after ([89]|1[0-3]) s" slow.out && ok "a slow-loris client is cut off at the idle timeout ($(cat slow.out))" \
  || bad "slow client: $(cat slow.out)"

# --- the appliance killed mid-upload: committed snapshots intact, none half visible ---
for i in 1 2 3 4; do head -c 100000000 /dev/urandom > "$BIG/part$i.bin"; done
count_before=$("$CTL" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
before=$(stored_chunks)
"$AGENT" backup --state-dir a1 --path "$BIG" --name big2 > agent-crash.out 2>&1 &
BG_PID=$!
for _ in $(seq 1 200); do [ "$(stored_chunks)" -gt $((before + 40)) ] && break; sleep 0.05; done
kill -9 "$APP_PID"; wait "$APP_PID" 2>/dev/null; APP_PID=""
wait "$BG_PID"; agent_rc=$?; BG_PID=""
[ $agent_rc -ne 0 ] && ! crashed "$(cat agent-crash.out)" && ok "the agent reports the lost appliance cleanly" \
  || bad "agent during appliance crash: rc=$agent_rc $(cat agent-crash.out)"
start_appliance && ok "appliance restarts after kill -9"
count_after=$("$CTL" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$count_after" = "$count_before" ] && ok "no partial snapshot is visible ($count_after snapshots)" || bad "snapshots $count_before -> $count_after"
"$CTL" verify --store var/store --key-file var/keys/store.key > verify.out 2>&1 \
  && ok "verify after the crash: every committed snapshot's chunks are whole" || bad "verify: $(cat verify.out)"
"$AGENT" restore --state-dir a1 --snapshot "$SNAP1" --target r5 >/dev/null 2>&1 && diff -r "$SRC" r5 >/dev/null \
  && ok "a snapshot committed before the crash restores identical" || bad "restore after crash"
out=$("$AGENT" backup --state-dir a1 --path "$BIG" --name big2 2>&1) && ok "the backup succeeds after the restart" || bad "backup after restart: $out"

# --- graceful stop ---
kill -TERM "$APP_PID"
for _ in $(seq 1 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$APP_PID" 2>/dev/null; then
  wait "$APP_PID"; rc=$?; APP_PID=""
  [ $rc = 0 ] && grep -q "appliance.stopped" appliance.log && ok "SIGTERM stops the appliance cleanly" || bad "stop rc=$rc"
else
  bad "appliance ignored SIGTERM for 10 s"
fi
if grep -qiE "AddressSanitizer|runtime error|terminate called" appliance.log; then
  bad "appliance log shows a crash or sanitizer report: $(grep -iE 'AddressSanitizer|runtime error' appliance.log | head -3)"
fi

echo "appliance e2e: $pass passed, $fail failed"
[ $fail = 0 ]
