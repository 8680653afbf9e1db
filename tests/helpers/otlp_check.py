#!/usr/bin/python3
"""otlp_check.py - checks what an OTLP receiver got against vigil's records.

  otlp_check.py mapping REF GOT [options]
      REF: `vigil-cat` JSON lines of the same records (a file output fed by
      the same inputs); GOT: an otlp_receiver.py --out file. Every log record
      of GOT must be, in order and one for one, the mapping of docs/
      wire-format.md ("OTLP") applied to its record in REF, here written
      again from the documentation, field by field. Options: --service,
      --host, --pod, --namespace, --node (resource), --version (scope),
      --t0/--t1 (ns: observed times must fall inside), --encoding,
      --inputs a,b,c (each must have records), --alerts N (at least N).
Exit 0 when it holds, 1 with the differences otherwise."""
import argparse
import calendar
import json
import sys
import time

# docs/wire-format.md: the level words and the alert severities
LEVELS = {"trace": 1, "debug": 5, "info": 9, "notice": 10, "warn": 13, "warning": 13,
          "error": 17, "err": 17, "critical": 18, "crit": 18, "alert": 19, "fatal": 21,
          "emerg": 21, "panic": 21}
ALERT_LEVELS = {"info": 9, "low": 13, "medium": 15, "high": 17, "critical": 21}
# record keys vigil ships before the fields (the msgpack record's header)
HEADER = {"message", "kind", "host", "input", "path", "parse_error", "truncated", "repeat"}
# a field named like one of these is "_name" in the msgpack record
MP_ESCAPED = {"ts", "tag", "kind", "host", "path", "input", "repeat", "message", "truncated",
              "parse_error"}
# ... and "vigil._name" in OTLP, next to vigil's own vigil.<name>
OTLP_RESERVED = {"tag", "input", "kind", "host", "parse_error", "truncated", "repeat"}
SEMCONV = {"src_ip": ("client.address", "str"), "src_port": ("client.port", "int"),
           "user": ("user.name", "str"), "pid": ("process.pid", "int"),
           "command": ("process.command_line", "str")}


def rfc3339_ns(s):
    # "2026-12-06T03:50:00.123456789Z"
    base, frac = s[:19], s[20:-1] if s[19] == "." else ""
    sec = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return sec * 10**9 + int((frac + "000000000")[:9] or 0)


def as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and 0 < len(v) <= 19 and v.lstrip("-").isdigit() and v != "-":
        return int(v)
    return None


def hex_id(v, n):
    """A W3C trace/span id: n hex digits, not all zeros; lower-cased."""
    if isinstance(v, str) and len(v) == n and all(c in "0123456789abcdefABCDEF" for c in v) \
            and int(v, 16) != 0:
        return v.lower()
    return None


def expected(ref, a):
    tag, rec = ref["tag"], ref["record"]
    alert = rec.get("kind") == "alert"
    attrs = {}
    lkey = "severity" if alert else "level"
    level = rec.get(lkey) if isinstance(rec.get(lkey), str) else None
    # the message: `msg`, else (docs/events.md) a `message` or `@message` key
    mkey = next((k for k in ("msg", "_message", "@message") if isinstance(rec.get(k), str)), None)
    msg = rec[mkey] if mkey else None
    if alert:
        attrs["event.name"] = "vigil.alert"
    if msg is not None:
        attrs["log.record.original"] = rec["message"]
    if rec.get("path"):
        attrs["log.file.path"] = rec["path"]
    attrs["vigil.tag"] = tag
    attrs["vigil.input"] = rec["input"]
    attrs["vigil.kind"] = rec["kind"]
    if rec.get("host") and rec["host"] != a.host:
        attrs["vigil.host"] = rec["host"]
    if "parse_error" in rec:
        attrs["vigil.parse_error"] = rec["parse_error"]
    if rec.get("truncated"):
        attrs["vigil.truncated"] = True
    if "repeat" in rec:
        attrs["vigil.repeat"] = rec["repeat"]
    ids = {"trace_id": "", "span_id": ""}
    for k, v in rec.items():
        if k in HEADER:
            continue
        if k in ids and hex_id(v, 32 if k == "trace_id" else 16):
            ids[k] = hex_id(v, 32 if k == "trace_id" else 16)
            continue
        if (k == lkey and level is not None) or k == mkey:
            continue
        name = k[1:] if k.startswith("_") and k[1:] in MP_ESCAPED else k
        sc = SEMCONV.get(name) if name == k else None
        if sc and sc[1] == "int" and as_int(v) is not None:
            attrs[sc[0]] = as_int(v)
            continue
        if sc and sc[1] == "str" and isinstance(v, str):
            attrs[sc[0]] = v
            continue
        attrs[("vigil._" if name in OTLP_RESERVED else "vigil.") + name] = v
    res = {"service.name": a.service, "host.name": a.host}
    for key, val in (("k8s.pod.name", a.pod), ("k8s.namespace.name", a.namespace),
                     ("k8s.node.name", a.node)):
        if val:
            res[key] = val
    table = ALERT_LEVELS if alert else LEVELS
    return {
        "time": rfc3339_ns(ref["time"]),
        "severity_number": table.get(level.lower(), 0) if level else 0,
        "severity_text": level or "",
        "body": msg if msg is not None else rec["message"],
        "event_name": "vigil.alert" if alert else "",
        "trace_id": ids["trace_id"],
        "span_id": ids["span_id"],
        "attributes": attrs,
        "resource": res,
        "scope": {"name": "vigil", "version": a.version},
        "encoding": a.encoding,
    }


def mapping(a):
    refs = [json.loads(l) for l in open(a.ref, encoding="utf-8") if l.strip()]
    got = [json.loads(l[5:]) for l in open(a.got, encoding="utf-8") if l.startswith("JSON ")]
    bad = [l.rstrip() for l in open(a.got, encoding="utf-8") if l.startswith("BAD")]
    problems = ["receiver: " + b for b in bad[:3]]
    if len(refs) != len(got):
        problems.append("%d records in the reference, %d received" % (len(refs), len(got)))
    for i, (ref, g) in enumerate(zip(refs, got)):
        want = expected(ref, a)
        obs = g.pop("observed")
        g.pop("message", None)
        if not a.t0 <= obs <= a.t1:
            problems.append("record %d: observed time %d outside the run" % (i, obs))
        for k in sorted(set(want) | set(g)):
            if want.get(k) != g.get(k):
                problems.append("record %d (%s): %s: want %r, got %r" % (
                    i, ref["record"].get("input"), k, want.get(k), g.get(k)))
        if len(problems) > 20:
            break
    inputs = {r["record"].get("input") for r in refs}
    for name in filter(None, (a.inputs or "").split(",")):
        if name not in inputs:
            problems.append("no record of input " + name)
    alerts = sum(1 for r in refs if r["record"].get("kind") == "alert")
    if alerts < a.alerts:
        problems.append("%d alerts, expected at least %d" % (alerts, a.alerts))
    if problems:
        print("\n".join(problems[:20]))
        return 1
    print("%s: %d records (%d alerts, %d inputs), every field as mapped" % (
        a.got.rsplit("/", 1)[-1], len(got), alerts, len(inputs)))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["mapping"])
    ap.add_argument("ref")
    ap.add_argument("got")
    ap.add_argument("--service", default="vigil")
    ap.add_argument("--host", required=True)
    ap.add_argument("--pod", default="")
    ap.add_argument("--namespace", default="")
    ap.add_argument("--node", default="")
    ap.add_argument("--version", required=True)
    ap.add_argument("--t0", type=int, required=True)
    ap.add_argument("--t1", type=int, required=True)
    ap.add_argument("--encoding", required=True)
    ap.add_argument("--inputs")
    ap.add_argument("--alerts", type=int, default=0)
    sys.exit(mapping(ap.parse_args()))


if __name__ == "__main__":
    main()
