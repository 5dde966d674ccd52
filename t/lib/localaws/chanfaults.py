"""Fault rules for the Session Manager data channel of the local AWS.

A rule is a JSON object, like the HTTP fault rules of faults.py. Matching
keys:
  session  session id; any session when absent
  task     task id or ARN of the session; any when absent
  skip     matching events to let through before the rule applies (0)
  count    events the rule applies to (1; -1 means every one)

Each action hooks one kind of event and counts only those:

output events: each output_stream_data message the agent sends for the
first time (retransmissions are not counted)
  drop            do not send it; the retransmission timer resends it
  duplicate       send it twice
  reorder         hold it back and send it right after the next one (or
                  after 0.5 s when no next one comes)
  corrupt-digest  send it with a wrong PayloadDigest; the retransmission
                  carries the right one
  split-frames    send it as "pieces" WebSocket fragments (3), with a ping
                  between the first two unless "ping" is false
  far-ahead       first send a copy numbered "distance" (100000) beyond the
                  next sequence number; that number is never used again
  unknown-type    first send an unsequenced message of type "type"
                  (unknown_message_type)
  session-state   first send an agent_session_state message
  pause           first send pause_publication, then for "seconds" (2)
                  send nothing, resend nothing and drop the client's stream
                  messages and acks; then send start_publication
  stall           for "seconds" (0: until the connection ends) send
                  nothing, not even pongs, and drop everything received
  close           do not send it; close the WebSocket with "code" (1000)
                  and "reason" ("Bye"), or drop the TCP connection without
                  a Close frame when "tcp" is true. With "resume" false the
                  session ends too, so ResumeSession returns no token
ack events: each acknowledge the agent sends
  drop-ack        do not send it
connect events: each connection that passed the token check
  start-publication  send start_publication before anything else
utf8 events: each output chunk that contains a multi-byte UTF-8 character
  split-utf8      cut the chunk inside that character, so the character
                  spans two messages
"""

import threading

EVENTS = {
    "drop": "output", "duplicate": "output", "reorder": "output",
    "corrupt-digest": "output", "split-frames": "output",
    "far-ahead": "output", "unknown-type": "output",
    "session-state": "output", "pause": "output", "stall": "output",
    "close": "output",
    "drop-ack": "ack",
    "start-publication": "connect",
    "split-utf8": "utf8",
}

# Defaults of each action's arguments.
ARGUMENTS = {
    "split-frames": {"pieces": 3, "ping": True},
    "far-ahead": {"distance": 100000},
    "unknown-type": {"type": "unknown_message_type"},
    "pause": {"seconds": 2.0},
    "stall": {"seconds": 0.0},
    "close": {"code": 1000, "reason": "Bye", "tcp": False, "resume": True},
}


class RuleError(ValueError):
    """A rule that cannot be used. The message names the invalid member."""


def _check_type(rule, key, kinds, name):
    value = rule[key]
    if (isinstance(value, bool) and bool not in kinds) \
            or not isinstance(value, kinds):
        raise RuleError(f"{key} must be {name}, got {value!r}")


def normalize(rule):
    """Validate a rule object and return a copy with defaults filled in."""
    if not isinstance(rule, dict):
        raise RuleError("a rule must be a JSON object")
    rule = dict(rule)
    action = rule.get("action")
    if action not in EVENTS:
        raise RuleError(f"unknown action {action!r}; use one of "
                        f"{', '.join(sorted(EVENTS))}")
    rule["event"] = EVENTS[action]

    for key, default in ARGUMENTS.get(action, {}).items():
        rule.setdefault(key, default)
        kinds = (type(default),)
        if isinstance(default, float):
            kinds = (int, float)
        _check_type(rule, key, kinds, type(default).__name__)

    rule.setdefault("skip", 0)
    rule.setdefault("count", 1)
    for key, minimum in (("skip", 0), ("count", -1)):
        _check_type(rule, key, (int,), "an integer")
        if rule[key] < minimum:
            raise RuleError(f"{key} must be at least {minimum}")
    for key in ("session", "task"):
        if rule.get(key) is not None:
            _check_type(rule, key, (str,), "a string")

    if action == "split-frames" and rule["pieces"] < 2:
        raise RuleError("pieces must be at least 2")
    if action == "far-ahead" and rule["distance"] < 1:
        raise RuleError("distance must be at least 1")
    if action == "close" and not (1000 <= rule["code"] < 5000):
        raise RuleError("code must be a WebSocket close code (1000-4999)")
    return rule


def _matches(rule, event, session_id, task_arn):
    if rule["event"] != event:
        return False
    if rule.get("session") and rule["session"] != session_id:
        return False
    task = rule.get("task")
    if task and task != task_arn and not task_arn.endswith("/" + task):
        return False
    return True


class ChannelRuleSet:
    """Rules in the order they were added; the first match in use wins."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next_id = 1

    def add(self, rule):
        rule = normalize(rule)
        with self._lock:
            rule["id"] = self._next_id
            rule["used"] = 0
            self._next_id += 1
            self._rules.append(rule)
        return rule["id"]

    def clear(self):
        with self._lock:
            self._rules = []

    def list(self):
        with self._lock:
            return [dict(rule) for rule in self._rules]

    def take(self, event, session_id, task_arn):
        """Return a copy of the rule that applies to this event, or None."""
        with self._lock:
            for rule in self._rules:
                if rule["count"] >= 0 and rule["used"] >= rule["count"]:
                    continue
                if not _matches(rule, event, session_id, task_arn):
                    continue
                if rule["skip"] > 0:
                    rule["skip"] -= 1
                    continue
                rule["used"] += 1
                return dict(rule)
        return None
