#!/usr/bin/env bash
# Stops the cluster start_rgw.sh started in DIR: the PIDs in DIR/pids only.
# SIGTERM to all of them at once, then SIGKILL to whatever still runs after
# GRACE seconds (default 2): the cluster's data lives in RAM and is thrown
# away, and radosgw alone takes ~7 s to drain on SIGTERM, time a test run
# should not wait. Removes DIR/pids; DIR itself is the caller's. Test use only.
#
# Usage: stop_rgw.sh DIR
set -uo pipefail

DIR=${1:?usage: stop_rgw.sh DIR}
GRACE=${GRACE:-2}
[ -f "$DIR/pids" ] || { echo "stop_rgw.sh: no $DIR/pids, nothing to stop"; exit 0; }
read -r -a pids <"$DIR/pids"

running() {
  alive=()
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
  [ ${#alive[@]} -gt 0 ]
}

kill "${pids[@]}" 2>/dev/null || true
for _ in $(seq 1 $(( GRACE * 10 ))); do
  running || break
  sleep 0.1
done
if running; then
  kill -9 "${alive[@]}" 2>/dev/null || true
  for _ in $(seq 1 50); do running || break; sleep 0.1; done
fi
rm -f "$DIR/pids"
if running; then echo "stop_rgw.sh: still running: ${alive[*]}" >&2; exit 1; fi
echo "stopped: ${pids[*]}"
