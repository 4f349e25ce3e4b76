#!/usr/bin/env bash
# Volume backups end to end: the project's test API server (pods on node-a
# and node-b mounting PVCs, hook annotations, exec run as local processes), a
# fake kubelet directory holding the volumes' files, and a real appliance.
#   - backup-volumes maps PVCs to their directories (CSI mount/, local volume,
#     a PVC shared by two pods backed up once, node-b's pods left out);
#   - the pre hook ran before the volume was read (its marker file is in the
#     snapshot) and the post hook after (it removed the marker), in that order;
#   - a second backup after one file changed reads only that file (files cache);
#   - restore-volumes --target and --to-pvc-path give back identical trees
#     (diff -r) and touch no other volume;
#   - a failing pre hook under on-error Fail commits nothing and runs nothing else.
# Prints the volume backup throughput and the files-cache figures.
# Usage: kube_volumes_test.sh BUILD_DIR   (KUBE_VOLUMES_MIB sets the data size, default 200)
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-kube-volumes-XXXXXX)
E2E=$(cd "$(dirname "$0")" && pwd)
source "$E2E/lib/appliance.sh"
source "$E2E/lib/kube.sh"
MIB=${KUBE_VOLUMES_MIB:-200}
cleanup() {
  kube_stop_all
  appliance_stop KILL
  rm -rf "$W"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/checks.sh"
snapshot_of() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' <<<"$1" | tail -1; }
execs() {  # the commands the API server ran, one line each: "ns/pod container last-arg"
  curl -sf --cacert "$W/k-pki/ca.crt" -H "Authorization: Bearer $(cat "$W/k-pki/token")" \
    "$(kube_url k)/_test/execs" |
    python3 -c "import json,sys; [print(e['namespace']+'/'+e['pod'], e['container'], e['command'][-1].split(';')[0]) for e in json.load(sys.stdin)]"
}
snapshot_count() { "$AGENT" snapshots --state-dir a --name volumes-node-a 2>/dev/null | tail -1 | cut -d' ' -f1; }

cd "$W"
K=$W/kubelet
CSI=kubernetes.io~csi; LOCAL=kubernetes.io~local-volume; NFS=kubernetes.io~nfs
DB=$K/pods/uid-db-0/volumes/$CSI/pv-db/mount
WWW=$K/pods/uid-web-0/volumes/$LOCAL/pv-www
SHARED=$K/pods/uid-reader-1/volumes/$NFS/pv-shared
BAD=$K/pods/uid-bad-0/volumes/$LOCAL/pv-bad
OTHER=$K/pods/uid-elsewhere/volumes/$LOCAL/pv-other
mkdir -p "$DB/pg/base" "$WWW/site/img" "$SHARED" "$BAD" "$OTHER" "$K/pods/uid-reader-0/volumes"
# Volume data: one large file and many small ones in the database volume,
# names with '~', spaces and UTF-8 in the web volume, a hard link and a symlink.
head -c $((MIB * 1024 * 1024 * 4 / 5)) /dev/urandom > "$DB/pg/base/16384"
for i in $(seq 1 300); do echo "row $i $RANDOM" > "$DB/pg/base/small-$i"; done
echo "max_connections = 10" > "$DB/pg/postgresql.conf"
head -c $((MIB * 1024 * 1024 / 5)) /dev/urandom > "$WWW/site/img/big.bin"
echo "<h1>shop</h1>" > "$WWW/site/index.html"
echo "backup" > "$WWW/site/index.html~"
echo "spaces" > "$WWW/site/a file with spaces"
echo "utf8" > "$WWW/site/café.txt"
ln "$WWW/site/index.html" "$WWW/site/index-hardlink.html"
ln -s index.html "$WWW/site/home.html"
echo "shared by two readers" > "$SHARED/data.txt"
echo "never read" > "$BAD/x"; echo "other node" > "$OTHER/x"

# The cluster: pods and PVCs on node-a (and one pod on node-b), with hooks.
HOOKS=$W/hooks.log
mkdir seed
hook() {  # hook PHASE SHELL-COMMAND -> the JSON array annotation value
  python3 -c "import json,sys; print(json.dumps(['/bin/sh','-c',sys.argv[1]]))" "$2"
}
PRE_DB=$(hook pre "echo pre \$CAIRN_TEST_POD \$CAIRN_TEST_CONTAINER >> $HOOKS; echo frozen > $DB/.hook-marker")
POST_DB=$(hook post "echo post \$CAIRN_TEST_POD \$CAIRN_TEST_CONTAINER >> $HOOKS; rm -f $DB/.hook-marker")
PRE_BAD=$(hook pre "echo pre \$CAIRN_TEST_POD >> $HOOKS; echo cannot freeze /data >&2; exit 3")
POST_BAD=$(hook post "echo post \$CAIRN_TEST_POD >> $HOOKS")
pvc() {  # pvc NS NAME PV
  printf -- "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {namespace: %s, name: %s}\nspec: {volumeName: %s, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\nstatus: {phase: Bound}\n" "$1" "$2" "$3"
}
pod() {  # pod NS NAME UID NODE CLAIM [ANNOTATIONS-YAML]
  printf -- "---\napiVersion: v1\nkind: Pod\nmetadata:\n  namespace: %s\n  name: %s\n  uid: %s\n  annotations: {%s}\nspec:\n  nodeName: %s\n  containers: [{name: app, image: busybox}, {name: helper, image: busybox}]\n  volumes: [{name: data, persistentVolumeClaim: {claimName: %s}}]\nstatus: {phase: Running}\n" \
    "$1" "$2" "$3" "${6:-}" "$4" "$5"
}
q() { python3 -c "import json,sys; print(json.dumps(sys.argv[1]))" "$1"; }  # YAML-safe quoting
{
  for ns in shop web failing; do printf -- "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n" $ns; done
  pvc shop data-db-0 pv-db; pvc web www pv-www; pvc shop shared pv-shared; pvc failing data pv-bad
  pvc shop elsewhere pv-other
  pod shop db-0 uid-db-0 node-a data-db-0 \
    "pre.hook.backup.cairn.io/command: $(q "$PRE_DB"), pre.hook.backup.cairn.io/container: helper, pre.hook.backup.cairn.io/timeout: 20s, post.hook.backup.cairn.io/command: $(q "$POST_DB")"
  pod web web-0 uid-web-0 node-a www
  pod shop reader-0 uid-reader-0 node-a shared
  pod shop reader-1 uid-reader-1 node-a shared
  pod shop elsewhere-0 uid-elsewhere node-b elsewhere
  pod failing bad-0 uid-bad-0 node-a data \
    "pre.hook.backup.cairn.io/command: $(q "$PRE_BAD"), pre.hook.backup.cairn.io/on-error: Fail, post.hook.backup.cairn.io/command: $(q "$POST_BAD")"
} > seed/cluster.yaml

appliance_init && appliance_start && ok "appliance up" || bad "appliance"
enroll_agent edge-volumes a && ok "agent enrolled" || bad "enroll"
kube_start k seed --allow-exec && ok "test API server up with exec" || bad "API server: $(tail -5 k.log)"
KC=$(kube_config k)
COMMON=(--state-dir a --kubeconfig "$KC" --node node-a --kubelet-dir "$K")

# --- first backup: mapping, hooks, throughput ---
cp -a "$DB" "$W/db-before"  # the volume as it was (no marker)
out=$("$AGENT" backup-volumes "${COMMON[@]}" --include-namespaces shop --include-namespaces web 2>&1); rc=$?
SNAP1=$(snapshot_of "$out")
[ $rc = 0 ] && [ -n "$SNAP1" ] && ! crashed "$out" && ok "backup-volumes -> $SNAP1" || bad "backup-volumes rc=$rc: $out"
grep -E "^(volume|hook|files|bytes read|throughput|warning)" <<<"$out"
[ "$(grep -c '^volume ' <<<"$out")" = 3 ] && grep -q "^volume *shop/data-db-0 (pv pv-db, pod db-0, $DB)" <<<"$out" \
  && grep -q "^volume *shop/shared (pv pv-shared, pod reader-1, $SHARED)" <<<"$out" \
  && grep -q "^volume *web/www (pv pv-www, pod web-0, $WWW)" <<<"$out" \
  && ok "three volumes mapped (CSI mount/, local volume, the shared PVC once; node-b's and other namespaces' left out)" \
  || bad "volume mapping: $(grep '^volume' <<<"$out")"
if [ "$(cat "$HOOKS" 2>/dev/null)" = "$(printf 'pre shop/db-0 helper\npost shop/db-0 app')" ]; then
  ok "pre hook ran in the named container, post hook in the first container, in that order"
else
  bad "hook log: $(cat "$HOOKS" 2>&1)"
fi
[ "$(execs)" = "$(printf 'shop/db-0 helper echo pre $CAIRN_TEST_POD $CAIRN_TEST_CONTAINER >> %s\nshop/db-0 app echo post $CAIRN_TEST_POD $CAIRN_TEST_CONTAINER >> %s' "$HOOKS" "$HOOKS")" ] \
  && ok "the API server executed exactly pre then post" || bad "execs: $(execs)"
[ ! -e "$DB/.hook-marker" ] && ok "the post hook ran after the volume was read (it removed the marker)" || bad "marker still there"
tp=$(sed -n 's/^throughput *//p' <<<"$out")
echo "figure: first volume backup of ${MIB} MiB: $tp"

# --- second backup after one small change: only that file is read ---
echo "max_connections = 20" > "$DB/pg/postgresql.conf"
out2=$("$AGENT" backup-volumes "${COMMON[@]}" --include-namespaces shop --include-namespaces web 2>&1); rc=$?
SNAP2=$(snapshot_of "$out2")
files_line=$(grep '^files ' <<<"$out2")
read -r total unchanged < <(sed -n 's/^files *\([0-9]*\) (\([0-9]*\) unchanged).*/\1 \2/p' <<<"$out2")
echo "figure: second backup: $files_line; $(grep '^bytes read' <<<"$out2"); $(grep '^throughput' <<<"$out2")"
# The marker file is new in each backup (the pre hook writes it afresh), so
# two files are read: the changed one and the marker.
if [ $rc = 0 ] && [ -n "$SNAP2" ] && [ -n "${total:-}" ] && [ "$unchanged" = $((total - 2)) ] \
   && grep -qE "^bytes read +[0-9.]+ (B|bytes) of" <<<"$out2"; then
  ok "files cache: $unchanged of $total files unchanged, only the changed file and the hook's marker read"
else
  bad "second backup rc=$rc: $out2"
fi

# --- restore to a directory ---
out=$("$AGENT" restore-volumes --state-dir a --snapshot "$SNAP2" --target "$W/restored" 2>&1); rc=$?
[ $rc = 0 ] && ! crashed "$out" && ok "restore-volumes --target (all volumes)" || bad "restore --target rc=$rc: $out"
[ "$(cat "$W/restored/shop/data-db-0/.hook-marker" 2>/dev/null)" = frozen ] \
  && ok "the snapshot holds the pre hook's marker: the hook ran before the volume was read" \
  || bad "no hook marker in the restored volume"
rm -f "$W/restored/shop/data-db-0/.hook-marker"
diff -r "$DB" "$W/restored/shop/data-db-0" > diff1.out 2>&1 && diff -r "$WWW" "$W/restored/web/www" >> diff1.out 2>&1 \
  && diff -r "$SHARED" "$W/restored/shop/shared" >> diff1.out 2>&1 \
  && ok "restored trees are identical to the volumes (diff -r)" || bad "restored trees differ: $(head -20 diff1.out)"
[ "$(stat -c %i "$W/restored/web/www/site/index.html")" = "$(stat -c %i "$W/restored/web/www/site/index-hardlink.html")" ] \
  && [ "$(readlink "$W/restored/web/www/site/home.html")" = index.html ] \
  && ok "hard link and symlink restored as such" || bad "links not restored"
[ ! -e "$W/restored/failing" ] && [ ! -e "$W/restored/shop/elsewhere" ] && ok "no other volume in the snapshot" || bad "unexpected volumes restored"

# One PVC of an earlier snapshot; the others are not written.
out=$("$AGENT" restore-volumes --state-dir a --snapshot "$SNAP1" --pvc shop/data-db-0 --target "$W/one" 2>&1); rc=$?
rm -f "$W/one/shop/data-db-0/.hook-marker"
[ $rc = 0 ] && diff -r "$W/db-before" "$W/one/shop/data-db-0" > /dev/null && [ "$(ls "$W/one")" = shop ] && [ "$(ls "$W/one/shop")" = data-db-0 ] \
  && ok "restore of one PVC from the first snapshot: its old content, nothing else" || bad "one-PVC restore rc=$rc: $out"
expect_missing=$("$AGENT" restore-volumes --state-dir a --snapshot "$SNAP2" --pvc shop/nope --target "$W/x" 2>&1)
[ $? != 0 ] && grep -q "holds no volume shop/nope (it holds: shop/data-db-0, shop/shared, web/www)" <<<"$expect_missing" \
  && ok "a PVC not in the snapshot is refused, listing those it holds" || bad "missing PVC: $expect_missing"

# --- restore into the PVC's mount on this node ---
cp -a "$WWW" "$W/www-backed-up"
echo "damaged" > "$WWW/site/index.html.tmp"  # not in the snapshot: left alone
rm -rf "$WWW/site/img"; echo "defaced" > "$WWW/site/index.html.new"; mv "$WWW/site/index.html.new" "$WWW/site/café.txt"
db_sum=$(find "$DB" -type f -exec md5sum {} + | sort | md5sum)
out=$("$AGENT" restore-volumes "${COMMON[@]}" --snapshot latest --name volumes-node-a --pvc web/www --to-pvc-path 2>&1); rc=$?
[ $rc = 0 ] && grep -q "restored web/www to $WWW" <<<"$out" && ok "restore-volumes --to-pvc-path finds the PVC's mount" \
  || bad "to-pvc-path rc=$rc: $out"
rm -f "$WWW/site/index.html.tmp"
diff -r "$W/www-backed-up" "$WWW" > diff2.out 2>&1 && ok "the PVC's files are back as backed up (diff -r)" || bad "after --to-pvc-path: $(head diff2.out)"
[ "$(find "$DB" -type f -exec md5sum {} + | sort | md5sum)" = "$db_sum" ] && ok "the other volumes were not touched" || bad "db volume changed"
out=$("$AGENT" restore-volumes "${COMMON[@]}" --snapshot latest --name volumes-node-a --pvc shop/elsewhere --to-pvc-path 2>&1)
[ $? != 0 ] && ok "a PVC not in the snapshot cannot be restored to a path" || bad "restore of shop/elsewhere: $out"

# --- a failing pre hook under on-error Fail ---
before=$(snapshot_count); execs_before=$(execs | wc -l); : > "$HOOKS"
out=$("$AGENT" backup-volumes "${COMMON[@]}" --pvc failing/data 2>&1); rc=$?
[ $rc != 0 ] && grep -q "pre hook of pod failing/bad-0" <<<"$out" && grep -q "exited with code 3" <<<"$out" \
  && grep -q "cannot freeze /data" <<<"$out" && grep -q "no snapshot made" <<<"$out" && ! crashed "$out" \
  && ok "a failing pre hook (on-error Fail) stops the backup, saying which hook and why" || bad "failing hook rc=$rc: $out"
[ "$(snapshot_count)" = "$before" ] && ok "nothing committed ($before snapshots before and after)" || bad "snapshots: $before -> $(snapshot_count)"
[ "$(execs | wc -l)" = $((execs_before + 1)) ] && [ "$(cat "$HOOKS")" = "pre failing/bad-0" ] \
  && ok "nothing else ran: no post hook, no other pod's hook" || bad "hooks after failure: $(cat "$HOOKS"); execs: $(execs | tail -3)"
out=$("$AGENT" backup-volumes "${COMMON[@]}" --pvc failing/data --no-hooks 2>&1); rc=$?
[ $rc = 0 ] && [ "$(execs | wc -l)" = $((execs_before + 1)) ] && ok "--no-hooks backs it up without running hooks" || bad "--no-hooks rc=$rc: $out"

echo "passed $pass, failed $fail"
[ $fail = 0 ]
