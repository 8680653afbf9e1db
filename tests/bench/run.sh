#!/bin/sh
# run.sh - `make bench`: the performance harness (see bench.py). Numbers are
# printed and written to $B/bench/results.md; nothing here fails on a time.
set -eu
B=${B:-build}
cd "$(dirname "$0")/../.."
[ -x /usr/bin/time ] || { echo "bench: installing GNU time"; apt-get install -y -qq time >/dev/null; }
B="$B" exec /usr/bin/python3 tests/bench/bench.py
