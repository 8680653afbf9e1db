#!/usr/bin/python3
"""bench.py - vigil's performance harness (`make bench`).

Runs the real binary on a deterministic workload from vigil-gen and prints one
table row per run: lines/s, MB/s in, CPU seconds (user+sys), wall, peak RSS,
output bytes and compression ratio. Numbers are reported, never asserted.
Results also go to build/bench/results.md.

Runs 5 and 6 send to an in-process loopback OTLP/HTTP receiver (OtlpSink).

Then the mixed-file section (tests/bench/mixed.py): `vigil-gen mixed`, `lz4 -1`
of it, the whole product, detectors off, the JSON parser alone, raw; medians of
interleaved rounds; callgrind instructions per line per stage; and the "Done
when" targets of issue 18 with the measured values.

Environment: B (build dir), BENCH_LINES (default 2,000,000; both workloads),
BENCH_QUICK=1 (skip live, idle, latency and flood runs), BENCH_PEERS=1 (also
time `lz4 -1`, rsyslog and syslog-ng on the same bytes when installed),
BENCH_ONLY=mixed (only the mixed-file section, plus the idle and latency runs
its targets need unless BENCH_QUICK=1), BENCH_ROUNDS (interleaved rounds of the
mixed section, default 3), BENCH_CALLGRIND_LINES (lines of the callgrind run,
default 200,000; 0 skips it).
"""
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mixed import Mixed

B = os.environ.get("B", "build")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VIGIL = os.path.join(ROOT, B, "vigil")
GEN = os.path.join(ROOT, B, "vigil-gen")
LINES = int(os.environ.get("BENCH_LINES", "2000000"))
QUICK = os.environ.get("BENCH_QUICK", "0") == "1"
PEERS = os.environ.get("BENCH_PEERS", "0") == "1"
ONLY = os.environ.get("BENCH_ONLY", "")
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "3")))
CG_LINES = int(os.environ.get("BENCH_CALLGRIND_LINES", "200000"))
OUT = os.path.join(ROOT, B, "bench")
PARSER_BENCH = os.path.join(ROOT, B, "parser_bench")   # built by run.sh
FRAME_PARSER = os.environ.get("BENCH_FRAME_PARSER", "none")   # run 1: no parser

rows = []
notes = []


def cfg(tmp, name, parsers=True, detectors=False, compression="lz4", idle_dir=None,
        extra_inputs="", alerts="none", memory_max="64MiB", outputs=True):
    data = os.path.join(tmp, "data")
    st = os.path.join(tmp, "state-" + name)
    out = os.path.join(tmp, "out-" + name)
    shutil.rmtree(st, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    p = (lambda x: x) if parsers else (lambda x: FRAME_PARSER)
    inputs = [("app", "app.log", p("json")), ("auth", "auth.log", p("auth")),
              ("history", "bash_history", p("shell")), ("egress", "egress.log", p("logfmt"))]
    y = ["service:", f"  state_dir: {st}", "  flush_interval: 1s", "  log_level: warn",
         "inputs:"]
    for n, f, parser in inputs:
        y += [f"  - name: {n}", "    type: file", f"    paths: [\"{data}/{f}\"]",
              "    read_from: head", f"    parser: {parser}"]
    if idle_dir:
        y += ["  - name: idle", "    type: file", f"    paths: [\"{idle_dir}/*.log\"]",
              "    read_from: head", "    parser: plain"]
    y += [extra_inputs]
    y += ["alerts:", f"  format: {alerts}", "detectors:", f"  enabled: {'true' if detectors else 'false'}",
          f"  memory_max: {memory_max}"]
    if outputs:
        y += ["outputs:", "  - name: bench", "    type: file", f"    path: {out}",
              f"    compression: {compression}", "    fsync: never"]
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write("\n".join(y) + "\n")
    return path, out


def dir_bytes(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)) if os.path.isdir(d) else 0


def run_once(label, conf, out, nlines, nbytes):
    """Runs vigil --once under /usr/bin/time: its own CPU and peak RSS. The
    table's numbers come from a plain run; the stage profile from a second
    run with --stats (its clock reads cost a few percent)."""
    def once(extra):
        st = [l.split(": ", 1)[1].strip() for l in open(conf) if l.strip().startswith("state_dir:")][0]
        shutil.rmtree(st, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-f", "TIME %M %U %S", VIGIL, "-c", conf, "--once"] + extra,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            print(p.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"bench: {label}: vigil exited {p.returncode}")
        return p, wall
    p, wall = once([])
    tl = [l for l in p.stderr.splitlines() if l.startswith("TIME ")][-1].split()
    rss = float(tl[1]) / 1024.0
    cpu = float(tl[2]) + float(tl[3])
    ob = dir_bytes(out)
    rows.append({
        "run": label, "lines": nlines, "lines_s": nlines / wall, "lines_cpu_s": nlines / cpu if cpu else 0,
        "mb_s": nbytes / wall / 1e6, "cpu": cpu, "wall": wall, "rss": rss,
        "out": ob, "ratio": nbytes / ob if ob else 0,
    })
    p, _ = once(["--stats"])
    det = [l.split()[1] for l in p.stderr.splitlines() if l.startswith("detector_mem ")]
    rows[-1]["det"] = float(det[0]) / 1024.0 if det else 0.0
    stage_table = "\n".join(l for l in p.stderr.splitlines() if not l.startswith(("ts=", "TIME ")))
    notes.append(f"### {label}: stage profile (`vigil --once --stats`)\n```\n{stage_table}\n```")


def peak_rss_of(cmd):
    """Runs cmd under /usr/bin/time to get its own peak RSS (MiB), wall and CPU."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    last = p.stderr.strip().splitlines()[-1].split()
    return float(last[0]) / 1024.0, float(last[1]) + float(last[2]), wall, p.returncode


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1]) / 1024.0
    return 0.0


def live_cpu(tmp):
    """Appends JSON lines at fixed rates while vigil tails; reports CPU%."""
    d = os.path.join(tmp, "live")
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "app.log")
    open(log, "w").close()
    conf = os.path.join(tmp, "live.yaml")
    with open(conf, "w") as f:
        f.write(f"""service:
  state_dir: {tmp}/state-live
  log_level: warn
inputs:
  - name: app
    paths: ["{log}"]
    parser: json
alerts:
  format: none
outputs:
  - name: bench
    type: file
    path: {tmp}/out-live
    fsync: never
""")
    os.makedirs(f"{tmp}/out-live", exist_ok=True)
    v = subprocess.Popen([VIGIL, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    line = ('{"ts":"2026-11-26T10:00:01.123Z","level":"info","msg":"request served","method":"GET",'
            '"path":"/api/v1/orders","status":200,"user":"alice","latency_ms":12}\n')
    res = []
    idle0 = proc_cpu(v.pid)
    time.sleep(3)
    res.append(("idle (1 file)", (proc_cpu(v.pid) - idle0) / 3 * 100))
    with open(log, "a") as f:
        for rate in (10000, 50000, 100000):
            secs = 4
            c0 = proc_cpu(v.pid)
            t0 = time.monotonic()
            per_tick = rate // 100
            chunk = line * per_tick
            for k in range(secs * 100):
                f.write(chunk)
                f.flush()
                delay = t0 + (k + 1) / 100 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            time.sleep(0.3)
            res.append((f"{rate:,} lines/s", (proc_cpu(v.pid) - c0) / (time.monotonic() - t0) * 100))
    v.terminate()
    v.wait()
    return res


def idle_files(tmp, n):
    d = os.path.join(tmp, f"idle{n}")
    os.makedirs(d, exist_ok=True)
    for i in range(n):
        with open(os.path.join(d, f"f{i:04d}.log"), "w") as f:
            f.write("x\n")
    conf = os.path.join(tmp, f"idle{n}.yaml")
    with open(conf, "w") as f:
        f.write(f"""service:
  state_dir: {tmp}/state-idle{n}
  log_level: warn
inputs:
  - name: idle
    paths: ["{d}/*.log"]
    parser: plain
alerts:
  format: none
outputs:
  - name: bench
    type: file
    path: {tmp}/out-idle{n}
""")
    os.makedirs(f"{tmp}/out-idle{n}", exist_ok=True)
    v = subprocess.Popen([VIGIL, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    c0 = proc_cpu(v.pid)
    time.sleep(5)
    cpu = (proc_cpu(v.pid) - c0) / 5 * 100
    rss = proc_rss_mib(v.pid)
    v.terminate()
    v.wait()
    return cpu, rss


def alert_latency(tmp, samples=1000, background=50000):
    """Appends one attack line at a time under background load; measures the
    time until its alert is on vigil's stdout."""
    d = os.path.join(tmp, "lat")
    os.makedirs(d, exist_ok=True)
    auth = os.path.join(d, "auth.log")
    app = os.path.join(d, "app.log")
    open(auth, "w").close()
    open(app, "w").close()
    conf = os.path.join(tmp, "lat.yaml")
    with open(conf, "w") as f:
        f.write(f"""service:
  state_dir: {tmp}/state-lat
  log_level: warn
inputs:
  - name: auth
    paths: ["{auth}"]
    parser: auth
  - name: app
    paths: ["{app}"]
    parser: json
alerts:
  format: json
  min_severity: info
  throttle: 0s
outputs:
  - name: bench
    type: file
    path: {tmp}/out-lat
    fsync: never
""")
    os.makedirs(f"{tmp}/out-lat", exist_ok=True)
    v = subprocess.Popen([VIGIL, "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         bufsize=0)
    time.sleep(1.0)
    stop = threading.Event()
    line = ('{"ts":"2026-11-26T10:00:01.123Z","level":"info","msg":"request served","method":"GET",'
            '"path":"/api/v1/orders","status":200,"user":"alice","latency_ms":12}\n')

    def load():
        with open(app, "a") as f:
            t0 = time.monotonic()
            k = 0
            while not stop.is_set():
                f.write(line * (background // 100))
                f.flush()
                k += 1
                delay = t0 + k / 100 - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    th = threading.Thread(target=load, daemon=True)
    th.start()
    lat = []
    buf = b""
    misses = 0
    with open(auth, "a") as f:
        for i in range(samples):
            ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
            # One sample per event minute: the alert stream caps each rule at
            # 100 alerts per event minute, which would hide later samples.
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1795000000 + i * 60))
            t0 = time.monotonic()
            f.write(f"{ts}.000000+00:00 web-1 sshd[4242]: Accepted password for root "
                    f"from {ip} port 4242 ssh2\n")
            f.flush()
            deadline = t0 + 0.5
            found = False
            while time.monotonic() < deadline and not found:
                r, _, _ = select.select([v.stdout], [], [], 0.5)
                if r:
                    buf += os.read(v.stdout.fileno(), 65536)
                    if ip.encode() + b'"' in buf or ip.encode() + b" " in buf:
                        found = True
                        lat.append((time.monotonic() - t0) * 1000)
                        buf = b""
            if not found:
                misses += 1
                if misses >= 20 and not lat:
                    break           # no alerts at all: do not wait 1,000 times
            time.sleep(0.002)
    stop.set()
    th.join()
    v.terminate()
    v.wait()
    if not lat:
        return None
    lat.sort()
    return {"n": len(lat), "samples": samples, "misses": misses, "p50": statistics.median(lat),
            "p99": lat[int(len(lat) * 0.99) - 1 if len(lat) > 1 else 0], "max": lat[-1]}


def flood(tmp, kind, n=1000000):
    f = os.path.join(tmp, f"flood-{kind}.log")
    subprocess.run([GEN, "flood", f, "--lines", str(n), "--kind", kind], check=True)
    conf = os.path.join(tmp, f"flood-{kind}.yaml")
    with open(conf, "w") as c:
        c.write(f"""service:
  state_dir: {tmp}/state-flood-{kind}
  log_level: warn
inputs:
  - name: auth
    paths: ["{f}"]
    read_from: head
    parser: auth
alerts:
  format: none
detectors:
  memory_max: 64MiB
""")
    rss, cpu, wall, rc = peak_rss_of([VIGIL, "-c", conf, "--once"])
    return rss, cpu, wall, rc


def proc_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            if l.startswith("VmHWM:"):
                return int(l.split()[1]) / 1024.0
    return 0.0


def daemon_to_end(label, cmd, out, nlines, nbytes, env=None, timeout=600):
    """Starts a tailing daemon, waits until out holds nlines lines, then reads
    its own CPU time and peak RSS from /proc before stopping it."""
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    except OSError as e:
        notes.append(f"{label}: could not start ({e})")
        return
    seen, pos = 0, 0
    cpu = rss = 0.0
    while time.monotonic() - t0 < timeout and p.poll() is None:
        if os.path.exists(out):
            with open(out, "rb") as f:
                f.seek(pos)
                chunk = f.read()
                pos += len(chunk)
                seen += chunk.count(b"\n")
        try:
            cpu, rss = proc_cpu(p.pid), proc_hwm_mib(p.pid)
        except OSError:
            break
        if seen >= nlines:
            break
        time.sleep(0.02)
    wall = time.monotonic() - t0
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    else:
        notes.append(f"{label}: exited early: {p.stderr.read().decode(errors='replace')[-300:]}")
    if seen < nlines:
        notes.append(f"{label}: wrote {seen:,} of {nlines:,} lines before stopping")
    rows.append({"run": label, "lines": seen, "lines_s": seen / wall, "lines_cpu_s": seen / cpu if cpu else 0,
                 "mb_s": nbytes * seen / max(nlines, 1) / wall / 1e6, "cpu": cpu, "wall": wall, "rss": rss,
                 "out": os.path.getsize(out) if os.path.exists(out) else 0, "ratio": 0})


def peers(tmp, data, nbytes):
    """BENCH_PEERS=1: the same bytes through `lz4 -1`, rsyslog (imfile ->
    omfile) and syslog-ng (file() -> file()), each from one concatenated file.
    run.sh installs rsyslog and unpacks syslog-ng when it can; a missing
    peer is noted, never an error."""
    cat = os.path.join(tmp, "all.log")
    with open(cat, "wb") as w:
        for f in sorted(os.listdir(data)):
            with open(os.path.join(data, f), "rb") as r:
                shutil.copyfileobj(r, w)
    with open(cat, "rb") as f:
        nlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    subprocess.run(["cat", cat], stdout=subprocess.DEVNULL)
    if shutil.which("lz4"):
        rss, cpu, wall, _ = peak_rss_of(["lz4", "-1", "-f", "-q", cat, cat + ".lz4"])
        ob = os.path.getsize(cat + ".lz4")
        rows.append({"run": "peer: lz4 -1 of the same bytes (a floor)", "lines": nlines,
                     "lines_s": nlines / wall, "lines_cpu_s": nlines / cpu if cpu else 0,
                     "mb_s": nbytes / wall / 1e6, "cpu": cpu, "wall": wall, "rss": rss,
                     "out": ob, "ratio": nbytes / ob})
        os.unlink(cat + ".lz4")
    else:
        notes.append("peer lz4: not installed")
    rsyslogd = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd") else None)
    if rsyslogd:
        d = os.path.join(tmp, "rsyslog")
        os.makedirs(d, exist_ok=True)
        out = os.path.join(d, "out.log")
        conf = os.path.join(d, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f"""global(workDirectory="{d}")
module(load="imfile" mode="inotify")
input(type="imfile" File="{cat}" Tag="bench" freshStartTail="off")
template(name="m" type="string" string="%msg%\\n")
action(type="omfile" file="{out}" template="m")
""")
        daemon_to_end("peer: rsyslog imfile -> omfile", [rsyslogd, "-n", "-f", conf, "-i", os.path.join(d, "pid")],
                      out, nlines, nbytes)
    else:
        notes.append("peer rsyslog: not installed (run.sh installs it with BENCH_PEERS=1 when apt-get works)")
    root = os.environ.get("BENCH_SYSLOG_NG_ROOT", os.path.join(OUT, "peers", "syslog-ng", "root"))
    sng = shutil.which("syslog-ng") or next((c for c in (os.path.join(root, "usr/sbin/syslog-ng"),)
                                             if os.path.exists(c)), None)
    if sng:
        d = os.path.join(tmp, "syslog-ng")
        os.makedirs(d, exist_ok=True)
        out = os.path.join(d, "out.log")
        conf = os.path.join(d, "syslog-ng.conf")
        with open(conf, "w") as f:
            f.write(f"""@version: 3.38
options {{ keep_hostname(yes); chain_hostnames(no); stats_freq(0); }};
source s {{ file("{cat}" flags(no-parse) follow_freq(1)); }};
destination d {{ file("{out}" template("${{MESSAGE}}\\n")); }};
log {{ source(s); destination(d); }};
""")
        cmd = [sng, "-F", "-f", conf, "-R", os.path.join(d, "persist"), "-p", os.path.join(d, "pid"),
               "-c", os.path.join(d, "ctl"), "--no-caps"]
        env = dict(os.environ)
        if sng.startswith(root):
            cmd.insert(2, f"--module-path={root}/usr/lib/syslog-ng/3.38")
            env["LD_LIBRARY_PATH"] = f"{root}/usr/lib/syslog-ng:{root}/usr/lib/x86_64-linux-gnu"
        daemon_to_end("peer: syslog-ng file() -> file()", cmd, out, nlines, nbytes, env=env)
    else:
        notes.append("peer syslog-ng: not available (run.sh unpacks it with BENCH_PEERS=1 when apt-get works)")


def parser_throughput(data, rounds=10):
    """Each parser alone on its file of the mix (tests/bench/parser_bench.c):
    lines per CPU-second of that process, best of three runs."""
    out = []
    if not os.path.exists(PARSER_BENCH):
        notes.append("parser throughput: parser_bench not built")
        return out
    for parser, name in (("auth", "auth.log"),):
        path = os.path.join(data, name)
        if not os.path.exists(path):
            continue
        best = 0.0
        for _ in range(3):
            r = subprocess.run([PARSER_BENCH, parser, path, str(rounds)], capture_output=True,
                               text=True)
            try:
                best = max(best, float(r.stdout.split("=")[1].split("M")[0]))
            except (IndexError, ValueError):
                notes.append(f"parser {parser}: {r.stdout.strip()} {r.stderr.strip()}")
                break
        print(f"bench: parser {parser}: {best:.2f} M lines/CPU-s", flush=True)
        out.append(f"| parser `{parser}` alone on {name} (best of 3) | {best:.2f} M lines per CPU-second |")
    return out


SIGMA_BENCH = os.path.join(ROOT, B, "sigma_bench")   # built by run.sh
SIGMA_RULES = os.path.join(ROOT, "..", "shared", "sigma")


def sigma_throughput(data, rounds=10):
    """The Sigma detector with every SigmaHQ Linux rule loaded, on the
    generated shell history and on the tldr commands (tests/bench/sigma_bench.c):
    rule set load time and history lines per CPU-second, best of three."""
    out = []
    if not os.path.exists(SIGMA_BENCH) or not os.path.isdir(SIGMA_RULES):
        notes.append("sigma: sigma_bench not built or no ../shared/sigma")
        return out
    tldr = os.path.join(ROOT, "..", "shared", "corpora", "tldr", "commands.tsv")
    for label, path in (("generated shell history", os.path.join(data, "bash_history")),
                        ("tldr commands", tldr)):
        if not os.path.exists(path):
            continue
        best, load = {}, None
        for _ in range(3):
            r = subprocess.run([SIGMA_BENCH, SIGMA_RULES, path, str(rounds)], capture_output=True, text=True)
            kv = dict(x.split("=", 1) for x in r.stdout.split() if "=" in x)
            if "lines_per_cpu_s" not in kv:
                notes.append(f"sigma_bench: {r.stdout.strip()} {r.stderr.strip()}")
                break
            if not best or float(kv["lines_per_cpu_s"]) > float(best["lines_per_cpu_s"]):
                best = kv
            load = min(load, float(kv["load_ms"])) if load is not None else float(kv["load_ms"])
        if best:
            print(f"bench: sigma on {label}: {float(best['lines_per_cpu_s']):,.0f} lines/CPU-s, "
                  f"load {load:.1f} ms", flush=True)
            out.append(f"| sigma: {best['rules']} SigmaHQ Linux rules on {label} (best of 3; "
                       f"{best['rules_tried_per_command']} rules evaluated per command) | "
                       f"{float(best['lines_per_cpu_s']):,.0f} lines per CPU-second; rule set loads in {load:.1f} ms |")
    return out


def pb_fields(b, i, end):
    """(field number, value start, value end) of the length-delimited fields of
    one protobuf message; others are skipped."""
    while i < end:
        key, i = varint(b, i)
        wt = key & 7
        if wt == 2:
            n, i = varint(b, i)
            yield key >> 3, i, i + n
            i += n
        elif wt == 0:
            _, i = varint(b, i)
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % wt)


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


class OtlpSink:
    """A loopback OTLP/HTTP receiver that costs little: it answers 200 at
    once and counts the log records of each request (the ScopeLogs entries,
    or "timeUnixNano" keys for OTLP/JSON) and the bytes received."""

    def __init__(self):
        sink = self
        self.lock = threading.Lock()
        self.records = self.bytes = self.requests = 0

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                n = len(body)
                if self.headers.get("Content-Encoding") == "gzip":
                    import gzip
                    body = gzip.decompress(body)
                if self.headers.get("Content-Type") == "application/json":
                    recs = body.count(b'"timeUnixNano"')
                else:
                    recs = 0
                    for f1, a, e in pb_fields(body, 0, len(body)):
                        for f2, a2, e2 in pb_fields(body, a, e):
                            if f2 == 2:
                                recs += sum(1 for f3, _, _ in pb_fields(body, a2, e2) if f3 == 2)
                with sink.lock:
                    sink.records += recs
                    sink.bytes += n
                    sink.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def otlp_run(tmp, label, nlines, nbytes, sink, encoding="protobuf", compression="none"):
    """vigil --once: the four inputs parsed, sent as OTLP/HTTP to the sink.
    lines/CPU-s is then log records received per CPU-second of vigil's own
    (fewer records than lines: a bash `#<epoch>` line joins its command)."""
    name = f"otlp-{encoding}-{compression}"
    conf, _ = cfg(tmp, name, parsers=True, outputs=False)
    with open(conf, "a") as f:
        f.write(f"""outputs:
  - name: bench
    type: otlp
    endpoint: http://127.0.0.1:{sink.port}
    encoding: {encoding}
    compression: {compression}
    buffer: {{type: memory}}
""")
    with open(conf) as f:
        text = f.read().replace("  log_level: warn", "  log_level: warn\n  grace_period: 120s")
    with open(conf, "w") as f:
        f.write(text)
    sink.records = sink.bytes = sink.requests = 0
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %M %U %S", VIGIL, "-c", conf, "--once"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        print(p.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"bench: {label}: vigil exited {p.returncode}")
    tl = [l for l in p.stderr.splitlines() if l.startswith("TIME ")][-1].split()
    cpu = float(tl[2]) + float(tl[3])
    rows.append({
        "run": label, "lines": sink.records, "lines_s": sink.records / wall,
        "lines_cpu_s": sink.records / cpu if cpu else 0, "mb_s": nbytes / wall / 1e6, "cpu": cpu,
        "wall": wall, "rss": float(tl[1]) / 1024.0, "out": sink.bytes,
        "ratio": nbytes / sink.bytes if sink.bytes else 0,
    })
    notes.append(f"{label}: {sink.requests:,} requests, {sink.records:,} log records received "
                 f"({sink.records / cpu if cpu else 0:,.0f} records per CPU-second of vigil)")


def own_workload(tmp, measured):
    """The runs on vigil-gen bench's four files; returns the report's text."""
    data = os.path.join(tmp, "data")
    print(f"bench: generating {LINES:,} lines with vigil-gen into {data}", flush=True)
    subprocess.run([GEN, "bench", data, "--lines", str(LINES)], check=True)
    nbytes = dir_bytes(data)
    subprocess.run(["cat"] + [os.path.join(data, f) for f in os.listdir(data)],
                   stdout=subprocess.DEVNULL)  # warm the page cache

    parser_lines = parser_throughput(data) + sigma_throughput(data)

    conf, out = cfg(tmp, "frame", parsers=False, compression="none")
    run_once("1. tail -> no parser -> file, no compression", conf, out, LINES, nbytes)
    conf, out = cfg(tmp, "ship", parsers=True, compression="lz4")
    run_once("2. tail -> parsers -> file, LZ4 batches", conf, out, LINES, nbytes)
    conf, out = cfg(tmp, "product", parsers=True, detectors=True, compression="lz4")
    run_once("3. tail -> parsers -> detectors -> LZ4 batches", conf, out, LINES, nbytes)
    idle = os.path.join(tmp, "idle1000")
    os.makedirs(idle)
    for i in range(1000):
        open(os.path.join(idle, f"f{i:04d}.log"), "w").close()
    conf, out = cfg(tmp, "product-idle", parsers=True, detectors=True, compression="lz4",
                    idle_dir=idle)
    run_once("4. as 3, with 1,000 idle files watched", conf, out, LINES, nbytes)

    sink = OtlpSink()
    try:
        otlp_run(tmp, "5. tail -> parsers -> otlp (protobuf) -> loopback OTLP/HTTP", LINES, nbytes, sink)
        otlp_run(tmp, "6. as 5, OTLP/JSON + gzip", LINES, nbytes, sink, "json", "gzip")
    finally:
        sink.close()

    if PEERS:
        peers(tmp, data, nbytes)

    extra = []
    if not QUICK:
        print("bench: live CPU at fixed append rates", flush=True)
        for what, pct in live_cpu(tmp):
            extra.append(f"| live, {what} | {pct:.1f}% of one core |")
        extra += idle_and_latency(tmp, measured, (100, 1000))
        for kind in ("ips", "users"):
            print(f"bench: flood of 1M distinct {kind}", flush=True)
            rss, cpu, wall, rc = flood(tmp, kind)
            extra.append(f"| flood of 1,000,000 distinct source {kind}, memory_max 64MiB | peak RSS {rss:.1f} MiB, "
                         f"{cpu:.2f} CPU s, exit {rc} |")

    head = ("| run | lines/s | lines/CPU-s | MB/s in | CPU s | wall s | peak RSS MiB | detector mem MiB "
            "| out bytes | ratio |\n|---|---|---|---|---|---|---|---|---|---|")
    body = "\n".join(
        f"| {r['run']} | {r['lines_s']:,.0f} | {r['lines_cpu_s']:,.0f} | {r['mb_s']:.1f} | {r['cpu']:.2f} | "
        f"{r['wall']:.2f} | {r['rss']:.1f} | {('%.1f' % r['det']) if 'det' in r else '-'} | {r['out']:,} | "
        f"{('%.2f' % r['ratio']) if r['ratio'] else '-'} |" for r in rows)
    text = (f"## vigil-gen bench workload\n\n{LINES:,} lines, {nbytes:,} bytes ({nbytes / LINES:.0f} B/line), "
            f"page cache warm. "
            f"CPU and peak RSS are each process's own (/usr/bin/time, or /proc for daemons); "
            f"lines/s and MB/s use wall time and suffer when the machine is busy, lines/CPU-s does not. "
            f"Detector memory is what the baselines use at exit (`--stats`). Peers tail the "
            f"four files concatenated into one.\n\n{head}\n{body}\n")
    extra = parser_lines + extra
    if extra:
        text += "\n| measurement | result |\n|---|---|\n" + "\n".join(extra) + "\n"
    return text


def idle_and_latency(tmp, measured, idle_counts):
    """Idle CPU and RSS with n tailed files, and the alert latency; the
    figures the Done-when table needs go into measured."""
    extra = []
    for n in idle_counts:
        cpu, rss = idle_files(tmp, n)
        if n == 100:
            measured["idle100_rss"] = rss
        extra.append(f"| idle with {n} tailed files | {cpu:.2f}% CPU, {rss:.1f} MiB RSS |")
    print("bench: alert latency (1,000 samples under 50k lines/s)", flush=True)
    lat = alert_latency(tmp)
    if lat:
        measured["latency_p99"] = lat["p99"]
        extra.append(f"| alert latency, append -> stdout ({lat['n']}/{lat['samples']} samples seen, 50k lines/s load) "
                     f"| p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, max {lat['max']:.1f} ms |")
    else:
        extra.append("| alert latency | no alert observed |")
    return extra


def main():
    if ONLY not in ("", "mixed"):
        raise SystemExit(f"bench: BENCH_ONLY={ONLY}: only 'mixed' is known")
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vigil-bench.")
    t0 = time.monotonic()
    try:
        measured = {}
        parts = []
        if ONLY != "mixed":
            parts.append(own_workload(tmp, measured))
        elif not QUICK:
            extra = idle_and_latency(tmp, measured, (100,))
            parts.append("| measurement | result |\n|---|---|\n" + "\n".join(extra) + "\n")
        mixed = Mixed(ROOT, B, VIGIL, GEN, LINES, ROUNDS, CG_LINES, notes)
        mixed.run(tmp)
        parts.append(mixed.tables(measured))
        text = (f"# vigil bench\n\n{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end, "
                f"{time.monotonic() - t0:.0f} s in all.\n\n" + "\n".join(parts))
        text += "\n" + "\n\n".join(notes) + "\n"
        print(text)
        with open(os.path.join(OUT, "results.md"), "w") as f:
            f.write(text)
        print(f"bench: results written to {os.path.join(OUT, 'results.md')}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
