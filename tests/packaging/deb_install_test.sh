#!/bin/bash
# deb_install_test.sh BUILD_DIR -- the cairn-appliance and cairn-agent .debs
# installed on a plain Debian root (mmdebstrap minbase, this machine's suite
# and mirror) and booted with systemd-nspawn -b:
#   boot 1: cairn-firstboot.service initialises the appliance and prints the
#           admin token on the console; cairn-appliance.service runs as user
#           cairn and answers GET /v1/healthz on its admin port;
#   boot 2: first boot does not run again; the token still works;
#   upgrade: a newer build of the packages (same binaries, revision +1)
#           installed with dpkg -i on the running system keeps the store, the
#           key file, the CA, an edited /etc/cairn/appliance.toml and the
#           token, and the daemon runs again (restarted on the new package).
# Needs root, mmdebstrap and systemd-nspawn (installed when missing). The
# container has its own network namespace (--private-network), so its 9443
# never meets the host's. The base root is cached as a tar under
# /var/cache/cairn-image/ (its apt downloads too): a rerun is offline.
set -uo pipefail
BUILD=$(cd "${1:?usage: deb_install_test.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../e2e/lib/checks.sh"
source "$HERE/../e2e/lib/process.sh"
T0=$SECONDS
CACHE=${CAIRN_IMAGE_CACHE:-/var/cache/cairn-image}
WORK=$(mktemp -d /var/tmp/cairn-deb-test.XXXXXX)
ROOT=$WORK/root
NPID=

cleanup() {
  stop_container
  rm -rf "$WORK"
}
trap cleanup EXIT
[ -z "${KEEP:-}" ] || trap 'stop_container; echo "kept $WORK"' EXIT

[ "$(id -u)" = 0 ] || { echo "deb_install_test: needs root (mmdebstrap, nspawn)"; exit 1; }
if ! command -v mmdebstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mmdebstrap systemd-container >/dev/null || exit 1
fi

# --- packages: "previous" (revision 1) and "next" (revision 2) of one build ---
for rev in 1 2; do
  if ! (cd "$BUILD" && cpack -G DEB -B "$WORK/pkg$rev" -D CPACK_DEBIAN_PACKAGE_RELEASE=$rev \
        -D CPACK_OUTPUT_FILE_PREFIX="$WORK/pkg$rev" >"$WORK/cpack$rev.log" 2>&1); then
    cat "$WORK/cpack$rev.log"; bad "cpack revision $rev"; e2e_verdict deb_install; exit 1
  fi
done
APP1=$(ls "$WORK"/pkg1/cairn-appliance_*_amd64.deb) AGENT1=$(ls "$WORK"/pkg1/cairn-agent_*_amd64.deb)
APP2=$(ls "$WORK"/pkg2/cairn-appliance_*_amd64.deb) AGENT2=$(ls "$WORK"/pkg2/cairn-agent_*_amd64.deb)
echo "packages: $(basename "$APP1") $(basename "$AGENT1") -> $(basename "$APP2") ($((SECONDS - T0))s)"
deps=$(dpkg-deb -f "$APP1" Depends)
[[ $deps == *libssl3* && $deps == *libsqlite3* && $deps == *adduser* ]] \
  && ok "Depends computed: $deps" || bad "Depends lacks libssl3/libsqlite3/adduser: $deps"
contents=$(dpkg-deb -c "$APP1") conffiles=$(dpkg-deb -I "$APP1" conffiles)
grep -q ' ./lib/systemd/system/cairn-firstboot.service$' <<<"$contents" \
  && grep -qx /etc/cairn/appliance.toml <<<"$conffiles" \
  && ok "appliance package: units, conffile" || bad "appliance package misses a unit or its conffile"

# --- base root: minbase + systemd + the packages' Depends, cached as a tar ---
# Depends names only (the first of alternatives, no versions): dpkg -i below
# checks the versions, so a wrong Depends still fails the install.
names=$( { dpkg-deb -f "$APP1" Depends; echo ,; dpkg-deb -f "$AGENT1" Depends; } | tr ',' '\n' \
         | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u | paste -sd, )
include="systemd-sysv,dbus,$names"
apt_uri() { sed -n "s/^URIs: *//p" /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -m1 -- "$1"; }
MIRROR=${MIRROR:-$(apt_uri '/debian$')}
SUITE=${SUITE:-$(. /etc/os-release && echo "$VERSION_CODENAME")}
key=$(printf '%s %s %s' "$SUITE" "$MIRROR" "$include" | sha256sum | cut -c1-16)
BASE=$CACHE/deb-install-root-$key.tar
PARTIAL=$CACHE/deb-install-root-$key.partial.tar   # mmdebstrap picks the format by the name
mkdir -p "$CACHE/apt"
if [ ! -f "$BASE" ]; then
  [ -n "$MIRROR" ] || { bad "no Debian mirror in /etc/apt/sources.list.d; set MIRROR"; e2e_verdict deb_install; exit 1; }
  echo "building the base root ($SUITE, $include)"
  if ! mmdebstrap --variant=minbase --mode=root --include="$include" \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
      --setup-hook="sync-in $CACHE/apt /var/cache/apt/archives/" \
      --customize-hook="sync-out /var/cache/apt/archives $CACHE/apt" \
      --customize-hook='echo cairn-test > "$1"/etc/hostname' \
      --customize-hook='rm -f "$1"/etc/machine-id; touch "$1"/etc/machine-id' \
      "$SUITE" "$PARTIAL" "deb $MIRROR $SUITE main" >"$WORK/mmdebstrap.log" 2>&1; then
    tail -20 "$WORK/mmdebstrap.log"; rm -rf "$PARTIAL"; bad "mmdebstrap"; e2e_verdict deb_install; exit 1
  fi
  mv "$PARTIAL" "$BASE"
fi
mkdir -p "$ROOT" && tar -C "$ROOT" -xf "$BASE" \
  || { bad "unpack $BASE"; e2e_verdict deb_install; exit 1; }
echo "base root ready ($((SECONDS - T0))s)"

# Installed the way an image build does it: no systemd running, so postinst
# only creates the user and enables the units.
mkdir -p "$ROOT/var/tmp/debs" && cp "$APP1" "$AGENT1" "$ROOT/var/tmp/debs/"
if chroot "$ROOT" dpkg -i /var/tmp/debs/"$(basename "$APP1")" /var/tmp/debs/"$(basename "$AGENT1")" >"$WORK/dpkg1.log" 2>&1; then
  ok "dpkg -i of both packages on a plain root (dependencies present)"
else
  cat "$WORK/dpkg1.log"; bad "dpkg -i"
fi
# User names as the root's own passwd has them (not the host's).
owner() { chroot "$ROOT" stat -c "$1" "$2" 2>/dev/null; }
[ "$(owner '%U %a' /var/lib/cairn)" = "cairn 750" ] \
  && ok "/var/lib/cairn is cairn's, 0750" || bad "/var/lib/cairn: $(owner '%U %a' /var/lib/cairn)"
[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/cairn-firstboot.service" ] \
  && [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/cairn-appliance.service" ] \
  && ok "units enabled" || bad "units not enabled"

# --- the container ---
# in_ct CMD...: runs CMD inside the booted container (all its namespaces).
ct_pid() { cut -d' ' -f1 "/proc/$NPID/task/$NPID/children" 2>/dev/null; }
in_ct() { nsenter -t "$(ct_pid)" -m -u -i -n -p "$@"; }
boot() { # boot N: start the container, wait until systemd has settled
  systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --private-network -b \
    --console=pipe >"$WORK/console$1.log" 2>&1 </dev/null &
  NPID=$!
  local state= i
  for ((i = 0; i < 300; i++)); do
    sleep 0.2
    state=$(in_ct systemctl is-system-running 2>/dev/null)
    case $state in running|degraded) break ;; esac
  done
  echo "boot $1: system $state ($((SECONDS - T0))s)"
  [ "$state" = running ] || in_ct systemctl --failed --no-legend --plain 2>/dev/null | sed 's/^/  failed: /'
  case $state in running|degraded) ;;
    *) tail -20 "$WORK/console$1.log"; bad "boot $1 did not come up"; e2e_verdict deb_install; exit 1 ;;
  esac
}
stop_container() {
  [ -n "$NPID" ] || return 0
  stop_pid "$NPID" TERM 30   # nspawn turns SIGTERM into a clean halt of the container
  NPID=
}
healthz() { # the daemon's admin port from inside the container's network namespace
  local i
  for ((i = 0; i < 50; i++)); do
    nsenter -t "$(ct_pid)" -n curl -sf --max-time 2 --cacert "$ROOT/var/lib/cairn/pki/ca.crt" \
      https://127.0.0.1:9443/v1/healthz >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
authed() { nsenter -t "$(ct_pid)" -n curl -sf --max-time 5 --cacert "$ROOT/var/lib/cairn/pki/ca.crt" \
  -H "Authorization: Bearer $TOKEN" https://127.0.0.1:9443/v1/status >/dev/null 2>&1; }
main_user() { # the user the daemon's process really runs as
  local pid; pid=$(in_ct systemctl show -p MainPID --value cairn-appliance.service)
  [ "${pid:-0}" != 0 ] && in_ct stat -c %U "/proc/$pid"
}

boot 1
TOKEN=$(grep -A1 'admin API token' "$WORK/console1.log" | tail -1 | tr -d '\r[:space:]')
[ -n "$TOKEN" ] || { echo "note: the token is not on nspawn's console pipe; taking it from the journal"
  in_ct journalctl -u cairn-firstboot -o cat --no-pager >"$WORK/console1.log"
  TOKEN=$(grep -A1 'admin API token' "$WORK/console1.log" | tail -1 | tr -d '\r[:space:]'); }
[ -n "$TOKEN" ] && grep -q 'CA fingerprint' "$WORK/console1.log" \
  && ok "first boot printed the admin token and CA fingerprint (console or journal)" \
  || { sed 's/^/  console| /' "$WORK/console1.log" | tail -20; bad "no admin token on the first boot's console"; }
[ "$(in_ct systemctl is-active cairn-appliance.service)" = active ] \
  && ok "cairn-appliance.service active" || bad "cairn-appliance.service $(in_ct systemctl is-active cairn-appliance.service)"
[ "$(main_user)" = cairn ] && ok "daemon runs as cairn" || bad "daemon runs as '$(main_user)'"
healthz && ok "GET /v1/healthz answers on the admin port" || bad "no /v1/healthz answer"
authed && ok "the printed admin token opens /v1/status" || bad "admin token refused"
[ "$(owner %U /var/lib/cairn/keys/store.key)" = cairn ] \
  && ok "store, keys, pki created by cairn" || bad "key file owner: $(owner %U /var/lib/cairn/keys/store.key)"
stop_container

snapshot_state() { (cd "$ROOT/var/lib/cairn" && sha256sum keys/store.key pki/ca.crt pki/ca.key store/config); }
before=$(snapshot_state)
# An admin's edit the upgrade must keep.
sed -i 's/^level = "info"/level = "debug"/' "$ROOT/etc/cairn/appliance.toml"

boot 2
grep -q 'admin API token' "$WORK/console2.log" && bad "first boot ran again" || ok "second boot: no first boot"
[ "$(in_ct systemctl show -p ConditionResult --value cairn-firstboot.service)" = no ] \
  && ok "cairn-firstboot skipped by its condition" || bad "cairn-firstboot condition: $(in_ct systemctl show -p ConditionResult --value cairn-firstboot.service)"
healthz && authed && ok "second boot: healthz and the token work" || bad "second boot: daemon or token not working"

# --- upgrade on the running system ---
pid_before=$(in_ct systemctl show -p MainPID --value cairn-appliance.service)
cp "$APP2" "$AGENT2" "$ROOT/var/tmp/debs/"
if in_ct dpkg -i /var/tmp/debs/"$(basename "$APP2")" /var/tmp/debs/"$(basename "$AGENT2")" >"$WORK/dpkg2.log" 2>&1; then
  ok "upgrade to $(in_ct dpkg-query -W -f '${Version}' cairn-appliance)"
else
  cat "$WORK/dpkg2.log"; bad "upgrade dpkg -i"
fi
[ "$(in_ct dpkg-query -W -f '${Version}' cairn-appliance)" = "$(dpkg-deb -f "$APP2" Version)" ] \
  || bad "installed version is not the newer one"
healthz && ok "after the upgrade: healthz answers" || bad "after the upgrade: no healthz"
pid_after=$(in_ct systemctl show -p MainPID --value cairn-appliance.service)
[ "$pid_after" != "$pid_before" ] && [ "$pid_after" != 0 ] \
  && ok "daemon restarted on the new package (pid $pid_before -> $pid_after)" || bad "daemon not restarted ($pid_before -> $pid_after)"
[ "$(main_user)" = cairn ] && ok "still as cairn" || bad "after upgrade runs as '$(main_user)'"
grep -q '^level = "debug"' "$ROOT/etc/cairn/appliance.toml" \
  && ok "the admin's edit of appliance.toml kept" || bad "appliance.toml edit lost"
[ "$(snapshot_state)" = "$before" ] && ok "store config, key file and CA unchanged" || bad "state changed by the upgrade"
authed && ok "admin token still valid" || bad "admin token lost"
stop_container

echo "total $((SECONDS - T0))s"
e2e_verdict deb_install
