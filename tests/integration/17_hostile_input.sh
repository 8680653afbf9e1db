#!/bin/sh
# Hostile input: lines of 0 bytes, 1 MiB and 10 MiB, NUL bytes, invalid
# UTF-8, terminal escapes and escaped newlines inside JSON fields, format
# directives, deeply nested JSON, a flood of distinct users (the detector
# memory cap holds), a FIFO and a folder where files are expected, a file vigil
# may not read (run as nobody), a symlink loop in a glob. vigil keeps running,
# ships every line, never prints a raw control byte on the alert stream and a
# log line can never start an alert line of its own.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs" "$T/state" "$T/out"
L="$T/logs/app.log"
"$PY" - "$L" <<'PYEOF'
import sys, json
with open(sys.argv[1], "wb") as f:
    f.write(b"\n")                                         # empty line
    f.write(b"x" * (1 << 20) + b"\n")                      # 1 MiB
    f.write(b"y" * (10 << 20) + b"\n")                     # 10 MiB
    f.write(b"nul\0in\0the\0middle\n")
    f.write(b"bad utf8 \xff\xfe\xc3\x28 \xed\xa0\x80\n")
    f.write(b"\x1b[2J\x1b[31mESCAPES\x1b]0;title\x07 %n %s %x %p %%s\n")
    f.write(json.dumps({"msg": "ok\nFORGED high alert: nothing happened\r\x1b[1A", "user": "a\nFORGED"}).encode() + b"\n")
    f.write(b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n")   # deep nesting
    f.write(b"[" * 100000 + b"\n")
    f.write(b"last line\n")
PYEOF
"$VIGIL_GEN" flood "$T/logs/auth.log" --lines 200000 --kind users >/dev/null || fail "vigil-gen flood"
mkfifo "$T/logs/fifo.log"
mkdir "$T/logs/dir.log"
printf 'secret line\n' >"$T/logs/noread.log"; chmod 600 "$T/logs/noread.log"
mkdir -p "$T/loop"; ln -s "$T/loop" "$T/loop/again"
chmod 755 "$T" "$T/logs"; chmod 644 "$L" "$T/logs/auth.log"
chown -R nobody "$T/state" "$T/out"
cat >"$T/h.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
inputs:
  - name: app
    paths: ["$T/logs/*.log", "$T/loop/*/*/*/*.log", "$T/loop/again/again/x.log"]
    read_from: head
    parser: json
    max_line_bytes: 2MiB
    refresh_interval: 200ms
  - name: auth
    paths: ["$T/logs/auth.log"]
    read_from: head
    parser: auth
alerts:
  format: text
  min_severity: info
detectors:
  memory_max: 8MiB
  learning_period: 0s
outputs:
  - name: archive
    type: file
    path: $T/out
    match: "app"
    batch: {max_delay: 100ms}
YEOF
# as nobody: permission checks are real (root would read noread.log)
setpriv --reuid=nobody --regid=nogroup --clear-groups ${VIGIL_WRAP:-} "$VIGIL" -c "$T/h.yaml" \
    >"$T/vigil.out" 2>"$T/vigil.err" &
VPID=$!; PIDS="$PIDS $VPID"
wait_until 60 count_messages "$T/out" '^last line' 1 || { tail "$T/vigil.err"; fail "lines after the hostile ones never arrived"; }
sleep 3                                            # let the flood reach the detectors
kill -0 "$VPID" || fail "vigil died"
rss=$(awk '/VmHWM/ {print $2}' /proc/$VPID/status)
say "peak RSS ${rss} kB with 200000 distinct users"
[ "$rss" -lt 400000 ] || fail "memory not bounded: ${rss} kB"
stop_vigil
messages "$T/out" >"$T/got"
grep -q '^nul' "$T/got" || fail "NUL line lost"
grep -q '^bad utf8' "$T/got" || fail "invalid UTF-8 line lost"
n=$(grep -c '^xxxxxxxx' "$T/got" || true); [ "$n" -ge 1 ] || fail "1 MiB line lost"
n=$(grep -c '^yyyyyyyy' "$T/got" || true); [ "$n" -ge 1 ] || fail "10 MiB line lost (cut and flagged expected)"
grep -q 'secret line' "$T/got" && fail "a file unreadable by vigil's user was shipped"
grep -q 'noread.log' "$T/vigil.err" || fail "unreadable file not reported"
grep -q 'fifo.log' "$T/vigil.err" || say "note: FIFO skipped silently"
say "every hostile line shipped; unreadable file reported, not read"
# the alert stream: no raw control byte, nothing from a log line at a line start
if LC_ALL=C grep -q "$(printf '\033')" "$T/vigil.out"; then fail "raw ESC on the alert stream"; fi
if grep -a -q '^FORGED' "$T/vigil.out" "$T/vigil.err"; then fail "a log line forged a line of its own"; fi
if LC_ALL=C grep -a -q "$(printf '\r')" "$T/vigil.out"; then fail "raw CR on the alert stream"; fi
say "alert stream: $(wc -l <"$T/vigil.out") lines, none forged, no raw control bytes"
