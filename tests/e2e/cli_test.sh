#!/usr/bin/env bash
# End-to-end checks of cairnctl local mode, on the built binary:
# the exact interface relied on by other checks, round trips of every entry
# type, and the clear refusals (wrong key, damaged chunk, truncated chunk,
# missing store, overwrite). Usage: cli_test.sh path/to/cairnctl
set -uo pipefail
CTL=$(readlink -f "$1")
W=$(mktemp -d /tmp/cairn-e2e-XXXXXX)
trap 'rm -rf "$W"' EXIT
# Output may name files whose names are not UTF-8: treat it as text.
grep() { command grep -a "$@"; }
source "$(dirname "$0")/lib/checks.sh"
expect_fail() {  # expect_fail "description" "pattern in stderr" cmd...
  local what=$1 pattern=$2; shift 2
  local out; out=$("$@" 2>&1); local rc=$?
  if [ $rc -ne 0 ] && grep -qiE "$pattern" <<<"$out" && ! grep -qiE "terminate called|Segmentation|Aborted|what\(\)" <<<"$out"; then
    ok "$what"
  else
    bad "$what (rc=$rc) output: $out"
  fi
}
S=$W/store; K=$W/key

# --- a source tree with every entry type ---
SRC=$W/src; mkdir -p "$SRC/dir/sub" "$SRC/empty-dir"
head -c 5000000 /dev/urandom > "$SRC/dir/big.bin"
seq 1 200000 > "$SRC/dir/text.txt"
cp "$SRC/dir/text.txt" "$SRC/dir/sub/copy.txt"
: > "$SRC/empty-file"
printf 'small' > "$SRC/dir/sub/small"
ln -s ../text.txt "$SRC/dir/sub/link"
ln -s /etc/passwd "$SRC/abs-link"
ln "$SRC/dir/big.bin" "$SRC/hardlink.bin"
mkfifo "$SRC/fifo"
printf 'latin-1 name' > "$SRC/$(printf 'caf\xe9')"             # not UTF-8: kept as raw bytes
chmod 4750 "$SRC/dir/sub/small"; chown 1234:5678 "$SRC/dir/text.txt"
touch -d '2001-02-03 04:05:06.123456789' "$SRC/dir/sub/copy.txt"
setfattr -n user.cairn -v hello "$SRC/dir/text.txt" 2>/dev/null && XATTR=1 || XATTR=0
truncate -s 64M "$SRC/sparse"; printf 'mid' | dd of="$SRC/sparse" bs=1 seek=$((32<<20)) conv=notrunc status=none

# --- store init ---
"$CTL" store init --store "$S" --key-file "$K" >/dev/null && ok "store init" || bad "store init"
[ -f "$S/config" ] && [ -f "$K" ] && ok "store init creates store and key file" || bad "store init files"
expect_fail "store init refuses an existing store" "not empty|exists" "$CTL" store init --store "$S" --key-file "$W/key2"
expect_fail "store init refuses an existing key file" "exists" "$CTL" store init --store "$W/s2" --key-file "$K"

# --- backup: last line is 'snapshot <id>' ---
out=$("$CTL" backup --store "$S" --key-file "$K" --source "$SRC" --name e2e 2>&1); rc=$?
last=$(tail -n 1 <<<"$out")
if [ $rc -eq 0 ] && [[ $last =~ ^snapshot\ [0-9a-f]{16}$ ]]; then ok "backup prints 'snapshot <id>' last"; else bad "backup: rc=$rc $out"; fi
ID1=${last#snapshot }
for word in "files" "bytes read" "new bytes" "bytes stored" "dedup ratio" "compression" "MB/s"; do
  grep -q "$word" <<<"$out" && ok "backup summary shows $word" || bad "backup summary lacks $word"
done

# --- unchanged re-backup reads nothing ---
out=$("$CTL" backup --store "$S" --key-file "$K" --source "$SRC" --name e2e 2>&1)
grep -qE "bytes read +0 B" <<<"$out" && ok "unchanged re-backup reads no file content" || bad "unchanged re-backup: $out"
ID2=$(tail -n 1 <<<"$out" | cut -d' ' -f2)

# --- snapshots, table and json ---
"$CTL" snapshots --store "$S" --key-file "$K" | grep -q "$ID1" && ok "snapshots lists the first snapshot" || bad "snapshots table"
n=$("$CTL" snapshots --store "$S" --key-file "$K" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 2 ] && ok "snapshots --json lists 2 snapshots" || bad "snapshots --json gave $n"

# --- restore round trip, by id and latest ---
"$CTL" restore --store "$S" --key-file "$K" --snapshot "$ID1" --target "$W/r1" >/dev/null && ok "restore by id" || bad "restore by id"
diff -r --no-dereference -x fifo "$SRC" "$W/r1" >/dev/null 2>&1 && [ -p "$W/r1/fifo" ] && ok "restored tree has identical content" || bad "restored content differs: $(diff -r --no-dereference -x fifo "$SRC" "$W/r1" 2>&1 | head -5)"
meta() { (cd "$1" && find . -printf '%p %y %m %U:%G %s %l %T@\n' | grep -v '^\. ' | sort); }
diff <(meta "$SRC") <(meta "$W/r1") >/dev/null && ok "restored metadata (type, mode, owner, size, link, mtime ns) identical" || bad "metadata differs: $(diff <(meta "$SRC") <(meta "$W/r1") | head -6)"
[ "$(stat -c %i "$W/r1/hardlink.bin")" = "$(stat -c %i "$W/r1/dir/big.bin")" ] && ok "hard link restored as a hard link" || bad "hard link"
[ "$(stat -c %b "$W/r1/sparse")" -lt 1024 ] && ok "sparse file restored sparse" || bad "sparse file occupies $(stat -c %b "$W/r1/sparse") blocks"
if [ $XATTR = 1 ]; then
  [ "$(getfattr --only-values -n user.cairn "$W/r1/dir/text.txt" 2>/dev/null)" = hello ] && ok "xattr restored" || bad "xattr lost"
fi
"$CTL" restore --store "$S" --key-file "$K" --snapshot latest --target "$W/r2" >/dev/null && diff -r --no-dereference -x fifo "$SRC" "$W/r2" >/dev/null && ok "restore latest" || bad "restore latest"
"$CTL" restore --store "$S" --key-file "$K" --snapshot "${ID2:0:6}" --target - 2>"$W/tar.err" > "$W/out.tar"; rc=$?
mkdir "$W/untar" && tar -xf "$W/out.tar" -C "$W/untar" 2>/dev/null
[ $rc -eq 0 ] && diff -r --no-dereference -x fifo "$SRC" "$W/untar" >/dev/null && ok "restore to a tar stream on stdout (id prefix) extracts identically with GNU tar" || bad "restore to tar stream: rc=$rc $(cat "$W/tar.err") $(diff -r --no-dereference -x fifo "$SRC" "$W/untar" 2>&1 | head -3)"

# --- tar stream in ---
(cd "$SRC" && tar --format=pax -cf - dir) | "$CTL" backup --store "$S" --key-file "$K" --source - --name fromtar >/dev/null && ok "backup of a tar stream on stdin" || bad "backup from tar"
"$CTL" restore --store "$S" --key-file "$K" --snapshot latest --name fromtar --target "$W/r3" >/dev/null && diff -r "$SRC/dir" "$W/r3/dir" >/dev/null && ok "tar stream round trip" || bad "tar stream round trip"

(cd "$SRC" && tar --format=pax --sparse -cf - sparse) | "$CTL" backup --store "$S" --key-file "$K" --source - --name sparsetar >/dev/null && \
  "$CTL" restore --store "$S" --key-file "$K" --snapshot latest --name sparsetar --target "$W/r4" >/dev/null && \
  cmp "$SRC/sparse" "$W/r4/sparse" && [ "$(stat -c %b "$W/r4/sparse")" -lt 1024 ] && ok "a sparse tar member stays sparse" || bad "sparse tar member"

# --- passphrase and recovery kit ---
echo "a long recovery passphrase" > "$W/pass"
"$CTL" key add-passphrase --store "$S" --key-file "$K" --new-passphrase-file "$W/pass" >/dev/null && ok "key add-passphrase" || bad "add-passphrase"
"$CTL" snapshots --store "$S" --passphrase-file "$W/pass" >/dev/null && ok "store opens with the passphrase" || bad "passphrase open"
echo "wrong passphrase here" > "$W/wrongpass"
expect_fail "a wrong passphrase is refused clearly" "passphrase does not open" "$CTL" snapshots --store "$S" --passphrase-file "$W/wrongpass"
"$CTL" key export --store "$S" --key-file "$K" > "$W/kit.txt" && ok "key export" || bad "key export"
"$CTL" key import --store "$S" --kit "$W/kit.txt" --key-file "$W/newkey" >/dev/null && "$CTL" verify --store "$S" --key-file "$W/newkey" >/dev/null && ok "recovery kit import gives a working new key file" || bad "kit import"

# --- refusals ---
"$CTL" store init --store "$W/other" --key-file "$W/otherkey" >/dev/null
expect_fail "another store's key file is refused" "does not open the store" "$CTL" snapshots --store "$S" --key-file "$W/otherkey"
expect_fail "a missing store is a clear error" "no cairn store at" "$CTL" snapshots --store "$W/nowhere" --key-file "$K"
expect_fail "restore of an unknown snapshot" "no snapshot|not found|matches no" "$CTL" restore --store "$S" --key-file "$K" --snapshot ffffffff --target "$W/rx"
expect_fail "a bad snapshot name is refused" "name" "$CTL" backup --store "$S" --key-file "$K" --source "$SRC" --name "../evil"

# --- catalog: an index, rebuilt from the store when lost or damaged ---
before=$("$CTL" snapshots --store "$S" --key-file "$K" --json | python3 -c 'import json,sys; print(sorted((s["id"],s["name"],s["files"],s["bytes"]) for s in json.load(sys.stdin)))')
rm -f "$S/catalog.db" "$S/catalog.db-wal" "$S/catalog.db-shm"
"$CTL" catalog rebuild --store "$S" --key-file "$K" >/dev/null && ok "catalog rebuild after the catalog was deleted" || bad "catalog rebuild"
after=$("$CTL" snapshots --store "$S" --key-file "$K" --json | python3 -c 'import json,sys; print(sorted((s["id"],s["name"],s["files"],s["bytes"]) for s in json.load(sys.stdin)))')
[ "$before" = "$after" ] && ok "rebuilt catalog lists the same snapshots" || bad "rebuilt catalog differs: $before vs $after"
head -c 4096 /dev/urandom > "$S/catalog.db"
expect_fail "a damaged catalog is a clear error naming the way out" "catalog rebuild" "$CTL" snapshots --store "$S" --key-file "$K"
"$CTL" catalog rebuild --store "$S" --key-file "$K" >/dev/null && "$CTL" verify --store "$S" --key-file "$K" >/dev/null && ok "rebuild over a damaged catalog, then verify is clean" || bad "rebuild over damaged catalog"
ls "$S"/catalog.db.old-* >/dev/null 2>&1 && ok "the damaged catalog is kept aside, not deleted" || bad "old catalog not kept"

# --- damage: verify names it; restore reports it; nothing else harmed ---
"$CTL" verify --store "$S" --key-file "$K" >/dev/null && ok "verify of a sound store exits 0" || bad "verify sound store"
cp -a "$S" "$W/damaged"
bigchunk=$(ls -S $(find "$W/damaged/chunks" -type f) | head -n 1)
printf '\x00\xff' | dd of="$bigchunk" bs=1 seek=200 conv=notrunc status=none
out=$("$CTL" verify --store "$W/damaged" --key-file "$K" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "DAMAGED chunk $(basename "$bigchunk")" <<<"$out" && grep -q "$ID1" <<<"$out" && grep -qE "big.bin|sparse|text.txt|copy.txt" <<<"$out" && ok "verify names the damaged chunk, its snapshots and files" || bad "verify damaged: rc=$rc $out"
cp -a "$S" "$W/truncated"
victim=$(find "$W/truncated/chunks" -type f | sort | tail -n 1)
truncate -s 10 "$victim"
out=$("$CTL" verify --store "$W/truncated" --key-file "$K" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "DAMAGED chunk" <<<"$out" && ok "verify finds a truncated chunk" || bad "truncated: $out"
out=$("$CTL" restore --store "$W/damaged" --key-file "$K" --snapshot "$ID1" --target "$W/rd" 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "could not be restored" <<<"$out" && ! grep -q "Segmentation\|terminate" <<<"$out" && ok "restore from a damaged store reports the hurt files and exits non-zero" || bad "damaged restore: $out"
"$CTL" verify --store "$S" --key-file "$K" >/dev/null && ok "the original store is untouched" || bad "original store damaged"

echo
echo "cli e2e: $pass passed, $fail failed"
[ $fail -eq 0 ]
