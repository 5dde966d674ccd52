"""The front: an HTTP/1.1 proxy to moto that fixes gaps and injects faults.

Every request is forwarded to moto unchanged (method, target, headers in
order including Host and Authorization, body), so moto still verifies
SigV4 signatures against what the client signed. Only hop-by-hop headers
are dropped, and a chunked request body is forwarded with a Content-Length.
Requests under /__front/ never reach moto: they control the front.
Requests under /v1/data-channel/ are Session Manager WebSockets (mgs.py).
"""

import http.client
import json
import logging
import socket
import struct
import threading
import time
import traceback
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import awsproto, ecs, execfix, faults, mgs

CONTROL_PREFIX = "/__front/"
# Requests carrying this header (the seeding helpers send it) are neither
# logged, counted nor matched against fault rules.
SEED_HEADER = "X-Local-Aws-Seed"
LOG_LIMIT = 200000

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te",
              "trailer", "transfer-encoding", "upgrade", "expect"}
# Reply headers the front writes itself.
OWN_REPLY_HEADERS = HOP_BY_HOP | {"content-length", "date", "server"}

DEFAULT_SETTINGS = {
    "task_shapes": True,
    "ecs_paging": True,
    "ecs_validation": True,
    "json_auth_errors": True,
    "date_offset": 0.0,
    # Service deployments that roll out over time (deploy.py).
    "deployments": False,
    "deploy_seconds": 1.0,
    "deploy_outcome": "COMPLETED",
}
# Settings that take one of a few strings.
SETTING_CHOICES = {"deploy_outcome": ("COMPLETED", "FAILED")}

# moto returns authentication failures of JSON services as query-protocol
# XML with query codes. Real JSON services use these codes in JSON bodies.
JSON_AUTH_CODES = {
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "AccessDenied": "AccessDeniedException",
}

log = logging.getLogger("local-aws")


class ControlError(ValueError):
    """A control command that cannot be carried out."""


class FrontState:
    """Settings, fault rules, the request log and counters of one front."""

    def __init__(self, moto_url):
        self.moto_url = moto_url
        self.settings = dict(DEFAULT_SETTINGS)
        self.faults = faults.RuleSet()
        self.ecs = ecs.EcsFixer(self.settings)
        self.exec = execfix.ExecState(self)
        self._lock = threading.Lock()
        self._log = []
        self._seq = 0
        self._next_connection = 1
        self._connections = set()
        self._dropped = 0

    def next_connection_id(self):
        with self._lock:
            conn_id = self._next_connection
            self._next_connection += 1
            return conn_id

    def log_request(self, conn_id, call, body_size):
        params = call.params
        entry = {
            "seq": 0,
            "time": round(time.time(), 6),
            "conn": conn_id,
            "method": call.method,
            "path": call.path,
            "protocol": call.protocol,
            "service": call.service,
            "operation": call.operation,
            "body": params,
            "bodyBytes": body_size,
            "accessKeyId": call.access_key_id or None,
            "securityTokenSha256": awsproto.token_digest(call.security_token),
            "amzDate": call.amz_date or None,
            "userAgent": call.user_agent or None,
            "status": None,
            "fault": None,
            "ms": None,
        }
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._connections.add(conn_id)
            self._log.append(entry)
            if len(self._log) > LOG_LIMIT:
                del self._log[0]
                self._dropped += 1
        return entry

    def log_finish(self, entry, status, fault, started):
        if entry is None:
            return
        with self._lock:
            entry["status"] = status
            entry["fault"] = fault
            entry["ms"] = round((time.monotonic() - started) * 1000, 3)

    def entries(self, since=0):
        with self._lock:
            return [dict(e) for e in self._log if e["seq"] > since]

    def stats(self):
        with self._lock:
            return {
                "requests": len(self._log) + self._dropped,
                "connections": len(self._connections),
                "faults": sum(1 for e in self._log if e["fault"]),
                "lastSeq": self._seq,
            }

    def clear_log(self):
        with self._lock:
            self._log = []
            self._connections = set()
            self._dropped = 0

    def update_settings(self, changes):
        if not isinstance(changes, dict):
            raise ControlError("settings must be a JSON object")
        for key, value in changes.items():
            if key not in DEFAULT_SETTINGS:
                raise ControlError(
                    f"unknown setting {key!r}; known: "
                    f"{', '.join(sorted(DEFAULT_SETTINGS))}")
            kind = type(DEFAULT_SETTINGS[key])
            if kind is float and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind):
                raise ControlError(
                    f"setting {key} must be a {kind.__name__}, "
                    f"got {value!r}")
            if key in SETTING_CHOICES and value not in SETTING_CHOICES[key]:
                raise ControlError(
                    f"setting {key} must be one of "
                    f"{', '.join(SETTING_CHOICES[key])}, got {value!r}")
            self.settings[key] = value
        return dict(self.settings)

    def _moto_post(self, path, data):
        # A form Content-Type (urllib's default) would make Flask consume
        # the body as form fields, and moto reads the raw body.
        request = urllib.request.Request(
            self.moto_url + path, data=data, method="POST",
            headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def control(self, command):
        """Carry out one control command and return its JSON result."""
        if not isinstance(command, dict) or "cmd" not in command:
            raise ControlError('a command is a JSON object with "cmd"')
        if str(command["cmd"]).startswith("exec-"):
            return self.exec.control(command)
        handler = getattr(self, "_cmd_" + str(command["cmd"]).replace(
            "-", "_"), None)
        if handler is None:
            raise ControlError(f"unknown command {command['cmd']!r}")
        return handler(command)

    def _cmd_health(self, command):
        return {"ok": True, "moto": self.moto_url}

    def _cmd_fault(self, command):
        try:
            return {"id": self.faults.add(command.get("rule"))}
        except faults.RuleError as err:
            raise ControlError(f"invalid fault rule: {err}") from None

    def _cmd_faults(self, command):
        return {"faults": self.faults.list()}

    def _cmd_clear_faults(self, command):
        self.faults.clear()
        return {}

    def _cmd_log(self, command):
        return {"entries": self.entries(int(command.get("since", 0)))}

    def _cmd_clear_log(self, command):
        self.clear_log()
        return {}

    def _cmd_stats(self, command):
        return self.stats()

    def _cmd_set(self, command):
        return {"settings": self.update_settings(command.get("settings"))}

    def _cmd_settings(self, command):
        return {"settings": dict(self.settings)}

    def _cmd_moto_auth(self, command):
        # moto verifies signatures once it has served this many more
        # actions; "inf" turns verification off.
        count = command.get("count")
        if count != "inf" and (isinstance(count, bool)
                               or not isinstance(count, int) or count < 0):
            raise ControlError('moto-auth needs a count >= 0 or "inf"')
        self._moto_post("/moto-api/reset-auth", str(count).encode())
        return {}

    def _cmd_reset(self, command):
        """Empty moto and forget rules, log, exec flags and settings."""
        self._moto_post("/moto-api/reset", b"")
        self.faults.clear()
        self.ecs.reset()
        self.exec.reset()
        self.clear_log()
        self.settings.clear()
        self.settings.update(DEFAULT_SETTINGS)
        return {}


class FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-aws-front"
    sys_version = ""
    # Idle keep-alive connections are closed after this many seconds.
    timeout = 300

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY,
        # Nagle's algorithm and delayed ACKs add about 40 ms per reply.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn_id = self.server.state.next_connection_id()

    def log_message(self, format, *args):
        # The request log replaces the per-request stderr lines.
        pass

    def log_error(self, format, *args):
        log.warning("connection %d: %s", self.conn_id, format % args)

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(), True
        length = self.headers.get("Content-Length")
        if not length:
            return b"", False
        return self.rfile.read(int(length)), False

    def _read_chunked(self):
        parts = []
        while True:
            size_line = self.rfile.readline(1024)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _serve(self):
        try:
            body, dechunked = self._read_body()
        except ValueError as err:
            self.send_error(400, f"invalid request body: {err}")
            return
        if self.path.startswith(CONTROL_PREFIX):
            self._control(body)
            return
        if self.path.startswith(execfix.DATA_CHANNEL_PREFIX):
            mgs.serve(self, self.server.state.exec)
            return
        self._proxy(body, dechunked)

    # Control endpoint.

    def _control(self, body):
        state = self.server.state
        if self.path == CONTROL_PREFIX + "health":
            self._send_control(200, state.control({"cmd": "health"}))
            return
        if self.path.startswith(CONTROL_PREFIX + "log"):
            text = "".join(json.dumps(e, separators=(",", ":")) + "\n"
                           for e in state.entries())
            self._send_plain(200, text.encode(), "application/x-ndjson")
            return
        if self.path != CONTROL_PREFIX + "ctl" or self.command != "POST":
            self._send_control(404, {"error": "use POST /__front/ctl"})
            return
        try:
            command = json.loads(body or b"{}")
            result = state.control(command)
        except (ValueError, ControlError) as err:
            self._send_control(400, {"error": str(err)})
            return
        except OSError as err:
            self._send_control(502, {"error": f"moto request failed: {err}"})
            return
        self._send_control(200, result)

    def _send_control(self, status, doc):
        self._send_plain(status, json.dumps(doc).encode() + b"\n",
                         "application/json")

    def _send_plain(self, status, data, content_type):
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Date", awsproto.http_date())
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # Proxy.

    def _proxy(self, body, dechunked):
        state = self.server.state
        started = time.monotonic()
        call = awsproto.classify(self.command, self.path, self.headers, body)
        seeding = self.headers.get(SEED_HEADER) is not None
        rule = None if seeding else state.faults.take(call)
        entry = None if seeding else state.log_request(
            self.conn_id, call, len(body))
        action = rule["action"] if rule else None

        reply = self._answer(call, body, dechunked, rule)
        if rule and rule["delay"] > 0:
            time.sleep(rule["delay"])
        offset = state.settings["date_offset"]
        offset += rule["date_offset"] if rule else 0
        status = reply.status
        try:
            if action == "reset":
                if rule["bytes"] is None:
                    status = None
                self._send_reset(reply, rule["bytes"], offset)
            elif action == "truncate":
                self._send_truncated(reply, rule["bytes"], offset)
            else:
                self._send(reply, offset)
        except OSError as err:
            # The client gave up first, for example on a delay rule.
            log.info("connection %d: reply not sent: %s", self.conn_id, err)
            self.close_connection = True
        state.log_finish(entry, status, action, started)

    def _answer(self, call, body, dechunked, rule):
        action = rule["action"] if rule else None
        if action in faults.REPLY_WITHOUT_FORWARD and not rule["forward"]:
            return self._fault_reply(call, rule)
        # ExecuteCommand and the SSM session calls never reach moto.
        reply = self.server.state.exec.answer(call, self.server.server_port)
        if reply is None:
            reply = self._forward(call, body, dechunked)
        if action in faults.REPLY_WITHOUT_FORWARD:
            return self._fault_reply(call, rule)
        try:
            self._fix(call, reply)
            if rule:
                self._apply_post_fault(call, reply, rule)
        except ecs.EcsError as err:
            return awsproto.error_reply(call, 400, err.code, err.message)
        except Exception:
            log.error("fixing %s failed:\n%s", call.operation,
                      traceback.format_exc())
            return awsproto.error_reply(
                call, 500, "InternalFailure",
                f"local-aws front failed on {call.operation}; see the "
                "daemon log")
        return reply

    def _fault_reply(self, call, rule):
        if rule["action"] == "reply":
            reply = awsproto.Reply(200, [
                ("Content-Type",
                 f"application/x-amz-json-{call.json_version}"),
                ("x-amzn-RequestId", str(uuid.uuid4())),
            ])
            reply.set_json(rule["body"])
            return reply
        if rule["action"] == "throttle":
            status, code, message = awsproto.throttle_error(call)
        else:
            status = rule["status"]
            code, message = awsproto.status_error(status)
        return awsproto.error_reply(call, status, rule.get("code", code),
                                    rule.get("message", message))

    def _forward(self, call, body, dechunked):
        moto = self.server.moto_address
        conn = http.client.HTTPConnection(moto[0], moto[1], timeout=120)
        try:
            conn.putrequest(self.command, self.path, skip_host=True,
                            skip_accept_encoding=True)
            for name, value in self.headers.raw_items():
                lname = name.lower()
                if lname in HOP_BY_HOP:
                    continue
                if dechunked and lname == "content-length":
                    continue
                conn.putheader(name, value)
            if dechunked:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
            return awsproto.Reply(response.status, response.getheaders(),
                                  data)
        except (OSError, http.client.HTTPException) as err:
            log.error("request to moto failed: %s: %s", call.operation, err)
            return awsproto.error_reply(
                call, 502, "InternalFailure",
                f"local-aws front: request to moto failed: {err}")
        finally:
            conn.close()

    def _fix(self, call, reply):
        settings = self.server.state.settings
        if (call.protocol == "json" and settings["json_auth_errors"]
                and reply.status in (401, 403)
                and reply.body.lstrip().startswith(b"<")):
            parsed = awsproto.xml_error_code(reply.body)
            if parsed:
                code = JSON_AUTH_CODES.get(parsed[0], parsed[0])
                fixed = awsproto.error_reply(call, reply.status, code,
                                             parsed[1])
                reply.headers, reply.body = fixed.headers, fixed.body
        if call.protocol == "json" and call.service == "ecs":
            self.server.state.ecs.apply(call, reply)
            if call.operation == "StopTask" and reply.status == 200:
                task = (reply.json() or {}).get("task") or {}
                self.server.state.exec.task_stopped(task.get("taskArn"))

    def _apply_post_fault(self, call, reply, rule):
        action = rule["action"]
        if action == "failures":
            doc = reply.json()
            if doc is not None:
                ecs.inject_failures(call.operation, doc, rule.get("arns"),
                                    rule["reason"])
                reply.set_json(doc)
        elif action == "invalid-json":
            reply.status = 200
            reply.body = reply.body[:len(reply.body) // 2] or b'{"'
            if reply.json() is not None:
                reply.body = b'{"'
        elif action == "big-body":
            missing = rule["bytes"] - len(reply.body)
            doc = reply.json()
            if missing > 0 and doc is not None:
                doc["__padding"] = ""
                reply.set_json(doc)
                doc["__padding"] = "x" * max(0, rule["bytes"] - len(
                    reply.body))
                reply.set_json(doc)
            elif missing > 0:
                reply.body += b" " * missing

    def _write_head(self, reply, offset, content_length):
        self.send_response_only(reply.status,
                                awsproto.reason_phrase(reply.status))
        for name, value in reply.headers:
            if name.lower() not in OWN_REPLY_HEADERS:
                self.send_header(name, value)
        self.send_header("Date", awsproto.http_date(offset))
        self.send_header("Content-Length", str(content_length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, reply, offset):
        length = len(reply.body)
        if self.command == "HEAD":
            length = reply.header("Content-Length") or 0
        self._write_head(reply, offset, length)
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _send_truncated(self, reply, size, offset):
        cut = len(reply.body) // 2 if size is None else size
        self.close_connection = True
        self._write_head(reply, offset, len(reply.body))
        self.wfile.write(reply.body[:cut])

    def _send_reset(self, reply, size, offset):
        """Close with a TCP reset, after the headers and size body bytes."""
        self.close_connection = True
        if size is not None:
            self._write_head(reply, offset, len(reply.body))
            self.wfile.write(reply.body[:size])
        self.wfile.flush()
        sock = self.connection
        # A zero linger time makes close() send RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        self.rfile.close()
        sock.close()


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many clients at once (tests fanning out Describe calls).
    request_queue_size = 128

    def __init__(self, address, moto_address):
        self.moto_address = moto_address
        moto_url = f"http://{moto_address[0]}:{moto_address[1]}"
        self.state = FrontState(moto_url)
        super().__init__(address, FrontHandler)

    def handle_error(self, request, client_address):
        log.error("front request from %s failed:\n%s", client_address,
                  traceback.format_exc())
