#!/bin/sh
# The disk buffer survives a restart. With the receiver down, events are
# written and vigil is stopped (SIGTERM): the batches it held go to the disk
# buffer in state_dir; restarted with the receiver up, vigil sends them first,
# then what is new: everything once, in order. Then kill -9 with the receiver
# down and a small memory queue (part of it spilled to disk, part in memory
# only): after a restart nothing is lost, and only events after the last
# checkpoint may come twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
start_peer tcp tcp_receiver.py; P_TCP=$PORT
stop_peer "$PEER"

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 1s
  http: {listen: "127.0.0.1:0"}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$L"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - name: tcp
    type: tcp
    host: 127.0.0.1
    port: $P_TCP
    compression: none
    wire_version: 1           # the byte thresholds below are sizes of version 1 entries
    queue_max_bytes: 64KiB
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 100, max_bytes: 16KiB, max_delay: 50ms}
    buffer: {type: disk, max_bytes: 64MiB}
YEOF

# 1. receiver down, clean stop: held batches go to disk
start_vigil_api "$T/v.yaml"
write_lines "$L" 1 2000
wait_for 10 metric_eq 'vigil_input_lines_total{input="app"}' 2000 || fail "lines not read"
wait_for 10 metric_ge 'vigil_buffer_bytes{output="tcp"}' 100000 || fail "nothing buffered"
stop_vigil
spooled=$(du -sk "$T/state/buffer/tcp" | cut -f1)
[ "$spooled" -gt 50 ] || fail "the disk buffer holds only ${spooled} KiB after the stop"
grep -q "not saved" "$T/vigil.err" && fail "events lost at the stop"
say "stopped with the receiver down: ${spooled} KiB in the disk buffer"

# 2. restart with the receiver up (and more lines): the buffer first, once, in order
start_peer tcp tcp_receiver.py --port "$P_TCP"
start_vigil_api "$T/v.yaml"
write_lines "$L" 2001 3000
wait_for 15 got_at_least tcp 3000 || fail "$(got tcp | wc -l) of 3000 arrived after the restart"
wait_for 5 metric_eq 'vigil_buffer_bytes{output="tcp"}' 0 || fail "the disk buffer did not drain"
stop_vigil
got tcp >"$T/got"
$CHECK once "$T/got" line 1 3000 || fail "disk buffer replay: not exactly once in order"

# 3. kill -9 with the receiver down: memory and disk both hold events
stop_peer "$PEER"
start_vigil_api "$T/v.yaml"
write_lines "$L" 1 3000 k9
wait_for 10 metric_eq 'vigil_input_lines_total{input="app"}' 3000 || fail "k9 lines not read"
wait_for 10 metric_ge 'vigil_buffer_bytes{output="tcp"}' 150000 || fail "k9: nothing buffered"
sleep 0.3                                   # a checkpoint tick or two
kill9_vigil
say "killed -9 with $(du -sk "$T/state/buffer/tcp" | cut -f1) KiB in the disk buffer"
start_peer tcp tcp_receiver.py --port "$P_TCP"
start_vigil_api "$T/v.yaml"
all_k9() { got tcp >"$T/got" && $CHECK atleast "$T/got" k9 1 3000; }
wait_for 15 all_k9 || fail "k9: events lost after kill -9"
stop_vigil
got tcp >"$T/got"
$CHECK once "$T/got" line 1 3000 || fail "events committed before the kill came again"
$CHECK atleast "$T/got" k9 1 3000 || fail "events lost after kill -9"
say "disk buffer across restarts: ok"
