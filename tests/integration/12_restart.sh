#!/bin/sh
# A clean stop and restart loses and duplicates nothing; after kill -9
# nothing is lost and only lines after the last commit may repeat.
. "$(dirname "$0")/lib.sh"
base_config v '["'"$T"'/logs/*.log"]'
mkdir -p "$T/logs"
L="$T/logs/app.log"
write_lines "$L" 1 2000
start_vigil "$T/v.yaml"
wait_until 10 count_messages "$T/out" '^line-' 2000 || fail "initial lines"
stop_vigil
write_lines "$L" 2001 4000           # written while vigil is down
start_vigil "$T/v.yaml"
wait_until 10 count_messages "$T/out" '^line-' 4000 || fail "lines written while stopped"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" line 1 4000
say "clean restart: ok"

# kill -9 in the middle of a stream, several times
n=4000
for round in 1 2 3; do
    start_vigil "$T/v.yaml"
    write_lines "$L" $((n + 1)) $((n + 5000))
    n=$((n + 5000))
    sleep 0.$((round * 2))
    kill9_vigil
done
start_vigil "$T/v.yaml"
wait_until 60 count_distinct "$T/out" line $n || fail "lines lost after kill -9"
stop_vigil
messages "$T/out" >"$T/got"
check_at_least_once "$T/got" line 1 $n

# Rotation while stopped, the rotated name excluded (the shipped example's
# exclude: "*.[0-9]"): the rotated file is found by identity (device, inode,
# fingerprint) and read to its end before the new file.
mkdir -p "$T/rot"
base_config r '["'"$T"'/rot/*.log"]'
sed -i 's|^    poll_interval: 100ms|    poll_interval: 100ms\n    exclude: ["*.gz", "*.[0-9]"]|' "$T/r.yaml"
sed -i 's|^  - name: logs|  - name: rot|' "$T/r.yaml"
R="$T/rot/app.log"
write_lines "$R" 1 200 rot
start_vigil "$T/r.yaml"
wait_until 20 count_messages "$T/out" '^rot-' 200 || fail "rot: first lines"
stop_vigil
write_lines "$R" 201 300 rot
mv "$R" "$R.1"
write_lines "$R" 301 400 rot
start_vigil "$T/r.yaml"
wait_until 20 count_messages "$T/out" '^rot-' 400 || fail "rotation while stopped: lines lost"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" rot 1 400
grep '^rot-' "$T/got" | sort -c || fail "rotation while stopped: the new file was read before the rotated one"
say "rotation while stopped to an excluded name: ok"

# copytruncate while stopped, the file starting with the same 1.5 KiB
# banner each time: the bytes before the old offset differ, so the file is
# read again from its start instead of being resumed at the old offset,
# which would skip lines 101-194.
B2="$T/rot/banner.log"
banner() { "$PY" -c 'import sys; sys.stdout.write("BANNER app 1.2 " + "=" * 1500 + "\n")' >"$B2"; }
banner
write_lines "$B2" 1 100 ban
start_vigil "$T/r.yaml"
wait_until 20 count_messages "$T/out" '^ban-' 100 || fail "banner: first lines"
stop_vigil
banner                                   # truncated and rewritten
write_lines "$B2" 101 300 ban            # past the old offset
start_vigil "$T/r.yaml"
wait_until 20 count_messages "$T/out" '^ban-' 300 || fail "copytruncate while stopped: lines skipped"
stop_vigil
messages "$T/out" >"$T/got"
check_exact "$T/got" ban 1 300
say "copytruncate while stopped with a shared banner: ok"
