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
