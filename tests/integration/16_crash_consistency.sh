#!/bin/sh
# Crash consistency: kill -9 at random moments (reading, batching, writing a
# checkpoint or the disk buffer, receiver up or down), damaged checkpoint,
# baseline and disk-buffer files between rounds; vigil always starts again,
# resumes each file right after its last commit, and in the end every line is
# in both outputs (see tests/helpers/crash_torture.py). SOAK=1: 60 rounds.
. "$(dirname "$0")/lib.sh"
ROUNDS=${CRASH_ROUNDS:-8}
[ "${SOAK:-0}" = 1 ] && ROUNDS=${CRASH_ROUNDS:-60}
say "$ROUNDS rounds of kill -9"
"$PY" "$ROOT/tests/helpers/crash_torture.py" "$VIGIL" "$VIGIL_CAT" "$T" "$ROUNDS" ||
    { grep -v 'level=info' "$T/vigil.err" | tail -15; fail "crash consistency"; }
say "crash consistency: ok"
