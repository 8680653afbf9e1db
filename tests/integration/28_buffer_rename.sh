#!/bin/sh
# Renaming an output never strands its disk buffer. With the receiver down,
# 20,000 events wait in state/buffer/old; the output is renamed (same type
# and destination) and vigil reloaded with SIGHUP: the new name adopts the
# buffer. Renamed again AND pointed elsewhere, then restarted: the buffer is
# not adopted by a different destination, and vigil says so, with what to do.
# Renamed back to the first destination and restarted: it is adopted, and once
# the receiver is up all 20,000 events arrive, each once, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
N=20000
start_peer http http_receiver.py; P=$PORT
stop_peer "$PEER"           # down for now
start_peer other http_receiver.py; P_OTHER=$PORT; OTHER=$PEER

config() {  # config FILE OUTPUT_NAME PORT
    cat >"$1" <<YEOF
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
  - name: $2
    type: http
    url: "http://127.0.0.1:$3/in"
    retry: {initial: 50ms, max: 200ms}
    batch: {max_events: 500, max_bytes: 32KiB, max_delay: 50ms}
    queue_max_bytes: 64KiB
    buffer: {type: disk}
YEOF
}
config "$T/v.yaml" old "$P"
write_lines "$L" 1 $N
start_vigil_api "$T/v.yaml"
wait_for 30 metric_ge 'vigil_input_lines_total{input="app"}' $N || fail "lines not read"
wait_for 30 test -d "$T/state/buffer/old" || fail "no disk buffer for old"

config "$T/v.yaml" renamed "$P"
from=$(($(wc -l <"$T/vigil.err") + 1))
kill -HUP "$VPID"
wait_for 30 sh -c "tail -n +$from '$T/vigil.err' | grep -q 'output renamed: adopted the disk buffer .*/buffer/old'" ||
    { tail -n +"$from" "$T/vigil.err"; fail "reload: the renamed output did not adopt old's buffer"; }
[ ! -e "$T/state/buffer/old" ] || fail "reload: state/buffer/old is still there"
say "SIGHUP: $(tail -n +"$from" "$T/vigil.err" | grep -o 'adopted the disk buffer.*' | head -1)"
stop_vigil

# another name and another destination: not adopted, reported with what to do
config "$T/v.yaml" elsewhere "$P_OTHER"
from=$(($(wc -l <"$T/vigil.err") + 1))
start_vigil_api "$T/v.yaml"
tail -n +"$from" "$T/vigil.err" | grep -q 'disk buffer .*/buffer/renamed holds [0-9]* undelivered batches .*NOT sent.*configure an output named renamed with buffer.type disk again' ||
    { tail -n +"$from" "$T/vigil.err"; fail "the stranded buffer is not reported"; }
say "start: $(tail -n +"$from" "$T/vigil.err" | grep -o 'disk buffer .*/buffer/renamed holds [0-9]* undelivered batches')"
stop_vigil
stop_peer "$OTHER"
[ "$(got other | wc -l)" = 0 ] || fail "the buffer went to another destination"

# the same destination again, under a third name, after a restart
config "$T/v.yaml" third "$P"
from=$(($(wc -l <"$T/vigil.err") + 1))
start_vigil_api "$T/v.yaml"
tail -n +"$from" "$T/vigil.err" | grep -q 'output third: adopted the disk buffer .*/buffer/renamed' ||
    { tail -n +"$from" "$T/vigil.err"; fail "restart: the buffer was not adopted"; }
start_peer http http_receiver.py --port "$P"
wait_for 60 got_at_least http $N || fail "$(got http | wc -l) of $N events arrived"
stop_vigil
got http >"$T/http.msgs"
printf 'after two renames, a reload and two restarts: '
$CHECK once "$T/http.msgs" line 1 $N || fail "not every event exactly once in order"
say "buffer adoption: ok"
