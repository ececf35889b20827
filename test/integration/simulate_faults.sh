#!/usr/bin/env bash
# `kvip simulate` with fault kinds and a compared system: 2 trials of each of
# kill, stop, linkdown and term against kvip Lease-only and keepalived with
# 100 ms adverts on a 3-node lab, with short timings. Checks the JSON report:
# every trial is there, the VIP moved after kill, linkdown and term and the
# switch was measured, keepalived answers from two MACs after a SIGKILL (its
# dead process leaves the address on the interface), and the lab is gone
# afterwards.
source "$(dirname "$0")/lib/common.bash"
LIB="$(dirname "$0")/lib" # report.py
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for tool in keepalived nft ip python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (.ci/install-deps installs it)"
done

"$KVIP" simulate --nodes 3 --faults kill,stop,linkdown,term --trials 2 \
  --systems lease --compare keepalived-100ms \
  --lease 3 --renew 2 --retry 1 --stop-duration 1s --fault-jitter 300ms \
  --idle-window 1s --switch-budget 15s --restart-delay-ms 500 \
  --json "$TMP/report.json" >"$TMP/out" 2>&1 &
SIM=$!
PIDS+=("$SIM")
wait "$SIM"
rc=$?
cat "$TMP/out"
check "kvip simulate exits 0" [ "$rc" = 0 ]
check "the table has a row per fault and system" \
  sh -c "[ \$(grep -cE '^(kill|stop|linkdown|term) +(lease|keepalived-100ms) ' '$TMP/out') = 8 ]"
check "the JSON report holds every trial, measured as the faults require" env PYTHONPATH="$LIB" python3 - "$TMP/report.json" <<'PY'
import sys
from report import Checks
c = Checks()
r = c.load(sys.argv[1])
for system in ("lease", "keepalived-100ms"):
    trials = c.by_trial(r, system)
    for fault in ("kill", "stop", "linkdown", "term"):
        for i in (1, 2):
            name = f"{system} {fault} {i}"
            t = c.trial(trials, (fault, i), name)
            if t is None:
                continue
            if t["note"]:
                c.bad(f"{name}: {t['note']}")
            if t["nodes"] != 3 or t["probes"] <= 0:
                c.bad(f"{name}: nodes {t['nodes']}, probes {t['probes']}")
            moved = t["switch_ms"] > 0 and t["to"] and t["to"] != t["from"]
            if fault in ("kill", "linkdown", "term") and not moved:
                c.bad(f"{name}: no switch measured ({t['switch_ms']} ms)")
            if system == "keepalived-100ms" and fault == "kill" and t["dual_mac_probes"] <= 0:
                c.bad(f"keepalived kill {i}: expected probes answered by two MACs, got none")
            if system == "keepalived-100ms" and fault in ("kill", "linkdown") and t["switch_ms"] > 2000:
                c.bad(f"keepalived {fault} {i}: switch {t['switch_ms']} ms (VRRP 100 ms adverts)")
steady = {s["system"]: s["steady_tx"] for s in r["systems"]}
for system in ("lease", "keepalived-100ms"):
    if len(steady.get(system, [])) != 3:
        c.bad(f"{system}: steady-state traffic of 3 nodes expected")
c.finish()
PY
run_id=$(printf %x "$SIM")
check "no namespace of the run is left" sh -c "! ip netns list | grep -q '^kvl-$run_id-'"
finish
