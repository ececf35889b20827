#!/usr/bin/env bash
# kvip manager with a bad configuration exits 2 and names every problem, one
# line each, before touching the network; --help lists options with defaults.
KVIP_PRIVATE_NETNS=1 source "$(dirname "$0")/lib/common.bash"
start_apiserver || exit 1

run_env() { # run_env VAR=VALUE... : runs kvip manager with a clean environment
  env -i PATH="$PATH" "$@" "$KVIP" manager --prometheusHTTPServer "" >"$TMP/out" 2>"$TMP/err"
  echo $? >"$TMP/rc"
}
rc() { cat "$TMP/rc"; }
err_has() { grep -qF -- "$1" "$TMP/err"; }

# Several problems at once: all are reported.
run_env vip_arp=true bgp_enable=true cp_enable=true address=10.0.0.300 \
  vip_leaseduration=3 vip_renewdeadline=5 vip_retryperiod=1 \
  bgp_as=0 port=70000 vip_interface="eth0/../x"
check "exit status 2 for an invalid configuration" [ "$(rc)" = 2 ]
check "two modes named" err_has "vip_arp"
check "bad address named" err_has "address=10.0.0.300"
check "lease timing named" err_has "vip_leaseduration"
check "port named" err_has "port=70000"
check "interface named" err_has "vip_interface"
lines=$(grep -c '^  ' "$TMP/err")
check "one line per problem, at least 5 problems ($lines)" [ "$lines" -ge 5 ]

# Unparseable boolean and duration.
run_env vip_arp=yes-please cp_enable=true address=10.0.0.5 vip_leaseduration=5parsecs
check "unparseable values exit 2" [ "$(rc)" = 2 ]
check "bad boolean named" err_has "vip_arp=yes-please"
check "bad duration named" err_has "vip_leaseduration=5parsecs"

# No mode, no feature.
run_env
check "empty configuration exits 2" [ "$(rc)" = 2 ]

# Flags beat environment: a bad env value fixed by a good flag is fine,
# and a bad flag value is reported under its knob.
env -i PATH="$PATH" $(daemon_env) port=99999 \
  "$KVIP" manager --port 6443 --prometheusHTTPServer 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" &
pid=$!
PIDS+=("$pid")
check "flag overrides a bad env value (daemon starts)" poll 10 grep -q "telemetry: serving" "$TMP/err"
check "no unimplemented-knob warning when none is set" sh -c "! grep -q 'not implemented' '$TMP/err'"
kill -TERM "$pid"; wait "$pid"; code=$?
check "SIGTERM exits 0 (got $code)" [ "$code" = 0 ]

# Boolean flags work bare (--arp) and with a value (--arp=false), as in kube-vip.
env -i PATH="$PATH" "$KVIP" manager --arp --controlplane --address 10.98.0.100 --interface eth0 \
  --k8sConfigPath "$TMP/kubeconfig" --prometheusHTTPServer 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" &
pid=$!
PIDS+=("$pid")
check "bare boolean flags enable a mode and a feature" poll 10 grep -q "telemetry: serving" "$TMP/err"
kill -TERM "$pid"; wait "$pid"
env -i PATH="$PATH" "$KVIP" manager --arp=false --bgp=maybe --controlplane --address 10.0.0.5 \
  >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "--arp=false with --bgp=maybe exits 2" [ "$(rc)" = 2 ]
check "bad boolean flag value named" err_has "--bgp=maybe"

# Knobs kvip parses but cannot honour yet are named, not silently ignored.
env -i PATH="$PATH" $(daemon_env) vip_loseleadership=true lb_enable=true \
  prometheus_server=127.0.0.1:0 "$KVIP" manager >"$TMP/out" 2>"$TMP/err" &
pid=$!
PIDS+=("$pid")
check "vip_loseleadership named as not implemented" poll 10 grep -q "vip_loseleadership is accepted but not implemented" "$TMP/err"
check "lb_enable named as not implemented" grep -q "lb_enable is accepted but not implemented" "$TMP/err"
kill -TERM "$pid"; wait "$pid"

# A bad config file value is reported with the file named.
cat >"$TMP/bad.yaml" <<'YAML'
vip_arp: true
cp_enable: true
address: 10.0.0.5
vip_leaseduration: not-a-duration
no_such_knob: 1
YAML
env -i PATH="$PATH" "$KVIP" manager --config-file "$TMP/bad.yaml" >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "bad config file exits 2" [ "$(rc)" = 2 ]
check "bad file value named" err_has "not-a-duration"
check "unknown file key named" err_has "no_such_knob"

# Unknown flag: exit 2 with CLI11's message.
"$KVIP" manager --no-such-flag >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "unknown flag exits 2" [ "$(rc)" = 2 ]

# --help lists kube-vip's options with their defaults and env names.
"$KVIP" manager --help >"$TMP/help" 2>&1
check "--help exits 0" [ $? = 0 ]
check "--help lists --leaseDuration with its env var" sh -c "grep -A1 -- '--leaseDuration' '$TMP/help' | grep -q vip_leaseduration"
check "--help shows the default lease duration" grep -q -- "--leaseDuration.*15" "$TMP/help"
check "--help lists --prometheusHTTPServer default :2112" grep -q -- "--prometheusHTTPServer.*:2112" "$TMP/help"
# kvip's gossip knobs: each flag with its env name (on its line or the next) and its default.
for pair in gossip:kvip_gossip gossipPort:kvip_gossip_port gossipPeers:kvip_gossip_peers \
  gossipKeyFile:kvip_gossip_key_file gossipProbePeriod:kvip_gossip_probe_period \
  gossipProbeTimeout:kvip_gossip_probe_timeout gossipSuspicionTimeout:kvip_gossip_suspicion_timeout \
  gossipFenceTimeout:kvip_gossip_fence_timeout gossipTakeoverWait:kvip_gossip_takeover_wait; do
  check "--help lists --${pair%%:*} with env ${pair#*:}" \
    sh -c "grep -A1 -- '--${pair%%:*} ' '$TMP/help' | grep -qF '[env ${pair#*:}]'"
done
check "--help shows the gossip port default 7947" grep -q -- "--gossipPort INT=7947" "$TMP/help"
check "--help shows the probe period default 30ms" grep -q -- "--gossipProbePeriod DURATION=30ms" "$TMP/help"
check "--help shows the takeover wait default 80ms" grep -q -- "--gossipTakeoverWait DURATION=80ms" "$TMP/help"

# Host checks before anything touches the network: a missing interface,
# a missing kubeconfig and a DNS-named VIP are each named, exit 2.
env -i PATH="$PATH" vip_arp=true cp_enable=true address=10.98.0.100 vip_interface=nosuch0 \
  k8s_config_file="$TMP/missing.kubeconfig" "$KVIP" manager >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "host problems exit 2" [ "$(rc)" = 2 ]
check "missing interface named" err_has "vip_interface=nosuch0: no such interface"
check "missing kubeconfig named" err_has "missing.kubeconfig"
env -i PATH="$PATH" $(daemon_env) address=api.example.com "$KVIP" manager >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "DNS-named VIP exits 2" [ "$(rc)" = 2 ]
check "DNS-named VIP named" err_has "address=api.example.com"
env -i PATH="$PATH" $(daemon_env) vip_arp=false bgp_enable=true "$KVIP" manager >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "unimplemented BGP mode exits 2 saying so" sh -c "[ $(rc) = 2 ] && grep -q 'not implemented' '$TMP/err'"
# Gossip mode with a cluster key others can read: refused before anything starts, naming the
# file and its mode (whoever reads the key can forge gossip and take VIPs).
printf '%032d' 7 >"$TMP/gossip.key"
chmod 644 "$TMP/gossip.key"
env -i PATH="$PATH" $(daemon_env) kvip_gossip=true kvip_gossip_key_file="$TMP/gossip.key" \
  timeout 20 "$KVIP" manager >"$TMP/out" 2>"$TMP/err"
echo $? >"$TMP/rc"
check "gossip with a readable key file exits 2 (got $(rc))" [ "$(rc)" = 2 ]
check "the key file and its mode are named" err_has "kvip_gossip_key_file=$TMP/gossip.key"
check "the mode is named" err_has "0644"
# Bad gossip timings: every one named at once, each as key=value: expectation.
run_env vip_arp=true cp_enable=true address=10.0.0.5 kvip_gossip_probe_period=0 \
  kvip_gossip_probe_timeout=soon kvip_gossip_peers=10.0.0.1:99999 kvip_gossip_port=0
check "bad gossip knobs exit 2" [ "$(rc)" = 2 ]
check "zero probe period named" err_has "kvip_gossip_probe_period=0: a duration > 0"
check "bad probe timeout named" err_has "kvip_gossip_probe_timeout=soon: a duration"
check "bad peer named" err_has "kvip_gossip_peers[0]=10.0.0.1:99999: host, host:port"
check "bad gossip port named" err_has "kvip_gossip_port=0: an integer 1..65535"
run_env vip_arp=true cp_enable=true address=10.0.0.5 kvip_gossip_fence_timeout=200ms
check "takeover wait not above fence timeout exits 2" [ "$(rc)" = 2 ]
check "takeover wait problem names both" err_has "kvip_gossip_takeover_wait=80ms: greater than kvip_gossip_fence_timeout (200ms)"

"$KVIP" version >"$TMP/out" 2>&1
check "version prints kvip" grep -q "^kvip " "$TMP/out"

finish
