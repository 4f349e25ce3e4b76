#!/usr/bin/env bash
# Installs the Debian packages Cairn needs to build, test, demo and benchmark,
# only those missing (so a warm machine spends no time here). Run as root.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make python3
  # libraries (headers)
  libboost-dev libssl-dev libsqlite3-dev libarchive-dev libzstd-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev catch2
  # tests: xattrs/ACLs on test trees, sqlite3 for poking catalogs
  attr acl sqlite3
  # Kubernetes: kubeconfig and YAML output (agent), the test API server (python3-yaml);
  # Debian's kubectl comes from scripts/debian-kubectl.sh (it may clash with another kubectl)
  libyaml-cpp-dev python3-yaml
  # sanitizer runtime for the ASan+UBSan unit-test build
  libclang-rt-14-dev
  # benchmark peers
  restic borgbackup
  # replication: S3 XML responses (pugixml); a real S3 server for the tests (Ceph RGW)
  # and real S3 clients (s3cmd, rclone); uuidgen and bc for the RGW start script
  libpugixml-dev radosgw ceph-mon ceph-osd ceph-common uuid-runtime bc curl s3cmd rclone python3-boto3
  # network namespaces, veth, tc netem for the WAN tests
  iproute2
  # the appliance firewall: nft -c in the renderer tests, nft -f in the firewall test
  nftables
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  echo "deps: Debian's kubectl at $(bash "$(dirname "$0")/debian-kubectl.sh")"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages: ${missing[*]} -- run 'make deps' as root" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: Debian's kubectl at $(bash "$(dirname "$0")/debian-kubectl.sh")"
