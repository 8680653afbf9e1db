#!/bin/sh
# SIGHUP: a bad configuration is reported and the running one keeps going; a
# good one is switched to with offsets kept (no line lost or doubled across
# the switch) and a newly added input starts reading.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs" "$T/out" "$T/state"
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
inputs:
  - name: a
    paths: ["$T/logs/a.log"]
    read_from: head
outputs:
  - name: archive
    type: file
    path: $T/out
    batch: {max_delay: 100ms}
YEOF
write_lines "$T/logs/a.log" 1 2000
start_vigil "$T/v.yaml"
wait_until 10 count_messages "$T/out" '^line-' 2000 || fail "initial lines"
cp "$T/v.yaml" "$T/good.yaml"
printf 'inputs:\n  - name: a\n    pathz: [x]\n' >"$T/v.yaml"
kill -HUP "$VPID"
wait_until 5 grep -q 'reload: .* is invalid; keeping' "$T/vigil.err" || fail "bad config on SIGHUP not reported"
grep -q "pathz" "$T/vigil.err" || fail "the reload error does not name the bad key"
write_lines "$T/logs/a.log" 2001 3000
wait_until 10 count_messages "$T/out" '^line-' 3000 || fail "vigil stopped reading after a bad reload"
say "bad config kept the old one running: ok"
# a 4 MB `[[[[...` config by SIGHUP: refused at its first level too deep,
# with its position, without the running vigil's memory growing
rss() { sed -n 's/^VmHWM: *\([0-9]*\).*/\1/p' "/proc/$VPID/status"; }
r0=$(rss)
"$PY" -c 'import sys; open(sys.argv[1], "w").write("[" * (4 * 1024 * 1024 - 16))' "$T/v.yaml"
kill -HUP "$VPID"
wait_until 10 grep -q 'v.yaml:1:32: nested deeper than 32 levels' "$T/vigil.err" ||
    { tail -3 "$T/vigil.err"; fail "a deeply nested config on SIGHUP not refused with its position"; }
r1=$(rss)
[ $((r1 - r0)) -lt 65536 ] || fail "peak RSS grew from $r0 to $r1 KiB on a hostile reload"
write_lines "$T/logs/a.log" 3001 3100 more
wait_until 10 count_messages "$T/out" '^more-' 100 || fail "vigil stopped reading after a hostile reload"
say "4 MB of [ on SIGHUP: refused, peak RSS $r0 -> $r1 KiB: ok"
# a good config: one more input, a different batch size
sed 's/^outputs:/  - name: b\n    paths: ["'"$(echo "$T" | sed 's/\//\\\//g')"'\/logs\/b.log"]\n    read_from: head\noutputs:/' "$T/good.yaml" >"$T/v.yaml"
sed -i 's/max_delay: 100ms/max_delay: 100ms, max_events: 100/' "$T/v.yaml"
write_lines "$T/logs/b.log" 1 500 bee
write_lines "$T/logs/a.log" 3001 5000 &
writer=$!
kill -HUP "$VPID"
wait "$writer"
wait_until 10 grep -q 'reload: running the new configuration' "$T/vigil.err" || { cat "$T/vigil.err"; fail "no switch to the new configuration"; }
write_lines "$T/logs/a.log" 5001 6000
wait_until 15 count_messages "$T/out" '^bee-' 500 || fail "the new input did not read"
wait_until 15 count_messages "$T/out" '^line-' 6000 || fail "lines lost across the reload"
kill -0 "$VPID" || fail "vigil exited on reload"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 6000
check_exact "$T/got" bee 1 500
