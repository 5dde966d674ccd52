"""Session Manager data channel messages: the binary header and payloads.

Every message after the first text frame is one WebSocket message holding a
big-endian header and a payload:

  offset size field
       0    4 HeaderLength (116; 112 on service-made channel_closed)
       4   32 MessageType, ASCII, padded with spaces (NULs from the service)
      36    4 SchemaVersion (1)
      40    8 CreatedDate, Unix time in milliseconds
      48    8 SequenceNumber (signed)
      56    8 Flags (1 SYN, 2 FIN)
      64   16 MessageId: the UUID's bytes 8-15, then bytes 0-7
      80   32 PayloadDigest, SHA-256 of the payload
     112    4 PayloadType (absent when HeaderLength is 112)
  HL      4 PayloadLength
  HL+4    n Payload

This is the layout the session-manager-plugin and the SSM agent use. Both
the local AWS agent and its test client use this module, so
t/4001-exec-fixture.t checks the encoder byte for byte against a fixed
sample message instead of against the client.
"""

import hashlib
import json
import os
import struct
import time
import uuid

HEADER_LENGTH = 116
SERVICE_HEADER_LENGTH = 112
TYPE_FIELD_SIZE = 32
SCHEMA_VERSION = 1

# Message types.
INPUT = "input_stream_data"
OUTPUT = "output_stream_data"
ACK = "acknowledge"
CHANNEL_CLOSED = "channel_closed"
START_PUBLICATION = "start_publication"
PAUSE_PUBLICATION = "pause_publication"
AGENT_SESSION_STATE = "agent_session_state"

# Payload types.
PT_NONE = 0
PT_OUTPUT = 1
PT_ERROR = 2
PT_SIZE = 3
PT_PARAMETER = 4
PT_HANDSHAKE_REQUEST = 5
PT_HANDSHAKE_RESPONSE = 6
PT_HANDSHAKE_COMPLETE = 7
PT_ENC_CHALLENGE_REQUEST = 8
PT_ENC_CHALLENGE_RESPONSE = 9
PT_FLAG = 10
PT_STDERR = 11
PT_EXIT_CODE = 12

PAYLOAD_TYPE_NAMES = {
    0: "none", 1: "Output", 2: "Error", 3: "Size", 4: "Parameter",
    5: "HandshakeRequest", 6: "HandshakeResponse", 7: "HandshakeComplete",
    8: "EncChallengeRequest", 9: "EncChallengeResponse", 10: "Flag",
    11: "StdErr", 12: "ExitCode",
}

FLAG_SYN = 1
FLAG_FIN = 2

# Stream data is cut into payloads of at most this many bytes by both the
# plugin and the agent.
CHUNK_SIZE = 1024

EMPTY_DIGEST = hashlib.sha256(b"").digest()


class MessageError(ValueError):
    """A message that cannot be parsed; the message names the field."""


def now_ms():
    return int(time.time() * 1000)


def uuid_to_wire(message_id):
    """Return the 16 wire bytes of a UUID: its second half first."""
    raw = uuid.UUID(str(message_id)).bytes
    return raw[8:] + raw[:8]


def uuid_from_wire(data):
    """Return the canonical UUID text of 16 wire bytes."""
    return str(uuid.UUID(bytes=bytes(data[8:16]) + bytes(data[0:8])))


class Message:
    """One parsed or to-be-encoded data channel message.

    raw_type keeps the 32 type bytes as received, so a test can check the
    padding. header_length, payload_length and digest are the fields as
    received, which may disagree with the payload.
    """

    def __init__(self, message_type, payload=b"", sequence=0, flags=0,
                 payload_type=PT_NONE, message_id=None, created=None,
                 schema=SCHEMA_VERSION):
        self.message_type = message_type
        self.payload = bytes(payload)
        self.sequence = sequence
        self.flags = flags
        self.payload_type = payload_type
        self.message_id = str(message_id or uuid.uuid4())
        self.created = now_ms() if created is None else created
        self.schema = schema
        self.header_length = HEADER_LENGTH
        self.payload_length = len(self.payload)
        self.digest = hashlib.sha256(self.payload).digest()
        self.raw_type = None

    def digest_ok(self):
        return self.digest == hashlib.sha256(self.payload).digest()

    def json(self):
        """Return the payload parsed as JSON, or None."""
        try:
            return json.loads(self.payload)
        except ValueError:
            return None

    def summary(self):
        return {
            "type": self.message_type,
            "seq": self.sequence,
            "flags": self.flags,
            "payloadType": self.payload_type,
            "length": len(self.payload),
            "id": self.message_id,
        }


def encode(message, digest=None, type_padding=b" "):
    """Serialize a message with HeaderLength 116.

    digest replaces the correct SHA-256 (for fault injection);
    type_padding is the byte that pads MessageType.
    """
    name = message.message_type.encode("ascii")
    if len(name) > TYPE_FIELD_SIZE:
        raise MessageError(f"message type {message.message_type!r} is "
                           f"longer than {TYPE_FIELD_SIZE} bytes")
    if digest is None:
        digest = hashlib.sha256(message.payload).digest()
    header = struct.pack(
        ">I32sIQqQ16s32sII",
        HEADER_LENGTH,
        name.ljust(TYPE_FIELD_SIZE, type_padding),
        message.schema,
        message.created,
        message.sequence,
        message.flags,
        uuid_to_wire(message.message_id),
        digest,
        message.payload_type,
        len(message.payload),
    )
    return header + message.payload


def encode_service(message, digest=None):
    """Serialize the way the service does: HeaderLength 112, NUL padding.

    Such a message has no PayloadType field, so PayloadLength sits at
    offset 112 and the payload starts at 116.
    """
    name = message.message_type.encode("ascii")
    if digest is None:
        digest = hashlib.sha256(message.payload).digest()
    header = struct.pack(
        ">I32sIQqQ16s32sI",
        SERVICE_HEADER_LENGTH,
        name.ljust(TYPE_FIELD_SIZE, b"\0"),
        message.schema,
        message.created,
        message.sequence,
        message.flags,
        uuid_to_wire(message.message_id),
        digest,
        len(message.payload),
    )
    return header + message.payload


def decode(data):
    """Parse one message the way the plugin does.

    The payload is everything from HeaderLength + 4 to the end; the
    PayloadLength field is kept in payload_length but not used to cut.
    Raise MessageError when the header is too short or inconsistent.
    """
    data = bytes(data)
    if len(data) < 20:
        raise MessageError(f"message of {len(data)} bytes is shorter than "
                           "a header")
    header_length = struct.unpack_from(">I", data, 0)[0]
    if header_length < SERVICE_HEADER_LENGTH or header_length > len(data) - 4:
        raise MessageError(f"HeaderLength {header_length} does not fit a "
                           f"message of {len(data)} bytes")
    raw_type = data[4:36]
    name = raw_type.strip(b"\0").strip()
    try:
        message_type = name.decode("ascii")
    except UnicodeDecodeError:
        raise MessageError(f"MessageType {raw_type!r} is not ASCII") from None
    schema, created, sequence, flags = struct.unpack_from(">IQqQ", data, 36)
    message_id = uuid_from_wire(data[64:80])
    digest = data[80:112]
    payload_type = 0
    if header_length >= HEADER_LENGTH:
        payload_type = struct.unpack_from(">I", data, 112)[0]
    payload_length = struct.unpack_from(">I", data, header_length)[0]

    message = Message(message_type, data[header_length + 4:],
                      sequence=sequence, flags=flags,
                      payload_type=payload_type, message_id=message_id,
                      created=created, schema=schema)
    message.header_length = header_length
    message.payload_length = payload_length
    message.digest = digest
    message.raw_type = raw_type
    return message


# Payload builders and readers.

def ack_payload(message):
    """Return the acknowledge JSON for a received stream message."""
    return json.dumps({
        "AcknowledgedMessageType": message.message_type,
        "AcknowledgedMessageId": message.message_id,
        "AcknowledgedMessageSequenceNumber": message.sequence,
        "IsSequentialMessage": True,
    }, separators=(",", ":")).encode()


def ack_for(message):
    """Return the acknowledge message for a received stream message."""
    return Message(ACK, ack_payload(message), sequence=0,
                   flags=FLAG_SYN | FLAG_FIN, payload_type=PT_NONE)


def parse_ack(message):
    """Return (sequence, message id, message type) of an acknowledge.

    Raise MessageError when the JSON lacks the sequence number.
    """
    doc = message.json()
    if not isinstance(doc, dict):
        raise MessageError("acknowledge payload is not a JSON object")
    sequence = doc.get("AcknowledgedMessageSequenceNumber")
    if isinstance(sequence, bool) or not isinstance(sequence, int):
        raise MessageError("acknowledge has no integer "
                           "AcknowledgedMessageSequenceNumber")
    return (sequence, doc.get("AcknowledgedMessageId"),
            doc.get("AcknowledgedMessageType"))


def channel_closed(session_id, output="", destination=""):
    """Return a channel_closed message as the service builds it."""
    message_id = str(uuid.uuid4())
    created = now_ms()
    payload = json.dumps({
        "MessageId": message_id,
        "CreatedDate": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                     time.gmtime(created / 1000)),
        "DestinationId": destination,
        "SessionId": session_id,
        "MessageType": CHANNEL_CLOSED,
        "SchemaVersion": 1,
        "Output": output,
    }, separators=(",", ":")).encode()
    return Message(CHANNEL_CLOSED, payload, sequence=0,
                   flags=FLAG_SYN | FLAG_FIN, message_id=message_id,
                   created=created)


def publication(message_type):
    """Return start/pause_publication bytes with a wrong length and digest.

    The service fills those two fields incorrectly, and clients must not
    validate them: here PayloadLength is 1, little-endian, over an empty
    payload, and the digest is random.
    """
    message = Message(message_type, b"", flags=FLAG_SYN | FLAG_FIN)
    data = bytearray(encode(message, digest=os.urandom(32)))
    data[116:120] = struct.pack("<I", 1)
    return bytes(data)


def size_payload(cols, rows):
    return json.dumps({"cols": cols, "rows": rows},
                      separators=(",", ":")).encode()


def utf8_cut(data, limit):
    """Return how many leading bytes of data to send in one chunk.

    The cut never falls inside a valid multi-byte UTF-8 sequence when the
    chunk can end before it; invalid bytes may be cut anywhere. At least
    one byte is always taken.
    """
    if len(data) <= limit:
        return len(data)
    cut = limit
    # Walk back over continuation bytes to the lead byte of the sequence
    # that straddles the limit.
    start = cut
    while start > 0 and cut - start < 3 and (data[start] & 0xC0) == 0x80:
        start -= 1
    if start == cut:
        return cut
    lead = data[start]
    need = sequence_length(lead)
    if need and start + need > cut and _valid_sequence(data, start, need):
        return start if start > 0 else cut
    return cut


def incomplete_tail(data):
    """Return the length of a valid but unfinished UTF-8 sequence at the end.

    The agent keeps characters whole, so such a tail waits for the next
    read from the terminal.
    """
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if (byte & 0xC0) == 0x80:
            continue
        need = sequence_length(byte)
        if need > back and all((b & 0xC0) == 0x80
                               for b in data[len(data) - back + 1:]):
            return back
        return 0
    return 0


def sequence_length(lead):
    """Return the byte length a UTF-8 lead byte announces, 0 if invalid."""
    if lead < 0x80:
        return 1
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _valid_sequence(data, start, need):
    end = min(len(data), start + need)
    return all((b & 0xC0) == 0x80 for b in data[start + 1:end])
