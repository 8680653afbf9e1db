#!/bin/sh
# Wire versions 1 and 2 (docs/wire-format.md) from the real binary: the file
# output writes the same events with wire_version 1 and with the default 2
# (lz4, and uncompressed); vigil-cat and the independent python reader
# (tests/helpers/decode_batches.py) give the same records for both, field
# for field (nested JSON, renamed header keys, escapes, invalid UTF-8, lines
# cut at max_line_bytes, parse errors, syslog), version 2 is the smaller;
# the disk buffer keeps version 2 batches readable; and an output that can
# only ship version 1 refuses wire_version 2.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/logs" "$T/out1" "$T/out2" "$T/out2p" "$T/state"
"$PY" - "$T/logs" <<'PYEOF'
import sys
d = sys.argv[1]
users = ["alice", "bob", "root", "pi"]
with open(d + "/app.log", "wb") as f:
    for i in range(1, 1201):
        u = users[i % 4]
        f.write(('{"ts":"2024-05-01T10:%02d:%02d.%03dZ","level":"info","msg":"request %d served",'
                 '"path":"/api/v1/items/%d","status":%d,"user":"%s","latency_ms":%d.5,'
                 '"req":{"method":"GET","tags":["a","b%d"],"ok":true,"none":null}}\n'
                 % (i // 60 % 60, i % 60, i % 1000, i, i, 200 if i % 7 else 404, u, i % 300, i % 5)).encode())
        if i % 100 == 0:
            f.write(b'{"msg":"caf\\u00e9 \\"quoted\\" tab\\there","message":"dup","kind":"k"}\n')
            f.write(b'not json \xff\xfe at all\n')
            f.write(b'{"long":"' + b"x" * 3000 + b'"}\n')
with open(d + "/auth.log", "wb") as f:
    for i in range(1, 801):
        f.write(("May  1 10:%02d:%02d web-%d sshd[%d]: Failed password for invalid user %s from "
                 "203.0.113.%d port %d ssh2\n" % (i // 60 % 60, i % 60, i % 3, 1000 + i,
                                                  users[i % 4], i % 250, 40000 + i)).encode())
        if i % 50 == 0:
            f.write(("May  1 10:%02d:%02d web-1 sshd[77]: Accepted publickey for root from "
                     "198.51.100.7 port 5%04d ssh2\n" % (i // 60 % 60, i % 60, i)).encode())
PYEOF
LINES=$(cat "$T/logs/app.log" "$T/logs/auth.log" | wc -l)
cat >"$T/v.yaml" <<YEOF
service: {state_dir: $T/state}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$T/logs/app.log"], read_from: head, tag: app.api, parser: json, max_line_bytes: 2KiB}
  - {name: auth, paths: ["$T/logs/auth.log"], read_from: head, tag: auth, parser: auth}
outputs:
  - {name: v1, type: file, path: "$T/out1", wire_version: 1, batch: {max_events: 500}}
  - {name: v2, type: file, path: "$T/out2", batch: {max_events: 500}}
  - {name: v2p, type: file, path: "$T/out2p", compression: none, batch: {max_events: 300}}
YEOF
"$VIGIL" -c "$T/v.yaml" --once >"$T/vigil.out" 2>"$T/vigil.err" || { cat "$T/vigil.err"; fail "vigil --once"; }

# which version each file holds, from its first frame
"$PY" - "$T" <<'PYEOF' || fail "the files do not hold the wire versions configured"
import sys, lz4.frame, msgpack, glob
t = sys.argv[1]
def first(path):
    data = open(path, "rb").read()
    if data[:4] == b"\x04\x22\x4d\x18":
        data = lz4.frame.LZ4FrameDecompressor().decompress(data)
    u = msgpack.Unpacker(raw=False, unicode_errors="surrogateescape", strict_map_key=False)
    u.feed(data)
    return next(u)
o1, o2, o2p = (first(glob.glob(t + d + "/*")[0]) for d in ("/out1", "/out2", "/out2p"))
assert isinstance(o1, list) and len(o1) == 3, "v1: not an entry"
assert isinstance(o2, dict) and next(iter(o2)) == "vigil_wire" and o2["vigil_wire"] == 2, "v2: not a content map"
assert isinstance(o2p, dict) and next(iter(o2p)) == "vigil_wire", "v2 uncompressed: not a content map"
PYEOF

for d in out1 out2 out2p; do
    "$VIGIL_CAT" "$T/$d"/* >"$T/$d.cat" 2>"$T/$d.caterr" || { cat "$T/$d.caterr"; fail "vigil-cat $d"; }
    "$PY" "$ROOT/tests/helpers/decode_batches.py" "$T/$d"/* >"$T/$d.py" || fail "decode_batches.py $d"
done
n=$(wc -l <"$T/out1.cat")
[ "$n" = "$LINES" ] || fail "v1: $n events, want $LINES"
cmp -s "$T/out1.cat" "$T/out2.cat" || { diff "$T/out1.cat" "$T/out2.cat" | head -5; fail "vigil-cat: v2 differs from v1"; }
cmp -s "$T/out1.cat" "$T/out2p.cat" || fail "vigil-cat: uncompressed v2 differs from v1"
cmp -s "$T/out1.py" "$T/out2.py" || { diff "$T/out1.py" "$T/out2.py" | head -5; fail "python: v2 differs from v1"; }
cmp -s "$T/out1.py" "$T/out2p.py" || fail "python: uncompressed v2 differs from v1"
# the hard cases are there, in both readers' output
grep -q '"_message":"dup","_kind":"k"' "$T/out2.cat" || fail "renamed header keys missing"
grep -q '"req":{"method":"GET","tags":\["a","b' "$T/out2.cat" || fail "nested fields missing"
grep -q '"truncated":true' "$T/out2.cat" || fail "no truncated line"
grep -q '"parse_error"' "$T/out2.cat" || fail "no parse error"
grep -q 'not json \\u00ff\\u00fe at all' "$T/out2.cat" || fail "invalid UTF-8 not kept"
grep -q '"latency_ms": 3.5' "$T/out2.py" || fail "python: doubles missing"
grep -q '"src_ip": "203.0.113.' "$T/out2.py" || fail "python: syslog fields missing"
s1=$(cat "$T"/out1/* | wc -c)
s2=$(cat "$T"/out2/* | wc -c)
[ $((s2 * 2)) -lt "$s1" ] || fail "v2 is $s2 bytes, v1 $s1: not under half"
say "$LINES events: vigil-cat and decode_batches.py give the same records for v1 ($s1 bytes) and v2 ($s2 bytes, lz4; uncompressed too)"

# the disk buffer keeps version 2 batches as they are: a tcp output whose
# receiver is away spools them at the stop, and they hold the same records
P=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/b.yaml" <<YEOF
service: {state_dir: $T/state-b, grace_period: 1s}
alerts: {format: none}
detectors: {enabled: false}
inputs:
  - {name: app, paths: ["$T/logs/app.log"], read_from: head, tag: app.api, parser: json, max_line_bytes: 2KiB}
outputs:
  - {name: net, type: tcp, host: 127.0.0.1, port: $P, queue_max_bytes: 64KiB,
     batch: {max_events: 200, max_bytes: 32KiB}, retry: {initial: 50ms, max: 100ms}, buffer: {type: disk}}
  - {name: v1, type: file, path: "$T/outb1", wire_version: 1}
YEOF
mkdir -p "$T/outb1"
timeout 60 "$VIGIL" -c "$T/b.yaml" --once >/dev/null 2>"$T/b.err" || true
"$PY" - "$T/state-b/buffer/net" "$ROOT/tests/helpers" >"$T/spool.py" <<'PYEOF' || fail "the disk buffer does not hold readable version 2 batches"
import glob, json, struct, sys
import msgpack
sys.path.insert(0, sys.argv[2])
import decode_batches, wire_v2
n2 = 0
for seg in sorted(glob.glob(sys.argv[1] + "/seg-*.vgb")):
    data = open(seg, "rb").read()
    off = 0
    while off + 24 <= len(data):
        magic, ln, crc, n, fmt, z = struct.unpack("<4sIIIBB", data[off:off + 18])
        assert magic == b"VGB1", magic
        batch = data[off + 20:off + 20 + ln]
        for content in decode_batches.frames(batch):
            u = msgpack.Unpacker(raw=False, unicode_errors="surrogateescape", strict_map_key=False)
            u.feed(content)
            for obj in u:
                assert wire_v2.is_content(obj), "a spooled batch is not version 2"
                n2 += 1
        for content in decode_batches.frames(batch):
            for tag, sec, nsec, rec in decode_batches.entries(content):
                print(json.dumps({"tag": tag, "sec": sec, "nsec": nsec, "record": rec},
                                 ensure_ascii=True, default=str))
        off += 20 + ln
assert n2 > 0, "no version 2 batch in the disk buffer"
PYEOF
"$PY" "$ROOT/tests/helpers/decode_batches.py" "$T/outb1"/* >"$T/outb1.py" || fail "decode_batches.py outb1"
nb=$(wc -l <"$T/spool.py")
[ "$nb" -gt 0 ] || { cat "$T/b.err"; fail "nothing spooled"; }
tail -n "$nb" "$T/outb1.py" | cmp -s - "$T/spool.py" || fail "the spooled version 2 batches do not hold the last $nb records"
say "disk buffer: $nb events in version 2 batches, the same records as version 1"

refuse() {   # refuse 'OUTPUT YAML' MESSAGE
    cat >"$T/bad.yaml" <<YEOF
service: {state_dir: $T/state-bad}
inputs: [{name: app, paths: ["$T/logs/app.log"]}]
outputs: [$1]
YEOF
    rc=0
    timeout 10 "$VIGIL" -c "$T/bad.yaml" --validate >/dev/null 2>"$T/bad.err" || rc=$?
    [ "$rc" != 0 ] || fail "($1) accepted"
    grep -q "$2" "$T/bad.err" || { cat "$T/bad.err"; fail "($1): no \"$2\""; }
}
refuse '{name: f, type: forward, host: 127.0.0.1, port: 9, wire_version: 2}' 'wire_version 1 only'
refuse '{name: k, type: stdout, wire_version: 2}' 'wire_version 1 only'
refuse '{name: f, type: file, path: /tmp, wire_version: 3}' 'out of range'
say "wire_version 2 refused for forward and stdout, 3 refused"
