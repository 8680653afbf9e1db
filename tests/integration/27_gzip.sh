#!/bin/sh
# `compression: gzip` does what it says, or is refused: the http output sends
# gzip bodies with Content-Encoding: gzip (the receiver decodes every event),
# the file output writes .gz files that zcat and vigil-cat both read, and
# vigil_output_bytes_total counts the gzipped bytes. Output types that cannot
# carry gzip (tcp, nats, stdout) make --validate fail and name the option.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/state" "$T/out"
L="$T/logs/app.log"
N=3000
write_lines "$L" 1 $N
start_peer http http_receiver.py; P_HTTP=$PORT

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  http: {listen: "127.0.0.1:0"}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$L"], read_from: head, tag: app.api, poll_interval: 50ms}
outputs:
  - {name: web, type: http, url: "http://127.0.0.1:$P_HTTP/in", compression: gzip,
     batch: {max_events: 500, max_delay: 50ms}}
  - {name: arch, type: file, path: "$T/out", compression: gzip, batch: {max_events: 500, max_delay: 50ms}}
  - {name: archjson, type: file, path: "$T/out", format: json, compression: gzip}
YEOF
"$VIGIL" --validate -c "$T/v.yaml" >/dev/null || fail "--validate refused gzip for http/file"
start_vigil_api "$T/v.yaml"
wait_for 20 got_at_least http $N || fail "http: $(got http | wc -l) of $N events arrived"
wait_for 20 metric_ge 'vigil_output_events_total{output="arch"}' $N || fail "file: events not written"
wait_for 20 metric_ge 'vigil_output_events_total{output="archjson"}' $N || fail "file json: events not written"
raw=$(metric 'vigil_output_bytes_total{output="web"}')
stop_vigil

grep -q 'cenc=gzip' "$T/http.got" || fail "http: no Content-Encoding: gzip"
! grep -q 'cenc=None' "$T/http.got" || fail "http: a body without Content-Encoding"
got http >"$T/http.msgs"
printf 'http gzip: '; $CHECK once "$T/http.msgs" line 1 $N || fail "http: events not once in order"
# the receiver logs each body's length: their sum is what the metric says
sum=$(sed -n 's/^REQ .* len=\([0-9]*\) status=2.*/\1/p' "$T/http.got" | awk '{s += $1} END {print s}')
[ "$sum" = "$raw" ] || fail "http: vigil_output_bytes_total $raw != $sum bytes received"
say "http: $sum bytes on the wire = vigil_output_bytes_total"

ls "$T/out" | grep -q '^arch-[0-9]*\.msgpack\.gz$' || { ls "$T/out"; fail "file: no .msgpack.gz file"; }
ls "$T/out" | grep -q '^archjson-[0-9]*\.jsonl\.gz$' || { ls "$T/out"; fail "file: no .jsonl.gz file"; }
zcat "$T/out"/archjson-*.jsonl.gz | "$PY" -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["message"])' >"$T/zcat.msgs"
printf 'zcat json: '; $CHECK once "$T/zcat.msgs" line 1 $N || fail "zcat: json lines not once in order"
zcat "$T/out"/arch-*.msgpack.gz >"$T/plain.msgpack" || fail "zcat cannot read the msgpack .gz file"
"$VIGIL_CAT" "$T/plain.msgpack" | "$PY" -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["record"]["message"])' >"$T/zcat2.msgs"
printf 'zcat msgpack: '; $CHECK once "$T/zcat2.msgs" line 1 $N || fail "zcat: msgpack not once in order"
"$VIGIL_CAT" "$T/out"/arch-*.msgpack.gz | "$PY" -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l)["record"]["message"])' >"$T/cat.msgs" || fail "vigil-cat failed on .gz"
printf 'vigil-cat: '; $CHECK once "$T/cat.msgs" line 1 $N || fail "vigil-cat: not once in order"

for ty in tcp nats stdout; do
    case $ty in
    tcp) extra="host: 127.0.0.1, port: 9" ;;
    nats) extra="url: nats://127.0.0.1:4222" ;;
    *) extra="" ;;
    esac
    cat >"$T/bad.yaml" <<YEOF
inputs:
  - {name: app, paths: ["$L"]}
outputs:
  - {name: o, type: $ty, compression: gzip${extra:+, $extra}}
YEOF
    rc=0
    "$VIGIL" --validate -c "$T/bad.yaml" >/dev/null 2>"$T/bad.err" || rc=$?
    [ "$rc" != 0 ] || fail "$ty: --validate accepted compression: gzip"
    grep -q "compression.*does not support compression gzip" "$T/bad.err" || { cat "$T/bad.err"; fail "$ty: refusal does not name the option"; }
done
say "refused by --validate: $(sed -n 1p "$T/bad.err")"
say "gzip: ok"
