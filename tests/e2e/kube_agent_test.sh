#!/usr/bin/env bash
# The Kubernetes agent end to end, against the project's test API server
# (tests/support/kube) and a real appliance on 127.0.0.1:
#   - a seeded cluster of a few thousand objects (CRDs and custom resources,
#     secrets, RBAC, workloads, PVCs) is backed up and restored into an EMPTY
#     server: `kubectl get -A -o json` of both, normalised, is identical;
#   - one namespace with namespace and storage-class mapping, and one app,
#     are restored into a server holding other objects: nothing else changes;
#   - --dry-run changes nothing; --to-dir writes YAML that Debian's kubectl
#     applies into an empty server;
#   - 403 on one type is a warning naming it; a 410 mid-list restarts the
#     list and loses nothing; the appliance down during a backup gives a
#     clear error, commits nothing, and a later run succeeds.
# Prints backup/restore time and objects/s for the seeded cluster.
# Usage: kube_agent_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-kube-e2e-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/kube.sh"
OBJECTS=${KUBE_E2E_OBJECTS:-3000}
cleanup() {
  kube_stop_all
  appliance_stop KILL
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
snapshot_of() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' <<<"$1" | tail -1; }
# Every listable resource type of a server, as kubectl names them.
all_types() {
  "$KUBECTL" --kubeconfig "$(kube_config "$1")" api-resources --verbs=list -o name 2>/dev/null | paste -sd, -
}
# The server's objects (kubectl get -A -o json, normalised, transient kinds out).
snapshot_cluster() {
  "$KUBECTL" --kubeconfig "$(kube_config "$1")" get "$(all_types "$1")" -A -o json 2>"$W/get-$1.err" \
    | python3 "$KUBE_SUPPORT/normalize.py" --exclude-kinds "${2:-Event,Lease,Node,Endpoints,EndpointSlice}" -
}
count_items() { python3 -c "import json,sys; print(len(json.load(sys.stdin)['items']))"; }
dump_items() {  # dump_items NAME: the live objects of a server via /_test/dump, normalised
  curl -sf --cacert "$W/$1-pki/ca.crt" -H "Authorization: Bearer $(cat "$W/$1-pki/token")" \
    "$(kube_url "$1")/_test/dump" | python3 "$KUBE_SUPPORT/normalize.py" -
}
faults() {  # faults NAME JSON
  curl -sf --cacert "$W/$1-pki/ca.crt" -H "Authorization: Bearer $(cat "$W/$1-pki/token")" \
    -X POST --data "$2" "$(kube_url "$1")/_test/faults" > /dev/null
}

cd "$W"
python3 "$KUBE_SUPPORT/seed_cluster.py" --out seed --objects "$OBJECTS" --seed 7 > seed.out \
  && ok "seeded a cluster: $(tail -1 seed.out)" || bad "seed: $(cat seed.out)"
mkdir empty
appliance_init && appliance_start && ok "appliance up" || bad "appliance"
enroll_agent edge-k8s a && ok "agent enrolled" || bad "enroll"
kube_start src seed && kube_start dst empty && ok "source and empty target API servers up" || bad "API servers"
SRC_KC=$(kube_config src); DST_KC=$(kube_config dst)

# --- full backup, restore into an empty cluster, compare ---
t0=$(now)
out=$("$AGENT" backup-resources --state-dir a --kubeconfig "$SRC_KC" --name resources 2>&1); rc=$?
t1=$(now)
SNAP=$(snapshot_of "$out")
[ $rc = 0 ] && [ -n "$SNAP" ] && ! crashed "$out" && ok "backup-resources -> $SNAP" || bad "backup-resources rc=$rc: $out"
echo "$out" | grep -iE "objects|skipped|warning" | head -20
SEEDED=$(snapshot_cluster src | count_items)
t2=$(now)
# Paced at --kube-qps (default 50/s after a burst of 300, gentle on a real API
# server); raised here to measure the agent itself.
out=$("$AGENT" restore-resources --state-dir a --kubeconfig "$DST_KC" --snapshot "$SNAP" \
  --kube-qps 5000 --kube-burst 5000 2>&1); rc=$?
t3=$(now)
[ $rc = 0 ] && ! crashed "$out" && ok "restore-resources into the empty cluster" || bad "restore rc=$rc: $(tail -20 <<<"$out")"
snapshot_cluster src > src.json; snapshot_cluster dst > dst.json
if [ "$(count_items < src.json)" -gt 1000 ] && cmp -s src.json dst.json; then
  ok "kubectl get -A -o json of source and restored cluster, normalised, are identical ($(count_items < dst.json) objects)"
else
  bad "source and restored cluster differ: $(diff <(python3 -m json.tool src.json) <(python3 -m json.tool dst.json) | head -30)"
fi
BACKUP_S=$(secs "$t0" "$t1"); RESTORE_S=$(secs "$t2" "$t3")
echo "figures: $SEEDED objects (without transient kinds); backup ${BACKUP_S} s ($(python3 -c "print(f'{$SEEDED/$BACKUP_S:.0f}')") objects/s), restore ${RESTORE_S} s ($(python3 -c "print(f'{$SEEDED/$RESTORE_S:.0f}')") objects/s)"

# --- a second restore with the default policy skips everything; update updates ---
out=$("$AGENT" restore-resources --state-dir a --kubeconfig "$DST_KC" --snapshot "$SNAP" --kube-qps 5000 2>&1); rc=$?
[ $rc = 0 ] && grep -qiE "[1-9][0-9]* skipped" <<<"$out" && snapshot_cluster dst | cmp -s - dst.json \
  && ok "restoring again skips existing objects and changes nothing" || bad "second restore: $(tail -5 <<<"$out")"

# --- dry run changes nothing ---
mkdir other && cat > other/keep.yaml <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: keep}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: untouched, namespace: keep, labels: {app.kubernetes.io/name: web}}
data: {a: "1"}
YAML
kube_start mig other && ok "migration target up (holding namespace keep)" || bad "mig server"
MIG_KC=$(kube_config mig)
before=$(dump_items mig)
out=$("$AGENT" restore-resources --state-dir a --kubeconfig "$MIG_KC" --snapshot "$SNAP" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -qiE "create" <<<"$out" && [ "$(dump_items mig)" = "$before" ] \
  && ok "--dry-run prints a plan and changes nothing" || bad "dry run rc=$rc: $(tail -5 <<<"$out")"

# --- one namespace, mapped, with storage-class mapping ---
NS=$(python3 -c "import json; d=json.load(open('src.json')); print(sorted({i['metadata'].get('namespace') for i in d['items'] if i['kind']=='PersistentVolumeClaim'})[0])")
out=$("$AGENT" restore-resources --state-dir a --kubeconfig "$MIG_KC" --snapshot "$SNAP" \
  --include-namespaces "$NS" --namespace-mapping "$NS=$NS-copy" --storage-class-mapping fast=standard,standard=fast 2>&1); rc=$?
[ $rc = 0 ] && ok "namespace $NS restored as $NS-copy" || bad "namespace restore rc=$rc: $(tail -10 <<<"$out")"
python3 - "$NS" src.json <(dump_items mig) <<'PY' && ok "the mapped namespace holds exactly the source's objects (storage classes swapped) and nothing else changed" || bad "namespace mapping check"
import json, sys
ns, src, mig = sys.argv[1], json.load(open(sys.argv[2]))['items'], json.load(open(sys.argv[3]))['items']
swap = {'fast': 'standard', 'standard': 'fast'}
want = {(i['kind'], i['metadata']['name']) for i in src if i['metadata'].get('namespace') == ns}
got = {(i['kind'], i['metadata']['name']) for i in mig if i['metadata'].get('namespace') == ns + '-copy'}
ok = want == got and len(want) > 10
for i in mig:
    m = i['metadata']
    if m.get('namespace') not in (ns + '-copy', 'keep') and i['kind'] not in ('Namespace', 'PersistentVolume', 'CustomResourceDefinition'):
        print('unexpected object', i['kind'], m.get('namespace'), m['name']); ok = False
    if i['kind'] == 'CustomResourceDefinition' and not any(s['kind'] == i['spec']['names']['kind'] and s['metadata'].get('namespace') == ns for s in src):
        print('a CRD the namespace does not use', m['name']); ok = False
    if i['kind'] == 'Namespace' and m['name'] not in ('keep', ns + '-copy', 'default', 'kube-system', 'kube-public', 'kube-node-lease'):
        print('unexpected namespace', m['name']); ok = False
    if i['kind'] == 'PersistentVolumeClaim' and m.get('namespace') == ns + '-copy':
        orig = next(s for s in src if s['kind'] == 'PersistentVolumeClaim' and s['metadata'].get('namespace') == ns and s['metadata']['name'] == m['name'])
        if i['spec'].get('storageClassName') != swap.get(orig['spec'].get('storageClassName')):
            print('storage class not mapped on', m['name']); ok = False
    if i['kind'] == 'ConfigMap' and m['name'] == 'untouched' and i.get('data') != {'a': '1'}:
        print('keep/untouched changed'); ok = False
    for s in i.get('subjects') or []:
        if s.get('namespace') == ns:
            print('subject not mapped in', i['kind'], m['name']); ok = False
if want != got:
    print('missing', sorted(want - got)[:5], 'extra', sorted(got - want)[:5])
sys.exit(0 if ok else 1)
PY

# --- one app ---
APP_NS=$(python3 -c "import json; d=json.load(open('src.json')); print(sorted({i['metadata']['namespace'] for i in d['items'] if i['kind']=='Deployment'})[-1])")
APP_NAME=$(python3 -c "import json; d=json.load(open('src.json')); print(sorted({i['metadata'].get('labels',{}).get('app.kubernetes.io/name') for i in d['items'] if i['kind']=='Deployment' and i['metadata']['namespace']=='$APP_NS'})[0])")
before=$(dump_items mig)
out=$("$AGENT" restore-resources --state-dir a --kubeconfig "$MIG_KC" --snapshot "$SNAP" --include-namespaces "$APP_NS" --app "$APP_NAME" 2>&1); rc=$?
[ $rc = 0 ] && ok "app $APP_NAME of $APP_NS restored" || bad "app restore rc=$rc: $(tail -10 <<<"$out")"
python3 - "$APP_NS" "$APP_NAME" src.json <(echo "$before") <(dump_items mig) <<'PY' && ok "the app restore created exactly the app's objects (and its namespace)" || bad "app restore check"
import json, sys
ns, app, src, before, after = sys.argv[1], sys.argv[2], *[json.load(open(p))['items'] for p in sys.argv[3:]]
key = lambda i: (i['apiVersion'], i['kind'], i['metadata'].get('namespace'), i['metadata']['name'])
new = {key(i) for i in after} - {key(i) for i in before}
want = {key(i) for i in src if i['metadata'].get('namespace') == ns and i['metadata'].get('labels', {}).get('app.kubernetes.io/name') == app}
want |= {('v1', 'Namespace', None, ns)}
# and the CRDs of its custom resources that the target lacked
kinds = {i['kind'] for i in src if (i['apiVersion'].count('/') and i['metadata'].get('namespace') == ns and i['metadata'].get('labels', {}).get('app.kubernetes.io/name') == app)}
want |= {key(i) for i in src if i['kind'] == 'CustomResourceDefinition' and i['spec']['names']['kind'] in kinds} - {key(i) for i in before}
# and the PersistentVolumes bound to its claims
claims = {i['metadata']['name'] for i in src if i['kind'] == 'PersistentVolumeClaim' and i['metadata'].get('namespace') == ns and i['metadata'].get('labels', {}).get('app.kubernetes.io/name') == app}
want |= {key(i) for i in src if i['kind'] == 'PersistentVolume' and (i['spec'].get('claimRef') or {}).get('namespace') == ns and i['spec']['claimRef'].get('name') in claims} - {key(i) for i in before}
changed = [k for k in ({key(i): i for i in before}.items()) if k[0] in {key(i) for i in after} and {key(i): i for i in after}[k[0]] != k[1]]
print(f'{len(new)} new objects, {len(want)} wanted, {len(changed)} changed; unexpected {sorted(new - want)[:3]}, missing {sorted(want - new)[:3]}')
sys.exit(0 if new == want and len(want) > 2 and not changed else 1)
PY

# --- --to-dir: YAML that Debian's kubectl applies without the agent ---
out=$("$AGENT" restore-resources --state-dir a --snapshot "$SNAP" --to-dir yaml 2>&1); rc=$?
files=$(find yaml -name '*.yaml' | wc -l)
[ $rc = 0 ] && [ "$files" -ge "$SEEDED" ] && ok "--to-dir wrote $files YAML files" || bad "to-dir rc=$rc files=$files: $(tail -5 <<<"$out")"
kube_start yamlapply empty && YA_KC=$(kube_config yamlapply)
crds=$(ls -d yaml/*customresourcedefinitions* 2>/dev/null)
{ [ -z "$crds" ] || "$KUBECTL" --kubeconfig "$YA_KC" apply --validate=false -R -f $crds > apply.out 2>&1; } \
  && "$KUBECTL" --kubeconfig "$YA_KC" apply --validate=false -R -f yaml >> apply.out 2>&1 \
  && [ "$(snapshot_cluster yamlapply | count_items)" = "$(count_items < src.json)" ] \
  && ok "kubectl apply -R -f of the --to-dir output recreates every object" || bad "kubectl apply of --to-dir: $(grep -i error apply.out | head -5)"
kube_stop yamlapply

# --- 403 on one type: a warning naming it, the rest backed up ---
faults src '{"forbid": ["configmaps"]}'
out=$("$AGENT" backup-resources --state-dir a --kubeconfig "$SRC_KC" --name resources 2>&1); rc=$?
SNAP403=$(snapshot_of "$out")
[ $rc = 0 ] && [ -n "$SNAP403" ] && grep -qi "configmaps.*forbidden\|forbidden.*configmaps" <<<"$out" \
  && ok "403 on configmaps: backup committed with a warning naming the type" || bad "403 backup rc=$rc: $(tail -10 <<<"$out")"
"$AGENT" restore-resources --state-dir a --snapshot "$SNAP403" --to-dir y403 > /dev/null 2>&1
[ -z "$(find y403 -path '*configmaps*' -name '*.yaml' | head -1)" ] && [ -n "$(find y403 -path '*secrets*' -name '*.yaml' | head -1)" ] \
  && ok "the 403 snapshot has no configmaps and has everything else" || bad "403 snapshot contents"

# --- 410 mid-list: the list restarts, nothing lost or doubled ---
faults src '{"expire_continue": [{"resource": "secrets", "after_pages": 1, "times": 1}]}'
out=$("$AGENT" backup-resources --state-dir a --kubeconfig "$SRC_KC" --name resources --page-size 20 2>&1); rc=$?
SNAP410=$(snapshot_of "$out")
"$AGENT" restore-resources --state-dir a --snapshot "$SNAP410" --to-dir y410 > /dev/null 2>&1
want=$(python3 -c "import json; print(sum(1 for i in json.load(open('src.json'))['items'] if i['kind']=='Secret'))")
got=$(find y410 -path '*secrets*' -name '*.yaml' | wc -l)
[ $rc = 0 ] && [ "$got" = "$want" ] && ok "410 Gone mid-list: restarted, all $want secrets backed up once" || bad "410 backup rc=$rc secrets $got/$want: $(tail -5 <<<"$out")"
faults src '{}'

# --- the appliance down during a backup ---
before=$("$CTL" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
"$AGENT" backup-resources --state-dir a --kubeconfig "$SRC_KC" --name resources --page-size 20 --kube-qps 25 --kube-burst 1 > down.out 2>&1 &
BG=$!
sleep 2
appliance_stop KILL
wait $BG; rc=$?
[ $rc != 0 ] && grep -qiE "unreachable|unavailable|connect" down.out && grep -qiE "nothing.*commit|no snapshot" down.out && ! crashed "$(cat down.out)" \
  && ok "appliance down mid-backup: clear error, nothing committed" || bad "appliance down: rc=$rc $(tail -5 down.out)"
appliance_start
after=$("$CTL" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$after" = "$before" ] && ok "no partial snapshot after the appliance came back ($after)" || bad "snapshots $before -> $after"
out=$("$AGENT" backup-resources --state-dir a --kubeconfig "$SRC_KC" --name resources 2>&1) \
  && [ -n "$(snapshot_of "$out")" ] && ok "the backup run again later succeeds" || bad "retry: $(tail -5 <<<"$out")"

echo "kube agent e2e: $pass passed, $fail failed"
[ $fail = 0 ]
