#!/bin/bash
# build-image.sh OUT_DIR [DEB_DIR] -- the Cairn appliance disk image.
#
#   OUT_DIR/cairn-appliance.img   GPT disk: 1 ESP (vfat, systemd-boot, kernel,
#                                 initrd), 2 root (ext4, label cairn-root).
#                                 Partition 3, cairn-data (the store at
#                                 /var/lib/cairn), is made at first boot in the
#                                 disk's free space (cairn-data.service).
#   OUT_DIR/vmlinuz, initrd.img   the same kernel and initrd (direct boot)
#   OUT_DIR/timings.txt           step times, total, image size
#
# DEB_DIR (default build/packages) holds cairn-appliance_*.deb and
# cairn-agent_*.deb (make package). The root is mmdebstrap minbase of this
# machine's suite from the mirror its apt uses (/etc/apt/sources.list.d), with
# the packages' downloads cached under $CACHE (default
# /var/cache/cairn-image/apt, shared with tests/packaging/deb_install_test.sh).
# No loop devices and no mounts: mkfs.ext4 -d, mkfs.vfat -C + mtools, sfdisk
# on a file, dd. Needs root (mmdebstrap --mode=root, chroot).
#
# Env: NETWORK (network.toml, default configs/network.toml), LINKS (interface
# names, default image/links.conf), SUITE, MIRROR, SECMIRROR, CACHE,
# SOURCE_DATE_EPOCH (default: the checkout's last commit time), ROOT_FREE_MB
# (free space in the root fs, default 512), STRIP_DEBUG (1: strip the
# programs' debug info in the image, the default; 0: keep it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
OUT=${1:?usage: build-image.sh OUT_DIR [DEB_DIR]}
DEBS=$(cd "${2:-$SRC/build/packages}" && pwd)
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
NETWORK=${NETWORK:-$SRC/configs/network.toml}
LINKS=${LINKS:-$HERE/links.conf}
CACHE=${CACHE:-/var/cache/cairn-image/apt}
ROOT_FREE_MB=${ROOT_FREE_MB:-512}
ESP_MB=256
IMG=$OUT/cairn-appliance.img
WORK=$OUT/work
ROOTFS=$WORK/rootfs
TIMINGS=$OUT/timings.txt

[ "$(id -u)" = 0 ] || { echo "build-image: needs root (mmdebstrap --mode=root, chroot)" >&2; exit 1; }
need=()
for t in mmdebstrap:mmdebstrap sfdisk:fdisk mkfs.vfat:dosfstools mcopy:mtools mkfs.ext4:e2fsprogs python3:python3 strip:binutils; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "build-image: installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
APP=$(ls "$DEBS"/cairn-appliance_*_amd64.deb | sort -V | tail -n1)
AGENT=$(ls "$DEBS"/cairn-agent_*_amd64.deb | sort -V | tail -n1)

# The archive and suite this machine's apt uses; nothing is hard-coded.
apt_uri() { sed -n "s/^URIs: *//p" /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m1 -- "$1" || true; }
MIRROR=${MIRROR:-$(apt_uri '/debian$')}
SECMIRROR=${SECMIRROR:-$(apt_uri '/debian-security$')}
SUITE=${SUITE:-$(. /etc/os-release && echo "$VERSION_CODENAME")}
[ -n "$MIRROR" ] || { echo "build-image: no Debian mirror in /etc/apt/sources.list.d; set MIRROR" >&2; exit 1; }
sources=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main")
[ -z "$SECMIRROR" ] || sources+=("deb $SECMIRROR $SUITE-security main")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)}
# mke2fs takes its timestamps from here; the volume UUIDs are derived from the epoch.
export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
uuid_of() { printf '%s' "$1-$SOURCE_DATE_EPOCH" | sha256sum | sed -E 's/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*/\1-\2-4\3-a\4-\5/'; }

# Validate the network config before spending minutes on the root.
"$SRC/image/network/render-nftables" check "$NETWORK"

: >"$TIMINGS"
T0=$SECONDS
step() { # step NAME CMD...: run, record the wall time
  local name=$1 t=$SECONDS; shift
  "$@"
  printf '%-12s %4d s\n' "$name" $((SECONDS - t)) | tee -a "$TIMINGS"
}

rootfs() {
  rm -rf "$WORK"; mkdir -p "$WORK" "$CACHE"
  cp "$APP" "$AGENT" "$WORK/"
  # The packages' Depends (names; the first of alternatives) come from the
  # archive; the two .debs are then installed with dpkg -i, which checks the
  # versions. (mmdebstrap 1.3's --include=PATH.deb loses the file in root mode.)
  local deps
  deps=$( { dpkg-deb -f "$APP" Depends; echo ,; dpkg-deb -f "$AGENT" Depends; } | tr ',' '\n' \
          | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u | paste -sd, )
  mmdebstrap --variant=minbase --mode=root --components=main \
    --include="systemd,systemd-sysv,udev,dbus,kmod,systemd-boot,linux-image-amd64,initramfs-tools,zstd" \
    --include="nftables,netbase,iproute2,chrony,fdisk,e2fsprogs,util-linux,ca-certificates,curl,less" \
    --include="$deps" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $CACHE /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $CACHE" \
    --customize-hook="copy-in $WORK/$(basename "$APP") $WORK/$(basename "$AGENT") /var/tmp" \
    --customize-hook='chroot "$1" sh -c "dpkg -i /var/tmp/cairn-*.deb && rm /var/tmp/cairn-*.deb"' \
    "$SUITE" "$ROOTFS" "${sources[@]}" >"$WORK/mmdebstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/mmdebstrap.log"; return 1; }
}

configure() {
  local r=$ROOTFS
  cp -a "$HERE/rootfs/." "$r/"
  echo cairn-appliance >"$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 cairn-appliance\n::1 localhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
  printf 'LABEL=cairn-root / ext4 rw,errors=remount-ro 0 1\n' >"$r/etc/fstab"
  # network.toml -> firewall, listener addresses, interface names and addresses
  install -m 0644 "$NETWORK" "$r/etc/cairn/network.toml"
  "$SRC/image/network/render-nftables" nftables "$NETWORK" -o "$r/etc/nftables.conf"
  local mode owner
  mode=$(stat -c %a "$r/etc/cairn/appliance.toml") owner=$(stat -c %u:%g "$r/etc/cairn/appliance.toml")
  "$SRC/image/network/render-nftables" listeners "$NETWORK" "$r/etc/cairn/appliance.toml" \
    -o "$r/etc/cairn/appliance.toml"
  chown "$owner" "$r/etc/cairn/appliance.toml"; chmod "$mode" "$r/etc/cairn/appliance.toml"
  rm -f "$r/etc/resolv.conf"
  "$HERE/render-network" "$NETWORK" "$LINKS" "$r"
  # chrony: only the configured servers (the firewall lets only those out)
  sed -i 's/^pool /#pool /' "$r/etc/chrony/chrony.conf"
  chroot "$r" systemctl enable -q systemd-networkd.service nftables.service chrony.service cairn-data.service
  chroot "$r" systemctl mask -q apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service
  chroot "$r" passwd --lock root >/dev/null
  # a fresh machine-id on first boot; no build host's apt lists or caches
  rm -f "$r/etc/machine-id" "$r/var/lib/dbus/machine-id"; : >"$r/etc/machine-id"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
         "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/tmp/* "$r"/var/tmp/*
  # what the image was built from
  { echo "suite=$SUITE"; echo "source_date_epoch=$SOURCE_DATE_EPOCH"
    echo "appliance=$(basename "$APP")"; echo "agent=$(basename "$AGENT")"
    echo "commit=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)"; } >"$r/etc/cairn/image-release"
  # The .debs ship the programs with their debug info (~650 MB of 690):
  # strip it here unless STRIP_DEBUG=0 (dpkg --verify then reports the three
  # files changed; the real fix is stripping in packaging/).
  if [ "${STRIP_DEBUG:-1}" = 1 ]; then
    strip --strip-debug "$r"/usr/bin/cairn-appliance "$r"/usr/bin/cairnctl "$r"/usr/bin/cairn-agent
  fi
  cp -L "$r/vmlinuz" "$OUT/vmlinuz"; cp -L "$r/initrd.img" "$OUT/initrd.img"
  # clamp every mtime to the epoch (mmdebstrap keeps dpkg's install times)
  find "$r" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch -h -d "@$SOURCE_DATE_EPOCH"
}

root_ext4() {
  local used_mb; used_mb=$(du -sm --apparent-size "$ROOTFS" | cut -f1)
  ROOT_MB=$(( (used_mb * 12 / 10 + ROOT_FREE_MB + 3) / 4 * 4 ))
  rm -f "$WORK/root.ext4"; truncate -s "${ROOT_MB}M" "$WORK/root.ext4"
  mkfs.ext4 -q -L cairn-root -U "$(uuid_of root)" -E "hash_seed=$(uuid_of hash)" \
    -d "$ROOTFS" "$WORK/root.ext4"
  echo "root: ${used_mb} MiB of files, ${ROOT_MB} MiB filesystem"
}

esp() {
  local e=$WORK/esp.vfat kver
  kver=$(basename "$(readlink -f "$ROOTFS/vmlinuz")"); kver=${kver#vmlinuz-}
  printf 'default cairn.conf\ntimeout 0\nconsole-mode keep\n' >"$WORK/loader.conf"
  printf 'title Cairn appliance (%s)\nlinux /cairn/vmlinuz\ninitrd /cairn/initrd.img\noptions root=LABEL=cairn-root rw console=tty0 console=ttyS0,115200\n' \
    "$kver" >"$WORK/cairn.conf"
  rm -f "$e"
  mkfs.vfat -F 32 -n CAIRN-ESP -i "$(uuid_of esp | cut -c1-8)" --invariant -C "$e" $((ESP_MB * 1024)) >/dev/null
  local sdboot=$ROOTFS/usr/lib/systemd/boot/efi/systemd-bootx64.efi
  mmd -i "$e" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/cairn
  mcopy -m -i "$e" "$sdboot" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -m -i "$e" "$sdboot" ::/EFI/systemd/systemd-bootx64.efi
  mcopy -m -i "$e" "$OUT/vmlinuz" ::/cairn/vmlinuz
  mcopy -m -i "$e" "$OUT/initrd.img" ::/cairn/initrd.img
  touch -d "@$SOURCE_DATE_EPOCH" "$WORK/loader.conf" "$WORK/cairn.conf"
  mcopy -m -i "$e" "$WORK/loader.conf" ::/loader/loader.conf
  mcopy -m -i "$e" "$WORK/cairn.conf" ::/loader/entries/cairn.conf
}

disk() {
  # 1 MiB lead (GPT), ESP, root, 1 MiB tail (backup GPT). The data partition
  # goes into the free space of the disk the image is written to.
  rm -f "$IMG"; truncate -s $((1 + ESP_MB + ROOT_MB + 1))M "$IMG"
  sfdisk -q "$IMG" <<SFDISK
label: gpt
label-id: $(uuid_of disk)
start=1MiB, size=${ESP_MB}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$(uuid_of p1), name=esp
start=$((1 + ESP_MB))MiB, size=${ROOT_MB}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$(uuid_of p2), name=root-x86-64
SFDISK
  dd if="$WORK/esp.vfat" of="$IMG" bs=1M seek=1 conv=notrunc,sparse status=none
  dd if="$WORK/root.ext4" of="$IMG" bs=1M seek=$((1 + ESP_MB)) conv=notrunc,sparse status=none
  rm -f "$WORK/esp.vfat" "$WORK/root.ext4"
  sfdisk -l "$IMG" | tail -n 3
}

step rootfs    rootfs
step configure configure
step root.ext4 root_ext4
step esp       esp
step disk      disk
size=$(du -h --apparent-size "$IMG" | cut -f1) alloc=$(du -h "$IMG" | cut -f1)
printf '%-12s %4d s\n' total $((SECONDS - T0)) | tee -a "$TIMINGS"
echo "image: $IMG, $size ($alloc allocated), suite $SUITE, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" | tee -a "$TIMINGS"
echo "sha256: $(sha256sum "$IMG" | cut -d' ' -f1)" | tee -a "$TIMINGS"
[ -n "${KEEP_ROOTFS:-}" ] || rm -rf "$ROOTFS"
