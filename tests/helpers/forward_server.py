#!/usr/bin/python3
"""forward_server.py - loopback Fluentd forward protocol v1 server for tests.
Optional HELO/PING/PONG handshake with --shared-key (and --username/--password
for user auth), digests checked both ways. Decodes Message, Forward,
PackedForward (bin or str) and CompressedPackedForward (gzip, possibly several
members) and appends to --out one "MSG ..." line per message, then one line
per event (vigil_decode format). Acks every chunk unless told otherwise:
--no-ack withholds acks, --wrong-ack answers a different chunk,
--reset-first N closes the first N connections on their first message.
Prints its port first."""
import argparse
import gzip
import hashlib
import os
import socket
import ssl
import sys
import threading

import msgpack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_decode as vd  # noqa: E402

SERVER_HOSTNAME = "forward-test-server"


def sha512_hex(*parts):
    h = hashlib.sha512()
    for p in parts:
        h.update(p if isinstance(p, bytes) else p.encode())
    return h.hexdigest()


def as_bytes(v):
    return v if isinstance(v, bytes) else str(v).encode()


class Server:
    def __init__(self, args):
        self.args = args
        self.sink = vd.Sink(args.out)
        self.lock = threading.Lock()
        self.resets_left = args.reset_first

    def line(self, s):
        with self.lock:
            self.sink.line(s)

    def handshake(self, conn, u):
        nonce = os.urandom(16)
        auth_salt = os.urandom(16) if self.args.username else b""
        helo = ["HELO", {"nonce": nonce, "auth": auth_salt, "keepalive": not self.args.no_keepalive}]
        conn.sendall(msgpack.packb(helo, use_bin_type=True))
        ping = self.next_obj(conn, u)
        if not (isinstance(ping, list) and len(ping) == 6 and ping[0] == "PING"):
            self.line("AUTH fail bad-ping %r" % (ping,))
            return False
        _, hostname, salt, digest, user, pw_digest = ping
        key = self.args.shared_key
        ok, reason = True, ""
        if digest != sha512_hex(as_bytes(salt), as_bytes(hostname), nonce, key):
            ok, reason = False, "shared_key mismatch"
        elif self.args.username:
            want = sha512_hex(auth_salt, as_bytes(user), self.args.password)
            if user != self.args.username or pw_digest != want:
                ok, reason = False, "username/password mismatch"
        server_key = self.args.pong_key or key
        pong_digest = sha512_hex(as_bytes(salt), SERVER_HOSTNAME, nonce, server_key) if ok else ""
        conn.sendall(msgpack.packb(["PONG", ok, reason, SERVER_HOSTNAME, pong_digest], use_bin_type=True))
        self.line(("AUTH ok host=%s" % hostname) if ok else ("AUTH fail %s" % reason))
        return ok

    def next_obj(self, conn, u):
        while True:
            for obj in u:
                return obj
            data = conn.recv(65536)
            if not data:
                return None
            u.feed(data)

    def message(self, conn, msg):
        if msg is None:
            return True  # heartbeat
        if not isinstance(msg, list) or len(msg) < 2:
            self.line("BAD %r" % (msg,))
            return True
        tag, second = msg[0], msg[1]
        option = msg[2] if len(msg) > 2 and isinstance(msg[2], dict) else (
            msg[3] if len(msg) > 3 and isinstance(msg[3], dict) else {})
        events = []
        if isinstance(second, (bytes, str)):
            stream = as_bytes(second)
            mode = "PackedForward"
            if option.get("compressed") == "gzip":
                mode = "CompressedPackedForward"
                stream = gzip.decompress(stream)  # handles several members
            u = vd.unpacker()
            u.feed(stream)
            for entry in u:
                t, record = entry[0], entry[1]
                if isinstance(t, list) and len(t) == 2 and isinstance(t[1], dict):
                    t = t[0]  # Fluent Bit's [time, metadata] shape
                events.append(vd.event_line(tag, t, record))
        elif isinstance(second, list):
            mode = "Forward"
            events = [vd.event_line(tag, e[0], e[1]) for e in second]
        else:
            mode = "Message"
            events = [vd.event_line(tag, second, msg[2])]
        chunk = option.get("chunk")
        self.line("MSG mode=%s size=%s chunk=%s events=%d binary=%s" % (
            mode, option.get("size"), "yes" if chunk else "no", len(events),
            "yes" if isinstance(second, bytes) else "no"))
        for e in events:
            self.line(e)
        with self.lock:
            if self.resets_left > 0:
                self.resets_left -= 1
                self.sink.line("RESET")
                return False
        if chunk and not self.args.no_ack:
            ack = chunk if not self.args.wrong_ack else "not-" + str(chunk)
            conn.sendall(msgpack.packb({"ack": ack}, use_bin_type=True))
        return True

    def serve(self, conn):
        u = vd.unpacker()
        try:
            if self.args.shared_key is not None and not self.handshake(conn, u):
                return
            while True:
                msg = self.next_obj(conn, u)
                if msg is None:
                    return
                if not self.message(conn, msg):
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
        except Exception as e:  # report and drop the connection
            self.line("ERR %s" % e)
        finally:
            try:
                conn.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared-key")
    ap.add_argument("--pong-key", help="key the server uses for its PONG digest (tests a wrong server)")
    ap.add_argument("--username")
    ap.add_argument("--password", default="")
    ap.add_argument("--no-keepalive", action="store_true")
    ap.add_argument("--no-ack", action="store_true")
    ap.add_argument("--wrong-ack", action="store_true")
    ap.add_argument("--reset-first", type=int, default=0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    srv = Server(args)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    vd.announce(ls.getsockname()[1])
    while True:
        conn, _ = ls.accept()
        if ctx:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as e:
                srv.line("TLSERR %s" % e)
                conn.close()
                continue
        threading.Thread(target=srv.serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
