#!/bin/sh
# Backpressure: with the receiver down and a small disk buffer (1 MiB), once
# memory queue and disk buffer are full the inputs pause (vigil_paused 1,
# /healthz 503 with the reason) and nothing is dropped: when the receiver
# comes up, every line written arrives once, in order. With on_full:
# drop_oldest the inputs never pause; the drops are counted
# (vigil_output_dropped_total) and logged, and what arrives plus what was
# dropped is everything, nothing twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

N=20000
mkdir -p "$T/logs"
start_peer tcp tcp_receiver.py; P_TCP=$PORT
stop_peer "$PEER"

config() {   # config NAME ON_FULL
    mkdir -p "$T/state-$1"
    cat >"$T/$1.yaml" <<YEOF
service:
  state_dir: $T/state-$1
  flush_interval: 100ms
  grace_period: 1s
  http: {listen: "127.0.0.1:0"}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$T/logs/$1.log"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - name: tcp
    type: tcp
    host: 127.0.0.1
    port: $P_TCP
    compression: none
    queue_max_bytes: 64KiB
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 200, max_bytes: 32KiB, max_delay: 50ms}
    buffer: {type: disk, max_bytes: 1MiB, on_full: $2}
YEOF
}

# write_big FILE: N numbered lines of ~250 bytes (5 MB: more than one read
# of the tailer, and than the memory queue and disk buffer together)
write_big() {
    "$PY" -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(1, int(sys.argv[2]) + 1):
        f.write("line-%07d %s\n" % (i, ("payload %d " % i) * 20))' "$1" $N
}

# 1. on_full: block
config block block
write_big "$T/logs/block.log"
start_vigil_api "$T/block.yaml"
wait_for 10 metric_eq vigil_paused 1 || fail "inputs did not pause with the buffer full"
health_full() { api /healthz >"$T/health" && head -1 "$T/health" | grep -q 503 && grep -q "output tcp: buffer full, inputs paused" "$T/health"; }
wait_for 5 health_full || { cat "$T/health"; fail "/healthz does not say the buffer is full"; }
read1=$(metric 'vigil_input_lines_total{input="app"}')
sleep 0.5
read2=$(metric 'vigil_input_lines_total{input="app"}')
[ "$read1" = "$read2" ] && [ "$read2" -lt $N ] || fail "inputs still read while paused ($read1 then $read2 of $N)"
metric_eq 'vigil_output_dropped_total{output="tcp"}' 0 || fail "events dropped under on_full: block"
say "paused: read $read2 of $N lines, buffer $(metric 'vigil_buffer_bytes{output="tcp"}') bytes, /healthz: $(sed -n 2p "$T/health")"
grep -q "disk buffer full, pausing inputs" "$T/vigil.err" || fail "the pause was not logged"

start_peer tcp tcp_receiver.py --port "$P_TCP"
wait_for 20 got_at_least tcp $N || fail "$(got tcp | wc -l) of $N arrived after the receiver came up"
wait_for 5 metric_eq vigil_paused 0 || fail "inputs still paused"
health_ok() { api /healthz | head -1 | grep -q 200; }
wait_for 5 health_ok || fail "/healthz not 200 after draining"
stop_vigil
got tcp >"$T/got"
$CHECK once "$T/got" line 1 $N || fail "on_full block: not exactly once in order"
stop_peer "$PEER"

# 2. on_full: drop_oldest
config drop drop_oldest
: >"$T/tcp.got"
write_big "$T/logs/drop.log"
start_vigil_api "$T/drop.yaml"
wait_for 10 metric_eq 'vigil_input_lines_total{input="app"}' $N || fail "drop_oldest: inputs did not read everything"
metric_eq vigil_paused 0 || fail "drop_oldest: inputs paused"
dropped=$(metric 'vigil_output_dropped_total{output="tcp"}')
[ "$dropped" -gt 0 ] || fail "drop_oldest: no drop counted"
grep -q "on_full: drop_oldest): dropped its oldest batch of" "$T/vigil.err" || fail "drop_oldest: drops not logged"
start_peer tcp tcp_receiver.py --port "$P_TCP"
wait_for 20 got_at_least tcp $((N - dropped)) || fail "drop_oldest: $(got tcp | wc -l) arrived, $dropped dropped, of $N"
stop_vigil
got tcp >"$T/got"
arrived=$(grep -c '^line-' "$T/got")
[ $((arrived + dropped)) = $N ] || fail "drop_oldest: $arrived arrived + $dropped dropped != $N"
[ "$(sort "$T/got" | uniq -d | wc -l)" = 0 ] || fail "drop_oldest: an event arrived twice"
say "drop_oldest: $dropped dropped (counted and logged), $arrived arrived, none twice"
say "backpressure: ok"
