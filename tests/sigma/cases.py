#!/usr/bin/python3
"""cases.py - history lines generated from Sigma rules, and the check of the
alerts vigil raised on them.

  cases.py gen RULES_DIR OUT_DIR   writes pos.history, neg.history, cases.json
  cases.py check OUT_DIR POS_ALERTS_JSONL NEG_ALERTS_JSONL

For every process_creation and auditd EXECVE rule whose fields vigil maps
(CommandLine and Image; type EXECVE and a0..aN; keywords),
the condition is solved for true, and the chosen selection's first map turns
into one shell command (argv0 from Image, the CommandLine pieces quoted so
the shell parser gives them back as written; a regular expression gives the
shortest string it matches, first branch). The near miss is the same line
with one required value corrupted (a byte in its middle changed; a value
made from a regular expression is replaced), on which that rule must not
fire. Rules the generator cannot satisfy are listed."""
import json
import os
import re
import shlex
import sys

import yaml

try:
    import re._parser as sre_parse   # Python >= 3.11
except ImportError:                 # pragma: no cover
    import sre_parse

PROC_FIELDS = {"CommandLine", "Image"}
ARG_RE = re.compile(r"^a([0-9]|1[0-5])$")


def rule_files(root):
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            if f.endswith(".yml"):
                yield os.path.join(d, f)


def source_of(ls):
    if ls.get("product") != "linux":
        return None
    if ls.get("category") == "process_creation" and "service" not in ls:
        return "proc"
    if ls.get("service") == "auditd" and "category" not in ls:
        return "execve"
    return None


def split_key(k):
    parts = k.split("|")
    return parts[0], parts[1:]


def literal(v):
    """A Sigma value with wildcards made concrete (* -> nothing, ? -> x)."""
    out, i = [], 0
    s = str(v)
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "*?\\":
            out.append(s[i + 1])
            i += 2
            continue
        if c == "*":
            out.append("")
        elif c == "?":
            out.append("x")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def from_regex(pattern):
    """A string the regular expression matches (first branch, fewest repeats)."""
    def pick_in(items):
        neg = any(op == sre_parse.NEGATE for op, _ in items)
        def inside(c):
            for op, av in items:
                if op == sre_parse.LITERAL and c == av:
                    return True
                if op == sre_parse.RANGE and av[0] <= c <= av[1]:
                    return True
                if op == sre_parse.CATEGORY:
                    ch = chr(c)
                    if (av == sre_parse.CATEGORY_DIGIT and ch.isdigit()) or \
                       (av == sre_parse.CATEGORY_SPACE and ch.isspace()) or \
                       (av == sre_parse.CATEGORY_WORD and (ch.isalnum() or ch == "_")):
                        return True
            return False
        for c in b"a1 _xZ-/." + bytes(op == sre_parse.LITERAL and av or 0 for op, av in items
                                       if op == sre_parse.LITERAL and av < 128) + \
                bytes(av[0] for op, av in items if op == sre_parse.RANGE and av[0] < 128):
            if inside(c) != neg:
                return chr(c)
        return "a"

    def walk(seq):
        out = []
        for op, av in seq:
            if op == sre_parse.LITERAL:
                out.append(chr(av))
            elif op == sre_parse.NOT_LITERAL:
                out.append("a" if av != ord("a") else "b")
            elif op == sre_parse.ANY:
                out.append("a")
            elif op == sre_parse.IN:
                out.append(pick_in(av))
            elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
                lo, _, sub = av
                out.append(walk(sub) * lo)
            elif op == sre_parse.SUBPATTERN:
                out.append(walk(av[-1]))
            elif op == sre_parse.BRANCH:
                out.append(walk(av[1][0]))
            elif op == sre_parse.CATEGORY:
                out.append({sre_parse.CATEGORY_DIGIT: "1", sre_parse.CATEGORY_SPACE: " "}.get(av, "a"))
            # AT (anchors) and the rest add nothing
        return "".join(out)

    return walk(sre_parse.parse(pattern))


def mappable(src, det):
    for name, sel in det.items():
        if name == "condition":
            continue
        maps = sel if isinstance(sel, list) else [sel]
        for m in maps:
            if not isinstance(m, dict):
                continue   # keywords
            for k, vals in m.items():
                f, mods = split_key(k)
                if f == "":
                    continue
                if src == "proc" and f not in PROC_FIELDS:
                    return False
                if src == "execve" and not (f == "type" or ARG_RE.match(f)):
                    return False
                if f == "type" and str(vals).upper() not in ("EXECVE", "['EXECVE']"):
                    return False
                if set(mods) - {"contains", "startswith", "endswith", "all", "windash", "cased", "re"}:
                    return False   # base64/cidr values are not generated
    return True


# ---- condition: tokens, tree, a satisfying choice ----

def tokens(cond):
    return re.findall(r"\(|\)|[^\s()]+", cond)


def parse(toks, names):
    pos = [0]

    def peek():
        return toks[pos[0]].lower() if pos[0] < len(toks) else ""

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def factor():
        t = peek()
        if t == "not":
            take()
            return ("not", factor())
        if t == "(":
            take()
            e = expr()
            take()
            return e
        if t in ("1", "all", "any"):
            take()
            take()   # of
            pat = take()
            if pat == "them":
                sel = [n for n in names if not n.startswith("_")]
            else:
                rx = re.compile("^" + re.escape(pat).replace("\\*", ".*") + "$")
                sel = [n for n in names if rx.match(n)]
            return ("and" if t == "all" else "or", [("sel", n) for n in sel])
        return ("sel", take())

    def term():
        a = [factor()]
        while peek() == "and":
            take()
            a.append(factor())
        return a[0] if len(a) == 1 else ("and", a)

    def expr():
        a = [term()]
        while peek() == "or":
            take()
            a.append(term())
        return a[0] if len(a) == 1 else ("or", a)

    return expr()


def solve(node, want, acc):
    """Selections that must be true (acc[name] = True) / false for node == want."""
    op = node[0]
    if op == "sel":
        if acc.get(node[1], want) != want:
            return False
        acc[node[1]] = want
        return True
    if op == "not":
        return solve(node[1], not want, acc)
    kids = node[1]
    if (op == "and") == want:   # every child must be `want`
        return all(solve(k, want, acc) for k in kids)
    for k in kids:              # one child suffices
        trial = dict(acc)
        if solve(k, want, trial):
            acc.clear()
            acc.update(trial)
            return True
    return False


# ---- a command from the true selections ----

class Cmd:
    def __init__(self):
        self.image = None
        self.start = None
        self.pieces = []
        self.end = None
        self.exact = None
        self.args = {}
        self.required = []    # (kind, index) of values a near miss may corrupt
        self.regex = []       # values made from a regular expression: removed, not corrupted


def image_for(v, mods):
    v = literal(v)
    if "endswith" in mods:
        return v.lstrip("/") if v.startswith("/") and "/" not in v[1:] else (v if v.startswith("/") else "/usr/bin/x" + v)
    if "startswith" in mods:
        return v + "x"
    if "contains" in mods:
        return ("/opt" if v.startswith("/") else "/opt/") + v + ("x" if not v.endswith("/") else "x")
    return v


def add_item(c, src, f, mods, vals):
    vals = vals if isinstance(vals, list) else [vals]
    if vals and vals[0] is None:
        return True
    chosen = vals if "all" in mods else vals[:1]
    for v in chosen:
        if f == "type":
            continue
        if f == "Image":
            c.image = image_for(v, mods)
            c.image_val = literal(v).strip("/") or c.image
            c.required.append(("image", 0))
        elif "re" in mods:
            lv = from_regex(str(v))
            if ARG_RE.match(f):
                c.args[int(f[1:])] = lv
            else:
                c.pieces.append(lv)
            c.regex.append(("arg", int(f[1:])) if ARG_RE.match(f) else ("piece", len(c.pieces) - 1))
        elif ARG_RE.match(f):
            lv = literal(v)
            if "contains" in mods:
                lv = "x" + lv + "x"
            elif "startswith" in mods:
                lv = lv + "x"
            elif "endswith" in mods:
                lv = "x" + lv
            c.args[int(f[1:])] = lv
            c.required.append(("arg", int(f[1:])))
        else:   # CommandLine or keywords
            lv = literal(v)
            if "startswith" in mods:
                c.start = lv
                c.required.append(("start", 0))
            elif "endswith" in mods:
                c.end = lv
                c.required.append(("end", 0))
            elif "contains" in mods or f == "":
                c.pieces.append(lv)
                c.required.append(("piece", len(c.pieces) - 1))
            else:
                c.exact = lv
                c.required.append(("exact", 0))
    return True


def q(s):
    # quote only what the shell would split or interpret
    return s if re.fullmatch(r"[A-Za-z0-9_./:=,+@%-]+", s or "x") else shlex.quote(s)


def render(c, src):
    if src == "execve":
        n = max(c.args) + 1 if c.args else 1
        return " ".join([q(c.args.get(i, "x")) for i in range(n)] + [q(p) for p in c.pieces])
    if c.exact is not None:
        return c.exact if not c.image else c.exact
    words = []
    if c.start is not None:
        words.append(c.start)
    elif c.image:
        words.append(q(c.image))
    else:
        words.append("x")
    words += [q(p) for p in c.pieces]
    if c.end is not None:
        words.append(q(c.end))
    return " ".join(words)


def corrupt(v):
    if not v:
        return "Q"
    k = len(v) // 2
    ch = "Q" if v[k].lower() != "q" else "Z"
    return v[:k] + ch + v[k + 1:]


def near_miss(c, src):
    if not c.required:
        if not c.regex:
            return None
        kind, i = c.regex[0]
        if kind == "arg":
            c.args[i] = "x"
        else:
            c.pieces[i] = "x"
        return render(c, src)
    kind, i = c.required[0]
    if kind == "image":
        k = c.image.rfind(c.image_val)
        c.image = c.image[:k] + corrupt(c.image_val) + c.image[k + len(c.image_val):]
    elif kind == "arg":
        c.args[i] = corrupt(c.args[i])
    elif kind == "start":
        c.start = corrupt(c.start)
    elif kind == "end":
        c.end = corrupt(c.end)
    elif kind == "piece":
        c.pieces[i] = corrupt(c.pieces[i])
    else:
        c.exact = corrupt(c.exact)
    return render(c, src)


def build(src, det, acc):
    c = Cmd()
    for name, want in acc.items():
        if not want:
            continue
        sel = det.get(name)
        if isinstance(sel, list) and sel and not isinstance(sel[0], dict):
            add_item(c, src, "", [], sel)      # keyword list
            continue
        m = sel[0] if isinstance(sel, list) else sel
        for k, vals in m.items():
            f, mods = split_key(k)
            add_item(c, src, f, mods, vals)
    return c


def gen(root, out):
    pos, neg, cases, skipped = [], [], [], []
    for path in rule_files(root):
        with open(path, encoding="utf-8") as fh:
            r = yaml.safe_load(fh)
        if not isinstance(r, dict) or "detection" not in r:
            continue
        src = source_of(r.get("logsource", {}))
        det = r["detection"]
        if not src or not mappable(src, det):
            continue
        cond = det["condition"]
        cond = " or ".join("(%s)" % x for x in cond) if isinstance(cond, list) else cond
        names = [n for n in det if n != "condition"]
        acc = {}
        if not solve(parse(tokens(cond), names), True, acc):
            skipped.append((r["id"], "condition cannot be solved"))
            continue
        line = render(build(src, det, acc), src)
        miss = near_miss(build(src, det, acc), src)
        if "\n" in line or not line.strip():
            skipped.append((r["id"], "no single-line command"))
            continue
        pos.append(line)
        neg.append(miss or "")
        cases.append((r["id"], src, line, miss or ""))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "pos.history"), "w") as f:
        f.write("".join(l + "\n" for l in pos))
    with open(os.path.join(out, "neg.history"), "w") as f:
        f.write("".join(l + "\n" for l in neg if l))
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"cases": cases, "skipped": skipped}, f)
    print("generated %d cases (%d process_creation, %d execve), %d not generated"
          % (len(cases), sum(1 for c in cases if c[1] == "proc"),
             sum(1 for c in cases if c[1] == "execve"), len(skipped)))


def fired(alerts_path):
    """(rule id, evidence line) of every sigma alert."""
    out = set()
    with open(alerts_path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            a = json.loads(line)
            if not a.get("rule", "").startswith("sigma."):
                continue
            for e in a.get("evidence", []):
                out.add((a["rule"][6:], e))
    return out


def check(out, pos_alerts, neg_alerts):
    with open(os.path.join(out, "cases.json")) as f:
        cases = json.load(f)["cases"]
    pos, neg = fired(pos_alerts), fired(neg_alerts)
    bad = 0
    for rid, src, line, miss in cases:
        if (rid, line) not in pos:
            print("MISS %s %s: %s" % (src, rid, line))
            bad += 1
        if miss and (rid, miss) in neg:
            print("FALSE %s %s: %s" % (src, rid, miss))
            bad += 1
    print("%d cases, %d positive matched, %d near misses, %d failures"
          % (len(cases), sum(1 for c in cases if (c[0], c[2]) in pos),
             sum(1 for c in cases if c[3]), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
