#!/bin/sh
# vigil-cat on what the file output wrote: a batch damaged in the middle of a
# file is reported (with its offset) and skipped, and everything else still
# decodes, as does a file whose last batch is cut short (being written);
# --count, --tag, --since and --until select the same events an independent
# reader (python lz4 + msgpack, tests/helpers/decode_batches.py) finds.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/logs" "$T/out" "$T/state"
"$PY" - "$T/logs" <<'PYEOF'
import sys
d = sys.argv[1]
with open(d + "/api.log", "w") as f:
    for i in range(1, 201):
        f.write('{"ts":"2024-05-01T10:%02d:%02dZ","msg":"api-%07d","status":200}\n' % (i // 60, i % 60, i))
with open(d + "/db.log", "w") as f:
    for i in range(1, 101):
        f.write('{"ts":"2024-05-01T10:%02d:%02dZ","msg":"db-%07d","rows":%d}\n' % ((2 * i) // 60, (2 * i) % 60, i, i))
PYEOF
cat >"$T/v.yaml" <<YEOF
service: {state_dir: $T/state, flush_interval: 100ms}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: api, paths: ["$T/logs/api.log"], read_from: head, tag: app.api, parser: json}
  - {name: db, paths: ["$T/logs/db.log"], read_from: head, tag: db.sql, parser: json}
outputs:
  - {name: archive, type: file, path: "$T/out", batch: {max_events: 16, max_delay: 50ms}}
YEOF
"$VIGIL" -c "$T/v.yaml" --once >"$T/vigil.out" 2>"$T/vigil.err" || { cat "$T/vigil.err"; fail "vigil --once"; }
F=$(ls "$T"/out/*)
[ "$(echo "$F" | wc -l)" = 1 ] || fail "expected one archive file, got: $F"
cp "$F" "$T/clean.lz4"
n=$("$VIGIL_CAT" --count "$F") || fail "vigil-cat on the clean file"
[ "$n" = 300 ] || fail "clean file: $n events, want 300"

# damage: the middle of a frame in the middle of the file; cut: the last frame loses its tail
"$PY" - "$F" "$T/damaged.lz4" "$T/cut.lz4" "$T" "$ROOT/tests/helpers" <<'PYEOF'
import json, struct, sys
import lz4.frame
src, damaged, cut, t, helpers = sys.argv[1:6]
sys.path.insert(0, helpers)
import decode_batches   # both wire versions
data = open(src, "rb").read()
frames, off = [], 0
while off < len(data):
    d = lz4.frame.LZ4FrameDecompressor()
    content = d.decompress(data[off:])
    size = len(data) - off - len(d.unused_data or b"")
    ev = [(tag, sec * 10**9 + nsec, rec["message"])
          for tag, sec, nsec, rec in decode_batches.entries(content)]
    frames.append((off, size, ev))
    off += size
assert len(frames) >= 10, len(frames)
# a frame with db events, neither the first nor the last
db = [i for i, f in enumerate(frames) if any(e[0].startswith("db.") for e in f[2])]
bad = db[len(db) // 2]
assert 0 < bad < len(frames) - 1
o, size, _ = frames[bad]
b = bytearray(data)
for k in range(o + size // 2, o + size // 2 + 8):
    b[k] ^= 0x5A
open(damaged, "wb").write(b)
lo, lsize, _ = frames[-1]
open(cut, "wb").write(data[:lo + lsize - 7])

def keep(skip):
    return [e for i, f in enumerate(frames) for e in f[2] if i not in skip]
def since(s):   # RFC 3339 -> ns
    import datetime
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()) * 10**9
S, U = "2024-05-01T10:01:00Z", "2024-05-01T10:02:30Z"
for name, skip in (("damaged", {bad}), ("cut", {len(frames) - 1})):
    ev = keep(skip)
    with open("%s/%s.want" % (t, name), "w") as w:
        for e in ev:
            w.write(e[2] + "\n")
    with open("%s/%s.counts" % (t, name), "w") as w:
        w.write("all %d\n" % len(ev))
        w.write("db %d\n" % sum(1 for e in ev if e[0].startswith("db.")))
        w.write("range %d\n" % sum(1 for e in ev if since(S) <= e[1] < since(U)))
        w.write("db_range %d\n" % sum(1 for e in ev if e[0].startswith("db.") and since(S) <= e[1] < since(U)))
print("%d frames; damaged frame %d at offset %d (%d events), cut the last frame (%d events)" % (
    len(frames), bad, o, len(frames[bad][2]), len(frames[-1][2])))
open(t + "/bad_offset", "w").write(str(o))
PYEOF

S=2024-05-01T10:01:00Z
U=2024-05-01T10:02:30Z
for case in damaged cut; do
    f="$T/$case.lz4"
    rc=0
    "$VIGIL_CAT" "$f" >"$T/$case.json" 2>"$T/$case.err" || rc=$?
    [ "$rc" = 1 ] || fail "$case: vigil-cat exit $rc, want 1 (something skipped)"
    grep -q "vigil-cat: $f: offset [0-9]*: .*skipped" "$T/$case.err" || { cat "$T/$case.err"; fail "$case: damage not reported"; }
    [ "$(wc -l <"$T/$case.err")" = 1 ] || { cat "$T/$case.err"; fail "$case: more than one report"; }
    "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    print(json.loads(l)["record"]["message"])' "$T/$case.json" >"$T/$case.got"
    printf '%s: ' "$case"
    "$PY" "$ROOT/tests/helpers/it_check.py" same "$T/$case.want" "$T/$case.got" || fail "$case: the undamaged batches did not all decode"
    want() { sed -n "s/^$1 //p" "$T/$case.counts"; }
    c=$("$VIGIL_CAT" --count "$f" 2>/dev/null) || true
    [ "$c" = "$(want all)" ] || fail "$case: --count $c, want $(want all)"
    c=$("$VIGIL_CAT" --count --tag 'db.*' "$f" 2>/dev/null) || true
    [ "$c" = "$(want db)" ] || fail "$case: --tag db.* --count $c, want $(want db)"
    c=$("$VIGIL_CAT" --count --since $S --until $U "$f" 2>/dev/null) || true
    [ "$c" = "$(want range)" ] || fail "$case: --since/--until count $c, want $(want range)"
    c=$("$VIGIL_CAT" --tag 'db.*' --since $S --until $U "$f" 2>/dev/null | grep -c '"tag":"db.sql"') || true
    [ "$c" = "$(want db_range)" ] || fail "$case: --tag with --since/--until printed $c, want $(want db_range)"
    say "$case: reported once, --count $(want all), --tag db.* $(want db), --since/--until $(want range)"
done
grep -q "offset $(cat "$T/bad_offset"):" "$T/damaged.err" || { cat "$T/damaged.err"; fail "damaged: the offset reported is not the damaged frame's"; }
# several files, one damaged: the others decode fully
c=$("$VIGIL_CAT" --count "$T/clean.lz4" "$T/damaged.lz4" "$T/clean.lz4" 2>/dev/null) || true
[ "$c" = $((600 + $(sed -n 's/^all //p' "$T/damaged.counts"))) ] || fail "three files: --count $c"
say "vigil-cat: ok"
