#!/bin/sh
# Every acknowledging output keeps its at-least-once promise when its
# receiver is killed (kill -9) mid-stream and comes back on the same port:
# http (the 2xx answer is the acknowledgement), forward (require_ack) and tcp
# (ack: true). Events keep coming while the receivers are dead. In the end
# every event has arrived, in order of first arrival; duplicates are allowed
# (a batch whose answer was lost is sent again) and counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
N=20000
start_peer http http_receiver.py; P_HTTP=$PORT; K_HTTP=$PEER
start_peer fwd forward_server.py --shared-key k; P_FWD=$PORT; K_FWD=$PEER
start_peer tcp tcp_receiver.py --ack; P_TCP=$PORT; K_TCP=$PEER

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 5s
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$L"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - name: http
    type: http
    url: "http://127.0.0.1:$P_HTTP/in"
    timeout: 2s
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
    buffer: {type: disk}
  - name: fwd
    type: forward
    host: 127.0.0.1
    port: $P_FWD
    shared_key: k
    require_ack: true
    ack_timeout: 2s
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
    buffer: {type: disk}
  - name: tcp
    type: tcp
    host: 127.0.0.1
    port: $P_TCP
    ack: true
    ack_timeout: 2s
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 50, max_delay: 50ms}
    buffer: {type: disk}
YEOF

# a steady writer: 200 lines every 100 ms, so the kill lands mid-stream
( i=1; while [ $i -le $N ]; do write_lines "$L" $i $((i + 199)); i=$((i + 200)); sleep 0.1; done ) &
WRITER=$!
PIDS="$PIDS $WRITER"
start_vigil "$T/v.yaml"
for p in http fwd tcp; do
    wait_for 20 got_at_least $p 1000 || fail "$p: nothing arrived"
done
kill -9 "$K_HTTP" "$K_FWD" "$K_TCP"
wait "$K_HTTP" "$K_FWD" "$K_TCP" 2>/dev/null || true
written=$(wc -l <"$L")
say "killed mid-stream with $written lines written: http had $(got http | wc -l), forward $(got fwd | wc -l), tcp $(got tcp | wc -l)"
wait "$WRITER"                                # the rest is written while they are dead
start_peer http http_receiver.py --port "$P_HTTP"
start_peer fwd forward_server.py --shared-key k --port "$P_FWD"
start_peer tcp tcp_receiver.py --ack --port "$P_TCP"
for p in http fwd tcp; do
    wait_for 60 sh -c "[ \$($CHECK messages peer '$T/$p.got' | sort -u | wc -l) -ge $N ]" ||
        fail "$p: $(got $p | sort -u | wc -l) of $N distinct events arrived"
done
stop_vigil
for p in http fwd tcp; do
    got $p >"$T/$p.msgs"
    printf '%-5s ' "$p:"
    $CHECK atleast "$T/$p.msgs" line 1 $N || fail "$p: events missing after its receiver was killed"
done
say "receivers killed mid-stream: ok"
