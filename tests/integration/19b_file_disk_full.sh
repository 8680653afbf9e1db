#!/bin/sh
# The file output's "receiver" is the disk: it fills up mid-stream (the
# output folder is a 512 KiB tmpfs). Writes fail and are cut back, batches
# are retried, nothing counts as delivered that is not written; once space is
# given back (the tmpfs grows) every line is in the files exactly once, in
# order, as vigil-cat reads them.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { say "skipped: mounting a tmpfs needs root"; exit 0; }
mkdir -p "$T/out" "$T/logs" "$T/state"
mount -t tmpfs -o size=512k tmpfs "$T/out" || { say "skipped: cannot mount a tmpfs here"; exit 0; }
umount_out() { umount "$T/out" 2>/dev/null || umount -l "$T/out" 2>/dev/null || true; }
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done; sleep 0.2; umount_out; rm -rf "$T"' EXIT INT TERM
N=20000
write_lines "$T/logs/a.log" 1 $N
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  grace_period: 10s
inputs:
  - {name: a, paths: ["$T/logs/a.log"], read_from: head, poll_interval: 50ms}
outputs:
  - name: arch
    type: file
    path: $T/out
    compression: none
    batch: {max_events: 200, max_delay: 50ms}
    retry: {initial: 50ms, max: 200ms}
    buffer: {type: disk}
YEOF
start_vigil "$T/v.yaml"
wait_for() { _end=$(($(date +%s) + $1)); shift; while ! "$@" >/dev/null 2>&1; do [ "$(date +%s)" -gt "$_end" ] && return 1; sleep 0.05; done; }
wait_for 30 grep -q "No space left" "$T/vigil.err" || fail "the disk never filled"
before=$(messages "$T/out" | wc -l)
say "disk full after $before of $N lines"
[ "$before" -lt $N ] || fail "everything fit: the disk did not fill mid-stream"
mount -o remount,size=16m "$T/out"          # space comes back
wait_for 60 count_messages "$T/out" line $N || fail "$(messages "$T/out" | wc -l) of $N lines after space came back"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 $N || fail "lines missing, cut or doubled after the disk was full"
say "file output through a full disk: ok"
