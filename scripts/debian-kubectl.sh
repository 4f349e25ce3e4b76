#!/usr/bin/env bash
# Prints the path of Debian's kubectl (package kubernetes-client), getting it
# first when needed. The Kubernetes tests drive the test API server with it.
#
# Why not just `apt-get install kubernetes-client`: a machine may already have
# another package owning /usr/bin/kubectl (a cloud SDK's), and dpkg refuses
# the overwrite. Then the .deb is downloaded from the configured archive and
# unpacked under $CAIRN_TOOLS_DIR (default /var/cache/cairn-tools), leaving
# the other kubectl alone. Run as root the first time.
set -euo pipefail

if dpkg-query -W -f='${Status}' kubernetes-client 2>/dev/null | grep -q "install ok installed"; then
  echo /usr/bin/kubectl
  exit 0
fi
tools="${CAIRN_TOOLS_DIR:-/var/cache/cairn-tools}"
unpacked="$tools/kubernetes-client"
if [ -x "$unpacked/usr/bin/kubectl" ]; then
  echo "$unpacked/usr/bin/kubectl"
  exit 0
fi
if ! dpkg-query -W -f='${Status}' kubectl 2>/dev/null | grep -q "install ok installed" &&
   ! [ -e /usr/bin/kubectl ]; then
  # Nothing clashes: install the package the normal way.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >&2 ||
    { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends kubernetes-client >&2; }
  echo /usr/bin/kubectl
  exit 0
fi
mkdir -p "$tools/debs"
deb=$(ls "$tools"/debs/kubernetes-client_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  (cd "$tools/debs" && { apt-get download kubernetes-client >&2 ||
     { apt-get update -qq >&2 && apt-get download kubernetes-client >&2; }; })
  deb=$(ls "$tools"/debs/kubernetes-client_*.deb | head -1)
fi
rm -rf "$unpacked.tmp"
dpkg-deb -x "$deb" "$unpacked.tmp"
mv "$unpacked.tmp" "$unpacked"
echo "$unpacked/usr/bin/kubectl"
