#!/usr/bin/python3
"""torture.py - writers for the rotation torture test and its checker.

  torture.py write DIR LINES STATE_DIR     every writer writes about LINES lines
                                           at full speed, then prints NAME LAST_SEQ MODE
  torture.py check GOT WRITTEN             GOT: shipped messages, one per line;
                                           WRITTEN: the write summary above

Every line is "<writer>-<seq 8 digits> <payload>" where the payload length and
bytes follow from seq, so a cut or glued line is recognised. Writers run as
separate processes at full speed, each with its own way of rotating:
  rename    mv to NAME.log.K (matched by the glob: identity by inode) after a
            few hundred lines, late writes to the old descriptor, then a new file
  fast      the same every 50 lines: rotation faster than reading
  copytrunc cp to NAME.log.cK (matched: read again from its start), then
            truncate in place; writes continue at 0 (O_APPEND)
  recreate  rm and create again: the freed inode is usually reused at once
  truncate  once vigil has committed the whole file (its checkpoint offset
            equals the size) truncate it and rewrite more bytes than before,
            so only the fingerprint of the first bytes tells the files apart
  symlink   current.log is a symlink switched atomically to a new target in
            a subfolder of the glob's folder (follow_symlinks: inside allows
            it); the old target gets late writes
  linkdir   rename rotation inside a folder reached through a symlinked folder
  slow      whole lines in two write() calls with a pause between (partial
            lines held until their newline)
Exactly once is expected from every writer except copytrunc (at least once:
the copy is read again from its start).
"""
import os, re, sys, time, glob, collections, multiprocessing as mp

LINE = re.compile(r'^([a-z]+)-(\d{8}) (.*)$', re.S)


def payload(seq):
    n = (seq * 37) % 180 + 3
    base = "%08x" % (seq * 2654435761 % (1 << 32))
    return (base * (n // 8 + 1))[:n] + "|"


def line(name, seq):
    return "%s-%08d %s\n" % (name, seq, payload(seq))


def chunk(name, seq, n):
    return "".join(line(name, s) for s in range(seq, seq + n)).encode()


def ckpt_offset(state, path):
    """Committed offset of the file at path (by inode), or -1."""
    try:
        ino = os.stat(path).st_ino
        for f in glob.glob(os.path.join(state, "checkpoints", "*.ckpt")):
            for l in open(f, errors="replace"):
                p = l.split()
                if len(p) >= 7 and p[1] == str(ino):
                    return int(p[4])
    except OSError:
        pass
    return -1


def openw(path):
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def writer(mode, d, lines, state, q):
    name = mode
    seq = 1
    limit = lines // 10 if mode == "slow" else lines
    k = 0
    if mode == "symlink":
        store = os.path.join(d, "logs", "store")
        os.makedirs(store, exist_ok=True)
        target = os.path.join(store, "sym-0.log")
        path = os.path.join(d, "logs", "current.log")
        fd = openw(target)
        os.symlink(target, path)
        time.sleep(0.3)                              # found by a scan before the first switch
    elif mode == "linkdir":
        path = os.path.join(d, "linked", "dir.log")   # through the symlink
    else:
        path = os.path.join(d, "logs", name + ".log")
    if mode != "symlink":
        fd = openw(path)
    per = {"rename": 400, "fast": 50, "copytrunc": 500, "recreate": 600,
           "truncate": 800, "symlink": 700, "linkdir": 500, "slow": 10 ** 9}[mode]
    written = 0
    while seq <= limit:
        if mode == "slow":
            b = line(name, seq).encode()
            os.write(fd, b[:len(b) // 2])
            time.sleep(0.002)
            os.write(fd, b[len(b) // 2:])
            seq += 1
            continue
        n = 25
        os.write(fd, chunk(name, seq, n))
        seq += n
        written += n
        # recreated files alternate in size: the freed inode is reused at
        # once, and a stale checkpoint row of the same size would look read
        if written < per + (25 if mode == "recreate" and k % 2 else 0):
            continue
        written = 0
        k += 1
        if mode in ("rename", "fast", "linkdir"):
            os.rename(path, "%s.%d" % (path, k))
            os.write(fd, chunk(name, seq, 10))       # late writes to the old file
            seq += 10
            os.close(fd)
            fd = openw(path)
        elif mode == "copytrunc":
            with open(path, "rb") as src, open("%s.c%d" % (path, k), "wb") as dst:
                dst.write(src.read())
            os.ftruncate(fd, 0)
        elif mode == "recreate":
            # a file deleted before vigil saw it is gone (a documented limit):
            # it must live until it was read, however slow a sanitizer build is
            size = os.fstat(fd).st_size
            deadline = time.time() + 10
            while ckpt_offset(state, path) != size and time.time() < deadline:
                time.sleep(0.02)
            os.close(fd)
            os.unlink(path)
            fd = openw(path)
        elif mode == "truncate":
            size = os.fstat(fd).st_size
            deadline = time.time() + 10
            while ckpt_offset(state, path) != size and time.time() < deadline:
                time.sleep(0.02)
            os.ftruncate(fd, 0)
            # more bytes than before, in one write: the size alone cannot tell
            n2 = per * 2
            os.write(fd, chunk(name, seq, n2))
            seq += n2
        elif mode == "symlink":
            target = os.path.join(d, "logs", "store", "sym-%d.log" % k)
            nfd = openw(target)
            tmp = path + ".tmp"
            os.symlink(target, tmp)
            os.rename(tmp, path)
            os.write(fd, chunk(name, seq, 10))       # late writes to the old target
            seq += 10
            os.close(fd)
            fd = nfd
            # the new target must be opened before the next switch
            deadline = time.time() + 10
            while ckpt_offset(state, path) < 0 and time.time() < deadline:
                time.sleep(0.02)
            time.sleep(0.1)
    os.close(fd)
    q.put("%s %d %s" % (name, seq - 1, mode))


MODES = ["rename", "fast", "copytrunc", "recreate", "truncate", "symlink", "linkdir", "slow"]


def write(d, lines, state):
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    os.makedirs(os.path.join(d, "real"), exist_ok=True)
    if not os.path.exists(os.path.join(d, "linked")):
        os.symlink(os.path.join(d, "real"), os.path.join(d, "linked"))
    q = mp.Queue()
    modes = os.environ.get("TORTURE_MODES", " ".join(MODES)).split()
    ps = [mp.Process(target=writer, args=(m, d, lines, state, q)) for m in modes]
    for p in ps:
        p.start()
    res = [q.get() for _ in ps]
    for p in ps:
        p.join()
    for r in sorted(res):
        print(r)


def check(got_path, written_path):
    want = {}
    for l in open(written_path):
        name, last, mode = l.split()
        want[name] = (int(last), mode)
    seen = collections.defaultdict(collections.Counter)
    bad = []
    for l in open(got_path, encoding="utf-8", errors="replace"):
        l = l.rstrip("\n")
        m = LINE.match(l)
        if not m or m.group(1) not in want or m.group(3) != payload(int(m.group(2))).rstrip("\n"):
            bad.append(l)
            continue
        seen[m.group(1)][int(m.group(2))] += 1
    ok = not bad
    if bad:
        print("cut or glued lines: %d, first %r" % (len(bad), bad[:3]))
    for name, (last, mode) in sorted(want.items()):
        c = seen[name]
        missing = [i for i in range(1, last + 1) if c[i] == 0]
        dups = sum(n - 1 for n in c.values() if n > 1)
        extra = [i for i in c if i > last]
        allowed = mode == "copytrunc"
        verdict = "ok"
        if missing or extra or (dups and not allowed):
            verdict = "FAIL"
            ok = False
        print("%-9s %6d lines, %d missing %s, %d duplicates%s: %s" % (
            name, last, len(missing), missing[:5] if missing else "", dups,
            " (allowed)" if allowed and dups else "", verdict))
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], sys.argv[3]) else 1)
