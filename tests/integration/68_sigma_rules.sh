#!/bin/sh
# The Sigma detector on SigmaHQ's Linux rules (../shared/sigma): every file
# loads, --validate prints the counts, at least 105 process_creation rules
# are evaluable, and for every process_creation / auditd EXECVE rule a
# history line generated from the rule's own selection raises that rule,
# while the same line with one required value corrupted does not.
. "$(dirname "$0")/lib.sh"
RULES="$ROOT/../shared/sigma"
[ -d "$RULES" ] || fail "no $RULES"
mkdir -p "$T/state"
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
inputs:
  - name: hist
    type: file
    paths: [$T/run.history]
    parser: shell
    read_from: head
alerts:
  format: json
  min_severity: info
  throttle: 0s
  evidence_lines: 1
detectors:
  sigma:
    rules: [$RULES]
    min_status: experimental
YEOF
"$VIGIL" -c "$T/v.yaml" --validate >"$T/validate" 2>"$T/e" || { cat "$T/e"; fail "--validate"; }
grep -q '^  files: 250$' "$T/validate" || fail "not every rule file was read: $(grep files: "$T/validate")"
grep -q '^  loaded: 250$' "$T/validate" || fail "not every rule loaded"
pc=$(sed -n 's/^    process_creation: //p' "$T/validate")
[ "$pc" -ge 105 ] || fail "only $pc process_creation rules evaluable"
grep -q '^#   skipped .* \[field\] ' "$T/validate" || fail "skipped rules are not listed with a reason"
"$PY" "$ROOT/tests/sigma/cases.py" gen "$RULES" "$T/gen" >"$T/gen.out" || fail "generator"
cat "$T/gen.out"
# every evaluable process_creation and EXECVE rule has its case
ex=$(sed -n 's/^    auditd EXECVE: //p' "$T/validate")
grep -q "^generated $((pc + ex)) cases ($pc process_creation, $ex execve)" "$T/gen.out" ||
    fail "cases were not generated for every evaluable rule ($pc + $ex)"
for k in pos neg; do
    rm -rf "$T/state"
    mkdir -p "$T/state"
    cp "$T/gen/$k.history" "$T/run.history"
    "$VIGIL" -c "$T/v.yaml" --once >"$T/$k.jsonl" 2>"$T/$k.err" || { tail "$T/$k.err"; fail "--once $k"; }
done
# each rule that is not evaluated is logged once at start
n=$(grep -c 'is not evaluated' "$T/pos.err")
s=$(grep -c '^#   skipped' "$T/validate")
[ "$n" = "$s" ] || fail "$n rules logged as not evaluated, --validate lists $s"
"$PY" "$ROOT/tests/sigma/cases.py" check "$T/gen" "$T/pos.jsonl" "$T/neg.jsonl" || fail "generated cases"

# keyword rules on auth and syslog lines: the raw line; JSON app logs are not syslog
rm -rf "$T/state"
mkdir -p "$T/state" "$T/logs"
cat >"$T/k.yaml" <<YEOF
service:
  state_dir: $T/state
inputs:
  - {name: auth, type: file, paths: [$T/logs/auth.log], parser: auth, read_from: head}
  - {name: sys, type: file, paths: [$T/logs/syslog], parser: syslog, read_from: head}
  - {name: api, type: file, paths: [$T/logs/api.log], parser: json, read_from: head}
alerts: {format: json, min_severity: info, throttle: 0s}
detectors:
  sigma:
    rules: [$RULES]
YEOF
printf '%s\n' '2026-11-16T08:00:00.000000+00:00 web-1 sshd[100]: error: kex_exchange_identification: incorrect signature' \
    '2026-11-16T08:00:01.000000+00:00 web-1 sshd[100]: Accepted publickey for tess from 10.0.0.44 port 40000 ssh2' >"$T/logs/auth.log"
printf '%s\n' '<6>Nov 16 08:00:02 web-1 kernel: [12.3] device eth0 entered promiscuous mode' \
    '<6>Nov 16 08:00:03 web-1 kernel: [12.4] device eth0 link up' >"$T/logs/syslog"
printf '%s\n' '{"ts":"2026-11-16T08:00:04Z","msg":"device eth0 entered promiscuous mode"}' >"$T/logs/api.log"
"$VIGIL" -c "$T/k.yaml" --once >"$T/k.jsonl" 2>"$T/k.err" || { tail "$T/k.err"; fail "--once keywords"; }
n=$(grep -c '"rule":"sigma.e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"' "$T/k.jsonl" || true)
[ "$n" = 1 ] || fail "sshd keyword rule: $n alerts"
n=$(grep -c '"rule":"sigma.f64b6e9a-5d9d-48a5-8289-e1dd2b3876e1"' "$T/k.jsonl" || true)
[ "$n" = 1 ] || fail "syslog keyword rule: $n alerts (JSON app lines must not count)"

# a rule added to the folder runs after SIGHUP (the set is compiled again)
rm -rf "$T/state"
mkdir -p "$T/state" "$T/own"
cat >"$T/h.yaml" <<YEOF
service:
  state_dir: $T/state
inputs:
  - {name: hist, type: file, paths: [$T/logs/h.history], parser: shell, read_from: head,
     refresh_interval: 200ms, poll_interval: 100ms}
alerts: {format: json, min_severity: info, throttle: 0s}
detectors:
  sigma:
    rules: [$T/own]
YEOF
: >"$T/logs/h.history"
start_vigil "$T/h.yaml"
wait_until 5 grep -q 'sigma: 0 rule files' "$T/vigil.err" || fail "sigma did not start"
cat >"$T/own/r.yml" <<YEOF
title: Own rule
id: own-rule-1
status: stable
level: high
author: vigil tests
logsource: {product: linux, category: process_creation}
detection:
    sel:
        Image|endswith: /frobnicate
    condition: sel
YEOF
kill -HUP "$VPID"
wait_until 5 grep -q 'sigma: 1 rule files, 1 rules evaluable' "$T/vigil.err" || fail "rules not reloaded on SIGHUP"
echo 'frobnicate --now' >>"$T/logs/h.history"
wait_until 5 grep -q '"rule":"sigma.own-rule-1"' "$T/vigil.out" || fail "the reloaded rule did not fire"
stop_vigil
say "ok"
