#!/bin/sh
# Rotation torture: eight writers at full speed into their own files, each
# rotating its own way (rename, rename faster than reading, copytruncate,
# delete-and-recreate with inode reuse, truncate-then-rewrite, a switched
# symlink, rename inside a symlinked folder, lines split over two writes).
# Pass: every numbered line arrives, none cut or glued, duplicates only from
# the copytruncate copy (see tests/helpers/torture.py). SOAK=1 writes 20 times more.
. "$(dirname "$0")/lib.sh"
LINES=${TORTURE_LINES:-20000}
[ "${SOAK:-0}" = 1 ] && LINES=${TORTURE_LINES:-400000}
base_config v '["'"$T"'/logs/*.log*", "'"$T"'/linked/*.log*"]' 
# rotated files stay readable until their end; 2 s of silence closes them
sed -i 's/    poll_interval: 100ms/    poll_interval: 100ms\n    rotate_wait: 2s\n    partial_timeout: 3s/' "$T/v.yaml"
start_vigil "$T/v.yaml"
sleep 0.3
say "8 writers, about $LINES lines each"
"$PY" "$ROOT/tests/helpers/torture.py" write "$T" "$LINES" "$T/state" >"$T/written" || fail "writers"
cat "$T/written"
total=$(awk '{s += $2} END {print s}' "$T/written")
# until every line is out or nothing moved for 5 s (the file output's size)
last=-1; still=0
while [ "$still" -lt 10 ]; do
    sleep 0.5
    now=$(du -sb "$T/out" | cut -f1)
    if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
    last=$now
done
stop_vigil
messages "$T/out" >"$T/got"
say "$(wc -l <"$T/got") messages shipped for $total lines written"
"$PY" "$ROOT/tests/helpers/torture.py" check "$T/got" "$T/written" || fail "rotation torture"
say "rotation torture: ok"
