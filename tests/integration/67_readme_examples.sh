#!/bin/sh
# README's examples against what the binary prints:
# - the incident shown under "Detection" is, line for line, the last
#   incident.chain alert that `make demo` (scripts/demo.sh, a shorter replay)
#   prints on an 80-column terminal (VIGIL_COLUMNS=80, COLUMNS=80), but for
#   the "(+N)" counts of a stage, which depend on the live replay's timing;
# - every line `make demo` prints fits those 80 columns;
# - the configuration example passes `vigil --validate`;
# - the mistake example's message is what vigil says for such a mistake.
. "$(dirname "$0")/lib.sh"

README="$ROOT/README.md"

# 1. the demo's incident
(cd "$ROOT" && DEMO_DIR="$T/demo" DEMO_SECONDS=3 COLUMNS=80 VIGIL_COLUMNS=80 B="$B" \
    sh scripts/demo.sh >"$T/demo.out" 2>"$T/demo.err") || { cat "$T/demo.err"; fail "make demo failed"; }
"$PY" - "$README" "$T/demo.out" <<'PYEOF' || fail "README's incident is not what make demo prints"
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<!-- make-demo-incident -->\n```\n(.*?)\n```", readme, re.S)
if not m:
    print("no <!-- make-demo-incident --> block in README.md")
    sys.exit(1)
want = m.group(1).split("\n")
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[2], encoding="utf-8").read())
blocks, cur = [], None
for line in text.split("\n"):
    if re.match(r"\d{4}-\d\d-\d\dT\S+ \S+ ", line):
        cur = [line] if line.split()[2] == "incident.chain" else None
        if cur is not None:
            blocks.append(cur)
    elif cur is not None and line.startswith(" "):
        cur.append(line)
    else:
        cur = None
if not blocks:
    print("make demo printed no incident.chain alert")
    sys.exit(1)
got = blocks[-1]
# How many more alerts a stage had, "(+N)", depends on how far each log was
# read when a live replay raised the incident: compared as words, those
# counts aside (the stages, their order and times must be the same).
def words(lines):
    return re.sub(r"\(\+\d+\)", "(+N)", " ".join(" ".join(lines).split()))
if words(got) != words(want):
    print("README.md shows:")
    print("\n".join(want))
    print("make demo prints:")
    print("\n".join(got))
    sys.exit(1)
long = [l for l in text.split("\n") if len(l) > 80]
if long:
    print(f"{len(long)} lines of make demo wider than 80 columns, first: {long[0]!r}")
    sys.exit(1)
print(f"README incident = make demo's last incident ({len(got)} lines); "
      f"all {text.count(chr(10))} lines of make demo fit 80 columns")
PYEOF

# 2. the configuration example
"$PY" - "$README" "$T/example.yaml" <<'PYEOF' || fail "no configuration example in README"
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"A small\s+example:\n\n```yaml\n(.*?)```", readme, re.S)
open(sys.argv[2], "w").write(m.group(1))
PYEOF
FORWARD_KEY=k "$VIGIL" --validate -c "$T/example.yaml" >/dev/null 2>"$T/example.err" ||
    { cat "$T/example.err"; fail "README's configuration example does not pass --validate"; }
say "README configuration example: --validate ok"

# 3. the mistake example: the same line and column, option path and message
msg=$(sed -n 's/^vigil\.yaml:\([0-9]*\):\([0-9]*\): \(.*\)$/\1 \2 \3/p' "$README" | head -1)
[ -n "$msg" ] || fail "no error example in README"
line=${msg%% *}; rest=${msg#* }; col=${rest%% *}; text=${rest#* }
# a config whose line $line holds a bad batch.max_bytes at column $col
"$PY" - "$T/vigil.yaml" "$line" "$col" <<'PYEOF'
import sys
path, line, col = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
head = ["inputs:", "  - {name: a, paths: [/tmp/x.log]}", "outputs:", "  - name: o", "    type: stdout", "    batch:"]
key = "max_bytes: "
lines = ["# ." for _ in range(line - 1 - len(head))] + head
lines.append(" " * (col - 1 - len(key)) + key + "lots")
open(path, "w").write("\n".join(lines) + "\n")
PYEOF
(cd "$T" && "$VIGIL" --validate -c vigil.yaml >/dev/null 2>"$T/mistake.err") && fail "the mistake was accepted"
grep -qF "vigil.yaml:$line:$col: $text" "$T/mistake.err" ||
    { cat "$T/vigil.yaml" "$T/mistake.err"; fail "README's error example is not what vigil says"; }
say "README error example: $(grep -F "vigil.yaml:$line:$col:" "$T/mistake.err")"
say "README examples: ok"
