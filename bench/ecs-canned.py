#!/usr/bin/env python3
"""A fast fake ECS endpoint with generated, fixed replies (stdlib only).

It serves C clusters, each with N tasks and M services (each service
with K events), on 127.0.0.1. It pages List calls like the real service
(ListTasks and ListClusters by up to 100, ListServices by 10 unless
maxResults sets another size), rejects empty or oversized Describe calls,
and answers from pre-rendered JSON, so a benchmark measures the client
rather than the server. Signatures are not checked.

    ecs-canned.py --port-file FILE [--clusters C] [--tasks N]
                  [--services M] [--events K]

One cluster is named "bench" (--cluster); several are bench-1, bench-2...

GET /stats returns the number of calls per operation so far.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
LIST_DEFAULTS = {"ListClusters": 100, "ListTasks": 100, "ListServices": 10}
DESCRIBE_LIMITS = {"DescribeClusters": ("clusters", 100),
                   "DescribeTasks": ("tasks", 100),
                   "DescribeServices": ("services", 10)}
# Base time of every generated object (2026-01-01T00:00:00Z).
T0 = 1767225600.0


class Cluster:
    """The pre-rendered objects of one cluster."""

    def __init__(self, fixture, name, offset, args):
        prefix = f"arn:aws:ecs:{fixture.region}:{fixture.account}"
        self.name = name
        self.arn = f"{prefix}:cluster/{name}"
        self.task_arns = [f"{prefix}:task/{name}/{offset + i:032x}"
                          for i in range(1, args.tasks + 1)]
        self.tasks = {arn.rsplit("/", 1)[-1]:
                      json.dumps(fixture.task(self, arn, offset + i))
                      for i, arn in enumerate(self.task_arns)}
        self.service_arns = [f"{prefix}:service/{name}/svc-{i:03d}"
                             for i in range(1, args.services + 1)]
        self.services = {arn.rsplit("/", 1)[-1]:
                         json.dumps(fixture.service(self, arn, i,
                                                    args.events))
                         for i, arn in enumerate(self.service_arns)}
        self.doc = json.dumps({
            "clusterArn": self.arn, "clusterName": name, "status": "ACTIVE",
            "runningTasksCount": args.tasks, "pendingTasksCount": 0,
            "activeServicesCount": args.services,
            "registeredContainerInstancesCount": 0})


class Fixture:
    def __init__(self, args):
        self.region = args.region
        self.account = args.account
        self.td_arn = (f"arn:aws:ecs:{self.region}:{self.account}:"
                       f"task-definition/bench-app:1")
        names = [args.cluster] if args.clusters == 1 else [
            f"{args.cluster}-{k}" for k in range(1, args.clusters + 1)]
        self.clusters = {}
        for k, name in enumerate(names):
            self.clusters[name] = Cluster(self, name, k * args.tasks, args)
        self.cluster_arns = [c.arn for c in self.clusters.values()]

    def task(self, cluster, arn, i):
        task_id = arn.rsplit("/", 1)[-1]
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        containers = []
        for name, image in (("app", "nginx:1.25"), ("sidecar",
                                                    "busybox:1.36")):
            containers.append({
                "containerArn": f"arn:aws:ecs:{self.region}:"
                                f"{self.account}:container/{cluster.name}/"
                                f"{task_id}/{name}-{i:08d}",
                "taskArn": arn, "name": name,
                "image": f"public.ecr.aws/docker/library/{image}",
                "runtimeId": f"{task_id}-{i:010d}",
                "lastStatus": "RUNNING", "networkBindings": [],
                "networkInterfaces": [{"attachmentId": f"eni-att-{i:08d}",
                                       "privateIpv4Address": ip}],
                "healthStatus": "UNKNOWN",
                "managedAgents": [{"name": "ExecuteCommandAgent",
                                   "lastStatus": "RUNNING",
                                   "lastStartedAt": T0 + i}],
                "cpu": "0", "memory": "256"})
        return {
            "attachments": [{"id": f"eni-att-{i:08d}",
                             "type": "ElasticNetworkInterface",
                             "status": "ATTACHED",
                             "details": [{"name": "privateIPv4Address",
                                          "value": ip}]}],
            "availabilityZone": f"{self.region}a",
            "clusterArn": cluster.arn, "containers": containers,
            "cpu": "256", "memory": "512", "createdAt": T0 + i,
            "startedAt": T0 + i + 5, "desiredStatus": "RUNNING",
            "lastStatus": "RUNNING", "enableExecuteCommand": True,
            "group": "service:svc-001", "launchType": "FARGATE",
            "platformVersion": "1.4.0", "healthStatus": "UNKNOWN",
            "taskArn": arn, "taskDefinitionArn": self.td_arn,
            "version": 3, "tags": []}

    def service(self, cluster, arn, i, events):
        name = arn.rsplit("/", 1)[-1]
        # Newest first, as the service sends them.
        event_docs = [{"id": f"{i:04d}-{k:04d}",
                       "createdAt": T0 + 3600 * i + 60 * (events - k),
                       "message": f"(service {name}) has reached a steady "
                                  f"state. ({k})"}
                      for k in range(events)]
        return {
            "serviceArn": arn, "serviceName": name,
            "clusterArn": cluster.arn, "status": "ACTIVE",
            "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
            "launchType": "FARGATE", "taskDefinition": self.td_arn,
            "deployments": [{"id": f"ecs-svc/{1000 + i}",
                             "status": "PRIMARY",
                             "taskDefinition": self.td_arn,
                             "desiredCount": 2, "runningCount": 2,
                             "pendingCount": 0, "failedTasks": 0,
                             "createdAt": T0 + 3600 * i,
                             "updatedAt": T0 + 3600 * i + 60,
                             "rolloutState": "COMPLETED"}],
            "events": event_docs, "createdAt": T0 + 3600 * i,
            "enableExecuteCommand": True}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle and
    # delayed ACKs add about 40 ms to every reply.
    disable_nagle_algorithm = True
    fixture = None
    counts = {}
    lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, code, message):
        self.reply(400, json.dumps({"__type": code, "message": message}))

    def do_GET(self):
        if self.path != "/stats":
            self.reply(404, "{}")
            return
        with self.lock:
            self.reply(200, json.dumps(self.counts))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b"{}"
        target = self.headers.get("X-Amz-Target", "")
        operation = target[len(TARGET_PREFIX):] \
            if target.startswith(TARGET_PREFIX) else ""
        with self.lock:
            self.counts[operation] = self.counts.get(operation, 0) + 1
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            self.error("SerializationException", "invalid JSON body")
            return
        handler = getattr(self, "op_" + operation, None)
        if handler is None:
            self.error("UnknownOperationException",
                       f"operation {operation!r} is not served here")
            return
        handler(params)

    def find_cluster(self, params):
        name = (params.get("cluster") or "default").rsplit("/", 1)[-1]
        cluster = self.fixture.clusters.get(name)
        if cluster is None:
            self.error("ClusterNotFoundException", "Cluster not found.")
        return cluster

    def page(self, operation, params, key, items):
        size = params.get("maxResults") or LIST_DEFAULTS[operation]
        start = int(params.get("nextToken") or 0)
        doc = {key: items[start:start + size]}
        if start + size < len(items):
            doc["nextToken"] = str(start + size)
        self.reply(200, json.dumps(doc))

    def op_ListClusters(self, params):
        self.page("ListClusters", params, "clusterArns",
                  self.fixture.cluster_arns)

    def op_ListTasks(self, params):
        cluster = self.find_cluster(params)
        if cluster:
            items = cluster.task_arns
            if params.get("desiredStatus") == "STOPPED":
                items = []
            self.page("ListTasks", params, "taskArns", items)

    def op_ListServices(self, params):
        cluster = self.find_cluster(params)
        if cluster:
            self.page("ListServices", params, "serviceArns",
                      cluster.service_arns)

    def describe(self, operation, params, table, key):
        member, limit = DESCRIBE_LIMITS[operation]
        names = params.get(member) or []
        if not names or len(names) > limit:
            self.error("InvalidParameterException",
                       f"{member} must have 1 to {limit} items.")
            return
        found, failures = [], []
        for name in names:
            doc = table.get(name.rsplit("/", 1)[-1])
            if doc is None:
                failures.append({"arn": name, "reason": "MISSING"})
            else:
                found.append(doc)
        self.reply(200, '{"%s":[%s],"failures":%s}' % (
            key, ",".join(found), json.dumps(failures)))

    def op_DescribeClusters(self, params):
        table = {c.name: c.doc for c in self.fixture.clusters.values()}
        self.describe("DescribeClusters", params, table, "clusters")

    def op_DescribeTasks(self, params):
        cluster = self.find_cluster(params)
        if cluster:
            self.describe("DescribeTasks", params, cluster.tasks, "tasks")

    def op_DescribeServices(self, params):
        cluster = self.find_cluster(params)
        if cluster:
            self.describe("DescribeServices", params, cluster.services,
                          "services")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--cluster", default="bench")
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=0)
    parser.add_argument("--services", type=int, default=0)
    parser.add_argument("--events", type=int, default=0)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    args = parser.parse_args(argv)

    Handler.fixture = Fixture(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
