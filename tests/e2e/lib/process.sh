# Sourced by e2e scripts (through appliance.sh and kube.sh): stopping what a
# script started, bounded in time, so a cleanup can never hang a test until
# ctest's timeout (a server that ignores SIGTERM is killed, and says so).
#   stop_pid PID [SIGNAL] [SECONDS]   send SIGNAL (TERM), wait up to SECONDS (15)
#                                     for the process to end, then SIGKILL; reaps
#                                     it when it is this shell's child. Status 0.
stop_pid() {
  local pid=$1 sig=${2:-TERM} secs=${3:-15} i
  [ -n "$pid" ] || return 0
  # stderr off while it dies: bash reports a killed job ("Killed ...") when
  # it reaps it, wherever the script is then.
  if kill -"$sig" "$pid" 2>/dev/null; then
    for ((i = 0; i < secs * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1 2>/dev/null
    done 2>/dev/null
    if kill -0 "$pid" 2>/dev/null; then
      echo "note: pid $pid ($(tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-80)) still ran ${secs}s after SIG$sig; killed" >&2
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  { wait "$pid"; } 2>/dev/null
  return 0
}
