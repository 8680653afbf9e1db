#!/bin/sh
# The otlp output under the OTLP/HTTP response rules, from one vigil:
#   down      a receiver not listening at first, then up on its port, then
#             killed mid-stream and restarted there (receiver restart);
#   h503      503 three times, then 200;
#   h429      429 with Retry-After: 1 twice (not delivered before ~2 s);
#   h429date  429 with Retry-After as an HTTP-date 2 s ahead;
#   partial   200 with partial_success: 2 rejected records per request,
#             counted as rejected, logged, never retried;
#   h400      400 for the first request: that batch rejected for good,
#             counted and logged, the rest delivered.
# After a clean stop every line arrived exactly once, in order (for partial
# and h400: the receiver's view, where rejected records were still seen once
# or, for h400, the rejected batch not at all). Then vigil stops while the
# receiver is down and its disk buffer carries the rest over a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

PROTO="$ROOT/../shared/otel-proto"
[ -d "$PROTO/opentelemetry" ] || PROTO="$ROOT/outputs/otlp/proto"
mkdir -p "$T/logs" "$T/state"
L="$T/logs/app.log"
recv() {   # recv NAME [ARGS]: an otlp_receiver.py peer
    _n=$1
    shift
    start_peer "$_n" otlp_receiver.py --proto "$PROTO" --gen "$T/pb-$_n" "$@"
}
recv down; P_DOWN=$PORT
stop_peer "$PEER"                     # down: nothing listens on its port for now
recv h503 --fail 3 --fail-status 503;                          P_503=$PORT
recv h429 --fail 2 --fail-status 429 --retry-after 1;          P_429=$PORT
recv h429date --fail 1 --fail-status 429 --retry-after date:2; P_429D=$PORT
recv partial --partial 2;                                      P_PART=$PORT
recv h400 --fail 1 --fail-status 400;                          P_400=$PORT

out() {   # out NAME PORT [ENCODING]
    printf '  - {name: %s, type: otlp, endpoint: "http://127.0.0.1:%s", encoding: %s, retry: {initial: 50ms, max: 200ms}, batch: {max_events: 50, max_delay: 50ms}}\n' "$1" "$2" "${3:-protobuf}"
}
{
cat <<YEOF
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
YEOF
out down "$P_DOWN"
out h503 "$P_503" json
out h429 "$P_429"
out h429date "$P_429D" json
out partial "$P_PART"
out h400 "$P_400" json
} >"$T/v.yaml"

t0=$(date +%s.%N)
start_vigil_api "$T/v.yaml"
write_lines "$L" 1 300
wait_for 15 got_at_least h429 300 || fail "h429: events did not arrive after the 429s"
t1=$(date +%s.%N)
wait_for 15 got_at_least h429date 300 || fail "h429date: events did not arrive after the 429"
t2=$(date +%s.%N)
wait_for 10 metric_ge 'vigil_output_retries_total{output="down"}' 3 || fail "down: no retries while down"
say "down: $(metric 'vigil_output_retries_total{output="down"}') retries while nothing listens"
recv down --port "$P_DOWN"; DOWN=$PEER
wait_for 15 got_at_least down 300 || fail "down: events did not arrive once it was up"
# killed between requests (a kill inside one may see it twice: at least
# once is all HTTP promises) and restarted where it was; lines keep coming
write_lines "$L" 301 450
wait_for 15 got_at_least down 450 || fail "down: lines 301..450 did not arrive"
stop_peer "$DOWN"
write_lines "$L" 451 600
wait_for 10 metric_ge 'vigil_output_retries_total{output="down"}' 4 || fail "down: no retry after the kill"
recv down --port "$P_DOWN"
for p in down h503 h429 h429date partial; do
    wait_for 15 got_at_least $p 600 || fail "$p: $(got $p | wc -l) of 600 events arrived"
done
wait_for 15 metric_ge 'vigil_output_events_total{output="h400"}' 550 || fail "h400: later batches not delivered"
# partial success: the rejected records are counted as rejected, not as events
preqs=$(grep -c '^REQ' "$T/partial.got")
wait_for 5 metric_eq 'vigil_output_rejected_total{output="partial"}' $((2 * preqs)) ||
    fail "partial: rejected_total $(metric 'vigil_output_rejected_total{output="partial"}'), want $((2 * preqs))"
metric_eq 'vigil_output_events_total{output="partial"}' $((600 - 2 * preqs)) || fail "partial: events_total counts rejected records"
metric_eq 'vigil_output_retries_total{output="partial"}' 0 || fail "partial: retried"
metric_ge 'vigil_output_rejected_total{output="h400"}' 1 || fail "h400: rejected batch not counted"
stop_vigil

for p in down h503 h429 h429date partial; do
    got $p >"$T/$p.msgs"
    printf '%-9s ' "$p:"
    $CHECK once "$T/$p.msgs" line 1 600 || fail "$p: not exactly once in order"
done
[ "$(grep -c 'status=503' "$T/h503.got")" = 3 ] || fail "h503: expected 3 answers 503"
[ "$(grep -c 'status=429' "$T/h429.got")" = 2 ] || fail "h429: expected 2 answers 429"
[ "$(grep -c 'status=429' "$T/h429date.got")" = 1 ] || fail "h429date: expected 1 answer 429"
grep -q 'status 429, retry after [12]s' "$T/vigil.err" || fail "h429date: HTTP-date Retry-After not read"
"$PY" -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print("h429: delivered %.1fs after start (Retry-After: 1, twice)" % d); sys.exit(d < 1.9)' "$t0" "$t1" ||
    fail "h429: Retry-After not honoured"
"$PY" -c 'import sys; d = float(sys.argv[2]) - float(sys.argv[1]); print("h429date: delivered %.1fs after start (Retry-After: an HTTP-date 2 s ahead)" % d); sys.exit(d < 1.0)' "$t0" "$t2" ||
    fail "h429date: Retry-After date not honoured"

# partial success: counted (above), logged, not retried
[ "$(grep -c '^REQ.*status=200' "$T/partial.got")" = "$preqs" ] || fail "partial: a request was not answered 200"
[ "$(grep -c 'rejected=2' "$T/partial.got")" = "$preqs" ] || fail "partial: receiver did not reject 2 per request"
grep -q 'output partial: otlp: .*partial success: 2 of [0-9]* log records rejected: .*test: some records refused' "$T/vigil.err" ||
    fail "partial: partial success not logged"
say "partial: $preqs requests, 2 records rejected in each, none sent twice"

# 400: the first batch (50 lines at most) is gone, the rest arrived once, in order
got h400 >"$T/h400.msgs"
first=$(head -1 "$T/h400.msgs" | sed 's/^line-0*\([0-9]*\) .*/\1/')
[ "$first" -gt 1 ] && [ "$first" -le 51 ] || fail "h400: first delivered line is $first"
$CHECK once "$T/h400.msgs" line "$first" 600 || fail "h400: after the rejected batch, not exactly once"
[ "$(grep -c 'status=400' "$T/h400.got")" = 1 ] || fail "h400: the rejected batch was sent again"
grep -q 'output h400: otlp: .*status 400, batch rejected' "$T/vigil.err" || fail "h400: rejection not logged"
say "h400: lines 1..$((first - 1)) rejected once, logged; $first..600 delivered"

# stop while the receiver is down: the disk buffer carries the rest over
stop_peer "$PEER"
write_lines "$L" 601 800
start_vigil_api "$T/v.yaml"
wait_for 10 metric_ge 'vigil_output_retries_total{output="down"}' 1 || fail "down: no retry in the second run"
wait_for 15 got_at_least h503 800 || fail "h503: second run did not deliver"
stop_vigil
[ -n "$(ls "$T/state/buffer/down" 2>/dev/null)" ] || fail "down: nothing in its disk buffer"
recv down --port "$P_DOWN"
start_vigil_api "$T/v.yaml"
wait_for 15 got_at_least down 800 || fail "down: the disk buffer was not sent after the restart"
stop_vigil
got down >"$T/down.msgs"
$CHECK once "$T/down.msgs" line 1 800 || fail "down: lost or duplicated across the restarts"
say "otlp outage, rejections and restarts: ok"
