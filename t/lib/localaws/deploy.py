"""Service deployments that roll out over time, for tests of --wait.

moto keeps one PRIMARY deployment per service whose rolloutState stays
IN_PROGRESS, never adds a deployment when the task definition changes and
stores UpdateService's taskDefinition as given (not as an ARN). With the
front setting `deployments=true` this module replaces the deployments,
taskDefinition and counts of every CreateService, UpdateService and
DescribeServices reply with its own model of an ECS rolling update:

- A service first seen here is steady: one PRIMARY deployment, COMPLETED,
  every desired task running.
- UpdateService with another task definition, or with
  forceNewDeployment, adds a new PRIMARY deployment (IN_PROGRESS) and
  makes the old ones ACTIVE. Over `deploy_seconds` the new deployment's
  runningCount rises to its desiredCount while the old ones drain; then it
  is COMPLETED and the old ones are gone.
- With `deploy_outcome=FAILED` at the time of the update, the new
  deployment starts no task and after `deploy_seconds` is FAILED, as the
  deployment circuit breaker reports it without rollback. The old
  deployments keep running.
- A desiredCount change alone moves runningCount of the PRIMARY
  deployment to the new count over `deploy_seconds`, with no new
  deployment, as ECS scales a service.

Progress is computed from the clock on every reply, so nothing runs in the
background.
"""

import secrets
import threading
import time

from . import motoview

OUTCOMES = ("COMPLETED", "FAILED")
# The reason the circuit breaker gives, as ECS words it.
# NOTE: quoted from memory of the console and not verified against AWS.
FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."


def _now():
    return round(time.time(), 3)


def _new_id():
    return f"ecs-svc/{secrets.randbelow(10**19):019d}"


class Rollout:
    """The deployments of one service, newest first, with private state."""

    def __init__(self, service):
        first = (service.get("deployments") or [{}])[0]
        desired = int(service.get("desiredCount") or 0)
        now = _now()
        self.desired = desired
        self.deployments = [{
            "id": first.get("id") or _new_id(),
            "status": "PRIMARY",
            "taskDefinition": service.get("taskDefinition"),
            "desiredCount": desired,
            "pendingCount": 0,
            "runningCount": desired,
            "failedTasks": 0,
            "createdAt": first.get("createdAt") or now,
            "updatedAt": first.get("updatedAt") or now,
            "launchType": first.get("launchType")
            or service.get("launchType"),
            "networkConfiguration": first.get("networkConfiguration"),
            "rolloutState": "COMPLETED",
            "rolloutStateReason": "ECS deployment "
            f"{first.get('id') or ''} completed.",
        }]
        for key in ("platformVersion", "platformFamily"):
            if first.get(key):
                self.deployments[0][key] = first[key]
        # Private progress state, keyed by deployment id.
        self.progress = {self.deployments[0]["id"]: {
            "kind": "steady", "start": time.monotonic(), "from": desired,
            "outcome": "COMPLETED"}}

    def start(self, outcome):
        """Turn the only deployment into one that is still rolling out."""
        primary = self.deployments[0]
        primary.update(runningCount=0, pendingCount=self.desired,
                       rolloutState="IN_PROGRESS",
                       rolloutStateReason=f"ECS deployment {primary['id']} "
                       "in progress.")
        self.progress[primary["id"]] = {"kind": "new",
                                        "start": time.monotonic(),
                                        "outcome": outcome}

    def deploy(self, task_definition, outcome):
        """Start a new PRIMARY deployment; the others become ACTIVE."""
        now = _now()
        primary = self.deployments[0]
        for old in self.deployments:
            old["status"] = "ACTIVE"
            self.progress[old["id"]]["drain_from"] = old["runningCount"]
        new = dict(primary)
        new.update({
            "id": _new_id(), "status": "PRIMARY",
            "taskDefinition": task_definition,
            "desiredCount": self.desired, "pendingCount": self.desired,
            "runningCount": 0, "failedTasks": 0,
            "createdAt": now, "updatedAt": now,
            "rolloutState": "IN_PROGRESS",
        })
        new["rolloutStateReason"] = f"ECS deployment {new['id']} in progress."
        self.deployments.insert(0, new)
        self.progress[new["id"]] = {"kind": "new",
                                    "start": time.monotonic(),
                                    "outcome": outcome}

    def scale(self, desired):
        """Change the desired count of the PRIMARY deployment."""
        primary = self.deployments[0]
        state = self.progress[primary["id"]]
        self.desired = desired
        primary["desiredCount"] = desired
        primary["updatedAt"] = _now()
        if state["kind"] == "new" and primary["rolloutState"] == \
                "IN_PROGRESS":
            return
        state.update(kind="scale", start=time.monotonic(),
                     **{"from": primary["runningCount"]})

    def advance(self, seconds):
        """Bring every count and state up to the current time."""
        primary = self.deployments[0]
        state = self.progress[primary["id"]]
        if seconds <= 0:
            done = 1.0
        else:
            done = min(1.0, (time.monotonic() - state["start"]) / seconds)
        desired = primary["desiredCount"]
        before = (primary["runningCount"], primary["rolloutState"])
        if state["kind"] == "scale":
            start = state["from"]
            running = round(start + (desired - start) * done)
            primary["runningCount"] = running
            primary["pendingCount"] = max(0, desired - running)
        elif state["kind"] == "new" and state["outcome"] == "FAILED":
            self._advance_failing(primary, done)
        elif state["kind"] == "new":
            self._advance_rolling(primary, done)
        if (primary["runningCount"], primary["rolloutState"]) != before:
            primary["updatedAt"] = _now()

    def _advance_rolling(self, primary, done):
        desired = primary["desiredCount"]
        primary["runningCount"] = int(desired * done)
        primary["pendingCount"] = desired - primary["runningCount"]
        for old in self.deployments[1:]:
            start = self.progress[old["id"]].get("drain_from", 0)
            old["runningCount"] = round(start * (1 - done))
            old["desiredCount"] = old["runningCount"]
            old["pendingCount"] = 0
        if done >= 1 and primary["rolloutState"] == "IN_PROGRESS":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = (f"ECS deployment "
                                             f"{primary['id']} completed.")
            for old in self.deployments[1:]:
                self.progress.pop(old["id"], None)
            del self.deployments[1:]

    def _advance_failing(self, primary, done):
        desired = primary["desiredCount"]
        primary["runningCount"] = 0
        primary["failedTasks"] = int(desired * done)
        primary["pendingCount"] = desired if done < 1 else 0
        if done >= 1 and primary["rolloutState"] == "IN_PROGRESS":
            primary["rolloutState"] = "FAILED"
            primary["rolloutStateReason"] = FAILED_REASON

    def render(self, service):
        """Write the model into a service object of a reply."""
        primary = self.deployments[0]
        service["deployments"] = [dict(d) for d in self.deployments]
        service["taskDefinition"] = primary["taskDefinition"]
        service["desiredCount"] = self.desired
        service["runningCount"] = sum(d["runningCount"]
                                      for d in self.deployments)
        service["pendingCount"] = sum(d["pendingCount"]
                                      for d in self.deployments)


def task_definition_arn(service_arn, name):
    """Return name as a task definition ARN in the service's account."""
    if not name or name.startswith("arn:"):
        return name
    parsed = motoview.parse_arn(service_arn)
    if parsed is None:
        return name
    region, account = parsed[0], parsed[1]
    if ":" not in name:
        found = motoview.task_definition_arns(account, region, "ACTIVE")
        revisions = [f for f in found or [] if f[0] == name]
        if revisions:
            return max(revisions, key=lambda f: f[1])[2]
        return name
    return f"arn:aws:ecs:{region}:{account}:task-definition/{name}"


class Deployments:
    """Rollouts of every service the front has seen, by service ARN."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._rollouts = {}

    def reset(self):
        with self._lock:
            self._rollouts.clear()

    def apply(self, operation, params, doc):
        """Rewrite the services of one reply (the setting is on)."""
        seconds = self.settings["deploy_seconds"]
        with self._lock:
            if operation == "DeleteService":
                service = doc.get("service") or {}
                self._rollouts.pop(service.get("serviceArn"), None)
                return
            services = list(doc.get("services") or [])
            if isinstance(doc.get("service"), dict):
                services.append(doc["service"])
            for service in services:
                arn = service.get("serviceArn")
                if not arn:
                    continue
                rollout = self._rollouts.get(arn)
                if rollout is None:
                    rollout = self._rollouts[arn] = Rollout(service)
                    if operation == "CreateService":
                        rollout.start(self._outcome())
                if operation == "UpdateService":
                    self._update(rollout, service, params)
                rollout.advance(seconds)
                rollout.render(service)

    def _outcome(self):
        outcome = self.settings["deploy_outcome"]
        return outcome if outcome in OUTCOMES else "COMPLETED"

    def _update(self, rollout, service, params):
        desired = params.get("desiredCount")
        if isinstance(desired, int) and not isinstance(desired, bool):
            rollout.scale(desired)
        primary = rollout.deployments[0]
        wanted = params.get("taskDefinition")
        arn = task_definition_arn(service.get("serviceArn", ""), wanted) \
            if wanted else primary["taskDefinition"]
        if arn != primary["taskDefinition"] or params.get(
                "forceNewDeployment"):
            rollout.deploy(arn, self._outcome())
