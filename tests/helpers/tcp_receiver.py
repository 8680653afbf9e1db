#!/usr/bin/python3
"""tcp_receiver.py - loopback peer for the tcp output: accepts connections
(plain or TLS), reads frames (4-byte big-endian length + batch), decodes each
batch and appends one line per event to --out. Prints its port first.
--close-after N closes every connection after N frames (a flaky receiver);
--port P listens on P (a receiver coming back where it was).
--ack reads frames of the tcp output's `ack: true` mode (length, 8-byte frame
id, batch) and answers each with its id once the events are written to --out.
--no-read accepts connections and never reads from them (a stuck receiver)."""
import argparse
import os
import socket
import ssl
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigil_decode as vd  # noqa: E402


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve(conn, sink, lock, args):
    frames = 0
    try:
        while True:
            hdr = recv_exact(conn, 4)
            if hdr is None:
                return
            (n,) = struct.unpack(">I", hdr)
            fid = None
            if args.ack:
                fid = recv_exact(conn, 8)
                if fid is None:
                    with lock:
                        sink.line("CUT %d" % n)
                    return
            data = recv_exact(conn, n)
            if data is None:
                with lock:
                    sink.line("CUT %d" % n)
                return
            with lock:
                try:
                    lines = vd.batch_lines(data)
                    sink.line("BATCH %d" % len(lines))
                    for line in lines:
                        sink.line(line)
                except Exception as e:  # corrupt batch: say so, keep going
                    sink.line("BAD %s" % e)
            if fid is not None:
                conn.sendall(fid)
            frames += 1
            if args.close_after and frames >= args.close_after:
                return
    except (OSError, ssl.SSLError) as e:
        with lock:
            sink.line("ERR %s" % e)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--close-after", type=int, default=0)
    ap.add_argument("--port", type=int, default=0, help="0 = any free port")
    ap.add_argument("--ack", action="store_true")
    ap.add_argument("--no-read", action="store_true")
    args = ap.parse_args()
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
    sink = vd.Sink(args.out)
    lock = threading.Lock()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    vd.announce(ls.getsockname()[1])
    held = []
    while True:
        conn, _ = ls.accept()
        if ctx:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as e:
                with lock:
                    sink.line("TLSERR %s" % e)
                conn.close()
                continue
        if args.no_read:
            held.append(conn)   # never read: the kernel buffers fill up
            with lock:
                sink.line("ACCEPTED")
            continue
        threading.Thread(target=serve, args=(conn, sink, lock, args), daemon=True).start()


if __name__ == "__main__":
    main()
