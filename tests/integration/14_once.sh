#!/bin/sh
# --once reads every input to its end, flushes, commits and exits 0; a second
# --once run reads nothing again (checkpoints); SIGTERM mid-run exits 0.
. "$(dirname "$0")/lib.sh"
base_config v '["'"$T"'/logs/*.log"]'
mkdir -p "$T/logs"
write_lines "$T/logs/a.log" 1 30000
write_lines "$T/logs/b.log" 1 20000 bee
"$VIGIL" -c "$T/v.yaml" --once 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero"; }
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 30000
check_exact "$T/got" bee 1 20000
"$VIGIL" -c "$T/v.yaml" --once 2>"$T/e" || fail "second --once"
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 30000
write_lines "$T/logs/a.log" 30001 30010
"$VIGIL" -c "$T/v.yaml" --once 2>"$T/e" || fail "third --once"
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 30010
say "ok"
