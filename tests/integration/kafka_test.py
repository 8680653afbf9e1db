"""Kafka round trip through the real binary and a mock cluster (50_kafka.sh)."""
import collections
import json
import os
import subprocess
import sys
import time

import msgpack

build, tmp = sys.argv[1], sys.argv[2]

# docs/scaling.md's consumer snippet, run as printed there
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
doc = open(os.path.join(root, "docs", "scaling.md"), encoding="utf-8").read()
snippet = doc.split("## Reading vigil batches centrally", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
doc_ns = {}
exec(snippet, doc_ns)
vigil = os.path.join(build, "vigil")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


mock = subprocess.Popen([os.path.join(build, "helpers", "kafka_mock"), "3"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True, bufsize=1)


def cmd(line):
    mock.stdin.write(line + "\n")
    mock.stdin.flush()
    return mock.stdout.readline().strip()


def consume(topic, n, timeout_ms=20000):
    mock.stdin.write(f"consume {topic} {n} {timeout_ms}\n")
    mock.stdin.flush()
    msgs = []
    while True:
        l = mock.stdout.readline().strip()
        if l.startswith("done"):
            return msgs
        if l.startswith("msg "):
            _, part, off, key, val = l.split(" ")
            msgs.append((int(part), int(off), bytes.fromhex(key) if key != "-" else b"", bytes.fromhex(val)))


try:
    boot = mock.stdout.readline().split()[1]
    assert cmd("create vigil.app 3") == "ok"
    assert cmd("create batch.app 1") == "ok"
    assert cmd("create batch.sys 1") == "ok"
    logs = os.path.join(tmp, "logs")
    os.makedirs(logs)
    log = os.path.join(logs, "app.log")
    slog = os.path.join(logs, "sys.log")
    conf = os.path.join(tmp, "k.yaml")
    with open(conf, "w") as f:
        f.write(f"""service:
  state_dir: {tmp}/state
  flush_interval: 200ms
  grace_period: 20s
  hostname: web-1
inputs:
  - name: app
    paths: ["{log}"]
    read_from: head
    parser: json
  - name: sys
    paths: ["{slog}"]
    read_from: head
    parser: json
outputs:
  - name: kafka
    match: app
    type: kafka
    brokers: "{boot}"
    topic: "vigil.${{tag}}"
    message: event
    key: host
    compression: lz4
    batch: {{max_events: 200, max_delay: 100ms}}
    retry: {{initial: 100ms, max: 1s}}
    properties:
      log_level: "3"
  - name: kbatch
    type: kafka
    brokers: "{boot}"
    topic: "batch.${{tag}}"
    message: batch
    compression: lz4
    batch: {{max_events: 300, max_delay: 100ms}}
    retry: {{initial: 100ms, max: 1s}}
    properties:
      log_level: "3"
""")

    def write(a, b):
        # two tags interleaved in the same batches of kbatch
        with open(log, "a") as f, open(slog, "a") as g:
            for i in range(a, b):
                f.write(json.dumps({"ts": "2026-11-26T10:00:00Z", "msg": f"event {i}", "n": i}) + "\n")
                g.write(json.dumps({"ts": "2026-11-26T10:00:00Z", "msg": f"sys {i}", "n": i}) + "\n")

    write(0, 2000)
    err = open(os.path.join(tmp, "vigil.err"), "w")
    v = subprocess.Popen([vigil, "-c", conf], stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(2)
    # A broker goes down and produce requests fail for a while: nothing may be lost.
    assert cmd("down 2") == "ok"
    assert cmd("errors 5") == "ok"
    write(2000, 4000)
    time.sleep(2)
    assert cmd("up 2") == "ok"
    assert cmd("rtt 1 50") == "ok"
    write(4000, 6000)
    time.sleep(3)
    v.terminate()
    rc = v.wait(timeout=30)
    if rc != 0:
        fail(f"vigil exited {rc}")
    msgs = consume("vigil.app", 6000)
    ns = []
    for part, off, key, val in msgs:
        rec = msgpack.unpackb(val, raw=False)
        if key != b"web-1":
            fail(f"message key {key!r}, want web-1")
        ns.append(rec["n"])
    c = collections.Counter(ns)
    missing = [i for i in range(6000) if c[i] == 0]
    dups = [i for i, k in c.items() if k > 1]
    if missing:
        fail(f"{len(missing)} events missing (first {missing[:5]})")
    if dups:
        fail(f"{len(dups)} events duplicated after a clean stop (first {dups[:5]})")
    # order per partition follows the file order
    by_part = collections.defaultdict(list)
    for part, off, key, val in msgs:
        by_part[part].append(msgpack.unpackb(val, raw=False)["n"])
    for p, seq in by_part.items():
        if seq != sorted(seq):
            fail(f"partition {p} out of order")
    print(f"kafka: 6000 events in {len(msgs)} messages over {len(by_part)} partition(s), each exactly once, in order")
    # message: batch with topic batch.${tag}: one message per tag, decoded by the docs' snippet
    for tag in ("app", "sys"):
        bm = consume(f"batch.{tag}", 0, 30000)  # all there is
        got = []
        for part, off, key, val in bm:
            if val[:4] == b"\x04\x22\x4d\x18":
                fail("a message: batch value is LZ4-framed; docs/scaling.md says it is msgpack")
            for etag, (sec, nsec), rec in doc_ns["events"](val):
                if etag != tag:
                    fail(f"an event tagged {etag} in topic batch.{tag}")
                got.append(rec["n"])
        cb = collections.Counter(got)
        miss = [i for i in range(6000) if cb[i] == 0]
        if miss:
            fail(f"batch.{tag}: {len(miss)} events missing (first {miss[:5]})")
        print(f"kafka message: batch: topic batch.{tag} holds all 6000 {tag} events and no other, "
              f"in {len(bm)} messages, read with docs/scaling.md's snippet")
finally:
    try:
        cmd("quit")
    except Exception:
        pass
    mock.kill()
