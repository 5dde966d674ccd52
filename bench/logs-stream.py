#!/usr/bin/env python3
"""A CloudWatch Logs stand-in for bench/bounds.sh: one stream whose events
are made up page by page as they are requested, so a client can follow
gigabytes of log without the server holding them.

GetLogEvents with token f/N returns page N: --page-events events of
--size bytes each. After --pages pages it returns an empty page with the
token it was sent, as CloudWatch Logs does at the end of a stream, and
writes the number of events served to --done-file. Other requests get 400.
Listens on 127.0.0.1 only; writes its port to --port-file.
"""

import argparse
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        pass

    def reply(self, status, doc):
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        if not target.endswith(".GetLogEvents"):
            self.reply(400, {"__type": "UnknownOperationException",
                             "message": target})
            return
        args = self.server.args
        token = body.get("nextToken") or "f/0"
        index = int(token[2:])
        if index >= args.pages:
            with open(args.done_file + ".tmp", "w") as f:
                f.write(str(args.pages * args.page_events))
            os.replace(args.done_file + ".tmp", args.done_file)
            self.reply(200, {"events": [], "nextForwardToken": token,
                             "nextBackwardToken": token})
            return
        first = index * args.page_events
        filler = "x" * max(0, args.size - 24)
        events = [{"timestamp": args.start + (first + i) // 1000,
                   "message": f"event {first + i + 1:012d} {filler}",
                   "ingestionTime": args.start + (first + i) // 1000 + 5}
                  for i in range(args.page_events)]
        self.reply(200, {"events": events,
                         "nextForwardToken": f"f/{index + 1}",
                         "nextBackwardToken": f"b/{index}"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--page-events", type=int, default=1000)
    parser.add_argument("--size", type=int, default=1000,
                        help="bytes of each message")
    parser.add_argument("--start", type=int, required=True,
                        help="timestamp of the first event, epoch ms")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--done-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.args = args
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
