#!/usr/bin/env bash
# Issue 9, gossip peers from the Node objects (kvip_gossip_peers empty): on a
# 3-node lab whose API server holds one Node per lab node (`kvip simulate
# --peers-from-nodes`), every kvip takes its peers from the Nodes. 2 trials
# of kill (the owner SIGKILLed, restarted 500 ms later) and of delete-node
# (the owner's Node object deleted while its kvip runs on: the others remove
# it from their membership, ignore it, and take the VIP over once its hold
# lapsed; the Node is then created again and it rejoins). Checks: the nodes
# formed the cluster from the Node list (their logs), one node answered, every
# trial moved the VIP with no probe answered by two MACs (kill within 1000
# ms, delete-node within 2000 ms: the Node watch plus the takeover wait), the
# trials' notes are empty (a delete-node trial notes a node whose /metrics
# still list the deleted one as a member, kvip_gossip_member_alive, or that
# did not see it rejoin), the others logged its removal, and the lab is gone.
source "$(dirname "$0")/lib/common.bash"
LIB="$(dirname "$0")/lib" # report.py
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for tool in nft ip python3 curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (.ci/install-deps installs it)"
done

mkdir -p "$TMP/sim"
start=$(date +%s)
"$KVIP" simulate --nodes 3 --systems gossip --peers-from-nodes --faults kill,delete-node \
  --trials 2 --fault-jitter 300ms --idle-window 1s --switch-budget 15s --restart-delay-ms 500 \
  --workdir "$TMP/sim" --json "$TMP/report.json" >"$TMP/out" 2>&1 &
SIM=$!
PIDS+=("$SIM")
wait "$SIM"
rc=$?
cat "$TMP/out"
echo "the run took $(( $(date +%s) - start )) s"
check "kvip simulate exits 0" [ "$rc" = 0 ]
check "one node answered for the VIP" grep -q "gossip: n[0-9] answers for the VIP" "$TMP/out"
for n in n1 n2 n3; do
  check "$n took its peers from the Node objects" \
    grep -q "gossip: 2 peers from the Nodes" "$TMP/sim/$n.log"
done
check "the other nodes logged the deleted Nodes' removal (2 trials, 2 nodes each)" \
  sh -c "[ \$(cat '$TMP'/sim/n?.log | grep -c 'removed: its Node is gone') -ge 4 ]"
check "the JSON report holds every trial: moved, never answered by two MACs" \
  env PYTHONPATH="$LIB" python3 - "$TMP/report.json" <<'PY'
import sys
from report import Checks
c = Checks()
trials = c.by_trial(c.load(sys.argv[1]))
for fault, bound in (("kill", 1000), ("delete-node", 2000)):
    for i in (1, 2):
        t = c.trial(trials, (fault, i), f"{fault} {i}")
        if t is None:
            continue
        what = f"{fault} {i}: {t['from']} -> {t['to']}: switch {t['switch_ms']} ms"
        print(f"  {what}, silence {t['longest_silence_ms']} ms, dual-MAC {t['dual_mac_probes']}")
        c.common(what, t)
        if not c.moved_within(t, bound):
            c.bad(f"{what}: the VIP did not move within {bound} ms")
c.finish()
PY
run_id=$(printf %x "$SIM")
check "no namespace of the run is left" sh -c "! ip netns list | grep -q '^kvl-$run_id-'"
finish
