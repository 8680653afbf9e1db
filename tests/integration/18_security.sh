#!/bin/sh
# Security defaults: secrets given as ${VAR} or {secret_file: PATH} appear
# neither in --validate output nor in vigil's logs (even when the receiver
# fails the handshake); state files are 0600 in 0700 folders; nothing in the
# code can run a program (no exec*, system or popen); TLS verification is on
# by default (tests/unit/outputs/test_tls.c checks the handshakes).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/logs"

printf 'line one\n' >"$T/logs/app.log"
printf 'S3cretFromFile-9f2\nsecond line ignored\n' >"$T/pw"; chmod 600 "$T/pw"
export VIGIL_TEST_KEY="S3cretFromEnv-4b7"
base_config s '["'"$T"'/logs/*.log"]' '  - name: fwd
    type: forward
    host: 127.0.0.1
    port: 9
    shared_key: ${VIGIL_TEST_KEY}
    username: alice
    password: {secret_file: '"$T"'/pw}
    retry: {initial: 50ms, max: 100ms}
    buffer: {type: disk, max_bytes: 1MiB}'
rmdir "$T/state"                        # vigil creates it
${VIGIL_WRAP:-} "$VIGIL" -c "$T/s.yaml" --validate >"$T/validate.out" 2>&1 || { cat "$T/validate.out"; fail "--validate"; }
grep -q 'S3cret' "$T/validate.out" && fail "a secret in --validate output"
say "--validate: secrets masked"
sed -i 's/grace_period: 10s/grace_period: 1s/' "$T/s.yaml"
start_vigil "$T/s.yaml"
sleep 1.5
kill -TERM "$VPID"; wait "$VPID" || true   # the receiver never answers: exit 3 is fine here
grep -q 'S3cret' "$T/vigil.err" "$T/vigil.out" && fail "a secret in vigil's logs"
say "logs: no secret ($(wc -l <"$T/vigil.err") lines)"
bad=$(find "$T/state" \( -type d ! -perm 0700 \) -o \( -type f ! -perm 0600 \) | head -5)
[ -z "$bad" ] || { ls -laR "$T/state"; fail "state permissions: $bad"; }
say "state: $(find "$T/state" -type f | wc -l) files, all 0600 in 0700 folders"
if grep -rnE '\b(exec[lv]p?e?|system|popen|posix_spawnp?)\s*\(' "$ROOT"/sidecar "$ROOT"/outputs "$ROOT"/conf "$ROOT"/detectors --include='*.c' |
    grep -v '^\S*:[0-9]*:\s*\(/\*\|\*\|"\)' | grep -v '"[^"]*system(' ; then
    fail "code that runs programs"
fi
say "no exec/system/popen in vigil"
