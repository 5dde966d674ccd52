"""Command line of t/local-aws: start, stop, env, ctl, seed, create-user."""

import argparse
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

PROG = "local-aws"
SCRIPT = os.path.realpath(sys.argv[0])
FAKE_KEY = "testing"
REGION = "us-east-1"
STATE_FILES = ("env", "pid", "ready.json", "ready.json.tmp", "config",
               "credentials", "daemon.log")
# Variables that would send a client elsewhere or to other credentials.
UNSET_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_CA_BUNDLE",
    "AWS_STS_REGIONAL_ENDPOINTS", "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
)


class UsageError(Exception):
    """Invalid command line (exit status 2)."""


class Failure(Exception):
    """A command failed (exit status 1)."""


def default_state_dir():
    if os.environ.get("ECS_LOCAL_AWS_DIR"):
        return os.environ["ECS_LOCAL_AWS_DIR"]
    tmp = os.environ.get("TMPDIR") or "/tmp"
    return os.path.join(tmp, f"ecs-local-aws-{os.getuid()}")


def state_path(state_dir, name):
    return os.path.join(state_dir, name)


def read_ready(state_dir):
    try:
        with open(state_path(state_dir, "ready.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        raise Failure(f"no local AWS runs with state directory {state_dir}; "
                      f"run `{PROG} start` first") from None


def read_pid(state_dir):
    try:
        with open(state_path(state_dir, "pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid):
    """Return True while pid runs. A zombie counts as exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def is_our_daemon(pid, state_dir):
    """Check that pid is the daemon of this state directory, not a reuse."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return process_alive(pid)
    return b"serve" in argv and os.fsencode(state_dir) in argv


# start, stop, env.

def missing_modules():
    return [name for name in ("moto", "flask", "flask_cors", "werkzeug")
            if importlib.util.find_spec(name) is None]


def env_lines(state_dir, ready):
    front = f"http://127.0.0.1:{ready['front_port']}"
    moto = f"http://127.0.0.1:{ready['moto_port']}"
    overrides = sorted(name for name in os.environ
                       if name.startswith("AWS_ENDPOINT_URL_"))
    values = [
        ("AWS_ENDPOINT_URL", front),
        ("AWS_ACCESS_KEY_ID", FAKE_KEY),
        ("AWS_SECRET_ACCESS_KEY", FAKE_KEY),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", state_path(state_dir, "config")),
        ("AWS_SHARED_CREDENTIALS_FILE", state_path(state_dir, "credentials")),
        ("NO_PROXY", "127.0.0.1,localhost"),
        ("no_proxy", "127.0.0.1,localhost"),
        ("ECS_LOCAL_AWS_MOTO", moto),
        ("ECS_LOCAL_AWS_FRONT", front),
        ("ECS_LOCAL_AWS_DIR", state_dir),
    ]
    lines = ["unset " + " ".join(UNSET_VARIABLES + tuple(overrides))]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values]
    return "\n".join(lines) + "\n"


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def remove_state(state_dir):
    for name in STATE_FILES:
        try:
            os.unlink(state_path(state_dir, name))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(state_dir)
    except OSError:
        pass


def log_tail(state_dir, lines=20):
    try:
        with open(state_path(state_dir, "daemon.log"), errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def wait_ready(proc, state_dir, timeout):
    deadline = time.monotonic() + timeout
    ready_file = state_path(state_dir, "ready.json")
    while not os.path.exists(ready_file):
        status = proc.poll()
        if status is not None:
            return status
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise Failure(f"daemon did not get ready within {timeout}s; "
                          f"its log ends with:\n{log_tail(state_dir)}")
        time.sleep(0.05)
    return None


def cmd_start(args):
    from .daemon import EXIT_NO_MOTO, INSTALL_HINT

    missing = missing_modules()
    if missing:
        raise Failure(f"cannot import {', '.join(missing)} with "
                      f"{sys.executable}; {INSTALL_HINT}")
    state_dir = os.path.abspath(args.state_dir)
    pid = read_pid(state_dir)
    if pid and process_alive(pid) and is_our_daemon(pid, state_dir):
        raise Failure(f"a local AWS already runs with state directory "
                      f"{state_dir} (pid {pid}); run `{PROG} stop` first")
    remove_state(state_dir)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    for name in ("config", "credentials"):
        open(state_path(state_dir, name), "w").close()

    command = [sys.executable, SCRIPT, "serve", "--state-dir", state_dir,
               "--ttl", str(args.ttl)]
    if args.auth is not None:
        command += ["--auth", str(args.auth)]
    if args.watch_pid:
        command += ["--watch-pid", str(args.watch_pid)]
    with open(state_path(state_dir, "daemon.log"), "w") as log_file:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=log_file,
                                start_new_session=True, close_fds=True)
    with open(state_path(state_dir, "pid"), "w") as f:
        f.write(f"{proc.pid}\n")

    status = wait_ready(proc, state_dir, args.timeout)
    if status is not None:
        tail = log_tail(state_dir)
        remove_state(state_dir)
        if status == EXIT_NO_MOTO:
            raise Failure(f"moto cannot be imported: {INSTALL_HINT}\n{tail}")
        raise Failure(f"daemon exited with status {status} before it was "
                      f"ready; its log ends with:\n{tail}")

    ready = read_ready(state_dir)
    for url in (f"http://127.0.0.1:{ready['front_port']}/__front/health",
                f"http://127.0.0.1:{ready['moto_port']}/moto-api/"):
        if not answers(url):
            raise Failure(f"{url} does not respond although the daemon "
                          f"reported ready; see {state_dir}/daemon.log")
    text = env_lines(state_dir, ready)
    with open(state_path(state_dir, "env"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    return 0


def cmd_stop(args):
    state_dir = os.path.abspath(args.state_dir)
    pid = read_pid(state_dir)
    if pid and process_alive(pid) and is_our_daemon(pid, state_dir):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + args.timeout
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process_alive(pid):
            print(f"{PROG}: daemon {pid} ignored SIGTERM for {args.timeout}s;"
                  " sending SIGKILL", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
    remove_state(state_dir)
    return 0


def cmd_env(args):
    try:
        with open(state_path(os.path.abspath(args.state_dir), "env")) as f:
            sys.stdout.write(f.read())
    except OSError:
        raise Failure(f"no local AWS runs with state directory "
                      f"{args.state_dir}; run `{PROG} start` first") from None
    return 0


def cmd_serve(args):
    from . import daemon

    return daemon.run(os.path.abspath(args.state_dir), args.auth, args.ttl,
                      args.watch_pid)


# ctl.

def front_url(state_dir):
    ready = read_ready(os.path.abspath(state_dir))
    return f"http://127.0.0.1:{ready['front_port']}"


def send_command(state_dir, command):
    data = json.dumps(command).encode()
    request = urllib.request.Request(
        front_url(state_dir) + "/__front/ctl", data=data, method="POST",
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            message = json.loads(err.read()).get("error", str(err))
        except ValueError:
            message = str(err)
        raise Failure(f"ctl {command.get('cmd')}: {message}") from None
    except OSError as err:
        raise Failure(f"ctl {command.get('cmd')}: the front did not respond: "
                      f"{err}") from None


def parse_fault_words(words):
    """Turn `[options] OP ACTION [ARGS]` into a fault rule object."""
    rule = {}
    options = {"--count": ("count", int), "--skip": ("skip", int),
               "--service": ("service", str), "--delay": ("delay", float),
               "--date-offset": ("date_offset", float),
               "--match": ("match", json.loads)}
    words = list(words)
    while words and words[0].startswith("--"):
        option = words.pop(0)
        if option == "--forward":
            rule["forward"] = True
            continue
        if option not in options or not words:
            raise UsageError(f"fault: unknown option or missing value: "
                             f"{option}")
        key, convert = options[option]
        try:
            rule[key] = convert(words.pop(0))
        except ValueError as err:
            raise UsageError(f"fault: invalid value for {option}: {err}")
    if len(words) < 2:
        raise UsageError("fault: expected OPERATION ACTION [ARGS]")
    rule["op"], action, args = words[0], words[1], words[2:]
    rule["action"] = action
    try:
        if action == "delay" and args:
            rule["delay"] = float(args[0])
        elif action in ("reset", "truncate", "big-body") and args:
            rule["bytes"] = int(args[0])
        elif action == "failures" and args:
            rule["arns"] = args
        elif action == "error" or action.isdigit():
            if action == "error":
                if not args:
                    raise UsageError("fault: error needs a status")
                rule["status"], args = int(args[0]), args[1:]
            if args:
                rule["code"] = args[0]
            if len(args) > 1:
                rule["message"] = " ".join(args[1:])
    except ValueError as err:
        raise UsageError(f"fault: invalid argument for {action}: {err}")
    return rule


def parse_setting(word):
    name, sep, value = word.partition("=")
    if not sep:
        raise UsageError(f"set: expected NAME=VALUE, got {word!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def cmd_ctl(args):
    words = args.words
    if not words:
        raise UsageError("ctl: expected a command; see --help")
    if words[0].startswith("{"):
        command = json.loads(" ".join(words))
    elif words[0] == "fault":
        if len(words) == 2 and words[1].startswith("{"):
            rule = json.loads(words[1])
        else:
            rule = parse_fault_words(words[1:])
        command = {"cmd": "fault", "rule": rule}
    elif words[0].startswith("exec-"):
        from .execfix import parse_ctl

        try:
            command = parse_ctl(words)
        except ValueError as err:
            raise UsageError(f"ctl {err}") from None
    elif words[0] == "set":
        command = {"cmd": "set",
                   "settings": dict(parse_setting(w) for w in words[1:])}
    elif words[0] == "moto-auth" and len(words) == 2:
        count = words[1] if words[1] == "inf" else int(words[1])
        command = {"cmd": "moto-auth", "count": count}
    elif words[0] == "log":
        command = {"cmd": "log"}
        if len(words) > 1:
            command["since"] = int(words[1])
    elif len(words) == 1:
        command = {"cmd": words[0]}
    else:
        raise UsageError(f"ctl: unexpected arguments after {words[0]}")

    result = send_command(args.state_dir, command)
    if command["cmd"] == "log":
        for entry in result["entries"]:
            sys.stdout.write(json.dumps(entry, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
    return 0


# seed, create-user.

def seeder(state_dir):
    from .seed import Seeder

    return Seeder(front_url(state_dir))


class AuthPaused:
    """Let moto accept unsigned requests while seeding in --auth mode.

    Seeding signs with the keys in the environment, often the fake ones.
    Other requests sent meanwhile are not verified either.
    """

    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.auth = read_ready(os.path.abspath(state_dir)).get("auth")

    def __enter__(self):
        if self.auth is not None:
            send_command(self.state_dir, {"cmd": "moto-auth", "count": "inf"})

    def __exit__(self, *exc):
        if self.auth is not None:
            send_command(self.state_dir, {"cmd": "moto-auth", "count": 0})


def cmd_seed(args):
    from .seed import SeedError
    import botocore.exceptions

    try:
        with AuthPaused(args.state_dir):
            arns = run_seed(seeder(args.state_dir), args)
    except (SeedError, botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError) as err:
        raise Failure(f"seed {args.kind}: {err}") from None
    sys.stdout.write("".join(arn + "\n" for arn in arns))
    return 0


def run_seed(seeds, args):
    if args.kind == "clusters":
        return seeds.clusters(args.count, prefix=args.prefix or "cluster-")
    if args.kind == "services":
        return seeds.services(
            args.cluster, args.count, prefix=args.prefix or "svc-",
            task_definition=args.task_definition,
            desired_count=args.desired_count, enable_exec=args.exec)
    if args.kind == "tasks":
        return seeds.tasks(args.cluster, args.count, service=args.service,
                           task_definition=args.task_definition,
                           enable_exec=args.exec)
    containers = json.loads(args.containers) if args.containers else None
    return [seeds.task_definition(args.family, containers)]


def cmd_create_user(args):
    import botocore.exceptions

    policy = json.loads(args.policy) if args.policy else None
    try:
        with AuthPaused(args.state_dir):
            key_id, secret = seeder(args.state_dir).create_user(args.name,
                                                                policy)
    except (botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError) as err:
        raise Failure(f"create-user {args.name}: {err}") from None
    sys.stdout.write(f"export AWS_ACCESS_KEY_ID={shlex.quote(key_id)}\n"
                     f"export AWS_SECRET_ACCESS_KEY={shlex.quote(secret)}\n")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run moto behind a fault-injecting front on 127.0.0.1 "
                    "for the integration tests.")
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="COMMAND")

    def add(name, help_text, func):
        # serve (help_text None) runs the daemon and stays out of --help.
        if help_text is None:
            sub = commands.add_parser(name)
        else:
            sub = commands.add_parser(name, help=help_text,
                                      description=help_text)
        sub.add_argument("--state-dir", default=default_state_dir(),
                         help="directory of the env, pid and log files "
                              "(default: $ECS_LOCAL_AWS_DIR, else "
                              "$TMPDIR/ecs-local-aws-$UID)")
        sub.set_defaults(func=func)
        return sub

    start = add("start", "start the daemon and print export lines",
                cmd_start)
    start.add_argument("--auth", nargs="?", type=int, const=0, metavar="N",
                       help="verify SigV4 signatures and IAM policies after "
                            "N unauthenticated actions (default 0); seed "
                            "and create-user work in this mode too")
    start.add_argument("--ttl", type=int, default=1800, metavar="SECONDS",
                       help="exit after this many seconds (default 1800)")
    start.add_argument("--watch-pid", type=int, metavar="PID",
                       help="exit within a second once PID has exited")
    start.add_argument("--timeout", type=float, default=60,
                       metavar="SECONDS",
                       help="how long to wait for the daemon (default 60)")

    stop = add("stop", "stop the daemon and remove its state files",
               cmd_stop)
    stop.add_argument("--timeout", type=float, default=10, metavar="SECONDS",
                      help="wait this long after SIGTERM before SIGKILL "
                           "(default 10)")

    add("env", "print the export lines of the running daemon", cmd_env)

    ctl = add("ctl", "configure the front or read its log and counters",
              cmd_ctl)
    ctl.add_argument("words", nargs=argparse.REMAINDER, help=(
        "health | stats | log [SINCE] | clear-log | faults | clear-faults "
        "| fault RULE_JSON | fault [--count N] [--skip N] [--service S] "
        "[--match JSON] [--delay S] [--date-offset S] [--forward] OP ACTION "
        "[ARGS] | set NAME=VALUE... | settings | reset | moto-auth N "
        "| COMMAND_JSON | exec-* (see the exec section of t/README.md)"))

    seed = add("seed", "create ECS resources in bulk; prints their ARNs",
               cmd_seed)
    kinds = seed.add_subparsers(dest="kind", required=True)
    clusters = kinds.add_parser("clusters", help="create COUNT clusters")
    clusters.add_argument("count", type=int)
    clusters.add_argument("--prefix", help="name prefix (cluster-)")
    services = kinds.add_parser("services",
                                help="create COUNT services in CLUSTER")
    services.add_argument("cluster")
    services.add_argument("count", type=int)
    services.add_argument("--prefix", help="name prefix (svc-)")
    services.add_argument("--desired-count", type=int, default=1)
    tasks = kinds.add_parser("tasks", help="run COUNT tasks in CLUSTER")
    tasks.add_argument("cluster")
    tasks.add_argument("count", type=int)
    tasks.add_argument("--service", help="start them as tasks of this service")
    for sub in (services, tasks):
        sub.add_argument("--task-definition",
                         help="family[:revision] or ARN (default: seed-app, "
                              "two containers, awsvpc, Fargate)")
        sub.add_argument("--exec", action="store_true",
                         help="enable ECS Exec")
    taskdef = kinds.add_parser("taskdef",
                               help="register FAMILY unless it exists")
    taskdef.add_argument("family")
    taskdef.add_argument("--containers",
                         help="containerDefinitions as a JSON list")

    user = add("create-user",
               "create an IAM user with an access key; prints export lines",
               cmd_create_user)
    user.add_argument("--name", default="tester")
    user.add_argument("--policy", help="inline policy document as JSON "
                                       "(default: allow everything)")

    serve = add("serve", None, cmd_serve)
    serve.add_argument("--auth", type=int)
    serve.add_argument("--ttl", type=int, default=1800)
    serve.add_argument("--watch-pid", type=int)
    return parser


def main(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except Failure as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1
    except json.JSONDecodeError as err:
        print(f"{PROG}: invalid JSON argument: {err}", file=sys.stderr)
        return 2
