#!/bin/sh
# Rotation by rename, copytruncate, and delete-and-recreate while a writer
# keeps appending: every line arrives exactly once, none cut or glued.
. "$(dirname "$0")/lib.sh"
base_config v '["'"$T"'/logs/app.log"]'
mkdir -p "$T/logs"
start_vigil "$T/v.yaml"
sleep 0.3
L="$T/logs/app.log"
write_lines "$L" 1 3000
wait_until 30 count_messages "$T/out" '^line-' 3000 || fail "initial lines"
# 1. rename rotation: the writer goes on into the renamed file a little, then a new file
write_lines "$L" 3001 4000
mv "$L" "$L.1"
write_lines "$L.1" 4001 4500          # late writes to the old inode are not lost
write_lines "$L" 4501 6000
wait_until 40 count_messages "$T/out" '^line-' 6000 || fail "lines lost over rename rotation"
say "rename rotation: ok"
# 2. copytruncate
cp "$L" "$L.2"
: >"$L"
write_lines "$L" 6001 7000
wait_until 40 count_messages "$T/out" '^line-' 7000 || fail "lines lost over copytruncate"
say "copytruncate: ok"
# 3. delete and recreate
sleep 0.5
rm -f "$L"
sleep 0.5
write_lines "$L" 7001 8000
wait_until 40 count_messages "$T/out" '^line-' 8000 || fail "lines lost over delete and recreate"
say "delete and recreate: ok"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 8000
