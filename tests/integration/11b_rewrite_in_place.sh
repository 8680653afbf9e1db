#!/bin/sh
# A file truncated and written past vigil's offset while vigil does not look
# (copytruncate at the wrong moment), with the same first KiB, so that the
# fingerprint cannot tell: the byte before the offset is no longer the newline
# vigil read there, so vigil reads the file again from 0 instead of shipping
# the second half of a line.
. "$(dirname "$0")/lib.sh"
base_config v '["'"$T"'/logs/*.log"]'
mkdir -p "$T/logs"
banner=$(head -c 1100 /dev/zero | tr '\0' 'B')
{ echo "$banner"; for i in 1 2 3 4 5; do echo "line-000000$i short"; done; } >"$T/logs/a.log"
start_vigil "$T/v.yaml"
wait_until 30 count_messages "$T/out" '^line-' 5 || fail "first lines did not arrive"
sleep 0.5
kill -STOP "$VPID"
long=$(head -c 600 /dev/zero | tr '\0' 'x')
{ echo "$banner"; echo "line-0000006 $long"; echo "line-0000007 after"; } >"$T/logs/a.log"
kill -CONT "$VPID"
wait_until 30 count_messages "$T/out" '^line-0000007' 1 || fail "the rewritten file was not read"
stop_vigil
messages "$T/out" >"$T/got"
bad=$(grep -v -e '^line-' -e '^BBBB' "$T/got" | head -c 200)
[ -z "$bad" ] || fail "half a line shipped: $bad"
[ "$(grep -c '^line-0000006 x' "$T/got")" = 1 ] || fail "line 6 not shipped whole, once"
check_exact "$T/got" line 1 7
say "ok"
