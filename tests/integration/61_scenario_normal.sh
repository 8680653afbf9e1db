#!/bin/sh
# A busy but normal workload (8 days, API traffic 12 times the default, no
# intrusion) through the real binary with --once: no high or critical alert,
# no incident, and the false-alert rate (alerts >= low per 100k lines) printed.
. "$(dirname "$0")/lib.sh"
"$VIGIL_GEN" scenario "$T/logs" --no-intrusion --scale 12 2>"$T/gen.err" ||
    { cat "$T/gen.err"; fail "vigil-gen"; }
scenario_config v "$T/logs" "$T/state"
"$VIGIL" -c "$T/v.yaml" --once >"$T/alerts.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero"; }
lines=$(cat "$T"/logs/auth.log "$T"/logs/app/*.log "$T"/logs/home/*/.bash_history | wc -l)
"$PY" - "$T/alerts.json" "$lines" <<'PYEOF' || fail "normal workload checks"
import collections, json, sys
SEV = ["info", "low", "medium", "high", "critical"]
alerts = [json.loads(l) for l in open(sys.argv[1])]
lines = int(sys.argv[2])
by = collections.Counter((a["severity"], a["rule"]) for a in alerts)
for (sev, rule), n in sorted(by.items(), key=lambda kv: (-SEV.index(kv[0][0]), kv[0][1])):
    print(f"     {n:4d} {sev:8s} {rule}")
false = [a for a in alerts if SEV.index(a["severity"]) >= 1]
medium = [a for a in alerts if SEV.index(a["severity"]) >= 2]
high = [a for a in alerts if SEV.index(a["severity"]) >= 3]
rate = len(false) * 100000 / lines
print(f"     {lines} normal lines: {len(false)} alerts >= low = {rate:.1f} per 100k lines "
      f"({len(medium) * 100000 / lines:.1f} >= medium)")
for a in high[:5]:
    print("FAIL", a["ts"], a["severity"], a["rule"], a["message"][:160])
ok = not high and lines >= 100000 and rate < 50
print(("ok   " if not high else "FAIL ") + "no high or critical alert on a busy normal week")
print(("ok   " if rate < 50 else "FAIL ") + "fewer than 50 alerts >= low per 100k lines")
sys.exit(0 if ok else 1)
PYEOF
say "ok"
