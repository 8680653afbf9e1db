#!/usr/bin/python3
"""it_check.py - what the output integration tests check, in one place.

  it_check.py messages KIND FILE   the "message" of every event in FILE, one a
                                   line, in arrival order. KIND: peer (what a
                                   tcp/http/forward test peer wrote: vigil_decode
                                   lines and "JSON {...}" lines; its own REQ/MSG/
                                   AUTH... lines skipped), cat (vigil-cat output),
                                   json / text (vigil's stdout: JSON lines / the
                                   other lines, "TS TAG message").
  it_check.py same WANT GOT        GOT equals WANT line for line.
  it_check.py once FILE PREFIX FROM TO
                                   the numbered lines PREFIX-FROM..TO are in FILE
                                   exactly once each and in order.
  it_check.py atleast FILE PREFIX FROM TO
                                   none missing, each in order of first arrival;
                                   prints how many came twice.
  it_check.py get URL              prints the status, then the body.
  it_check.py metric URL SERIES    prints the value of SERIES in the Prometheus
                                   text at URL (e.g. 'vigil_paused' or
                                   'vigil_output_events_total{output="tcp"}'),
                                   exit 1 when absent.
Exit 0 when the check holds, 1 otherwise (with the reason on stdout)."""
import collections
import json
import sys
import urllib.error
import urllib.request

PEER_WORDS = ("REQ", "MSG", "BATCH", "AUTH", "TLSERR", "ERR", "RESET", "CUT", "BAD")


def messages(kind, path):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if kind == "peer":
                word = line.split(" ", 1)[0]
                if word in PEER_WORDS or not line:
                    continue
                if word == "JSON":
                    out.append(json.loads(line[5:]).get("message", ""))
                else:
                    out.append(json.loads(line.split(" ", 2)[2]).get("message", ""))
            elif kind == "cat":
                out.append(json.loads(line)["record"].get("message", ""))
            elif kind == "json":
                if line.startswith("{"):
                    out.append(json.loads(line).get("message", ""))
            elif kind == "text":
                if line and not line.startswith("{"):
                    out.append(line.split(" ", 2)[2])
            else:
                raise SystemExit("unknown kind " + kind)
    return out


def lines(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return [l.rstrip("\n") for l in f]


def numbered(path, prefix):
    nums = []
    for l in lines(path):
        if l.startswith(prefix + "-"):
            nums.append(int(l.split()[0].rsplit("-", 1)[1]))
    return nums


def main():
    cmd = sys.argv[1]
    if cmd == "messages":
        for m in messages(sys.argv[2], sys.argv[3]):
            print(m)
        return 0
    if cmd == "same":
        want, got = lines(sys.argv[2]), lines(sys.argv[3])
        for i, (w, g) in enumerate(zip(want, got)):
            if w != g:
                print("line %d differs:\n  want %r\n  got  %r" % (i + 1, w, g))
                return 1
        if len(want) != len(got):
            print("want %d lines, got %d" % (len(want), len(got)))
            return 1
        print("%d lines, identical" % len(want))
        return 0
    if cmd in ("once", "atleast"):
        path, p, a, b = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        nums = numbered(path, p)
        c = collections.Counter(nums)
        missing = [i for i in range(a, b + 1) if c[i] == 0]
        dups = sorted(i for i, n in c.items() if n > 1)
        first = []
        seen = set()
        for n in nums:
            if n not in seen:
                seen.add(n)
                first.append(n)
        disorder = [(x, y) for x, y in zip(first, first[1:]) if y < x]
        if missing or disorder or (cmd == "once" and dups):
            print("%s: %d missing (first %s), %d duplicated (first %s), %d out of order (first %s)" % (
                p, len(missing), missing[:5], len(dups), dups[:5], len(disorder), disorder[:3]))
            return 1
        if cmd == "once":
            print("%s: %d lines, each exactly once, in order" % (p, b - a + 1))
        else:
            print("%s: %d lines, none missing, in order, %d came twice" % (p, b - a + 1, len(dups)))
        return 0
    if cmd in ("get", "metric"):
        try:
            with urllib.request.urlopen(sys.argv[2], timeout=5) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        if cmd == "get":
            print(status)
            sys.stdout.write(body)
            return 0
        for l in body.splitlines():
            if l.startswith("#"):
                continue
            series, _, value = l.rpartition(" ")
            if series == sys.argv[3]:
                print(value)
                return 0
        return 1
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
