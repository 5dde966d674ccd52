#!/usr/bin/env python3
"""An echo server and a checking client for the port forwarding tests.

    echo.py server [--watch-pid PID]
        Listens on 127.0.0.1 (a free port, printed as the first line of
        stdout) and sends back every byte each connection sends, until
        the peer closes. Exits when PID has gone.
    echo.py client --port PORT [--connections N] [--bytes B] [--timeout S]
        Opens N connections at once, sends B random bytes on each while
        reading the echo, and closes once B bytes came back. Prints one
        JSON object: per connection the bytes sent and received and the
        SHA-256 of each, and ok when every echo matched.
    echo.py closed-port
        Prints a 127.0.0.1 port that nothing listens on (bound, then
        released).
"""

import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time


def serve(args):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)

    def echo(conn):
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def watch():
        while True:
            time.sleep(0.5)
            try:
                os.kill(args.watch_pid, 0)
            except OSError:
                os._exit(0)

    if args.watch_pid:
        threading.Thread(target=watch, daemon=True).start()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def one_connection(port, size, timeout, result):
    data = os.urandom(size)
    received = bytearray()
    result.update(sent=0, received=0)
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as err:
        result["error"] = str(err)
        return
    sock.settimeout(timeout)

    def send():
        view = memoryview(data)
        for start in range(0, size, 65536):
            sock.sendall(view[start:start + 65536])

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        while len(received) < size:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except OSError as err:
        result["error"] = str(err)
    sender.join(timeout)
    sock.close()
    result.update(sent=size, received=len(received),
                  sentSha256=hashlib.sha256(data).hexdigest(),
                  receivedSha256=hashlib.sha256(received).hexdigest())


def client(args):
    results = [{} for _ in range(args.connections)]
    threads = [threading.Thread(target=one_connection, daemon=True,
                                args=(args.port, args.bytes, args.timeout,
                                      results[i]))
               for i in range(args.connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(args.timeout + 5)
    ok = all(r.get("sentSha256") == r.get("receivedSha256")
             and r.get("received") == args.bytes for r in results)
    json.dump({"ok": ok, "seconds": round(time.monotonic() - started, 3),
               "connections": results}, sys.stdout)
    sys.stdout.write("\n")
    return 0 if ok else 1


def closed_port(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1])
    sock.close()
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("server")
    p.add_argument("--watch-pid", type=int, default=0)
    p = sub.add_parser("client")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--bytes", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=60)
    sub.add_parser("closed-port")
    args = parser.parse_args()
    return {"server": serve, "client": client,
            "closed-port": closed_port}[args.command](args) or 0


if __name__ == "__main__":
    sys.exit(main())
