#!/bin/sh
# demo.sh - the first five minutes with vigil: replay eight days of a normal
# workload with an intrusion on the last night into a scratch folder while
# vigil tails it live; alerts stream on stdout; then show what was shipped.
set -eu
B=${B:-build}
SECONDS_LIVE=${DEMO_SECONDS:-30}
DEMO_DIR=$(mktemp -d /tmp/vigil-demo.XXXXXX)
export DEMO_DIR
mkdir -p "$DEMO_DIR/logs" "$DEMO_DIR/out"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "demo: vigil tails $DEMO_DIR/logs (auth.log, app/api.log, home/*/.bash_history)"
echo "demo: replaying 8 days of normal work, then an intrusion, over ${SECONDS_LIVE}s; alerts follow"
echo "------------------------------------------------------------------------------"
"$B/vigil" -c conf/demo.yaml &
pid=$!
sleep 0.5
"$B/vigil-gen" scenario "$DEMO_DIR/logs" --live "$SECONDS_LIVE" 2>/dev/null
sleep 2
kill -TERM "$pid"
wait "$pid" || true
pid=""
echo "------------------------------------------------------------------------------"
echo "demo: shipped batches (LZ4 frames of msgpack) are in $DEMO_DIR/out:"
ls -l "$DEMO_DIR/out"
echo "demo: events per tag, decoded with vigil-cat:"
"$B/vigil-cat" "$DEMO_DIR"/out/* | /usr/bin/python3 -c '
import json, sys, collections
c = collections.Counter(json.loads(l)["tag"] for l in sys.stdin)
for tag, n in sorted(c.items()): print(f"  {tag:14} {n}")'
echo "demo: the incident, as shipped (its last and longest chain):"
"$B/vigil-cat" --tag vigil.alert "$DEMO_DIR"/out/* | /usr/bin/python3 -c '
import json, sys
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
    print("  " + head + ")")
    for step in chain.split(", "):
        print("    - " + step)
    if context:
        where, _, steps = context.partition(": ")
        print("  meanwhile on host " + where + ", not counted:")
        for step in steps.split(", "):
            print("    - " + step)
    print("  entity: " + json.dumps(last["entity"]))'

echo "demo: done; remove $DEMO_DIR when finished looking"
