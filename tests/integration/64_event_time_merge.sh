#!/bin/sh
# --once merges its inputs in event-time order (sidecar/merge.c):
# 1. The scenario's logs give byte-identical alerts whatever the order of the
#    inputs in the configuration, and a live sidecar started on them (a
#    catch-up after downtime) gives the same stream as --once.
# 2. A busy API log larger than one read (4 MiB) next to a quiet log of the
#    same three days: read file after file, the quiet log moved the detector
#    clock to the third day while the API log was read only to the second,
#    and app.silence said "api went silent" for minutes full of API events.
#    Merged, the clock never passes a record still unread: no silence, and
#    the same alerts in either order.
. "$(dirname "$0")/lib.sh"
"$VIGIL_GEN" scenario "$T/logs" 2>"$T/gen.err" || { cat "$T/gen.err"; fail "vigil-gen"; }

# order_config NAME LOGDIR INPUT...: the scenario's inputs in the order given
order_config() {
    name=$1 dir=$2
    shift 2
    {
        printf 'service:\n  state_dir: %s/state-%s\n  log_level: warn\n  hostname: web-1\ninputs:\n' "$T" "$name"
        for i in "$@"; do
            case $i in
            auth) printf '  - {name: auth, type: file, paths: ["%s/auth.log"], parser: auth, read_from: head}\n' "$dir" ;;
            api) printf '  - {name: api, type: file, paths: ["%s/app/*.log"], parser: json, tag: app.api, read_from: head}\n' "$dir" ;;
            shell) printf '  - {name: shell, type: file, paths: ["%s/home/*/.bash_history"], parser: shell, read_from: head}\n' "$dir" ;;
            quiet) printf '  - {name: quiet, type: file, paths: ["%s/quiet.log"], parser: json, tag: app.quiet, read_from: head}\n' "$dir" ;;
            esac
        done
        printf 'alerts: {format: json, min_severity: info}\ndetectors:\n  learning_period: 24h\noutputs: []\n'
    } >"$T/$name.yaml"
}

n=0
for order in "auth api shell" "shell api auth" "api shell auth"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    order_config "o$n" "$T/logs" $order
    "$VIGIL" -c "$T/o$n.yaml" --once >"$T/o$n.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero ($order)"; }
    [ -s "$T/o$n.json" ] || fail "no alerts ($order)"
    [ "$n" = 1 ] || cmp "$T/o1.json" "$T/o$n.json" || fail "inputs in the order $order give other alerts"
done
say "ok   $(wc -l <"$T/o1.json") alerts, byte-identical for 3 orders of the inputs"
"$PY" - "$T/o1.json" <<'PYEOF' || fail "alerts out of event-time order"
import json, sys
last = ""
for l in open(sys.argv[1]):
    a = json.loads(l)
    if a["rule"] != "incident.chain" and a["ts"] < last:
        sys.exit(f"{a['ts']} {a['rule']} after {last}")
    last = max(last, a["ts"])
PYEOF
say "ok   alerts in event-time order"

# A live sidecar catching up (started on files already written, as after
# downtime) merges the same way: the same stream as --once.
order_config catchup "$T/logs" shell auth api
start_vigil "$T/catchup.yaml"
prev=-1
i=0
while :; do
    sleep 0.5
    n=$(wc -l <"$T/vigil.out")
    [ "$n" = "$prev" ] && [ "$n" -gt 0 ] && break
    prev=$n
    i=$((i + 1))
    [ "$i" -gt 60 ] && break
done
stop_vigil
cmp "$T/o1.json" "$T/vigil.out" || fail "a live catch-up gives other alerts than --once"
say "ok   a live catch-up gives the same alert stream as --once"

# The silence: 3 days of a busy API (20 events a minute, ~16 MB) and a quiet
# log (one event every 10 minutes) over the same days.
mkdir -p "$T/busy/app"
"$PY" - "$T/busy" <<'PYEOF'
import sys
d = sys.argv[1]
t0 = 1794787200  # 2026-11-15T00:00:00Z
with open(f"{d}/app/api.log", "w") as f:
    for m in range(3 * 1440):
        for k in range(20):
            s = t0 + m * 60 + k * 3
            f.write('{"ts":"%s.%03dZ","level":"info","msg":"request served","method":"GET",'
                    '"path":"/api/v1/products","status":200,"user":"carol","latency_ms":85,'
                    '"src_ip":"10.1.4.22","bytes":954}\n' % (
                        __import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(s)), k))
with open(f"{d}/quiet.log", "w") as f:
    for m in range(0, 3 * 1440, 10):
        s = t0 + m * 60 + 7
        f.write('{"ts":"%sZ","level":"info","msg":"nightly check ok"}\n' %
                __import__("time").strftime("%Y-%m-%dT%H:%M:%S", __import__("time").gmtime(s)))
PYEOF
[ "$(wc -c <"$T/busy/app/api.log")" -gt 4194304 ] || fail "the API log must be larger than one read"
order_config b1 "$T/busy" api quiet
order_config b2 "$T/busy" quiet api
for c in b1 b2; do
    "$VIGIL" -c "$T/$c.yaml" --once >"$T/$c.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero ($c)"; }
    if grep '"app.silence"' "$T/$c.json" | head -3 | grep .; then
        fail "app.silence while the API log had events ($c)"
    fi
done
cmp "$T/b1.json" "$T/b2.json" || fail "the busy logs give other alerts in another order"
say "ok   no false app.silence on a busy log read beside a quiet one; the same alerts in either order"

# 3. Look-ahead bounded, nothing lost: one input, two files, the one read
#    first (a-late.log, by name) holding only the last day. It is parked once
#    it holds its share and woken as the other drains: every record is
#    shipped, in event-time order, and the run ends.
mkdir -p "$T/park/app"
"$PY" - "$T/park" <<'PYEOF'
import sys, time
d = sys.argv[1]
t0 = 1794787200
def line(s, k):
    return ('{"ts":"%s.%03dZ","level":"info","msg":"request served","user":"carol",'
            '"src_ip":"10.1.4.22","bytes":954}\n' % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)), k))
with open(f"{d}/app/a-late.log", "w") as f:
    f.writelines(line(t0 + m * 60 + k * 3, k) for m in range(2 * 1440, 3 * 1440) for k in range(20))
with open(f"{d}/app/b-early.log", "w") as f:
    f.writelines(line(t0 + m * 60 + k * 3, k) for m in range(0, 2 * 1440) for k in range(20))
PYEOF
cat >"$T/park.yaml" <<YEOF
service: {state_dir: $T/state-park, log_level: warn, hostname: web-1}
inputs:
  - {name: api, type: file, paths: ["$T/park/app/*.log"], parser: json, tag: app.api, read_from: head}
alerts: {format: json, min_severity: info}
outputs:
  - {name: f, type: file, path: $T/park/out}
YEOF
"$VIGIL" -c "$T/park.yaml" --once >/dev/null 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero (park)"; }
"$VIGIL_CAT" "$T"/park/out/* | "$PY" -c '
import json, sys
prev, n, files = "", 0, []
for l in sys.stdin:
    r = json.loads(l)
    n += 1
    if r["time"] < prev:
        sys.exit("shipped out of event-time order at %s" % r["time"])
    prev = r["time"]
    f = r["record"]["path"].rsplit("/", 1)[-1]
    if not files or files[-1] != f:
        files.append(f)
if n != 86400 or files != ["b-early.log", "a-late.log"]:
    sys.exit("%d records, files in the order %s" % (n, files))
' || fail "the parked file"
say "ok   a file read ahead is parked and woken: 86400 records shipped in event-time order"
