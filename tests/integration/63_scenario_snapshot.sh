#!/bin/sh
# Baselines survive a restart: --once on the first 7 days, stop, then --once on
# the last day appended to the same files; the intrusion is still judged on
# the learned week (the baselines come from the snapshots in state_dir) and
# gives the alerts of one run over all 8 days. A corrupt snapshot is set aside
# with a warning, and vigil still starts.
. "$(dirname "$0")/lib.sh"
"$VIGIL_GEN" scenario "$T/logs" --to-day 7 2>/dev/null || fail "vigil-gen days 0-6"
scenario_config split "$T/logs" "$T/state"
"$VIGIL" -c "$T/split.yaml" --once >"$T/week.json" 2>"$T/e1" || { cat "$T/e1"; fail "--once on the week"; }
for d in auth shell_rarity audit egress user_volume incident; do
    [ -s "$T/state/baselines/$d.snap" ] || fail "no snapshot for $d after the week"
done
say "ok   week: $(wc -l <"$T/week.json") alerts, snapshots in state_dir"
cp -r "$T/state" "$T/state-bad"
"$VIGIL_GEN" scenario "$T/logs" --from-day 7 2>/dev/null || fail "vigil-gen day 7"
"$VIGIL" -c "$T/split.yaml" --once >"$T/night.json" 2>"$T/e2" || { cat "$T/e2"; fail "--once on the last day"; }
grep -q "snapshot set aside" "$T/e2" && fail "a good snapshot was set aside: $(cat "$T/e2")"

# The same 8 days in one run, for comparison.
"$VIGIL_GEN" scenario "$T/all" 2>/dev/null || fail "vigil-gen all"
scenario_config full "$T/all" "$T/state-full"
"$VIGIL" -c "$T/full.yaml" --once >"$T/full.json" 2>"$T/e3" || { cat "$T/e3"; fail "--once full"; }
"$PY" - "$T/night.json" "$T/full.json" <<'PYEOF' || fail "restart checks"
import json, sys
SEV = ["info", "low", "medium", "high", "critical"]
night = [json.loads(l) for l in open(sys.argv[1])]
full = [json.loads(l) for l in open(sys.argv[2]) if json.loads(l)["ts"] >= "2026-11-23"]
bad = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        bad.append(what)
login = [a for a in night if a["rule"] == "auth.login" and a["entity"].get("src_ip") == "198.51.100.7"]
check(any(a["severity"] == "critical" for a in login),
      "after the restart the stolen login is still critical (judged on the learned week)")
check(any("usual: 10." in a["message"] for a in login), "its message quotes the learned sources")
inc = [a for a in night if a["rule"] == "incident.chain" and a["entity"].get("user") == "ops-admin"]
stages = set()
if inc:
    story = inc[-1]["message"].split("):", 1)[-1]
    stages = {s.split(":")[0].strip() for s in story.split(",") if ":" in s}
check(len(stages) >= 7, f"the incident for ops-admin has {len(stages)} stages")
check(not any("learning baseline" in a["message"] for a in night), "nothing is back to learning")
key = lambda a: (a["rule"], a["severity"], json.dumps(a["entity"], sort_keys=True))
a, b = {key(x) for x in night}, {key(x) for x in full}
for k in sorted(a - b)[:8]:
    print("     only after the restart:", *k)
for k in sorted(b - a)[:8]:
    print("     only in one run:", *k)
check(a == b, f"the last day gives the same {len(b)} (rule, severity, entity) as one run over 8 days")
sys.exit(1 if bad else 0)
PYEOF

# A corrupt snapshot: set aside with a warning, vigil starts and runs.
printf 'VIGILSNP garbage, not a snapshot' >"$T/state-bad/baselines/auth.snap"
head -c 100 /dev/urandom >"$T/state-bad/baselines/shell_rarity.snap"
scenario_config bad "$T/logs" "$T/state-bad"
"$VIGIL" -c "$T/bad.yaml" --once >"$T/bad.json" 2>"$T/e4" || { cat "$T/e4"; fail "vigil refused to start over a corrupt snapshot"; }
grep -q "detectors.auth: snapshot set aside" "$T/e4" || { cat "$T/e4"; fail "no warning for the corrupt auth snapshot"; }
grep -q "detectors.shell_rarity: snapshot set aside" "$T/e4" || { cat "$T/e4"; fail "no warning for the corrupt shell_rarity snapshot"; }
[ -f "$T/state-bad/baselines/auth.snap.corrupt" ] || fail "corrupt snapshot not kept aside"
grep -q '"rule":"shell.download_exec"' "$T/bad.json" || fail "no detection after starting fresh"
say "ok   a corrupt snapshot is set aside with a warning and vigil still runs"
say "ok"
