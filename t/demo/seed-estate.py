#!/usr/bin/env python3
"""Seed the local AWS with the demo estate and print a summary as JSON.

Two clusters, the way a team that keeps production closed runs them:

  prod  services web and api, two tasks each, ECS Exec disabled
  ops   service worker, two tasks, ECS Exec enabled, exec sessions
        audited to the CloudWatch log group /ecs/ops/exec-audit

Every task runs two containers that log through awslogs, and every
container has log events from the last few minutes. One more worker task
was stopped with an out-of-memory reason, for the "tasks stopped out of
memory" example.

Requests go to $AWS_ENDPOINT_URL with the seed header, like t/local-aws
seed, so they stay out of the front's request log.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)),
                                "..", "lib"))

from localaws.seed import Seeder  # noqa: E402

REGION = os.environ.get("AWS_REGION", "us-east-1")
AUDIT_GROUP = "/ecs/ops/exec-audit"

# Real ECS puts this text in the container's reason, and the task's
# stoppedReason is "Essential container in task exited". moto keeps no container reasons, so
# the demo puts it in the task's stoppedReason through StopTask.
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"

# family -> (cluster, ECS Exec enabled, [(container, image, messages)])
ESTATE = {
    "web": ("prod", False, [
        ("nginx", "public.ecr.aws/nginx/nginx:1.25", [
            '10.0.1.17 - - "GET / HTTP/1.1" 200 612',
            '10.0.1.17 - - "GET /static/app.js HTTP/1.1" 200 48213',
            '10.0.2.41 - - "POST /api/login HTTP/1.1" 302 0',
        ]),
        ("app", "registry.example.com/shop/web:2.4.1", [
            "listening on :8080",
            "rendered /checkout in 41 ms",
            "cache miss for /products?page=2",
        ]),
    ]),
    "api": ("prod", False, [
        ("api", "registry.example.com/shop/api:5.2.0", [
            '{"level":"info","msg":"request","path":"/v1/orders","ms":23}',
            '{"level":"warn","msg":"slow query","table":"orders","ms":812}',
            '{"level":"info","msg":"request","path":"/v1/cart","ms":9}',
        ]),
        ("envoy", "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27", [
            "all clusters initialized",
            "upstream reset: connection termination",
            "hot restart epoch 0",
        ]),
    ]),
    "worker": ("ops", True, [
        ("worker", "registry.example.com/shop/worker:1.9.0", [
            "job 8812 started: nightly-invoices",
            "job 8812 done in 14.2 s",
            "queue depth 3",
        ]),
        ("log-router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32", [
            "fluent-bit started",
            "flushed 128 records",
            "flushed 64 records",
        ]),
    ]),
}

# Two past exec sessions in the ops cluster's audit log group.
AUDIT_SESSIONS = {
    "ecs-execute-command-0d1e2f3a4b5c6d7e8": [
        "sh-5.2$ ps aux | head -3",
        "USER  PID %CPU %MEM COMMAND",
        "root    1  0.3  1.2 worker --queue invoices",
    ],
    "alice-0a1b2c3d4e5f60718": [
        "sh-5.2$ cat /etc/os-release | head -1",
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    ],
}


def containers(family, specs):
    return [{
        "name": name,
        "image": image,
        "memory": 256 if index == 0 else 128,
        "essential": index == 0,
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": f"/ecs/{family}",
            "awslogs-region": REGION,
            "awslogs-stream-prefix": family,
        }},
    } for index, (name, image, _) in enumerate(specs)]


def put_events(logs, group, stream, messages, start_ms, step_ms):
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    if not any(g["logGroupName"] == group for g in groups):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": start_ms + i * step_ms, "message": message}
              for i, message in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=events)


def main():
    seeder = Seeder(os.environ["AWS_ENDPOINT_URL"])
    ecs = seeder.client("ecs")
    logs = seeder.client("logs")
    now_ms = int(time.time() * 1000)

    ecs.create_cluster(clusterName="prod")
    ecs.create_cluster(clusterName="ops", configuration={
        "executeCommandConfiguration": {
            "logging": "OVERRIDE",
            "logConfiguration": {"cloudWatchLogGroupName": AUDIT_GROUP},
        },
    })

    summary = {"tasks": {}}
    for family, (cluster, exec_enabled, specs) in ESTATE.items():
        definition = seeder.task_definition(family,
                                            containers(family, specs))
        ecs.create_service(
            cluster=cluster, serviceName=family, taskDefinition=definition,
            desiredCount=2, launchType="FARGATE",
            networkConfiguration=seeder.network(),
            enableExecuteCommand=exec_enabled)
        tasks = seeder.tasks(cluster, 2, service=family)
        summary["tasks"][family] = tasks

        # Task i's events are a few minutes old and a second apart, so
        # the output of a service interleaves its tasks.
        for index, task in enumerate(tasks):
            task_id = task.rsplit("/", 1)[-1]
            for name, _, messages in specs:
                put_events(logs, f"/ecs/{family}",
                           f"{family}/{name}/{task_id}", messages,
                           now_ms - 180000 + index * 500, 1000)

    stopped = seeder.tasks("ops", 1, service="worker")[0]
    ecs.stop_task(cluster="ops", task=stopped, reason=OOM_REASON)
    summary["stopped"] = stopped

    for index, (session, lines) in enumerate(AUDIT_SESSIONS.items()):
        put_events(logs, AUDIT_GROUP, session, lines,
                   now_ms - 3600000 + index * 600000, 2000)

    print(json.dumps(summary))


if __name__ == "__main__":
    main()
