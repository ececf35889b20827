#!/usr/bin/env bash
# Checks test/model/ownership.pml with spin (ctest model_ownership, label model).
#   check.sh <ownership.pml>
# Six runs, each `spin -a`, `cc` of pan.c, `./pan` with a bounded depth and
# memory: safety (-DSAFETY, the monitor's assert) and liveness (-a, ltl live)
# of the model as it is; then mutants spin must find a counter-example
# for: fence_timeout above takeover_wait (-DFENCE=6, takeover_wait 5);
# with node-Lease renewals holding a VIP (-DNODE_LEASE_HOLD, which kvip does
# not do: the variant is checked too), peers that miss those renewals while
# frozen and keep their stale silence counters on resume
# (-DLAGGY_WATCH -DNO_RESUME_RESET);
# a restarted member that acks a claim at once (-DFORGETFUL_RESTART);
# and for liveness, a fence_timeout of one tick (-DFENCE=1: the deadline
# lapses between two acks, so the owner's answering flickers for ever).
# Fails on any error count other than the expected one, and on a search that
# was cut short (depth or memory bound hit), so a pass means a full search.
set -euo pipefail

model=$(realpath "$1")

cannot_run() {
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    echo "FAIL: cannot run: $* (CI=true: a skip is a failure)"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
command -v spin >/dev/null || cannot_run "spin is not installed (Debian package spin; .ci/install-deps)"
command -v cc >/dev/null || cannot_run "no C compiler (cc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$model" "$work/ownership.pml"

failed=0
# run <name> <expected: pass|fail> <spin -D...> <cc flags> <pan flags>
run() {
  local name=$1 expect=$2 defs=$3 ccflags=$4 panflags=$5
  local dir="$work/$name"
  mkdir -p "$dir"
  cp "$work/ownership.pml" "$dir/"
  local start end out errors
  start=$(date +%s%3N)
  # shellcheck disable=SC2086 # flag lists are split on purpose
  (cd "$dir" && spin -a $defs ownership.pml >spin.log 2>&1) || {
    echo "FAIL $name: spin -a $defs"
    cat "$dir/spin.log"
    failed=1
    return
  }
  # shellcheck disable=SC2086
  (cd "$dir" && cc -O2 -w $ccflags -o pan pan.c) || {
    echo "FAIL $name: cc $ccflags pan.c"
    failed=1
    return
  }
  # -m: depth bound; -w: hash table size; memory capped by -DMEMLIM (MB)
  # shellcheck disable=SC2086
  out=$(cd "$dir" && ./pan -m200000 $panflags 2>&1) || true
  end=$(date +%s%3N)
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' <<<"$out" | head -1)
  local states
  states=$(grep -E 'states, stored' <<<"$out" | head -1 | sed 's/^ *//')
  printf '%s: spin %s, cc %s, pan %s: errors: %s, %s, %d ms\n' "$name" "${defs:--}" "$ccflags" \
    "$panflags" "${errors:-?}" "$states" "$((end - start))"
  if [ -z "$errors" ]; then
    echo "FAIL $name: no 'errors:' line from pan"
    echo "$out"
    failed=1
    return
  fi
  if grep -qE 'max search depth too small|out of memory|memory limit|search not completed' <<<"$out"; then
    echo "FAIL $name: the search was cut short"
    echo "$out"
    failed=1
    return
  fi
  if [ "$expect" = pass ] && [ "$errors" -ne 0 ]; then
    echo "FAIL $name: spin found a counter-example"
    echo "$out"
    # shellcheck disable=SC2086
    (cd "$dir" && spin -t -p -g $defs ownership.pml | tail -60) || true
    failed=1
  elif [ "$expect" = fail ] && [ "$errors" -eq 0 ]; then
    echo "FAIL $name: the mutant passed; the model cannot catch what it should"
    echo "$out"
    failed=1
  fi
}

mem="-DMEMLIM=1024 -DCOLLAPSE"
run safety pass "" "-DSAFETY -DNOCLAIM $mem" ""
run liveness pass "" "$mem" "-a -N live"
run mutant_fence_ge_takeover fail "-DFENCE=6" "-DSAFETY -DNOCLAIM $mem" ""
run safety_node_lease_hold pass "-DNODE_LEASE_HOLD" "-DSAFETY -DNOCLAIM $mem" ""
run mutant_laggy_watch fail "-DNODE_LEASE_HOLD -DLAGGY_WATCH -DNO_RESUME_RESET" "-DSAFETY -DNOCLAIM $mem" ""
run mutant_forgetful_restart fail "-DFORGETFUL_RESTART" "-DSAFETY -DNOCLAIM $mem" ""
run mutant_liveness_short_fence fail "-DFENCE=1" "$mem" "-a -N live"

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "PASS: safety and liveness hold; every mutant gives a counter-example"
