#!/usr/bin/env python3
"""A CloudWatch Logs stand-in for bench/log.sh: one stream of N events,
served from pages rendered once at start, so a benchmark measures the
clients rather than the server.

GetLogEvents pages forward in pages of 10,000 events (tokens f/0, f/1, ...)
and ends with an empty page that returns the token it was sent. A request
without a token and with startFromHead false gets the last `limit` events.
FilterLogEvents pages the same events with nextToken and no token on the
last page. Filters, times and stream names in requests are ignored. Listens
on 127.0.0.1 only; writes its port to --port-file.

Every page is stored as a whole HTTP response, status line and headers
included, and sent with one sendall, so serving a page costs little more
than copying it into the socket.
"""

import argparse
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = 10000


def render(args):
    events = []
    for i in range(args.events):
        message = f"event {i + 1} " + "x" * max(0, args.size - 12)
        events.append({"timestamp": args.start + i, "message": message,
                       "ingestionTime": args.start + i + 5})
    pages = [events[i:i + PAGE] for i in range(0, len(events), PAGE)]
    get_pages = []
    for n, page in enumerate(pages):
        get_pages.append(http_response(json.dumps({
            "events": page, "nextForwardToken": f"f/{n + 1}",
            "nextBackwardToken": f"b/{n}"}).encode()))
    end = f"f/{len(pages)}"
    get_pages.append(http_response(json.dumps({
        "events": [], "nextForwardToken": end,
        "nextBackwardToken": f"b/{len(pages)}"}).encode()))
    filter_pages = []
    event_id = 0
    for n, page in enumerate(pages):
        items = []
        for event in page:
            event_id += 1
            items.append(dict(event, logStreamName=args.stream,
                              eventId=str(event_id)))
        doc = {"events": items, "searchedLogStreams": [
            {"logStreamName": args.stream, "searchedCompletely": True}]}
        if n + 1 < len(pages):
            doc["nextToken"] = f"n/{n + 1}"
        filter_pages.append(http_response(json.dumps(doc).encode()))
    return events, get_pages, filter_pages


def http_response(body, status="200 OK"):
    """Returns a whole HTTP/1.1 response carrying a JSON body."""
    head = (f"HTTP/1.1 {status}\r\n"
            "Content-Type: application/x-amz-json-1.1\r\n"
            "x-amzn-RequestId: canned\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Without it, the last segment of a reply can wait for the
        # client's delayed ACK (about 40 ms on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        target = self.headers.get("X-Amz-Target", "")
        server = self.server
        if target.endswith(".GetLogEvents"):
            token = body.get("nextToken")
            if token is None and body.get("startFromHead") is False:
                last = server.events[-int(body.get("limit") or PAGE):]
                data = http_response(json.dumps({
                    "events": last,
                    "nextForwardToken": f"f/{len(server.get_pages) - 1}",
                    "nextBackwardToken": "b/0"}).encode())
            else:
                index = int(token[2:]) if token else 0
                data = server.get_pages[min(index,
                                            len(server.get_pages) - 1)]
        elif target.endswith(".FilterLogEvents"):
            token = body.get("nextToken")
            index = int(token[2:]) if token else 0
            data = server.filter_pages[index]
        else:
            data = http_response(json.dumps({
                "__type": "UnknownOperationException",
                "message": target}).encode(), "400 Bad Request")
        self.wfile.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--start", type=int, required=True,
                        help="timestamp of the first event, epoch ms")
    parser.add_argument("--stream", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.events, server.get_pages, server.filter_pages = render(args)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
