#!/bin/sh
# multiline: stack traces of Java, Python, Go and Ruby (tests/data/multiline,
# events separated by `#-- event` lines) come out as one record each, lines
# kept in `message`, from plain files and from CRI container logs where
# stdout and stderr interleave and the runtime splits long lines (P/F);
# the `templates` detector sees one event per trace; a kill -9 while a trace
# is half written never leaves it cut in two after the restart (the
# checkpoint stops before a pending event).
. "$(dirname "$0")/lib.sh"
D="$ROOT/tests/data/multiline"
mkdir -p "$T/logs"

conf() {   # conf NAME PATH PARSER MULTILINE [EXTRA]
    rm -rf "$T/out.$1" "$T/state.$1"
    mkdir -p "$T/out.$1" "$T/state.$1"
    cat >"$T/$1.yaml" <<YEOF
service: {state_dir: $T/state.$1, flush_interval: 100ms}
inputs:
  - name: app
    paths: ["$2"]
    read_from: head
    poll_interval: 100ms
    parser: $3
    multiline: $4
alerts: {format: json, min_severity: info, throttle: 0s}
detectors: {learning_period: 0s, templates: {max_per_hour: 1000}}
outputs:
  - {name: archive, type: file, path: $T/out.$1, batch: {max_delay: 50ms}}
${5:-}
YEOF
}

# check NAME EXPECTED_JSON: the records' messages (stream: message when
# stream is set) are exactly the expected list
check() {
    "$VIGIL_CAT" "$T/out.$1"/* | "$PY" -c '
import json, sys
want = json.load(open(sys.argv[1]))
recs = [json.loads(l)["record"] for l in sys.stdin]
recs = [r for r in recs if not r.get("rule")]
got = [(r.get("stream", "") + ": " if r.get("stream") else "") + r["message"] for r in recs]
if sorted(got) != sorted(want) or len(got) != len(want):
    print("want %d records, got %d" % (len(want), len(got)))
    for g in got:
        if g not in want: print("unexpected:", repr(g[:300]))
    for w in want:
        if w not in got: print("missing:", repr(w[:300]))
    sys.exit(1)
trunc = [r for r in recs if r.get("truncated")]
assert not trunc, "records flagged truncated"
print("%d records, every event whole" % len(got))
' "$2"
}

# events FIXTURE: the fixture's events as a JSON list of joined texts
events() {
    "$PY" -c '
import json, sys
ev, cur = [], None
for l in open(sys.argv[1]).read().split("\n")[:-1]:
    if l == "#-- event":
        cur = []; ev.append(cur)
    else:
        cur.append(l)
print(json.dumps(["\n".join(e) for e in ev]))' "$1"
}

for lang in java python go ruby; do
    grep -v '^#-- event$' "$D/$lang.log" >"$T/logs/$lang.log"
    events "$D/$lang.log" >"$T/$lang.want"
    conf "$lang" "$T/logs/$lang.log" plain "{preset: $lang}"
    "$VIGIL" -c "$T/$lang.yaml" --once >"$T/$lang.alerts" 2>"$T/e" || { cat "$T/e"; fail "$lang: --once failed"; }
    check "$lang" "$T/$lang.want" || fail "$lang: traces not one record each"
    say "$lang plain file: ok"
done

# The templates detector: the Java log three times over makes one template
# per event shape; line by line it makes one per frame shape.
for i in 1 2 3; do grep -v '^#-- event$' "$D/java.log"; done >"$T/logs/java3.log"
conf tj "$T/logs/java3.log" plain "{preset: java}"
"$VIGIL" -c "$T/tj.yaml" --once >"$T/tj.alerts" 2>"$T/e" || { cat "$T/e"; fail "templates run failed"; }
conf tl "$T/logs/java3.log" plain "{}"
"$VIGIL" -c "$T/tl.yaml" --once >"$T/tl.alerts" 2>"$T/e" || { cat "$T/e"; fail "templates run (lines) failed"; }
nj=$(grep -c '"app.new_template"' "$T/tj.alerts" || true)
nl=$(grep -c '"app.new_template"' "$T/tl.alerts" || true)
nev=$(grep -c '^#-- event$' "$D/java.log")
say "templates: $nj new shapes with multiline ($nev events in the log), $nl line by line"
[ "$nj" -ge 1 ] && [ "$nj" -le "$nev" ] || fail "templates saw more shapes than events with multiline"
[ "$nl" -gt "$nev" ] || fail "line by line should make more shapes than events (the test would prove nothing)"

# CRI: the Java trace on stderr, the app's own lines on stdout, interleaved
# line by line; the longest frame split by the runtime into three pieces.
"$PY" - "$D/java.log" "$T/logs/cri.log" "$T/cri.want" <<'PYEOF'
import json, sys
ev, cur = [], None
for l in open(sys.argv[1]).read().split("\n")[:-1]:
    if l == "#-- event":
        cur = []; ev.append(cur)
    else:
        cur.append(l)
traces = [e for e in ev if len(e) > 1]
plain = [e for e in ev if len(e) == 1]
err = [l for e in traces for l in e]
out = [e[0] for e in plain] * 3
want = ["stderr: " + "\n".join(e) for e in traces] + ["stdout: " + o for o in out]
def t(i):
    return "2026-11-18T09:%02d:%02d.%09dZ" % (i // 60 % 60, i % 60, i)
lines, i = [], 0
longest = max(range(len(err)), key=lambda k: len(err[k]))
for k in range(max(len(err), len(out))):
    if k < len(err):
        l = err[k]
        if k == longest:
            a, b = len(l) // 3, 2 * len(l) // 3
            # a stdout line comes between the pieces of the stderr line
            lines += ["%s stderr P %s" % (t(i), l[:a]), "%s stdout F between pieces" % t(i + 1),
                      "%s stderr P %s" % (t(i + 2), l[a:b]), "%s stderr F %s" % (t(i + 3), l[b:])]
            want.append("stdout: between pieces")
            i += 4
        else:
            lines.append("%s stderr F %s" % (t(i), l)); i += 1
    if k < len(out):
        lines.append("%s stdout F %s" % (t(i), out[k])); i += 1
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
json.dump(want, open(sys.argv[3], "w"))
PYEOF
conf cri "$T/logs/cri.log" cri "{preset: java}"
"$VIGIL" -c "$T/cri.yaml" --once >/dev/null 2>"$T/e" || { cat "$T/e"; fail "cri: --once failed"; }
check cri "$T/cri.want" || fail "cri: traces not one record each"
say "CRI interleaved stdout/stderr with partial lines: ok"

# kill -9 with a trace half written: after the restart it is still one record
grep -v '^#-- event$' "$D/python.log" >"$T/py.full"
head -n 9 "$T/py.full" >"$T/logs/k.log"          # the first event and half the chained trace
conf k "$T/logs/k.log" plain "{preset: python, timeout: 1h}"
start_vigil "$T/k.yaml"
wait_until 10 sh -c "'$VIGIL_CAT' '$T/out.k'/* 2>/dev/null | grep -q 'payment failed'" || fail "first event not shipped"
sleep 0.5                                        # a few checkpoint rounds with the trace pending
kill9_vigil
tail -n +10 "$T/py.full" >>"$T/logs/k.log"
: >"$T/vigil.out"
start_vigil "$T/k.yaml"
wait_until 10 sh -c "'$VIGIL_CAT' '$T/out.k'/* 2>/dev/null | grep -q \"KeyError\"" || fail "rest not shipped"
stop_vigil                                       # the last trace waits for its timeout: not shipped
"$VIGIL_CAT" "$T/out.k"/* | "$PY" -c '
import json, sys
recs = [json.loads(l)["record"]["message"] for l in sys.stdin if "rule" not in json.loads(l)["record"]]
chained = [m for m in recs if "During handling" in m or "ConnectionError" in m or "PaymentError" in m]
assert chained and all(m.startswith("Traceback") and m.endswith("shop.pay.PaymentError: gateway unreachable") for m in chained), chained
assert any("payment failed" in m for m in recs)
print("%d records; the chained trace came whole %d time(s)" % (len(recs), len(chained)))
' || fail "a trace pending at kill -9 was cut in two"
say "kill -9 mid-trace: ok"

# Without multiline too: a partial stdout line held while stderr lines go on
# keeps the checkpoint before it; after kill -9 it comes whole.
printf '2026-11-18T09:00:00.000000001Z stdout P first half of a long stdout line, \n' >"$T/logs/p.log"
for i in 1 2 3 4 5 6 7 8 9; do
    printf '2026-11-18T09:00:0%d.000000000Z stderr F err-%d\n' "$i" "$i" >>"$T/logs/p.log"
done
conf p "$T/logs/p.log" cri "{}"
: >"$T/vigil.out"
start_vigil "$T/p.yaml"
wait_until 10 sh -c "'$VIGIL_CAT' '$T/out.p'/* 2>/dev/null | grep -q err-9" || fail "stderr lines not shipped"
sleep 0.5                                        # checkpoint rounds with the stdout half held
kill9_vigil
printf '2026-11-18T09:00:10.000000000Z stdout F second half\n' >>"$T/logs/p.log"
start_vigil "$T/p.yaml"
wait_until 10 sh -c "'$VIGIL_CAT' '$T/out.p'/* 2>/dev/null | grep -q 'second half'" || fail "stdout line not shipped"
stop_vigil
"$VIGIL_CAT" "$T/out.p"/* | grep -q '"message":"first half of a long stdout line, second half"' &&
    ! "$VIGIL_CAT" "$T/out.p"/* | grep -q '"message":"second half"' ||
    fail "a partial line held at kill -9 was cut in two"
say "cri partial held across kill -9: ok"
say "ok"
