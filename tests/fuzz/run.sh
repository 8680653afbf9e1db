#!/bin/sh
# run.sh - `make fuzz`: builds every tests/fuzz/fuzz_<target>.c with clang-14 and
# libFuzzer + ASan + UBSan against an instrumented copy of the library in $B
# (default build/fuzz), then runs each for FUZZ_SECONDS (default 30) from its
# seed corpus tests/fuzz/corpus/<target>/. New inputs go to $B/work/<target>
# (the committed seeds stay as they are); a crash, leak or timeout leaves its
# input in $B/crashes/ and fails the run. Keep such an input as a regression
# case: copy it into tests/fuzz/corpus/<target>/ once the bug is fixed; the
# corpus replay in `make test` then runs it on every build.
# FUZZ_TARGETS="conf json" limits the run to some targets.
set -u
B=${B:-build/fuzz}
CC=${FUZZ_CC:-clang-14}
SECS=${FUZZ_SECONDS:-30}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
MSGPACK=msgpack
pkg-config --exists msgpack-c 2>/dev/null && MSGPACK=msgpack-c
PKGS="libevent libevent_openssl libevent_pthreads openssl liblz4 libfyaml zlib rdkafka libnats libprotobuf-c libpcre2-8 libsystemd $MSGPACK"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

command -v "$CC" >/dev/null || { echo "fuzz: $CC not found"; exit 1; }
# The library, instrumented for coverage (fuzzer-no-link) and the sanitizers.
make --no-print-directory B="$B" CC="$CC" \
    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $SAN" "$B/libvigil.a" || exit 1
mkdir -p "$B/bin" "$B/work" "$B/crashes"

targets=${FUZZ_TARGETS:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_\(.*\)\.c|\1|')}
failed=""
for t in $targets; do
    src=tests/fuzz/fuzz_$t.c
    bin=$B/bin/fuzz_$t
    if ! "$CC" -g -O1 -fsanitize=fuzzer $SAN -std=c11 -D_GNU_SOURCE -I. -I"$B/gen" \
        $(pkg-config --cflags $PKGS) -o "$bin" "$src" "$B/libvigil.a" \
        $(pkg-config --libs $PKGS) -lm -lpthread; then
        echo "fuzz $t: BUILD FAILED"; failed="$failed $t"; continue
    fi
    mkdir -p "$B/work/$t" "tests/fuzz/corpus/$t"
    log=$B/fuzz_$t.log
    # -rss_limit_mb guards against unbounded growth; -timeout=5 makes a
    # stall a finding; crashes land in $B/crashes/<target>-crash-<sha1>.
    if "$bin" -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$B/crashes/$t-" \
        "$B/work/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
        echo "fuzz $t: ok ($(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs, $(grep -a -o 'cov: [0-9]*' "$log" | tail -1))"
    else
        echo "fuzz $t: FAILED (log $log)"
        grep -a -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -8
        failed="$failed $t"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz failed:$failed (inputs in $B/crashes/)"
    exit 1
fi
echo "fuzz: every target ran ${SECS}s clean"
