#!/bin/sh
# A learned normal week, then the full intrusion, through the real binary with
# --once: one critical incident for ops-admin from 198.51.100.7 holding every
# stage of the lifecycle, the alerts that tell each step (rule, severity,
# entity), and the benign rarities of the normal week staying low.
. "$(dirname "$0")/lib.sh"
"$VIGIL_GEN" scenario "$T/logs" 2>"$T/gen.err" || { cat "$T/gen.err"; fail "vigil-gen"; }
scenario_config v "$T/logs" "$T/state"
"$VIGIL" -c "$T/v.yaml" --once >"$T/alerts.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero"; }
say "$(wc -l <"$T/alerts.json") alerts from $(cat "$T"/logs/auth.log "$T"/logs/app/*.log "$T"/logs/home/*/.bash_history | wc -l) lines"
"$PY" - "$T/alerts.json" <<'PYEOF' || fail "scenario checks"
import json, re, sys
SEV = ["info", "low", "medium", "high", "critical"]
alerts = [json.loads(l) for l in open(sys.argv[1])]
bad = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        bad.append(what)

def find(rule, min_sev="info", **entity):
    return [a for a in alerts if a["rule"] == rule and SEV.index(a["severity"]) >= SEV.index(min_sev)
            and all(a["entity"].get(k) == v for k, v in entity.items())]

# The incident: one chain for the intruder, critical, extended in place.
inc = find("incident.chain", user="ops-admin")
check(bool(inc), "an incident.chain for ops-admin")
others = [a["message"][:100] for a in find("incident.chain") if a not in inc]
check(not others, f"no other incident ({others[:3]})")
ids = {re.match(r"incident #(\d+)", a["message"]).group(1) for a in inc}
check(len(ids) == 1, f"one incident for ops-admin (got {sorted(ids)})")
last = inc[-1] if inc else {"message": "", "entity": {}, "severity": ""}
check(all(a["severity"] == "critical" for a in inc), "incident severity critical")
check(last["entity"].get("src_ip") == "198.51.100.7", f"incident entity src_ip 198.51.100.7 ({last['entity']})")
# "...: stage: rule at hh:mm, ...; meanwhile on host web-1 (no user): stage: rule at hh:mm, ..."
story, _, context = last["message"].split("):", 1)[-1].partition("; meanwhile on host")
parse = lambda text: [(s.split(":")[0].strip(), s.split(":")[1].split(" at ")[0].strip())
                      for s in text.split(",") if ":" in s]
steps = parse(story)
stages = {s for s, _ in steps}
quoted = {s for s, _ in parse(context.split(":", 1)[-1])} if context else set()
want = {"initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion",
        "credential-access", "discovery", "lateral-movement", "collection", "exfiltration"}
print(f"     stages: {sorted(stages)}; quoted from the host: {sorted(quoted)}")
check(len(stages) >= 7, f"at least 7 distinct stages ({len(stages)})")
check(want <= stages, f"every lifecycle stage of the intrusion joins it (missing {sorted(want - stages)})")
# The C2 names no user: quoted as the host's context, never a stage of ops-admin.
check("command-and-control" in quoted, "the C2 beacon is quoted as the host's context")
check(not [r for _, r in steps if r.startswith("egress.")], f"no host-only alert is a stage ({steps})")

# The steps, each with its severity and entity.
expect = [
    ("auth.login", "critical", dict(user="ops-admin", src_ip="198.51.100.7")),
    ("auth.spray", "high", dict(src_ip="203.0.113.45")),
    ("auth.sudo_new_command", "medium", dict(user="ops-admin", command="/bin/bash")),
    ("auth.account_created", "high", dict(user="svc-backup", src_ip="198.51.100.7")),
    ("auth.privileged_group_add", "high", dict(user="svc-backup", src_ip="198.51.100.7")),
    ("audit.new_source", "medium", dict(identity="ops-admin", src_ip="198.51.100.7")),
    ("audit.new_action", "high", dict(identity="ops-admin", command="CreateAccessKey")),
    ("audit.new_action", "high", dict(identity="ops-admin", command="GetSecretValue")),
    ("audit.denied_burst", "medium", dict(identity="ops-admin", src_ip="198.51.100.7")),
    ("shell.recon_burst", "medium", dict(user="ops-admin")),
    ("shell.cloud_metadata", "high", dict(user="ops-admin")),
    ("shell.cred_shadow", "high", dict(user="ops-admin")),
    ("shell.download_exec", "high", dict(user="ops-admin")),
    ("shell.persist_ssh_key", "high", dict(user="ops-admin")),
    ("shell.lateral_new_host", "medium", dict(user="ops-admin")),
    ("shell.archive_password", "high", dict(user="ops-admin")),
    ("shell.history_clear", "high", dict(user="ops-admin")),
    ("egress.beacon", "high", dict(dst_host="update-check.cdn-g00gle.com")),
    ("egress.exfil", "high", dict(dst_host="files.transfer-drop.io")),
    ("app.user_volume", "high", dict(user="ops-admin")),
]
for rule, sev, ent in expect:
    check(bool(find(rule, sev, **ent)), f"{rule} >= {sev} for {ent}")
# The spray is also a brute force from that source: one burst, three lines.
guess = [a for a in alerts if a["rule"] in ("auth.bruteforce", "auth.spray", "auth.scan")
         and a["entity"].get("src_ip") == "203.0.113.45"]
check(1 <= len(guess) <= 3, f"the intruder's guessing is one burst of at most 3 lines ({len(guess)})")
check(not find("egress.new_destination", dst_host="files.transfer-drop.io"),
      "850 MB to a new host is exfiltration, not only a new destination")

# Benign rarities stay low: a key login from a new office network in working
# hours, and nothing above low outside the attack (01:50-04:00 on the 23rd).
bob = find("auth.login", user="bob", src_ip="10.9.0.3")
check(bool(bob) and all(SEV.index(a["severity"]) <= 1 for a in bob),
      f"bob's key login from the new office is at most low ({[a['severity'] for a in bob]})")
attack = lambda a: "2026-11-23T01:50" <= a["ts"] < "2026-11-23T04:00"
noisy = [a for a in alerts if not attack(a) and SEV.index(a["severity"]) >= 2]
for a in noisy[:5]:
    print("     outside the attack:", a["ts"], a["severity"], a["rule"], a["message"][:120])
check(not noisy, f"no alert above low outside the attack ({len(noisy)})")
sys.exit(1 if bad else 0)
PYEOF
say "ok"
