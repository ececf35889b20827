# Helpers for integration tests that run the real kvip binary.
# Every test sources this; it gives fail/pass, a private temp dir removed on
# exit, bounded polling, and process clean-up.

set -uo pipefail
KVIP=${1:?usage: $0 PATH_TO_KVIP}
TMP=$(mktemp -d /tmp/kvip-it-XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

FAILED=0
PASSED=0
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
check() { # check "description" command...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# poll SECONDS command...: runs command every 50 ms until it succeeds or the
# budget runs out (bounded polling, never a fixed sleep as an assertion).
poll() {
  local budget=$1; shift
  local deadline=$(( $(date +%s%N) + budget * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}
