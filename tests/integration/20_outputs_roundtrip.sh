#!/bin/sh
# Round trips through every output type at once, from one vigil: tcp, tcp+TLS
# (a test CA made here, verify on), http (msgpack+lz4) and https (json), with
# headers, forward (shared_key handshake, require_ack, gzip), file read back
# with vigil-cat, stdout json and text. What each receiver decoded is compared
# with the lines written, line for line. A TLS output expecting the wrong
# server name delivers nothing, counts retries and keeps its events buffered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

sh "$H/make_certs.sh" "$T/pki"
mkdir -p "$T/logs" "$T/out" "$T/state"
L="$T/logs/app.log"
N=400
# numbered lines, some with quotes, backslashes, UTF-8 and JSON-looking text
"$PY" - "$L" "$N" <<'PYEOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
extras = ['say "hi" \\ back\\slash', "caf\u00e9 \u65e5\u672c \u00fcml\u00e4ut", '{"k": [1, 2]} not parsed',
          "tabs\tinside\tthe line", "x" * 900]
with open(path, "w", encoding="utf-8") as f:
    for i in range(1, n + 1):
        f.write("line-%07d payload %s\n" % (i, extras[i % len(extras)] if i % 7 == 0 else "plain %d" % i))
PYEOF

start_peer tcp tcp_receiver.py;                                          P_TCP=$PORT
start_peer tls tcp_receiver.py --cert "$T/pki/server.pem" --key "$T/pki/server.key"; P_TLS=$PORT
start_peer badname tcp_receiver.py --cert "$T/pki/server.pem" --key "$T/pki/server.key"; P_BAD=$PORT
start_peer http http_receiver.py;                                        P_HTTP=$PORT
start_peer https http_receiver.py --cert "$T/pki/server.pem" --key "$T/pki/server.key"; P_HTTPS=$PORT
start_peer fwd forward_server.py --shared-key s3cret;                    P_FWD=$PORT

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 1s
  http: {listen: "127.0.0.1:0"}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - name: app
    paths: ["$L"]
    read_from: head
    tag: app.api
outputs:
  - {name: archive, type: file, path: "$T/out", batch: {max_events: 64, max_delay: 50ms}}
  - {name: console_json, type: stdout, format: json, batch: {max_delay: 50ms}}
  - {name: console_text, type: stdout, format: text, batch: {max_delay: 50ms}}
  - {name: tcp, type: tcp, host: 127.0.0.1, port: $P_TCP, batch: {max_events: 100, max_delay: 50ms}}
  - name: tls
    type: tcp
    host: 127.0.0.1
    port: $P_TLS
    tls: {enabled: true, ca_file: "$T/pki/ca.pem", verify: true, server_name: localhost}
    batch: {max_delay: 50ms}
  - name: badname
    type: tcp
    host: 127.0.0.1
    port: $P_BAD
    tls: {enabled: true, ca_file: "$T/pki/ca.pem", verify: true, server_name: wrong.example}
    retry: {initial: 50ms, max: 200ms}
    batch: {max_delay: 50ms}
  - name: http
    type: http
    url: "http://127.0.0.1:$P_HTTP/ingest"
    headers: {X-Test: plain-one}
    batch: {max_events: 150, max_delay: 50ms}
  - name: https
    type: http
    url: "https://localhost:$P_HTTPS/ingest/json"
    format: json
    compression: none
    headers: {X-Test: secure-two}
    tls: {enabled: true, ca_file: "$T/pki/ca.pem"}
    batch: {max_delay: 50ms}
  - name: fwd
    type: forward
    host: 127.0.0.1
    port: $P_FWD
    shared_key: s3cret
    require_ack: true
    compression: gzip
    batch: {max_events: 128, max_delay: 50ms}
YEOF

start_vigil_api "$T/v.yaml"
for p in tcp tls http https fwd; do
    wait_for 15 got_at_least $p $N || fail "$p: $(got $p | wc -l) of $N events arrived"
done
wait_for 10 metric_eq 'vigil_output_events_total{output="archive"}' $N || fail "archive did not write all events"
# the output with the wrong server name: nothing delivered, retried, buffered
wait_for 10 metric_ge 'vigil_output_retries_total{output="badname"}' 2 || fail "badname: no retries counted"
metric_eq 'vigil_output_events_total{output="badname"}' 0 || fail "badname delivered events"
metric_ge 'vigil_buffer_bytes{output="badname"}' 1000 || fail "badname: events not held in its buffer"
grep -q 'output badname: .*' "$T/vigil.err" || fail "badname: failure not logged"
say "badname: no event delivered, $(metric 'vigil_output_retries_total{output="badname"}') retries, $(metric 'vigil_buffer_bytes{output="badname"}') bytes buffered"
stop_vigil
[ -z "$(got badname)" ] || fail "the peer with the wrong name received events"
grep -q TLSERR "$T/badname.got" || fail "badname peer saw no failed TLS handshake"
[ -n "$(ls "$T/state/buffer/badname" 2>/dev/null)" ] || fail "badname's events were not left in its disk buffer"

cp "$L" "$T/want"
compare() {   # compare NAME KIND FILE
    $CHECK messages "$2" "$3" >"$T/$1.msgs"
    printf '%-13s ' "$1:"
    $CHECK same "$T/want" "$T/$1.msgs" || fail "$1: what arrived differs from what was written"
}
for p in tcp tls http https fwd; do compare $p peer "$T/$p.got"; done
"$VIGIL_CAT" "$T"/out/* >"$T/cat.out" || fail "vigil-cat reported damage in the archive"
compare file+cat cat "$T/cat.out"
compare stdout-json json "$T/vigil.out"
# the text format escapes: a backslash is doubled, a tab is shown as \t
sed 's/\\/\\\\/g; s/\t/\\t/g' "$L" >"$T/want"
compare stdout-text text "$T/vigil.out"

# the transports as the receivers saw them
grep '^REQ' "$T/http.got" | grep -v 'POST /ingest ctype=application/vnd.msgpack cenc=lz4 xtest=plain-one ' &&
    fail "http: a request without the msgpack/lz4 content type or the header"
grep '^REQ' "$T/https.got" | grep -v 'POST /ingest/json ctype=application/x-ndjson cenc=None xtest=secure-two ' &&
    fail "https: a request without the ndjson content type or the header"
[ "$(grep -c '^REQ' "$T/http.got")" -ge 3 ] || fail "http: expected batches of at most 150 events"
grep -q '^AUTH ok' "$T/fwd.got" || fail "forward: no handshake"
grep '^MSG' "$T/fwd.got" | grep -v 'mode=CompressedPackedForward .* chunk=yes' &&
    fail "forward: a message not gzip-packed or without a chunk id"
grep '^[0-9]* [0-9.]* ' "$T/tcp.got" >/dev/null && fail "tcp: unexpected line"
say "http: $(grep -c '^REQ' "$T/http.got") requests msgpack+lz4, https: $(grep -c '^REQ' "$T/https.got") requests ndjson, headers sent"
say "forward: handshake ok, $(grep -c '^MSG' "$T/fwd.got") gzip chunks acknowledged"
say "round trips: ok"
