"""NATS JetStream round trip through the real binary (51_nats.sh)."""
import collections
import os
import socket
import subprocess
import sys
import time

import lz4.frame
import msgpack

build, tmp = sys.argv[1], sys.argv[2]
vigil = os.path.join(build, "vigil")
peek = os.path.join(build, "helpers", "nats_peek")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


port = free_port()
url = f"nats://127.0.0.1:{port}"
store = os.path.join(tmp, "js")
server = None


def start_server():
    global server
    server = subprocess.Popen(["nats-server", "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", store],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    fail("nats-server did not start")


# docs/scaling.md's consumer snippet, run as printed there
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
doc = open(os.path.join(root, "docs", "scaling.md"), encoding="utf-8").read()
snippet = doc.split("## Reading vigil batches centrally", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
ns = {}
exec(snippet, ns)


def decode(payload):
    return [(tag, t, rec) for tag, t, rec in ns["events"](payload)]


try:
    start_server()
    logs = os.path.join(tmp, "logs")
    os.makedirs(logs)
    log = os.path.join(logs, "app.log")
    slog = os.path.join(logs, "sys.log")
    conf = os.path.join(tmp, "n.yaml")
    with open(conf, "w") as f:
        f.write(f"""service:
  state_dir: {tmp}/state
  flush_interval: 200ms
  grace_period: 20s
inputs:
  - name: app
    paths: ["{log}"]
    read_from: head
    parser: plain
    tag: app
  - name: sys
    paths: ["{slog}"]
    read_from: head
    parser: plain
    tag: sys
outputs:
  - name: js
    type: nats
    url: "{url}"
    stream: VIGIL
    subject: "logs.${{tag}}"
    timeout: 1s
    batch: {{max_events: 300, max_delay: 100ms}}
    retry: {{initial: 100ms, max: 1s}}
""")

    def write(a, b):
        # two tags in the same batches: each must land on its own subject
        with open(log, "a") as f, open(slog, "a") as g:
            for i in range(a, b):
                f.write(f"line-{i:07d} payload\n")
                g.write(f"sys-{i:07d} payload\n")

    write(0, 3000)
    err = open(os.path.join(tmp, "vigil.err"), "w")
    v = subprocess.Popen([vigil, "-c", conf], stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(2)
    server.kill()            # the server dies mid-stream
    server.wait()
    write(3000, 6000)
    time.sleep(2)
    start_server()           # and comes back with its store
    write(6000, 9000)
    time.sleep(4)
    v.terminate()
    rc = v.wait(timeout=30)
    if rc != 0:
        fail(f"vigil exited {rc}")
    out = subprocess.run([peek, url, "VIGIL"], capture_output=True, text=True, check=True).stdout.splitlines()
    nmsgs = int(out[0].split()[1])
    lines = []
    ids = []
    slines = []
    subjects = collections.Counter()
    for l in out[1:]:
        _, seq, subj, mid, hexdata = l.split(" ")
        if subj not in ("logs.app", "logs.sys"):
            fail(f"subject {subj}, want logs.app or logs.sys")
        subjects[subj] += 1
        ids.append(mid)
        for ev in decode(bytes.fromhex(hexdata)):
            if "logs." + ev[0] != subj:
                fail(f"an event tagged {ev[0]} on subject {subj}")
            (lines if ev[0] == "app" else slines).append(ev[2]["message"])
    print(f"nats: {subjects['logs.app']} messages on logs.app, {subjects['logs.sys']} on logs.sys, "
          "each holding only its tag's events")
    cs = collections.Counter(int(m.split()[0].split("-")[1]) for m in slines)
    smissing = [i for i in range(9000) if cs[i] == 0]
    if smissing:
        fail(f"{len(smissing)} sys lines missing (first {smissing[:5]})")
    c = collections.Counter(int(m.split()[0].split("-")[1]) for m in lines)
    missing = [i for i in range(9000) if c[i] == 0]
    if missing:
        fail(f"{len(missing)} lines missing (first {missing[:5]})")
    dups = sum(k - 1 for k in c.values() if k > 1)
    print(f"nats: 9000 lines in {nmsgs} messages, none missing, {dups} duplicates across the server restart")
    # a retried batch (same bytes -> same Nats-Msg-Id) is stored once
    last = out[-1].split(" ")
    r = subprocess.run([peek, url, "VIGIL", "--publish", last[2], last[3], last[4]], capture_output=True,
                       text=True, check=True).stdout.strip()
    if r != "dup 1":
        fail(f"republishing a batch with its message id was not deduplicated: {r}")
    out2 = subprocess.run([peek, url, "VIGIL"], capture_output=True, text=True, check=True).stdout.splitlines()
    if int(out2[0].split()[1]) != nmsgs:
        fail("the stream grew after a duplicate publish")
    print("nats: duplicate publish removed by Nats-Msg-Id")
finally:
    if server:
        server.kill()
