#!/bin/sh
# Receivers down or refusing for a while, then up: a tcp receiver not
# listening, an http receiver answering 500 then 200, another answering 429
# with Retry-After, a forward server withholding acks then replaced by one
# that acks. Meanwhile /healthz turns 503 with the reason once an output has
# failed past health.max_retry_age, and 200 again after. After a clean stop
# every event has arrived, in order, exactly once (counting, for forward, what
# the acking server received: unacknowledged chunks are sent again).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
start_peer tcp tcp_receiver.py; P_TCP=$PORT
stop_peer "$PEER"                     # down: nothing listens on its port for now
start_peer h500 http_receiver.py --fail 3 --fail-status 500; P_500=$PORT
start_peer h429 http_receiver.py --fail 2 --fail-status 429 --retry-after 1; P_429=$PORT
start_peer fwd_noack forward_server.py --shared-key k1 --no-ack; P_FWD=$PORT; NOACK=$PEER

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 5s
  http: {listen: "127.0.0.1:0"}
  health: {max_retry_age: 1s}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$L"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - name: tcp
    type: tcp
    host: 127.0.0.1
    port: $P_TCP
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
  - name: h500
    type: http
    url: "http://127.0.0.1:$P_500/"
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
  - name: h429
    type: http
    url: "http://127.0.0.1:$P_429/"
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
  - name: fwd
    type: forward
    host: 127.0.0.1
    port: $P_FWD
    shared_key: k1
    require_ack: true
    ack_timeout: 300ms
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
YEOF

t0=$(date +%s.%N)
start_vigil_api "$T/v.yaml"
write_lines "$L" 1 300
wait_for 10 got_at_least h429 300 || fail "h429: events did not arrive after the 429s"
t1=$(date +%s.%N)
wait_for 10 metric_ge 'vigil_output_retries_total{output="tcp"}' 3 || fail "tcp: no retries while down"
health_503() { api /healthz >"$T/health" && head -1 "$T/health" | grep -q 503 && grep -q "output tcp: failing" "$T/health"; }
wait_for 10 health_503 || { cat "$T/health"; fail "/healthz not 503 with tcp down past max_retry_age"; }
say "tcp down: $(metric 'vigil_output_retries_total{output="tcp"}') retries, /healthz: $(sed -n 2p "$T/health")"

start_peer tcp tcp_receiver.py --port "$P_TCP"
wait_for 10 got_at_least tcp 300 || fail "tcp: events did not arrive once it was up"
wait_for 10 got_at_least h500 300 || fail "h500: events did not arrive after the 500s"
wait_for 10 sh -c "[ \$(grep -c '^MSG' '$T/fwd_noack.got') -ge 2 ]" || fail "forward: unacknowledged chunk not sent again"
stop_peer "$NOACK"
start_peer fwd forward_server.py --shared-key k1 --port "$P_FWD"
wait_for 10 got_at_least fwd 300 || fail "forward: events did not arrive once acks were given"

write_lines "$L" 301 600
for p in tcp h500 h429 fwd; do
    wait_for 10 got_at_least $p 600 || fail "$p: later events did not arrive"
done
health_ok() { api /healthz >"$T/health" && head -1 "$T/health" | grep -q 200; }
wait_for 10 health_ok || { cat "$T/health"; fail "/healthz not 200 once outputs deliver"; }
say "recovered: /healthz $(tr '\n' ' ' <"$T/health")"
stop_vigil

for p in tcp h500 h429 fwd; do
    got $p >"$T/$p.msgs"
    printf '%-5s ' "$p:"
    $CHECK once "$T/$p.msgs" line 1 600 || fail "$p: not exactly once in order"
done
[ "$(grep -c 'status=500' "$T/h500.got")" = 3 ] || fail "h500: expected 3 answers 500"
[ "$(grep -c 'status=429' "$T/h429.got")" = 2 ] || fail "h429: expected 2 answers 429"
# two Retry-After: 1 in a row: the events cannot have arrived sooner than ~2 s
# after the start (with the 50 ms backoff alone they would within a few 100 ms)
"$PY" -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print("h429: delivered %.1fs after start (Retry-After: 1, twice)" % d); sys.exit(d < 1.9)' "$t0" "$t1" ||
    fail "h429: Retry-After not honoured"
[ "$(grep -c '^MSG' "$T/fwd_noack.got")" -ge 2 ] && say "forward: $(grep -c '^MSG' "$T/fwd_noack.got") chunks sent without ack, then acked by the next server"
say "outage and recovery: ok"
