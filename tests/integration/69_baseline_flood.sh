#!/bin/sh
# Baselines that don't thrash: 20 admins log in from their usual networks for
# two weeks; then a million bot addresses fail to log in (vigil-gen flood)
# while a deploy account logs in once from a fresh cloud address every tenth
# line, all under a 4 MiB detectors.memory_max. The one-off keys are refused
# (counted in --stats), memory stays under the cap, and after a restart
# (baselines from the snapshots) no admin's usual network looks new while a
# new network still raises auth.login.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/state" "$T/logs"
"$VIGIL_GEN" flood "$T/bots.log" --lines 1000000 >/dev/null || fail "vigil-gen flood"
"$PY" - "$T/bots.log" "$T/logs/auth.log" "$T/after.log" <<'PYEOF'
import sys, datetime
start = datetime.datetime(2026, 11, 16, tzinfo=datetime.timezone.utc)   # vigil-gen's day 0
def line(t, msg):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00") + " web-1 sshd[4242]: " + msg + "\n"
def login(t, user, src):
    return line(t, f"Accepted publickey for {user} from {src} port 50022 ssh2: ED25519 SHA256:k")
with open(sys.argv[2], "w") as out:
    for day in range(-14, 0):
        for u in range(20):
            for k in range(4):
                t = start + datetime.timedelta(days=day, hours=9, minutes=2 * u + k)
                out.write(login(t, f"admin{u:02d}", f"10.{u}.0.{5 + k % 2}"))
    for i, l in enumerate(open(sys.argv[1])):
        out.write(l)
        if i % 10 == 9:
            n = i // 10
            out.write(l.split(" ", 1)[0] + " web-1 sshd[4243]: Accepted publickey for deploy from "
                      f"100.{64 + n // 65536}.{n // 256 % 256}.{n % 256} port 40000 ssh2\n")
with open(sys.argv[3], "w") as out:
    for u in range(20):
        out.write(login(start + datetime.timedelta(hours=9, minutes=30, seconds=u),
                        f"admin{u:02d}", f"10.{u}.0.5"))
    out.write(login(start + datetime.timedelta(hours=9, minutes=40), "admin03", "172.16.9.9"))
PYEOF
config() {   # config NAME FILE
    cat >"$T/$1.yaml" <<YEOF
service: {state_dir: $T/state}
inputs:
  - name: auth
    paths: ["$2"]
    read_from: head
    parser: auth
alerts: {format: json, min_severity: info}
detectors:
  memory_max: 4MiB
  learning_period: 0s
outputs: []
YEOF
}
config flood "$T/logs/auth.log"
"$VIGIL" -c "$T/flood.yaml" --once --stats >"$T/flood.json" 2>"$T/e1" || { tail "$T/e1"; fail "--once on the flood"; }
grep -E "detector_mem|auth\." "$T/e1" | sed 's/^/     /'
refused=$(sed -n 's/^detector_mem .*evictions, \([0-9]*\) refused).*/\1/p' "$T/e1")
[ "${refused:-0}" -gt 0 ] || fail "no key refused at the cap"
used=$(sed -n 's/^detector_mem \([0-9]*\) KiB (cap \([0-9]*\) KiB.*/\1 \2/p' "$T/e1")
set -- $used
[ "$1" -le "$2" ] || fail "detector memory $1 KiB over the cap $2 KiB"
say "ok   $refused one-off keys refused; detector memory $1 KiB of $2 KiB"
[ -s "$T/state/baselines/auth.snap" ] || fail "no auth snapshot"

config after "$T/after.log"
"$VIGIL" -c "$T/after.yaml" --once >"$T/after.json" 2>"$T/e2" || { tail "$T/e2"; fail "--once after the restart"; }
grep -q "snapshot set aside" "$T/e2" && fail "snapshot set aside: $(cat "$T/e2")"
"$PY" - "$T/after.json" <<'PYEOF' || fail "usual networks after the flood"
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
login = [a for a in alerts if a["rule"] == "auth.login"]
usual = [a for a in login if a["entity"].get("src_ip", "").startswith("10.")]
for a in usual[:5]:
    print("     usual login raised:", a["message"])
new = [a for a in login if a["entity"].get("src_ip") == "172.16.9.9"]
ok = not usual and new and "new network" in new[0]["message"]
print(("ok   " if ok else "FAIL ") + f"{20 - len(usual)}/20 admins' usual networks still known; "
      f"a new network {'still raises auth.login' if new else 'raised nothing'}")
sys.exit(0 if ok else 1)
PYEOF
