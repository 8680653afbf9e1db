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
"$PY" "$ROOT/tests/sigma/cases.py" gen "$RULES" "$T/gen" || fail "generator"
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
say "ok"
