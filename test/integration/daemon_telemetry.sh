#!/usr/bin/env bash
# The daemon with a valid configuration: telemetry endpoints answer, /metrics
# passes promtool, SIGUSR1 dumps every actor's state, tracing switches on and
# off at run time (SIGUSR2 and HTTP), JSON logs are one object per line, and
# SIGTERM shuts down in order with exit status 0.
KVIP_PRIVATE_NETNS=1 source "$(dirname "$0")/lib/common.bash"
start_apiserver || exit 1

start_daemon() { # start_daemon LOGFILE [extra env...]
  local log=$1; shift
  env -i PATH="$PATH" $(daemon_env) vip_nodename=it-node \
    prometheus_server=127.0.0.1:0 "$@" "$KVIP" manager >"$log.out" 2>"$log" &
  DAEMON=$!
  PIDS+=("$DAEMON")
  poll 10 grep -q "telemetry: serving" "$log" || { fail "daemon did not start"; cat "$log"; finish; exit 1; }
  PORT=$(sed -n 's/.*telemetry: serving \/metrics.*(port \([0-9]*\)).*/\1/p' "$log" | head -1)
  URL="http://127.0.0.1:$PORT"
}

start_daemon "$TMP/log" kvip_trace="$TMP/trace.jsonl"
check "/healthz answers 200" curl -sf "$URL/healthz" -o /dev/null
check "/readyz becomes 200 once every actor is up" poll 5 curl -sf "$URL/readyz"
curl -sf "$URL/metrics" >"$TMP/metrics"
check "/metrics has kube_vip_build_info for the node" grep -q 'kube_vip_build_info{.*node="it-node".*} 1' "$TMP/metrics"
check "/metrics has the supervisor's children gauge" grep -q '^kvip_supervisor_children_up [1-9]' "$TMP/metrics"
check "the only node becomes leader" poll 10 sh -c "curl -sf '$URL/metrics' | grep '^kube_vip_is_leader{' | grep '[{,]node=\"it-node\"' | grep 'lease_name=\"plndr-cp-lock\"' | grep -q '} 1$'"
check "the leader holds the VIP on eth0" poll 5 sh -c "ip -o addr show dev eth0 | grep -q '10.98.0.100/32'"
if command -v promtool >/dev/null; then
  check "promtool check metrics accepts /metrics" sh -c "promtool check metrics <'$TMP/metrics'"
else
  fail "promtool is not installed (.ci/install-deps installs package prometheus)"
fi
check "unknown path is 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" = 404 ]

# Tracing was on from the start (kvip_trace): the node -> telemetry status
# message is in the file, as valid JSON lines.
check "trace file has node -> telemetry records" poll 5 grep -q '"from":"node","to":"telemetry"' "$TMP/trace.jsonl"
check "every trace line is JSON with a cause" python3 -c "
import json,sys
n=0
for l in open('$TMP/trace.jsonl'):
    r=json.loads(l); assert r['cause'] and r['node']=='it-node' and r['type']; n+=1
assert n>0
"
# SIGUSR2 turns it off; records stop.
kill -USR2 "$DAEMON"
check "SIGUSR2 turns tracing off" poll 5 sh -c "curl -sf '$URL/trace' | grep -q '\"enabled\":false'"
before=$(wc -l <"$TMP/trace.jsonl")
kill -USR1 "$DAEMON"
check "SIGUSR1 dump logs the node" poll 5 grep -q "state dump:" "$TMP/log"
check "SIGUSR1 dump includes the telemetry actor" poll 5 grep -q "telemetry:" "$TMP/log"
after=$(wc -l <"$TMP/trace.jsonl")
check "no records while tracing is off ($before = $after)" [ "$before" = "$after" ]
# HTTP turns it back on; the next dump's messages are traced.
check "POST /trace?enabled=true turns tracing on" sh -c "curl -sf -X POST '$URL/trace?enabled=true' | grep -q '\"enabled\":true'"
kill -USR1 "$DAEMON"
check "dump request is traced after switching on" poll 5 grep -q '"type":"dump_request"' "$TMP/trace.jsonl"
check "bad trace switch value is 400" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/trace?enabled=maybe")" = 400 ]

kill -TERM "$DAEMON"; wait "$DAEMON"; code=$?
check "SIGTERM exits 0 (got $code)" [ "$code" = 0 ]
check "orderly shutdown logged" grep -q "supervisor: all children stopped" "$TMP/log"
check "SIGTERM removed the VIP" sh -c "! ip -o addr show dev eth0 | grep -q '10.98.0.100'"
check "port closed after exit" sh -c "! curl -sf '$URL/healthz'"

# Tracing cannot be switched on without a file: 409 with a clear message.
# health_check_port: kube-vip's own liveness listener, /healthz -> "OK" and nothing else.
start_daemon "$TMP/log2" health_check_port=18081
check "health_check_port serves /healthz OK" poll 5 sh -c "[ \"\$(curl -sf http://127.0.0.1:18081/healthz)\" = OK ]"
check "health_check_port serves nothing else" [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18081/metrics)" = 404 ]
check "POST /trace without a trace file is 409" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/trace?enabled=true")" = 409 ]
kill -TERM "$DAEMON"; wait "$DAEMON"

# JSON logs: every stderr line is one JSON object.
start_daemon "$TMP/log3" kvip_log_format=json
kill -TERM "$DAEMON"; wait "$DAEMON"
check "kvip_log_format=json writes one JSON object per line" python3 -c "
import json
n=0
for l in open('$TMP/log3'):
    o=json.loads(l); assert {'time','level','msg'} <= o.keys(); n+=1
assert n>=3
"

# Debug level from vip_loglevel=-4 shows debug lines; default does not.
start_daemon "$TMP/log4" vip_loglevel=-4
kill -TERM "$DAEMON"; wait "$DAEMON"
check "vip_loglevel=-4 enables debug logs" grep -q "debug" "$TMP/log4"
check "default level has no debug lines" sh -c "! grep -q ' debug ' '$TMP/log'"

# Services (svc_enable, Lease mode on one node): a Service created through the
# API is announced and kube-vip's Service families appear; promtool accepts
# /metrics except for kube-vip's counter without _total (kept on purpose).
start_daemon "$TMP/log6" svc_enable=true kvip_ipam=false
check "the node takes plndr-svcs-lock" poll 10 sh -c "curl -sf '$URL/metrics' | grep 'lease_name=\"plndr-svcs-lock\"' | grep -q '} 1$'"
kubectl --kubeconfig "$TMP/kubeconfig" --cache-dir "$TMP/kcache" --request-timeout=10s apply -f - >"$TMP/apply6" 2>&1 <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  annotations: {kube-vip.io/loadbalancerIPs: 10.98.0.150, kube-vip.io/allow-reconcile-without-endpoints: "true"}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
YAML
check "the Service IP goes on eth0" poll 10 sh -c "ip -o addr show dev eth0 | grep -q '10.98.0.150/32'"
check "kube_vip_active_services counts it" poll 5 sh -c "curl -sf '$URL/metrics' | grep -q '^kube_vip_active_services{namespace=\"default\"} 1'"
curl -sf "$URL/metrics" >"$TMP/metrics6"
promtool check metrics <"$TMP/metrics6" >"$TMP/promtool6" 2>&1
pcode=$?
check "promtool's only complaint is kube_vip_manager_all_services_events (status $pcode)" sh -c "[ $pcode = 3 ] && grep -c . '$TMP/promtool6' | grep -qx 1 && grep -q 'kube_vip_manager_all_services_events counter metrics should have \"_total\" suffix' '$TMP/promtool6'"
kill -TERM "$DAEMON"; wait "$DAEMON"
check "SIGTERM removes the Service IP" sh -c "! ip -o addr show dev eth0 | grep -q '10.98.0.150/32'"

# Port already in use: the telemetry child fails, is restarted with backoff,
# and the intensity limit stops the daemon with exit status 1.
python3 -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)" >"$TMP/port" &
holder=$!
PIDS+=("$holder")
poll 5 test -s "$TMP/port"
busy=$(cat "$TMP/port")
env -i PATH="$PATH" $(daemon_env) prometheus_server=127.0.0.1:$busy \
  timeout 60 "$KVIP" manager >/dev/null 2>"$TMP/log5"
code=$?
check "busy telemetry port ends in exit 1 after restarts (got $code)" [ "$code" = 1 ]
check "restart intensity named in the log" grep -q "restart intensity exceeded" "$TMP/log5"
check "the busy address is named" grep -q "127.0.0.1:$busy" "$TMP/log5"
kill "$holder"

finish
