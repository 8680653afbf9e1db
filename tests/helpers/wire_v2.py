"""wire_v2.py - an independent reader of vigil's wire format version 2
(docs/wire-format.md, "Version 2"), with python3-msgpack only.

A version 2 batch content is one msgpack map whose first key is
"vigil_wire". records(m) turns such a map (unpacked with raw=False,
unicode_errors="surrogateescape") into the same (tag, sec, nsec, record)
tuples a version 1 reader gets from the entries of the same records.
Everything is checked: a bad map raises ValueError, never more memory or
time than its size allows.
"""

MAGIC = "vigil_wire"
KEYS = ["vigil_wire", "n", "ts_unit", "sources", "keys", "shapes", "classes", "class", "ts",
        "rest_len", "rest", "ref_gap", "ref_len", "vals", "ints", "doubles", "strs", "repeat"]
NIL, TRUE, FALSE, REF, STR, INT, DOUBLE, MAP, ARRAY, IREF = range(10)
F_TRUNCATED, F_REPEAT = 1, 2
COL_REF, COL_INT, COL_DBL, COL_STR = range(4)
MAX_NEST = 64
U64 = (1 << 64) - 1


def is_content(obj):
    return isinstance(obj, dict) and next(iter(obj), None) == MAGIC


def _text(b):
    return b.decode("utf-8", "surrogateescape")


def _check(cond, why):
    if not cond:
        raise ValueError("v2: " + why)


def _ints(v, name, n=None, lo=None):
    _check(type(v) is list, name + " is not an array")
    _check(n is None or len(v) == n, name + " has the wrong length")
    if v:
        _check(set(map(type, v)) == {int}, name + " holds a non-integer")
        _check(min(v) >= (-(1 << 63) if lo is None else lo) and max(v) <= U64,
               name + " out of range")
    return v


def _bytes(v, name):
    _check(isinstance(v, (bytes, str)), name + " is not bytes")
    return v.encode("utf-8", "surrogateescape") if isinstance(v, str) else v


def _str(v, name):
    _check(isinstance(v, (bytes, str)), name + " is not a string")
    return _text(v) if isinstance(v, bytes) else v


def _walk(codes, i, nkeys, k, depth):
    """Checks one value's codes from i; counts its columns in k; returns the end."""
    _check(i < len(codes) and depth <= MAX_NEST, "shape cut short")
    c = codes[i]
    i += 1
    if c in (NIL, TRUE, FALSE):
        return i
    if c in (REF, IREF):
        k[COL_REF] += 1
    elif c == STR:
        k[COL_STR] += 1
    elif c == INT:
        k[COL_INT] += 1
    elif c == DOUBLE:
        k[COL_DBL] += 1
    elif c in (MAP, ARRAY):
        _check(i < len(codes), "shape cut short")
        n = codes[i]
        i += 1
        _check(n <= len(codes) - i, "container larger than its shape")
        for _ in range(n):
            if c == MAP:
                _check(i < len(codes) and codes[i] < nkeys, "bad key id")
                i += 1
            i = _walk(codes, i, nkeys, k, depth + 1)
    else:
        raise ValueError("v2: unknown value code %r" % (c,))
    return i


def _canonical_int(b):
    s = b.decode("ascii", "strict") if b.isascii() else None
    _check(s is not None, "integer reference is not a canonical decimal")
    neg = s.startswith("-")
    d = s[1:] if neg else s
    _check(d.isdigit() and 0 < len(d) <= 19 and (d == "0" or d[0] != "0") and
           not (neg and d == "0"), "integer reference is not a canonical decimal")
    v = -int(d) if neg else int(d)
    _check(-(1 << 63) <= v < (1 << 63), "integer reference out of range")
    return v


def records(m):
    """Yields (tag, sec, nsec, record) for each record of the content map m."""
    _check(isinstance(m, dict) and list(m.keys()) == KEYS, "content keys are not the documented ones")
    _check(m["vigil_wire"] == 2, "unknown wire version")
    n = m["n"]
    _check(isinstance(n, int) and 0 <= n, "bad record count")
    unit = m["ts_unit"]
    _check(unit in [10 ** e for e in range(10)], "bad ts_unit")
    sources = m["sources"]
    _check(isinstance(sources, list), "sources is not an array")
    srcs = []
    for s in sources:
        _check(isinstance(s, list) and len(s) == 5, "bad source")
        srcs.append((_str(s[0], "tag"), _str(s[1], "input"), _str(s[2], "host"),
                     None if s[3] is None else _str(s[3], "path"), _str(s[4], "kind")))
    keys = [_str(k, "key") for k in m["keys"]] if isinstance(m["keys"], list) else None
    _check(keys is not None, "keys is not an array")
    _check(isinstance(m["shapes"], list), "shapes is not an array")
    shapes = []
    for sh in m["shapes"]:
        _check(isinstance(sh, list) and len(sh) >= 3, "bad shape")
        flags, pe, ntop = sh[0], sh[1], sh[2]
        _check(flags in (0, 1, 2, 3), "bad shape flags")
        _check(pe is None or isinstance(pe, (str, bytes)), "bad parse_error")
        codes = _ints(sh[3:], "shape", lo=0)
        _check(isinstance(ntop, int) and ntop >= 0, "bad shape")
        k = [0, 0, 0, 0]
        i = 0
        for _ in range(ntop):
            _check(i < len(codes) and codes[i] < len(keys), "bad key id")
            i = _walk(codes, i + 1, len(keys), k, 0)
        _check(i == len(codes), "bad shape length")
        shapes.append({"flags": flags, "pe": None if pe is None else _str(pe, "parse_error"),
                       "ntop": ntop, "codes": codes, "k": k, "count": 0, "base": [0] * 4,
                       "rank": 0})
    _check(isinstance(m["classes"], list), "classes is not an array")
    classes = []
    for c in m["classes"]:
        _check(isinstance(c, list) and len(c) == 2, "bad class")
        _ints(c, "class", lo=0)
        _check(c[0] < len(srcs) and c[1] < len(shapes), "class names no source or shape")
        classes.append((c[0], c[1]))
    rcls = _ints(m["class"], "class", n, lo=0)
    ts = _ints(m["ts"], "ts", n)
    rest_len = _ints(m["rest_len"], "rest_len", n, lo=0)
    rest = _bytes(m["rest"], "rest")
    ref_gap = _ints(m["ref_gap"], "ref_gap", lo=0)
    ref_len = _ints(m["ref_len"], "ref_len", len(ref_gap), lo=0)
    vals = _bytes(m["vals"], "vals")
    ints = _ints(m["ints"], "ints")
    _check(isinstance(m["doubles"], list) and all(isinstance(x, float) for x in m["doubles"]),
           "bad doubles")
    dbls = m["doubles"]
    _check(isinstance(m["strs"], list), "strs is not an array")
    strs = [_str(x, "str") for x in m["strs"]]
    repeat = _ints(m["repeat"], "repeat", lo=0)
    ncol = [len(ref_gap), len(ints), len(dbls), len(strs)]

    # where each shape's values sit in each column: by shape, slot, record
    cls_count = [0] * len(classes)
    for c in rcls:
        _check(c < len(classes), "record names no class")
        cls_count[c] += 1
        shapes[classes[c][1]]["count"] += 1
    cls_base, at = [], 0
    for c in cls_count:
        cls_base.append(at)
        at += c
    at, reps = [0, 0, 0, 0], 0
    for sh in shapes:
        for col in range(4):
            sh["base"][col] = at[col]
            at[col] += sh["k"][col] * sh["count"]
        if sh["flags"] & F_REPEAT:
            reps += sh["count"]
    _check(at == ncol, "columns do not match the shapes of the records")
    _check(reps == len(repeat), "repeat column does not match")
    rest_off, o = [], 0
    for x in rest_len:
        rest_off.append(o)
        o += x
    _check(o == len(rest), "rest lengths do not add up")
    val_off, o = [], 0
    for x in ref_len:
        val_off.append(o)
        o += x
    _check(o == len(vals), "reference lengths do not add up")

    # per shape, a plan of its top-level fields: (key, code, slot, nested
    # codes) with each value's slot within its column decided once
    for sh in shapes:
        plan, slot, codes, ci = [], [0, 0, 0, 0], sh["codes"], 0
        for _ in range(sh["ntop"]):
            k = keys[codes[ci]]
            c = codes[ci + 1]
            col = _COL.get(c)
            if col is not None:
                plan.append((k, c, col, slot[col], None))
                slot[col] += 1
                ci += 2
            elif c in (MAP, ARRAY):
                end = _skip(codes, ci + 1)
                plan.append((k, c, None, None, (ci + 1, end)))
                ci = end
            else:
                plan.append((k, c, None, None, None))
                ci += 2
        sh["plan"] = plan

    def text(x):
        return vals[val_off[x]:val_off[x] + ref_len[x]]

    def column_value(sh, c, col, j, rank):
        x = sh["base"][col] + j * sh["count"] + rank
        if c == REF:
            return _text(text(x))
        if c == IREF:
            return _canonical_int(text(x))
        if c == STR:
            return strs[x]
        if c == INT:
            return ints[x]
        return dbls[x]

    def nested(sh, codes, ci, rank, slot):
        """A nested value from codes[ci]; slot: the record's next slot per column."""
        c = codes[ci]
        ci += 1
        if c == NIL:
            return None, ci
        if c in (TRUE, FALSE):
            return c == TRUE, ci
        col = _COL.get(c)
        if col is not None:
            v = column_value(sh, c, col, slot[col], rank)
            slot[col] += 1
            return v, ci
        cnt = codes[ci]
        ci += 1
        if c == MAP:
            out = {}
            for _ in range(cnt):
                k = keys[codes[ci]]
                out[k], ci = nested(sh, codes, ci + 1, rank, slot)
            return out, ci
        out = []
        for _ in range(cnt):
            v, ci = nested(sh, codes, ci, rank, slot)
            out.append(v)
        return out, ci

    # per class: its shape and the head of its records (message first)
    heads = []
    for src_id, shape_id in classes:
        tag, inp, host, path, kind = srcs[src_id]
        sh = shapes[shape_id]
        head = {"message": None, "kind": kind, "host": host, "input": inp}
        if path is not None:
            head["path"] = path
        if sh["pe"] is not None:
            head["parse_error"] = sh["pe"]
        if sh["flags"] & F_TRUNCATED:
            head["truncated"] = True
        heads.append((tag, sh, head, bool(sh["flags"] & F_REPEAT)))

    cls_rank = [0] * len(classes)
    rep_i = 0
    t = 0
    for i in range(n):
        t = ts[0] & U64 if i == 0 else (t + ts[i]) & U64
        ns = (t * unit) & U64
        if ns >= 1 << 63:
            ns -= 1 << 64
        c_id = rcls[i]
        tag, sh, head, has_repeat = heads[c_id]
        rank = sh["rank"]
        sh["rank"] += 1
        ri = cls_base[c_id] + cls_rank[c_id]
        cls_rank[c_id] += 1
        # the line: the rest with the values put back after their gaps
        r0, rl, pos = rest_off[ri], rest_len[ri], 0
        nref = sh["k"][COL_REF]
        if nref:
            parts = []
            base, count = sh["base"][COL_REF], sh["count"]
            for j in range(nref):
                x = base + j * count + rank
                g = ref_gap[x]
                if g > rl - pos:
                    raise ValueError("v2: reference gap beyond its line")
                parts.append(rest[r0 + pos:r0 + pos + g])
                parts.append(vals[val_off[x]:val_off[x] + ref_len[x]])
                pos += g
            parts.append(rest[r0 + pos:r0 + rl])
            line = b"".join(parts)
        else:
            line = rest[r0:r0 + rl]
        record = head.copy()
        record["message"] = line.decode("utf-8", "surrogateescape")
        if has_repeat:
            record["repeat"] = repeat[rep_i]
            rep_i += 1
        slot = None
        for k, c, col, j, span in sh["plan"]:
            if col is not None:
                if slot is None:
                    record[k] = column_value(sh, c, col, j, rank)
                    continue
                v = column_value(sh, c, col, slot[col], rank)
                slot[col] += 1
                record[k] = v
            elif span is not None:
                if slot is None:
                    # from here on, slots are counted as the values come
                    slot = _slots_before(sh["plan"], k, span)
                record[k], _ = nested(sh, sh["codes"], span[0], rank, slot)
            else:
                record[k] = None if c == NIL else c == TRUE
        yield tag, (ns // 1000000000) & 0xffffffff, ns % 1000000000, record


_COL = {REF: COL_REF, IREF: COL_REF, STR: COL_STR, INT: COL_INT, DOUBLE: COL_DBL}


def _skip(codes, ci):
    """The index after the (checked) value at codes[ci]."""
    c = codes[ci]
    ci += 1
    if c in (MAP, ARRAY):
        cnt = codes[ci]
        ci += 1
        for _ in range(cnt):
            if c == MAP:
                ci += 1
            ci = _skip(codes, ci)
    return ci


def _slots_before(plan, key, span):
    """Per column, the slots the plan's scalar fields before this container take."""
    slot = [0, 0, 0, 0]
    for k, c, col, j, sp in plan:
        if sp is span:
            break
        if col is not None:
            slot[col] = j + 1
    return slot
