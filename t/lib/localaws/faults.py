"""Fault rules: which requests the front fails on purpose, and how.

A rule is a JSON object. Matching keys:
  op       operation name (ListClusters, AssumeRole, GetObject) or "*"
  service  SigV4 signing name (ecs, logs, sts, s3); any when absent
  match    object whose members must all equal the request's parameters
  skip     matching requests to let through before the rule applies (0)
  count    matching requests the rule applies to (1; -1 means every one)
Actions ("action"):
  error         reply with "status" (400), "code" and "message"
  throttle      400 ThrottlingException (query: Throttling, S3: 503 SlowDown)
  500, 503      shorthand for error with that status
  delay         forward normally, but wait "seconds" before answering
  reset         close the connection without a reply; with "bytes", send
                the headers and that many body bytes first, then reset
  truncate      send the headers and only "bytes" of the body (default
                half), then close the connection
  invalid-json  200 with a body cut in half, so it does not parse
  big-body      pad the reply to at least "bytes" bytes (a JSON object
                gets a "__padding" member, so it still parses)
  failures      Describe* only: move the items whose ARN is in "arns"
                (every item when absent) to failures with "reason"
                ("MISSING")
  pass          forward and reply normally (for "delay" or "date_offset")
  reply         JSON services: answer 200 with "body" (a JSON object)
                instead of moto, to script pages moto never returns
Any rule may also carry "delay" (seconds before answering) and
"date_offset" (seconds added to the Date header of its reply). error,
throttle, reply, 500 and 503 do not reach moto unless "forward" is true;
the other actions forward the request first, so it takes effect.
"""

import threading

ACTIONS = {"error", "throttle", "delay", "reset", "truncate",
           "invalid-json", "big-body", "failures", "pass", "reply"}
REPLY_WITHOUT_FORWARD = {"error", "throttle", "reply"}


class RuleError(ValueError):
    """A rule that cannot be used. The message names the invalid member."""


def _number(rule, key, default, minimum=0):
    value = rule.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleError(f"{key} must be a number, got {value!r}")
    if value < minimum:
        raise RuleError(f"{key} must be at least {minimum}, got {value}")
    return value


def normalize(rule):
    """Validate a rule object and return a copy with defaults filled in."""
    if not isinstance(rule, dict):
        raise RuleError("a rule must be a JSON object")
    rule = dict(rule)
    action = str(rule.get("action", "error" if "status" in rule else ""))
    if action.isdigit():
        rule.setdefault("status", int(action))
        action = "error"
    if action not in ACTIONS:
        raise RuleError(
            f"unknown action {action!r}; use one of {sorted(ACTIONS)}"
            " or an HTTP status")
    rule["action"] = action

    rule.setdefault("op", "*")
    if not isinstance(rule["op"], str):
        raise RuleError("op must be a string")
    if "match" in rule and not isinstance(rule["match"], dict):
        raise RuleError("match must be a JSON object")
    rule["count"] = int(_number(rule, "count", 1, minimum=-1))
    rule["skip"] = int(_number(rule, "skip", 0))
    delay = _number(rule, "delay", _number(rule, "seconds", 0))
    rule["delay"] = float(delay)
    rule["date_offset"] = float(_number(rule, "date_offset", 0,
                                        minimum=-10**9))

    if action == "error":
        rule["status"] = int(_number(rule, "status", 400, minimum=100))
    if action in ("reset", "truncate", "big-body"):
        size = _number(rule, "bytes", None)
        rule["bytes"] = None if size is None else int(size)
    if action == "big-body" and rule["bytes"] is None:
        raise RuleError("big-body needs bytes")
    if action == "reply" and not isinstance(rule.get("body"), dict):
        raise RuleError("reply needs body, a JSON object")
    if action == "failures":
        arns = rule.get("arns")
        if arns is not None and not isinstance(arns, list):
            raise RuleError("arns must be a list of strings")
        rule.setdefault("reason", "MISSING")
    rule.setdefault("forward", action not in REPLY_WITHOUT_FORWARD)
    return rule


def matches(rule, call):
    if rule["op"] not in ("*", call.operation):
        return False
    if rule.get("service") and rule["service"] != call.service:
        return False
    required = rule.get("match")
    if required:
        params = call.params if isinstance(call.params, dict) else {}
        for key, value in required.items():
            if params.get(key) != value:
                return False
    return True


class RuleSet:
    """Rules in the order they were added; the first usable match wins."""

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

    def take(self, call):
        """Return a copy of the rule that applies to this call, or None."""
        with self._lock:
            for rule in self._rules:
                if rule["count"] >= 0 and rule["used"] >= rule["count"]:
                    continue
                if not matches(rule, call):
                    continue
                if rule["skip"] > 0:
                    rule["skip"] -= 1
                    continue
                rule["used"] += 1
                return dict(rule)
        return None
