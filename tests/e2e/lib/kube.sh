# Sourced by e2e scripts: the project's Kubernetes test API server
# (tests/support/kube) under $W. Needs $W; sets KUBE_PID, KUBE_URL and
# KUBECONFIG_FILE (contexts "token" and "cert"), KUBECTL (Debian's).
#   kube_start NAME SEED_DIR [server flags...]   pki under $W/NAME-pki, ready file, dump on stop
#   kube_stop NAME                               SIGTERM by PID, wait (writes $W/NAME-dump.json)
#   kube_url NAME / kube_config NAME             of a started server
KUBE_SUPPORT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../support/kube" && pwd)
KUBECTL=$(bash "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/debian-kubectl.sh")
source "$(dirname "${BASH_SOURCE[0]}")/process.sh"
declare -A KUBE_PIDS=()

kube_start() {
  local name=$1 seed=$2; shift 2
  rm -f "$W/$name-ready.json"
  python3 "$KUBE_SUPPORT/kube-test-apiserver" --listen 127.0.0.1:0 --pki-dir "$W/$name-pki" \
    --load "$seed" --ready-file "$W/$name-ready.json" --dump "$W/$name-dump.json" --quiet "$@" \
    > /dev/null 2>> "$W/$name.log" &
  KUBE_PIDS[$name]=$!
  for _ in $(seq 1 150); do [ -s "$W/$name-ready.json" ] && break; sleep 0.1; done
  [ -s "$W/$name-ready.json" ] || { echo "test API server $name did not start: $(tail -5 "$W/$name.log")"; return 1; }
}

kube_url() { python3 -c "import json; print(json.load(open('$W/$1-ready.json'))['url'])"; }
kube_config() { echo "$W/$1-pki/kubeconfig"; }

kube_stop() {
  local pid=${KUBE_PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid" TERM 15
  unset "KUBE_PIDS[$1]"
}

kube_stop_all() {
  local n
  for n in "${!KUBE_PIDS[@]}"; do kube_stop "$n"; done
}
