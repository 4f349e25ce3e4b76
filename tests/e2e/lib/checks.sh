# Sourced by every e2e script: the check counters and verdict helpers.
#   ok "what"            a passed check        bad "what: why"   a failed one
#   crashed "$output"    true when output shows a crash or a sanitizer report
#   e2e_verdict NAME     prints "NAME: N passed, M failed"; status 0 only when none failed
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "ok   $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
crashed() { grep -qiE "terminate called|Segmentation|Aborted|what\(\)|AddressSanitizer|runtime error" <<<"$1"; }
e2e_verdict() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" = 0 ]
}
