#!/usr/bin/python3
"""otlp_receiver.py - loopback OTLP/HTTP logs receiver for the otlp output.
Decodes every request on its own, independently of vigil: protobuf bodies
with the classes `protoc` generates (at start, into --gen) from the
OpenTelemetry .proto files in --proto, OTLP/JSON bodies with the json module
under OTLP/JSON's rules (lowerCamelCase keys only, 64-bit integers as
strings, enums as numbers, trace and span ids as hex); gzip when
Content-Encoding says so.

Appends to --out one "REQ ..." line per request (path, content type and
encoding, X-Test and Authorization headers, records, status given) and, for
accepted requests, one "JSON {...}" line per log record: the record in a
neutral form (resource, scope, times, severity, body, attributes as a dict,
event name) plus "message": its log.record.original, else its body, so that
it_check.py's `messages peer` reads it. Anything that breaks OTLP (two
resources, a missing scope, a key OTLP/JSON does not have, an int64 not a
string...) is a "BAD ..." line.

Answers --fail-status (default 503) to the first --fail N requests, with
Retry-After: --retry-after when given ("date:N" = an HTTP-date N seconds
ahead), then --status (default 200); a 2xx reply reports --partial N
rejected records (partial_success) when N > 0. Prints its port first;
--port P listens on P (a receiver coming back where it was)."""
import argparse
import email.utils
import gzip
import importlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_decode as vd  # noqa: E402

ARGS = None
SINK = None
PB = None
LOCK = threading.Lock()
COUNT = [0]


def load_classes(proto, gen):
    os.makedirs(gen, exist_ok=True)
    files = []
    for d, _, names in os.walk(os.path.join(proto, "opentelemetry")):
        files += [os.path.relpath(os.path.join(d, n), proto) for n in names if n.endswith(".proto")]
    subprocess.check_call(["protoc", "-I" + proto, "--python_out=" + gen] + sorted(files))
    sys.path.insert(0, gen)
    return importlib.import_module("opentelemetry.proto.collector.logs.v1.logs_service_pb2")


class Bad(Exception):
    pass


# ---- protobuf ----

def pb_value(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "int_value":
        return v.int_value
    if kind == "double_value":
        return v.double_value
    if kind == "array_value":
        return [pb_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return pb_attrs(v.kvlist_value.values)
    raise Bad("AnyValue holds " + kind)


def pb_attrs(kvs):
    out = {}
    for kv in kvs:
        if kv.key in out:
            raise Bad("duplicate attribute " + kv.key)
        out[kv.key] = pb_value(kv.value)
    return out


def pb_request(body):
    req = PB.ExportLogsServiceRequest.FromString(body)
    if len(req.resource_logs) != 1:
        raise Bad("%d ResourceLogs" % len(req.resource_logs))
    rl = req.resource_logs[0]
    if len(rl.scope_logs) != 1:
        raise Bad("%d ScopeLogs" % len(rl.scope_logs))
    sl = rl.scope_logs[0]
    res = pb_attrs(rl.resource.attributes)
    scope = {"name": sl.scope.name, "version": sl.scope.version}
    recs = []
    for lr in sl.log_records:
        if lr.flags or lr.dropped_attributes_count:
            raise Bad("unexpected flags or dropped count")
        if len(lr.trace_id) not in (0, 16) or len(lr.span_id) not in (0, 8):
            raise Bad("trace_id of %d bytes, span_id of %d" % (len(lr.trace_id), len(lr.span_id)))
        recs.append({
            "trace_id": lr.trace_id.hex(), "span_id": lr.span_id.hex(),
            "time": lr.time_unix_nano, "observed": lr.observed_time_unix_nano,
            "severity_number": lr.severity_number, "severity_text": lr.severity_text,
            "event_name": lr.event_name,
            "body": pb_value(lr.body) if lr.HasField("body") else None,
            "attributes": pb_attrs(lr.attributes),
        })
    return res, scope, recs


# ---- OTLP/JSON ----

def only(obj, allowed, what):
    if not isinstance(obj, dict):
        raise Bad(what + " is not an object")
    extra = set(obj) - set(allowed)
    if extra:
        raise Bad("%s has keys OTLP/JSON does not: %s" % (what, sorted(extra)))


def int64_str(v, what):
    if not isinstance(v, str) or not v.lstrip("-").isdigit():
        raise Bad("%s must be an int64 as a JSON string, got %r" % (what, v))
    return int(v)


def js_value(v):
    only(v, ("stringValue", "boolValue", "intValue", "doubleValue", "arrayValue",
             "kvlistValue", "bytesValue"), "AnyValue")
    if not v:
        return None
    if len(v) != 1:
        raise Bad("AnyValue with two values")
    (k, x), = v.items()
    if k == "stringValue":
        if not isinstance(x, str):
            raise Bad("stringValue not a string")
        return x
    if k == "boolValue":
        if not isinstance(x, bool):
            raise Bad("boolValue not a bool")
        return x
    if k == "intValue":
        return int64_str(x, "intValue")
    if k == "doubleValue":
        if isinstance(x, str) and x in ("NaN", "Infinity", "-Infinity"):
            return float(x)
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            raise Bad("doubleValue not a number")
        return float(x)
    if k == "arrayValue":
        only(x, ("values",), "ArrayValue")
        return [js_value(e) for e in x.get("values", [])]
    if k == "kvlistValue":
        only(x, ("values",), "KeyValueList")
        return js_attrs(x.get("values", []))
    raise Bad("AnyValue holds " + k)


def js_attrs(kvs):
    out = {}
    for kv in kvs:
        only(kv, ("key", "value"), "KeyValue")
        if kv["key"] in out:
            raise Bad("duplicate attribute " + kv["key"])
        out[kv["key"]] = js_value(kv.get("value", {}))
    return out


def js_request(body):
    req = json.loads(body.decode("utf-8"))
    only(req, ("resourceLogs",), "ExportLogsServiceRequest")
    if len(req.get("resourceLogs", [])) != 1:
        raise Bad("not one ResourceLogs")
    rl = req["resourceLogs"][0]
    only(rl, ("resource", "scopeLogs", "schemaUrl"), "ResourceLogs")
    only(rl.get("resource", {}), ("attributes", "droppedAttributesCount"), "Resource")
    if len(rl.get("scopeLogs", [])) != 1:
        raise Bad("not one ScopeLogs")
    sl = rl["scopeLogs"][0]
    only(sl, ("scope", "logRecords", "schemaUrl"), "ScopeLogs")
    only(sl.get("scope", {}), ("name", "version", "attributes", "droppedAttributesCount"), "Scope")
    res = js_attrs(rl.get("resource", {}).get("attributes", []))
    scope = {"name": sl["scope"].get("name", ""), "version": sl["scope"].get("version", "")}
    recs = []
    for lr in sl.get("logRecords", []):
        only(lr, ("timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText",
                  "body", "attributes", "droppedAttributesCount", "flags", "traceId", "spanId",
                  "eventName"), "LogRecord")
        ids = {}
        for k, n in (("traceId", 32), ("spanId", 16)):
            v = lr.get(k, "")
            if v and (not isinstance(v, str) or len(v) != n or v != v.lower() or
                      any(c not in "0123456789abcdef" for c in v)):
                raise Bad("%s must be %d lower-case hex digits, got %r" % (k, n, v))
            ids[k] = v
        sev = lr.get("severityNumber", 0)
        if not isinstance(sev, int) or isinstance(sev, bool):
            raise Bad("severityNumber must be a number, got %r" % (sev,))
        recs.append({
            "trace_id": ids["traceId"], "span_id": ids["spanId"],
            "time": int64_str(lr.get("timeUnixNano", "0"), "timeUnixNano"),
            "observed": int64_str(lr.get("observedTimeUnixNano", "0"), "observedTimeUnixNano"),
            "severity_number": sev, "severity_text": lr.get("severityText", ""),
            "event_name": lr.get("eventName", ""),
            "body": js_value(lr["body"]) if "body" in lr else None,
            "attributes": js_attrs(lr.get("attributes", [])),
        })
    return res, scope, recs


def reply_body(ctype, rejected):
    if ctype == "application/json":
        if not rejected:
            return b"{}"
        return json.dumps({"partialSuccess": {"rejectedLogRecords": str(rejected),
                                              "errorMessage": "test: some records refused"}}).encode()
    r = PB.ExportLogsServiceResponse()
    if rejected:
        r.partial_success.rejected_log_records = rejected
        r.partial_success.error_message = "test: some records refused"
    return r.SerializeToString()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with LOCK:
            COUNT[0] += 1
            failing = COUNT[0] <= ARGS.fail
        status = ARGS.fail_status if failing else ARGS.status
        ctype = self.headers.get("Content-Type", "")
        cenc = self.headers.get("Content-Encoding")
        lines, nrec = [], 0
        try:
            data = gzip.decompress(body) if cenc == "gzip" else body
            if cenc not in (None, "gzip"):
                raise Bad("Content-Encoding " + cenc)
            if self.path != ARGS.path:
                raise Bad("path " + self.path)
            if ctype == "application/x-protobuf":
                res, scope, recs = pb_request(data)
                enc = "protobuf"
            elif ctype == "application/json":
                res, scope, recs = js_request(data)
                enc = "json"
            else:
                raise Bad("Content-Type " + ctype)
            nrec = len(recs)
            for r in recs:
                r["resource"], r["scope"], r["encoding"] = res, scope, enc
                orig = r["attributes"].get("log.record.original")
                r["message"] = orig if orig is not None else r["body"]
                if status // 100 == 2:
                    lines.append("JSON " + json.dumps(r, sort_keys=True))
        except Exception as e:  # noqa: BLE001 - any failure to decode is the finding
            lines = ["BAD %s: %s" % (type(e).__name__, e)]
            status = 400
        rejected = min(ARGS.partial, nrec) if status // 100 == 2 else 0
        with LOCK:
            SINK.line("REQ POST %s ctype=%s cenc=%s xtest=%s auth=%s len=%d records=%d status=%d rejected=%d" % (
                self.path, ctype, cenc, self.headers.get("X-Test"),
                self.headers.get("Authorization"), n, nrec, status, rejected))
            for s in lines:
                SINK.line(s)
        reply = reply_body(ctype, rejected) if status // 100 == 2 else b"nope: try later\n"
        self.send_response(status)
        if failing and ARGS.retry_after is not None:
            ra = ARGS.retry_after
            if ra.startswith("date:"):
                ra = email.utils.formatdate(time.time() + float(ra[5:]), usegmt=True)
            self.send_header("Retry-After", ra)
        self.send_header("Content-Type", ctype if status // 100 == 2 else "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def main():
    global ARGS, SINK, PB
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--proto", required=True, help="folder holding opentelemetry/proto/...")
    ap.add_argument("--gen", required=True, help="where protoc writes the Python classes")
    ap.add_argument("--path", default="/v1/logs")
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=503)
    ap.add_argument("--retry-after")
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--partial", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ARGS = ap.parse_args()
    PB = load_classes(ARGS.proto, ARGS.gen)
    SINK = vd.Sink(ARGS.out)
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    vd.announce(srv.server_address[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
