#!/bin/sh
# demo.sh - the first five minutes with vigil: replay eight days of a normal
# workload with an intrusion on the last night into a scratch folder while
# vigil tails it live; alerts stream on stdout; then show what was shipped.
set -eu
B=${B:-build}
SECONDS_LIVE=${DEMO_SECONDS:-30}
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/vigil-demo.XXXXXX)}
export DEMO_DIR
mkdir -p "$DEMO_DIR/logs" "$DEMO_DIR/out"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Everything printed here fits the terminal: vigil wraps its text alerts
# itself; these notes are folded at spaces to the same width.
cols=$(stty size 2>/dev/null </dev/tty | cut -d' ' -f2) || cols=""
case $cols in '' | *[!0-9]*) cols=${COLUMNS:-80} ;; esac
[ "$cols" -ge 40 ] 2>/dev/null || cols=40
export DEMO_COLUMNS=$cols
say() { printf '%s\n' "$*" | fold -s -w "$cols"; }
rule() { printf '%*s\n' "$((cols > 80 ? 80 : cols))" '' | tr ' ' '-'; }

say "demo: vigil tails the auth log, an API log and shell histories in $DEMO_DIR/logs"
say "demo: replaying 8 days of normal work, then an intrusion, over ${SECONDS_LIVE}s;" \
    "alerts follow"
rule
"$B/vigil" -c conf/demo.yaml &
pid=$!
sleep 0.5
"$B/vigil-gen" scenario "$DEMO_DIR/logs" --live "$SECONDS_LIVE" 2>/dev/null
sleep 2
kill -TERM "$pid"
wait "$pid" || true
pid=""
rule
say "demo: shipped batches (LZ4 frames of msgpack) are in $DEMO_DIR/out:"
ls -l "$DEMO_DIR/out" | cut -c1-"$cols"
say "demo: events per tag, decoded with vigil-cat:"
"$B/vigil-cat" "$DEMO_DIR"/out/* | /usr/bin/python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["tag"] for l in sys.stdin)
for tag, n in sorted(c.items()): print(f"  {tag:14} {n}")'
say "demo: the incident, as shipped (its last and longest chain):"
"$B/vigil-cat" --tag vigil.alert "$DEMO_DIR"/out/* | /usr/bin/python3 -c '
import json, os, sys, textwrap
cols = int(os.environ.get("DEMO_COLUMNS", "80"))
def say(text, first, rest):
    print(textwrap.fill(text, cols, initial_indent=first, subsequent_indent=rest,
                        break_long_words=False, break_on_hyphens=False))
last = None
for l in sys.stdin:
    r = json.loads(l)["record"]
    if r.get("rule") == "incident.chain":
        last = r
if not last:
    print("  (none)")
else:
    head, _, chain = last["message"].partition("): ")
    chain, _, context = chain.partition("; meanwhile on host ")
    say(head + ")", "  ", "  ")
    for step in chain.split(", "):
        say(step, "    - ", "      ")
    if context:
        where, _, steps = context.partition(": ")
        say("meanwhile on host " + where + ", not counted:", "  ", "    ")
        for step in steps.split(", "):
            say(step, "    - ", "      ")
    say("entity: " + " ".join(k + "=" + str(v) for k, v in last["entity"].items()), "  ", "    ")'

say "demo: done; remove $DEMO_DIR when finished looking"
