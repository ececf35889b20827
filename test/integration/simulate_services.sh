#!/usr/bin/env bash
# `kvip simulate --services 40`: the Services benchmark (issue 10) at a small
# size on a 3-node gossip lab, with a short steady window. Checks the JSON
# report's structure and what must hold whatever the machine's load: every
# Service was created and answered by exactly one MAC, VIPs per node add up,
# the steady state and RSS were measured, and after each SIGKILL (restarted,
# then not) every VIP of the killed node was answered by another node and
# by no two MACs at once. Timing targets are printed, not checked here.
source "$(dirname "$0")/lib/common.bash"
LIB="$(dirname "$0")/lib" # report.py
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v python3 >/dev/null || skip "python3 is not installed (.ci/install-deps installs it)"

"$KVIP" simulate --nodes 3 --services 40 --idle-window 2s --sweep-rate 2000 \
  --switch-budget 15s --restart-delay-ms 1000 --json "$TMP/report.json" >"$TMP/out" 2>&1 &
SIM=$!
PIDS+=("$SIM")
wait "$SIM"
rc=$?
cat "$TMP/out"
check "kvip simulate --services exits 0" [ "$rc" = 0 ]
check "the report prints the targets" grep -q "creation -> answering p99" "$TMP/out"
check "the JSON report holds every part, measured" env PYTHONPATH="$LIB" python3 - "$TMP/report.json" <<'PY'
import sys
from report import Checks
c = Checks()
r = c.load(sys.argv[1])
if r["mode"] != "services" or r["nodes"] != 3 or r["services"] != 40:
    c.bad(f"mode/nodes/services: {r['mode']} {r['nodes']} {r['services']}")
if r["create_errors"] != 0:
    c.bad(f"{r['create_errors']} Services refused")
cr = r["creation"]
if cr["latency"]["n"] != 40 or cr["unanswered"] != 0:
    c.bad(f"answered {cr['latency']['n']} of 40, unanswered {cr['unanswered']}")
if cr["several_macs"] != 0 or cr["multi_mac_requests"] != 0:
    c.bad(f"answered by several MACs: {cr['several_macs']} Services, "
          f"{cr['multi_mac_requests']} requests")
per = [n["vips"] for n in cr["vips_per_node"]]
if len(per) != 3 or sum(per) != 40 or cr["vips_min"] != min(per) or cr["vips_max"] != max(per):
    c.bad(f"VIPs per node {per}, min {cr['vips_min']}, max {cr['vips_max']}")
st = r["steady"]
if st["window_s"] < 1.5 or st["requests_per_s"] <= 0 or st["writes_per_s"] < 0:
    c.bad(f"steady state not measured: {st}")
for n in r["per_node"]:
    for k in ("rss_idle", "rss_steady"):
        m = n[k]
        if not (m.get("vm_rss_kib", -1) > 0 and m.get("rss_anon_kib", -1) > 0
                and m.get("rss_file_kib", -1) >= 0):
            c.bad(f"{n['node']} {k}: {m}")
if [k["restart"] for k in r["kills"]] != [True, False]:
    c.bad(f"kills: {[k['restart'] for k in r['kills']]} (want restarted, then not)")
for k in r["kills"]:
    label = f"kill of {k['node']} ({'restarted' if k['restart'] else 'no restart'})"
    if k["note"]:
        c.bad(f"{label}: {k['note']}")
    if k["vips"] <= 0:
        c.bad(f"{label}: the killed node owned no VIP")
    if k["not_moved"] != 0 or k["moved"]["n"] != k["vips"]:
        c.bad(f"{label}: moved {k['moved']['n']} of {k['vips']}")
    if k["multi_mac_requests"] != 0 or k["several_macs"] != 0:
        c.bad(f"{label}: two-MAC requests {k['multi_mac_requests']}, "
              f"VIPs answered by two other MACs {k['several_macs']}")
    dead = [t["vips"] for t in k["to_node"] if t["node"] == k["node"]]
    if dead != [0] or sum(t["vips"] for t in k["to_node"]) != k["vips"]:
        c.bad(f"{label}: taken over by {k['to_node']}")
names = [t["what"] for t in r["targets"]]
if len(names) != 5 or not all("value" in t and "limit" in t and "met" in t for t in r["targets"]):
    c.bad(f"targets: {r['targets']}")
c.finish()
PY
run_id=$(printf %x "$SIM")
check "no namespace of the run is left" sh -c "! ip netns list | grep -q '^kvl-$run_id-'"
finish
