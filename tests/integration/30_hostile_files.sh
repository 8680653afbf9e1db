#!/bin/sh
# A hostile application container writes the folder vigil reads. With the
# default follow_symlinks: inside, none of these is shipped: a symlink to
# /proc/self/environ (vigil's own environment, with a secret in it), to a
# 0600 token outside the log folder (vigil runs as root here, so only the
# policy stops it), to /proc/self/stat (never re-shipped at every poll), to
# /dev/zero, a FIFO, a symlinked subfolder pointing out of the log folder.
# A symlink to a file inside the folder is followed. Each refusal is logged
# once, escaped, and counted (vigil_input_files_refused_total). With
# follow_symlinks: all the token is read, /proc and /dev still are not;
# with none, no symlink is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
mkdir -p "$T/logs/sub" "$T/private" "$T/elsewhere"
export VIGIL_TEST_FORWARD_KEY="EnvSecret-5d1"
printf 'TOKEN-7f3a\n' >"$T/private/token"; chmod 600 "$T/private/token"
printf 'OUTSIDE-dir\n' >"$T/elsewhere/x.log"
printf 'inner-1\n' >"$T/logs/sub/inner.txt"
write_lines "$T/logs/app.log" 1 100 app
ln -s /proc/self/environ "$T/logs/env.log"
ln -s /proc/self/stat "$T/logs/stat.log"
ln -s /dev/zero "$T/logs/zero.log"
ln -s "$T/private/token" "$T/logs/token.log"
ln -s "$T/logs/sub/inner.txt" "$T/logs/inner.log"
ln -s "$T/elsewhere" "$T/logs/out"
mkfifo "$T/logs/fifo.log"
# a name with a newline and an escape: logged escaped, never raw
ln -s "$T/private/token" "$T/logs/$(printf 'evil\nFORGED\033[31m').log"

run() {   # run FOLLOW: a fresh output and state, vigil until app-100 is out
    rm -rf "$T/out" "$T/state"; mkdir -p "$T/out" "$T/state"
    : >"$T/vigil.err"
    cat >"$T/h.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
  http: {listen: "127.0.0.1:0"}
inputs:
  - name: app
    paths: ["$T/logs/*.log", "$T/logs/*/*.log"]
    read_from: head
    refresh_interval: 100ms
    poll_interval: 50ms
    follow_symlinks: $1
outputs:
  - {name: archive, type: file, path: "$T/out", batch: {max_delay: 50ms}}
YEOF
    start_vigil_api "$T/h.yaml"
    wait_for 20 count_messages "$T/out" '^app-' 100 || { tail "$T/vigil.err"; fail "app lines not shipped ($1)"; }
    wait_for 20 metric_ge 'vigil_input_files_refused_total{input="app"}' "$2" || fail "refusals not counted ($1)"
    # many polls and scans: a procfs file would be shipped again at each
    n1=$(messages "$T/out" | wc -l)
    sleep 1
    n2=$(messages "$T/out" | wc -l)
    [ "$n1" = "$n2" ] || fail "lines keep coming ($n1 then $n2): something is re-read at every poll"
    refused=$(metric 'vigil_input_files_refused_total{input="app"}')
    stop_vigil
    messages "$T/out" >"$T/got"
}

run inside 7
grep -q 'EnvSecret' "$T/got" && fail "vigil shipped its own environment"
grep -q 'TOKEN-7f3a' "$T/got" && fail "a symlink out of the log folder was followed"
grep -q 'OUTSIDE-dir' "$T/got" && fail "a symlinked subfolder out of the log folder was followed"
grep -qx 'inner-1' "$T/got" || fail "a symlink to a file inside the folder was not followed"
check_exact "$T/got" app 1 100
[ "$(wc -l <"$T/got")" = 101 ] || fail "unexpected lines: $(wc -l <"$T/got")"
for f in env.log stat.log zero.log token.log fifo.log out/x.log; do
    n=$(grep -c "file=\"$T/logs/$f\"" "$T/vigil.err" || true)
    [ "$n" = 1 ] || { cat "$T/vigil.err"; fail "$f: logged $n times, want once"; }
done
grep -q 'evil\\nFORGED\\x1b\[31m.log' "$T/vigil.err" || { cat "$T/vigil.err"; fail "the odd name is not logged escaped"; }
grep -a -q '^FORGED' "$T/vigil.err" && fail "a file name forged a log line"
[ "$refused" = 7 ] || fail "refused $refused, want 7 (env, stat, zero, token, odd name, fifo, out/x.log)"
say "follow_symlinks inside: 101 lines (app and the inside link), $refused refused, each logged once"

run all 4
grep -q 'EnvSecret' "$T/got" && fail "all: vigil shipped its own environment"
grep -q 'TOKEN-7f3a' "$T/got" || fail "all: the symlinked token was not followed"
grep -q 'OUTSIDE-dir' "$T/got" || fail "all: the symlinked subfolder was not followed"
[ "$refused" = 4 ] || fail "all: refused $refused, want 4 (/proc twice, /dev, fifo)"
say "follow_symlinks all: symlinks followed, /proc and /dev still refused ($refused)"

run none 8
grep -q 'inner-1' "$T/got" && fail "none: a symlink was followed"
[ "$refused" = 8 ] || fail "none: refused $refused, want 8"
say "follow_symlinks none: no symlink followed ($refused refused)"

# A race: for 3 s a planted name is switched atomically (rename of a fresh
# symlink over it) between a file inside the folder and the token, and a
# subfolder between a real folder and a symlink to the private one, while
# every switch makes vigil rescan. The token is never shipped.
rm -f "$T/logs/token.log" "$T/logs/$(printf 'evil\nFORGED\033[31m').log"
mkdir -p "$T/logs/racedir.real"
printf 'race-inside\n' >"$T/logs/sub/race.txt"
printf 'race-dir\n' >"$T/logs/racedir.real/r.log"
cp "$T/private/token" "$T/private/r.log"
"$PY" - "$T" <<'PYEOF' &
import os, sys, time
T = sys.argv[1]
L = T + "/logs"
end = time.time() + 3
i = 0
while time.time() < end:
    i += 1
    for name, a, b in (("race.log", L + "/sub/race.txt", T + "/private/token"),
                       ("racedir", L + "/racedir.real", T + "/private")):
        tmp = "%s/.%s.%d" % (L, name, i)
        os.symlink(a if i % 2 else b, tmp)
        os.rename(tmp, L + "/" + name)
PYEOF
RACER=$!; PIDS="$PIDS $RACER"
rm -rf "$T/out" "$T/state"; mkdir -p "$T/out" "$T/state"
sed -i "s|follow_symlinks: none|follow_symlinks: inside|" "$T/h.yaml"
start_vigil "$T/h.yaml"
wait "$RACER" || true
wait_for 20 count_messages "$T/out" '^app-' 100 || fail "race: app lines not shipped"
stop_vigil
messages "$T/out" >"$T/got"
grep -q 'TOKEN-7f3a' "$T/got" && fail "the token was shipped during the race"
say "3 s of symlink swaps: the token never shipped ($(grep -c '^race-' "$T/got" || true) lines from the inside targets)"
