"""ECS Exec in the local AWS: the API calls, the session records, settings.

moto has no ExecuteCommand and no Session Manager, so the front handles
these calls itself instead of forwarding them:
  ecs ExecuteCommand   checks the task the way ECS does (using moto's state
                       and the task shapes of ecs.py) and creates a session
                       whose streamUrl points at the front's data channel
  ssm StartSession     creates a session; for the port forwarding
                       documents it checks the target and the port like
                       the service, and the agent forwards (portfwd.py)
  ssm ResumeSession    a new token for the same session, or no token once
                       the session has ended
  ssm TerminateSession ends the session: channel_closed, then the socket
                       closes
These calls skip moto, so moto checks no signature on them in --auth mode.

Every session is recorded (ids, task, container, command, times, client
id and version, byte and message counters, protocol violations of the
client, applied faults) for the tests, through `t/local-aws ctl exec-*`.
"""

import base64
import collections
import hashlib
import hmac
import logging
import secrets
import tempfile
import threading
import time
import urllib.parse
import uuid

from . import awsproto, chanfaults, motoview, portfwd

log = logging.getLogger("local-aws")

DATA_CHANNEL_PREFIX = "/v1/data-channel/"
EXEC_SESSION_PREFIX = "ecs-execute-command-"
EVENT_LIMIT = 5000
VIOLATION_LIMIT = 1000

# Session settings: `exec-set NAME=VALUE` changes them for every session
# that has no value of its own, `exec-set --session ID` for one session.
DEFAULT_SETTINGS = {
    # Seconds after the command starts during which Size and keystroke
    # messages are rejected (not acknowledged), as while the agent's pty
    # is not ready.
    "warmup": 0.3,
    # Seconds between the command's start and its first output message
    # (the agent waits about a second).
    "first_output_delay": 0.0,
    # Seconds slept after each output message (the agent sleeps 1 ms).
    "pace": 0.001,
    # Seconds to wait for acknowledgements after the command exited.
    "drain_timeout": 2.0,
    # Seconds between WebSocket pings to the client; 0 sends none.
    "ping_interval": 30.0,
    "answer_pings": True,
    # Seconds without client input before the session ends as idle.
    "idle_timeout": 1200.0,
    # Seconds a session without a connection waits for a resume.
    "orphan_timeout": 300.0,
    "handshake": "none",
    "handshake_timeout": 15.0,
    "agent_version": "3.3.1142.0",
    "kms_key_id": "",
    # ExecuteCommand fails with TargetNotConnectedException always, or for
    # this many seconds after the task started.
    "target_not_connected": False,
    "agent_connect_delay": 0.0,
    # False: ResumeSession reports every session as ended.
    "resumable": True,
    # How ResumeSession reports an ended session: "empty" returns
    # TokenValue and StreamUrl as "", "absent" leaves them out.
    "gone_token": "empty",
    "reorder_capacity": 100000,
    "send_capacity": 100000,
}
CHOICES = {
    "handshake": ("none", "plain", "kms", "unknown-action"),
    "gone_token": ("empty", "absent"),
}

# Messages the real service returns, quoted from public error reports.
NOT_ENABLED_MESSAGE = (
    "The execute command failed because execute command was not enabled "
    "when the task was run or the execute command agent isn\u2019t running. "
    "Wait and try again or run a new task with execute command enabled and "
    "try again.")
NOT_CONNECTED_MESSAGE = ("The execute command failed due to an internal "
                         "error. Try again later.")
TASK_LENGTH_MESSAGE = "task length should be one of [32,36]"
# NOTE: these messages are not verified against the real service.
INTERACTIVE_MESSAGE = "Interactive is the only mode supported currently."
TASK_NOT_FOUND_MESSAGE = "The specified task was not found."
NEED_CONTAINER_MESSAGE = ("The task has more than one container; specify "
                          "the container name.")
NO_SUCH_CONTAINER_MESSAGE = ("The specified container {name} was not found "
                             "in the task.")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ControlError(ValueError):
    """A control command that cannot be carried out."""


def invalid(message):
    return ApiError(400, "InvalidParameterException", message)


def _short(arn):
    return str(arn).rsplit("/", 1)[-1]


def _copy_port(record):
    if record is None:
        return None
    doc = dict(record)
    doc["targets"] = [dict(t) for t in record["targets"]]
    return doc


def _token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_settings(changes):
    """Validate NAME: VALUE changes and return them converted.

    Each value takes the type of the setting's default (an integer given
    for a float setting becomes a float).
    """
    if not isinstance(changes, dict):
        raise ControlError("settings must be a JSON object")
    checked = {}
    for key, value in changes.items():
        if key not in DEFAULT_SETTINGS:
            raise ControlError(f"unknown exec setting {key!r}; known: "
                               f"{', '.join(sorted(DEFAULT_SETTINGS))}")
        default = DEFAULT_SETTINGS[key]
        converted = _convert_setting(key, default, value)
        if converted is None:
            raise ControlError(f"exec setting {key} must be "
                               f"{_expected_setting(key, default)}, got "
                               f"{value!r}")
        checked[key] = converted
    return checked


def _convert_setting(key, default, value):
    """Return value in the type of default, or None when it does not fit."""
    if isinstance(default, bool):
        return value if isinstance(value, bool) else None
    if isinstance(default, (int, float)):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or value < 0):
            return None
        if isinstance(default, float):
            return float(value)
        return int(value) if value == int(value) else None
    if not isinstance(value, str):
        return None
    if key in CHOICES and value not in CHOICES[key]:
        return None
    return value


def _expected_setting(key, default):
    if key in CHOICES:
        return f"one of {', '.join(CHOICES[key])}"
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, float):
        return "a number >= 0"
    if isinstance(default, int):
        return "an integer >= 0"
    return "a string"


def _check_port_parameters(document, parameters):
    """Raise ApiError unless the port document's parameters are usable."""
    # NOTE: the code and wording of these errors are not verified.
    required = ["portNumber"]
    if document == portfwd.PORT_DOCUMENTS[1]:
        required.append("host")
    for key in required:
        value = (parameters or {}).get(key)
        if (not isinstance(value, list) or len(value) != 1
                or not isinstance(value[0], str) or not value[0]):
            raise ApiError(400, "InvalidParameters",
                           f"Parameter {key} is required by {document} "
                           "as a list of one string.")
    for key in ("portNumber", "localPortNumber"):
        value = (parameters or {}).get(key)
        if value is None:
            continue
        text = value[0] if isinstance(value, list) and value else ""
        if not (isinstance(text, str) and text.isdigit()
                and 0 <= int(text) <= 65535
                and (key == "localPortNumber" or int(text) > 0)):
            raise ApiError(400, "InvalidParameters",
                           f"Parameter {key} has the invalid value "
                           f"{value!r}; expected a port number.")


class Session:
    """One Session Manager session and everything the tests may ask."""

    def __init__(self, state, kind, session_id, **fields):
        self.state = state
        self.kind = kind
        self.id = session_id
        self.lock = threading.Lock()
        self.overrides = {}
        self.created = time.time()
        self.cluster_arn = fields.get("cluster_arn", "")
        self.task_arn = fields.get("task_arn", "")
        self.container_name = fields.get("container_name", "")
        self.container_arn = fields.get("container_arn", "")
        self.runtime_id = fields.get("runtime_id", "")
        self.target = fields.get("target", "")
        self.command = fields.get("command", "")
        self.document = fields.get("document")
        self.parameters = fields.get("parameters")
        self.account = fields.get("account", motoview.DEFAULT_ACCOUNT)
        self.region = fields.get("region", motoview.DEFAULT_REGION)
        self.stream_url = fields.get("stream_url", "")
        self.tokens = {}
        self.tokens_issued = 0
        self.resumes = 0
        self.agent = None
        self.connections = []
        self.client_id = None
        self.client_version = None
        self.client_version_handshake = None
        self.detached_at = None
        self.gone = False
        self.ended = None
        self.end_reason = None
        self.closed_output = None
        self.exit_status = None
        self.pid = None
        self.argv = None
        self.cwd = None
        self.sizes = []
        self.handshake = None
        self.port = None
        self.counters = collections.Counter()
        self.violations = []
        self.faults = []
        self.events = collections.deque(maxlen=EVENT_LIMIT)
        self.event("created", kind=kind)

    # Settings and records used by the agent and the connections.

    def setting(self, name):
        if name in self.overrides:
            return self.overrides[name]
        return self.state.settings[name]

    def event(self, name, **fields):
        fields["t"] = round(time.time(), 6)
        fields["event"] = name
        self.events.append(fields)

    def count(self, name, amount=1):
        with self.lock:
            self.counters[name] += amount

    def violation(self, kind, detail):
        entry = {"t": round(time.time(), 6), "kind": kind, "detail": detail}
        with self.lock:
            logged = len(self.violations) < VIOLATION_LIMIT
            if logged:
                self.violations.append(entry)
            self.counters["violations"] += 1
        if logged:
            log.info("session %s: client protocol violation: %s: %s",
                     self.id, kind, detail)
        self.event("violation", kind=kind, detail=detail)

    def fault(self, action, **fields):
        """Record an applied fault; the returned dict collects outcomes."""
        record = {"t": round(time.time(), 6), "action": action}
        record.update(fields)
        with self.lock:
            self.faults.append(record)
        self.event("fault", action=action, **fields)
        return record

    def process_started(self, pid, argv, cwd):
        self.pid, self.argv, self.cwd = pid, argv, cwd
        self.event("process-started", pid=pid, argv=argv)

    def process_exited(self, status):
        if self.exit_status is not None or status is None:
            return
        self.exit_status = status
        self.event("process-exited", status=status)

    def size_applied(self, cols, rows):
        self.sizes.append({"cols": cols, "rows": rows,
                           "t": round(time.time(), 6)})

    def end(self, reason, output):
        self.ended = time.time()
        self.end_reason = reason
        self.closed_output = output
        self.event("ended", reason=reason, output=output)

    # Tokens and connections.

    def issue_token(self):
        """Return a new token; every older token stops working."""
        token = base64.b64encode(secrets.token_bytes(120)).decode()
        with self.lock:
            for digest in self.tokens:
                self.tokens[digest] = "revoked"
            self.tokens[_token_digest(token)] = "valid"
            self.tokens_issued += 1
        return token

    def use_token(self, token):
        """Return None when token is valid and unused, else the reason."""
        digest = _token_digest(str(token))
        with self.lock:
            for known, status in self.tokens.items():
                if hmac.compare_digest(known, digest):
                    if status == "valid":
                        self.tokens[known] = "used"
                        return None
                    return f"token already {status}"
        return "unknown token"

    def alive(self):
        return self.ended is None and not self.gone

    def attach(self, conn):
        from .agent import Agent

        with self.lock:
            self.client_id = conn.client_id
            self.client_version = conn.client_version
            self.connections.append(conn.record)
            self.detached_at = None
            if self.agent is None:
                self.agent = Agent(self, self.state)
        self.event("connected", requestId=conn.request_id)
        self.agent.attach(conn)

    def detach(self, conn):
        if self.agent is not None and self.agent.detach(conn):
            with self.lock:
                self.detached_at = time.monotonic()
            self.event("disconnected", requestId=conn.request_id)

    def terminate(self, output, reason):
        if self.agent is not None:
            self.agent.terminate(output, reason)
        elif self.ended is None:
            self.end(reason, None)

    def record(self, events=False):
        with self.lock:
            doc = {
                "sessionId": self.id,
                "kind": self.kind,
                "state": self._state_name(),
                "clusterArn": self.cluster_arn,
                "taskArn": self.task_arn,
                "containerName": self.container_name,
                "containerArn": self.container_arn,
                "runtimeId": self.runtime_id,
                "target": self.target,
                "command": self.command,
                "document": self.document,
                "parameters": self.parameters,
                "streamUrl": self.stream_url,
                "created": round(self.created, 6),
                "ended": self.ended and round(self.ended, 6),
                "endReason": self.end_reason,
                "closedOutput": self.closed_output,
                "exitStatus": self.exit_status,
                "pid": self.pid,
                "argv": self.argv,
                "cwd": self.cwd,
                "clientId": self.client_id,
                "clientVersion": self.client_version,
                "handshakeClientVersion": self.client_version_handshake,
                "tokensIssued": self.tokens_issued,
                "resumes": self.resumes,
                "connections": [dict(c) for c in self.connections],
                "sizes": list(self.sizes),
                "handshake": self.handshake,
                "port": _copy_port(self.port),
                "counters": dict(self.counters),
                "violations": list(self.violations),
                "faults": [dict(f) for f in self.faults],
                "settings": dict(self.overrides),
            }
        if events:
            doc["events"] = list(self.events)
        return doc

    def _state_name(self):
        if self.ended is not None:
            return "ended"
        if self.gone:
            return "gone"
        if self.agent is None:
            return "created"
        return "connected" if self.detached_at is None else "disconnected"


class ExecState:
    """Sessions, settings and data channel faults of one front."""

    def __init__(self, front_state):
        self.front = front_state
        self.lock = threading.Lock()
        self.sessions = collections.OrderedDict()
        self.settings = dict(DEFAULT_SETTINGS)
        self.rules = chanfaults.ChannelRuleSet()
        self.rejected = collections.deque(maxlen=1000)
        self.scratch_root = tempfile.gettempdir()

    def get(self, session_id):
        with self.lock:
            return self.sessions.get(session_id)

    def reject(self, record):
        """Remember a connection that failed before it joined a session."""
        self.rejected.append(record)

    # API calls.

    def answer(self, call, port):
        """Return the front's reply to an exec API call, None for others."""
        if call.protocol != "json":
            return None
        handler = None
        if call.service == "ecs" and call.operation == "ExecuteCommand":
            handler = self._execute_command
        elif call.service == "ssm":
            handler = {
                "StartSession": self._start_session,
                "ResumeSession": self._resume_session,
                "TerminateSession": self._terminate_session,
            }.get(call.operation)
        if handler is None:
            return None
        params = call.params if isinstance(call.params, dict) else None
        try:
            if params is None:
                raise ApiError(400, "SerializationException",
                               "request body is not a JSON object")
            doc = handler(call, params, port)
        except ApiError as err:
            return awsproto.error_reply(call, err.status, err.code,
                                        err.message)
        except Exception:
            log.exception("%s failed", call.operation)
            return awsproto.error_reply(
                call, 500, "InternalFailure",
                f"local-aws failed on {call.operation}; see the daemon log")
        reply = awsproto.Reply(200, [
            ("Content-Type", f"application/x-amz-json-{call.json_version}"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ])
        reply.set_json(doc)
        return reply

    def _new_session(self, kind, session_id, port, **fields):
        cell = base64.b64encode(secrets.token_bytes(33)).decode()
        url = (f"ws://127.0.0.1:{port}{DATA_CHANNEL_PREFIX}{session_id}"
               f"?role=publish_subscribe&cell-number="
               f"{urllib.parse.quote(cell, safe='')}")
        session = Session(self, kind, session_id, stream_url=url, **fields)
        token = session.issue_token()
        with self.lock:
            self.sessions[session_id] = session
        return session, token

    def _execute_command(self, call, params, port):
        for key in ("task", "command"):
            if not isinstance(params.get(key), str) or not params[key]:
                # NOTE: the real service's wording is not verified.
                raise invalid(f"{key} must be a non-empty string.")
        if params.get("interactive") is not True:
            raise invalid(INTERACTIVE_MESSAGE)
        region = call.region or motoview.DEFAULT_REGION
        account = motoview.account_for(call.access_key_id)
        task = self._describe_task(account, region, params)
        container = self._pick_container(task, params.get("container"))

        agent = next((a for a in container.get("managedAgents") or []
                      if a.get("name") == "ExecuteCommandAgent"), None)
        if (task.get("lastStatus") != "RUNNING"
                or not task.get("enableExecuteCommand")
                or agent is None or agent.get("lastStatus") != "RUNNING"):
            raise invalid(NOT_ENABLED_MESSAGE)
        started = task.get("startedAt") or task.get("createdAt") or 0
        if (self.settings["target_not_connected"]
                or time.time() - started
                < self.settings["agent_connect_delay"]):
            raise ApiError(400, "TargetNotConnectedException",
                           NOT_CONNECTED_MESSAGE)

        cluster_arn = task["clusterArn"]
        task_arn = task["taskArn"]
        session_id = EXEC_SESSION_PREFIX + secrets.token_hex(9)[:17]
        target = (f"ecs:{_short(cluster_arn)}_{_short(task_arn)}_"
                  f"{container.get('runtimeId', '')}")
        session, token = self._new_session(
            "ecs-exec", session_id, port, cluster_arn=cluster_arn,
            task_arn=task_arn, container_name=container["name"],
            container_arn=container.get("containerArn", ""),
            runtime_id=container.get("runtimeId", ""), target=target,
            command=params["command"], account=account, region=region)
        return {
            "clusterArn": cluster_arn,
            "containerArn": session.container_arn,
            "containerName": session.container_name,
            "interactive": True,
            "taskArn": task_arn,
            "session": {"sessionId": session_id,
                        "streamUrl": session.stream_url,
                        "tokenValue": token},
        }

    def _describe_task(self, account, region, params):
        """Return the task as DescribeTasks shows it, or raise ApiError."""
        backend = motoview.ecs_backend(account, region)
        if backend is None:
            raise ApiError(500, "ServerException",
                           "local-aws: moto's ECS state cannot be read")
        cluster = _short(params.get("cluster") or "default")
        if cluster not in backend.clusters:
            raise ApiError(400, "ClusterNotFoundException",
                           "Cluster not found.")
        task_id = _short(params["task"])
        if len(task_id) not in (32, 36):
            raise invalid(TASK_LENGTH_MESSAGE)
        found = None
        for arn, task in dict(backend.tasks.get(cluster, {})).items():
            if _short(arn) == task_id:
                found = task
        if found is None:
            raise invalid(TASK_NOT_FOUND_MESSAGE)
        doc = {
            "taskArn": found.task_arn,
            "clusterArn": found.cluster_arn,
            "lastStatus": found.last_status,
            "desiredStatus": found.desired_status,
            "taskDefinitionArn": found.task_definition_arn,
            "attachments": list(found.attachments),
        }
        # The shapes DescribeTasks returns through the front: containers
        # with runtimeId and managedAgents, enableExecuteCommand, times.
        self.front.ecs._reshape_task(doc)
        return doc

    @staticmethod
    def _pick_container(task, name):
        containers = task.get("containers") or []
        if name:
            for container in containers:
                if container.get("name") == name:
                    return container
            raise invalid(NO_SUCH_CONTAINER_MESSAGE.format(name=name))
        if len(containers) != 1:
            raise invalid(NEED_CONTAINER_MESSAGE)
        return containers[0]

    def _start_session(self, call, params, port):
        target = params.get("Target")
        if not isinstance(target, str) or not 1 <= len(target) <= 400:
            raise ApiError(400, "ValidationException",
                           "Target must be a string of 1 to 400 characters.")
        owner = call.access_key_id or "local-aws"
        session_id = f"{owner}-{secrets.token_hex(9)[:17]}"
        document = params.get("DocumentName") or "SSM-SessionManagerRunShell"
        account = motoview.account_for(call.access_key_id)
        region = call.region or motoview.DEFAULT_REGION
        fields = {}
        if document in portfwd.PORT_DOCUMENTS:
            _check_port_parameters(document, params.get("Parameters"))
            fields = self._port_target(account, region, target)
        session, token = self._new_session(
            "start-session", session_id, port, target=target,
            document=document, parameters=params.get("Parameters"),
            account=account, region=region, **fields)
        return {"SessionId": session_id, "TokenValue": token,
                "StreamUrl": session.stream_url}

    def _port_target(self, account, region, target):
        """Return the task fields of an ecs: target, or raise ApiError.

        A target is "ecs:CLUSTER_TASKID_RUNTIMEID". Cluster names may
        contain "_", task ids and runtime ids do not.
        """
        # NOTE: the wording is the one of a not-connected instance, not
        # verified for ECS targets.
        not_connected = ApiError(400, "TargetNotConnected",
                                 f"{target} is not connected.")
        parts = target[4:].rsplit("_", 2) if target.startswith("ecs:") \
            else []
        if len(parts) != 3 or not all(parts):
            raise not_connected
        cluster, task_id, runtime_id = parts
        try:
            task = self._describe_task(account, region,
                                       {"cluster": cluster, "task": task_id})
        except ApiError:
            raise not_connected from None
        container = next((c for c in task.get("containers") or []
                          if c.get("runtimeId") == runtime_id), None)
        agent = next((a for a in (container or {}).get("managedAgents") or []
                      if a.get("name") == "ExecuteCommandAgent"), None)
        if (container is None or task.get("lastStatus") != "RUNNING"
                or agent is None or agent.get("lastStatus") != "RUNNING"
                or self.settings["target_not_connected"]):
            raise not_connected
        return {"cluster_arn": task["clusterArn"],
                "task_arn": task["taskArn"],
                "container_name": container.get("name", ""),
                "container_arn": container.get("containerArn", ""),
                "runtime_id": runtime_id}

    def task_stopped(self, task_arn):
        """End the sessions of a task that StopTask stopped.

        The agent inside the task goes away, so its sessions end.
        """
        with self.lock:
            sessions = [s for s in self.sessions.values()
                        if s.task_arn == task_arn and s.alive()]
        for session in sessions:
            session.event("task-stopped")
            # NOTE: what the service sends when the task's agent goes
            # away is not known. An empty channel_closed is used because
            # the plugin reports it as a plain exit.
            session.terminate("", "task-stopped")

    def _session_param(self, params):
        session_id = params.get("SessionId")
        if not isinstance(session_id, str) or not session_id:
            raise ApiError(400, "ValidationException",
                           "SessionId must be a non-empty string.")
        return session_id, self.get(session_id)

    def _resume_session(self, call, params, port):
        session_id, session = self._session_param(params)
        if session is None:
            # NOTE: the real service's code and wording are not verified.
            raise ApiError(400, "DoesNotExistException",
                           f"Session {session_id} does not exist.")
        session.event("resume-requested")
        if not session.alive() or not session.setting("resumable"):
            if session.setting("gone_token") == "empty":
                return {"SessionId": session_id, "TokenValue": "",
                        "StreamUrl": ""}
            return {"SessionId": session_id}
        session.resumes += 1
        return {"SessionId": session_id, "TokenValue": session.issue_token(),
                "StreamUrl": session.stream_url}

    def _terminate_session(self, call, params, port):
        session_id, session = self._session_param(params)
        if session is not None:
            session.event("terminate-requested")
            session.terminate("", "terminated")
        return {"SessionId": session_id}

    # Control commands (t/local-aws ctl exec-...).

    def control(self, command):
        name = command["cmd"]
        handler = getattr(self, "_cmd_" + name.replace("-", "_"), None)
        if handler is None:
            raise ControlError(f"unknown command {name!r}")
        return handler(command)

    def _session_or_error(self, session_id):
        session = self.get(session_id)
        if session is None:
            raise ControlError(f"no session {session_id!r}; list them with "
                               "exec-sessions")
        return session

    def _cmd_exec_sessions(self, command):
        with self.lock:
            sessions = list(self.sessions.values())
        return {"sessions": [s.record() for s in sessions],
                "rejected": list(self.rejected)}

    def _cmd_exec_session(self, command):
        session = self._session_or_error(command.get("session"))
        return {"session": session.record(events=True)}

    def _cmd_exec_fault(self, command):
        try:
            return {"id": self.rules.add(command.get("rule"))}
        except chanfaults.RuleError as err:
            raise ControlError(f"invalid exec fault rule: {err}") from None

    def _cmd_exec_faults(self, command):
        return {"faults": self.rules.list()}

    def _cmd_exec_clear_faults(self, command):
        self.rules.clear()
        return {}

    def _cmd_exec_set(self, command):
        changes = check_settings(command.get("settings"))
        if command.get("session"):
            session = self._session_or_error(command["session"])
            session.overrides.update(changes)
            return {"settings": {k: session.setting(k)
                                 for k in DEFAULT_SETTINGS}}
        self.settings.update(changes)
        return {"settings": dict(self.settings)}

    def _cmd_exec_settings(self, command):
        if command.get("session"):
            session = self._session_or_error(command["session"])
            return {"settings": {k: session.setting(k)
                                 for k in DEFAULT_SETTINGS}}
        return {"settings": dict(self.settings)}

    def _cmd_exec_terminate(self, command):
        session = self._session_or_error(command.get("session"))
        session.terminate("", "terminated")
        return {}

    def _cmd_exec_reset(self, command):
        self.reset()
        return {}

    def reset(self):
        """End every session and forget sessions, rules and settings."""
        self.shutdown()
        with self.lock:
            self.sessions.clear()
        self.rules.clear()
        self.rejected.clear()
        self.settings.clear()
        self.settings.update(DEFAULT_SETTINGS)

    def shutdown(self):
        with self.lock:
            sessions = list(self.sessions.values())
        for session in sessions:
            if session.ended is None:
                session.terminate(None, "shutdown")


# Command line of `t/local-aws ctl exec-...`.

CTL_USAGE = """\
exec-sessions | exec-session ID | exec-faults | exec-clear-faults
| exec-fault [--session ID] [--task T] [--skip N] [--count N] ACTION [ARG]
  [KEY=VALUE...] | exec-fault RULE_JSON
| exec-set [--session ID] NAME=VALUE... | exec-settings [--session ID]
| exec-terminate ID | exec-reset"""

# The positional argument each fault action takes, if any.
FAULT_POSITIONAL = {
    "split-frames": ("pieces", int), "far-ahead": ("distance", int),
    "unknown-type": ("type", str), "pause": ("seconds", float),
    "stall": ("seconds", float), "close": ("code", int),
}


def _json_or_text(value):
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value


def _take_options(name, words, allowed):
    options = {}
    while words and words[0].startswith("--"):
        option = words.pop(0)
        if option not in allowed or not words:
            raise ValueError(f"{name}: unknown option or missing value: "
                             f"{option}")
        key, convert = allowed[option]
        try:
            options[key] = convert(words.pop(0))
        except ValueError as err:
            raise ValueError(f"{name}: invalid value for {option}: {err}") \
                from None
    return options


def parse_ctl(words):
    """Turn `exec-... ARGS` words into a control command object.

    Raise ValueError with a usage message when the words do not parse.
    """
    import json

    name, words = words[0], list(words[1:])
    if name in ("exec-sessions", "exec-faults", "exec-clear-faults",
                "exec-reset") and not words:
        return {"cmd": name}
    if name in ("exec-session", "exec-terminate") and len(words) == 1:
        return {"cmd": name, "session": words[0]}
    if name in ("exec-set", "exec-settings"):
        command = {"cmd": name}
        command.update(_take_options(name, words,
                                     {"--session": ("session", str)}))
        settings = {}
        for word in words:
            key, sep, value = word.partition("=")
            if not sep:
                raise ValueError(f"{name}: expected NAME=VALUE, got {word!r}")
            settings[key] = _json_or_text(value)
        if name == "exec-set":
            if not settings:
                raise ValueError("exec-set: expected NAME=VALUE")
            command["settings"] = settings
        elif settings:
            raise ValueError("exec-settings takes no NAME=VALUE")
        return command
    if name == "exec-fault":
        if len(words) == 1 and words[0].startswith("{"):
            return {"cmd": name, "rule": json.loads(words[0])}
        rule = _take_options(name, words, {
            "--session": ("session", str), "--task": ("task", str),
            "--skip": ("skip", int), "--count": ("count", int)})
        if not words:
            raise ValueError("exec-fault: expected an ACTION")
        rule["action"] = action = words.pop(0)
        if words and "=" not in words[0] and action in FAULT_POSITIONAL:
            key, convert = FAULT_POSITIONAL[action]
            rule[key] = convert(words.pop(0))
            if action == "close" and words and "=" not in words[0]:
                rule["reason"] = " ".join(words)
                words = []
        for word in words:
            key, sep, value = word.partition("=")
            if not sep:
                raise ValueError(f"exec-fault: unexpected argument {word!r}")
            rule[key] = _json_or_text(value)
        return {"cmd": name, "rule": rule}
    raise ValueError(f"cannot parse {' '.join([name] + words)!r}; "
                     f"use:\n{CTL_USAGE}")
