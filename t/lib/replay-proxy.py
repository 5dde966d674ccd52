#!/usr/bin/env python3
"""Replay recorded HTTP traffic to a client that uses this as its proxy.

The cross-SDK credential-provider cases record the requests an SDK sent
(to STS, SSO and overridden endpoints) and the replies it got. Pointing
the client's http_proxy and https_proxy here lets it keep its real URLs:
plain http arrives in absolute form, https through CONNECT, after which
this server ends TLS with a certificate the test made for the recorded
host names. Nothing is forwarded anywhere.

    replay-proxy.py serve --traffic FILE --cert PEM --key PEM \
        --port-file FILE --log FILE
    replay-proxy.py check --traffic FILE --log FILE

`serve` replies to the n-th request with the n-th recorded reply and logs
every request as one JSON line. `check` compares the log with the
recording (method, URL, query and form parameters, content type, bearer
token, and the signing key and scope, not the signature) and prints one
line per difference; no output means they match.
"""

import argparse
import json
import os
import re
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The Rust SDK, which recorded the cases, names role sessions this way;
# the AWS CLI uses botocore-session-<unix time>.
RECORDED_SESSION_NAME = "assume-role-provider-session"
CLI_SESSION_NAME = re.compile(r"^botocore-session-[0-9]+$")


def recorded_exchanges(path):
    """Return [(request, request_body, response, response_body)]."""
    with open(path, encoding="utf-8") as f:
        events = json.load(f)["events"]
    exchanges = {}
    order = []
    for event in events:
        conn = event["connection_id"]
        action = event["action"]
        if conn not in exchanges:
            exchanges[conn] = {"body": "", "reply_body": ""}
            order.append(conn)
        ex = exchanges[conn]
        if "Request" in action:
            ex["request"] = action["Request"]["request"]
        elif "Response" in action:
            ex["response"] = action["Response"]["response"]["Ok"]
        elif "Data" in action:
            data = action["Data"]
            text = data["data"].get("Utf8", "")
            if data["direction"] == "Request":
                ex["body"] += text
            else:
                ex["reply_body"] += text
    return [(exchanges[c]["request"], exchanges[c]["body"],
             exchanges[c]["response"], exchanges[c]["reply_body"])
            for c in order]


class ReplayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    tunnel_host = None

    def log_message(self, fmt, *args):
        pass

    def do_CONNECT(self):
        host = self.path.rsplit(":", 1)[0]
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        tls = self.server.tls.wrap_socket(self.connection, server_side=True)
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        self.tunnel_host = host

    def _url(self):
        if self.tunnel_host:
            return "https://" + self.tunnel_host + self.path
        return self.path

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        entry = {
            "method": self.command,
            "url": self._url(),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        reply = self.server.next_reply()
        entry["unexpected"] = reply is None
        self.server.log(entry)
        if reply is None:
            status, headers, text = 599, {}, "no recorded reply is left"
        else:
            status, headers, text = reply
        data = text.encode("utf-8")
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() in ("content-length", "transfer-encoding",
                                "connection"):
                continue
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, exchanges, tls, log_path):
        super().__init__(("127.0.0.1", 0), ReplayHandler)
        self.replies = [(resp["status"], resp.get("headers", {}), body)
                        for _, _, resp, body in exchanges]
        self.tls = tls
        self.log_path = log_path
        self.lock = threading.Lock()

    def next_reply(self):
        with self.lock:
            return self.replies.pop(0) if self.replies else None

    def log(self, entry):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def serve(args):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    server = ReplayServer(recorded_exchanges(args.traffic), tls, args.log)
    open(args.log, "w", encoding="utf-8").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


def split_url(url):
    parts = urllib.parse.urlsplit(url)
    path = parts.path or "/"
    query = sorted(urllib.parse.parse_qsl(parts.query,
                                          keep_blank_values=True))
    return parts.scheme, parts.netloc.lower(), path, query


def signing_scope(authorization, url):
    """'AKIAFAKE/us-east-1/sts' from an Authorization header, no date.

    The recordings carry one Authorization header copied into every case,
    so a host that names its region (sts.us-east-2.amazonaws.com) decides
    the expected region instead of the recorded scope.
    """
    m = re.search(r"Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/",
                  authorization or "")
    if not m:
        return None
    key, region, service = m.groups()
    host = url and re.match(r"^sts(?:-fips)?\.([a-z0-9-]+)\.",
                            urllib.parse.urlsplit(url).netloc)
    if host:
        region = host.group(1)
    return "/".join((key, region, service))


def compare(n, recorded, body, got):
    diffs = []
    want_headers = {k.lower(): v[0] for k, v in recorded["headers"].items()}

    if got["method"] != recorded["method"]:
        diffs.append(f"request {n}: method {got['method']}, "
                     f"recorded {recorded['method']}")
    if split_url(got["url"]) != split_url(recorded["uri"]):
        diffs.append(f"request {n}: URL {got['url']}, "
                     f"recorded {recorded['uri']}")

    if recorded["method"] == "POST":
        want = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        have = dict(urllib.parse.parse_qsl(got["body"],
                                           keep_blank_values=True))
        if (want.get("RoleSessionName") == RECORDED_SESSION_NAME and
                CLI_SESSION_NAME.match(have.get("RoleSessionName", ""))):
            have["RoleSessionName"] = RECORDED_SESSION_NAME
        if want != have:
            diffs.append(f"request {n}: form {sorted(have.items())}, "
                         f"recorded {sorted(want.items())}")

    for name in ("content-type",):
        if name in want_headers:
            have = got["headers"].get(name, "").split(";")[0].strip()
            if have != want_headers[name]:
                diffs.append(f"request {n}: {name} {have!r}, "
                             f"recorded {want_headers[name]!r}")

    token = "x-amz-sso_bearer_token"
    if got["headers"].get(token) != want_headers.get(token):
        diffs.append(f"request {n}: {token} differs from the recording")

    want_scope = signing_scope(want_headers.get("authorization"),
                               recorded["uri"])
    have_scope = signing_scope(got["headers"].get("authorization"), None)
    if want_scope != have_scope:
        diffs.append(f"request {n}: signed as {have_scope}, "
                     f"recorded {want_scope}")
    return diffs


def check(args):
    exchanges = recorded_exchanges(args.traffic)
    with open(args.log, encoding="utf-8") as f:
        log = [json.loads(line) for line in f if line.strip()]
    diffs = []
    if len(log) != len(exchanges):
        diffs.append(f"{len(log)} requests, recorded {len(exchanges)}")
    for n, (got, (req, body, _, _)) in enumerate(zip(log, exchanges), 1):
        diffs.extend(compare(n, req, body, got))
    for line in diffs:
        print(line)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--traffic", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    c = sub.add_parser("check")
    c.add_argument("--traffic", required=True)
    c.add_argument("--log", required=True)
    args = parser.parse_args()
    return serve(args) if args.cmd == "serve" else check(args)


if __name__ == "__main__":
    sys.exit(main())
