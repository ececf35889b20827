#!/usr/bin/env bash
# Issue 9: forged, unsigned, replayed and misaddressed gossip frames are
# dropped and never move a VIP. `kvip simulate` runs the faults `forge` and
# `forge-peers` (simulation/forge.hpp) twice each against gossip on a 3-node
# lab: for 2 s, from the client namespace, every node gets frames claiming
# the owner dead or left and the VIP for another node signed with a wrong key,
# the same without a MAC or cut short, a frame signed with the cluster key
# whose sender is not its routing id, and a harmless valid frame sent twice
# and once more with seq 1. `forge-peers` sends the forged frames over
# connections under the real peers' names (ZeroMQ routing ids), as an
# attacker without the key could. Checks the JSON report: the VIP stayed on
# its owner, no probe went unanswered or was answered by two MACs, and the
# nodes' kvip_gossip_frames_total{direction="in"} counted bad_mac, truncated,
# replayed, too_old and wrong_sender refusals; and the lab is gone afterwards.
source "$(dirname "$0")/lib/common.bash"
LIB="$(dirname "$0")/lib" # report.py
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for tool in nft ip python3 curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (.ci/install-deps installs it)"
done

"$KVIP" simulate --nodes 3 --systems gossip --faults forge,forge-peers --trials 2 \
  --fault-jitter 300ms --idle-window 1s --switch-budget 10s \
  --json "$TMP/report.json" >"$TMP/out" 2>&1 &
SIM=$!
PIDS+=("$SIM")
wait "$SIM"
rc=$?
cat "$TMP/out"
check "kvip simulate exits 0" [ "$rc" = 0 ]
check "every forged frame was refused and nothing moved" env PYTHONPATH="$LIB" python3 - "$TMP/report.json" <<'PY'
import sys
from report import Checks
c = Checks()
trials = c.by_trial(c.load(sys.argv[1]))
for fault in ("forge", "forge-peers"):
    for i in (1, 2):
        name = f"{fault} {i}"
        t = c.trial(trials, (fault, i), name)
        if t is None:
            continue
        refused = t.get("refused", {})
        print(f"  {name}: owner {t['from']}, refused {refused}")
        c.common(name, t)
        if t["to"] or t["switch_ms"] >= 0:
            c.bad(f"{name}: the VIP moved from {t['from']} to {t['to']} after {t['switch_ms']} ms")
        if t["longest_silence_ms"] != 0 or t["unanswered_probes"] != 0:
            c.bad(f"{name}: {t['unanswered_probes']} unanswered probes, "
                  f"longest silence {t['longest_silence_ms']} ms")
        for kind in ("bad_mac", "truncated", "wrong_sender"):
            if refused.get(kind, 0) <= 0:
                c.bad(f"{name}: no {kind} refusal counted")
        if refused.get("replayed", 0) + refused.get("too_old", 0) <= 0:
            c.bad(f"{name}: no replayed or too_old refusal counted")
c.finish()
PY
run_id=$(printf %x "$SIM")
check "no namespace of the run is left" sh -c "! ip netns list | grep -q '^kvl-$run_id-'"
finish
