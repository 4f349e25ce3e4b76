#!/usr/bin/env bash
# Schedules end to end, with a real appliance on 127.0.0.1 and `cairn-agent
# run` (docs/protocol.md "Schedules", agent/run_command.h):
#   - `cairnctl schedule set` a directory schedule firing every 3 s (the
#     six-field cron form) -> the agent fetches it and makes snapshots;
#   - a resources schedule from the agent's own config runs against the
#     test API server and its snapshot restores with the schedule's filter;
#   - the appliance is stopped for ~10 s -> the agent logs failed runs with
#     their retry times and backs off instead of trying every fire time;
#   - the appliance is restarted on the same ports -> exactly one catch-up
#     snapshot comes soon after (the missed fire times coalesce), then the
#     schedule is on time again;
#   - SIGTERM stops the agent with exit 0.
# Bounded: about 40 s.
# Usage: kube_schedule_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-schedule-e2e-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/kube.sh"
AGENT_RUN_PID=""
cleanup() {
  [ -n "$AGENT_RUN_PID" ] && kill -KILL "$AGENT_RUN_PID" 2>/dev/null
  kube_stop_all
  appliance_stop KILL
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
finished() { grep -c "job.finished name=data" "$W/agent.log"; }
# (the resources schedule "objects" keeps running beside "data"; the counts
# below are data's, and snapshots() counts data's family only)
failed() { grep -c "job.failed name=data" "$W/agent.log"; }
finished_at_least() { [ "$(finished)" -ge "$1" ]; }
snapshots() { "$CTL" snapshots --cluster sched --json 2>/dev/null |
  python3 -c "import json,sys; print(len([s for s in json.load(sys.stdin) if s['name'] == 'data']))" 2>/dev/null || echo -1; }
# wait_for SECONDS COMMAND...: polls COMMAND (evaluated anew each time) every 0.2 s.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.2; done
}

appliance_init && appliance_start || { echo "FAIL appliance start"; exit 1; }
enroll_agent sched "$W/agent" && ok "agent enrolled into cluster sched" || { bad "enroll"; exit 1; }
mkdir -p "$W/src/sub"
for i in $(seq 1 20); do head -c 20000 /dev/urandom > "$W/src/sub/f$i"; done

out=$("$CTL" schedule set --cluster sched --name data --cron "*/3 * * * * *" --kind directory \
      --option "path=$W/src" 2>&1) && ok "cairnctl schedule set" || bad "schedule set: $out"
out=$("$CTL" schedule list --cluster sched 2>&1)
grep -q "data.*\*/3 \* \* \* \* \*.*directory" <<<"$out" && ok "cairnctl schedule list shows it" \
  || bad "schedule list: $out"
out=$("$CTL" schedule set --cluster sched --name bad --cron "0 * *" --kind directory \
      --option path=/x 2>&1) && bad "a malformed cron was accepted" \
  || { grep -q "expected 5 fields" <<<"$out" && ok "a malformed cron is refused with the reason" \
       || bad "bad cron message: $out"; }

# A resources schedule from the agent's own config, against a test API server.
python3 "$KUBE_SUPPORT/seed_cluster.py" --out "$W/seed" --objects 300 --seed 5 > /dev/null
kube_start cluster "$W/seed" || bad "test API server"
cat > "$W/agent.toml" <<EOF
[agent]
state_dir = "$W/agent"
[kubernetes]
kubeconfig = "$(kube_config cluster)"
[[schedule]]
name = "objects"
cron = "*/4 * * * * *"
kind = "resources"
exclude_namespaces = ["chat"]
[run]
retry_initial_seconds = 1
retry_max_seconds = 2
refresh_seconds = 2
EOF
"$AGENT" run --config "$W/agent.toml" 2> "$W/agent.log" &
AGENT_RUN_PID=$!

wait_for 15 finished_at_least 2 && ok "the agent ran the appliance's schedule ($(finished) runs)" \
  || bad "no scheduled snapshots: $(tail -5 "$W/agent.log")"
grep -q "schedule.loaded name=data .*origin=appliance" "$W/agent.log" \
  && ok "schedule.loaded names the appliance as its origin" || bad "no schedule.loaded line"
n=$(snapshots); [ "$n" -ge 2 ] && ok "the appliance holds $n scheduled snapshots" || bad "snapshots: $n"
wait_for 15 grep -q "job.finished name=objects" "$W/agent.log" \
  && ok "the config's resources schedule ran: $(grep -m1 "job.finished name=objects" "$W/agent.log" | cut -c1-160)" \
  || bad "no resources run: $(grep "name=objects" "$W/agent.log" | tail -3)"
"$AGENT" restore-resources --state-dir "$W/agent" --snapshot latest --name objects --to-dir "$W/objects-yaml" > /dev/null 2>&1
[ -n "$(find "$W/objects-yaml" -path '*/shop/*' -name '*.yaml' | head -1)" ] && [ -z "$(find "$W/objects-yaml" -path '*/chat/*' | head -1)" ] \
  && ok "the scheduled resources snapshot restores, with the schedule's namespace filter applied" || bad "scheduled resources snapshot contents"

# Outage: stop the appliance (by PID) for ~10 s.
appliance_stop TERM
down_finished=$(finished)
sleep 10
f=$(failed)
[ "$f" -ge 2 ] && ok "while the appliance was down the agent logged $f failed runs" \
  || bad "failed runs logged: $f"
[ "$f" -le 8 ] && ok "failed runs back off (not one per fire time): $f in 10 s" || bad "retry storm: $f"
grep "job.failed name=data" "$W/agent.log" | tail -1 | grep -q "retry_at=.*retry_in_s=" \
  && ok "job.failed says when it retries" || bad "job.failed line: $(grep job.failed "$W/agent.log" | tail -1)"
[ "$(finished)" -eq "$down_finished" ] && ok "nothing counted as finished while down" || bad "finished while down"

# Back on the same ports: one catch-up run, soon.
mark=$(wc -l < "$W/agent.log")
appliance_start || bad "appliance restart"
back=$(date +%s.%N)
wait_for 10 finished_at_least $((down_finished + 1)) \
  && ok "a catch-up snapshot came $(python3 -c "print(f'{$(date +%s.%N) - $back:.1f}')") s after the appliance returned" \
  || bad "no catch-up run: $(tail -5 "$W/agent.log")"
sleep 0.5
# A burst would replay every missed fire time back to back. At most one more
# run may follow at once: a fire time that passed while the catch-up ran.
extra=$(( $(finished) - down_finished ))
[ "$extra" -le 2 ] && ok "no burst after the outage ($extra run(s) in the first moment)" \
  || bad "burst: $extra runs right after the appliance returned"
wait_for 8 finished_at_least $((down_finished + 3)) || bad "schedule did not resume"
after=$(tail -n +"$((mark + 1))" "$W/agent.log" | grep "job.started name=data")
catch_up=$(head -1 <<<"$after")
missed=$(sed -n 's/.* missed=\([0-9]*\).*/\1/p' <<<"$catch_up")
grep -q "retry=true" <<<"$catch_up" && [ "${missed:-0}" -ge 3 ] \
  && ok "the catch-up run coalesced $missed missed fire times into one" \
  || bad "catch-up line: $catch_up"
coalesced=$(grep -vc " missed=1 " <<<"$after")
[ "$coalesced" -eq 1 ] && ok "exactly one catch-up run; every later run is an ordinary one (missed=1)" \
  || bad "runs after the outage: $after"
n=$(snapshots); f=$(finished)
[ "$n" -eq "$f" ] && ok "every finished run is one snapshot on the appliance ($n), no failed run left one" \
  || bad "snapshots $n vs finished runs $f"

kill -TERM "$AGENT_RUN_PID"
wait "$AGENT_RUN_PID"; rc=$?
AGENT_RUN_PID=""
[ "$rc" -eq 0 ] && ok "SIGTERM stops the agent with exit 0" || bad "agent exit $rc"
grep -q "run.stopped" "$W/agent.log" && ok "run.stopped logged" || bad "no run.stopped"
if grep -qiE "terminate called|Segmentation|AddressSanitizer|runtime error" "$W/agent.log"; then
  bad "the agent crashed: $(grep -iE "terminate|Segmentation" "$W/agent.log" | head -3)"
fi

echo "kube_schedule: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
