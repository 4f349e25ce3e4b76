#!/bin/bash
# boot-test.sh IMAGE_DIR -- boots IMAGE_DIR/cairn-appliance.img once under
# QEMU (TCG, q35, UEFI with OVMF) and waits for the appliance's
# GET /v1/healthz through a port forwarded to 127.0.0.1. A manual check, not
# part of the test suite.
#
# Three NICs at PCI slots 3, 4, 5 (image/links.conf: ingest0, mgmt0, wan0),
# each on its own restricted user-mode network whose subnet is the one
# configs/network.toml gives that interface, so the image's firewall sees
# the forwarded connections come from an allowed network:
#   127.0.0.1:$ADMIN_PORT  -> 192.168.50.10:9443 (admin, mgmt0)
#   127.0.0.1:$INGEST_PORT -> 10.20.0.5:8443     (ingest, ingest0)
# The image is copied (sparse) and grown by DATA_GB so first boot has room
# for the data partition; the built image is never modified. AGAIN=1 boots
# the previous run's disk once more (the second boot).
set -euo pipefail
IMGDIR=$(cd "${1:?usage: boot-test.sh IMAGE_DIR}" && pwd)
ADMIN_PORT=${ADMIN_PORT:-19443} INGEST_PORT=${INGEST_PORT:-18443}
DATA_GB=${DATA_GB:-2} TIMEOUT=${TIMEOUT:-600}
RUN=$IMGDIR/boot LOG=$IMGDIR/boot/serial.log
if [ "${AGAIN:-0}" = 1 ] && [ -f "$RUN/disk.img" ]; then
  # AGAIN=1: boot the disk of the previous run again (second boot: the data
  # partition is mounted, not made; first boot does not run)
  mv "$LOG" "$RUN/serial.previous.log"
else
  rm -rf "$RUN"; mkdir -p "$RUN"
  cp --sparse=always "$IMGDIR/cairn-appliance.img" "$RUN/disk.img"
  truncate -s +"${DATA_GB}G" "$RUN/disk.img"
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$RUN/vars.fd"
fi
QPID=
cleanup() { [ -z "$QPID" ] || { kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; } || true; }
trap cleanup EXIT
T0=$SECONDS
qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max -m 1024 -smp 2 \
  -nodefaults -vga none -nographic -no-reboot -serial "file:$LOG" \
  -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
  -drive if=pflash,format=raw,file="$RUN/vars.fd" \
  -drive file="$RUN/disk.img",format=raw,if=virtio \
  -netdev "user,id=ing,restrict=on,net=10.20.0.0/24,host=10.20.0.2,hostfwd=tcp:127.0.0.1:$INGEST_PORT-10.20.0.5:8443" \
  -device virtio-net-pci,netdev=ing,addr=0x3 \
  -netdev "user,id=mgmt,restrict=on,net=192.168.50.0/24,host=192.168.50.2,hostfwd=tcp:127.0.0.1:$ADMIN_PORT-192.168.50.10:9443" \
  -device virtio-net-pci,netdev=mgmt,addr=0x4 \
  -netdev "user,id=wan,restrict=on,net=203.0.113.16/28,host=203.0.113.17" \
  -device virtio-net-pci,netdev=wan,addr=0x5 \
  </dev/null >"$RUN/qemu.out" 2>&1 &
QPID=$!
until curl -ksf --max-time 3 "https://127.0.0.1:$ADMIN_PORT/v1/healthz" >"$RUN/healthz.json" 2>/dev/null; do
  kill -0 "$QPID" 2>/dev/null || { echo "FAIL: qemu exited"; tail -n 30 "$LOG" "$RUN/qemu.out"; exit 1; }
  [ $((SECONDS - T0)) -lt "$TIMEOUT" ] || { echo "FAIL: no healthz after ${TIMEOUT}s"; tail -n 40 "$LOG"; exit 1; }
  sleep 2
done
echo "healthz after $((SECONDS - T0)) s: $(cat "$RUN/healthz.json")"
tr -d '\r' <"$LOG" | grep -a -E 'cairn-data:|admin API token|fingerprint' | head -n 8
grep -aq 'mounted at /var/lib/cairn' "$LOG" && echo "OK: data partition mounted" || { echo "FAIL: data partition"; exit 1; }
if [ "${AGAIN:-0}" = 1 ]; then
  ! grep -aqE 'creating the data partition|formatting|admin API token' "$LOG" \
    && echo "OK: second boot: no new partition, no format, no first boot" || { echo "FAIL: second boot redid first-boot work"; exit 1; }
fi
