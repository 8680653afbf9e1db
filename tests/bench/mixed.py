"""mixed.py - the mixed-file section of `make bench` (imported by bench.py).

One file of mixed logs from `vigil-gen mixed` (45% JSON app lines, 35% auth
syslog, 20% plain text), measured side by side in one sitting:

  - `lz4 -1` of mixed.log: the floor for CPU and bytes;
  - vigil whole product: three inputs by kind (json/auth/plain), all detectors
    on, memory_max 64MiB, file output with LZ4;
  - the same with detectors off;
  - the JSON parser alone on mixed.log (one input: 55% of its lines are not
    JSON and go out raw);
  - vigil raw: mixed.log, no parser, no compression.

CPU figures are medians of interleaved rounds (the machine's cores are shared:
CPU seconds, not wall time). Then callgrind instructions per line for each
stage of the whole product on a smaller file, and the "Done when" targets with
the measured values. Numbers are reported, never asserted.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys

# ---- callgrind: the stage entry functions -------------------------------------------
#
# Each stage is (label, candidates, minus, scope). A candidate is (function, file
# substring or None); the first candidate found wins. A function matches by its
# name with any compiler suffix removed (`release.part.0` is `release`), else by
# substring, and only in a file whose path contains the substring. `minus` is
# subtracted (inclusive counts include callees: tail_file_read includes the
# whole pipeline below it). `scope` names the input whose lines a per-line figure
# of its own is given for (a parser sees only its input's lines). A stage whose
# functions are not found prints "-": rename freely, then adjust this table.
CG_STAGES = [
    ("read/tail (tail_file_read without the pipeline below)",
     [("tail_file_read", "inputs/tail")], [("pipeline_line", "sidecar/pipeline.c")], None),
    ("pipeline per line (everything below pipeline_line)",
     [("pipeline_line", "sidecar/pipeline.c")], [], None),
    ("merge (merge_push without the delivery it calls)",
     [("merge_push", "sidecar/merge.c")], [("pipeline_deliver", "sidecar/pipeline.c")], None),
    ("deliver (route + detectors, pipeline_deliver)",
     [("pipeline_deliver", "sidecar/pipeline.c")], [], None),
    ("route + encode into the batch (output_add)",
     [("output_add", "outputs/output.c")], [], None),
    ("encode (batch_writer_add)",
     [("batch_writer_add", "outputs/batch"), ("record_to_msgpack", "outputs/encode")], [], None),
    ("encode msgpack (record_to_msgpack)",
     [("record_to_msgpack", "outputs/encode")], [], None),
    ("compress (batch_writer_finish)",
     [("batch_writer_finish", "outputs/batch")], [], None),
    ("compress: LZ4F_compressUpdate", [("LZ4F_compressUpdate", None)], [], None),
    ("compress: LZ4F_compressEnd", [("LZ4F_compressEnd", None)], [], None),
    ("output write (file output: file_flush)",
     [("file_flush", "outputs/file.c")], [], None),
    ("detectors (detectors_observe, with the minute ticks it runs)",
     [("detectors_observe", "detectors/registry.c")], [], None),
    ("detectors: ticks, all callers (detectors_tick)",
     [("detectors_tick", "detectors/registry.c")], [], None),
    ("detectors: alerts raised (alert_emit)",
     [("alert_emit", "detectors/alert.c")], [], None),
    ("detectors: secrets masked in alerts (mask_secrets)",
     [("mask_secrets", "detectors/match.c")], [], None),
]

# Source areas for the self-cost view: every instruction lands in exactly one
# (first matching pattern on "file [object]"), so the column sums to the total.
CG_AREAS = [
    ("tail (sidecar/inputs/)", r"sidecar/inputs/"),
    ("parsers (sidecar/parsers/)", r"sidecar/parsers/"),
    ("merge (sidecar/merge.c)", r"sidecar/merge\.c"),
    ("pipeline, record, fields (other sidecar/)", r"sidecar/"),
    ("detectors (detectors/)", r"detectors/"),
    ("encode (outputs/encode*)", r"outputs/encode"),
    ("outputs, batches (other outputs/)", r"outputs/"),
    ("LZ4 (liblz4)", r"liblz4"),
    ("msgpack-c", r"libmsgpack"),
    ("zlib (crc32: snapshots, checkpoints)", r"libz\.so"),
    ("libc, loader (memcpy, malloc, ...)", r"libc\.so|libc-|ld-linux|^\./"),
    ("libevent", r"libevent"),
    ("other", r""),
]

MIB = 1024.0 * 1024.0


def sh_quote_yaml(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mixed:
    def __init__(self, root, b, vigil, gen, lines, rounds, cg_lines, notes):
        self.root, self.b, self.vigil, self.gen = root, b, vigil, gen
        self.lines, self.rounds, self.cg_lines = lines, rounds, cg_lines
        self.notes = notes
        self.jobs = {}          # key -> {"label", "cpu": [], "rss": [], "out": []}
        self.product_stats = None
        self.cg = None

    # ---- configurations ----
    def conf(self, tmp, name, inputs, detectors, compression, memory_max="64MiB"):
        st = os.path.join(tmp, "state-" + name)
        out = os.path.join(tmp, "out-" + name)
        y = ["service:", f"  state_dir: {sh_quote_yaml(st)}", "  flush_interval: 1s", "  log_level: warn",
             "inputs:"]
        for n, path, parser in inputs:
            y += [f"  - name: {n}", "    type: file", f"    paths: [{sh_quote_yaml(path)}]",
                  "    read_from: head", f"    parser: {parser}"]
        y += ["alerts:", "  format: none", "detectors:", f"  enabled: {'true' if detectors else 'false'}",
              f"  memory_max: {memory_max}",
              "outputs:", "  - name: bench", "    type: file", f"    path: {sh_quote_yaml(out)}",
              f"    compression: {compression}", "    fsync: never"]
        path = os.path.join(tmp, name + ".yaml")
        with open(path, "w") as f:
            f.write("\n".join(y) + "\n")
        return path, st, out

    def by_kind(self, data):
        return [("app", os.path.join(data, "app.log"), "json"),
                ("auth", os.path.join(data, "auth.log"), "auth"),
                ("plain", os.path.join(data, "plain.log"), "plain")]

    # ---- one run ----
    @staticmethod
    def timed(cmd):
        """(user+sys CPU s, peak RSS MiB, exit code, stderr) of cmd's own process."""
        p = subprocess.run(["/usr/bin/time", "-f", "TIME %M %U %S"] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        tl = [l for l in p.stderr.splitlines() if l.startswith("TIME ")]
        if not tl:
            return None, None, p.returncode, p.stderr
        f = tl[-1].split()
        return float(f[2]) + float(f[3]), float(f[1]) / 1024.0, p.returncode, p.stderr

    def vigil_run(self, key, conf, st, out, extra=()):
        shutil.rmtree(st, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        cpu, rss, rc, err = self.timed([self.vigil, "-c", conf, "--once"] + list(extra))
        if rc != 0 or cpu is None:
            print(err[-2000:], file=sys.stderr)
            raise SystemExit(f"bench: mixed {key}: vigil exited {rc}")
        size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
        return cpu, rss, size, err

    def record(self, key, label, cpu, rss, out):
        j = self.jobs.setdefault(key, {"label": label, "cpu": [], "rss": [], "out": []})
        j["cpu"].append(cpu)
        j["rss"].append(rss)
        j["out"].append(out)

    # ---- the section ----
    def run(self, tmp):
        data = os.path.join(tmp, "mixed")
        print(f"bench: mixed: generating {self.lines:,} lines with vigil-gen mixed", flush=True)
        subprocess.run([self.gen, "mixed", data, "--lines", str(self.lines)], check=True)
        self.mixed_log = os.path.join(data, "mixed.log")
        self.nbytes = os.path.getsize(self.mixed_log)
        self.kind_lines = {}
        for n, path, _ in self.by_kind(data):
            with open(path, "rb") as f:
                self.kind_lines[n] = sum(c.count(b"\n") for c in iter(lambda: f.read(1 << 20), b""))
        subprocess.run(["cat", self.mixed_log] + [p for _, p, _ in self.by_kind(data)],
                       stdout=subprocess.DEVNULL)     # the page cache warm, as in the issue

        jobs = []
        if shutil.which("lz4"):
            lz4_out = os.path.join(tmp, "mixed.log.lz4")

            def lz4_job():
                cpu, rss, rc, err = self.timed(["lz4", "-1", "-f", "-q", self.mixed_log, lz4_out])
                if rc != 0 or cpu is None:
                    raise SystemExit(f"bench: mixed: lz4 -1 exited {rc}: {err[-300:]}")
                self.record("lz4", "`lz4 -1` of mixed.log", cpu, rss, os.path.getsize(lz4_out))
                os.unlink(lz4_out)
            jobs.append(lz4_job)
        else:
            self.notes.append("mixed: lz4 not installed (scripts/deps.sh installs it): no floor to compare with")

        def vigil_job(key, label, conf):
            def job():
                cpu, rss, size, _ = self.vigil_run(key, *conf)
                self.record(key, label, cpu, rss, size)
            return job

        product = self.conf(tmp, "mixed-product", self.by_kind(data), True, "lz4")
        jobs.append(vigil_job("product", "vigil whole product: 3 inputs by kind, all detectors, LZ4 file",
                              product))
        jobs.append(vigil_job("nodet", "vigil, detectors off (3 inputs, LZ4 file)",
                              self.conf(tmp, "mixed-nodet", self.by_kind(data), False, "lz4")))
        jobs.append(vigil_job("json", "vigil, JSON parser alone on mixed.log (detectors off, LZ4 file)",
                              self.conf(tmp, "mixed-json", [("mixed", self.mixed_log, "json")], False, "lz4")))
        jobs.append(vigil_job("raw", "vigil raw: mixed.log, no parser, no compression",
                              self.conf(tmp, "mixed-raw", [("mixed", self.mixed_log, "none")], False, "none")))
        for r in range(self.rounds):
            print(f"bench: mixed: round {r + 1} of {self.rounds}", flush=True)
            for job in jobs:
                job()
        # Detector memory and evictions at exit, and the stage estimate: one
        # more run with --stats (its clock reads cost a few percent, so its
        # CPU is not among the medians).
        _, _, _, err = self.vigil_run("product-stats", *product, extra=["--stats"])
        self.product_stats = self.parse_stats(err)
        table = "\n".join(l for l in err.splitlines() if not l.startswith(("ts=", "TIME ")))
        self.notes.append(f"### mixed, whole product: stage profile (`vigil --once --stats`)\n```\n{table}\n```")
        if self.cg_lines > 0:
            self.callgrind(tmp)

    @staticmethod
    def parse_stats(err):
        st = {"det_mib": None, "cap_mib": None, "evictions": None, "line": ""}
        for l in err.splitlines():
            if l.startswith("detector_mem "):
                st["line"] = l.strip()
                m = re.match(r"detector_mem (\d+) KiB", l)
                if m:
                    st["det_mib"] = int(m.group(1)) / 1024.0
                m = re.search(r"cap (\d+) KiB", l)
                if m:
                    st["cap_mib"] = int(m.group(1)) / 1024.0
                m = re.search(r"(\d+) evictions", l)
                if m:
                    st["evictions"] = int(m.group(1))
        return st

    def med(self, key, what):
        j = self.jobs.get(key)
        return statistics.median(j[what]) if j and j[what] else None

    # ---- callgrind ----
    def callgrind(self, tmp):
        if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
            self.notes.append("callgrind: valgrind not installed (scripts/deps.sh installs it)")
            return
        n = min(self.cg_lines, self.lines)
        data = os.path.join(tmp, "cg")
        print(f"bench: mixed: callgrind of the whole product on {n:,} lines", flush=True)
        subprocess.run([self.gen, "mixed", data, "--lines", str(n)], check=True)
        conf, st, out = self.conf(tmp, "mixed-cg", self.by_kind(data), True, "lz4")
        os.makedirs(out, exist_ok=True)
        cgout = os.path.join(tmp, "callgrind.out")
        p = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cgout}",
                            self.vigil, "-c", conf, "--once"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0 or not os.path.exists(cgout):
            self.notes.append(f"callgrind: vigil exited {p.returncode}: {p.stderr[-300:]}")
            return
        kinds = {}
        for name in ("app", "auth", "plain"):
            with open(os.path.join(data, name + ".log"), "rb") as f:
                kinds[name] = sum(c.count(b"\n") for c in iter(lambda: f.read(1 << 20), b""))
        incl, total = self.annotate(cgout, True)
        excl, _ = self.annotate(cgout, False)
        keep = os.path.join(self.root, self.b, "bench", "callgrind.mixed.out")
        shutil.copyfile(cgout, keep)
        self.cg = {"lines": n, "kinds": kinds, "incl": incl, "excl": excl, "total": total, "file": keep}

    @staticmethod
    def annotate(path, inclusive):
        """[(Ir, file, function, object)] and the program total from callgrind_annotate."""
        args = ["callgrind_annotate", "--threshold=100", "--auto=no"]
        if inclusive:
            args.append("--inclusive=yes")
        p = subprocess.run(args + [path], capture_output=True, text=True)
        rows, total = [], None
        pat = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[([^\]]*)\])?\s*$")
        for l in p.stdout.splitlines():
            m = pat.match(l)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            what = m.group(2)
            if what == "PROGRAM TOTALS":
                total = ir
                continue
            f, _, fn = what.partition(":")
            rows.append((ir, f, fn, m.group(3) or ""))
        return rows, total

    @staticmethod
    def base_name(fn):
        return fn.split(".", 1)[0].split("@", 1)[0]

    @staticmethod
    def short_path(f, obj):
        """sidecar/pipeline.c for /any/checkout/sidecar/pipeline.c; the
        library's name when there is no source file (liblz4: "???")."""
        if f == "???":
            return os.path.basename(obj)
        m = re.search(r"(?:^|/)((?:sidecar|detectors|outputs|conf|tools)/.*)$", f)
        return m.group(1) if m else f

    def find(self, cands):
        """The first candidate found: (Ir, "file:function") or None."""
        for name, fsub in cands:
            rows = [r for r in self.cg["incl"] if fsub is None or fsub in r[1]]
            hit = [r for r in rows if self.base_name(r[2]) == name] or \
                  [r for r in rows if name in r[2]]
            if hit:
                r = max(hit, key=lambda x: x[0])
                return r[0], f"{self.short_path(r[1], r[3])}:{r[2]}"
        return None

    def plugin_functions(self, subdir, struct_kw, fields):
        """From the source: each plugin's name and the functions it names for
        `fields` (the registries call them through pointers), e.g.
        [("auth", "observe", "auth_observe", "detectors/auth.c")]."""
        out = []
        d = os.path.join(self.root, subdir)
        for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if not fn.endswith(".c"):
                continue
            with open(os.path.join(d, fn), errors="replace") as f:
                src = f.read()
            for m in re.finditer(r"const struct " + struct_kw + r"\s+\w+\s*=\s*\{(.*?)\n\};", src, re.S):
                body = m.group(1)
                nm = re.search(r"\.name\s*=\s*\"([^\"]+)\"", body)
                for field in fields:
                    fm = re.search(r"\." + field + r"\s*=\s*(\w+)", body)
                    if nm and fm:
                        out.append((nm.group(1), field, fm.group(1), f"{subdir}/{fn}"))
        return out

    def cg_rows(self):
        """(stage, Ir or None, per line, per line of its input or None, matched)."""
        n = self.cg["lines"]
        rows = []
        for label, cands, minus, scope in CG_STAGES:
            hit = self.find(cands)
            if not hit:
                rows.append((label, None, None, None, "not found"))
                continue
            ir, matched = hit
            for m in minus:
                sub = self.find([m])
                if sub:
                    ir -= sub[0]
                    matched += f" - {sub[1]}"
            ir = max(ir, 0)
            rows.append((label, ir, ir / n, ir / self.cg["kinds"][scope] if scope else None, matched))
        scope_of = {"json": "app", "auth": "auth", "plain": "plain"}
        for name, _, fn, path in self.plugin_functions("sidecar/parsers", "parser_plugin", ["parse"]):
            if name not in scope_of:
                continue
            hit = self.find([(fn, path)])
            k = self.cg["kinds"][scope_of[name]]
            rows.append((f"parse: {name} ({scope_of[name]}.log)", hit[0] if hit else None,
                         hit[0] / n if hit else None, hit[0] / k if hit and k else None,
                         hit[1] if hit else f"{fn} ({path}) not in the profile"))
        for name, field, fn, path in self.plugin_functions("detectors", "detector_plugin", ["observe", "tick"]):
            hit = self.find([(fn, path), (fn, "detectors/")])
            if not hit:
                rows.append((f"detector {name}: {field}", None, None, None,
                             f"{fn} ({path}) not in the profile: not called on this input, or inlined"))
                continue
            rows.append((f"detector {name}: {field}", hit[0], hit[0] / n, None, hit[1]))
        rows.append(("total (program)", self.cg["total"], self.cg["total"] / n if self.cg["total"] else None,
                     None, "PROGRAM TOTALS"))
        return rows

    def cg_areas(self):
        sums = {label: 0 for label, _ in CG_AREAS}
        for ir, f, fn, obj in self.cg["excl"]:
            s = f + " [" + obj + "]"
            for label, pat in CG_AREAS:
                if re.search(pat, s):
                    sums[label] += ir
                    break
        return sums

    # ---- report ----
    def tables(self, measured):
        """The mixed-file table, the callgrind tables and the Done-when table (markdown)."""
        n, nb = self.lines, self.nbytes
        lz4_cpu, lz4_out = self.med("lz4", "cpu"), self.med("lz4", "out")
        head = (f"## Mixed file (`vigil-gen mixed`)\n\n{n:,} lines, {nb:,} bytes ({nb / n:.0f} B/line): "
                f"45% JSON, 35% auth syslog, 20% plain text; vigil reads app.log/auth.log/plain.log "
                f"(split by kind) or mixed.log itself. Medians of {self.rounds} interleaved rounds "
                f"(CPU = user+sys of each process; the range is min-max of lines per CPU-second).\n\n"
                "| job | lines per CPU-s | range | CPU s | CPU vs `lz4 -1` | peak RSS MiB | bytes shipped "
                "| bytes/line | bytes vs `lz4 -1` |\n|---|---|---|---|---|---|---|---|---|")
        body = []
        for key in ("lz4", "product", "nodet", "json", "raw"):
            j = self.jobs.get(key)
            if not j:
                continue
            cpu, rss, out = self.med(key, "cpu"), self.med(key, "rss"), self.med(key, "out")
            lps = [n / c for c in j["cpu"] if c]
            body.append(
                f"| {j['label']} | {n / cpu / 1e6:.2f}M | {min(lps) / 1e6:.2f}-{max(lps) / 1e6:.2f}M "
                f"| {cpu:.2f} | {('%.1f×' % (cpu / lz4_cpu)) if lz4_cpu else '-'} | {rss:.1f} "
                f"| {out:,.0f} | {out / n:.1f} | {('%.2f×' % (out / lz4_out)) if lz4_out else '-'} |")
        text = head + "\n" + "\n".join(body) + "\n"
        st = self.product_stats or {}
        if st.get("line"):
            text += (f"\nWhole product, at exit (`--stats`): {st['line']}.\n")

        if self.cg:
            c = self.cg
            text += (f"\n### Callgrind: instructions per line, whole product\n\n"
                     f"`valgrind --tool=callgrind` on {c['lines']:,} lines of the same mix (seed 1; "
                     f"{c['kinds']['app']:,} JSON, {c['kinds']['auth']:,} auth, {c['kinds']['plain']:,} plain), "
                     f"`--once`; inclusive counts of each stage's entry function (callgrind_annotate "
                     f"--inclusive=yes), divided by all lines (and by its input's lines for a parser). "
                     f"\"-\": not found (the table is CG_STAGES in tests/bench/mixed.py). "
                     f"Profile kept in {os.path.relpath(c['file'], self.root)}.\n\n"
                     "| stage | Ir per line | per line of its input | Ir | matched |\n|---|---|---|---|---|\n")
            for label, ir, per, per_k, matched in self.cg_rows():
                text += (f"| {label} | {('%.0f' % per) if per is not None else '-'} "
                         f"| {('%.0f' % per_k) if per_k is not None else ''} "
                         f"| {('{:,}'.format(ir)) if ir is not None else '-'} | `{matched}` |\n")
            areas = self.cg_areas()
            tot = sum(areas.values()) or 1
            text += ("\nSelf cost by source area (exclusive counts; every instruction counted once):\n\n"
                     "| area | Ir per line | share |\n|---|---|---|\n")
            for label, _ in CG_AREAS:
                text += f"| {label} | {areas[label] / c['lines']:.0f} | {areas[label] / tot * 100:.1f}% |\n"
        text += "\n" + self.done_when(measured)
        return text

    def done_when(self, measured):
        n = self.lines
        rows = []

        def row(target, value, met):
            rows.append(f"| {target} | {value} | {'-' if met is None else ('met' if met else 'NOT met')} |")

        cpu, lz4_cpu = self.med("product", "cpu"), self.med("lz4", "cpu")
        out, lz4_out = self.med("product", "out"), self.med("lz4", "out")
        rss = self.med("product", "rss")
        st = self.product_stats or {}
        lps = n / cpu if cpu else None
        row("whole product ≥ 1.5M lines per CPU-second (mixed file)",
            f"{lps / 1e6:.2f}M" if lps else "not measured", lps >= 1.5e6 if lps else None)
        if cpu and lz4_cpu:
            row("≤ 3× the CPU of `lz4 -1` on the same bytes", f"{cpu / lz4_cpu:.1f}× ({cpu:.2f} s vs {lz4_cpu:.2f} s)",
                cpu / lz4_cpu <= 3.0)
        else:
            row("≤ 3× the CPU of `lz4 -1` on the same bytes", "not measured", None)
        if out and lz4_out:
            row("bytes shipped ≤ 1.0× `lz4 -1` of the raw input",
                f"{out / lz4_out:.2f}× ({out:,.0f} vs {lz4_out:,.0f} bytes)", out / lz4_out <= 1.0)
        else:
            row("bytes shipped ≤ 1.0× `lz4 -1` of the raw input", "not measured", None)
        det = st.get("det_mib")
        if rss is not None and det is not None:
            row("peak RSS while catching up ≤ 24 MiB + detector memory in use",
                f"{rss:.1f} MiB vs {24 + det:.1f} MiB (24 + {det:.1f})", rss <= 24 + det)
        else:
            row("peak RSS while catching up ≤ 24 MiB + detector memory in use", "not measured", None)
        if det is not None and st.get("cap_mib"):
            # In use at exit; an eviction means the cap was reached on the way.
            ev = st.get("evictions")
            row("detector memory below `memory_max` (mixed file; an eviction means it reached it)",
                f"{det:.1f} MiB of {st['cap_mib']:.0f} MiB at exit, {ev if ev is not None else '?'} evictions",
                det < st["cap_mib"] and not ev)
        else:
            row("detector memory below `memory_max` (mixed file)", "not measured", None)
        idle = measured.get("idle100_rss")
        row("idle RSS with 100 files ≤ 5 MiB", f"{idle:.1f} MiB" if idle is not None else "not measured",
            idle <= 5.0 if idle is not None else None)
        p99 = measured.get("latency_p99")
        row("alert latency p99 ≤ 10 ms", f"{p99:.2f} ms" if p99 is not None else "not measured",
            p99 <= 10.0 if p99 is not None else None)
        return ("### Done when (issue 18), this run\n\n| target | measured | |\n|---|---|---|\n" +
                "\n".join(rows) + "\n")
