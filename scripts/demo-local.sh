#!/usr/bin/env bash
# make demo-local: cairnctl local mode end to end on a store folder (no daemon).
# A store and key are created, a real tree (this machine's /usr/include plus
# a few special files) is backed up, changed and backed up again (the files
# cache skips what did not change), verified, restored and compared; then one
# chunk is damaged on a copy of the store and verify names what it hurts.
set -euo pipefail
CAIRNCTL=$(readlink -f "${1:-build/appliance/ctl/cairnctl}")
DEMO=${DEMO_DIR:-/tmp/cairn-demo}
rm -rf "$DEMO"; mkdir -p "$DEMO"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a source tree: /usr/include, duplicates, links, a sparse file"
SRC=$DEMO/src
mkdir -p "$SRC"
cp -a /usr/include "$SRC/include"
cp -a "$SRC/include/linux" "$SRC/include-copy-of-linux"          # duplicates
ln -s include/stdio.h "$SRC/stdio-link"                          # symlink
ln "$SRC/include/stdlib.h" "$SRC/stdlib-hardlink.h"              # hard link
truncate -s 256M "$SRC/sparse.img"; echo "data in a hole" | dd of="$SRC/sparse.img" bs=1 seek=$((100<<20)) conv=notrunc status=none
du -sh --apparent-size "$SRC"

step "cairnctl store init"
"$CAIRNCTL" store init --store "$DEMO/store" --key-file "$DEMO/store.key"

step "first backup"
"$CAIRNCTL" backup --store "$DEMO/store" --key-file "$DEMO/store.key" --source "$SRC" --name demo

step "change a few files, back up again (unchanged files are not read)"
echo "// changed by the demo" >> "$SRC/include/stdio.h"
head -c 3000000 /dev/urandom > "$SRC/new-blob.bin"
"$CAIRNCTL" backup --store "$DEMO/store" --key-file "$DEMO/store.key" --source "$SRC" --name demo

step "cairnctl snapshots"
"$CAIRNCTL" snapshots --store "$DEMO/store" --key-file "$DEMO/store.key"

step "a recovery passphrase and the recovery kit"
echo "correct horse battery staple" > "$DEMO/passphrase"
"$CAIRNCTL" key add-passphrase --store "$DEMO/store" --key-file "$DEMO/store.key" --new-passphrase-file "$DEMO/passphrase"
"$CAIRNCTL" key export --store "$DEMO/store" --passphrase-file "$DEMO/passphrase" > "$DEMO/recovery-kit.txt"
sed -n 1,8p "$DEMO/recovery-kit.txt"; echo "(the whole kit: $DEMO/recovery-kit.txt)"

step "cairnctl verify"
"$CAIRNCTL" verify --store "$DEMO/store" --key-file "$DEMO/store.key"

step "restore the latest snapshot and compare with the source"
"$CAIRNCTL" restore --store "$DEMO/store" --key-file "$DEMO/store.key" --snapshot latest --target "$DEMO/restored"
diff -r --no-dereference "$SRC" "$DEMO/restored" && echo "restored tree is identical to the source"
echo "sparse file on disk: $(du -h "$DEMO/restored/sparse.img" | cut -f1) for $(du -h --apparent-size "$DEMO/restored/sparse.img" | cut -f1)"

step "bit rot: flip a byte in one chunk of a copy of the store, verify names the damage"
cp -a "$DEMO/store" "$DEMO/store-damaged"
victim=$(find "$DEMO/store-damaged/chunks" -type f | sort | sed -n 1p)
printf '\xff' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
if "$CAIRNCTL" verify --store "$DEMO/store-damaged" --key-file "$DEMO/store.key"; then
  echo "verify missed the damage" >&2; exit 1
fi
echo "(exit status non-zero, as it should be)"
step "demo done: everything is under $DEMO"
