"""The agent side of a Session Manager session: the protocol and faults.

Terminal output of the command (terminal.py) goes to the client as
output_stream_data messages of at most 1024 bytes that keep UTF-8
characters whole. Keystrokes and Size messages go to the pty.

The reliability layer follows the SSM agent: sequence numbers from 0 with
SYN on the first message, an ack for every stream message the handler
accepts, out-of-order messages acked and buffered, duplicates acked
again, and the oldest unacknowledged message resent by a 100 ms timer
once the TCP-like RTO estimate has passed. A buffered message stays until
the pty takes it, because the client does not send an acked message
again. No exit code is sent, because InteractiveCommands has no message
for one. The output faults of chanfaults.py are applied where a message
is sent for the first time.

One Agent lives as long as its session. Connections come and go
(ResumeSession), and the sequence numbers and buffers survive them.
"""

import collections
import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
import threading
import time

from . import agentmsg as am
from . import handshake as hs
from . import portfwd
from . import terminal

log = logging.getLogger("local-aws")

# RTO estimator constants of the agent and the plugin, in seconds.
INITIAL_SRTT = 0.1
INITIAL_RTO = 0.2
MIN_RTO_TERM = 0.01
MAX_RTO = 1.0
TICK = 0.1
# A reordered message waits this long for a successor before it is sent.
REORDER_WAIT = 0.5
# While the pty takes no more keystrokes, a client message waits this many
# seconds, as the agent blocks. Then it stays unacknowledged, so the client
# resends it later.
INPUT_WAIT = 1.0

IDLE_TIMEOUT_OUTPUT = ("Your session timed out due to inactivity and has "
                       "been terminated.")


class Outgoing:
    """One sent stream message, kept until the client acknowledges it."""

    __slots__ = ("message", "data", "sends", "first_sent", "last_sent",
                 "corrupt_only", "fault")

    def __init__(self, message, data):
        self.message = message
        self.data = data
        self.sends = 0
        self.first_sent = None
        # None while the message waits for a connection.
        self.last_sent = None
        # True while the only copy sent had a corrupted digest.
        self.corrupt_only = False
        # The fault record to update when the ack arrives.
        self.fault = None


class Agent:
    """The agent of one session; lock guards everything below."""

    def __init__(self, session, state):
        self.session = session
        self.state = state
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.conn = None
        self.stopped = threading.Event()

        self.next_seq = 0
        self.outgoing = collections.OrderedDict()
        self.held = None
        self.held_since = 0.0
        # True when some message in outgoing was never sent.
        self.unsent = False
        self.far_ahead = {}
        self.ignored_ids = {}
        self.srtt = INITIAL_SRTT
        self.rttvar = 0.0
        self.rto = INITIAL_RTO

        self.expected = 0
        self.buffered = {}
        # The buffered sequence number last reported as waiting for room.
        self.waiting_input = None
        self.received = {}
        self.input_faults = {}
        self.acked_faults = {}

        self.terminal = None
        self.port = None
        self.port_emit_lock = threading.Lock()
        self.process_started = None
        self.first_output_sent = False
        self.input_ready = threading.Condition(self.lock)
        self.paused_until = None
        self.closing = False
        self.handshake = None
        self.cipher = None
        self.last_ping = time.monotonic()
        self.last_input = time.monotonic()
        self.connected_time = 0.0
        self.scratch = None
        self.timer = threading.Thread(target=self._timer_loop, daemon=True,
                                      name=f"agent-timer-{session.id}")
        self.timer.start()

    def setting(self, name):
        return self.session.setting(name)

    # Connections.

    def attach(self, conn):
        """Make conn the session's connection; start the agent on the first."""
        with self.lock:
            old = self.conn
            self.conn = conn
            if old is not None:
                self.session.event("connection-replaced")
                old.drop()
            if self.closing:
                return
            if self.process_started is None and self.handshake is None:
                self._begin()
                return
            self._flush_unsent()

    def detach(self, conn):
        """Forget conn; return True when it was the current connection."""
        with self.lock:
            current = self.conn is conn
            if current:
                self.conn = None
            self.changed.notify_all()
            return current

    def _connected(self):
        return (self.conn is not None and not self.conn.stalled()
                and self.paused_until is None)

    # Start: a handshake when one is configured, then the command.

    def _begin(self):
        mode = self.setting("handshake")
        if self.session.kind != "ecs-exec":
            self._start_port_session()
            return
        if mode == "none":
            self._start_process()
            return
        self.handshake = hs.Handshake(self, mode)
        self.handshake.start()

    def handshake_done(self, cipher, message):
        """Finish a successful handshake and start the command or the
        port forwarding."""
        with self.lock:
            self.cipher = cipher
            port = self.handshake.mode == "port"
            self.handshake = None
            if message is not None:
                self.send_stream(am.PT_HANDSHAKE_COMPLETE, message)
            if port:
                self.port = portfwd.PortSession(self)
                self.port.start()
            else:
                self._start_process()

    def _start_port_session(self):
        if self.session.document in portfwd.PORT_DOCUMENTS:
            self.handshake = hs.Handshake(self, "port")
            self.handshake.start()
            return
        # NOTE: StartSession of other documents (shells) creates a
        # session whose data channel only reports that it is missing.
        threading.Thread(target=self.terminate, daemon=True, args=(
            "The local AWS implements only the port forwarding "
            "documents of StartSession.",
            "unsupported"), name="agent-port").start()

    def emit_port_data(self, data):
        """Send bytes from a forwarded port as paced Output messages.

        One caller at a time, so the messages of one call stay together.
        """
        with self.port_emit_lock:
            for start in range(0, len(data), am.CHUNK_SIZE):
                self._wait_for_room()
                if self.stopped.is_set():
                    return
                self.send_stream(am.PT_OUTPUT,
                                 data[start:start + am.CHUNK_SIZE])
                self.session.count("bytesOut",
                                   min(am.CHUNK_SIZE, len(data) - start))
                pace = self.setting("pace")
                if pace > 0:
                    time.sleep(pace)

    def _start_process(self):
        env = dict(os.environ)
        env["TERM"] = "xterm-256color"
        try:
            argv, path = terminal.resolve(self.session.command, env)
        except ValueError as err:
            self.session.event("command-failed", detail=str(err))
            threading.Thread(target=self.terminate, daemon=True,
                             args=(str(err), "command-failed")).start()
            return
        self.scratch = tempfile.mkdtemp(prefix=f"{self.session.id}.",
                                        dir=self.state.scratch_root)
        env["PWD"] = self.scratch
        self.terminal = terminal.Terminal(argv, path, self.scratch, env,
                                          self._emit, self._on_exit,
                                          self._on_drained)
        self.terminal.start()
        self.process_started = time.monotonic()
        self.session.process_started(self.terminal.pid, argv, self.scratch)

    def _on_exit(self):
        self.session.process_exited(self.terminal.exit_status)
        self.finish()

    def _on_drained(self):
        with self.lock:
            self.input_ready.notify_all()
            self._deliver_buffered()

    def _warming_up(self):
        if self.process_started is None:
            return True
        return (time.monotonic() - self.process_started
                < self.setting("warmup"))

    # Sending.

    def send_stream(self, payload_type, payload):
        """Number, record and send one output_stream_data message."""
        with self.lock:
            sequence = self.next_seq
            self.next_seq += 1
            message = am.Message(am.OUTPUT, payload, sequence=sequence,
                                 flags=am.FLAG_SYN if sequence == 0 else 0,
                                 payload_type=payload_type)
            entry = Outgoing(message, am.encode(message))
            self.outgoing[sequence] = entry
            self.session.count("messagesSent")
            if self._connected():
                self._send_new(entry)
            else:
                self.unsent = True

    def _send_new(self, entry):
        """Send a message for the first time, through the output faults."""
        rule = self.state.rules.take("output", self.session.id,
                                     self.session.task_arn)
        if rule is None:
            self._transmit(entry)
            self._release_held(entry)
            return
        action = rule["action"]
        entry.fault = self.session.fault(action, seq=entry.message.sequence)
        if action in ("drop", "stall", "close"):
            self._lose(entry, rule)
        elif action in ("reorder", "pause"):
            self._hold(entry, rule)
        else:
            self._send_altered(entry, rule)
            self._release_held(entry)

    def _lose(self, entry, rule):
        """Count the message as sent without sending it, as if lost."""
        entry.sends = 1
        entry.first_sent = entry.last_sent = time.monotonic()
        if rule["action"] == "stall":
            self.conn.stall(rule["seconds"])
            entry.fault["seconds"] = rule["seconds"]
        elif rule["action"] == "close":
            self._close_for_fault(rule, entry.fault)

    def _hold(self, entry, rule):
        """Keep the message back: after its successor, or for a pause."""
        if rule["action"] == "reorder":
            self._release_held(None)
            self.held = entry
            self.held_since = time.monotonic()
            return
        self.conn.send(self._publication(am.PAUSE_PUBLICATION))
        self.paused_until = time.monotonic() + rule["seconds"]
        self.unsent = True
        entry.fault["seconds"] = rule["seconds"]

    def _send_altered(self, entry, rule):
        """Send the message changed, doubled, split or after an extra one."""
        action = rule["action"]
        if action == "corrupt-digest":
            bad = hashlib.sha256(b"corrupt" + entry.data).digest()
            self.conn.send(am.encode(entry.message, digest=bad))
            entry.sends = 1
            entry.first_sent = entry.last_sent = time.monotonic()
            entry.corrupt_only = True
            return
        if action == "split-frames":
            self._transmit(entry, pieces=rule["pieces"],
                           ping_between=rule["ping"])
            return
        if action == "far-ahead":
            self._send_far_ahead(entry.message.sequence + rule["distance"],
                                 entry.fault)
        elif action in ("unknown-type", "session-state"):
            self._send_ignorable(action, rule, entry.fault)
        self._transmit(entry)
        if action == "duplicate":
            self.conn.send(entry.data)

    def _transmit(self, entry, pieces=1, ping_between=False):
        now = time.monotonic()
        self.conn.send(entry.data, pieces=pieces, ping_between=ping_between)
        entry.sends += 1
        if entry.first_sent is None:
            entry.first_sent = now
        entry.last_sent = now

    def _release_held(self, after):
        """Send a reordered message once its successor went out."""
        held = self.held
        if held is None or held is after:
            return
        self.held = None
        if self.conn is not None:
            self._transmit(held)
        else:
            self.unsent = True

    def _flush_unsent(self):
        """Send, in order, the messages that waited for a connection."""
        if not self.unsent or not self._connected():
            return
        self.unsent = False
        for entry in list(self.outgoing.values()):
            if entry.last_sent is None and entry is not self.held:
                self._send_new(entry)
                if not self._connected():
                    # A fault paused or closed the channel on the way.
                    self.unsent = True
                    return

    def _send_far_ahead(self, sequence, record):
        message = am.Message(am.OUTPUT, b"far-ahead message; never show",
                             sequence=sequence, payload_type=am.PT_OUTPUT)
        self.far_ahead[sequence] = record
        record["farSeq"] = sequence
        record["farAcked"] = False
        self.conn.send(am.encode(message))

    def _send_ignorable(self, action, rule, record):
        if action == "unknown-type":
            message = am.Message(rule["type"], b"ignore this message",
                                 flags=am.FLAG_SYN | am.FLAG_FIN,
                                 payload_type=am.PT_OUTPUT)
        else:
            payload = json.dumps({
                "SchemaVersion": 1, "SessionState": "Connected",
                "SessionId": self.session.id,
            }, separators=(",", ":")).encode()
            message = am.Message(am.AGENT_SESSION_STATE, payload,
                                 flags=am.FLAG_SYN | am.FLAG_FIN)
        record["messageId"] = message.message_id
        record["injectedAcked"] = False
        self.ignored_ids[message.message_id] = record
        self.conn.send(am.encode(message))

    def _publication(self, message_type):
        self.session.event("send", type=message_type)
        return am.publication(message_type)

    def _close_for_fault(self, rule, record):
        conn = self.conn
        record.update(code=rule["code"], reason=rule["reason"],
                      tcp=rule["tcp"], resume=rule["resume"])
        if not rule["resume"]:
            self.session.gone = True
        if rule["tcp"]:
            conn.drop()
        else:
            conn.close(rule["code"], rule["reason"])
        self.conn = None
        if not rule["resume"]:
            # Recorded now, so the session is over before the client can
            # ask; the process ends in the background.
            self._end(None, "closed-without-resume")
            threading.Thread(target=self._close, daemon=True,
                             args=(None, "closed-without-resume")).start()

    # Receiving.

    def on_message(self, conn, data, kind):
        """Handle one WebSocket message after the token check."""
        session = self.session
        if kind == "text":
            session.violation("text-message",
                              "stream messages must be binary WebSocket "
                              "messages")
        try:
            message = am.decode(data)
        except am.MessageError as err:
            session.violation("malformed-message", str(err))
            return
        if not self._check_header(message):
            return
        with self.lock:
            if conn.stalled() or self.paused_until is not None:
                session.event("dropped", reason="paused or stalled",
                              **message.summary())
                return
            if message.message_type == am.ACK:
                self._on_ack(message)
            elif message.message_type == am.INPUT:
                self.last_input = time.monotonic()
                self._on_input(message)
            else:
                session.violation("unexpected-message-type",
                                  f"the client sent a "
                                  f"{message.message_type!r} message")

    def _check_header(self, message):
        """Log header mistakes; return False when the agent drops it."""
        session = self.session
        name = message.message_type

        if message.header_length != am.HEADER_LENGTH:
            session.violation("header-length",
                              f"HeaderLength {message.header_length} on "
                              f"{name}, expected 116")
        padding = message.raw_type[len(name):]
        if padding.strip(b" "):
            session.violation("type-padding",
                              f"MessageType {name!r} is not padded with "
                              "spaces")
        if message.schema != am.SCHEMA_VERSION:
            session.violation("schema-version",
                              f"SchemaVersion {message.schema} on {name}")
        if message.payload_length != len(message.payload):
            session.violation("payload-length",
                              f"PayloadLength {message.payload_length} but "
                              f"{len(message.payload)} payload bytes on "
                              f"{name} {message.sequence}")
        if not message.digest_ok():
            # The agent does not check digests; the message is processed.
            session.violation("bad-digest",
                              f"PayloadDigest does not match the payload of "
                              f"{name} {message.sequence}")

        if message.created == 0:
            session.violation("created-date", f"CreatedDate 0 on {name}")
            return False
        if not name:
            session.violation("message-type", "empty MessageType")
            return False
        return True

    def _on_ack(self, message):
        session = self.session
        try:
            sequence, message_id, _ = am.parse_ack(message)
        except am.MessageError as err:
            session.violation("malformed-ack", str(err))
            return
        session.count("acksReceived")
        if self._ack_of_injected(sequence, message_id):
            return

        entry = self.outgoing.pop(sequence, None)
        if entry is None:
            self._ack_of_acked(sequence)
            return
        self._check_ack(entry, message_id)
        if entry.last_sent is not None:
            self._update_rto(time.monotonic() - entry.last_sent)
        if entry.fault is not None:
            entry.fault["acks"] = entry.fault.get("acks", 0) + 1
            entry.fault["sendsBeforeAck"] = entry.sends
            self.acked_faults[sequence] = entry.fault
        session.event("ack-received", seq=sequence, sends=entry.sends)
        self.changed.notify_all()

    def _ack_of_injected(self, sequence, message_id):
        """Handle an ack of a message that a fault added; True if it was."""
        ignored = self.ignored_ids.get(message_id)
        if ignored is not None:
            ignored["injectedAcked"] = True
            self.session.violation(
                "acked-ignorable",
                f"the client acknowledged message {message_id} of type "
                f"{ignored['action']}, which it must ignore")
            return True
        if sequence in self.far_ahead:
            self.far_ahead[sequence]["farAcked"] = True
            self.session.event("ack-received", seq=sequence, farAhead=True)
            return True
        return False

    def _ack_of_acked(self, sequence):
        """Handle an ack for a sequence number no longer waiting for one."""
        session = self.session
        if sequence < 0 or sequence >= self.next_seq:
            session.violation("ack-unknown-sequence",
                              f"ack for output sequence number {sequence}, "
                              f"but only 0-{self.next_seq - 1} were sent")
            return
        session.count("duplicateAcks")
        session.event("ack-received", seq=sequence, duplicate=True)
        record = self.acked_faults.get(sequence)
        if record is not None:
            record["acks"] = record.get("acks", 0) + 1

    def _check_ack(self, entry, message_id):
        session = self.session
        sequence = entry.message.sequence
        if entry.last_sent is None:
            session.violation("ack-unsent",
                              f"ack for output sequence number {sequence} "
                              "before it was sent")
        if message_id != entry.message.message_id:
            session.violation("ack-message-id",
                              f"ack for sequence number {sequence} names "
                              f"message {message_id}, expected "
                              f"{entry.message.message_id}")
        if entry.corrupt_only:
            session.violation("acked-bad-digest",
                              f"the client acknowledged output {sequence} "
                              "whose digest was corrupted")

    def _update_rto(self, sample):
        self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - sample)
        self.srtt = 0.875 * self.srtt + 0.125 * sample
        self.rto = min(MAX_RTO, self.srtt + max(MIN_RTO_TERM,
                                                4 * self.rttvar))

    def _on_input(self, message):
        session = self.session
        sequence = message.sequence
        digest = hashlib.sha256(message.payload).digest()
        session.count("messagesReceived")
        session.event("recv", **message.summary())

        if sequence < self.expected or sequence in self.buffered:
            session.count("duplicatesReceived")
            known = self.received.get(sequence)
            if known is not None and known != digest:
                session.violation("sequence-reused",
                                  f"input sequence number {sequence} came "
                                  "again with a different payload")
            record = self.input_faults.get(sequence)
            if record is not None:
                record["resent"] = record.get("resent", 0) + 1
            self._send_ack(message)
            return
        if not self.first_output_sent:
            # Allowed: a client may stop waiting for output that a quiet
            # command never prints, and send its Size anyway.
            session.count("inputBeforeOutput")
            session.event("input-before-output", seq=sequence,
                          payloadType=message.payload_type)

        if sequence > self.expected:
            if len(self.buffered) >= self.setting("reorder_capacity"):
                session.event("dropped", reason="reorder buffer full",
                              seq=sequence)
                return
            self.buffered[sequence] = message
            self.received[sequence] = digest
            self._send_ack(message)
            return

        if not self._handle(message):
            session.event("rejected", seq=sequence,
                          payloadType=message.payload_type)
            return
        self.received[sequence] = digest
        self._send_ack(message)
        self.expected += 1
        self._deliver_buffered()

    def _deliver_buffered(self):
        """Handle the buffered messages whose turn has come, without waiting.

        They were acked, so one that cannot be handled yet (warm-up, full
        pty) stays at the head of the buffer. The timer and each drained
        write to the pty try it again.
        """
        while self.expected in self.buffered and not self.stopped.is_set():
            if not self._handle(self.buffered[self.expected], wait=False):
                if self.waiting_input != self.expected:
                    self.waiting_input = self.expected
                    self.session.event("input-waiting", seq=self.expected)
                return
            del self.buffered[self.expected]
            self.expected += 1

    def _send_ack(self, message):
        if self.conn is None:
            return
        rule = self.state.rules.take("ack", self.session.id,
                                     self.session.task_arn)
        if rule is not None:
            record = self.session.fault("drop-ack", seq=message.sequence)
            record["resent"] = 0
            self.input_faults[message.sequence] = record
            return
        self.session.count("acksSent")
        self.conn.send(am.encode(am.ack_for(message)))

    def _handle(self, message, wait=True):
        """Process an in-order client message, or return False to retry it.

        With wait, keystrokes wait up to INPUT_WAIT for room in the pty.
        """
        session = self.session
        payload_type = message.payload_type
        if self.handshake is not None:
            if payload_type in (am.PT_HANDSHAKE_RESPONSE,
                                am.PT_ENC_CHALLENGE_RESPONSE):
                self.handshake.on_message(message)
            else:
                # The agent acknowledges and discards other stream data
                # while a handshake is in progress.
                session.violation("input-during-handshake",
                                  f"payload type {payload_type} during the "
                                  "handshake")
            return True
        if self.port is not None and payload_type == am.PT_OUTPUT:
            self.session.count("bytesIn", len(message.payload))
            self.port.on_output(message.payload)
            return True
        if payload_type == am.PT_SIZE:
            return self._on_size(message)
        if payload_type == am.PT_OUTPUT:
            return self._on_keystrokes(message, wait)
        if payload_type == am.PT_FLAG:
            return self._on_flag(message)
        session.violation("unexpected-payload-type",
                          f"payload type {payload_type} in input "
                          f"{message.sequence}")
        return True

    def _on_size(self, message):
        if self._warming_up():
            return False
        doc = message.json()
        cols = doc.get("cols") if isinstance(doc, dict) else None
        rows = doc.get("rows") if isinstance(doc, dict) else None
        if not all(isinstance(v, int) and not isinstance(v, bool)
                   and 0 <= v < 65536 for v in (cols, rows)):
            self.session.violation("bad-size",
                                   f"Size payload {message.payload[:100]!r}")
            return True
        self.session.size_applied(cols, rows)
        if self.terminal is not None:
            try:
                self.terminal.resize(cols, rows)
            except OSError as err:
                log.info("session %s: TIOCSWINSZ failed: %s",
                         self.session.id, err)
        return True

    def _on_keystrokes(self, message, wait):
        if self._warming_up():
            return False
        data = message.payload
        if self.cipher is not None:
            try:
                data = self.cipher.decrypt_from_client(data)
            except ValueError as err:
                self.session.violation("decrypt", str(err))
                return True
        # Like the agent, which blocks while the pty takes no input, but
        # only for a while.
        deadline = time.monotonic() + (INPUT_WAIT if wait else 0)
        while (not self.terminal.room(len(data))
               and not self.stopped.is_set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.input_ready.wait(remaining)
        self.terminal.write(data)
        self.session.count("bytesIn", len(data))
        return True

    def _on_flag(self, message):
        if len(message.payload) != 4:
            self.session.violation("bad-flag",
                                   f"Flag payload of {len(message.payload)} "
                                   "bytes")
            return True
        flag = struct.unpack(">I", message.payload)[0]
        self.session.event("flag", value=flag)
        if flag == 2:
            threading.Thread(target=self.terminate, daemon=True,
                             args=("", "terminate-flag")).start()
        elif self.port is not None:
            self.port.on_flag(flag)
        return True

    # Terminal output.

    def _emit(self, data):
        """Cut terminal output into messages and send them, paced."""
        while data:
            cut = am.utf8_cut(data, am.CHUNK_SIZE)
            cut = self._split_utf8_fault(data, cut)
            chunk, data = data[:cut], data[cut:]
            self._wait_for_room()
            if self.stopped.is_set():
                return
            self._delay_first_output()
            payload = chunk
            if self.cipher is not None:
                payload = self.cipher.encrypt_to_client(chunk)
            self.send_stream(am.PT_OUTPUT, payload)
            self.session.count("bytesOut", len(chunk))
            self.first_output_sent = True
            pace = self.setting("pace")
            if pace > 0:
                time.sleep(pace)

    def _split_utf8_fault(self, data, cut):
        """Apply a split-utf8 rule: cut after a character's first byte."""
        piece = data[:cut]
        lead = next((i for i, b in enumerate(piece)
                     if am.sequence_length(b) > 1
                     and i + am.sequence_length(b) <= len(piece)), None)
        if lead is None:
            return cut
        rule = self.state.rules.take("utf8", self.session.id,
                                     self.session.task_arn)
        if rule is None:
            return cut
        record = self.session.fault("split-utf8", seq=self.next_seq)
        record["character"] = piece[lead:lead + am.sequence_length(
            piece[lead])].hex()
        return lead + 1

    def _delay_first_output(self):
        if self.first_output_sent:
            return
        delay = self.setting("first_output_delay")
        remaining = self.process_started + delay - time.monotonic()
        if remaining > 0:
            self.stopped.wait(remaining)

    def _wait_for_room(self):
        with self.lock:
            while (len(self.outgoing) >= self.setting("send_capacity")
                   and not self.stopped.is_set()):
                self.changed.wait(0.5)

    # Timers: retransmission, publication, reordering, pings, timeouts.

    def _timer_loop(self):
        while not self.stopped.wait(TICK):
            try:
                self._tick()
            except Exception:
                log.exception("session %s: agent timer failed",
                              self.session.id)

    def _tick(self):
        now = time.monotonic()
        terminate = None
        with self.lock:
            conn = self.conn
            if conn is not None:
                self.connected_time += TICK
            if self.paused_until is not None and now >= self.paused_until:
                self.paused_until = None
                if conn is not None:
                    conn.send(self._publication(am.START_PUBLICATION))
                self._flush_unsent()
            if self.held is not None and (
                    conn is None or now - self.held_since >= REORDER_WAIT):
                self._release_held(None)
            self._deliver_buffered()
            if self._connected():
                self._flush_unsent()
                self._retransmit(now)
                interval = self.setting("ping_interval")
                if interval > 0 and now - self.last_ping >= interval:
                    self.last_ping = now
                    conn.ping(b"keepalive")
            if self.handshake is not None and self.handshake.expired(now):
                terminate = self.handshake.timeout_output()
            idle = self.setting("idle_timeout")
            if (not self.closing and idle > 0
                    and now - self.last_input > idle):
                terminate = IDLE_TIMEOUT_OUTPUT
            detached = self.session.detached_at
            orphaned = (conn is None and detached is not None
                        and now - detached > self.setting("orphan_timeout"))
        if orphaned and not self.closing:
            self.session.gone = True
            self.terminate(None, "orphaned")
        elif terminate is not None:
            self.terminate(terminate, "timeout")

    def _retransmit(self, now):
        if not self.outgoing:
            return
        entry = next(iter(self.outgoing.values()))
        if entry.last_sent is None or now - entry.last_sent <= self.rto:
            return
        self.conn.send(entry.data)
        entry.sends += 1
        entry.last_sent = now
        entry.corrupt_only = False
        self.session.count("retransmissions")
        self.session.event("resend", seq=entry.message.sequence,
                           sends=entry.sends, rto=round(self.rto, 3))

    # The end.

    def finish(self):
        """End the session after the command exited, the agent's way.

        The remaining output waits up to drain_timeout for its acks, then
        channel_closed goes out. The wait counts only time with a client
        connected, so a client that resumes after a drop (within
        orphan_timeout) still receives everything.
        """
        with self.lock:
            if self.closing:
                return
            self.closing = True
            limit = self.setting("drain_timeout")
            start = self.connected_time
            deadline = time.monotonic() + self.setting("orphan_timeout")
            while (self.outgoing and not self.session.gone
                   and self.connected_time - start < limit
                   and time.monotonic() < deadline):
                self.changed.wait(TICK)
            unacked = len(self.outgoing)
        self.session.event("drained", unacked=unacked)
        self._close("" if not self.session.gone else None, "exited")

    def terminate(self, output, reason):
        """End the session now (TerminateSession, timeouts, failures).

        output None ends it without channel_closed.
        """
        with self.lock:
            if self.session.ended is not None:
                return
            self.closing = True
        self._kill()
        self._close(output, reason)

    def _close(self, output, reason):
        self._end(output, reason)
        self._kill()
        self._cleanup()

    def _end(self, output, reason):
        """Record the end and send channel_closed unless output is None."""
        with self.lock:
            if self.session.ended is not None:
                return
            self.closing = True
            conn = self.conn
            self.session.end(reason, output)
            if conn is not None and output is not None:
                message = am.channel_closed(self.session.id, output,
                                            self.session.target)
                conn.send(am.encode_service(message))
                self.session.event("send", type=am.CHANNEL_CLOSED,
                                   output=output)
                conn.close(1000, "")
            elif conn is not None:
                conn.drop()
            gap = next((sequence for sequence
                        in range(self.expected, max(self.buffered, default=0))
                        if sequence not in self.buffered), None)
            if gap is not None:
                self.session.violation(
                    "sequence-gap",
                    f"input {gap} never arrived; "
                    f"{len(self.buffered)} later messages are buffered")
            self.stopped.set()
            self.changed.notify_all()
            self.input_ready.notify_all()

    def _kill(self):
        if self.port is not None:
            self.port.stop()
        if self.terminal is not None:
            self.terminal.kill()
            self.session.process_exited(self.terminal.exit_status)

    def _cleanup(self):
        if self.terminal is not None:
            self.terminal.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def shutdown(self):
        """Stop everything when the daemon exits."""
        self.terminate(None, "shutdown")

