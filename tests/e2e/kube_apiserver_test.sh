#!/usr/bin/env bash
# e2e: the project's Kubernetes test API server (tests/support/kube) driven by
# the real kubectl -- Debian's kubernetes-client (1.20) and, when the machine
# has a different one at /usr/bin/kubectl, that one too. Every check prints
# PASS or FAIL; the script exits non-zero if any failed. The server is stopped
# by its PID on every exit path.
#
# Usage: kube_apiserver_test.sh [BUILD_DIR]   (BUILD_DIR is not needed)
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
kube="$root/tests/support/kube"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-e2e.XXXXXX")
server_pid=""
fails=0

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() { local d=$1; shift; if "$@" >"$tmp/check.out" 2>&1; then pass "$d"; else fail "$d"; sed 's/^/    /' "$tmp/check.out" | tail -20; fi; }
# fails_with DESCRIPTION TEXT COMMAND...: PASS when the command fails and says TEXT.
fails_with() {
  local d=$1 text=$2; shift 2
  if "$@" >"$tmp/check.out" 2>&1; then fail "$d (command succeeded)"; sed 's/^/    /' "$tmp/check.out" | tail -5
  elif grep -qF -- "$text" "$tmp/check.out"; then pass "$d"
  else fail "$d (no \"$text\" in the output)"; sed 's/^/    /' "$tmp/check.out" | tail -5; fi
}

# ---- kubectl versions -------------------------------------------------------------
debian_kubectl=$(bash "$root/scripts/debian-kubectl.sh") || { fail "Debian's kubectl is available"; exit 1; }
kubectls=("$debian_kubectl")
if [ -x /usr/bin/kubectl ] && [ "$(readlink -f /usr/bin/kubectl)" != "$(readlink -f "$debian_kubectl")" ]; then
  kubectls+=(/usr/bin/kubectl)
fi
minor_of() {  # client minor version of a kubectl (a dispatcher reports its own)
  "$1" version --client -o json 2>/dev/null | python3 -c \
    'import json,sys,re; print(re.match(r"\d+", json.load(sys.stdin)["clientVersion"]["minor"]).group())' 2>/dev/null || echo 0
}

# ---- seed and server ---------------------------------------------------------------
python3 "$kube/seed_cluster.py" --out "$tmp/seed" --objects 500 --namespaces 4 --seed 7 >"$tmp/seed.txt" ||
  { fail "seed_cluster.py writes a seed"; exit 1; }
"$kube/kube-test-apiserver" --listen 127.0.0.1:0 --load "$tmp/seed" --pki-dir "$tmp/pki" \
  --ready-file "$tmp/ready" --dump "$tmp/dump.json" --allow-exec --quiet 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 200); do [ -s "$tmp/ready" ] && break; kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if [ ! -s "$tmp/ready" ]; then fail "server starts"; cat "$tmp/server.log"; exit 1; fi
pass "server starts and writes its ready file ($(cat "$tmp/ready"))"
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$tmp/ready")
token=$(cat "$tmp/pki/token")
export KUBECONFIG="$tmp/pki/kubeconfig"
api() { curl -sS --cacert "$tmp/pki/ca.crt" -H "Authorization: Bearer $token" "$@"; }
set_faults() { api -X POST -H 'Content-Type: application/json' -d "$1" "$url/_test/faults" >/dev/null; }

# Objects of each kind in the seed, for the list checks.
python3 - "$tmp/seed" >"$tmp/seed-counts.json" <<'PY'
import collections, glob, json, sys, yaml
c = collections.Counter()
for f in glob.glob(sys.argv[1] + "/*.yaml"):
    for d in yaml.safe_load_all(open(f)):
        if d:
            c[d["kind"]] += 1
json.dump(c, sys.stdout)
PY

# count_kinds FILE: {"Kind": n} of a List from kubectl get -o json.
count_matches_seed() {
  python3 - "$1" "$tmp/seed-counts.json" "$2" <<'PY'
import collections, json, sys
got = collections.Counter(i["kind"] for i in json.load(open(sys.argv[1]))["items"])
seed = json.load(open(sys.argv[2]))
bad = {k: (got.get(k, 0), seed.get(k, 0)) for k in sys.argv[3].split(",") if got.get(k, 0) != seed.get(k, 0)}
print("got", dict(got), "mismatches (got, seed):", bad)
sys.exit(1 if bad or not got else 0)
PY
}

# Wire details kubectl does not reach (Status bodies, patches, selectors, watch, faults, limits).
python3 "$kube/protocol_check.py" "$url" "$token" "$tmp/pki/ca.crt" || fails=$((fails + 1))

i=0
for k in "${kubectls[@]}"; do
  i=$((i + 1))
  minor=$(minor_of "$k")
  kc=("$k" --cache-dir "$tmp/cache-$i")
  echo "---- kubectl $i: $k (1.$minor)"
  tag="[kubectl 1.$minor]"

  "${kc[@]}" api-resources >"$tmp/ar.txt" 2>&1
  check "$tag api-resources lists built-ins and the loaded CRDs, no subresources" python3 - "$tmp/ar.txt" <<'PY'
import sys
rows = [l.split()[0] for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
need = {"configmaps", "pods", "deployments", "horizontalpodautoscalers", "customresourcedefinitions",
        "widgets", "clusterpolicies", "selfsubjectaccessreviews", "roles", "storageclasses"}
missing = need - set(rows)
subs = [r for r in rows if "/" in r]
print("missing", missing, "subresources", subs)
sys.exit(1 if missing or subs else 0)
PY

  api -X DELETE "$url/_test/stats" >/dev/null
  "${kc[@]}" get configmaps,secrets,widgets,deployments,replicasets,pods,persistentvolumes,clusterpolicies \
    -A -o json --chunk-size=7 >"$tmp/list.json" 2>"$tmp/list.err"
  check "$tag get -A -o json --chunk-size=7 returns every seeded object" \
    count_matches_seed "$tmp/list.json" ConfigMap,Secret,Widget,Deployment,ReplicaSet,Pod,PersistentVolume,ClusterPolicy
  check "$tag the list was paginated (continue requests seen)" python3 -c '
import json,sys; s=json.load(sys.stdin)["by_resource"]; n=s.get("configmaps",{}).get("continue",0); print(s); sys.exit(0 if n>=2 else 1)' \
    < <(api "$url/_test/stats")

  ns="e2e-apply-$i"
  cat >"$tmp/app.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $ns, labels: {app.kubernetes.io/name: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app.kubernetes.io/name: web}}
  template:
    metadata: {labels: {app.kubernetes.io/name: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25", ports: [{containerPort: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $ns}
data: {color: blue}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gear, namespace: $ns}
spec: {size: 1}
YAML
  check "$tag apply --validate=false creates a namespace, deployment, configmap and widget" \
    "${kc[@]}" apply --validate=false -f "$tmp/app.yaml"
  sed -e 's/color: blue/color: red/; s/size: 1/size: 2/; s/nginx:1.25/nginx:1.26/' "$tmp/app.yaml" >"$tmp/app2.yaml"
  check "$tag a second apply with changed fields configures them" "${kc[@]}" apply --validate=false -f "$tmp/app2.yaml"
  got=$("${kc[@]}" get configmap settings -n "$ns" -o jsonpath='{.data.color}')/$("${kc[@]}" get widget gear -n "$ns" -o jsonpath='{.spec.size}')/$("${kc[@]}" get deployment web -n "$ns" -o jsonpath='{.spec.template.spec.containers[0].image}')
  check "$tag get shows the applied changes (red/2/nginx:1.26, got $got)" test "$got" = "red/2/nginx:1.26"
  check "$tag delete configmap" "${kc[@]}" delete configmap settings -n "$ns"
  fails_with "$tag the deleted configmap is gone" 'configmaps "settings" not found' "${kc[@]}" get configmap settings -n "$ns"
  check "$tag delete namespace" "${kc[@]}" delete namespace "$ns"
  fails_with "$tag the deleted namespace is gone" "namespaces \"$ns\" not found" "${kc[@]}" get namespace "$ns"
  check "$tag the deleted namespace's widgets are gone" test -z "$("${kc[@]}" get widgets -n "$ns" -o name 2>&1)"
  # `create -f` (JSON): kubectl >= 1.30's `create configmap` sends protobuf, which the server refuses.
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: no-such-ns}\ndata: {a: b}\n' >"$tmp/cm.yaml"
  fails_with "$tag create into a missing namespace fails NotFound" 'namespaces "no-such-ns" not found' \
    "${kc[@]}" create --validate=false -f "$tmp/cm.yaml"

  set_faults '{"forbid": ["secrets"]}'
  fails_with "$tag a forbidden type makes get fail" "forbidden" "${kc[@]}" get secrets -A
  set_faults '{"expire_continue": [{"resource": "configmaps", "after_pages": 1, "times": 1}]}'
  fails_with "$tag an expired continue makes a chunked get fail with 410" \
    "The provided continue parameter is too old" "${kc[@]}" get configmaps -A -o json --chunk-size=20
  set_faults '{}'

  check "$tag the cert context (client certificate) works" "${kc[@]}" --context cert get namespace default
  fails_with "$tag a wrong token is Unauthorized" "Unauthorized" "${kc[@]}" --token wrong-token get namespaces

  group="e2e$i.example.com"
  cat >"$tmp/crd.yaml" <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.$group}
spec:
  group: $group
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
  printf 'apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\nspec: {teeth: 12}\n' "$group" >"$tmp/gadget.yaml"
  check "$tag apply of a CRD" "${kc[@]}" apply --validate=false -f "$tmp/crd.yaml"
  check "$tag a custom resource of the new CRD applies" "${kc[@]}" apply --validate=false -f "$tmp/gadget.yaml"
  check "$tag get gadgets shows it" grep -q '^g1 ' < <("${kc[@]}" get "gadgets.$group" -n default --no-headers 2>&1)
  check "$tag delete of the CRD" "${kc[@]}" delete crd "gadgets.$group"
  check "$tag the CRD's resources went with it" python3 -c '
import json,sys; items=[o for o in json.load(sys.stdin)["items"] if o["kind"]=="Gadget"]; print(items); sys.exit(1 if items else 0)' \
    < <(api "$url/_test/dump")
  fails_with "$tag get of the deleted type fails" "gadgets" "${kc[@]}" get "gadgets.$group" -n default

  if [ "$minor" -ge 30 ]; then
    pod_ns=default
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: hook-%s, namespace: default}\nspec:\n  containers: [{name: app, image: busybox}]\n' "$i" >"$tmp/pod.yaml"
    check "$tag apply a pod for exec" "${kc[@]}" apply --validate=false -f "$tmp/pod.yaml"
    out=$("${kc[@]}" exec -n "$pod_ns" "hook-$i" -c app -- sh -c 'echo "hello from $CAIRN_TEST_POD/$CAIRN_TEST_CONTAINER"; echo oops >&2; exit 3' 2>"$tmp/exec.err")
    rc=$?
    check "$tag exec returns stdout and the exit code (rc=$rc, out=$out)" \
      test "$rc" = 3 -a "$out" = "hello from default/hook-$i/app"
    check "$tag exec of a succeeding command exits 0" "${kc[@]}" exec -n "$pod_ns" "hook-$i" -- true
    check "$tag /_test/execs records the exec" python3 -c '
import json,sys
e=[x for x in json.load(sys.stdin) if x["pod"]==sys.argv[1] and x["exit_code"]==3]
print(e); sys.exit(0 if e and e[0]["container"]=="app" and e[0]["command"][0]=="sh" else 1)' "hook-$i" \
      < <(api "$url/_test/execs")
    check "$tag delete the exec pod" "${kc[@]}" delete pod "hook-$i" -n "$pod_ns"
  else
    echo "SKIP: $tag exec (kubectl < 1.30 speaks SPDY only; the test server serves exec over WebSocket)"
  fi
done

# ---- dump on SIGTERM matches kubectl's view ------------------------------------------
types=$("$debian_kubectl" --cache-dir "$tmp/cache-1" api-resources --verbs=list -o name | paste -sd, -)
"$debian_kubectl" --cache-dir "$tmp/cache-1" get "$types" -A -o json >"$tmp/kubectl-all.json" 2>"$tmp/kubectl-all.err"
kill -TERM "$server_pid"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "server stops on SIGTERM"; else wait "$server_pid"; pass "server stops on SIGTERM (status $?)"; fi
server_pid=""
python3 "$kube/normalize.py" "$tmp/kubectl-all.json" >"$tmp/a.json" 2>&1
python3 "$kube/normalize.py" "$tmp/dump.json" >"$tmp/b.json" 2>&1
check "--dump on SIGTERM equals kubectl get -A -o json after normalize.py ($(grep -c '"kind"' "$tmp/b.json") kind fields)" \
  diff -q "$tmp/a.json" "$tmp/b.json"
check "the dump holds the seed (>= 500 objects)" python3 -c '
import json,sys; n=len(json.load(open(sys.argv[1]))["items"]); print(n); sys.exit(0 if n>=500 else 1)' "$tmp/dump.json"

if [ "$fails" -ne 0 ]; then echo "kube_apiserver_test: $fails check(s) FAILED"; exit 1; fi
echo "kube_apiserver_test: all checks passed"
