"""RFC 6455 WebSocket framing for the data channel server and test client.

Written on the standard library only: the opening handshake, frames with
7, 16 and 64-bit lengths, masking, fragmented messages with control frames
between the fragments, ping/pong and the closing handshake with its codes.
No extension or subprotocol is negotiated, so the RSV bits must be zero.
"""

import base64
import hashlib
import os
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
DATA_OPCODES = (OP_TEXT, OP_BINARY)
CONTROL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)

# Close codes (RFC 6455 section 7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_NO_STATUS = 1005
CLOSE_ABNORMAL = 1006
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011

# Larger messages are rejected with 1009; data channel messages carry at
# most 1024 payload bytes plus a 120-byte header.
MAX_MESSAGE = 16 * 1024 * 1024


class ProtocolError(Exception):
    """The peer broke RFC 6455; close with code and reason."""

    def __init__(self, code, reason):
        super().__init__(f"{code} {reason}")
        self.code = code
        self.reason = reason


class ConnectionClosed(Exception):
    """The TCP connection ended (without or after a Close frame)."""


def accept_key(key):
    """Return Sec-WebSocket-Accept for a Sec-WebSocket-Key."""
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def check_upgrade(method, headers):
    """Return the client's key, or raise ValueError naming the problem."""
    if method != "GET":
        raise ValueError(f"WebSocket upgrade needs GET, not {method}")
    if headers.get("Upgrade", "").lower() != "websocket":
        raise ValueError("missing Upgrade: websocket header")
    connection = [t.strip().lower()
                  for t in headers.get("Connection", "").split(",")]
    if "upgrade" not in connection:
        raise ValueError("Connection header does not contain Upgrade")
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        raise ValueError("Sec-WebSocket-Version must be 13")
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError
    except ValueError:
        raise ValueError("Sec-WebSocket-Key is not 16 bytes in base64") \
            from None
    return key


def mask_bytes(data, mask):
    """XOR data with the 4-byte mask, repeated."""
    if not data:
        return b""
    repeat = (mask * (len(data) // 4 + 1))[:len(data)]
    number = int.from_bytes(data, "big") ^ int.from_bytes(repeat, "big")
    return number.to_bytes(len(data), "big")


def frame(opcode, payload, fin=True, mask=None, rsv=0):
    """Build one frame; mask is 4 bytes for a client, None for a server."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask is not None else 0
    if length < 126:
        head = struct.pack(">BB", first, mask_bit | length)
    elif length < 65536:
        head = struct.pack(">BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack(">BBQ", first, mask_bit | 127, length)
    if mask is None:
        return head + payload
    return head + mask + mask_bytes(payload, mask)


def close_payload(code, reason=""):
    if code is None:
        return b""
    return struct.pack(">H", code) + reason.encode("utf-8")[:123]


def parse_close(payload):
    """Return (code, reason) of a Close frame payload, or raise."""
    if not payload:
        return CLOSE_NO_STATUS, ""
    if len(payload) == 1:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, "close payload of 1 byte")
    code = struct.unpack(">H", payload[:2])[0]
    if code < 1000 or code in (1004, 1005, 1006, 1015) or \
            1016 <= code < 3000 or code >= 5000:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(CLOSE_INVALID_DATA,
                            "close reason is not UTF-8") from None
    return code, reason


class WebSocket:
    """One WebSocket connection over a connected socket.

    rfile is a buffered reader of the socket (the HTTP server's, so bytes
    read ahead with the request are not lost). Reads happen in one thread;
    sends may come from any thread and are serialized by a lock.
    """

    def __init__(self, sock, rfile, client=False):
        self.sock = sock
        self.rfile = rfile
        self.client = client
        self.send_lock = threading.Lock()
        self.close_sent = False
        self.close_received = None
        self._fragments = None
        self._fragment_opcode = None

    # Receiving.

    def _read_exact(self, count):
        data = self.rfile.read(count)
        if data is None or len(data) < count:
            raise ConnectionClosed("connection closed in the middle of a "
                                   "frame" if data else "connection closed")
        return data

    def read_frame(self):
        """Return (fin, opcode, payload) of the next frame, unmasked."""
        first, second = self._read_exact(2)
        fin = bool(first & 0x80)
        rsv = (first >> 4) & 0x7
        opcode = first & 0x0F
        masked = bool(second & 0x80)
        length = second & 0x7F

        if rsv:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                "RSV bits set without an extension")
        if opcode not in DATA_OPCODES + CONTROL_OPCODES + (OP_CONTINUATION,):
            raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                f"unknown opcode {opcode:#x}")
        if masked == self.client:
            side = "server" if self.client else "client"
            state = "masked" if masked else "unmasked"
            raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                f"{state} frame from the {side}")

        if length == 126:
            length = struct.unpack(">H", self._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read_exact(8))[0]
        if opcode in CONTROL_OPCODES and (length > 125 or not fin):
            raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                "fragmented or oversized control frame")
        if length > MAX_MESSAGE:
            raise ProtocolError(CLOSE_TOO_BIG,
                                f"frame of {length} bytes is too big")

        mask = self._read_exact(4) if masked else None
        payload = self._read_exact(length) if length else b""
        if mask is not None:
            payload = mask_bytes(payload, mask)
        return fin, opcode, payload

    def receive(self):
        """Return the next event as (kind, data).

        kind is "text" or "binary" (data: the whole reassembled message),
        "ping" or "pong" (data: payload), "close" (data: (code, reason)).
        Control frames between fragments are returned as they come.
        """
        while True:
            fin, opcode, payload = self.read_frame()
            if opcode == OP_PING:
                return "ping", payload
            if opcode == OP_PONG:
                return "pong", payload
            if opcode == OP_CLOSE:
                self.close_received = parse_close(payload)
                return "close", self.close_received
            if opcode == OP_CONTINUATION:
                if self._fragments is None:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                        "continuation frame without a start")
                self._fragments.append(payload)
            else:
                if self._fragments is not None:
                    raise ProtocolError(CLOSE_PROTOCOL_ERROR,
                                        "new message inside a fragmented "
                                        "one")
                self._fragments = [payload]
                self._fragment_opcode = opcode
            if sum(len(p) for p in self._fragments) > MAX_MESSAGE:
                raise ProtocolError(CLOSE_TOO_BIG, "message is too big")
            if not fin:
                continue
            data = b"".join(self._fragments)
            opcode = self._fragment_opcode
            self._fragments = None
            if opcode == OP_TEXT:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    raise ProtocolError(CLOSE_INVALID_DATA,
                                        "text message is not UTF-8") from None
                return "text", data
            return "binary", data

    # Sending.

    def _mask(self):
        return os.urandom(4) if self.client else None

    def send_raw(self, data):
        with self.send_lock:
            self.sock.sendall(data)

    def send(self, opcode, payload, pieces=1, ping_between=False):
        """Send a data message, split into pieces frames when above 1.

        With ping_between, a ping frame goes between the first two
        fragments, as RFC 6455 allows.
        """
        payload = bytes(payload)
        pieces = max(1, min(pieces, len(payload) or 1))
        size = -(-len(payload) // pieces) if payload else 0
        parts = [payload[i:i + size] for i in range(0, len(payload), size)] \
            if size else [b""]
        frames = []
        for index, part in enumerate(parts):
            code = opcode if index == 0 else OP_CONTINUATION
            frames.append(frame(code, part, fin=index == len(parts) - 1,
                                mask=self._mask()))
            if ping_between and index == 0 and len(parts) > 1:
                frames.append(frame(OP_PING, b"fragment", mask=self._mask()))
        with self.send_lock:
            for data in frames:
                self.sock.sendall(data)

    def send_text(self, text):
        self.send(OP_TEXT, text.encode("utf-8"))

    def send_binary(self, data, pieces=1, ping_between=False):
        self.send(OP_BINARY, data, pieces, ping_between)

    def ping(self, payload=b""):
        self.send_raw(frame(OP_PING, payload, mask=self._mask()))

    def pong(self, payload):
        self.send_raw(frame(OP_PONG, payload, mask=self._mask()))

    def send_close(self, code=CLOSE_NORMAL, reason=""):
        """Send a Close frame once; later calls do nothing."""
        with self.send_lock:
            if self.close_sent:
                return
            self.close_sent = True
            self.sock.sendall(frame(OP_CLOSE, close_payload(code, reason),
                                    mask=self._mask()))

    def shutdown(self):
        """End the TCP connection without a Close frame."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def client_connect(url, timeout=10, headers=None):
    """Open a ws:// URL and return (WebSocket, response headers).

    The test client uses this; it sends the headers the Session Manager
    plugin sends and no extension or subprotocol.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme != "ws":
        raise ValueError(f"only ws:// URLs are supported, got {url}")
    host = parts.hostname
    port = parts.port or 80
    target = parts.path + ("?" + parts.query if parts.query else "")
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}",
             "User-Agent: Go-http-client/1.1", "Connection: Upgrade",
             "Upgrade: websocket", f"Sec-WebSocket-Key: {key}",
             "Sec-WebSocket-Version: 13"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
    rfile = sock.makefile("rb")
    status = rfile.readline(65536).decode("latin-1").rstrip("\r\n")
    reply = {}
    while True:
        line = rfile.readline(65536).decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        reply[name.strip().lower()] = value.strip()
    if " 101 " not in status + " ":
        sock.close()
        raise ConnectionError(f"WebSocket upgrade failed: {status}")
    if reply.get("sec-websocket-accept") != accept_key(key):
        sock.close()
        raise ConnectionError("WebSocket upgrade: wrong Sec-WebSocket-Accept")
    sock.settimeout(None)
    return WebSocket(sock, rfile, client=True), reply
