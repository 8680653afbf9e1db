"""vigil_decode.py - shared by the loopback test peers: decodes vigil batches
(an LZ4 frame or raw msgpack: wire version 1 entries [tag, EventTime,
record] or a version 2 content map, wire_v2.py) into one canonical text line
per event, so a C test can compare what arrived."""
import json
import struct

import lz4.frame
import msgpack

import wire_v2

LZ4_MAGIC = b"\x04\x22\x4d\x18"


def ext_hook(code, data):
    if code == 0 and len(data) == 8:
        sec, nsec = struct.unpack(">II", data)
        return ["t", sec, nsec]
    return ["ext", code, data.hex()]


def time_text(t):
    if isinstance(t, list) and t and t[0] == "t":
        return "%d.%09d" % (t[1], t[2])
    if isinstance(t, int):
        return "%d" % t
    return "?" + repr(t)


def event_line(tag, t, record):
    if isinstance(tag, bytes):
        tag = tag.decode("utf-8", "replace")
    return "%s %s %s" % (tag, time_text(t), json.dumps(record, sort_keys=True, default=str))


def unpacker():
    return msgpack.Unpacker(ext_hook=ext_hook, raw=False, strict_map_key=False)


def batch_lines(data):
    """Lines for one batch; raises on a corrupt batch."""
    if data[:4] == LZ4_MAGIC:
        data = lz4.frame.decompress(data)
    u = unpacker()
    u.feed(data)
    out = []
    for entry in u:
        if wire_v2.is_content(entry):
            for tag, sec, nsec, record in wire_v2.records(entry):
                out.append(event_line(tag, ["t", sec, nsec], record))
            continue
        tag, t, record = entry
        out.append(event_line(tag, t, record))
    return out


class Sink:
    """Appends lines to a file, flushed at once so a test can poll it."""

    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")

    def line(self, s):
        self.f.write(s + "\n")
        self.f.flush()


def announce(port):
    print(port, flush=True)
