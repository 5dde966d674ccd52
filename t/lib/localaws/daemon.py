"""The local AWS daemon: moto and the front in one process on 127.0.0.1.

It writes ready.json into its state directory once both servers respond.
It exits on SIGTERM or SIGINT, when its time to live runs out, or when the
process it watches (the test script) has gone.
"""

import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

log = logging.getLogger("local-aws")

INSTALL_HINT = ("install moto with its server extras: "
                "pip install 'moto[server]'")
# Exit status when moto cannot be imported, so `start` can tell the user
# what to install.
EXIT_NO_MOTO = 3


def _isolate_environment(auth_count):
    """Set the environment moto reads at import time."""
    # moto reads INITIAL_NO_AUTH_ACTION_COUNT once, when moto.settings is
    # imported: after that many actions it verifies every signature.
    if auth_count is None:
        os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    else:
        os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_count)
    for name in ("MOTO_ACCOUNT_ID", "TEST_SERVER_MODE",
                 "MOTO_DOCKER_NETWORK_NAME"):
        os.environ.pop(name, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


def _process_gone(pid):
    """Return True when pid no longer runs. A zombie counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def _wait_until_answering(url, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            # Any HTTP reply means the server is up.
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _write_json_atomically(path, doc):
    temporary = path + ".tmp"
    with open(temporary, "w") as out:
        json.dump(doc, out)
        out.write("\n")
    os.replace(temporary, path)


def run(state_dir, auth_count, ttl, watch_pid):
    """Serve until stopped and return the exit status."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr,
        format="%(asctime)s local-aws[%(process)d]: %(message)s")
    _isolate_environment(auth_count)
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as err:
        log.error("cannot import moto.server: %s; %s", err, INSTALL_HINT)
        return EXIT_NO_MOTO

    from . import motoview
    from .front import FrontServer

    # werkzeug logs every request moto serves; the front keeps its own log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    motoview.patch_network_interface()
    motoview.keep_tasks_running()

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_address = moto.get_host_and_port()
    front = FrontServer(("127.0.0.1", 0), moto_address)
    front_port = front.server_address[1]
    front_thread = threading.Thread(target=front.serve_forever,
                                    kwargs={"poll_interval": 0.1},
                                    name="front", daemon=True)
    front_thread.start()

    moto_url = f"http://127.0.0.1:{moto_address[1]}"
    front_url = f"http://127.0.0.1:{front_port}"
    _wait_until_answering(moto_url + "/moto-api/", 30)
    _wait_until_answering(front_url + "/__front/health", 30)

    stop = threading.Event()
    reason = ["signal"]

    def on_signal(signum, frame):
        reason[0] = signal.Signals(signum).name
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ready_path = os.path.join(state_dir, "ready.json")
    _write_json_atomically(ready_path, {
        "pid": os.getpid(), "front_port": front_port,
        "moto_port": moto_address[1], "auth": auth_count,
    })
    log.info("serving: front %s, moto %s, pid %d, ttl %ds", front_url,
             moto_url, os.getpid(), ttl)

    deadline = time.monotonic() + ttl
    while not stop.wait(0.5):
        if time.monotonic() > deadline:
            reason[0] = f"time to live of {ttl}s ran out"
            break
        if watch_pid and _process_gone(watch_pid):
            reason[0] = f"watched process {watch_pid} exited"
            break

    log.info("stopping: %s", reason[0])
    # moto's server notices a shutdown only every 0.5 s, so it stops in
    # parallel with the front.
    moto_stopper = threading.Thread(target=moto.stop, name="moto-stop")
    moto_stopper.start()
    front.shutdown()
    front.state.exec.shutdown()
    front.server_close()
    moto_stopper.join()
    try:
        os.unlink(ready_path)
    except FileNotFoundError:
        pass
    return 0
