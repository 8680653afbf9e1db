#!/bin/sh
# The tcp output's two promises, with receivers that accept and never read,
# then die (kill -9, so the kernel resets the connections) and come back.
# - `ack: true` (at-least-once): nothing counts as delivered before the
#   receiver answers; everything is sent again to the new receiver: all
#   20,000 events arrive.
# - `ack: false` (best-effort): what went to the dead receiver is counted in
#   vigil_output_possibly_lost_total and logged; arrived + possibly lost
#   accounts for every event, so the metrics do not claim a delivery that
#   did not happen. The forward output with require_ack: false is best-effort
#   the same way and counted the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
N=20000
write_lines "$L" 1 $N
start_peer stuck_ack tcp_receiver.py --no-read; P_ACK=$PORT; S_ACK=$PEER
start_peer stuck_be tcp_receiver.py --no-read; P_BE=$PORT; S_BE=$PEER
start_peer stuck_fwd tcp_receiver.py --no-read; P_FWD=$PORT; S_FWD=$PEER

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 5s
  http: {listen: "127.0.0.1:0"}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$L"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - name: acked
    type: tcp
    host: 127.0.0.1
    port: $P_ACK
    ack: true
    ack_timeout: 10m
    write_timeout: 10m
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 200, max_delay: 50ms}
  - name: besteffort
    type: tcp
    host: 127.0.0.1
    port: $P_BE
    write_timeout: 10m
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 200, max_delay: 50ms}
  - name: fwdnoack
    type: forward
    host: 127.0.0.1
    port: $P_FWD
    require_ack: false
    write_timeout: 10m
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 200, max_delay: 50ms}
YEOF

start_vigil_api "$T/v.yaml"
# the best-effort output writes until the kernel buffers are full; the acked
# one writes one frame and waits for the answer that never comes
wait_for 20 metric_ge 'vigil_output_events_total{output="besteffort"}' 200 || fail "best-effort: nothing written"
wait_for 20 metric_ge 'vigil_output_events_total{output="fwdnoack"}' 200 || fail "forward without ack: nothing written"
wait_for 20 grep -q ACCEPTED "$T/stuck_ack.got" || fail "acked: no connection"
sleep 1   # let the writers fill the kernel buffers (not an assertion)
sent_be=$(metric 'vigil_output_events_total{output="besteffort"}')
sent_ack=$(metric 'vigil_output_events_total{output="acked"}')
say "before the kill: besteffort counted $sent_be events sent, acked $sent_ack delivered"
[ "$sent_ack" = 0 ] || fail "acked: $sent_ack events counted as delivered without an answer"

kill -9 "$S_ACK" "$S_BE" "$S_FWD"; wait "$S_ACK" "$S_BE" "$S_FWD" 2>/dev/null || true
start_peer ack tcp_receiver.py --ack --port "$P_ACK"
start_peer be tcp_receiver.py --port "$P_BE"
start_peer fwd forward_server.py --port "$P_FWD"

wait_for 60 got_at_least ack $N || fail "acked: $(got ack | wc -l) of $N arrived at the new receiver"
wait_for 20 metric_ge 'vigil_output_possibly_lost_total{output="besteffort"}' 1 ||
    fail "best-effort: the dead receiver's share is not counted as possibly lost"
lost_stable() {
    _l=$(metric 'vigil_output_possibly_lost_total{output="besteffort"}')
    _g=$(got be | wc -l)
    [ $((_l + _g)) -ge $N ]
}
wait_for 60 lost_stable || fail "best-effort: arrived $(got be | wc -l) + possibly lost $(metric 'vigil_output_possibly_lost_total{output="besteffort"}') < $N"
lost=$(metric 'vigil_output_possibly_lost_total{output="besteffort"}')
fwd_stable() {
    _l=$(metric 'vigil_output_possibly_lost_total{output="fwdnoack"}')
    _g=$(got fwd | wc -l)
    [ "$_l" -gt 0 ] && [ $((_l + _g)) -ge $N ]
}
wait_for 60 fwd_stable || fail "forward without ack: arrived $(got fwd | wc -l) + possibly lost $(metric 'vigil_output_possibly_lost_total{output="fwdnoack"}') < $N"
fwd_lost=$(metric 'vigil_output_possibly_lost_total{output="fwdnoack"}')
grep -q 'output fwdnoack: forward: connection to 127.0.0.1:.*may be lost' "$T/vigil.err" ||
    fail "forward without ack: the possible loss is not logged"
metric_eq 'vigil_output_possibly_lost_total{output="acked"}' 0 || fail "acked: possibly lost counted"
grep -q 'output besteffort: tcp: connection to 127.0.0.1:.*may be lost' "$T/vigil.err" ||
    fail "best-effort: the possible loss is not logged"
stop_vigil

got ack >"$T/ack.msgs"
printf 'acked: '
$CHECK once "$T/ack.msgs" line 1 $N || fail "acked: not every event exactly once in order"
arrived=$(got be | sort -u | wc -l)
say "best-effort: $arrived arrived at the new receiver, $lost counted as possibly lost (logged)"
[ $((arrived + lost)) -eq $N ] || fail "best-effort: arrived $arrived + possibly lost $lost != $N"
fwd_arrived=$(got fwd | sort -u | wc -l)
say "forward, require_ack false: $fwd_arrived arrived at the new server, $fwd_lost counted as possibly lost (logged)"
[ $((fwd_arrived + fwd_lost)) -eq $N ] || fail "forward without ack: arrived $fwd_arrived + possibly lost $fwd_lost != $N"
say "tcp ack / best-effort: ok"
