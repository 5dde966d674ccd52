"""Create ECS resources in bulk through the front, for test fixtures.

Uses boto3 with the credentials from the environment (the fake "testing"
keys unless a test exported others) and marks every request with the seed
header, so seeding neither shows in the front's request log nor triggers
fault rules.
"""

import json
import os

from .front import SEED_HEADER

# Real RunTask starts at most 10 tasks per call.
RUN_TASK_BATCH = 10
DEFAULT_FAMILY = "seed-app"
DEFAULT_CONTAINERS = [
    {"name": "app", "image": "public.ecr.aws/docker/library/nginx:1.25",
     "memory": 256, "essential": True},
    {"name": "sidecar",
     "image": "public.ecr.aws/docker/library/busybox:1.36",
     "memory": 128, "essential": False},
]


class SeedError(RuntimeError):
    """Seeding failed; the message names the call and the cause."""


def _mark_seed(request, **kwargs):
    request.headers[SEED_HEADER] = "1"


class Seeder:
    def __init__(self, endpoint_url):
        import boto3
        from botocore.config import Config

        self.endpoint_url = endpoint_url
        self.session = boto3.session.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY",
                                                 "testing"),
            aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
            region_name=os.environ.get("AWS_REGION", "us-east-1"),
        )
        self.config = Config(retries={"mode": "standard", "max_attempts": 1})
        self._clients = {}
        self._network = None

    def client(self, service):
        if service not in self._clients:
            client = self.session.client(service,
                                         endpoint_url=self.endpoint_url,
                                         config=self.config)
            client.meta.events.register("before-send", _mark_seed)
            self._clients[service] = client
        return self._clients[service]

    # Clusters.

    def clusters(self, count, prefix="cluster-"):
        width = max(3, len(str(count)))
        ecs = self.client("ecs")
        return [
            ecs.create_cluster(clusterName=f"{prefix}{i:0{width}d}")
            ["cluster"]["clusterArn"]
            for i in range(1, count + 1)
        ]

    def ensure_cluster(self, name):
        ecs = self.client("ecs")
        found = ecs.describe_clusters(clusters=[name])["clusters"]
        active = [c for c in found if c.get("status") == "ACTIVE"]
        if active:
            return active[0]["clusterArn"]
        return ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]

    # Task definitions.

    def task_definition(self, family=DEFAULT_FAMILY, containers=None):
        """Return the latest ACTIVE revision of family, registering it."""
        ecs = self.client("ecs")
        arns = ecs.list_task_definitions(familyPrefix=family, sort="DESC",
                                         maxResults=100)["taskDefinitionArns"]
        for arn in arns:
            if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family:
                return arn
        return ecs.register_task_definition(
            family=family,
            containerDefinitions=containers or DEFAULT_CONTAINERS,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]

    def network(self):
        """Return an awsvpc configuration on moto's default VPC."""
        if self._network is None:
            ec2 = self.client("ec2")
            subnets = ec2.describe_subnets(Filters=[
                {"Name": "default-for-az", "Values": ["true"]},
            ])["Subnets"]
            if not subnets:
                raise SeedError("describe-subnets: moto has no default VPC "
                                "subnet in this region")
            subnet = sorted(subnets, key=lambda s: s["SubnetId"])[0]
            groups = ec2.describe_security_groups(Filters=[
                {"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                {"Name": "group-name", "Values": ["default"]},
            ])["SecurityGroups"]
            self._network = {"awsvpcConfiguration": {
                "subnets": [subnet["SubnetId"]],
                "securityGroups": [g["GroupId"] for g in groups[:1]],
                "assignPublicIp": "DISABLED",
            }}
        return self._network

    # Services and tasks.

    def services(self, cluster, count, prefix="svc-", task_definition=None,
                 desired_count=1, enable_exec=False):
        self.ensure_cluster(cluster)
        task_definition = task_definition or self.task_definition()
        width = max(2, len(str(count)))
        ecs = self.client("ecs")
        return [
            ecs.create_service(
                cluster=cluster, serviceName=f"{prefix}{i:0{width}d}",
                taskDefinition=task_definition, desiredCount=desired_count,
                launchType="FARGATE",
                networkConfiguration=self.network(),
                enableExecuteCommand=enable_exec,
            )["service"]["serviceArn"]
            for i in range(1, count + 1)
        ]

    def tasks(self, cluster, count, service=None, task_definition=None,
              enable_exec=False):
        """Run count tasks, as started by service when one is named."""
        self.ensure_cluster(cluster)
        ecs = self.client("ecs")
        options = {}
        if service:
            found = ecs.describe_services(cluster=cluster,
                                          services=[service])["services"]
            if not found:
                raise SeedError(f"describe-services: service {service} not "
                                f"found in cluster {cluster}")
            svc = found[0]
            task_definition = task_definition or svc["taskDefinition"]
            enable_exec = enable_exec or svc.get("enableExecuteCommand",
                                                 False)
            options["group"] = "service:" + svc["serviceName"]
            deployments = svc.get("deployments") or []
            if deployments:
                options["startedBy"] = deployments[0]["id"][:36]
        task_definition = task_definition or self.task_definition()

        arns = []
        while len(arns) < count:
            batch = min(RUN_TASK_BATCH, count - len(arns))
            result = ecs.run_task(
                cluster=cluster, taskDefinition=task_definition,
                count=batch, launchType="FARGATE",
                networkConfiguration=self.network(),
                enableExecuteCommand=enable_exec, **options)
            if result.get("failures"):
                raise SeedError("run-task: " + json.dumps(result["failures"]))
            arns.extend(t["taskArn"] for t in result["tasks"])
        return arns

    # IAM, for moto's signature checks.

    def create_user(self, name, policy=None):
        """Create an IAM user allowed everything; return its access key."""
        iam = self.client("iam")
        iam.create_user(UserName=name)
        document = policy or {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*",
                           "Resource": "*"}],
        }
        iam.put_user_policy(UserName=name, PolicyName="local-aws-all",
                            PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]
