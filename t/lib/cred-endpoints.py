#!/usr/bin/env python3
"""Fake credential endpoints for the ecs-creds tests, on 127.0.0.1.

One server acts as four services, selected by path:

  EC2 instance metadata   PUT /latest/api/token,
                          GET /latest/meta-data/iam/security-credentials/[ROLE]
  container credentials   GET /container/...
  IAM Identity Center     GET /federation/credentials
  SSO OIDC                POST /token

    cred-endpoints.py --config FILE --port-file FILE --log FILE

FILE holds a JSON object read again on every request, so a test can
change the behaviour between runs. Keys (defaults in DEFAULTS below):
imds_token_status (HTTP status of the token PUT, or "hang" to never
answer it), imds_role, container_status, container_token (the expected
Authorization value, or null for none), sso_access_token,
sso_refresh_token, sso_new_access_token, expires_in (seconds the issued
credentials live). Every request is logged as one JSON line: method,
path, query, headers (lower-case names) and body.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULTS = {
    "imds_token_status": 200,
    "imds_role": "instance-role",
    "container_status": 200,
    "container_token": None,
    "sso_access_token": "sso-access-token",
    "sso_refresh_token": "sso-refresh-token",
    "sso_new_access_token": "sso-access-token-2",
    "expires_in": 3600,
}
IMDS_TOKEN = "imds-session-token"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def settings(self):
        with open(self.server.config_path, encoding="utf-8") as f:
            return {**DEFAULTS, **json.load(f)}

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.send_response(status)
        body = json.dumps({"message": message}).encode()
        self.send_header("x-amzn-ErrorType", code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        url = urllib.parse.urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log({"method": self.command, "path": url.path,
                         "query": dict(urllib.parse.parse_qsl(url.query)),
                         "headers": headers, "body": body})
        s = self.settings()
        expires = time.time() + s["expires_in"]
        if url.path.startswith("/latest/"):
            self.imds(s, url.path, headers, expires)
        elif url.path.startswith("/container/"):
            self.container(s, headers, expires)
        elif url.path == "/federation/credentials":
            self.sso(s, url, headers, expires)
        elif url.path == "/token":
            self.oidc(s, body)
        else:
            self.reply(404, "not found", "text/plain")

    def imds(self, s, path, headers, expires):
        if path == "/latest/api/token" and self.command == "PUT":
            status = s["imds_token_status"]
            if status == "hang":
                time.sleep(5)
                return
            if "x-aws-ec2-metadata-token-ttl-seconds" not in headers:
                self.reply(400, "missing TTL header", "text/plain")
            elif status == 200:
                self.reply(200, IMDS_TOKEN, "text/plain")
            else:
                self.reply(status, "", "text/plain")
            return
        # IMDSv1 is allowed only when the token PUT is made to fail.
        token = headers.get("x-aws-ec2-metadata-token")
        if s["imds_token_status"] == 200 and token != IMDS_TOKEN:
            self.reply(401, "", "text/plain")
            return
        prefix = "/latest/meta-data/iam/security-credentials/"
        role = path[len(prefix):]
        if not role:
            self.reply(200, s["imds_role"] + "\n", "text/plain")
        elif role == s["imds_role"]:
            self.reply(200, json.dumps({
                "Code": "Success", "Type": "AWS-HMAC",
                "LastUpdated": iso(time.time()),
                "AccessKeyId": "ASIAIMDS", "SecretAccessKey": "imds-secret",
                "Token": "imds-token", "Expiration": iso(expires)}))
        else:
            self.reply(404, "", "text/plain")

    def container(self, s, headers, expires):
        want = s["container_token"]
        if want is not None and headers.get("authorization") != want:
            self.reply(401, "", "text/plain")
        elif s["container_status"] != 200:
            self.reply(s["container_status"], "{}")
        else:
            self.reply(200, json.dumps({
                "AccessKeyId": "ASIACONTAINER",
                "SecretAccessKey": "container-secret",
                "Token": "container-token", "Expiration": iso(expires),
                "AccountId": "222233334444"}))

    def sso(self, s, url, headers, expires):
        if headers.get("x-amz-sso_bearer_token") != s["sso_access_token"]:
            self.error(401, "UnauthorizedException",
                       "Session token not found or invalid")
            return
        query = dict(urllib.parse.parse_qsl(url.query))
        self.reply(200, json.dumps({"roleCredentials": {
            "accessKeyId": "ASIASSO" + query.get("role_name", "").upper(),
            "secretAccessKey": "sso-secret", "sessionToken": "sso-token",
            "expiration": int(expires * 1000)}}))

    def oidc(self, s, body):
        try:
            req = json.loads(body)
        except ValueError:
            req = {}
        if (req.get("grantType") != "refresh_token" or
                req.get("refreshToken") != s["sso_refresh_token"]):
            self.error(400, "InvalidGrantException", "invalid grant")
            return
        self.reply(200, json.dumps({
            "accessToken": s["sso_new_access_token"], "expiresIn": 28800,
            "refreshToken": "sso-refresh-token-2", "tokenType": "Bearer"}))

    do_GET = handle_any
    do_PUT = handle_any
    do_POST = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config_path, log_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.config_path = config_path
        self.log_path = log_path
        self.lock = threading.Lock()

    def log(self, entry):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    if not os.path.exists(args.config):
        with open(args.config, "w", encoding="utf-8") as f:
            f.write("{}")
    server = Server(args.config, args.log)
    open(args.log, "w", encoding="utf-8").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
