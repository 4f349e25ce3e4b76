#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of tests/fuzz with clang (ASan +
# UBSan) in their own build dir and runs each for FUZZ_SECONDS, one after
# another, single process. Fails if any target crashes, leaks, times out or
# runs out of memory; the input that did it is kept in
# <build>/fuzz-artifacts/<target>-crash-... (reproduce: <build>/tests/fuzz/<target> FILE).
#
#   scripts/fuzz.sh [BUILD_DIR]           (default build-fuzz-clang)
#   FUZZ_SECONDS=60   seconds per target
#   FUZZ_TARGETS="manifest_fuzz s3_xml_fuzz"   a subset (default: all)
#   JOBS=2            build parallelism
#   FUZZ_SKIP_BUILD=1 run what is built (e.g. while another build runs there)
#
# Each run starts from the seeds (tests/fuzz/corpus/<name>) plus what earlier
# runs on this machine found (<build>/fuzz-corpus/<name>, not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build-fuzz-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-2}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-2048}

# name -> -max_len: each a few times the largest realistic input of its kind
# (a tar stream of a few members is ~10 KiB; the rest are small texts).
declare -A MAX_LEN=(
  [manifest_fuzz]=16384 [chunk_decode_fuzz]=16384 [protocol_fuzz]=8192
  [http_request_fuzz]=8192 [tar_restore_fuzz]=65536 [kubeconfig_fuzz]=8192
  [appliance_config_fuzz]=8192 [agent_config_fuzz]=8192 [target_spec_fuzz]=4096
  [s3_xml_fuzz]=8192
)
TARGETS=${FUZZ_TARGETS:-"manifest_fuzz chunk_decode_fuzz protocol_fuzz http_request_fuzz tar_restore_fuzz kubeconfig_fuzz appliance_config_fuzz agent_config_fuzz target_spec_fuzz s3_xml_fuzz"}

if ! command -v clang++ >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "fuzz: clang is missing -- run as root, or install Debian's clang" >&2
    exit 1
  fi
  echo "fuzz: installing clang"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang >/dev/null
fi

start=$(date +%s)
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCAIRN_FUZZ=ON -DCAIRN_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD" -j "$JOBS" --target cairn_fuzz
  echo "fuzz: build took $(( $(date +%s) - start )) s"
fi

mkdir -p "$BUILD/fuzz-artifacts" "$BUILD/fuzz-logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in $TARGETS; do
  name=${t%_fuzz}
  [ -n "${MAX_LEN[$t]:-}" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
  work="$BUILD/fuzz-corpus/$name"
  mkdir -p "$work"
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  log="$BUILD/fuzz-logs/$t.log"
  # New inputs go to the first corpus dir (the work dir); the seeds are only read.
  # stdin is /dev/null: a fuzzed path naming /dev/stdin must not wait for a terminal.
  if "$BUILD/tests/fuzz/$t" "$work" "tests/fuzz/corpus/$name" "${dict[@]}" \
      -max_total_time="$FUZZ_SECONDS" -max_len="${MAX_LEN[$t]}" -rss_limit_mb="$RSS_LIMIT_MB" \
      -timeout=30 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$t-" \
      </dev/null >"$log" 2>&1; then
    echo "fuzz: $t ok: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)"
  else
    echo "fuzz: $t FAILED (log $log):" >&2
    grep -E 'ERROR|SUMMARY|CAIRN_FUZZ_CHECK|Test unit written|==[0-9]+==' "$log" | head -20 >&2 || tail -20 "$log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; inputs in $BUILD/fuzz-artifacts/" >&2
  exit 1
fi
echo "fuzz: all targets ran ${FUZZ_SECONDS}s each without a crash ($(( $(date +%s) - start )) s in all)"
