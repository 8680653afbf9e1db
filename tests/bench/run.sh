#!/bin/sh
# run.sh - `make bench`: the performance harness (see bench.py and mixed.py).
# Numbers are printed and written to $B/bench/results.md; nothing here fails
# on a time. BENCH_ONLY=mixed runs only the mixed-file section.
# BENCH_PEERS=1 also runs rsyslog and syslog-ng on the same bytes: the two
# conflict as Debian packages, so rsyslog is installed with apt-get and
# syslog-ng is only unpacked (apt-get download + dpkg-deb -x) under
# $B/bench/peers/syslog-ng/root. Either may be missing: bench.py notes it.
set -eu
B=${B:-build}
cd "$(dirname "$0")/../.."
[ -x /usr/bin/time ] || { echo "bench: installing GNU time"; apt-get install -y -qq time >/dev/null; }
if [ "${BENCH_PEERS:-0}" = 1 ]; then
    if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ]; then
        echo "bench: installing rsyslog (peer)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsyslog \
            >/dev/null 2>&1 || echo "bench: rsyslog could not be installed; skipped"
    fi
    root="$B/bench/peers/syslog-ng/root"
    if ! command -v syslog-ng >/dev/null 2>&1 && [ ! -x "$root/usr/sbin/syslog-ng" ]; then
        echo "bench: unpacking syslog-ng (peer) into $root"
        mkdir -p "$B/bench/peers/syslog-ng"
        (
            cd "$B/bench/peers/syslog-ng" &&
            apt-get download syslog-ng-core >/dev/null 2>&1 &&
            for dep in libivykis0 libnet1 libwrap0 libjson-c5 libpcre3 libglib2.0-0; do
                dpkg -s "$dep" >/dev/null 2>&1 || apt-get download "$dep" >/dev/null 2>&1 || true
            done &&
            for deb in *.deb; do dpkg-deb -x "$deb" root; done
        ) || echo "bench: syslog-ng could not be unpacked; skipped"
    fi
fi
# BENCH_ONLY=mixed: the mixed-file section only (bench.py); no helper to build.
[ "${BENCH_ONLY:-}" = mixed ] && B="$B" exec /usr/bin/python3 tests/bench/bench.py
# One parser alone, lines per CPU-second (tests/bench/parser_bench.c).
MSGPACK=msgpack
pkg-config --exists msgpack-c 2>/dev/null && MSGPACK=msgpack-c
PKGS="libevent libevent_openssl libevent_pthreads openssl liblz4 libfyaml zlib rdkafka libnats libpcre2-8 libsystemd $MSGPACK"
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags $PKGS) -o "$B/parser_bench" \
    tests/bench/parser_bench.c "$B/libvigil.a" $(pkg-config --libs $PKGS) -lm -lpthread ||
    echo "bench: parser_bench did not build; its figures are skipped"
# The Sigma detector alone with SigmaHQ's Linux rules (tests/bench/sigma_bench.c).
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags $PKGS) -o "$B/sigma_bench" \
    tests/bench/sigma_bench.c "$B/libvigil.a" $(pkg-config --libs $PKGS libprotobuf-c) -lm -lpthread ||
    echo "bench: sigma_bench did not build; its figures are skipped"
B="$B" exec /usr/bin/python3 tests/bench/bench.py
