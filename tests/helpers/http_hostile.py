#!/usr/bin/python3
"""http_hostile.py - hostile clients of vigil's service.http (loopback only).

  http_hostile.py cpu PID                    CPU seconds (user+system) PID used so far
  http_hostile.py rss PID                    resident set of PID in KiB
  http_hostile.py hold PORT N SECONDS PATH   N half-sent requests held SECONDS
  http_hostile.py bigheader PORT MIB         one request head of MIB MiB: prints
                                             "refused STATUS SENT_BYTES" or "closed SENT_BYTES"
  http_hostile.py noread PORT N SECONDS PATH N clients that ask PATH and never read
  http_hostile.py trickle PORT SECONDS       one request head sent a byte every 2 s:
                                             prints "closed ELAPSED" or "open ELAPSED"

Every loop is bounded; sockets are closed on exit."""
import os, select, socket, sys, time


def cpu(pid):
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def rss(pid):
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return 0


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(0.2)   # past the backlog a connect waits: give up quickly
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def hold(port, n, seconds, path, request):
    """n connections at once (non-blocking connects: past the server's backlog
    a connect would wait for SYN retries), each sends request and keeps quiet."""
    socks, connected = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    pending = list(socks)
    end = time.time() + 3
    while pending and time.time() < end:
        _, w, _ = select.select([], pending, [], 0.2)
        for s in w:
            pending.remove(s)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    s.send(request % path.encode())
                    connected.append(s)
                except OSError:
                    pass
    print(len(connected), flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def bigheader(port, mib):
    s = connect(port)
    s.settimeout(10)
    sent = 0
    chunk = b"a" * 65536
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        for _ in range(mib * 16):
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    try:
        head = s.recv(64)
    except OSError:
        head = b""
    if head.startswith(b"HTTP/1."):
        print("refused", head.split()[1].decode(), sent)
    else:
        print("closed", sent)


def trickle(port, seconds):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.settimeout(2)
    start = time.time()
    closed = False
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        while time.time() - start < seconds:
            s.sendall(b"a")
            try:
                if s.recv(64) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
    except OSError:
        closed = True
    print("closed" if closed else "open", int(time.time() - start), flush=True)
    s.close()


cmd = sys.argv[1]
if cmd == "cpu":
    print("%.2f" % cpu(sys.argv[2]))
elif cmd == "rss":
    print(rss(sys.argv[2]))
elif cmd == "hold":
    hold(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
         b"GET %s HTTP/1.1\r\nHost: x\r\n")
elif cmd == "noread":
    hold(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
         b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n")
elif cmd == "trickle":
    trickle(int(sys.argv[2]), float(sys.argv[3]))
elif cmd == "bigheader":
    bigheader(int(sys.argv[2]), int(sys.argv[3]))
else:
    sys.exit("unknown command " + cmd)
