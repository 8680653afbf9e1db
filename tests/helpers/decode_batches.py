#!/usr/bin/python3
"""decode_batches.py - an independent reader of vigil batches.

Decodes files of concatenated batches (LZ4 frames of msgpack entries, or
plain msgpack; wire version 1 entries or version 2 content maps, see
wire_v2.py) with Debian's python3-lz4 and python3-msgpack only, and prints
one JSON line per event: {"tag":..,"sec":..,"nsec":..,"record":{...}}; both
versions of the same records print the same lines.
lz4.frame.decompress() returns only the first of concatenated frames, so the
frames are walked with LZ4FrameDecompressor and its unused_data.
Exit 0 when everything decoded, 1 otherwise.
"""
import json
import struct
import sys

import lz4.frame
import msgpack

import wire_v2

MAGIC = b"\x04\x22\x4d\x18"


def ext_hook(code, data):
    if code == 0 and len(data) == 8:
        return struct.unpack(">II", data)
    return msgpack.ExtType(code, data)


def entries(payload):
    """Yields (tag, sec, nsec, record) of version 1 entries and version 2 maps alike."""
    unpacker = msgpack.Unpacker(raw=False, ext_hook=ext_hook, unicode_errors="surrogateescape",
                                strict_map_key=False, max_buffer_size=len(payload) + 1)
    unpacker.feed(payload)
    for obj in unpacker:
        if wire_v2.is_content(obj):
            yield from wire_v2.records(obj)
        else:
            tag, (sec, nsec), record = obj
            yield tag, sec, nsec, record


def frames(data):
    """Yields the decompressed content of each frame (or plain msgpack)."""
    while data:
        if data[:4] != MAGIC:
            yield data
            return
        d = lz4.frame.LZ4FrameDecompressor()
        out = d.decompress(data)
        if not d.eof:
            raise ValueError("truncated LZ4 frame")
        yield out
        data = d.unused_data


def main(paths):
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for content in frames(data):
            for tag, sec, nsec, record in entries(content):
                print(json.dumps({"tag": tag, "sec": sec, "nsec": nsec, "record": record},
                                 ensure_ascii=True, default=str))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # noqa: BLE001 - any failure is a failed decode
        print("decode_batches: %s" % e, file=sys.stderr)
        sys.exit(1)
