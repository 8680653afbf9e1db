#!/bin/sh
# Lines appended while vigil tails arrive once each, in order; a last line
# without newline is held until its newline comes; a clean stop loses nothing.
. "$(dirname "$0")/lib.sh"
base_config v '["'"$T"'/logs/*.log"]'
mkdir -p "$T/logs"
write_lines "$T/logs/a.log" 1 1000
start_vigil "$T/v.yaml"
wait_until 30 count_messages "$T/out" '^line-' 1000 || fail "first 1000 lines did not arrive"
write_lines "$T/logs/a.log" 1001 20000
printf 'line-0020001 some payload for line 20001' >>"$T/logs/a.log"   # no newline yet
wait_until 30 count_messages "$T/out" '^line-' 20000 || fail "20000 lines did not arrive"
sleep 0.3
messages "$T/out" | grep -q 'line-0020001' && fail "a line without newline was emitted before its newline"
printf '\n' >>"$T/logs/a.log"
wait_until 30 count_messages "$T/out" '^line-' 20001 || fail "completed line did not arrive"
# a file that appears later is read from its start
write_lines "$T/logs/b.log" 1 500 late
wait_until 30 count_messages "$T/out" '^late-' 500 || fail "a new file was not picked up"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 20001
check_exact "$T/got" late 1 500
grep -q 'level=' "$T/vigil.err" || fail "no logfmt diagnostics on stderr"
[ ! -s "$T/vigil.out" ] || fail "stdout has output but no stdout output is configured"
say "ok"
