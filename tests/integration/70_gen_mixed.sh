#!/bin/sh
# vigil-gen mixed (the mixed file of `make bench`): one file of JSON, auth
# syslog and plain-text lines in time order, and the same lines split by kind;
# the same bytes for the same seed; every line parses with its input's parser.
. "$(dirname "$0")/lib.sh"
"$VIGIL_GEN" mixed "$T/a" --lines 20000 --seed 7 || fail "vigil-gen mixed exited non-zero"
"$VIGIL_GEN" mixed "$T/b" --lines 20000 --seed 7 || fail "vigil-gen mixed (again) exited non-zero"
"$VIGIL_GEN" mixed "$T/c" --lines 20000 --seed 8 || fail "vigil-gen mixed (seed 8) exited non-zero"
for f in mixed app auth plain; do
    cmp "$T/a/$f.log" "$T/b/$f.log" || fail "$f.log differs for the same seed"
done
cmp -s "$T/a/mixed.log" "$T/c/mixed.log" && fail "seeds 7 and 8 wrote the same mixed.log"
say "ok   the same bytes for the same seed, others for another"

"$PY" - "$T/a" <<'PYEOF' || fail "mixed.log is not the three files interleaved, or the mix is off"
import json, re, sys
d = sys.argv[1]
mixed = open(f"{d}/mixed.log", "rb").read().split(b"\n")[:-1]
kinds = {k: open(f"{d}/{k}.log", "rb").read().split(b"\n")[:-1] for k in ("app", "auth", "plain")}
assert len(mixed) == 20000, len(mixed)
syslog = re.compile(rb"^[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \S+ [\w-]+(\[\d+\])?: ")
plain = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO |DEBUG|WARN |ERROR) \[[\w-]+\] \S+ - ")
pos = {k: 0 for k in kinds}
for l in mixed:           # each line is the next one of exactly one split file
    k = "app" if l.startswith(b"{") else "auth" if syslog.match(l) else "plain" if plain.match(l) else None
    assert k, l
    if k == "app":
        json.loads(l)
    assert kinds[k][pos[k]] == l, (k, l)
    pos[k] += 1
assert all(pos[k] == len(kinds[k]) for k in kinds), pos
share = {k: len(v) / len(mixed) for k, v in kinds.items()}
for k, want in (("app", 0.45), ("auth", 0.35), ("plain", 0.20)):
    assert abs(share[k] - want) < 0.02, share
avg = sum(len(l) + 1 for l in mixed) / len(mixed)
assert 110 <= avg <= 140, avg
users = {m.group(1) for l in kinds["auth"] for m in [re.search(rb"Accepted \w+ for (\S+)", l)] if m}
bots = {m.group(1) for l in kinds["auth"] for m in [re.search(rb"Failed password for .* from (\S+)", l)] if m}
assert len(users) > 50 and len(bots) > 1000, (len(users), len(bots))
print(f"ok   {len(mixed)} lines, {share['app']:.0%} JSON / {share['auth']:.0%} auth / "
      f"{share['plain']:.0%} plain, {avg:.0f} B/line, {len(users)} users logging in, {len(bots)} bot sources")
PYEOF

# The three inputs by kind, as make bench reads them: nothing malformed.
cat >"$T/v.yaml" <<YEOF
service:
  state_dir: $T/state
  log_level: warn
inputs:
  - {name: app, type: file, paths: ["$T/a/app.log"], parser: json, read_from: head}
  - {name: auth, type: file, paths: ["$T/a/auth.log"], parser: auth, read_from: head}
  - {name: plain, type: file, paths: ["$T/a/plain.log"], parser: plain, read_from: head}
alerts: {format: none}
outputs: []
YEOF
"$VIGIL" -c "$T/v.yaml" --once --stats >/dev/null 2>"$T/stats" || { cat "$T/stats"; fail "vigil --once exited non-zero"; }
grep -q "^lines 20000 .* parse_errors 0" "$T/stats" || { cat "$T/stats"; fail "not 20000 lines without parse errors"; }
say "ok   vigil reads the 20000 lines by kind with no parse error"
