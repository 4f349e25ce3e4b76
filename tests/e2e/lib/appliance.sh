# Sourced by e2e scripts: a real appliance under $W (the caller's temp dir),
# on 127.0.0.1 with kernel-chosen ports kept across restarts, and enrolled
# agents. Needs $B (build dir) and $W; sets APP_PID, ADMIN_TOKEN, INGEST and
# exports CAIRN_APPLIANCE/CAIRN_TOKEN/CAIRN_CA_FILE for cairnctl.
#   appliance_init [ADDRESS]  first boot (default 127.0.0.1)
#   appliance_start           start (again), wait for the ready file
#   appliance_stop [SIGNAL]   stop by PID (default TERM), wait at most 30 s, then KILL
#   enroll_agent CLUSTER DIR  one-time token + cairn-agent enroll into DIR
# Several appliances in one script: set APP_DIR (default $W) to a directory
# per appliance and APP_WRAP to a command prefix (e.g. "ip netns exec site-b")
# before each call, and save APP_PID/INGEST/ADMIN_TOKEN/CAIRN_* between them.
source "$(dirname "${BASH_SOURCE[0]}")/process.sh"
APP=$B/appliance/cairn-appliance; CTL=$B/appliance/ctl/cairnctl; AGENT=$B/agent/cairn-agent
APP_PID=""; APP_ADDR=127.0.0.1; APP_WRAP=${APP_WRAP:-}

appliance_init() {
  APP_ADDR=${1:-127.0.0.1}
  local AD=${APP_DIR:-$W}
  cat > "$AD/appliance.toml" <<EOT
[paths]
state_dir = "$AD/var"
[ingest]
address = "$APP_ADDR"
port = 0
[admin]
address = "$APP_ADDR"
port = 0
# No scheduled prune/gc/verify: each script starts the jobs it checks, and a
# scheduled one at :15 would change what they find (or be refused a start).
[maintenance]
prune = ""
gc = ""
verify = ""
EOT
  $APP_WRAP "$APP" init --config "$AD/appliance.toml" > "$AD/init.out" 2>&1 || { echo "appliance init failed: $(cat "$AD/init.out")"; return 1; }
  ADMIN_TOKEN=$(grep -A1 "admin API token" "$AD/init.out" | tail -1)
}

appliance_start() {
  local AD=${APP_DIR:-$W}
  rm -f "$AD/ready.json"
  $APP_WRAP "$APP" run --config "$AD/appliance.toml" --ready-file "$AD/ready.json" >> "$AD/appliance.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 100); do [ -s "$AD/ready.json" ] && break; sleep 0.1; done
  [ -s "$AD/ready.json" ] || { echo "appliance did not start: $(tail -5 "$AD/appliance.log")"; return 1; }
  local ip ap
  ip=$(python3 -c "import json; print(json.load(open('$AD/ready.json'))['ingest_port'])")
  ap=$(python3 -c "import json; print(json.load(open('$AD/ready.json'))['admin_port'])")
  INGEST=https://$APP_ADDR:$ip
  export CAIRN_APPLIANCE=https://$APP_ADDR:$ap CAIRN_TOKEN=$ADMIN_TOKEN CAIRN_CA_FILE=$AD/var/pki/ca.crt
  # Restarts keep these ports: enrolled agents remember the address.
  sed -i "/^\[ingest\]/,/^port/ s/^port = .*/port = $ip/; /^\[admin\]/,/^port/ s/^port = .*/port = $ap/" "$AD/appliance.toml"
}

appliance_stop() {
  [ -n "$APP_PID" ] || return 0
  stop_pid "$APP_PID" "${1:-TERM}" 30
  APP_PID=""
}

enroll_agent() {
  local token
  token=$("$CTL" token create --cluster "$1" 2>/dev/null | tail -1)
  "$AGENT" enroll --appliance "$INGEST" --token "$token" --state-dir "$2" > "$W/enroll-$1.out" 2>&1 \
    || { echo "enroll failed: $(cat "$W/enroll-$1.out")"; return 1; }
}
