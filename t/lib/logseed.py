#!/usr/bin/env python3
"""Create CloudWatch Logs events, exec-logging clusters and S3 objects in
the local AWS, for the ecs-log tests and benchmark.

Requests go to $AWS_ENDPOINT_URL with the seed header, so they neither show
in the front's request log nor trigger fault rules.

  logseed.py events GROUP STREAM < NDJSON
      put {"timestamp": MS, "message": TEXT} lines, creating the group and
      stream when missing
  logseed.py generate GROUP STREAM COUNT START_MS [--step MS] [--size N]
      put COUNT events "event I" padded to N bytes, I from 1
  logseed.py stream GROUP STREAM
      create an empty stream (and its group)
  logseed.py exec-cluster NAME [--log-group G] [--bucket B] [--prefix P]
      create a cluster whose executeCommandConfiguration logs there
  logseed.py s3-put BUCKET KEY < DATA
      put an object, creating the bucket when missing
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

from localaws.seed import Seeder  # noqa: E402

# PutLogEvents takes at most 10,000 events per call.
PUT_BATCH = 10000


def ensure_stream(logs, group, stream):
    existing = logs.describe_log_groups(logGroupNamePrefix=group)
    if not any(g["logGroupName"] == group for g in existing["logGroups"]):
        logs.create_log_group(logGroupName=group)
    streams = logs.describe_log_streams(logGroupName=group,
                                        logStreamNamePrefix=stream)
    if not any(s["logStreamName"] == stream for s in streams["logStreams"]):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)


def put_events(logs, group, stream, events):
    ensure_stream(logs, group, stream)
    for start in range(0, len(events), PUT_BATCH):
        batch = events[start:start + PUT_BATCH]
        result = logs.put_log_events(logGroupName=group,
                                     logStreamName=stream, logEvents=batch)
        if result.get("rejectedLogEventsInfo"):
            raise SystemExit("logseed: PutLogEvents rejected events: "
                             + json.dumps(result["rejectedLogEventsInfo"]))


def cmd_events(seeder, args):
    events = [json.loads(line) for line in sys.stdin if line.strip()]
    put_events(seeder.client("logs"), args.group, args.stream, events)


def cmd_generate(seeder, args):
    events = []
    for i in range(1, args.count + 1):
        message = f"event {i}"
        if len(message) < args.size:
            message += " " + "x" * (args.size - len(message) - 1)
        events.append({"timestamp": args.start + (i - 1) * args.step,
                       "message": message})
    put_events(seeder.client("logs"), args.group, args.stream, events)


def cmd_stream(seeder, args):
    ensure_stream(seeder.client("logs"), args.group, args.stream)


def cmd_exec_cluster(seeder, args):
    conf = {}
    if args.log_group:
        conf["cloudWatchLogGroupName"] = args.log_group
    if args.bucket:
        conf["s3BucketName"] = args.bucket
        if args.prefix:
            conf["s3KeyPrefix"] = args.prefix
    exec_conf = {"logging": args.logging}
    if conf:
        exec_conf["logConfiguration"] = conf
    arn = seeder.client("ecs").create_cluster(
        clusterName=args.name,
        configuration={"executeCommandConfiguration": exec_conf},
    )["cluster"]["clusterArn"]
    print(arn)


def cmd_s3_put(seeder, args):
    s3 = seeder.client("s3")
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    if args.bucket not in buckets:
        s3.create_bucket(Bucket=args.bucket)
    s3.put_object(Bucket=args.bucket, Key=args.key,
                  Body=sys.stdin.buffer.read())


def main():
    parser = argparse.ArgumentParser(prog="logseed.py")
    commands = parser.add_subparsers(dest="command", required=True)

    events = commands.add_parser("events")
    events.add_argument("group")
    events.add_argument("stream")
    events.set_defaults(func=cmd_events)

    generate = commands.add_parser("generate")
    generate.add_argument("group")
    generate.add_argument("stream")
    generate.add_argument("count", type=int)
    generate.add_argument("start", type=int)
    generate.add_argument("--step", type=int, default=1)
    generate.add_argument("--size", type=int, default=0)
    generate.set_defaults(func=cmd_generate)

    stream = commands.add_parser("stream")
    stream.add_argument("group")
    stream.add_argument("stream")
    stream.set_defaults(func=cmd_stream)

    cluster = commands.add_parser("exec-cluster")
    cluster.add_argument("name")
    cluster.add_argument("--log-group")
    cluster.add_argument("--bucket")
    cluster.add_argument("--prefix")
    cluster.add_argument("--logging", default="OVERRIDE")
    cluster.set_defaults(func=cmd_exec_cluster)

    put = commands.add_parser("s3-put")
    put.add_argument("bucket")
    put.add_argument("key")
    put.set_defaults(func=cmd_s3_put)

    args = parser.parse_args()
    args.func(Seeder(os.environ["AWS_ENDPOINT_URL"]), args)


if __name__ == "__main__":
    main()
