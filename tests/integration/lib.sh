# lib.sh - shared steps of the integration tests (sourced, POSIX sh).
# Each test gets a scratch folder $T, runs the real $B/vigil on real files,
# and kills whatever it started on exit.
set -eu
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VIGIL="$ROOT/$B/vigil"
VIGIL_CAT="$ROOT/$B/vigil-cat"
VIGIL_GEN="$ROOT/$B/vigil-gen"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/vigil-it.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

say() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; exit 1; }

# start_vigil CONFIG [ARGS...]: runs vigil in the background; $VPID, stdout in
# $T/vigil.out (appended), stderr in $T/vigil.err (appended).
start_vigil() {
    cfg=$1; shift
    ${VIGIL_WRAP:-} "$VIGIL" -c "$cfg" "$@" >>"$T/vigil.out" 2>>"$T/vigil.err" &
    VPID=$!
    PIDS="$PIDS $VPID"
}

# stop_vigil: SIGTERM and wait; fails the test on a non-zero exit.
stop_vigil() {
    kill -TERM "$VPID"
    rc=0
    wait "$VPID" || rc=$?
    [ "$rc" = 0 ] || { tail -20 "$T/vigil.err"; fail "vigil exited $rc after SIGTERM"; }
}

kill9_vigil() {
    kill -9 "$VPID" 2>/dev/null || true
    wait "$VPID" 2>/dev/null || true
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms.
wait_until() {
    limit=$1; shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ "$i" -gt $((limit * 20)) ] && return 1
        sleep 0.05
    done
    return 0
}

# messages DIR: the "message" of every event shipped as batches into DIR,
# one per line, in order.
messages() {
    "$VIGIL_CAT" "$1"/* 2>/dev/null | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)["record"]
    print(r.get("message", ""))'
}

# count_distinct DIR PREFIX N: at least N distinct numbered lines PREFIX-* arrived
# (after kill -9 duplicates are allowed, so a plain count would stop early).
count_distinct() {
    n=$(messages "$1" | grep "^$2-" | cut -d' ' -f1 | sort -u | wc -l)
    [ "$n" -ge "$3" ]
}

count_messages() {
    n=$(messages "$1" | grep -c "${2:-.}" || true)
    [ "$n" -ge "$3" ]
}

# write_lines FILE FROM TO [PREFIX]: appends numbered lines PREFIX-FROM..TO.
write_lines() {
    "$PY" - "$1" "$2" "$3" "${4:-line}" <<'PYEOF'
import sys
path, a, b, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(path, "a") as f:
    for i in range(a, b + 1):
        f.write(f"{p}-{i:07d} some payload for line {i}\n")
PYEOF
}

# check_exact FILE PREFIX FROM TO: every numbered line arrived exactly once, in order per file.
check_exact() {
    "$PY" - "$1" "$2" "$3" "$4" <<'PYEOF'
import sys, collections
path, p, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
got = [l.rstrip("\n") for l in open(path) if l.startswith(p + "-")]
nums = [int(l.split()[0].split("-")[-1]) for l in got]
c = collections.Counter(nums)
missing = [i for i in range(a, b + 1) if c[i] == 0]
dups = [i for i, n in c.items() if n > 1]
if missing or dups:
    print(f"{p}: {len(missing)} missing (first {missing[:5]}), {len(dups)} duplicated (first {dups[:5]})")
    sys.exit(1)
print(f"{p}: {b - a + 1} lines, each exactly once")
PYEOF
}

# check_at_least_once FILE PREFIX FROM TO: none missing; duplicates allowed.
check_at_least_once() {
    "$PY" - "$1" "$2" "$3" "$4" <<'PYEOF'
import sys, collections
path, p, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
got = [l.rstrip("\n") for l in open(path) if l.startswith(p + "-")]
c = collections.Counter(int(l.split()[0].split("-")[-1]) for l in got)
missing = [i for i in range(a, b + 1) if c[i] == 0]
dups = sum(n - 1 for n in c.values() if n > 1)
bad = [l for l in got if not l.endswith(" some payload for line " + l.split()[0].split("-")[-1].lstrip("0"))]
if missing or bad:
    print(f"{p}: {len(missing)} missing (first {missing[:5]}), {len(bad)} cut or glued (first {bad[:2]})")
    sys.exit(1)
print(f"{p}: {b - a + 1} lines, none missing, {dups} duplicates")
PYEOF
}

# base_config NAME PATHS_YAML [EXTRA]: a config with one file input (no
# parser) and a file output into $T/out.
base_config() {
    mkdir -p "$T/out" "$T/state"
    cat >"$T/$1.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
  grace_period: 10s
  log_level: info
inputs:
  - name: logs
    type: file
    paths: $2
    read_from: head
    refresh_interval: 200ms
    poll_interval: 100ms
    parser: plain
outputs:
  - name: archive
    type: file
    path: $T/out
    batch: {max_delay: 100ms}
${3:-}
YEOF
}

# scenario_config NAME LOGDIR STATEDIR: the scenario tests' config: the auth
# log, the JSON API log and the shell histories of a `vigil-gen scenario`
# folder, alerts as JSON lines from info up, no outputs.
scenario_config() {
    mkdir -p "$3"
    cat >"$T/$1.yaml" <<YEOF
service:
  state_dir: $3
  flush_interval: 200ms
  grace_period: 10s
  log_level: warn
  hostname: web-1
inputs:
  - name: auth
    type: file
    paths: ["$2/auth.log"]
    parser: auth
    read_from: head
    refresh_interval: 200ms
    poll_interval: 50ms
  - name: api
    type: file
    paths: ["$2/app/*.log"]
    parser: json
    tag: app.api
    read_from: head
    refresh_interval: 200ms
    poll_interval: 50ms
  - name: shell
    type: file
    paths: ["$2/home/*/.bash_history"]
    parser: shell
    read_from: head
    refresh_interval: 200ms
    poll_interval: 50ms
alerts: {format: json, min_severity: info}
detectors:
  learning_period: 24h
outputs: []
YEOF
}

# alert_keys FILE: the distinct (rule, severity, entity) of a JSON alert
# stream, one per line, sorted; entity as compact sorted JSON.
alert_keys() {
    "$PY" - "$1" <<'PYEOF'
import json, sys
keys = set()
for l in open(sys.argv[1]):
    a = json.loads(l)
    keys.add(f'{a["rule"]} {a["severity"]} {json.dumps(a["entity"], sort_keys=True, separators=(",", ":"))}')
print("\n".join(sorted(keys)))
PYEOF
}
