#!/bin/sh
# deps.sh - install the Debian 12 packages vigil needs to build, test and demo.
# Idempotent: asks dpkg what is missing and installs only that, saying so first.
set -eu
PKGS="build-essential pkgconf libevent-dev libprotobuf-c-dev protobuf-c-compiler libmsgpack-dev liblz4-dev lz4 libfyaml-dev
libcriterion-dev libssl-dev openssl zlib1g-dev librdkafka-dev libnats-dev nats-server
python3 python3-msgpack python3-lz4 valgrind clang-14 libclang-rt-14-dev procps time python3-yaml util-linux
protobuf-compiler python3-protobuf clang-tidy cppcheck libpcre2-dev libsystemd-dev systemd-journal-remote"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all Debian packages present"
    exit 0
fi
echo "deps: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps: not root; run as root or: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
