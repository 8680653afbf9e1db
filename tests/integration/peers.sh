# peers.sh - loopback peers and checks shared by the output tests (sourced
# after lib.sh). A peer is one of tests/helpers' receivers run in the
# background on 127.0.0.1; what it received goes to $T/NAME.got.
H="$ROOT/tests/helpers"
CHECK="$PY $H/it_check.py"

# wait_for SECONDS COMMAND...: like wait_until, but the limit is wall time
# (a check that runs python takes longer than the 50 ms poll).
wait_for() {
    _end=$(($(date +%s) + $1))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -gt "$_end" ] && return 1
        sleep 0.05
    done
    return 0
}

# start_peer NAME SCRIPT [ARGS...]: starts tests/helpers/SCRIPT, waits for the
# port it prints; sets $PORT, and $PEER to its pid.
start_peer() {
    _name=$1 _script=$2
    shift 2
    : >"$T/$_name.port"
    "$PY" "$H/$_script" --out "$T/$_name.got" "$@" >"$T/$_name.port" 2>>"$T/$_name.err" &
    PEER=$!
    PIDS="$PIDS $PEER"
    wait_for 10 test -s "$T/$_name.port" || fail "peer $_name did not start"
    PORT=$(head -1 "$T/$_name.port")
}

# stop_peer PID
stop_peer() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# got NAME: the messages peer NAME received, in order.
got() {
    $CHECK messages peer "$T/$1.got"
}

# got_at_least NAME N
got_at_least() {
    [ -f "$T/$1.got" ] && [ "$(got "$1" | wc -l)" -ge "$2" ]
}

# api_port [FROM_LINE]: the port vigil's service.http listens on (it logs it at start).
api_port() {
    tail -n +"${1:-1}" "$T/vigil.err" | sed -n 's/.*serving \/healthz.* on [0-9.]*:\([0-9]*\).*/\1/p' | tail -1
}

# api PATH: status line then body of GET PATH on vigil's HTTP API.
api() {
    $CHECK get "http://127.0.0.1:$API$1"
}

# metric SERIES: its current value.
metric() {
    $CHECK metric "http://127.0.0.1:$API/metrics" "$1"
}

# metric_ge SERIES N / metric_eq SERIES N
metric_ge() {
    _v=$(metric "$1") || return 1
    "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$_v" "$2"
}
metric_eq() {
    _v=$(metric "$1") || return 1
    "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) == float(sys.argv[2]) else 1)' "$_v" "$2"
}

# start_vigil_api CONFIG: start_vigil, then waits for the HTTP API; sets $API.
start_vigil_api() {
    touch "$T/vigil.err"
    _from=$(($(wc -l <"$T/vigil.err") + 1))
    start_vigil "$@"
    wait_for 10 sh -c "tail -n +$_from '$T/vigil.err' | grep -q 'serving /healthz' || ! kill -0 $VPID" &&
        kill -0 "$VPID" 2>/dev/null || { tail -n +"$_from" "$T/vigil.err"; fail "vigil did not start its HTTP API"; }
    API=$(api_port "$_from")
}
