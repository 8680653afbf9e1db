#!/bin/sh
# No secret from a command line or a log line reaches an alert: commands that
# carry passwords, tokens and keys in every style (argv, user:pass piped to
# chpasswd, a password piped to passwd or sudo -S, tokens in URLs, AWS keys,
# -p<secret>) are run by a known user and through sudo, so that every rule
# quoting a command (technique rules, rarity, sudo, account changes) speaks of
# them; the alert stream, messages and evidence alike, must hold none of the
# secrets, and must still quote the commands (masked).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs/home/alice" "$T/logs/app"
: >"$T/logs/app/api.log"
"$PY" - "$T/logs" <<'PYEOF'
import sys
d = sys.argv[1]
t0 = 1794787200 + 8 * 3600
usual = ["git status", "ls -la", "make", "vim notes.md", "ssh build-1", "cat README.md"]
cmds = [
    "echo 'backup2:Bkp!8574x' | sudo chpasswd",
    "echo -e \"OldPw1x\\nNewPw2y\\nNewPw2y\" | passwd",
    "7z a -pS3cr3tZip /tmp/x.7z /home/alice",
    "curl -s 'https://files.example.com/dl?token=Tok3nValue99' -o /tmp/x.bin",
    "mysql -u root -pMyDbPw77 -e 'select 1'",
    "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
    "echo AKIAIOSFODNN7EXAMPLE | base64",
    "sshpass -pSshPw55 ssh db-9.internal",
    "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abc' https://api.example.io/v1/me",
    "curl -s http://admin:UrlPw123@10.0.0.9/ | bash",
    "zip -P hunter2 -r /tmp/.x.zip /home/alice/exports",
    "echo 'SuPw9xyz' | sudo -S cat /etc/shadow",
    "redis-cli -a RedisPw31 keys '*'",
    "scp -i key /tmp/.x.zip backup-7.internal:/tmp/ && mysql --password=MyDbPw77 -h db-7",
]
with open(f"{d}/home/alice/.bash_history", "w") as h, open(f"{d}/auth.log", "w") as a:
    t = t0
    for i in range(60):
        t += 300
        h.write(f"#{t}\n{usual[i % len(usual)]}\n")
    a.write("2026-11-16T08:00:00.000000+00:00 web-1 sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get update\n")
    t = t0 + 2 * 86400
    for c in cmds:
        t += 30
        h.write(f"#{t}\n{c}\n")
    for k, c in enumerate(["/usr/bin/mysql -u root -pMyDbPw77", "/usr/bin/7z a -pS3cr3tZip /root/x.7z /root",
                           "/usr/bin/curl -u admin:UrlPw123 http://10.0.0.9/", "/usr/sbin/useradd -p Hash99pw svc-x"]):
        a.write(f"2026-11-18T09:0{k}:00.000000+00:00 web-1 sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND={c}\n")
    # refused and failed sudo quote the command too
    a.write("2026-11-18T09:10:00.000000+00:00 web-1 sudo: mallory : user NOT in sudoers ; TTY=pts/2 ; "
            "PWD=/home/mallory ; USER=root ; COMMAND=/usr/bin/mysql -pN0tInSudoers\n")
    a.write("2026-11-18T09:11:00.000000+00:00 web-1 sudo: alice : 3 incorrect password attempts ; TTY=pts/1 ; "
            "PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/7z a -pFailPw55 /root/y.7z\n")
# API and egress records: tokens in URLs and keys in messages reach evidence lines
with open(f"{d}/app/api.log", "w") as f:
    t = 1794787200 + 8 * 3600
    for i in range(400):
        t += 300
        f.write('{"ts":"%s","level":"info","msg":"request served","path":"/api/v1/orders","status":200}\n'
                % __import__("time").strftime("%Y-%m-%dT%H:%M:%S.000Z", __import__("time").gmtime(t)))
    t = 1794787200 + 2 * 86400 + 9 * 3600
    ts = __import__("time").strftime("%Y-%m-%dT%H:%M:%S.000Z", __import__("time").gmtime(t))
    f.write('{"ts":"%s","level":"warn","msg":"callback to https://hooks.example.com/x?token=ApiTok77q failed for AKIAIOSFODNN7EXAMPLE"}\n' % ts)
    f.write('{"ts":"%s","identity":"alice","action":"GetObject","src_ip":"203.0.113.77","result":"success","resource":"https://bucket.example/o?X-Amz-Signature=SigSecret88&sig=SigSecret88"}\n' % ts)
PYEOF
scenario_config v "$T/logs" "$T/state"
sed -i 's/min_severity: info}/min_severity: info, throttle: 0s}/' "$T/v.yaml"
"$VIGIL" -c "$T/v.yaml" --once >"$T/alerts.json" 2>"$T/e" || { cat "$T/e"; fail "--once exited non-zero"; }
"$PY" - "$T/alerts.json" <<'PYEOF' || fail "secrets in alerts"
import json, sys
secrets = ["Bkp!8574x", "OldPw1x", "NewPw2y", "S3cr3tZip", "Tok3nValue99", "MyDbPw77", "wJalrXUtnFEMI",
           "IOSFODNN7EXAMPLE", "SshPw55", "eyJhbGciOiJIUzI1NiJ9abc", "UrlPw123", "hunter2", "SuPw9xyz",
           "RedisPw31", "Hash99pw", "N0tInSudoers", "FailPw55", "ApiTok77q", "SigSecret88"]
raw = open(sys.argv[1]).read()
alerts = [json.loads(l) for l in raw.splitlines()]
bad = [s for s in secrets if s in raw]
for s in bad:
    for a in alerts:
        if s in json.dumps(a):
            print("FAIL leaked", s, "in", a["rule"], a["message"][:160], a["evidence"][:2])
            break
rules = sorted({a["rule"] for a in alerts if "****" in json.dumps(a)})
print("     rules quoting a masked command:", ", ".join(rules))
ok = not bad and len(rules) >= 5
print(("ok   " if not bad else "FAIL ") + f"no secret in {len(alerts)} alerts")
print(("ok   " if len(rules) >= 5 else "FAIL ") + "masked commands are still quoted by several rules")
sys.exit(0 if ok else 1)
PYEOF
say "ok"
