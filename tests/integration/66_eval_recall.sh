#!/bin/sh
# The short detection-quality run: two rich host-weeks of vigil-gen (seeds
# the detectors were not tuned on), judged against the generator's labels.
# Every intrusion step must be detected (>= low, by one of its rules, naming
# one of its entities), and every guessing burst reported in at most 3
# lines; the report is printed for the log.
. "$(dirname "$0")/lib.sh"
B=$B "$PY" "$ROOT/tests/eval/eval.py" --seeds 21,22 --no-tldr --out "$T/eval" --require-recall \
    --require-bursts || fail "an intrusion step was missed, or a guessing burst took more than 3 lines"
say "ok"
