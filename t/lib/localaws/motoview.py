"""Read-only access to moto's in-process ECS state for the front's fixes.

The front runs in the same process as moto, so it can look up what the ECS
API does not return (a task's group, its task definition's containers)
without signing extra requests. This relies on moto 5.2 internals
(moto.ecs.models). When those change, every lookup returns None instead of
raising, and the front keeps moto's reply as it is.
"""

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def account_for(access_key_id):
    """Return the account moto assigns to requests signed with a key."""
    try:
        from moto.iam.models import get_account_id_from

        return get_account_id_from(access_key_id or "testing")
    except Exception:
        return DEFAULT_ACCOUNT


def parse_arn(arn):
    """Split an ECS ARN into (region, account, resource) or return None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "ecs":
        return None
    return parts[3], parts[4], parts[5]


def ecs_backend(account, region):
    try:
        from moto.ecs.models import ecs_backends

        return ecs_backends[account][region]
    except Exception:
        return None


def backend_for_arn(arn):
    parsed = parse_arn(arn)
    if parsed is None:
        return None
    return ecs_backend(parsed[1], parsed[0])


def task_objects(cluster_arn):
    """Return {task ARN: moto Task} for one cluster, or None."""
    backend = backend_for_arn(cluster_arn)
    if backend is None:
        return None
    name = cluster_arn.rsplit("/", 1)[-1]
    try:
        # Keyed by the task's current ARN, which follows the account's
        # taskLongArnFormat setting; moto's own keys keep the format the
        # task was created with.
        return {task.task_arn: task
                for task in backend.tasks.get(name, {}).values()}
    except Exception:
        return None


def task_definition(arn):
    """Return moto's TaskDefinition for an ARN, or None."""
    backend = backend_for_arn(arn)
    if backend is None:
        return None
    try:
        return backend.describe_task_definition(arn)
    except Exception:
        return None


def task_definition_arns(account, region, status):
    """Return [(family, revision, arn)] of one status, in moto's order."""
    backend = ecs_backend(account, region)
    if backend is None:
        return None
    found = []
    try:
        for family, revisions in backend.task_definitions.items():
            for revision, definition in revisions.items():
                if definition.status == status:
                    found.append((family, revision, definition.arn))
    except Exception:
        return None
    return found


def keep_tasks_running():
    """Stop moto from moving tasks toward STOPPED on every DescribeTasks.

    moto 5.2 registers the ecs::task model with a "manual" transition that
    advances one state per describe call, so a task reads RUNNING once and
    DEACTIVATING after that. Real tasks stay RUNNING until stopped.
    """
    from moto.moto_api import state_manager

    state_manager.set_transition(
        "ecs::task", {"progression": "manual", "times": 2**62})


def patch_network_interface():
    """Give moto's EC2 NetworkInterface a private DNS name in every VPC.

    moto 5.2.1 sets NetworkInterface.private_dns_name only in VPCs with DNS
    hostnames enabled, but its ECS Task reads it for every awsvpc task, so
    RunTask in any other VPC fails with HTTP 500. The property keeps a value
    that moto assigns and otherwise derives the EC2 ip-A-B-C-D name.
    """
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    if isinstance(getattr(NetworkInterface, "private_dns_name", None),
                  property):
        return

    def get_name(self):
        name = self.__dict__.get("_local_aws_dns_name")
        if name:
            return name
        address = self.private_ip_address or "0.0.0.0"
        return "ip-" + address.replace(".", "-") + ".ec2.internal"

    def set_name(self, value):
        self.__dict__["_local_aws_dns_name"] = value

    NetworkInterface.private_dns_name = property(get_name, set_name)
