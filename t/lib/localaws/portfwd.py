"""The agent side of a port forwarding session, after its handshake.

StartSession with AWS-StartPortForwardingSession forwards to a port of the
container itself, which is 127.0.0.1 here; ...ToRemoteHost forwards to its
`host` parameter. The local AWS only dials 127.0.0.1, ::1 and localhost: any
other host fails as an unreachable one would, so a test never reaches
another machine.

The agent picks the mode from the ClientVersion of the HandshakeResponse:
  smux   ClientVersion 1.1.70 or later (and an agent_version above
         3.0.196.0, as older agents have no smux). The Output payloads of
         both directions form one byte stream of smux version 1 frames:
         8 header bytes (version 1, command, length little-endian 16-bit,
         stream id little-endian 32-bit), then the data. Commands: SYN 0
         opens a stream, and the agent dials the target for it; FIN 1
         closes it; PSH 2 carries data; NOP 3 does nothing. When the dial
         fails the agent sends Flag ConnectToPortError (3), which names no
         stream, and a FIN for the stream.
  basic  older clients: one target connection, dialed when the handshake
         completes, whose bytes are the Output payloads. Flag
         DisconnectToPort (1) closes it; the next Output dials again, as
         after the target itself closed.
Flag TerminateSession (2) ends the session in both modes (agent.py).

Each target connection has a reader thread (target to client, paced like
terminal output) and a writer thread fed by a queue, so the agent never
blocks on a target while it holds its lock.
"""

import logging
import queue
import socket
import struct
import threading
import time

from . import agentmsg as am

log = logging.getLogger("local-aws")

PORT_DOCUMENTS = ("AWS-StartPortForwardingSession",
                  "AWS-StartPortForwardingSessionToRemoteHost")
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
DIAL_TIMEOUT = 5.0
READ_SIZE = 16384

SMUX_VERSION = 1
SMUX_HEADER = struct.Struct("<BBHI")
SYN, FIN, PSH, NOP = 0, 1, 2, 3
# Keeps smux frames the agent sends inside one Output message.
SMUX_DATA_MAX = am.CHUNK_SIZE - SMUX_HEADER.size

FLAG_DISCONNECT_TO_PORT = 1
FLAG_TERMINATE_SESSION = 2
FLAG_CONNECT_TO_PORT_ERROR = 3

# Version thresholds of the agent: smux for clients from 1.1.70 on, and
# none in agents up to 3.0.196.0.
MUX_CLIENT_VERSION = (1, 1, 70)
MUX_AGENT_VERSION = (3, 0, 196, 0)


def version_tuple(text):
    """Return a dotted version as a tuple of ints; () when it is not one."""
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return ()


def properties(document, parameters):
    """Return the document properties the HandshakeRequest carries."""
    props = {"type": "LocalPortForwarding"}
    for key in ("portNumber", "localPortNumber", "host"):
        value = (parameters or {}).get(key)
        if isinstance(value, list) and value:
            props[key] = str(value[0])
    if document != PORT_DOCUMENTS[1]:
        props.pop("host", None)
    return props


def choose_mode(client_version, agent_version):
    client = version_tuple(client_version)
    agent = version_tuple(agent_version)
    if client and client >= MUX_CLIENT_VERSION and agent > MUX_AGENT_VERSION:
        return "smux"
    return "basic"


class Target:
    """One connection to the forwarded port, with its two threads."""

    def __init__(self, port_session, stream_id):
        self.ps = port_session
        self.stream_id = stream_id
        self.sock = None
        self.queue = queue.Queue()
        self.closed = threading.Event()
        self.record = {"stream": stream_id, "opened": round(time.time(), 6),
                       "closed": None, "closedBy": None, "bytesIn": 0,
                       "bytesOut": 0, "error": None}
        threading.Thread(target=self._writer, daemon=True,
                         name=f"port-writer-{stream_id}").start()

    def send(self, data):
        self.queue.put(bytes(data))

    def finish(self):
        """Close after everything queued so far is written."""
        self.queue.put(None)

    def _writer(self):
        try:
            self.sock = socket.create_connection(
                (self.ps.dial_host(), self.ps.port), timeout=DIAL_TIMEOUT)
            self.sock.settimeout(None)
        except (OSError, ValueError) as err:
            self.record["error"] = str(err)
            self.ps.dial_failed(self, err)
            self._close("dial-failed")
            self.ps.target_closed(self)
            return
        threading.Thread(target=self._reader, daemon=True,
                         name=f"port-reader-{self.stream_id}").start()
        while True:
            data = self.queue.get()
            if data is None or self.closed.is_set():
                break
            try:
                self.sock.sendall(data)
                self.record["bytesIn"] += len(data)
            except OSError as err:
                self.record["error"] = str(err)
                break
        self._close("client" if data is None else "target")

    def _reader(self):
        while not self.closed.is_set():
            try:
                data = self.sock.recv(READ_SIZE)
            except OSError:
                data = b""
            if not data:
                break
            self.record["bytesOut"] += len(data)
            self.ps.from_target(self, data)
        self._close("target")
        self.ps.target_closed(self)

    def _close(self, by):
        if self.closed.is_set():
            return
        self.closed.set()
        self.record.update(closed=round(time.time(), 6), closedBy=by)
        self.queue.put(None)
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class PortSession:
    """Basic or smux forwarding for one session's agent."""

    def __init__(self, agent):
        self.agent = agent
        self.session = agent.session
        props = properties(self.session.document, self.session.parameters)
        self.port = int(props.get("portNumber", "0"))
        self.host = props.get("host", "127.0.0.1")
        self.mode = choose_mode(
            self.session.client_version_handshake
            or self.session.client_version,
            agent.setting("agent_version"))
        self.lock = threading.Lock()
        self.rx = bytearray()
        self.streams = {}
        self.basic = None
        self.stopped = False
        self.record = {"mode": self.mode, "host": self.host,
                       "port": self.port, "targets": [], "nops": 0,
                       "flagsSent": [], "flagsReceived": []}
        self.session.port = self.record

    def dial_host(self):
        if self.host not in LOCAL_HOSTS:
            raise ValueError(f"{self.host}: the local AWS dials only "
                             "127.0.0.1, ::1 and localhost")
        return self.host

    def start(self):
        self.session.event("port-session", mode=self.mode, host=self.host,
                           port=self.port)
        if self.mode == "basic":
            self._open_basic()

    def stop(self):
        with self.lock:
            self.stopped = True
            targets = list(self.streams.values())
            if self.basic is not None:
                targets.append(self.basic)
        for target in targets:
            target._close("session")

    # Client to agent.

    def on_output(self, data):
        """Handle one Output payload from the client (agent lock held)."""
        if self.mode == "basic":
            with self.lock:
                if self.basic is None or self.basic.closed.is_set():
                    self._open_basic()
                target = self.basic
            target.send(data)
            return
        self.rx += data
        while len(self.rx) >= SMUX_HEADER.size:
            version, command, length, stream_id = SMUX_HEADER.unpack_from(
                self.rx)
            if len(self.rx) < SMUX_HEADER.size + length:
                return
            body = bytes(self.rx[SMUX_HEADER.size:SMUX_HEADER.size + length])
            del self.rx[:SMUX_HEADER.size + length]
            if version != SMUX_VERSION:
                self.session.violation("smux-version",
                                       f"smux frame of version {version}")
            self._on_frame(command, stream_id, body)

    def _on_frame(self, command, stream_id, body):
        session = self.session
        session.count("smuxFrames")
        if command == SYN:
            with self.lock:
                if stream_id in self.streams:
                    session.violation("smux-stream-reused",
                                      f"SYN for open stream {stream_id}")
                    return
                target = Target(self, stream_id)
                self.streams[stream_id] = target
                self.record["targets"].append(target.record)
            session.event("smux-syn", stream=stream_id)
        elif command == PSH:
            target = self.streams.get(stream_id)
            if target is None:
                session.violation("smux-unknown-stream",
                                  f"PSH for stream {stream_id}, which is "
                                  "not open")
                return
            target.send(body)
        elif command == FIN:
            target = self.streams.get(stream_id)
            if target is not None:
                target.finish()
            session.event("smux-fin", stream=stream_id, by="client")
        elif command == NOP:
            self.record["nops"] += 1
        else:
            session.violation("smux-command",
                              f"smux command {command} on stream "
                              f"{stream_id}")

    def on_flag(self, flag):
        """Handle a Flag other than TerminateSession."""
        self.record["flagsReceived"].append(flag)
        if flag == FLAG_DISCONNECT_TO_PORT and self.mode == "basic":
            with self.lock:
                target, self.basic = self.basic, None
            if target is not None:
                target.finish()
        elif flag == FLAG_DISCONNECT_TO_PORT:
            self.session.violation("flag-in-smux",
                                   "DisconnectToPort in smux mode")

    # Agent to client.

    def from_target(self, target, data):
        if self.mode == "basic":
            self.agent.emit_port_data(data)
            return
        frames = bytearray()
        for start in range(0, len(data), SMUX_DATA_MAX):
            piece = data[start:start + SMUX_DATA_MAX]
            frames += SMUX_HEADER.pack(SMUX_VERSION, PSH, len(piece),
                                       target.stream_id) + piece
        self.agent.emit_port_data(bytes(frames))

    def target_closed(self, target):
        if self.mode == "smux":
            with self.lock:
                known = self.streams.pop(target.stream_id, None)
            if known is not None and not self.stopped:
                self.agent.emit_port_data(SMUX_HEADER.pack(
                    SMUX_VERSION, FIN, 0, target.stream_id))
                self.session.event("smux-fin", stream=target.stream_id,
                                   by="agent")

    def dial_failed(self, target, err):
        log.info("session %s: dial %s:%s failed: %s", self.session.id,
                 self.host, self.port, err)
        self.session.event("dial-failed", stream=target.stream_id,
                           error=str(err))
        if self.stopped:
            return
        if self.mode == "smux":
            self._send_flag(FLAG_CONNECT_TO_PORT_ERROR)
        else:
            # NOTE: the agent's text for a basic-mode dial failure is not
            # known; this one is the local AWS's own.
            threading.Thread(target=self.agent.terminate, daemon=True,
                             args=(f"Unable to connect to {self.host}:"
                                   f"{self.port}: {err}", "dial-failed"),
                             name="port-dial-failed").start()

    def _send_flag(self, flag):
        self.record["flagsSent"].append(flag)
        self.agent.send_stream(am.PT_FLAG, struct.pack(">I", flag))

    def _open_basic(self):
        if self.stopped:
            return
        self.basic = Target(self, 0)
        self.record["targets"].append(self.basic.record)
