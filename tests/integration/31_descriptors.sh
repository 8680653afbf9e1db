#!/bin/sh
# More files than descriptors: 10,000 matching files under a hard limit of
# 1024 descriptors (vigil raises its soft limit to the hard one, so the hard
# one is lowered here). vigil keeps a reserve for its output, checkpoints and
# HTTP endpoint, closes idle files (least recent growth first) and reopens
# them by path and identity when they grow: every line of every file is
# shipped exactly once, checkpoints are written, nothing fails for want of a
# descriptor, and the closes and reopens are counted in /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/peers.sh"
N=${DESCRIPTOR_FILES:-10000}
mkdir -p "$T/logs" "$T/out" "$T/state"
"$PY" - "$T/logs" "$N" 1 <<'PYEOF'
import sys
d, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(f"{d}/f{i:05d}.log", "a") as f:
        f.write(f"line-{k * 100000 + i:07d} some payload for line {k * 100000 + i}\n")
PYEOF
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 200ms
  http: {listen: "127.0.0.1:0"}
inputs:
  - name: many
    paths: ["$T/logs/*.log"]
    read_from: head
    refresh_interval: 1s
    poll_interval: 1s
outputs:
  - {name: archive, type: file, path: "$T/out", batch: {max_delay: 100ms}}
YEOF
ulimit -Sn 1024
ulimit -Hn 1024
start_vigil_api "$T/v.yaml"
wait_for 120 count_messages "$T/out" '^line-' "$N" || { tail "$T/vigil.err"; fail "first lines: $(messages "$T/out" | wc -l) of $N"; }
say "first line of each of $N files shipped"
# every file grows again: most are closed by now and must be reopened
"$PY" - "$T/logs" "$N" 2 <<'PYEOF'
import sys
d, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(f"{d}/f{i:05d}.log", "a") as f:
        f.write(f"line-{k * 100000 + i:07d} some payload for line {k * 100000 + i}\n")
PYEOF
wait_for 180 count_messages "$T/out" '^line-' $((2 * N)) || { tail "$T/vigil.err"; fail "second lines: $(messages "$T/out" | wc -l) of $((2 * N))"; }
closed=$(metric 'vigil_input_files_closed_total{input="many",reason="descriptor_budget"}')
reopened=$(metric 'vigil_input_files_reopened_total{input="many"}')
[ "${closed%.*}" -ge $((N - 1024)) ] || fail "closed for the budget: $closed"
[ "${reopened%.*}" -ge $((N - 1024)) ] || fail "reopened: $reopened"
say "closed $closed idle files for the descriptor budget, reopened $reopened"
wait_for 10 test -s "$T/state/checkpoints/many.ckpt" || fail "no checkpoint written"
stop_vigil
rows=$(($(wc -l <"$T/state/checkpoints/many.ckpt") - 2))
[ "$rows" = "$N" ] || fail "checkpoint rows: $rows, want $N"
if grep -q 'Too many open files\|checkpoint failed' "$T/vigil.err"; then
    grep -c 'Too many open files' "$T/vigil.err"; fail "descriptors ran out"
fi
messages "$T/out" >"$T/got"
"$PY" - "$T/got" "$N" <<'PYEOF'
import sys, collections
path, n = sys.argv[1], int(sys.argv[2])
c = collections.Counter(l.split()[0] for l in open(path) if l.startswith("line-"))
want = {f"line-{k * 100000 + i:07d}" for k in (1, 2) for i in range(n)}
missing = want - set(c)
dups = [k for k, v in c.items() if v > 1]
if missing or dups or set(c) - want:
    print(f"{len(missing)} missing, {len(dups)} duplicated")
    sys.exit(1)
print(f"{len(want)} lines, each exactly once")
PYEOF
say "checkpoint: $rows rows; no descriptor error in $(wc -l <"$T/vigil.err") log lines"
# --once over the same files from scratch: every file read to its end, parked
# in turn, nothing left behind
sed -e "s|$T/state|$T/state2|; s|$T/out|$T/out2|" "$T/v.yaml" >"$T/once.yaml"
mkdir -p "$T/out2"
${VIGIL_WRAP:-} "$VIGIL" -c "$T/once.yaml" --once >>"$T/vigil.out" 2>>"$T/vigil.err" || fail "--once exited $?"
n=$(messages "$T/out2" | grep -c '^line-' || true)
[ "$n" = $((2 * N)) ] || fail "--once shipped $n of $((2 * N)) lines"
say "--once: $n lines from $N files"
