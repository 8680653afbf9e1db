#!/bin/sh
# The HTTP API of a running vigil (service.http): /healthz 200 while outputs
# deliver (a failing output is not unhealthy before health.max_retry_age),
# /metrics in the Prometheus text format with every metric of the
# documentation present and moving as lines are read, parsed, alerted on and
# shipped (or retried and dropped by an output that cannot deliver), and
# /alerts?since=&limit= returning the alerts raised (an SSH password login as
# root in an auth.log read with parser auth).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"

mkdir -p "$T/logs" "$T/out" "$T/state"
start_peer tcp tcp_receiver.py; P_TCP=$PORT
start_peer gone tcp_receiver.py; P_GONE=$PORT
stop_peer "$PEER"                                 # nobody listens there any more
AUTH="$T/logs/auth.log"
: >"$AUTH"
write_lines "$T/logs/app-1.log" 1 100
printf '{"ok":1,"msg":"json-1"}\nnot json at all\n' >"$T/logs/events.jsonl"

cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 1s
  http: {listen: "127.0.0.1:0"}
  health: {max_retry_age: 1m}
alerts: {format: json, throttle: 10m}
inputs:
  - {name: auth, paths: ["$AUTH"], read_from: head, parser: auth, tag: auth, poll_interval: 50ms}
  - {name: app, paths: ["$T/logs/app-*.log"], read_from: head, tag: app.api, refresh_interval: 100ms, poll_interval: 50ms}
  - {name: events, paths: ["$T/logs/events.jsonl"], read_from: head, parser: json, tag: app.events, poll_interval: 50ms}
outputs:
  - {name: archive, type: file, path: "$T/out", batch: {max_delay: 50ms}}
  - {name: tcp, type: tcp, host: 127.0.0.1, port: $P_TCP, batch: {max_delay: 50ms}}
  - name: lossy
    type: tcp
    host: 127.0.0.1
    port: $P_GONE
    match: ["app.*"]
    retry: {initial: 20ms, max: 50ms, max_attempts: 2}
    batch: {max_delay: 50ms}
YEOF
start_vigil_api "$T/v.yaml"
M="http://127.0.0.1:$API/metrics"

wait_for 10 metric_eq 'vigil_output_events_total{output="archive"}' 102 || fail "first events not shipped"
api /healthz >"$T/health"
[ "$(head -1 "$T/health")" = 200 ] && grep -qx ok "$T/health" || { cat "$T/health"; fail "/healthz not 200 ok"; }
say "/healthz: 200 ok (with output lossy failing for less than max_retry_age)"
api /nothing-here | head -1 | grep -qx 404 || fail "unknown path not 404"

# the exposition: well formed, every documented metric present
prom_check() {   # prom_check SNAPSHOT_FILE
    "$PY" - "$M" "$1" <<'PYEOF'
import re, sys, urllib.request
url, snap = sys.argv[1], sys.argv[2]
with urllib.request.urlopen(url, timeout=5) as r:
    ctype = r.headers.get("Content-Type", "")
    text = r.read().decode()
assert ctype.startswith("text/plain"), ctype
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample = re.compile(r'^(%s)(\{(%s="(\\.|[^"\\])*")(,%s="(\\.|[^"\\])*")*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$' % (name_re, name_re, name_re))
types, samples = {}, {}
for l in text.splitlines():
    if l.startswith("# HELP "):
        continue
    if l.startswith("# TYPE "):
        _, _, n, t = l.split(" ", 3)
        assert t in ("counter", "gauge", "histogram", "summary", "untyped"), l
        assert n not in types, "TYPE twice: " + l
        types[n] = t
        continue
    m = sample.match(l)
    assert m, "not a sample line: %r" % l
    fam = m.group(1)
    base = re.sub(r"_(bucket|sum|count)$", "", fam)
    assert fam in types or (base in types and types[base] == "histogram"), "no TYPE for " + l
    series, value = l.rsplit(" ", 1)
    assert series not in samples, "series twice: " + series
    samples[series] = float(value)
want = ["vigil_input_lines_total", "vigil_input_bytes_total", "vigil_input_files_open",
        "vigil_parse_errors_total", "vigil_alerts_total", "vigil_output_events_total",
        "vigil_output_retries_total", "vigil_output_dropped_total", "vigil_buffer_bytes",
        "vigil_paused", "vigil_detector_memory_bytes", "vigil_detector_evictions_total",
        "vigil_detector_refused_total"]
for w in want:
    assert types.get(w), "missing metric " + w
assert types.get("vigil_pipeline_latency_seconds") == "histogram"
# the histogram: cumulative buckets ending in +Inf == _count
b = [(k, v) for k, v in samples.items() if k.startswith("vigil_pipeline_latency_seconds_bucket")]
les = [float(re.search(r'le="([^"]+)"', k).group(1).replace("+Inf", "inf")) for k, _ in b]
assert les == sorted(les) and les[-1] == float("inf"), les
vals = [v for _, v in b]
assert vals == sorted(vals), "buckets not cumulative: %s" % vals
assert vals[-1] == samples["vigil_pipeline_latency_seconds_count"]
with open(snap, "w") as f:
    for k, v in samples.items():
        f.write("%s %s\n" % (k, repr(v)))
print("%d metric families, %d series, well formed" % (len(types), len(samples)))
PYEOF
}
prom_check "$T/m1" || fail "/metrics is not well-formed Prometheus text with every documented metric"
val() { awk -v k="$2" '$1 == k { print $2 }' "$T/$1"; }

# make everything move: more lines and a new file, an unparsable line,
# root logging in with a password (an alert), lossy retrying and dropping
write_lines "$T/logs/app-1.log" 101 200
write_lines "$T/logs/app-2.log" 1 50 second
printf 'not json either\n{"ok":2}\n' >>"$T/logs/events.jsonl"
printf 'May  1 10:00:00 web-1 sshd[4242]: Accepted password for root from 198.51.100.7 port 22 ssh2\n' >>"$AUTH"
wait_for 10 metric_eq 'vigil_input_files_open{input="app"}' 2 || fail "the new file is not counted as open"
wait_for 10 metric_eq 'vigil_output_events_total{output="tcp"}' 256 ||
    fail "tcp: $(metric 'vigil_output_events_total{output="tcp"}') events, want 256 (254 lines and 2 alerts?)"
wait_for 10 metric_ge 'vigil_output_dropped_total{output="lossy"}' 254 || fail "lossy: drops not counted"
grep -q 'output lossy: giving up on a batch after 2 attempts' "$T/vigil.err" || fail "lossy: drop not logged"
prom_check "$T/m2" >/dev/null || fail "/metrics not well formed after activity"

moved() {   # moved SERIES: strictly greater in the second snapshot
    a=$(val m1 "$1"); b=$(val m2 "$1")
    [ -n "$b" ] && "$PY" -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1] or "-1"))' "$a" "$b" ||
        fail "$1 did not move: '$a' then '$b'"
    say "  $1: ${a:-absent} -> $b"
}
say "metrics that moved:"
moved 'vigil_input_lines_total{input="app"}'
moved 'vigil_input_bytes_total{input="app"}'
moved 'vigil_input_lines_total{input="auth"}'
moved 'vigil_input_files_open{input="app"}'
moved 'vigil_parse_errors_total{parser="json"}'
moved 'vigil_output_events_total{output="archive"}'
moved 'vigil_output_events_total{output="tcp"}'
moved 'vigil_output_retries_total{output="lossy"}'
moved 'vigil_output_dropped_total{output="lossy"}'
[ "$(val m2 vigil_detector_memory_bytes | cut -d. -f1)" -gt 0 ] || fail "vigil_detector_memory_bytes is 0 with detectors on"
say "  vigil_detector_memory_bytes: $(val m2 vigil_detector_memory_bytes) (baselines allocate by slabs)"
moved 'vigil_pipeline_latency_seconds_count'
moved 'vigil_pipeline_latency_seconds_bucket{le="+Inf"}'
[ "$(val m2 'vigil_input_lines_total{input="app"}')" = 250.0 ] || fail "app: lines_total $(val m2 'vigil_input_lines_total{input="app"}'), want 250"
[ "$(val m2 'vigil_parse_errors_total{parser="json"}')" = 2.0 ] || fail "json parse errors: want 2"
[ "$(val m2 'vigil_paused')" = 0.0 ] || fail "vigil_paused should be 0"
grep '^vigil_alerts_total{' "$T/m2" | grep -q 'severity="' || fail "no vigil_alerts_total{rule,severity} series"
say "  $(grep '^vigil_alerts_total{' "$T/m2" | tr '\n' ' ')"

# /alerts
api '/alerts?since=0' >"$T/alerts"
"$PY" - "$T/alerts" <<'PYEOF' || fail "/alerts?since=0 does not hold the root login"
import json, sys
lines = open(sys.argv[1]).read().split("\n", 1)
assert lines[0] == "200", lines[0]
doc = json.loads(lines[1])
alerts = doc["alerts"]
assert doc["next"] == len(alerts) >= 1, doc
root = [a for a in alerts if a["entity"].get("user") == "root" and a["entity"].get("src_ip") == "198.51.100.7"]
assert root, alerts
a = root[0]
assert a["rule"].startswith("auth.") and a["severity"] in ("medium", "high", "critical"), a
assert any("Accepted password for root" in e for e in a["evidence"]), a
print("/alerts?since=0: %d alerts: %s" % (len(alerts), ", ".join("%s/%s" % (x["rule"], x["severity"]) for x in alerts)))
PYEOF
next=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().split("\n",1)[1])["next"])' "$T/alerts")
api "/alerts?since=$next" | sed 1d | grep -q '"alerts":\[\]' || fail "/alerts?since=next is not empty"
c=$(api "/alerts?since=0&limit=1" | sed 1d | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["alerts"]))')
[ "$c" = 1 ] || fail "/alerts?limit=1 gave $c alerts"
# the stdout alert stream agrees
grep -q '"rule":"auth\.[a-z_]*".*198.51.100.7' "$T/vigil.out" || fail "the alert is not on stdout"
# a second root login from elsewhere: a new alert, counted
printf 'May  1 10:05:00 web-1 sshd[4243]: Accepted password for root from 203.0.113.50 port 22 ssh2\n' >>"$AUTH"
more_alerts() { [ "$(api "/alerts?since=$next" | sed 1d | grep -o '"rule"' | wc -l)" -ge 1 ]; }
wait_for 10 more_alerts || fail "/alerts?since=$next: the second login's alert is missing"
prom_check "$T/m3" >/dev/null || fail "/metrics not well formed"
"$PY" - "$T/m2" "$T/m3" <<'PYEOF' || fail "vigil_alerts_total did not move with the new alert"
import sys
def load(p):
    return {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in open(p) if l.startswith("vigil_alerts_total{")}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert sum(b.values()) > sum(a.values()), (a, b)
print("vigil_alerts_total: %d -> %d" % (sum(a.values()), sum(b.values())))
PYEOF
stop_vigil
say "http api: ok"
