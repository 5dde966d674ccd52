"""Make moto 5.2's ECS replies behave like the real service where it matters.

Where moto differs from the real service:
- List* calls return everything in one page and ignore maxResults and
  nextToken.
- Describe* calls accept any number of items.
- A task lists only its first container, whose taskArn is the task
  definition's ARN, with no runtimeId and no managedAgents.
- Tasks and services never report enableExecuteCommand.
- Task IDs and cluster names match as substrings, so one cluster's calls
  see another's tasks.
- ListTasks ignores serviceName and lists stopped tasks by default;
  ListTaskDefinitions matches familyPrefix exactly.
The front forwards each ECS call to moto unchanged, so moto still checks
signatures and raises its own errors, and rewrites the replies here.
"""

import base64
import hashlib
import json
import threading
import time
import uuid

from . import deploy, motoview

# List operations: result member and default page size. The real service
# pages ListServices by 10 and the others by up to 100.
LIST_OPS = {
    "ListClusters": ("clusterArns", 100),
    "ListServices": ("serviceArns", 10),
    "ListTasks": ("taskArns", 100),
    "ListContainerInstances": ("containerInstanceArns", 100),
    "ListTaskDefinitions": ("taskDefinitionArns", 100),
    "ListTaskDefinitionFamilies": ("families", 100),
}
MAX_RESULTS = 100

# Describe operations: request member, maximum items, the service's message
# for an empty list and for too many items. The DescribeServices,
# DescribeTasks and DescribeContainerInstances messages are the ones AWS
# returns, as quoted from real error output in public GitHub issues.
# NOTE: the DescribeClusters message is not verified against AWS.
DESCRIBE_LIMITS = {
    "DescribeClusters": ("clusters", 100, None,
                         "clusters can have at most 100 items."),
    "DescribeServices": ("services", 10, "Services cannot be empty.",
                         "service names can have at most 10 items."),
    "DescribeTasks": ("tasks", 100, "Tasks cannot be empty.",
                      "taskIds can have at most 100 items."),
    "DescribeContainerInstances": (
        "containerInstances", 100, "Container instance cannot be empty.",
        "instanceIds can have at most 100 items."),
}

# Result list and ARN member of each Describe reply, for failure injection.
DESCRIBE_RESULTS = {
    "DescribeClusters": ("clusters", "clusterArn"),
    "DescribeServices": ("services", "serviceArn"),
    "DescribeTasks": ("tasks", "taskArn"),
    "DescribeContainerInstances": ("containerInstances",
                                   "containerInstanceArn"),
}

# Container lastStatus for each moto task lastStatus.
CONTAINER_STATUS = {
    "PROVISIONING": "PENDING", "PENDING": "PENDING", "ACTIVATING": "PENDING",
    "RUNNING": "RUNNING", "DEACTIVATING": "RUNNING", "STOPPING": "RUNNING",
    "DEPROVISIONING": "STOPPED", "STOPPED": "STOPPED",
}


class EcsError(Exception):
    """An error the real service would return: code and message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message):
    return EcsError("InvalidParameterException", message)


def _params_digest(operation, params):
    rest = {k: v for k, v in params.items()
            if k not in ("nextToken", "maxResults")}
    text = json.dumps([operation, rest], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_token(operation, params, offset, last_item):
    """Return an opaque nextToken for the page starting at offset."""
    doc = {"op": operation, "h": _params_digest(operation, params),
           "o": offset, "k": last_item}
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token, operation, params, items):
    """Return the offset a nextToken points at, or raise EcsError.

    The token stores the offset and the last item of the previous page. If
    items were added or removed since, paging resumes after that item.
    """
    # NOTE: the real service's message for a bad token is not verified.
    bad = invalid("Invalid nextToken.")
    if not isinstance(token, str):
        raise bad
    try:
        padded = token + "=" * (-len(token) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(doc["o"])
        last_item = doc["k"]
        digest = doc["h"]
        token_operation = doc["op"]
    except (ValueError, KeyError, TypeError):
        raise bad from None
    if token_operation != operation:
        raise bad
    if digest != _params_digest(operation, params):
        raise invalid("The nextToken was created with different request "
                      "parameters.")
    if 0 < offset <= len(items) and items[offset - 1] == last_item:
        return offset
    if last_item in items:
        return items.index(last_item) + 1
    return min(max(offset, 0), len(items))


def page_of(operation, params, items):
    """Return (page, nextToken or None) for a full result list."""
    _, default_size = LIST_OPS[operation]
    size = params.get("maxResults")
    if size is not None:
        if (isinstance(size, bool) or not isinstance(size, int)
                or not 1 <= size <= MAX_RESULTS):
            # NOTE: message text not verified against the real service.
            raise invalid(f"maxResults must be between 1 and {MAX_RESULTS}, "
                          f"got {size}.")
    else:
        size = default_size

    start = 0
    token = params.get("nextToken")
    # An empty token is treated as absent, as on a first page.
    if token not in (None, ""):
        start = decode_token(token, operation, params, items)
    page = items[start:start + size]
    if start + size < len(items):
        return page, encode_token(operation, params, start + size, page[-1])
    return page, None


def check_describe(operation, params):
    """Raise EcsError when a Describe call has no items or too many."""
    key, limit, empty_message, too_many_message = DESCRIBE_LIMITS[operation]
    items = params.get(key)
    if not items:
        # DescribeClusters without clusters describes the default cluster.
        # NOTE: whether AWS also accepts an explicit empty list is not
        # verified. It is accepted here.
        if empty_message is None:
            return
        raise invalid(empty_message)
    if isinstance(items, list) and len(items) > limit:
        raise invalid(too_many_message)


def _short_id(arn):
    return arn.rsplit("/", 1)[-1]


def _task_listed(task, params):
    """Check a moto Task against ListTasks' status, service, launch type."""
    requested_status = params.get("desiredStatus") or "RUNNING"
    if getattr(task, "desired_status", "RUNNING") != requested_status:
        return False
    service = params.get("serviceName")
    if service and getattr(task, "group", "") != "service:" + _short_id(
            service):
        return False
    launch_type = params.get("launchType")
    if launch_type and getattr(task, "launch_type", "") != launch_type:
        return False
    return True


class EcsFixer:
    """Per-front ECS state (exec flags, task times) and reply rewriting."""

    def __init__(self, settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._exec_tasks = set()
        self._exec_services = {}
        self._task_times = {}
        self.deployments = deploy.Deployments(settings)

    def reset(self):
        with self._lock:
            self._exec_tasks.clear()
            self._exec_services.clear()
            self._task_times.clear()
        self.deployments.reset()

    def apply(self, call, reply):
        """Rewrite moto's reply in place, or raise EcsError to reject.

        Authentication failures (401, 403) pass unchanged, as the real
        service checks signatures before parameters. Validation runs on
        moto's other errors too, because moto fails some invalid Describe
        calls with a 500 of its own.
        """
        if reply.status in (401, 403):
            return
        params = call.params if isinstance(call.params, dict) else {}
        operation = call.operation
        if operation in DESCRIBE_LIMITS and self.settings["ecs_validation"]:
            check_describe(operation, params)
        if operation == "StopTask" and reply.status == 500:
            # moto raises a bare exception for a task it does not know.
            # NOTE: the real message is quoted from memory, not verified.
            raise invalid("The referenced task was not found.")
        if not 200 <= reply.status < 300:
            return
        doc = reply.json()
        if doc is None:
            return
        self._track(operation, params, doc)

        if operation in LIST_OPS and self.settings["ecs_paging"]:
            self._page(call, params, doc)
        if operation == "DescribeTasks":
            self._filter_described_tasks(call, params, doc)
        if operation in ("DescribeServices", "CreateService",
                         "UpdateService", "DeleteService"):
            self._add_service_exec_flags(doc)
            if self.settings["deployments"]:
                self.deployments.apply(operation, params, doc)
        if self.settings["task_shapes"]:
            for task in doc.get("tasks") or []:
                self._reshape_task(task)
            if isinstance(doc.get("task"), dict):
                self._reshape_task(doc["task"])
        reply.set_json(doc)

    def _track(self, operation, params, doc):
        now = round(time.time(), 3)
        with self._lock:
            for task in doc.get("tasks") or []:
                arn = task.get("taskArn", "")
                self._task_times.setdefault(arn, now)
                if (operation in ("RunTask", "StartTask")
                        and params.get("enableExecuteCommand")):
                    self._exec_tasks.add(arn)
            service = doc.get("service")
            if (operation in ("CreateService", "UpdateService")
                    and isinstance(service, dict)
                    and "enableExecuteCommand" in params):
                self._exec_services[service.get("serviceArn")] = bool(
                    params["enableExecuteCommand"])

    def _page(self, call, params, doc):
        key, _ = LIST_OPS[call.operation]
        items = self._full_list(call, params, list(doc.get(key) or []))
        page, token = page_of(call.operation, params, items)
        doc[key] = page
        doc.pop("nextToken", None)
        if token is not None:
            doc["nextToken"] = token

    def _full_list(self, call, params, items):
        if call.operation == "ListTasks":
            return self._filter_task_list(params, items)
        if call.operation == "ListTaskDefinitions":
            return self._task_definition_list(call, params, items)
        if call.operation == "ListServices":
            # moto matches the cluster name as a substring of its keys.
            cluster = _short_id(params.get("cluster") or "default")
            return [arn for arn in items
                    if arn.count("/") < 2 or arn.split("/")[-2] == cluster]
        return items

    def _filter_task_list(self, params, arns):
        """Apply the ListTasks filters moto gets wrong or ignores."""
        if not arns:
            return arns
        cluster = _short_id(params.get("cluster") or "default")
        parsed = motoview.parse_arn(arns[0])
        cluster_arn = (f"arn:aws:ecs:{parsed[0]}:{parsed[1]}:cluster/"
                       f"{cluster}") if parsed else ""
        # Tasks of other clusters are missing here, so they are dropped.
        tasks = motoview.task_objects(cluster_arn) or {}
        return [arn for arn in arns
                if arn in tasks and _task_listed(tasks[arn], params)]

    def _task_definition_list(self, call, params, arns):
        """List with familyPrefix as a prefix, sorted as ECS sorts."""
        region = call.region or motoview.DEFAULT_REGION
        account = motoview.account_for(call.access_key_id)
        status = params.get("status") or "ACTIVE"
        found = motoview.task_definition_arns(account, region, status)
        if found is None:
            return arns
        prefix = params.get("familyPrefix")
        if prefix:
            found = [f for f in found if f[0].startswith(prefix)]
        found.sort(key=lambda f: (f[0], f[1]),
                   reverse=params.get("sort") == "DESC")
        return [f[2] for f in found]

    def _filter_described_tasks(self, call, params, doc):
        """Drop tasks of other clusters and report missing ones as failures."""
        requested = params.get("tasks") or []
        cluster = _short_id(params.get("cluster") or "default")
        described = []
        found = set()
        for task in doc.get("tasks") or []:
            arn = task.get("taskArn", "")
            if _short_id(task.get("clusterArn", "")) != cluster:
                continue
            names = {arn, _short_id(arn)}
            if not names.intersection(requested):
                continue
            described.append(task)
            found.update(names)
        doc["tasks"] = described

        region = call.region or motoview.DEFAULT_REGION
        account = motoview.account_for(call.access_key_id)
        failures = list(doc.get("failures") or [])
        for item in requested:
            if item in found:
                continue
            arn = item if item.startswith("arn:") else (
                f"arn:aws:ecs:{region}:{account}:task/{cluster}/{item}")
            failures.append({"arn": arn, "reason": "MISSING"})
        doc["failures"] = failures

    def _add_service_exec_flags(self, doc):
        services = list(doc.get("services") or [])
        if isinstance(doc.get("service"), dict):
            services.append(doc["service"])
        with self._lock:
            for service in services:
                service.setdefault("enableExecuteCommand",
                                   self._exec_services.get(
                                       service.get("serviceArn"), False))

    def _reshape_task(self, task):
        arn = task.get("taskArn", "")
        with self._lock:
            exec_enabled = arn in self._exec_tasks
            created = self._task_times.setdefault(arn, round(time.time(), 3))
        task.setdefault("enableExecuteCommand", exec_enabled)
        task.setdefault("createdAt", created)
        status = task.get("lastStatus", "RUNNING")
        if status not in ("PROVISIONING", "PENDING", "ACTIVATING"):
            task.setdefault("startedAt", created)

        definition = motoview.task_definition(
            task.get("taskDefinitionArn", ""))
        if definition is None:
            for container in task.get("containers") or []:
                container["taskArn"] = arn
            return
        for key in ("cpu", "memory"):
            value = getattr(definition, key, None)
            if value is not None:
                task.setdefault(key, str(value))
        task["containers"] = [
            self._container(task, spec, exec_enabled)
            for spec in definition.container_definitions
        ]

    def _container(self, task, spec, exec_enabled):
        """Build one container entry of a task from its definition."""
        arn = task.get("taskArn", "")
        task_id = _short_id(arn)
        name = spec.get("name", "")
        parsed = motoview.parse_arn(arn)
        region, account = (parsed[0], parsed[1]) if parsed else ("", "")
        cluster = _short_id(task.get("clusterArn", ""))
        key = f"{arn}/{name}"
        digits = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**10
        status = CONTAINER_STATUS.get(task.get("lastStatus"), "RUNNING")

        container = {
            "containerArn": (f"arn:aws:ecs:{region}:{account}:container/"
                             f"{cluster}/{task_id}/"
                             f"{uuid.uuid5(uuid.NAMESPACE_URL, key)}"),
            "taskArn": arn,
            "name": name,
            "image": spec.get("image", ""),
            "runtimeId": f"{task_id}-{digits:010d}",
            "lastStatus": status,
            "networkBindings": [],
            "networkInterfaces": self._network_interfaces(task),
            "healthStatus": "HEALTHY" if spec.get("healthCheck")
            else "UNKNOWN",
            "cpu": str(spec.get("cpu", 0)),
        }
        for field in ("memory", "memoryReservation"):
            if spec.get(field) is not None:
                container[field] = str(spec[field])
        if status == "STOPPED":
            container["exitCode"] = 0
        if exec_enabled:
            agent = {"name": "ExecuteCommandAgent",
                     "lastStatus": status if status != "PENDING"
                     else "PENDING"}
            if "startedAt" in task:
                agent["lastStartedAt"] = task["startedAt"]
            container["managedAgents"] = [agent]
        return container

    @staticmethod
    def _network_interfaces(task):
        interfaces = []
        for attachment in task.get("attachments") or []:
            if attachment.get("type") != "ElasticNetworkInterface":
                continue
            details = {d.get("name"): d.get("value")
                       for d in attachment.get("details") or []}
            entry = {"attachmentId": attachment.get("id", "")}
            if details.get("privateIPv4Address"):
                entry["privateIpv4Address"] = details["privateIPv4Address"]
            interfaces.append(entry)
        return interfaces


def inject_failures(operation, doc, arns, reason):
    """Move Describe result items whose ARN is listed into failures."""
    if operation not in DESCRIBE_RESULTS:
        return
    key, arn_key = DESCRIBE_RESULTS[operation]
    remaining = []
    failures = list(doc.get("failures") or [])
    for item in doc.get(key) or []:
        arn = item.get(arn_key, "")
        if arns is None or arn in arns or _short_id(arn) in arns:
            failures.append({"arn": arn, "reason": reason})
        else:
            remaining.append(item)
    doc[key] = remaining
    doc["failures"] = failures
