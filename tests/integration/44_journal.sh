#!/bin/sh
# The `journal` input on journals written by systemd itself
# (systemd-journal-remote from export-format input):
# 1. sshd, sudo and su entries give the same auth records and alerts as the
#    same events in an auth.log file (parser auth), plus unit and level;
# 2. matches select as journalctl does (same field OR, fields AND, "+");
# 3. kill -9 while reading a folder whose files come and go (a new file
#    written between reads): after restarts nothing is lost;
# 4. a cursor whose file was deleted (vacuumed) is reported, and reading goes
#    on at the oldest entry after it, never from the start again.
. "$(dirname "$0")/lib.sh"
REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || REMOTE=/usr/lib/systemd/systemd-journal-remote
[ -x "$REMOTE" ] || fail "systemd-journal-remote missing (scripts/deps.sh installs it)"
mkdir -p "$T/jdir" "$T/logs"

# gen KIND FROM TO OUT.export: entries as journald would store them; KIND auth
# also writes the same events as auth.log lines to $T/logs/auth.log
gen() {
    "$PY" - "$@" "$T/logs/auth.log" <<'PYEOF'
import sys, time
kind, a, b, out, authlog = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
t0 = 1795000000 * 1000000
def rfc(us):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000)) + ".%06d+00:00" % (us % 1000000)
def entry(f, us, ident, pid, unit, prio, msg):
    f.write("__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n" % (us, us - t0 + 1000))
    f.write("_HOSTNAME=web-1\nSYSLOG_IDENTIFIER=%s\n_PID=%d\n_COMM=%s\nPRIORITY=%d\n" % (ident, pid, ident, prio))
    if unit:
        f.write("_SYSTEMD_UNIT=%s\n" % unit)
    f.write("MESSAGE=%s\n\n" % msg)
with open(out, "w") as f:
    if kind == "auth":
        ev = []
        for i in range(12):
            ev.append(("sshd", 4000 + i, "ssh.service", 6, "Failed password for root from 203.0.113.9 port %d ssh2" % (50000 + i)))
        ev.append(("sshd", 4100, "ssh.service", 6, "Accepted password for alice from 198.51.100.7 port 50100 ssh2"))
        ev.append(("sshd", 4100, "ssh.service", 6, "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"))
        ev.append(("sudo", 4200, "session-3.scope", 5, "   alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow"))
        ev.append(("sudo", 4201, "session-3.scope", 3, "mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash"))
        ev.append(("su", 4300, "session-3.scope", 5, "(to root) alice on pts/1"))
        ev.append(("su", 4301, "session-4.scope", 4, "pam_unix(su:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/3 ruser=bob rhost=  user=root"))
        with open(authlog, "w") as al:
            for k, (ident, pid, unit, prio, msg) in enumerate(ev):
                us = t0 + k * 7000000 + 123456
                entry(f, us, ident, pid, unit, prio, msg)
                al.write("%s web-1 %s[%d]: %s\n" % (rfc(us), ident, pid, msg))
    else:
        for i in range(a, b + 1):
            us = t0 + i * 1000
            entry(f, us, "app" if i % 2 else "worker", 100 + i % 7, "app.service" if i % 2 else "worker.service", 6,
                  "line-%07d some payload for line %d" % (i, i))
PYEOF
}

# 1. journal and auth.log give the same records and alerts
gen auth 0 0 "$T/auth.export"
"$REMOTE" --output="$T/auth.journal" "$T/auth.export" 2>"$T/e" || { cat "$T/e"; fail "journal-remote failed"; }
run() {   # run NAME INPUT_YAML
    mkdir -p "$T/out.$1" "$T/state.$1"
    cat >"$T/$1.yaml" <<YEOF
service: {state_dir: $T/state.$1, flush_interval: 100ms, hostname: other-host}
inputs:
  - name: auth
$2
    read_from: head
    parser: auth
alerts: {format: json, min_severity: info, throttle: 0s}
outputs:
  - {name: archive, type: file, path: $T/out.$1, batch: {max_delay: 50ms}}
YEOF
    "$VIGIL" -c "$T/$1.yaml" --once >"$T/$1.alerts" 2>"$T/$1.err" || { cat "$T/$1.err"; fail "$1: --once failed"; }
}
run jr "    type: journal
    files: [$T/auth.journal]"
run fl "    type: file
    paths: [$T/logs/auth.log]"
"$PY" - "$T" "$VIGIL_CAT" <<'PYEOF' || fail "journal and auth.log differ"
import json, subprocess, sys, os, glob
T, CAT = sys.argv[1], sys.argv[2]
def recs(n):
    out = subprocess.run([CAT] + sorted(glob.glob(f"{T}/out.{n}/*")), capture_output=True, text=True).stdout
    rs = [json.loads(l)["record"] for l in out.splitlines()]
    logs = [r for r in rs if not r.get("rule")]
    return logs, [r for r in rs if r.get("rule")]
jl, ja = recs("jr")
fl, fa = recs("fl")
assert len(jl) == len(fl) == 18, (len(jl), len(fl))
units = {r.get("unit") for r in jl}
assert units == {"ssh.service", "session-3.scope", "session-4.scope"}, units
assert {r.get("level") for r in jl} == {"info", "notice", "error", "warning"}, {r.get("level") for r in jl}
drop = ("message", "input", "path", "unit", "level")
for j, f in zip(jl, fl):
    j2 = {k: v for k, v in j.items() if k not in drop}
    f2 = {k: v for k, v in f.items() if k not in drop}
    assert j2 == f2, (j2, f2)
key = lambda a: (a["rule"], json.dumps(a.get("entity"), sort_keys=True), a.get("severity"))
assert ja and sorted(map(key, ja)) == sorted(map(key, fa)), (sorted(map(key, ja)), sorted(map(key, fa)))
print("%d records, %d alerts: the same from the journal and from auth.log (%s)" %
      (len(jl), len(ja), ", ".join(sorted({a["rule"] for a in ja}))))
PYEOF
say "journal = auth.log: ok"

# 2. matches: sshd entries of ssh.service, or su
rm -rf "$T/out.m" "$T/state.m"
run m "    type: journal
    files: [$T/auth.journal]
    matches: [_SYSTEMD_UNIT=ssh.service, SYSLOG_IDENTIFIER=sshd, SYSLOG_IDENTIFIER=sudo, '+', SYSLOG_IDENTIFIER=su]"
n=$("$VIGIL_CAT" "$T/out.m"/* | grep -v '"rule"' | wc -l)
[ "$n" = 16 ] || fail "matches selected $n entries, want 14 sshd + 2 su"
say "matches: ok"

# 3. kill -9 while reading a folder that gets a new journal file meanwhile
# jlines DIR: the entries' messages (after the `TIME HOST IDENT[PID]: ` head)
jlines() {
    messages "$1" | sed 's/^[^ ]* [^ ]* [^ ]*: //'
}
# after a kill -9: every entry up to the committed cursor is in the output;
# notes (lines shipped so far, number of that entry) for dups_after_commit
ROUNDS=""
commit_check() {
    [ -f "$T/state/checkpoints/jr.cursor" ] || return 0
    k=$(journalctl -D "$T/jdir" -o cat --cursor="$(cat "$T/state/checkpoints/jr.cursor")" 2>/dev/null |
        head -1 | sed -n 's/^line-0*\([0-9]*\) .*/\1/p')
    [ -n "$k" ] || fail "committed cursor not found in the journal"
    jlines "$T/out" >"$T/snap"
    check_at_least_once "$T/snap" line 1 "$k" >/dev/null || fail "entries up to the committed cursor ($k) missing after kill -9"
    ROUNDS="$ROUNDS $(grep -c '^line-' "$T/snap"):$k"
    say "kill -9: committed through entry $k, $(grep -c '^line-' "$T/snap") lines shipped"
}
# every line shipped after a restart is past the cursor committed before it
dups_after_commit() {
    for r in $ROUNDS; do
        n0=${r%%:*} k=${r##*:}
        grep '^line-' "$T/got" | tail -n +$((n0 + 1)) | head -n "$k" | "$PY" -c '
import sys
k = int(sys.argv[1])
early = [l for l in sys.stdin if int(l.split()[0].split("-")[1]) <= k]
if early:
    print("re-shipped at or before the committed entry %d: %s" % (k, early[0].strip())); sys.exit(1)' "$k" ||
            fail "duplicates from before the last commit"
    done
}
jcount() {   # jcount DIR N: at least N distinct entries arrived
    [ "$(jlines "$1" | grep '^line-' | cut -d' ' -f1 | sort -u | wc -l)" -ge "$2" ]
}
gen lines 1 30000 "$T/c1.export"
"$REMOTE" --output="$T/jdir/c1.journal" "$T/c1.export" 2>/dev/null
mkdir -p "$T/out" "$T/state"
cat >"$T/k.yaml" <<YEOF
service: {state_dir: $T/state, flush_interval: 50ms}
inputs:
  - {name: jr, type: journal, directory: $T/jdir, read_from: head, poll_interval: 100ms, parser: syslog}
outputs:
  - {name: archive, type: file, path: $T/out, batch: {max_delay: 20ms, max_events: 500}}
YEOF
start_vigil "$T/k.yaml"
wait_until 20 jcount "$T/out" 2000 || fail "reading did not start"
kill9_vigil
commit_check
gen lines 30001 40000 "$T/c2.export"
"$REMOTE" --output="$T/jdir/c2.journal" "$T/c2.export" 2>/dev/null
start_vigil "$T/k.yaml"
wait_until 20 jcount "$T/out" 35000 || true
kill9_vigil
commit_check
start_vigil "$T/k.yaml"
wait_until 60 jcount "$T/out" 40000 || { messages "$T/out" | wc -l; fail "entries lost after kill -9"; }
# a new journal file while vigil reads the folder (rotation)
gen lines 40001 40500 "$T/c2b.export"
"$REMOTE" --output="$T/jdir/c2b.journal" "$T/c2b.export" 2>/dev/null
wait_until 30 jcount "$T/out" 40500 || fail "a journal file appearing while reading was not read"
stop_vigil
jlines "$T/out" >"$T/got"
check_at_least_once "$T/got" line 1 40500 || fail "kill -9 lost entries"
dups_after_commit
say "kill -9 while reading: ok"

# 4. the file holding the saved cursor is vacuumed; a newer file arrives
before=$(wc -l <"$T/got")
rm -f "$T/jdir/c2b.journal"
gen lines 40501 41500 "$T/c3.export"
"$REMOTE" --output="$T/jdir/c3.journal" "$T/c3.export" 2>/dev/null
: >"$T/vigil.err"
start_vigil "$T/k.yaml"
wait_until 20 jcount "$T/out" 41500 || fail "entries after a vacuumed cursor not read"
stop_vigil
grep -q "saved cursor no longer in the journal" "$T/vigil.err" || { cat "$T/vigil.err"; fail "vacuumed cursor not reported"; }
jlines "$T/out" >"$T/got"
check_at_least_once "$T/got" line 40501 41500 || fail "entries after the vacuumed cursor lost"
after=$(grep -c '^line-' "$T/got")
[ $((after - before)) -eq 1000 ] || fail "resumed elsewhere than after the vacuumed cursor: $((after - before)) new lines, want 1000"
say "vacuumed cursor: ok"

# 5. read_from tail: only entries written after the start; a folder that
# appears later is read from its start
rm -rf "$T/out" "$T/state" && mkdir -p "$T/out"
cat >"$T/t.yaml" <<YEOF
service: {state_dir: $T/state, flush_interval: 50ms}
inputs:
  - {name: jr, type: journal, directory: $T/jdir, read_from: tail, poll_interval: 100ms, parser: syslog}
  - {name: late, type: journal, directory: $T/late, read_from: tail, poll_interval: 100ms, parser: syslog}
outputs:
  - {name: archive, type: file, path: $T/out, batch: {max_delay: 20ms}}
YEOF
: >"$T/vigil.err"
start_vigil "$T/t.yaml"
# inputs start in order: jr has sought its tail once late reports its folder missing
wait_until 10 grep -q "cannot open $T/late" "$T/vigil.err" || { cat "$T/vigil.err"; fail "missing folder not reported"; }
gen lines 50001 50050 "$T/c4.export"
"$REMOTE" --output="$T/jdir/c4.journal" "$T/c4.export" 2>/dev/null
mkdir -p "$T/late"
gen lines 60001 60020 "$T/c5.export"
"$REMOTE" --output="$T/late/c5.journal" "$T/c5.export" 2>/dev/null
wait_until 20 jcount "$T/out" 70 || { jlines "$T/out" | wc -l; fail "new entries and the late folder not read"; }
stop_vigil
jlines "$T/out" >"$T/got"
[ "$(grep -c '^line-' "$T/got")" = 70 ] || fail "read_from tail read old entries: $(grep -c '^line-' "$T/got") lines, want 50 new + 20 late"
check_exact "$T/got" line 50001 50050 >/dev/null && check_exact "$T/got" line 60001 60020 >/dev/null ||
    fail "tail / late folder entries not each once"
say "read_from tail and a folder appearing later: ok"
say "ok"
