"""The optional agent handshake of an ECS Exec session, with KMS encryption.

ECS Exec sessions normally skip the handshake. The local AWS can run one on
request (the handshake setting):
  plain           HandshakeRequest with SessionType InteractiveCommands only
  kms             SessionType plus KMSEncryption with the kms_key_id setting
                  and a Challenge; then EncChallengeRequest/Response and
                  AES-256-GCM on Output payloads
  unknown-action  SessionType plus an action type that no client supports;
                  a correct client replies to it with an ActionStatus
                  other than 1, and the agent then ends the session
Port forwarding sessions always run one, with SessionType Port and the
document's properties (mode port, which no setting selects).
Any ActionStatus other than 1 ends the session with channel_closed, as the
agent treats it as fatal; so does a missing response after
handshake_timeout seconds.

For KMS the agent decrypts the client's KMSCipherTextKey with moto's KMS
(same process) and the encryption context the agent uses, so a client that
passes the wrong context fails here as it would against AWS.
"""

import base64
import json
import logging
import os
import threading
import time

from . import agentmsg as am
from . import portfwd

log = logging.getLogger("local-aws")

UNKNOWN_ACTION = "LocalAwsUnknownAction"
# NOTE: only the "----------ERROR-------" first line is known from real
# output; the rest of these texts is the local AWS's own.
ERROR_PREFIX = "----------ERROR-------\n"
KMS_MESSAGE = "This session is encrypted using AWS KMS."


class SessionCipher:
    """AES-256-GCM with the two halves of the 64-byte data key.

    Bytes 0-31 encrypt agent-to-client payloads, bytes 32-63 client-to-agent
    ones. A blob is nonce (12) + ciphertext + tag (16), with no associated
    data.
    """

    def __init__(self, data_key):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(data_key) != 64:
            raise ValueError(f"data key of {len(data_key)} bytes, expected "
                             "64")
        self.to_client = AESGCM(data_key[:32])
        self.from_client = AESGCM(data_key[32:])

    def encrypt_to_client(self, data):
        nonce = os.urandom(12)
        return nonce + self.to_client.encrypt(nonce, bytes(data), None)

    def decrypt_from_client(self, blob):
        from cryptography.exceptions import InvalidTag

        if len(blob) < 28:
            raise ValueError(f"encrypted payload of {len(blob)} bytes is "
                             "shorter than nonce and tag")
        try:
            return self.from_client.decrypt(bytes(blob[:12]), bytes(blob[12:]),
                                            None)
        except InvalidTag:
            raise ValueError("payload does not decrypt with the "
                             "client-to-agent key") from None


def moto_decrypt(account, region, blob, context):
    """Decrypt a KMS ciphertext with moto's in-process KMS backend."""
    from moto.kms.models import kms_backends

    plaintext, _ = kms_backends[account][region].decrypt(
        ciphertext_blob=blob, encryption_context=context)
    return plaintext


class Handshake:
    """Handshake state of one session; the Agent holds its lock around it."""

    def __init__(self, agent, mode):
        self.agent = agent
        self.session = agent.session
        self.mode = mode
        self.started = None
        self.deadline = None
        self.challenge = None
        self.cipher = None
        self.expect_challenge = None
        self.failed = False
        self.actions = []

    def start(self):
        agent = self.agent
        actions = [{
            "ActionType": "SessionType",
            "ActionParameters": {"SessionType": "InteractiveCommands",
                                 "Properties": None},
        }]

        if self.mode == "port":
            actions[0]["ActionParameters"] = {
                "SessionType": "Port",
                "Properties": portfwd.properties(self.session.document,
                                                 self.session.parameters),
            }
        if self.mode == "kms":
            self.challenge = base64.b64encode(os.urandom(16)).decode()
            actions.append({
                "ActionType": "KMSEncryption",
                "ActionParameters": {
                    "KMSKeyId": agent.setting("kms_key_id"),
                    "Challenge": self.challenge,
                },
            })
        if self.mode == "unknown-action":
            actions.append({"ActionType": UNKNOWN_ACTION,
                            "ActionParameters": {"Value": "1"}})
        self.actions = [a["ActionType"] for a in actions]
        request = {"AgentVersion": agent.setting("agent_version"),
                   "RequestedClientActions": actions}
        self.started = time.monotonic()
        self.deadline = self.started + agent.setting("handshake_timeout")
        self.session.handshake = {"mode": self.mode, "request": request,
                                  "response": None, "result": "pending"}
        agent.send_stream(am.PT_HANDSHAKE_REQUEST, _json(request))
        agent.first_output_sent = True

    def expired(self, now):
        return not self.failed and self.deadline is not None \
            and now > self.deadline

    def timeout_output(self):
        self.failed = True
        self.session.handshake["result"] = "timed out"
        return HANDSHAKE_TIMEOUT_TEXT

    def on_message(self, message):
        if message.payload_type == am.PT_HANDSHAKE_RESPONSE:
            self._on_response(message)
        else:
            self._on_challenge_response(message)

    def _fail(self, detail):
        self.failed = True
        self.deadline = None
        self.session.handshake["result"] = "failed: " + detail
        self.session.event("handshake-failed", detail=detail)
        threading.Thread(target=self.agent.terminate, daemon=True,
                         args=(ERROR_PREFIX + detail, "handshake-failed"),
                         name="agent-handshake").start()

    def _on_response(self, message):
        session = self.session
        doc = message.json()
        session.handshake["response"] = doc
        if self.failed or self.expect_challenge is not None:
            session.violation("handshake-response-again",
                              "HandshakeResponse after the first one")
            return
        if not isinstance(doc, dict):
            session.violation("bad-handshake-response",
                              "HandshakeResponse is not a JSON object")
            self._fail("Encountered error while reading the handshake "
                       "response.")
            return

        session.client_version_handshake = doc.get("ClientVersion")
        processed = [p for p in doc.get("ProcessedClientActions") or []
                     if isinstance(p, dict)]
        failure = self._check_actions(processed)
        if failure:
            self._fail(failure)
        elif self.mode == "kms":
            self._start_encryption(processed)
        else:
            self._complete(None, "")

    def _check_actions(self, processed):
        """Return why the processed actions fail the handshake, or None."""
        session = self.session
        types = [p.get("ActionType") for p in processed]
        if types != self.actions:
            session.violation("handshake-actions",
                              f"ProcessedClientActions {types} do not match "
                              f"the requested {self.actions}")
        if UNKNOWN_ACTION in self.actions and UNKNOWN_ACTION not in types:
            return f"{UNKNOWN_ACTION} was not answered"

        failure = None
        for item in processed:
            status = item.get("ActionStatus")
            action = item.get("ActionType")
            if action == UNKNOWN_ACTION and status == 1:
                session.violation("unknown-action-accepted",
                                  "the client reported success for an "
                                  "unknown action type")
            elif status != 1 and failure is None:
                failure = f"{action} failed on client with status {status}"
                if item.get("Error"):
                    failure += f": {item['Error']}"
        return failure

    def _start_encryption(self, processed):
        session = self.session
        result = {}
        for item in processed:
            if isinstance(item, dict) and item.get("ActionType") == \
                    "KMSEncryption":
                result = item.get("ActionResult") or {}
        context = {"aws:ssm:SessionId": session.id,
                   "aws:ssm:TargetId": session.target}
        if result.get("ChallengeAcknowledgement"):
            context["aws:ssm:RandomChallenge"] = self.challenge
        try:
            blob = base64.b64decode(result.get("KMSCipherTextKey") or "",
                                    validate=True)
            data_key = moto_decrypt(session.account, session.region, blob,
                                    context)
            self.cipher = SessionCipher(data_key)
        except Exception as err:
            session.violation("kms-data-key",
                              f"KMSCipherTextKey does not decrypt with "
                              f"context {context}: {err}")
            self._fail("KMSEncryption failed: the data key does not "
                       "decrypt with the session's encryption context.")
            return
        secret = os.urandom(64)
        self.expect_challenge = secret
        challenge = base64.b64encode(
            self.cipher.encrypt_to_client(secret)).decode()
        self.agent.send_stream(am.PT_ENC_CHALLENGE_REQUEST,
                               _json({"Challenge": challenge}))

    def _on_challenge_response(self, message):
        session = self.session
        if self.expect_challenge is None or self.failed:
            session.violation("unexpected-challenge-response",
                              "EncChallengeResponse without a request")
            return
        doc = message.json()
        try:
            blob = base64.b64decode(doc["Challenge"], validate=True)
            answer = self.cipher.decrypt_from_client(blob)
        except (TypeError, KeyError, ValueError) as err:
            self._fail(f"Encryption challenge failed: {err}")
            return
        if answer != self.expect_challenge:
            self._fail("Encryption challenge failed: the answer does not "
                       "match.")
            return
        self._complete(self.cipher, KMS_MESSAGE)

    def _complete(self, cipher, customer_message):
        self.deadline = None
        elapsed = int((time.monotonic() - self.started) * 1e9)
        self.session.handshake["result"] = "complete"
        self.agent.handshake_done(cipher, _json({
            "HandshakeTimeToComplete": elapsed,
            "CustomerMessage": customer_message,
        }))


HANDSHAKE_TIMEOUT_TEXT = ("Handshake timed out. Please ensure that you have "
                          "the latest version of the session manager "
                          "plugin.")


def _json(doc):
    return json.dumps(doc, separators=(",", ":")).encode()
