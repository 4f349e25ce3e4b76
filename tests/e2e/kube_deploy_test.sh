#!/usr/bin/env bash
# End-to-end checks of agent/deploy/: the manifests apply with Debian's real
# kubectl (-k, directly and through a site overlay that sets the token, the
# appliance URL and a mirrored image), every object exists, `delete -k`
# removes them; the Containerfile's runtime packages cover `ldd cairn-agent`
# (and the check fails when one is missing); and the init containers' own
# argument lists, taken from the applied Deployment and DaemonSet, run
# against a real appliance and the test API server give ONE enrolled agent
# whose identity both "pods" (two state dirs) use.
# Usage: kube_deploy_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$SRC/agent/deploy
W=$(mktemp -d /tmp/cairn-kube-deploy-XXXXXX)
source "$SRC/tests/e2e/lib/appliance.sh"
source "$SRC/tests/e2e/lib/kube.sh"
WAIT_PID=""
cleanup() {
  [ -n "$WAIT_PID" ] && kill -9 "$WAIT_PID" 2>/dev/null
  kube_stop_all
  appliance_stop KILL
  wait 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
start=$(date +%s)

# --- the image's runtime libraries ---
out=$(bash "$DEPLOY/check_image_libs.sh" "$AGENT" 2>&1) \
  && ok "Containerfile runtime packages cover ldd cairn-agent ($(grep -c '^ok' <<<"$out") libraries)" \
  || bad "Containerfile misses libraries: $out"
sed '/runtime-packages-begin/,/runtime-packages-end/ s/ libssl3//' "$DEPLOY/Containerfile" > "$W/Containerfile.broken"
out=$(bash "$DEPLOY/check_image_libs.sh" "$AGENT" "$W/Containerfile.broken" 2>&1)
[ $? -ne 0 ] && grep -q "libssl3 is not installed" <<<"$out" \
  && ok "the check fails, naming the package, when the Containerfile lacks one" || bad "broken Containerfile passed: $out"

# --- the manifests against the test API server ---
mkdir -p "$W/seed"
kube_start api "$W/seed" || exit 1
KC=$(kube_config api)
k() { "$KUBECTL" --kubeconfig "$KC" "$@"; }
NS_OBJECTS="serviceaccount/cairn-agent secret/cairn-enrollment configmap/cairn-agent-config
  deployment/cairn-agent daemonset/cairn-volume-agent role/cairn-agent-identity rolebinding/cairn-agent-identity"
CLUSTER_OBJECTS="namespace/cairn-system clusterrole/cairn-agent-read clusterrole/cairn-agent-hooks
  clusterrole/cairn-agent-restore clusterrolebinding/cairn-agent-read clusterrolebinding/cairn-agent-hooks
  clusterrolebinding/cairn-agent-restore"
all_present() {
  local o
  for o in $CLUSTER_OBJECTS; do k get "$o" -o name >/dev/null 2>&1 || { echo "missing $o"; return 1; }; done
  for o in $NS_OBJECTS; do k -n cairn-system get "$o" -o name >/dev/null 2>&1 || { echo "missing $o"; return 1; }; done
}
none_present() {
  local o
  for o in $CLUSTER_OBJECTS; do k get "$o" -o name >/dev/null 2>&1 && { echo "left $o"; return 1; }; done
  for o in $NS_OBJECTS; do k -n cairn-system get "$o" -o name >/dev/null 2>&1 && { echo "left $o"; return 1; }; done
  return 0
}
out=$(k apply --validate=false -k "$DEPLOY" 2>&1) && ok "kubectl apply -k agent/deploy/" || bad "apply -k: $out"
out=$(all_present) && ok "every object of agent/deploy/ exists" || bad "after apply: $out"
[ "$(k get clusterrole cairn-agent-read -o jsonpath='{.rules[0].verbs}')" = '["get","list","watch"]' ] \
  && ok "cairn-agent-read grants get/list/watch only" || bad "read role: $(k get clusterrole cairn-agent-read -o json)"
out=$(k delete --ignore-not-found -k "$DEPLOY" 2>&1) && ok "kubectl delete -k agent/deploy/" || bad "delete -k: $out"
out=$(none_present) && ok "delete -k removes every object" || bad "after delete: $out"
# Without kustomize: the numbered files one by one, in name order (docs/agent.md).
out=$(for f in "$DEPLOY"/[0-9]*.yaml; do k apply --validate=false -f "$f" || exit 1; done 2>&1) \
  && out=$(all_present) && ok "kubectl apply -f of each numbered file, in order" || bad "apply -f in order: $out"
out=$(for f in $(ls -r "$DEPLOY"/[0-9]*.yaml); do k delete --ignore-not-found -f "$f" || exit 1; done 2>&1) \
  && out=$(none_present) && ok "kubectl delete -f in reverse order removes them" || bad "delete -f: $out"

# --- a site overlay, as docs/agent.md shows it, with a real appliance ---
appliance_init && appliance_start || exit 1
TOKEN=$("$CTL" token create --cluster edge-k8s 2>/dev/null | tail -1)
[[ $TOKEN == cairn-enroll* ]] || bad "no token: $TOKEN"
mkdir -p "$W/site"
printf '%s\n' "$TOKEN" > "$W/site/enrollment.token"
# kubectl 1.20 (Debian bookworm) embeds kustomize v2.0.3, which takes a
# directory only under `bases:`; newer kubectl takes it under `resources:` too.
cat > "$W/site/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
bases:
- $(realpath --relative-to="$W/site" "$DEPLOY")
secretGenerator:
- name: cairn-enrollment
  namespace: cairn-system
  behavior: replace
  files:
  - token=enrollment.token
configMapGenerator:
- name: cairn-agent-config
  namespace: cairn-system
  behavior: merge
  literals:
  - appliance-url=$INGEST
generatorOptions:
  disableNameSuffixHash: true
images:
- name: cairn-agent
  newName: registry.site.test:5000/cairn/cairn-agent
  newTag: "0.1.0"
EOF
out=$(k apply --validate=false -k "$W/site" 2>&1) && ok "kubectl apply -k of a site overlay" || bad "overlay apply: $out"
out=$(all_present) && ok "the overlay creates every object" || bad "overlay: $out"
[ "$(k -n cairn-system get secret cairn-enrollment -o jsonpath='{.data.token}' | base64 -d | tr -d '\n')" = "$TOKEN" ] \
  && ok "the enrollment Secret holds the site's token" || bad "token in Secret"
[ "$(k -n cairn-system get configmap cairn-agent-config -o jsonpath='{.data.appliance-url}')" = "$INGEST" ] \
  && ok "the ConfigMap holds the appliance URL" || bad "appliance-url: $(k -n cairn-system get configmap cairn-agent-config -o yaml)"
imgs=$(k -n cairn-system get deployment/cairn-agent daemonset/cairn-volume-agent \
  -o jsonpath='{range .items[*]}{range .spec.template.spec.initContainers[*]}{.image}{"\n"}{end}{range .spec.template.spec.containers[*]}{.image}{"\n"}{end}{end}' | sort -u)
[ "$imgs" = "registry.site.test:5000/cairn/cairn-agent:0.1.0" ] \
  && ok "every container runs the mirrored image" || bad "images: $imgs"

# The containers' argument lists as applied, mapped onto this machine: the
# pod paths become files and directories under $W, $(VAR) the pod's values.
pod_args() {  # pod_args KIND/NAME initContainers|containers STATE_DIR -> one argument per line
  k -n cairn-system get "$1" -o json | python3 -c '
import json, sys
pod = json.load(sys.stdin)["spec"]["template"]["spec"]
for a in pod[sys.argv[1]][0]["args"]:
    for pod_value, here in (("$(CAIRN_APPLIANCE)", sys.argv[2]), ("$(NODE_NAME)", "node-1"),
                            ("/etc/cairn/enrollment/token", sys.argv[3]),
                            ("/etc/cairn/config/agent.toml", sys.argv[4]),
                            ("/var/lib/cairn-agent", sys.argv[5])):
        a = a.replace(pod_value, here)
    print(a)' "$2" "$INGEST" "$W/site/enrollment.token" "$W/agent.toml" "$3"
}
init_args() { pod_args "$1" initContainers "$2"; }
mapfile -t DEPLOY_ARGS < <(init_args deployment/cairn-agent "$W/pod-deploy")
mapfile -t DS_ARGS < <(init_args daemonset/cairn-volume-agent "$W/pod-node1")
grep -q -- "--token-file" <<<"${DEPLOY_ARGS[*]}" && ! grep -q -- "--token" <<<"${DS_ARGS[*]}" \
  && ok "only the Deployment mounts and passes the token" || bad "args: ${DEPLOY_ARGS[*]} / ${DS_ARGS[*]}"
export KUBECONFIG=$KC  # in a pod: the in-cluster service account

# The node's pod starts first and waits; the Deployment's pod enrolls.
"$AGENT" "${DS_ARGS[@]}" > "$W/ds1.out" 2>&1 &
WAIT_PID=$!
sleep 1
kill -0 "$WAIT_PID" 2>/dev/null && ok "the volume agent waits for the identity Secret" || bad "it did not wait: $(cat "$W/ds1.out")"
"$AGENT" "${DEPLOY_ARGS[@]}" > "$W/deploy1.out" 2>&1 \
  && grep -q "^enrolled as agent" "$W/deploy1.out" && ok "the Deployment's init container enrolls" \
  || bad "deployment enroll: $(cat "$W/deploy1.out")"
for _ in $(seq 1 100); do kill -0 "$WAIT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$WAIT_PID"; rc=$?; WAIT_PID=""
[ $rc = 0 ] && grep -q "enrolled before" "$W/ds1.out" && ok "the waiting volume agent takes the identity when it appears" \
  || bad "waiting volume agent rc=$rc: $(cat "$W/ds1.out")"
"$AGENT" "${DEPLOY_ARGS[@]/pod-deploy/pod-deploy2}" > "$W/deploy2.out" 2>&1 \
  && grep -q "enrolled before" "$W/deploy2.out" && ok "a restarted Deployment pod (spent token, empty state) runs as the same agent" \
  || bad "restart: $(cat "$W/deploy2.out")"
mapfile -t DS2_ARGS < <(init_args daemonset/cairn-volume-agent "$W/pod-node2")
"$AGENT" "${DS2_ARGS[@]}" > "$W/ds2.out" 2>&1 && ok "a second node's volume agent" || bad "node2: $(cat "$W/ds2.out")"

agents=$("$CTL" agent list 2>&1 | grep -c "edge-k8s")
[ "$agents" = 1 ] && ok "one cluster, one enrolled agent" || bad "agents for edge-k8s: $agents: $("$CTL" agent list 2>&1)"
ids=$(for d in pod-deploy pod-deploy2 pod-node1 pod-node2; do
        python3 -c "import json; print(json.load(open('$W/$d/agent.json'))['agent_id'])"; done | sort -u)
[ "$(wc -l <<<"$ids")" = 1 ] && ok "every pod's state dir is agent $ids" || bad "ids: $ids"
[ "$(stat -c %a "$W/pod-node1/agent.key")" = 600 ] && ok "the key is 0600 in a materialised state dir" || bad "key mode"
keys=$(k -n cairn-system get secret cairn-agent-identity -o json |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["type"], " ".join(sorted(d["data"])))')
[ "$keys" = "Opaque agent.crt agent.json agent.key ca.crt dedup.json" ] \
  && ok "the identity Secret holds the five state files" || bad "identity Secret: $keys"

mkdir -p "$W/data"; seq 1 20000 > "$W/data/numbers.txt"
"$AGENT" backup --state-dir "$W/pod-deploy" --path "$W/data" --name deploy-check > "$W/backup.out" 2>&1 \
  && ok "backup with the Deployment's state" || bad "backup: $(cat "$W/backup.out")"
out=$("$AGENT" snapshots --state-dir "$W/pod-node2" 2>&1) && grep -q "deploy-check" <<<"$out" \
  && ok "a node's state dir lists the snapshot (same agent, same cluster)" || bad "snapshots from node2: $out"

# The agents themselves, as the pods start them, with the ConfigMap's agent.toml.
k -n cairn-system get configmap cairn-agent-config -o jsonpath='{.data.agent\.toml}' > "$W/agent.toml"
run_briefly() {  # run_briefly NAME ARGS...: starts, logs run.started, stops on SIGTERM
  local name=$1; shift
  "$AGENT" "$@" > "$W/$name.out" 2>&1 &
  local pid=$! rc
  for _ in $(seq 1 50); do grep -q "run.started" "$W/$name.out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  kill -TERM $pid 2>/dev/null; wait $pid; rc=$?
  grep -q "run.started" "$W/$name.out" && [ $rc = 0 ]
}
mapfile -t RUN_ARGS < <(pod_args deployment/cairn-agent containers "$W/pod-deploy")
run_briefly run-deploy "${RUN_ARGS[@]}" && ok "the Deployment's agent runs with the ConfigMap's agent.toml (${RUN_ARGS[*]:0:1})" \
  || bad "deployment run (${RUN_ARGS[*]}): $(cat "$W/run-deploy.out")"
mapfile -t RUN_ARGS < <(pod_args daemonset/cairn-volume-agent containers "$W/pod-node1")
run_briefly run-node "${RUN_ARGS[@]}" && grep -q "mode=volumes.*node=node-1" "$W/run-node.out" \
  && ok "the volume agent runs in volumes mode for its node" || bad "daemonset run (${RUN_ARGS[*]}): $(cat "$W/run-node.out")"

# docs/agent.md: the identity copied out of the cluster for a workstation.
mkdir -p -m 0700 "$W/workstation"
for f in agent.json ca.crt agent.crt agent.key dedup.json; do
  k -n cairn-system get secret cairn-agent-identity -o "jsonpath={.data.${f//./\\.}}" | base64 -d > "$W/workstation/$f"
done
out=$("$AGENT" snapshots --state-dir "$W/workstation" 2>&1) && grep -q "deploy-check" <<<"$out" \
  && ok "the identity copied out as docs/agent.md shows works from a workstation" || bad "workstation copy: $out"
# docs/agent.md: the one-off restore-volumes pod applies, and its arguments parse.
python3 - "$SRC/docs/agent.md" > "$W/restore-pod.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
block = text.split("<!-- restore-volumes-pod:", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
print(block)
PY
out=$(k apply --validate=false -f "$W/restore-pod.yaml" 2>&1) && ok "docs/agent.md's restore-volumes pod applies" || bad "restore pod: $out"
mapfile -t RESTORE_ARGS < <(k -n cairn-system get pod cairn-restore-volumes -o json | python3 -c '
import json, sys
for a in json.load(sys.stdin)["spec"]["containers"][0]["args"]:
    print(a.replace("/var/lib/cairn-agent", sys.argv[1]).replace("--to-pvc-path", "--target=" + sys.argv[2]))' \
  "$W/pod-node1" "$W/restored")
out=$("$AGENT" "${RESTORE_ARGS[@]}" 2>&1)
[ $? -ne 0 ] && grep -q "volumes-node-1" <<<"$out" && ! grep -qiE "argument|required|excludes" <<<"$out" \
  && ok "its restore-volumes arguments are accepted (no volumes snapshot yet: $(tail -1 <<<"$out" | cut -c1-60))" \
  || bad "restore pod args (${RESTORE_ARGS[*]}): $out"
k -n cairn-system delete pod cairn-restore-volumes >/dev/null 2>&1

out=$("$AGENT" enroll --appliance "$INGEST" --token-file "$W/site/enrollment.token" --state-dir "$W/plain" \
  --identity-secret cairn-system/cairn-agent-identity 2>&1)
[ $? -ne 0 ] && grep -q "already holds an agent identity" <<<"$out" \
  && ok "a plain enroll never replaces the stored identity" || bad "plain enroll: $out"
out=$("$AGENT" enroll --state-dir "$W/none" --identity-secret cairn-system/other --if-needed --wait 0 2>&1)
[ $? -ne 0 ] && grep -q "did not appear" <<<"$out" && ok "a missing identity without a token times out, saying where to look" \
  || bad "no-token timeout: $out"

out=$(k delete --ignore-not-found -k "$W/site" 2>&1) && ok "kubectl delete -k of the overlay" || bad "overlay delete: $out"
out=$(none_present) && ok "the overlay's objects are gone" || bad "after overlay delete: $out"

echo "kube_deploy: $pass passed, $fail failed in $(( $(date +%s) - start )) s"
[ $fail -eq 0 ]
