#!/usr/bin/python3
"""http_receiver.py - loopback HTTP(S) receiver for the http output.
Appends to --out one "REQ ..." line per request (method, path, content type,
content encoding, X-Test header, status given) and, for accepted requests,
one line per event: msgpack batches (LZ4-framed when Content-Encoding: lz4,
gzip-compressed when Content-Encoding: gzip)
in vigil_decode's format, NDJSON bodies as "JSON <line>". Answers
--fail-status (default 500) to the first --fail N requests, with
Retry-After: --retry-after when given (--retry-after-date S: an HTTP-date S
seconds ahead), and --status to every later one
(default 200). Prints its port first; --port P listens on P (a receiver
coming back where it was)."""
import argparse
import email.utils
import gzip
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lz4.frame

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_decode as vd  # noqa: E402

ARGS = None
SINK = None
LOCK = threading.Lock()
COUNT = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def handle_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with LOCK:
            COUNT[0] += 1
            failing = COUNT[0] <= ARGS.fail
        status = ARGS.fail_status if failing else ARGS.status
        lines = []
        if status // 100 == 2:
            data = body
            if self.headers.get("Content-Encoding") == "lz4":
                data = lz4.frame.decompress(body)
            elif self.headers.get("Content-Encoding") == "gzip":
                data = gzip.decompress(body)
            ctype = self.headers.get("Content-Type", "")
            if ctype == "application/x-ndjson":
                lines = ["JSON " + s for s in data.decode("utf-8").splitlines()]
            else:
                lines = vd.batch_lines(data)
        with LOCK:
            SINK.line("REQ %s %s ctype=%s cenc=%s xtest=%s len=%d status=%d" % (
                self.command, self.path, self.headers.get("Content-Type"),
                self.headers.get("Content-Encoding"), self.headers.get("X-Test"), n, status))
            for s in lines:
                SINK.line(s)
        reply = b"ok" if status // 100 == 2 else b"nope: bad things\n"
        self.send_response(status)
        if failing and ARGS.retry_after is not None:
            self.send_header("Retry-After", ARGS.retry_after)
        if failing and ARGS.retry_after_date is not None:
            self.send_header("Retry-After", email.utils.formatdate(
                time.time() + ARGS.retry_after_date, usegmt=True))
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = handle_body
    do_PUT = handle_body


def main():
    global ARGS, SINK
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--fail", type=int, default=0)
    ap.add_argument("--fail-status", type=int, default=500)
    ap.add_argument("--retry-after")
    ap.add_argument("--retry-after-date", type=float,
                    help="Retry-After as an HTTP-date this many seconds ahead")
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ARGS = ap.parse_args()
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
