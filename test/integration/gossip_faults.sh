#!/usr/bin/env bash
# Issue 9's lab faults against kvip with gossip on a 3-node lab: 2 trials of
# kill, stop (SIGSTOP for 5 s, then SIGCONT), linkdown, term,
# partition-gossip (2 s), partition-api (2 s), loss (10 %, with a kill) and
# rolling (every node restarted in turn), then one API outage of 60 s (the
# issue's lab tests). Checks the JSON reports: every trial
# is there, no probe was ever answered by two MACs, the VIP moved within
# 1000 ms after kill, stop, linkdown and partition-gossip, a graceful stop
# (term) and a rolling restart leave the VIP unanswered at most
# $SILENCE_BOUND_MS, an API outage or partition never leaves it unanswered
# longer than 200 ms, and the lab is gone afterwards.
source "$(dirname "$0")/lib/common.bash"
LIB="$(dirname "$0")/lib" # report.py
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for tool in nft ip python3 curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (.ci/install-deps installs it)"
done
# Target for term and rolling: 0 probes lost (make-before-break). The bound
# asserted is looser: see the closing note of issue 9 for what is measured.
SILENCE_BOUND_MS=${SILENCE_BOUND_MS:-100}

run_sim() { # run_sim NAME TRIALS flags...: runs kvip simulate; the JSON goes to $TMP/NAME.json
  local name=$1 trials=$2; shift 2
  "$KVIP" simulate --nodes 3 --systems gossip --trials "$trials" --fault-jitter 300ms \
    --idle-window 1s --switch-budget 15s --restart-delay-ms 500 \
    --json "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>&1 &
  local sim=$!
  PIDS+=("$sim")
  wait "$sim"
  local rc=$?
  cat "$TMP/$name.out"
  check "kvip simulate ($name) exits 0" [ "$rc" = 0 ]
  local run_id
  run_id=$(printf %x "$sim")
  check "no namespace of the $name run is left" sh -c "! ip netns list | grep -q '^kvl-$run_id-'"
}

start=$(date +%s)
run_sim faults 2 --faults kill,stop,linkdown,term,partition-gossip,partition-api,loss,rolling \
  --stop-duration 5s --partition-duration 2s --loss 10%
run_sim outage 1 --faults api-outage --outage 60s
echo "both runs took $(( $(date +%s) - start )) s"

check "the JSON reports hold every trial, measured as issue 9 requires" \
  env PYTHONPATH="$LIB" python3 - "$TMP/faults.json" "$TMP/outage.json" "$SILENCE_BOUND_MS" <<'PY'
import sys
from report import Checks
c = Checks()
bound = float(sys.argv[3])
plans = {sys.argv[1]: (("kill", "stop", "linkdown", "term", "partition-gossip",
                        "partition-api", "loss", "rolling"), 2),
         sys.argv[2]: (("api-outage",), 1)}
for path, (faults, n) in plans.items():
    r = c.load(path)
    trials = c.by_trial(r)
    for fault in faults:
        for i in range(1, n + 1):
            t = c.trial(trials, (fault, i), f"{fault} {i}")
            if t is None:
                continue
            what = f"{fault} {i}: switch {t['switch_ms']} ms, silence {t['longest_silence_ms']} ms"
            print("  " + what + f", unanswered {t['unanswered_probes']}, dual-MAC {t['dual_mac_probes']}")
            c.common(what, t)
            if fault in ("kill", "stop", "linkdown", "partition-gossip") and not c.moved_within(t, 1000):
                c.bad(f"{what}: the VIP did not move within 1000 ms")
            if fault in ("term", "rolling") and not (0 <= t["longest_silence_ms"] <= bound):
                c.bad(f"{what}: unanswered longer than {bound} ms")
            if fault in ("api-outage", "partition-api") and t["longest_silence_ms"] > 200:
                c.bad(f"{what}: unanswered longer than 200 ms")
    for s in r["systems"]:
        if len(s["steady_tx"]) != 3:
            c.bad(f"{path}: steady-state traffic of 3 nodes expected")
        if s["api_writes_per_s"] < 0:
            c.bad(f"{path}: API writes/s not measured")
c.finish()
PY
finish
