#!/bin/sh
# The state folder on a full filesystem (a 1 MiB tmpfs) with the receiver
# down: the disk buffer cannot grow, so inputs pause (backpressure), memory
# stays bounded, the failure is logged without flooding, and once the
# receiver is back every line arrives exactly once, in order.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
[ "$(id -u)" = 0 ] || { say "skipped: mounting a tmpfs needs root"; exit 0; }
mkdir -p "$T/state" "$T/logs"
mount -t tmpfs -o size=1m tmpfs "$T/state" || { say "skipped: cannot mount a tmpfs here"; exit 0; }
umount_state() { umount "$T/state" 2>/dev/null || umount -l "$T/state" 2>/dev/null || true; }
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; sleep 0.2; umount_state; rm -rf "$T"' EXIT INT TERM
"$PY" - "$T/logs/a.log" <<'PYEOF'
import random, sys
r = random.Random(7)
with open(sys.argv[1], "w") as f:
    for i in range(1, 200001):
        f.write(f"line-{i:07d} " + "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(60)) + "\n")
PYEOF
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
  grace_period: 20s
  http: {listen: "127.0.0.1:0"}
inputs:
  - name: a
    paths: ["$T/logs/a.log"]
    read_from: head
outputs:
  - name: t
    type: tcp
    host: 127.0.0.1
    port: $port
    queue_max_bytes: 1MiB
    batch: {max_bytes: 256KiB, max_delay: 100ms}
    retry: {initial: 100ms, max: 500ms}
    buffer: {type: disk, max_bytes: 64MiB}
YEOF
start_vigil_api "$T/v.yaml"
wait_for 30 metric_eq vigil_paused 1 || { tail "$T/vigil.err"; fail "inputs did not pause on a full disk"; }
api /healthz | grep -q "buffer full" || fail "/healthz does not say the buffer is full"
rss=$(awk '/VmRSS/ {print $2}' /proc/"$VPID"/status)
# (under valgrind the RSS is valgrind's own: only the pause is checked there)
[ -n "${VIGIL_WRAP:-}" ] || [ "$rss" -lt 65536 ] || fail "RSS ${rss} KiB: memory grew while the disk was full"
sleep 2
n=$(grep -c "No space left" "$T/vigil.err" || true)
[ "$n" -ge 1 ] || fail "the full disk was not reported"
[ "$n" -le 5 ] || fail "the full disk was reported $n times in a few seconds (not rate-limited)"
say "full disk: paused, RSS ${rss} KiB, $n log lines"
start_peer t tcp_receiver.py --port "$port"
wait_for 60 got_at_least t 200000 || fail "backlog did not drain once the receiver was back"
stop_vigil
got t >"$T/got"
check_exact "$T/got" line 1 200000
