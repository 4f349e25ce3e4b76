#!/usr/bin/env bash
# Crash drill (issue 6): CRASH_ROUNDS rounds (default 50, and at most
# CRASH_SECONDS of rounds, default 420). In each, two agents back up a new
# version of their trees while prune and garbage collection (grace 0: only
# the ingest's own bookkeeping protects an upload in flight) run as jobs on
# the appliance; at a random moment the appliance is killed with -9 (the
# agents too), and restarted. Then:
#   - every snapshot an agent was told was committed, and the policy keeps,
#     is listed;
#   - every listed snapshot restores bit for bit to the tree version its
#     marker file names (none half visible), each checked once when it first
#     shows, and all of them again at the end;
#   - the verify job proves every chunk of every snapshot (no chunk lost).
# Each of a round's three backups replaces 1 MiB of "keep" (whose old
# snapshots keep the old data) and 4 MiB of "churn" (~10 MiB trees); the kill
# lands 0-1 s in. Cluster "keep" has no retention policy, so each of its commits must stay;
# "churn" keeps its last 2, so prune deletes and GC frees every round. Both
# trees share most of their data: GC must never free a chunk "keep" uses.
# Finally the catalog is damaged: the appliance refuses to start and names
# `cairnctl catalog rebuild`; after the rebuild it starts with the same
# snapshots and the agents still enrolled.
# Usage: crash_test.sh BUILD_DIR
set -uo pipefail
B=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-e2e-crash-XXXXXX)
source "$(dirname "$0")/lib/checks.sh"
source "$(dirname "$0")/lib/appliance.sh"
ROUNDS=${CRASH_ROUNDS:-50}
SECONDS_BUDGET=${CRASH_SECONDS:-420}
BG=()
stop_background() {
  local p
  for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
  BG=()
}
cleanup() { stop_background; appliance_stop KILL; rm -rf "$W"; }
trap cleanup EXIT
cd "$W" || exit 1
mkdir -p sums out restored

# (path, sha256) of every file under a tree, sorted: equal lists = same tree bit for bit.
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
snap_id() { sed -n 's/^snapshot \([0-9a-f]\{16\}\)$/\1/p' "$1" | tail -1; }
admin() {  # admin METHOD PATH [BODY]: the admin API with the admin token
  curl --silent --max-time 10 --cacert "$CAIRN_CA_FILE" -H "Authorization: Bearer $CAIRN_TOKEN" \
    -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$CAIRN_APPLIANCE$2"
}

appliance_init && appliance_start || { bad "appliance start"; e2e_verdict crash; exit 1; }
enroll_agent keep agent-keep && enroll_agent churn agent-churn \
  && ok "appliance up, agents of clusters keep and churn enrolled" || { bad "enroll"; e2e_verdict crash; exit 1; }
out=$("$CTL" retention set --cluster churn --keep-last 2 2>&1) && ok "churn keeps its last 2" || bad "retention: $out"

# Shared base data (chunks both clusters reference) plus each tree's own.
mkdir -p keep churn
for f in a b c; do head -c $((2 << 20)) /dev/urandom > "keep/base-$f.bin"; done
cp keep/base-*.bin churn/
seq 1 100000 > keep/log.txt

declare -A VERIFIED=()   # snapshot id -> 1 once restored and compared
declare -A COMMITTED=()  # snapshot id -> "cluster version", as the agent printed
kills_in=()              # what ran at each kill: the job kinds running, and uploads
restore_and_compare() {  # restore_and_compare ID -> 0 and "cluster version" when its tree matches its marker's version
  local id=$1 dir=restored/$1 marker
  rm -rf "$dir"
  "$CTL" restore --snapshot "$id" --target "$dir" > "out/restore-$id" 2>&1 || { echo "restore failed: $(tail -3 "out/restore-$id")"; return 1; }
  marker=$(cat "$dir/ROUND" 2>/dev/null) || { echo "no marker file"; return 1; }
  set -- $marker  # cluster version
  if ! diff <(tree_sums "$dir") "sums/$1-$2" > /dev/null; then echo "differs from $1 version $2"; return 1; fi
  rm -rf "$dir"
  echo "$1 $2"
}
listed_ids() { "$CTL" snapshots --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in (d.get("snapshots", d) if isinstance(d, dict) else d): print(s["id"], s["cluster"])'; }

# backups CLUSTER ROUND: three versions one after another (so uploads go on
# through most of the kill window), each marked "CLUSTER VERSION" (ROUND*10+k)
# with its sums taken before the agent reads it.
backups() {
  local c=$1 v k
  for k in 1 2 3; do
    v=$(( $2 * 10 + k ))
    echo "$c $v" > "$c/ROUND"
    if [ "$c" = keep ]; then head -c $((1 << 20)) /dev/urandom > "keep/new-$((v % 4)).bin"; echo "$v" >> keep/log.txt
    else head -c $((4 << 20)) /dev/urandom > churn/unique.bin; fi
    tree_sums "$c" > "sums/$c-$v"
    "$AGENT" backup --state-dir "agent-$c" --path "$c" --name vol > "out/$c-$v" 2>&1 || return
  done
}

start=$(date +%s); round=0; round_fail=0
while [ "$round" -lt "$ROUNDS" ] && [ $(( $(date +%s) - start )) -lt "$SECONDS_BUDGET" ]; do
  round=$((round + 1))
  backups keep $round & BG+=($!)
  backups churn $round & BG+=($!)
  # Jobs back to back (one runs at a time; a refused start is fine).
  ( for _ in $(seq 1 40); do
      admin POST /v1/jobs/prune '{}' > /dev/null
      admin POST /v1/jobs/gc '{"options": {"grace": "0s"}}' > /dev/null
    done ) & BG+=($!)
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"  # 0 to 0.99 s: mostly while the agents upload
  running=$(admin GET /v1/jobs | python3 -c '
import json, sys
try: print(",".join(sorted({j["kind"] for j in json.load(sys.stdin)["jobs"] if j["state"] == "running"})))
except Exception: pass' 2>/dev/null)
  uploads=0; for p in "${BG[@]:0:2}"; do kill -0 "$p" 2>/dev/null && uploads=$((uploads + 1)); done
  kills_in+=("${running:-none}+$uploads")
  appliance_stop KILL
  stop_background
  for c in keep churn; do for k in 1 2 3; do
    v=$(( round * 10 + k ))
    [ -f "out/$c-$v" ] && id=$(snap_id "out/$c-$v") && [ -n "$id" ] && COMMITTED[$id]="$c $v"
  done; done
  if ! appliance_start > "out/start-$round" 2>&1; then
    bad "round $round: the appliance did not restart: $(tail -3 "out/start-$round")"; round_fail=1; break
  fi
  mapfile -t listed < <(listed_ids)
  declare -A is_listed=()
  for line in "${listed[@]}"; do
    id=${line%% *}; is_listed[$id]=1
    [ -n "${VERIFIED[$id]:-}" ] && continue
    if why=$(restore_and_compare "$id"); then VERIFIED[$id]=$why  # "cluster version"
    else bad "round $round: snapshot $id: $why"; round_fail=1; fi
  done
  newest_churn=""
  for id in "${!COMMITTED[@]}"; do
    set -- ${COMMITTED[$id]}
    if [ "$1" = keep ] && [ -z "${is_listed[$id]:-}" ]; then
      bad "round $round: committed snapshot $id (keep, version $2) is not listed"; round_fail=1
    fi
    if [ "$1" = churn ] && { [ -z "$newest_churn" ] || [ "$2" -gt "${COMMITTED[$newest_churn]#* }" ]; }; then newest_churn=$id; fi
  done
  # keep-last 2: the newest commit an agent saw stays, unless two newer ones
  # committed whose answers the kill cut off.
  if [ -n "$newest_churn" ] && [ -z "${is_listed[$newest_churn]:-}" ]; then
    newer=0
    for id in "${!is_listed[@]}"; do
      set -- ${VERIFIED[$id]:-x 0}
      [ "$1" = churn ] && [ "$2" -gt "${COMMITTED[$newest_churn]#* }" ] && newer=$((newer + 1))
    done
    [ "$newer" -ge 2 ] || { bad "round $round: the newest committed churn snapshot $newest_churn was pruned"; round_fail=1; }
  fi
  if ! out=$("$CTL" verify --wait --no-heal 2>&1); then
    bad "round $round: verify: $(tail -5 <<<"$out")"; round_fail=1
  fi
  [ "$round_fail" = 0 ] || break
  unset is_listed
done
elapsed=$(( $(date +%s) - start ))
[ "$round_fail" = 0 ] && ok "$round rounds in ${elapsed}s: appliance killed with -9 each round, restarted, every listed snapshot restored bit for bit, verify clean"
keep_commits=0; churn_commits=0
for id in "${!COMMITTED[@]}"; do case ${COMMITTED[$id]} in keep*) keep_commits=$((keep_commits + 1));; *) churn_commits=$((churn_commits + 1));; esac; done
printf '%s\n' "${kills_in[@]}" | sort | uniq -c | sort -rn | awk '{printf "  killed with jobs running: %-12s uploads: %s  (%d rounds)\n", substr($2, 1, index($2, "+") - 1), substr($2, index($2, "+") + 1), $1}'
echo "  commits the agents saw: keep $keep_commits, churn $churn_commits; snapshots restored and compared: ${#VERIFIED[@]}"
[ "$keep_commits" -gt $((round / 2)) ] && ok "backups commit between the kills ($keep_commits keep commits in $round rounds)" \
  || bad "too few commits to mean anything: $keep_commits keep commits in $round rounds"
gc_kills=$(printf '%s\n' "${kills_in[@]}" | grep -c 'gc')
prune_kills=$(printf '%s\n' "${kills_in[@]}" | grep -c 'prune')
echo "  kills during gc: $gc_kills, during prune: $prune_kills"

# Everything listed now restores (again): no later GC took a chunk.
final_ok=1
while read -r id _; do
  why=$(restore_and_compare "$id") || { bad "final restore of $id: $why"; final_ok=0; }
done < <(listed_ids)
[ "$final_ok" = 1 ] && ok "every listed snapshot restores bit for bit at the end ($(listed_ids | wc -l))"
gc_job=$(admin POST /v1/jobs/gc '{"options": {"grace": "0s"}}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
out=$("$CTL" job show "$gc_job" --wait 2>&1) && ok "a last gc: $(grep -iE "freed" <<<"$out" | head -1)" || bad "last gc: $(tail -5 <<<"$out")"
out=$("$CTL" verify --wait --no-heal 2>&1) && ok "then verify: clean" || bad "last verify: $(tail -5 <<<"$out")"

# --- a damaged catalog at start ---
listed_ids | sort > before.txt
appliance_stop
python3 - var/store/catalog.db <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:  # garbage over the 4th page (4 KiB pages)
    f.seek(3 * 4096); f.write(b"\xa5" * 4096)
PY
rm -f ready.json
out=$(timeout 60 "$APP" run --config appliance.toml --ready-file ready.json 2>&1); rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ! crashed "$out" && grep -q "cairnctl catalog rebuild --store $W/var/store" <<<"$out" \
  && ok "damaged catalog: the appliance refuses to start (exit $rc) and names the rebuild" \
  || bad "damaged catalog (rc=$rc): $(tail -5 <<<"$out")"
out=$("$CTL" catalog rebuild --store var/store --key-file var/keys/store.key 2>&1) \
  && ok "cairnctl catalog rebuild: $(tail -1 <<<"$out")" || bad "rebuild: $out"
appliance_start && ok "the appliance starts on the rebuilt catalog" || bad "start after rebuild"
listed_ids | sort > after.txt
diff before.txt after.txt > /dev/null && ok "same snapshots after the rebuild ($(wc -l < after.txt))" || bad "snapshots differ: $(diff before.txt after.txt | head -5)"
echo "after rebuild" >> keep/log.txt
out=$("$AGENT" backup --state-dir agent-keep --path keep --name vol 2>&1) && [ -n "$(snap_id <(echo "$out"))" ] \
  && ok "the enrolled agent backs up after the rebuild" || bad "agent after rebuild: $(tail -3 <<<"$out")"

e2e_verdict crash
