#!/bin/sh
# State files planted by someone who can write in state_dir: a symlink at the
# disk buffer's read.pos.tmp, at a snapshot's .snap.tmp or at a segment never
# has its target written or truncated; a FIFO at baselines/auth.snap neither
# hangs startup nor blocks SIGTERM (it is set aside); state_dir is tightened
# to 0700; a group/world-writable state_dir owned by someone else is refused
# with a clear error.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs"
write_lines "$T/logs/app.log" 1 200 app
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base_config s '["'"$T"'/logs/*.log"]' '  - name: net
    type: tcp
    host: 127.0.0.1
    port: '"$PORT"'
    retry: {initial: 50ms, max: 100ms}
    buffer: {type: disk, max_bytes: 8MiB}
detectors:
  snapshot_interval: 1s'
sed -i 's/grace_period: 10s/grace_period: 1s/' "$T/s.yaml"

# 1. a first run with the receiver down: the backlog lands in the disk buffer
start_vigil "$T/s.yaml"
wait_until 20 count_messages "$T/out" app- 200 || fail "first run did not ship"
sleep 1.5                                # a snapshot round
kill -TERM "$VPID"; wait "$VPID" || true # undelivered backlog: a non-zero exit is fine
S="$T/state"
ls "$S"/buffer/net/seg-*.vgb >/dev/null 2>&1 || fail "no disk buffer segment"
[ -f "$S/baselines/auth.snap" ] || fail "no auth snapshot"

# 2. plant: symlinks to a victim, a FIFO, an open state_dir
printf 'precious\n' >"$T/victim"
ln -s "$T/victim" "$S/buffer/net/read.pos.tmp"
ln -s "$T/victim" "$S/baselines/app_volume.snap.tmp"
ln -s "$T/victim" "$S/buffer/net/seg-00000000000000009999.vgb"
rm -f "$S/baselines/auth.snap"
mkfifo "$S/baselines/auth.snap"
chmod 0777 "$S" "$S/baselines"

# 3. restart with the receiver up: the backlog drains (read.pos rewritten),
# snapshots are saved again
"$PY" "$ROOT/tests/helpers/tcp_receiver.py" --out "$T/net.got" --port "$PORT" >"$T/rcv.port" &
RPID=$!; PIDS="$PIDS $RPID"
wait_until 10 test -s "$T/rcv.port" || fail "receiver did not start"
: >"$T/vigil.err"
start_vigil "$T/s.yaml"
wait_until 10 grep -q "started" "$T/vigil.err" || fail "startup hangs on the FIFO"
grep -q 'auth: snapshot set aside' "$T/vigil.err" || { cat "$T/vigil.err"; fail "FIFO snapshot not set aside"; }
wait_until 20 sh -c "[ \$(grep -c '\"message\": \"app-' '$T/net.got') -ge 200 ]" || fail "backlog not delivered"
sleep 1.5                                # a snapshot round through the planted .tmp
stop_vigil
kill "$RPID" 2>/dev/null || true
[ "$(cat "$T/victim")" = precious ] || fail "a planted symlink's target was written: $(head -c 80 "$T/victim")"
[ -L "$S/buffer/net/seg-00000000000000009999.vgb" ] || fail "planted segment symlink was followed or replaced"
[ -L "$S/buffer/net/read.pos.tmp" ] && fail "read.pos.tmp symlink still there: the position was not rewritten"
[ -f "$S/buffer/net/read.pos" ] && [ ! -L "$S/buffer/net/read.pos" ] || fail "read.pos is not a regular file"
[ -f "$S/baselines/app_volume.snap" ] && [ ! -L "$S/baselines/app_volume.snap" ] || fail "snapshot not rewritten as a file"
[ -p "$S/baselines/auth.snap.corrupt" ] || fail "the FIFO was not set aside"
say "planted symlinks: targets untouched; FIFO snapshot set aside, startup and SIGTERM unaffected"
[ "$(stat -c %a "$S")" = 700 ] || fail "state_dir not tightened: $(stat -c %a "$S")"
[ "$(stat -c %a "$S/baselines")" = 700 ] || fail "baselines not tightened: $(stat -c %a "$S/baselines")"
say "state_dir and baselines tightened to 0700"

# 4. an open state_dir that belongs to someone else: refused, clearly
mkdir -p "$T/other"
chown nobody "$T/other"
chmod 0777 "$T/other"
sed "s|state_dir: .*|state_dir: $T/other|" "$T/s.yaml" >"$T/o.yaml"
rc=0
timeout 20 "$VIGIL" -c "$T/o.yaml" >"$T/o.out" 2>"$T/o.err" || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || { cat "$T/o.err"; fail "vigil used a world-writable state_dir owned by nobody (exit $rc)"; }
grep -q 'writable by group or others and owned by uid' "$T/o.err" || { cat "$T/o.err"; fail "no clear error"; }
say "a group/world-writable state_dir of another user is refused: $(grep -o 'state folder is[^"]*' "$T/o.err" | head -c 60)..."
