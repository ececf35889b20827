# Helpers for integration tests that run the real kvip binary.
# Every test sources this; it gives fail/pass, a private temp dir removed on
# exit, bounded polling, and process clean-up.

set -uo pipefail
KVIP=${1:?usage: $0 PATH_TO_KVIP}

# skip REASON...: this test cannot run here. Outside CI it is skipped (exit 77,
# ctest "Skipped") with the reason printed; with CI=true it fails (exit 1),
# because in CI a skipped test is a failure.
skip() {
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    echo "FAIL: cannot run: $* (CI=true: a skip is a failure)"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}

# A test that sets KVIP_PRIVATE_NETNS=1 before sourcing this file runs in a
# private network namespace (root only; exit 77 = skipped otherwise) holding
# lo and a veth `eth0` (10.98.0.1/24), so the daemon can add VIPs without
# touching the host; everything vanishes with the process.
if [ "${KVIP_PRIVATE_NETNS:-}" = 1 ] && [ -z "${KVIP_IN_NETNS:-}" ]; then
  if [ "$(id -u)" != 0 ]; then skip "needs root for a private network namespace"; fi
  export KVIP_IN_NETNS=1
  exec unshare -n bash "$0" "$@"
fi
if [ -n "${KVIP_IN_NETNS:-}" ]; then
  ip link set lo up
  ip link add eth0 type veth peer name eth0p && ip link set eth0 up && ip link set eth0p up
  ip addr add 10.98.0.1/24 dev eth0
fi
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

# start_apiserver: the embedded API server on loopback (plain HTTP) and a
# kubeconfig for it in $TMP/kubeconfig; sets API_URL.
start_apiserver() {
  "$KVIP" apiserver --listen 127.0.0.1:0 >"$TMP/apiserver.log" 2>&1 &
  PIDS+=("$!")
  poll 10 grep -q "serving on" "$TMP/apiserver.log" || { echo "apiserver did not start"; cat "$TMP/apiserver.log"; return 1; }
  API_URL=$(sed -n 's/.*serving on \(http[^ ]*\).*/\1/p' "$TMP/apiserver.log" | head -1)
  cat >"$TMP/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: it
  cluster:
    server: $API_URL
users:
- name: it
  user: {}
contexts:
- name: it
  context: {cluster: it, user: it}
current-context: it
KC
}

# The environment of a valid control-plane ARP daemon in the private namespace.
daemon_env() {
  echo vip_arp=true cp_enable=true address=10.98.0.100 vip_interface=eth0 \
    k8s_config_file="$TMP/kubeconfig" vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1
}
