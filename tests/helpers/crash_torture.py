#!/usr/bin/python3
"""crash_torture.py - kill -9 at random moments, damaged state files, restart.

  crash_torture.py VIGIL VIGIL_CAT DIR ROUNDS

Two files get fixed-width numbered lines (64 bytes) while vigil ships them to
a file output (checked exactly) and a tcp output with a disk buffer whose
receiver is up in some rounds and down in others. Each round starts vigil,
lets it work 0.2-1.2 s (reading, batching, writing checkpoints and the disk
buffer all happen several times a second, so the kill lands in each of them
over the rounds) and kills it with SIGKILL. After every kill:
  - every committed checkpoint offset is on a line boundary, and every line
    before it is in the file output (a commit follows acceptance);
  - some rounds damage a state file (checkpoint, baseline snapshot, disk
    buffer segment or read position: truncated, zeroed or garbage);
  - vigil must start again, and its first line of each file is the one right
    after the last commit (read from the start after a damaged checkpoint:
    read_from head), so duplicates come only from after the last commit.
At the end the receiver is up, vigil drains and stops with SIGTERM: every
line is in both outputs, and the receiver got each file's lines in order.
The tcp output runs with `ack: true`: "every line" is a promise only the
acknowledged mode makes. Without acks, what the receiver had not read when it
is killed is gone (counted in vigil_output_possibly_lost_total); that depended
on how many events the kernel's socket buffers held, more with the smaller
batches of wire version 2.
VIGIL_WRAP (valgrind) is honoured."""
import glob, os, random, re, signal, subprocess, sys, threading, time, json

VIGIL, CAT, D, ROUNDS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
WRAP = os.environ.get("VIGIL_WRAP", "").split()
PY = "/usr/bin/python3"
HELP = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(int(os.environ.get("SEED", "7")))
W = 64
FILES = {"a": os.path.join(D, "logs", "a.log"), "b": os.path.join(D, "logs", "b.log")}
LRE = re.compile(r"^([ab])-(\d{8}) x+$")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def mkline(k, n):
    s = "%s-%08d " % (k, n)
    return (s + "x" * (W - 1 - len(s)) + "\n").encode()


class Writer(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.n = {k: 0 for k in FILES}
        self.stop = False
        self.lock = threading.Lock()

    def run(self):
        while not self.stop:
            with self.lock:
                for k, p in FILES.items():
                    with open(p, "ab") as f:
                        f.write(b"".join(mkline(k, self.n[k] + i + 1) for i in range(300)))
                    self.n[k] += 300
            time.sleep(0.02)


def messages():
    out = subprocess.run([CAT] + sorted(glob.glob(os.path.join(D, "out", "*"))),
                         capture_output=True, text=True, errors="replace").stdout
    res = []
    for l in out.splitlines():
        try:
            res.append(json.loads(l)["record"].get("message", ""))
        except ValueError:
            res.append("<bad json>")
    return res


def committed():
    """{file key: offset} from the checkpoint, None when it is unreadable."""
    res = {}
    try:
        text = open(os.path.join(D, "state", "checkpoints", "logs.ckpt"), errors="replace").read()
    except OSError:
        return {}
    inos = {os.stat(p).st_ino: k for k, p in FILES.items()}
    for l in text.splitlines()[1:]:
        p = l.split()
        if len(p) >= 7 and p[0] != "end" and int(p[1]) in inos:
            res[inos[int(p[1])]] = int(p[4])
    return res


def damage():
    cands = glob.glob(os.path.join(D, "state", "checkpoints", "*.ckpt")) + \
        glob.glob(os.path.join(D, "state", "baselines", "*")) + \
        glob.glob(os.path.join(D, "state", "buffer", "*", "*"))
    cands = [c for c in cands if os.path.isfile(c)]
    if not cands:
        return None
    path = rng.choice(sorted(cands))
    how = rng.choice(["truncated", "zeroed", "garbage"])
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        if how == "truncated":
            f.truncate(size // 2)
        elif how == "zeroed":
            f.write(b"\0" * size)
        else:
            f.seek(size // 3)
            f.write(bytes(rng.randrange(256) for _ in range(max(64, size // 3))))
    return path, how


class Receiver:
    def __init__(self):
        self.p = None
        self.port = None

    def up(self):
        if self.p:
            return
        self.p = subprocess.Popen([PY, os.path.join(HELP, "tcp_receiver.py"), "--ack", "--out",
                                   os.path.join(D, "net.got")] + (["--port", str(self.port)] if self.port else []),
                                  stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline())

    def down(self):
        if self.p:
            self.p.kill()
            self.p.wait()
            self.p = None


def config(port):
    st = os.path.join(D, "state")
    return f"""service:
  state_dir: {st}
  flush_interval: 100ms
  grace_period: 20s
inputs:
  - name: logs
    type: file
    paths: ["{D}/logs/*.log"]
    read_from: head
    refresh_interval: 200ms
    poll_interval: 100ms
    parser: plain
detectors:
  snapshot_interval: 1s
outputs:
  - name: archive
    type: file
    path: {D}/out
    batch: {{max_delay: 50ms, max_events: 500}}
  - name: net
    type: tcp
    host: 127.0.0.1
    port: {port}
    ack: true
    batch: {{max_delay: 50ms, max_events: 500, max_bytes: 64KiB}}
    retry: {{initial: 50ms, max: 200ms}}
    queue_max_bytes: 128KiB
    buffer: {{type: disk, max_bytes: 64MiB}}
"""


def start(cfgpath):
    err = open(os.path.join(D, "vigil.err"), "a")
    p = subprocess.Popen(WRAP + [VIGIL, "-c", cfgpath], stdout=subprocess.DEVNULL, stderr=err)
    time.sleep(0.3)
    if p.poll() is not None:
        fail("vigil did not start (exit %s); see vigil.err" % p.returncode)
    return p


def main():
    os.makedirs(os.path.join(D, "logs"), exist_ok=True)
    os.makedirs(os.path.join(D, "out"), exist_ok=True)
    rcv = Receiver()
    rcv.up()
    cfgpath = os.path.join(D, "crash.yaml")
    open(cfgpath, "w").write(config(rcv.port))
    for k in FILES:
        open(FILES[k], "ab").close()
    w = Writer()
    w.start()
    resume = {k: 0 for k in FILES}
    seen_before = 0
    damaged = 0
    for r in range(ROUNDS):
        if r % 2:
            rcv.down()
        else:
            rcv.up()
        p = start(cfgpath)
        time.sleep(rng.uniform(0.2, 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
        with w.lock:
            msgs = messages()
            ck = committed()
        # where this run began: the first line of each file among its messages
        firsts = {}
        for m in msgs[seen_before:]:
            mm = LRE.match(m)
            if mm and mm.group(1) not in firsts:
                firsts[mm.group(1)] = int(mm.group(2))
        for k, n in firsts.items():
            if n != resume[k] + 1:
                fail("round %d: file %s resumed at line %d, last commit was line %d"
                     % (r, k, n, resume[k]))
        have = {k: set() for k in FILES}
        for m in msgs:
            mm = LRE.match(m)
            if mm:
                have[mm.group(1)].add(int(mm.group(2)))
            elif m != "<bad json>":
                fail("round %d: cut or glued line %r" % (r, m[:100]))
        for k, off in ck.items():
            if off % W:
                fail("round %d: checkpoint of %s at %d, not a line boundary" % (r, k, off))
            missing = [i for i in range(1, off // W + 1) if i not in have[k]]
            if missing:
                fail("round %d: %d committed lines of %s not in the output (first %d)"
                     % (r, len(missing), k, missing[0]))
        resume = {k: ck.get(k, 0) // W for k in FILES}
        seen_before = len(msgs)
        if r % 3 == 2:
            d = damage()
            if d:
                damaged += 1
                print("round %d: damaged %s (%s)" % (r, os.path.relpath(d[0], D), d[1]))
                if d[0].endswith(".ckpt"):
                    resume = {k: 0 for k in FILES}   # read again from the start
    w.stop = True
    w.join()
    rcv.up()
    p = start(cfgpath)
    total = dict(w.n)
    deadline = time.time() + 60
    while time.time() < deadline:
        ck = committed()
        if all(ck.get(k, 0) == total[k] * W for k in FILES):
            break
        time.sleep(0.3)
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    if p.wait() != 0:
        fail("vigil exited %d after SIGTERM" % p.returncode)
    # the last acknowledged frames may still be being written out by the
    # receiver. Let it finish (until net.got stops growing) before
    # stopping it.
    size, still = -1, 0
    while still < 4:
        time.sleep(0.5)
        n = os.path.getsize(os.path.join(D, "net.got"))
        still = still + 1 if n == size else 0
        size = n
    rcv.down()
    msgs = messages()
    net = []
    for l in open(os.path.join(D, "net.got"), errors="replace"):
        m = re.search(r'"message": "([^"]*)"', l)
        if m:
            net.append(m.group(1))
    for name, got in (("file output", msgs), ("tcp receiver", net)):
        have = {k: [] for k in FILES}
        for m in got:
            mm = LRE.match(m)
            if mm:
                have[mm.group(1)].append(int(mm.group(2)))
        for k in FILES:
            s = set(have[k])
            missing = [i for i in range(1, total[k] + 1) if i not in s]
            if missing:
                fail("%s: %d of %d lines of %s missing (first %d)" % (name, len(missing), total[k], k, missing[0]))
            dups = len(have[k]) - len(s)
            print("%s: %s: %d lines, none missing, %d duplicates" % (name, k, total[k], dups))
    # the receiver: within one delivery the lines of a file come in order; a
    # replay after a crash starts again at the last commit (lower numbers)
    print("%d kill -9 rounds, %d damaged state files: ok" % (ROUNDS, damaged))


main()
