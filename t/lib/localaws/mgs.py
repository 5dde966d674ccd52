"""The data channel WebSocket endpoint: the local stand-in for MGS.

The front hands over HTTP requests for /v1/data-channel/<sessionId> here.
After the upgrade, the first data message must be a text frame with the
JSON keys MessageSchemaVersion, RequestId, TokenValue, ClientId and
ClientVersion. Control frames (pings) may come before it. A token that is
unknown, revoked by ResumeSession or already used closes the socket with
code 1008 (the real service's code is not known). Then the connection
joins its session's Agent, which runs until the session ends; the
connection itself can drop and be replaced through ResumeSession.

One thread reads the socket (the front's request thread) and one writes it,
from a queue, so the agent never blocks on a slow client while it holds
its lock.
"""

import json
import logging
import queue
import socket
import threading
import time

from . import agentmsg as am
from . import wsproto

log = logging.getLogger("local-aws")

AUTH_CLOSE_CODE = wsproto.CLOSE_POLICY
# Seconds the client has to send its first text frame.
AUTH_TIMEOUT = 45
# Seconds to wait for the client's Close frame after ours.
CLOSE_WAIT = 1.0
FIRST_FRAME_KEYS = ("MessageSchemaVersion", "RequestId", "TokenValue",
                    "ClientId", "ClientVersion")


def serve(handler, state):
    """Serve one data channel connection on the handler's socket."""
    prefix = "/v1/data-channel/"
    session_id = handler.path.split("?", 1)[0][len(prefix):]
    try:
        key = wsproto.check_upgrade(handler.command, handler.headers)
    except ValueError as err:
        handler.close_connection = True
        handler.send_error(400, f"invalid WebSocket upgrade: {err}")
        return
    handler.close_connection = True
    handler.send_response_only(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", wsproto.accept_key(key))
    handler.end_headers()
    handler.wfile.flush()

    sock = handler.connection
    ws = wsproto.WebSocket(sock, handler.rfile)
    conn = Connection(state, ws, session_id, handler.path,
                      handler.client_address)
    try:
        conn.run()
    finally:
        conn.finish()


class Connection:
    """One client WebSocket: token check, then messages to the agent."""

    def __init__(self, state, ws, session_id, path, peer):
        self.state = state
        self.ws = ws
        self.session_id = session_id
        self.session = None
        self.request_id = None
        self.client_id = None
        self.client_version = None
        self.queue = queue.Queue()
        self._stalled_until = None
        self.alive = True
        self.attached = False
        self.record = {
            "path": path,
            "peer": f"{peer[0]}:{peer[1]}",
            "connected": round(time.time(), 6),
            "requestId": None,
            "clientId": None,
            "clientVersion": None,
            "closed": None,
            "closedBy": None,
            "closeCode": None,
            "closeReason": None,
            "pingsReceived": 0,
            "pongsReceived": 0,
        }
        self.writer = threading.Thread(target=self._write_loop, daemon=True,
                                       name=f"mgs-writer-{session_id}")
        self.writer.start()

    # Sending, through the writer thread.

    def send(self, data, pieces=1, ping_between=False):
        self.queue.put(("data", data, pieces, ping_between))

    def ping(self, payload):
        self.queue.put(("ping", payload))

    def close(self, code, reason):
        """Send a Close frame, then end the TCP connection."""
        # Recorded now, before the client can see anything queued ahead.
        self._closing(code, reason, "server")
        self.queue.put(("close", code, reason))

    def drop(self):
        """End the TCP connection without a Close frame."""
        self._closing(None, "", "server")
        self.queue.put(("drop",))

    def stall(self, seconds):
        """Send and receive nothing for seconds (0: until the end)."""
        self._stalled_until = (time.monotonic() + seconds if seconds > 0
                               else float("inf"))
        if self.session is not None:
            self.session.event("stall", seconds=seconds)

    def stalled(self):
        until = self._stalled_until
        if until is None:
            return False
        if time.monotonic() < until:
            return True
        self._stalled_until = None
        return False

    def _write_loop(self):
        while True:
            item = self.queue.get()
            kind = item[0]
            if kind == "stop":
                return
            if not self.alive:
                continue
            try:
                if kind == "data":
                    if not self.stalled():
                        self.ws.send_binary(item[1], pieces=item[2],
                                            ping_between=item[3])
                elif kind == "ping":
                    if not self.stalled():
                        self.ws.ping(item[1])
                elif kind == "pong":
                    self.ws.pong(item[1])
                elif kind == "close":
                    self.ws.send_close(item[1], item[2])
                    threading.Timer(CLOSE_WAIT, self.ws.shutdown).start()
                elif kind == "drop":
                    self.ws.shutdown()
            except OSError as err:
                log.info("session %s: send failed: %s", self.session_id, err)
                self.alive = False
                self.ws.shutdown()

    def _closing(self, code, reason, by):
        if self.record["closed"] is None:
            self.record.update(closed=round(time.time(), 6), closedBy=by,
                               closeCode=code, closeReason=reason)
            if self.session is not None:
                self.session.event("socket-closed", by=by, code=code,
                                   reason=reason)

    # Receiving.

    def run(self):
        try:
            if not self._authenticate():
                return
            self._receive_loop()
        except wsproto.ProtocolError as err:
            self._violation("websocket", f"{err.code} {err.reason}")
            self.close(err.code, err.reason)
        except (wsproto.ConnectionClosed, OSError) as err:
            log.info("session %s: connection ended: %s", self.session_id,
                     err)
            self._closing(wsproto.CLOSE_ABNORMAL, str(err), "client")

    def _violation(self, kind, detail):
        if self.session is not None:
            self.session.violation(kind, detail)
        else:
            self.record["violation"] = f"{kind}: {detail}"

    def _authenticate(self):
        """Check the first text frame; join the session when it passes."""
        doc = self._first_frame()
        if doc is None:
            return False
        self.request_id = doc.get("RequestId")
        self.client_id = doc.get("ClientId")
        self.client_version = doc.get("ClientVersion")
        self.record.update(requestId=self.request_id, clientId=self.client_id,
                           clientVersion=self.client_version,
                           firstFrameKeys=sorted(doc))

        session = self.state.get(self.session_id)
        if session is None:
            self._reject(f"no session {self.session_id!r}")
            return False
        self.session = session
        problem = session.use_token(doc.get("TokenValue", ""))
        if problem is None and not session.alive():
            problem = "session ended"
        if problem is not None:
            log.info("session %s: connection rejected: %s", session.id,
                     problem)
            session.event("token-rejected", reason=problem,
                          requestId=self.request_id)
            self.record["rejected"] = problem
            session.connections.append(self.record)
            self.close(AUTH_CLOSE_CODE, "invalid token")
            return False

        self._check_first_frame(doc)
        if self.state.rules.take("connect", session.id, session.task_arn):
            session.fault("start-publication")
            # Queued before attach, so it is the first message the
            # client sees on this connection.
            self.send(am.publication(am.START_PUBLICATION))
        session.attach(self)
        self.attached = True
        return True

    def _first_frame(self):
        """Return the JSON object of the first text frame, or None.

        Pings before it are answered (unless answer_pings is false).
        """
        self.ws.sock.settimeout(AUTH_TIMEOUT)
        while True:
            try:
                kind, data = self.ws.receive()
            except socket.timeout:
                self._reject(f"no text frame within {AUTH_TIMEOUT} seconds")
                return None
            if kind == "ping":
                self.record["pingsReceived"] += 1
                if self.state.settings["answer_pings"]:
                    self.queue.put(("pong", data))
            elif kind == "close":
                self._closing(data[0], data[1], "client")
                self.ws.send_close(data[0] if data[0] != 1005 else 1000)
                return None
            elif kind != "pong":
                break
        self.ws.sock.settimeout(None)

        if kind != "text":
            self._reject("the first message is binary, not the JSON text "
                         "frame")
            return None
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            self._reject("the first text frame is not a JSON object")
            return None
        return doc

    def _check_first_frame(self, doc):
        session = self.session
        missing = [k for k in FIRST_FRAME_KEYS if k not in doc]
        if missing:
            session.violation("first-frame", f"first text frame lacks "
                              f"{', '.join(missing)}")
        if doc.get("MessageSchemaVersion") not in (None, "1.0"):
            session.violation("first-frame", "MessageSchemaVersion "
                              f"{doc.get('MessageSchemaVersion')!r}, "
                              'expected "1.0"')
        previous = [c for c in session.connections
                    if c.get("clientId") and not c.get("rejected")]
        if previous and self.client_id != previous[-1]["clientId"]:
            session.violation("client-id", "ClientId changed on reconnect "
                              f"from {previous[-1]['clientId']} to "
                              f"{self.client_id}")
        if any(c.get("requestId") == self.request_id for c in previous):
            session.violation("request-id", "RequestId "
                              f"{self.request_id} reused on reconnect")
        if self.record["path"] != _path_of(session.stream_url):
            session.violation("stream-url", "connected to "
                              f"{self.record['path']!r}, not the streamUrl "
                              "path and query as returned")

    def _reject(self, reason):
        log.info("data channel %s: connection rejected: %s",
                 self.session_id, reason)
        self.record["rejected"] = reason
        self.state.reject(dict(self.record, sessionId=self.session_id))
        self.close(AUTH_CLOSE_CODE, "invalid token" if "token" in reason
                   or "session" in reason else reason[:120])

    def _receive_loop(self):
        session = self.session
        agent = session.agent
        while True:
            kind, data = self.ws.receive()
            if kind == "ping":
                self.record["pingsReceived"] += 1
                if session.setting("answer_pings") and not self.stalled():
                    self.queue.put(("pong", data))
                    session.count("pongsSent")
            elif kind == "pong":
                self.record["pongsReceived"] += 1
            elif kind == "close":
                self._closing(data[0], data[1], "client")
                code = data[0] if data[0] != wsproto.CLOSE_NO_STATUS \
                    else wsproto.CLOSE_NORMAL
                self.close(code, "")
                return
            elif self.stalled():
                session.event("dropped", reason="stalled")
            else:
                agent.on_message(self, data, kind)

    def finish(self):
        """Detach from the session, send what is queued, close the socket."""
        if self.attached:
            self.session.detach(self)
        self.queue.put(("stop",))
        self.writer.join(CLOSE_WAIT)
        self.alive = False
        self._closing(wsproto.CLOSE_ABNORMAL, "connection ended", "client")
        self.ws.shutdown()


def _path_of(url):
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
