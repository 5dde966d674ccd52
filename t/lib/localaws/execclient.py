"""A small ECS Exec client for testing the local AWS's data channel.

It calls ExecuteCommand on the front, opens the stream URL, and speaks the
client side of the protocol. That covers the first text frame, acks for
every output message (again for a duplicate), in-order delivery with an
out-of-order buffer, digest checks, input with retransmission, the
optional handshake (with KMS through moto), and ResumeSession after a
dropped socket. It prints one JSON document describing what it saw, so
t/4001-exec-fixture.t can check each fault from the client side.

It shares only the message codec (agentmsg) and WebSocket framing
(wsproto) with the fixture; both are tested against fixed byte strings.
"""

import argparse
import base64
import collections
import json
import os
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

from . import agentmsg as am
from . import wsproto

CLIENT_VERSION = "1.2.804.0"
FAKE_AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}"
             "/aws4_request, SignedHeaders=host, Signature=0")
TARGETS = {"ecs": "AmazonEC2ContainerServiceV20141113", "ssm": "AmazonSSM",
           "kms": "TrentService"}


class ApiFailure(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def api_call(endpoint, service, operation, params, region="us-east-1"):
    """Call a JSON 1.1 operation on the local AWS; return the reply."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/", data=json.dumps(params).encode(),
        method="POST", headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGETS[service]}.{operation}",
            "Authorization": FAKE_AUTH.format(region=region,
                                              service=service),
        })
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        raise ApiFailure(err.code, json.loads(err.read() or b"{}")) from None


class Client:
    def __init__(self, args, session):
        self.args = args
        self.endpoint = args.endpoint
        self.session_id = session.get("sessionId") or session["SessionId"]
        self.stream_url = session.get("streamUrl") or session["StreamUrl"]
        self.token = session.get("tokenValue") or session["TokenValue"]
        self.client_id = str(uuid.uuid4())
        self.events = queue.Queue()
        self.ws = None
        self.done = False
        self.cipher = None

        self.expected = 0
        self.buffered = {}
        self.output = bytearray()
        # The first copy of each output message, then the sequence
        # numbers of the copies that came again.
        self.received = []
        self.duplicates = []
        self.acks_sent = collections.Counter()
        self.ignored = []
        self.publication = []
        self.closed = None
        self.socket_closes = []
        self.resumes = 0
        self.gone = False
        self.bad_digests = []
        self.handshake = None
        self.pings_received = 0
        self.pongs_received = 0

        self.next_seq = 0
        self.unacked = collections.OrderedDict()
        self.input_sent = False
        self.input_acks = collections.Counter()
        self.started = time.monotonic()
        self.first_output_at = None

    # The connection.

    def connect(self, token):
        self.ws, _ = wsproto.client_connect(self.stream_url)
        if self.args.ping_first:
            self.ws.ping(b"keepalive")
        frame = {"MessageSchemaVersion": "1.0",
                 "RequestId": str(uuid.uuid4()),
                 "TokenValue": token,
                 "ClientId": self.client_id,
                 "ClientVersion": self.args.client_version}
        self.ws.send_text(json.dumps(frame))
        ws = self.ws
        threading.Thread(target=self._read_loop, args=(ws,),
                         daemon=True).start()

    def _read_loop(self, ws):
        try:
            while True:
                kind, data = ws.receive()
                if kind == "ping" and not self.args.no_pong:
                    ws.pong(data)
                self.events.put((ws, kind, data))
                if kind == "close":
                    ws.send_close(data[0] if data[0] != 1005 else 1000)
                    break
        except (wsproto.ConnectionClosed, OSError,
                wsproto.ProtocolError) as err:
            self.events.put((ws, "eof", str(err)))
            return
        self.events.put((ws, "eof", "closed"))

    def send(self, message):
        self.ws.send_binary(am.encode(message))

    # Main loop.

    def run(self):
        deadline = self.started + self.args.timeout
        self.connect(self.token)
        while not self.done and time.monotonic() < deadline:
            try:
                ws, kind, data = self.events.get(timeout=0.05)
            except queue.Empty:
                self._tick()
                continue
            if ws is not self.ws:
                continue
            if kind == "ping":
                self.pings_received += 1
            elif kind == "pong":
                self.pongs_received += 1
            elif kind in ("binary", "text"):
                self._on_message(data)
            elif kind == "close":
                self.socket_closes.append({"code": data[0],
                                           "reason": data[1]})
            elif kind == "eof":
                self._on_eof()
            self._tick()
        return self.result(time.monotonic() >= deadline)

    def _on_eof(self):
        if self.closed is not None or self.done:
            self.done = True
            return
        if self.args.no_resume:
            self.done = True
            return
        reply = api_call(self.endpoint, "ssm", "ResumeSession",
                         {"SessionId": self.session_id})
        token = reply.get("TokenValue")
        if not token:
            self.gone = True
            self.done = True
            return
        self.resumes += 1
        self.connect(token)

    def _tick(self):
        if self._may_send_input() and not self.input_sent:
            self.input_sent = True
            self._send_input()
        now = time.monotonic()
        if self.unacked:
            seq, entry = next(iter(self.unacked.items()))
            if now - entry[1] > 0.3:
                self.ws.send_binary(entry[0])
                self.unacked[seq] = (entry[0], now)

    def _may_send_input(self):
        if self.handshake is not None:
            return self.handshake.get("complete", False)
        return self.first_output_at is not None

    def _send_stream(self, payload_type, payload):
        message = am.Message(am.INPUT, payload, sequence=self.next_seq,
                             payload_type=payload_type)
        self.next_seq += 1
        data = am.encode(message)
        if self.args.bad_client == "bad-digest":
            data = am.encode(message, digest=bytes(32))
        self.unacked[message.sequence] = (data, time.monotonic())
        self.ws.send_binary(data)

    def _send_input(self):
        if self.args.size:
            cols, rows = (int(v) for v in self.args.size.split("x"))
            self._send_stream(am.PT_SIZE, am.size_payload(cols, rows))
        data = self.args.input.encode() if self.args.input else b""
        if self.args.input_hex:
            data += bytes.fromhex(self.args.input_hex)
        if self.args.input_file:
            with open(self.args.input_file, "rb") as f:
                data += f.read()
        for i in range(0, len(data), am.CHUNK_SIZE):
            chunk = data[i:i + am.CHUNK_SIZE]
            if self.cipher is not None:
                chunk = self.cipher.encrypt_from_client(chunk)
            self._send_stream(am.PT_OUTPUT, chunk)
        if self.args.bad_client == "skip-seq":
            self.next_seq += 1
            self._send_stream(am.PT_OUTPUT, b"")
        if self.args.bad_client == "ack-unknown":
            fake = am.Message(am.OUTPUT, b"", sequence=99999)
            self.send(am.ack_for(fake))

    # Messages.

    def _on_message(self, data):
        try:
            message = am.decode(data)
        except am.MessageError as err:
            self.ignored.append({"error": str(err)})
            return
        kind = message.message_type
        entry = message.summary()
        entry["headerLength"] = message.header_length
        entry["head"] = message.payload[:16].hex()
        entry["wholeUtf8"] = _whole_utf8(message.payload)

        if kind in (am.START_PUBLICATION, am.PAUSE_PUBLICATION):
            self.publication.append(kind)
            return
        if kind == am.CHANNEL_CLOSED:
            self._on_channel_closed(message)
            return
        if kind == am.ACK:
            sequence, _, _ = am.parse_ack(message)
            self.input_acks[sequence] += 1
            self.unacked.pop(sequence, None)
            return
        if kind != am.OUTPUT:
            entry["ignored"] = True
            self.ignored.append(entry)
            return
        if not message.digest_ok():
            self.bad_digests.append(message.sequence)
            return

        sequence = message.sequence
        if sequence < self.expected or sequence in self.buffered:
            self.duplicates.append(sequence)
            self._ack(message)
            return
        self.received.append(entry)
        if sequence > self.expected:
            self.buffered[sequence] = message
            self._ack(message)
            return
        self._ack(message)
        self._deliver(message)
        self.expected += 1
        while self.expected in self.buffered:
            self._deliver(self.buffered.pop(self.expected))
            self.expected += 1

    def _ack(self, message):
        self.acks_sent[message.sequence] += 1
        self.send(am.ack_for(message))

    def _deliver(self, message):
        if message.payload_type == am.PT_OUTPUT:
            payload = message.payload
            if self.cipher is not None:
                payload = self.cipher.decrypt_to_client(payload)
            if self.first_output_at is None:
                self.first_output_at = time.monotonic()
            self.output += payload
        elif message.payload_type == am.PT_HANDSHAKE_REQUEST:
            self.handshake = {"request": message.json(), "complete": False}
            if not self.args.ignore_handshake:
                self._on_handshake_request(message.json())
        elif message.payload_type == am.PT_ENC_CHALLENGE_REQUEST:
            self._on_challenge(message.json())
        elif message.payload_type == am.PT_HANDSHAKE_COMPLETE:
            self.handshake["complete"] = True
            self.handshake["completeMessage"] = message.json()

    def _on_channel_closed(self, message):
        doc = message.json() or {}
        self.closed = {"output": doc.get("Output"),
                       "headerLength": message.header_length,
                       "nulPadded": message.raw_type.endswith(b"\0"),
                       "digestOk": message.digest_ok(),
                       "sessionId": doc.get("SessionId")}
        self.done = True

    # The handshake.

    def _on_handshake_request(self, request):
        processed = []
        for action in request.get("RequestedClientActions") or []:
            kind = action.get("ActionType")
            item = {"ActionType": kind, "ActionStatus": 1,
                    "ActionResult": None, "Error": ""}
            if kind == "KMSEncryption":
                item["ActionResult"] = self._kms(action["ActionParameters"])
            elif kind != "SessionType":
                item["ActionStatus"] = self.args.unknown_status
                item["Error"] = f"unsupported action {kind}"
            processed.append(item)
        response = {"ClientVersion": self.args.client_version,
                    "ProcessedClientActions": processed, "Errors": None}
        self._send_stream(am.PT_HANDSHAKE_RESPONSE,
                          json.dumps(response).encode())

    def _kms(self, parameters):
        from .handshake import SessionCipher

        target = self.args.target
        context = {"aws:ssm:SessionId": self.session_id,
                   "aws:ssm:TargetId": target}
        if parameters.get("Challenge"):
            context["aws:ssm:RandomChallenge"] = parameters["Challenge"]
        reply = api_call(self.endpoint, "kms", "GenerateDataKey", {
            "KeyId": parameters["KMSKeyId"], "NumberOfBytes": 64,
            "EncryptionContext": context})
        key = base64.b64decode(reply["Plaintext"])
        # The client decrypts with the agent-to-client half and encrypts
        # with the other, so the roles swap against the agent's cipher.
        cipher = SessionCipher(key[32:] + key[:32])
        self.cipher = _ClientCipher(cipher)
        return {"KMSCipherTextKey": reply["CiphertextBlob"],
                "KMSCipherTextHash": None,
                "ChallengeAcknowledgement": bool(
                    parameters.get("Challenge"))}

    def _on_challenge(self, doc):
        blob = base64.b64decode(doc["Challenge"])
        secret = self.cipher.decrypt_to_client(blob)
        answer = base64.b64encode(
            self.cipher.encrypt_from_client(secret)).decode()
        self._send_stream(am.PT_ENC_CHALLENGE_RESPONSE,
                          json.dumps({"Challenge": answer}).encode())

    def result(self, timed_out):
        return {
            "sessionId": self.session_id,
            "timedOut": timed_out,
            "output": self.output.decode("utf-8", "replace"),
            "outputHex": self.output.hex(),
            "closed": self.closed,
            "gone": self.gone,
            "socketCloses": self.socket_closes,
            "resumes": self.resumes,
            "received": self.received[:2000],
            "duplicates": self.duplicates[:2000],
            "acksSent": {str(k): v for k, v in self.acks_sent.items()},
            "inputAcks": {str(k): v for k, v in self.input_acks.items()},
            "inputSent": self.next_seq,
            "unackedInput": list(self.unacked),
            "ignored": self.ignored,
            "publication": self.publication,
            "badDigests": self.bad_digests,
            "buffered": sorted(self.buffered),
            "handshake": self.handshake,
            "pingsReceived": self.pings_received,
            "pongsReceived": self.pongs_received,
            "seconds": round(time.monotonic() - self.started, 3),
        }


def _whole_utf8(data):
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _ClientCipher:
    """The agent's SessionCipher seen from the client side."""

    def __init__(self, swapped):
        self.swapped = swapped

    def decrypt_to_client(self, blob):
        return self.swapped.decrypt_from_client(blob)

    def encrypt_from_client(self, data):
        return self.swapped.encrypt_to_client(data)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="exec-test-client",
        description="Run one ECS Exec session against the local AWS and "
                    "print what the client saw as JSON.")
    parser.add_argument("--endpoint",
                        default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--cluster", default="default")
    parser.add_argument("--task", required=True)
    parser.add_argument("--container")
    parser.add_argument("--command", default="/bin/sh")
    parser.add_argument("--input", help="keystrokes to send after the "
                                        "first output")
    parser.add_argument("--input-hex", help="more keystrokes, as hex")
    parser.add_argument("--input-file", help="more keystrokes: the "
                                             "contents of this file")
    parser.add_argument("--size", help="COLSxROWS sent before the input")
    parser.add_argument("--token", help="send this token instead")
    parser.add_argument("--client-version", default=CLIENT_VERSION)
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-pong", action="store_true")
    parser.add_argument("--ping-first", action="store_true",
                        help="ping before the first text frame")
    parser.add_argument("--bad-client",
                        choices=("bad-digest", "skip-seq", "ack-unknown"),
                        help="break the protocol this way")
    parser.add_argument("--unknown-status", type=int, default=3,
                        help="ActionStatus for unknown handshake actions")
    parser.add_argument("--ignore-handshake", action="store_true",
                        help="never respond to a HandshakeRequest")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--fixture-record", action="store_true",
                        help="add the local AWS's record of the session "
                             "as the fixture member")
    return parser


def main(argv):
    args = build_parser().parse_args(argv)
    params = {"cluster": args.cluster, "task": args.task,
              "command": args.command, "interactive": True}
    if args.container:
        params["container"] = args.container
    try:
        reply = api_call(args.endpoint, "ecs", "ExecuteCommand", params)
    except ApiFailure as err:
        print(json.dumps({"apiError": err.body, "status": err.status}))
        return 1
    session = dict(reply["session"])
    if args.token is not None:
        session["tokenValue"] = args.token
    task_id = reply["taskArn"].rsplit("/", 1)[-1]
    cluster = reply["clusterArn"].rsplit("/", 1)[-1]
    args.target = f"ecs:{cluster}_{task_id}_{_runtime_id(args, reply)}"
    client = Client(args, session)
    result = client.run()
    result["executeCommand"] = {k: v for k, v in reply.items()
                                if k != "session"}
    result["streamUrl"] = session["streamUrl"]
    if args.fixture_record:
        result["fixture"] = fixture_record(args.endpoint, client.session_id)
    print(json.dumps(result))
    return 0


def fixture_record(endpoint, session_id):
    """Return the local AWS's own record of the session, with events."""
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/__front/ctl", method="POST",
        data=json.dumps({"cmd": "exec-session",
                         "session": session_id}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["session"]


def _runtime_id(args, reply):
    tasks = api_call(args.endpoint, "ecs", "DescribeTasks", {
        "cluster": reply["clusterArn"], "tasks": [reply["taskArn"]]})
    for task in tasks.get("tasks", []):
        for container in task.get("containers", []):
            if container.get("name") == reply["containerName"]:
                return container.get("runtimeId", "")
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
