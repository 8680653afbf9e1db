#!/bin/sh
# The container image without a container engine: the build stage's install
# step run into a scratch root, the runtime stage's package list checked
# against what the binary links, and vigil started from that root as a
# non-root user on a read-only log folder, with its HEALTHCHECK command.
. "$(dirname "$0")/lib.sh"
chmod 0755 "$T"
D="$ROOT/Dockerfile"
grep -q '^FROM debian:bookworm-slim AS build' "$D" || fail "build stage is not debian:bookworm-slim"
[ "$(grep -c '^FROM debian:bookworm-slim' "$D")" = 2 ] || fail "runtime stage is not debian:bookworm-slim"
grep -q '^USER 10001' "$D" || fail "image does not run as an unprivileged user"
grep -q '^STOPSIGNAL SIGTERM' "$D" || fail "no STOPSIGNAL SIGTERM"
grep -q '^HEALTHCHECK .*--healthcheck' "$D" || fail "no HEALTHCHECK on /healthz"

make -s -C "$ROOT" B="$B" -o all install DESTDIR="$T/root" PREFIX=/usr >/dev/null
[ -x "$T/root/usr/bin/vigil" ] && [ -x "$T/root/usr/bin/vigil-cat" ] && [ -f "$T/root/etc/vigil/vigil.yaml" ] \
    || fail "install step did not lay out /usr/bin/vigil, vigil-cat and /etc/vigil/vigil.yaml"
for m in "$ROOT/$B"/modules/vigil-*.so; do
    [ -f "$T/root/usr/lib/vigil/${m##*/}" ] || fail "install step did not put ${m##*/} in /usr/lib/vigil"
done
say "install into a scratch root: ok"

# Every shared library of vigil and its modules must come from a package the runtime stage installs
# (or one of their dependencies, or the base image's essential set).
runtime=$(sed -n '/^FROM debian:bookworm-slim$/,$p' "$D" | sed -n '/apt-get install/,/rm -rf/p' \
    | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|y|no|recommends|-rf)$' || true)
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $runtime libc6 2>/dev/null | grep -vE '^ |<' | sed 's/:.*//' | sort -u)
# (a `make check` build links the sanitizer runtimes, which no image ships:
# the check is for release builds only)
libs=$(for f in "$T/root/usr/bin/vigil" "$T/root/usr/lib/vigil"/vigil-*.so; do ldd "$f"; done \
    | awk '/=>/ {print $3}' | sort -u)
echo "$libs" | grep -q '/libasan\.so' && { libs=""; echo "sanitizer build: library check skipped"; }
for lib in $libs; do
    pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$pkg" ] || fail "no package owns $lib"
    echo "$closure" | grep -qx "$pkg" || fail "$lib comes from $pkg, which the runtime stage does not install"
done
say "runtime packages cover every linked library: ok"

# Run from the scratch root as nobody, logs read-only, state private.
mkdir -p "$T/logs" "$T/state"
printf '' >"$T/logs/auth.log"
chmod 0755 "$T/logs"
chmod 0644 "$T/logs/auth.log"
chown 65534:65534 "$T/state"
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
  http: {listen: "127.0.0.1:$port"}
inputs:
  - name: auth
    paths: ["$T/logs/auth.log"]
    parser: auth
alerts:
  format: json
outputs:
  - name: archive
    type: file
    path: $T/state/out
YEOF
chmod 0644 "$T/v.yaml"
setpriv --reuid=65534 --regid=65534 --clear-groups "$T/root/usr/bin/vigil" -c "$T/v.yaml" \
    >"$T/vigil.out" 2>"$T/vigil.err" &
VPID=$!
PIDS="$PIDS $VPID"
wait_until 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$T/root/usr/bin/vigil" --healthcheck -c "$T/v.yaml" \
    || { cat "$T/vigil.err"; fail "--healthcheck did not report healthy"; }
echo "2026-11-26T03:10:01.000000+00:00 web-1 sshd[4242]: Accepted password for root from 198.51.100.7 port 4242 ssh2" >>"$T/logs/auth.log"
wait_until 10 grep -q '198.51.100.7' "$T/vigil.out" || { cat "$T/vigil.err"; fail "no alert from the non-root vigil"; }
stop_vigil
[ "$(stat -c %U "$T/state/checkpoints" 2>/dev/null || stat -c %U "$T/state")" = nobody ] || fail "state not owned by the running user"
bad=$(find "$T/state" -type f -perm /077 | head -3)
[ -z "$bad" ] || fail "state files readable by others: $bad"
bad=$(find "$T/state" -mindepth 1 -type d -perm /077 | head -3)
[ -z "$bad" ] || fail "state folders open to others: $bad"
[ "$(ls "$T/logs")" = auth.log ] || fail "vigil wrote into the log folder"
say "non-root run on read-only logs, health check, private state: ok"
