#!/usr/bin/env bash
# Checks that the Containerfile's runtime stage installs every Debian package
# whose shared library `cairn-agent` links: each library `ldd` resolves is
# mapped to its package with `dpkg -S`; a package missing from the list
# between "runtime-packages-begin" and "-end" fails the check, naming it.
# No exceptions, not even libc6: naming a package the base image already has
# costs nothing, and guessing what a base image holds is how images rot.
# The one exception: sanitizer runtimes (libasan, libubsan, liblsan, libtsan)
# of a test build (make test checks the ASan+UBSan binaries too); the image
# is built from a release build that links none. Run on the same Debian
# release as the image (bookworm): the package names carry the library's
# SONAME (libssl3, libyaml-cpp0.7).
#   check_image_libs.sh BUILD_DIR/agent/cairn-agent [Containerfile]
set -euo pipefail
bin=${1:?usage: check_image_libs.sh CAIRN_AGENT_BINARY [CONTAINERFILE]}
containerfile=${2:-$(dirname "$0")/Containerfile}
[ -x "$bin" ] || { echo "check_image_libs: $bin is not an executable" >&2; exit 2; }

listed=$(sed -n '/runtime-packages-begin/,/runtime-packages-end/p' "$containerfile" |
  grep -v '^#' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
  grep -vxE 'RUN|apt-get|update|install|rm|rf|DEBIAN_FRONTEND=noninteractive|y|no-install-recommends' || true)
[ -n "$listed" ] || { echo "check_image_libs: no runtime package list in $containerfile" >&2; exit 2; }

# The package owning a file; dpkg's database may name it under /lib or /usr/lib
# (merged /usr), so try the path as given, its real path and the other prefix.
owner() {
  local p=$1 real
  real=$(readlink -f "$p")
  for cand in "$p" "$real" "${p#/usr}" "/usr$p" "${real#/usr}" "/usr$real"; do
    if out=$(dpkg -S "$cand" 2>/dev/null); then
      echo "${out%%:*}" | cut -d, -f1 | sed 's/:.*//'
      return 0
    fi
  done
  return 1
}

missing=0; checked=0
while read -r lib path; do
  case "$lib" in
    libasan.so.*|libubsan.so.*|liblsan.so.*|libtsan.so.*)
      echo "skip $lib: a sanitizer runtime of this test build, not in a release image"; continue ;;
  esac
  if [ "$path" = NOT-FOUND ]; then
    echo "FAIL $lib: ldd cannot find it on this machine (build and check on the image's Debian release)"
    missing=1; continue
  fi
  pkg=$(owner "$path") || { echo "FAIL $lib ($path) belongs to no Debian package: built against a local library?"; missing=1; continue; }
  checked=$((checked+1))
  if grep -qx "$pkg" <<<"$listed"; then
    echo "ok   $lib -> $pkg"
  else
    echo "FAIL $lib -> $pkg is not installed by $containerfile's runtime stage: add it to the runtime-packages list"
    missing=1
  fi
done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}
                         $2 == "=>" && $3 == "not" {print $1, "NOT-FOUND"}')
[ "$checked" -gt 0 ] || { echo "check_image_libs: ldd found no libraries in $bin" >&2; exit 2; }
exit $missing
