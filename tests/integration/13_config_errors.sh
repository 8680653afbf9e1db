#!/bin/sh
# A config mistake names file, line, column and option; nothing starts;
# --validate prints the effective config; exit codes are as documented.
. "$(dirname "$0")/lib.sh"
cat >"$T/bad.yaml" <<YEOF
service:
  state_dir: $T/state
inputs:
  - name: logs
    type: file
    paths: [$T/x.log]
    max_line_bytes: lots
outputs:
  - name: out
    type: stdout
    batch:
      max_bytes: 1MiB
      max_evnts: 10
YEOF
rc=0
"$VIGIL" -c "$T/bad.yaml" --validate >"$T/o" 2>"$T/e" || rc=$?
cat "$T/e"
[ "$rc" = 1 ] || fail "--validate of a bad config exited $rc, want 1"
grep -q "bad.yaml:7:[0-9]*: inputs\[0\].max_line_bytes" "$T/e" || fail "no file:line:col for max_line_bytes"
grep -q "bad.yaml:13:[0-9]*: outputs\[0\].batch.*max_evnts" "$T/e" || fail "unknown key not reported with its position"
rc=0
"$VIGIL" -c "$T/bad.yaml" >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "running a bad config exited $rc, want 1"
[ ! -d "$T/state" ] || fail "state folder created although the config was bad"
rc=0
"$VIGIL" -c "$T/missing.yaml" >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "missing config exited $rc"
grep -q "missing.yaml" "$T/e" || fail "missing file not named"
rc=0
"$VIGIL" --bogus >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 2 ] || fail "bad option exited $rc, want 2"
"$VIGIL" --version | grep -q '^vigil ' || fail "--version"
"$VIGIL" --help | grep -q -- '--once' || fail "--help"
export SECRET_KEY=s3cr3t-value
cat >"$T/good.yaml" <<YEOF
service:
  state_dir: \${STATE:-$T/state}
inputs:
  - name: logs
    paths: [$T/x.log]
outputs:
  - name: fwd
    type: forward
    host: 127.0.0.1
    shared_key: \${SECRET_KEY}
YEOF
"$VIGIL" -c "$T/good.yaml" --validate >"$T/o" 2>"$T/e" || { cat "$T/e"; fail "good config rejected"; }
grep -q "state_dir: \"$T/state\"" "$T/o" || fail "--validate does not show the expanded default"
grep -q "s3cr3t-value" "$T/o" "$T/e" && fail "--validate printed a secret"
grep -q "shared_key" "$T/o" || fail "--validate does not show the (masked) secret option"
"$VIGIL" -c "$ROOT/conf/vigil.yaml" --validate >/dev/null 2>"$T/e" || { cat "$T/e"; fail "the shipped conf/vigil.yaml does not validate"; }
say "ok"
