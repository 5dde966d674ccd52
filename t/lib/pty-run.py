#!/usr/bin/env python3
"""Run a command with a pseudo-terminal as its controlling terminal.

    pty-run.py [--answer REGEX=TEXT]... [--timeout SECONDS] -- COMMAND...

The command's stdin is /dev/null and its stdout and stderr are pipes, so
whatever it writes to /dev/tty is kept apart. Each time the terminal
output matches the next REGEX, TEXT and a newline are typed. Prints one
JSON object: status, stdout, stderr and tty (everything the command wrote
to the terminal, echo included).
"""

import argparse
import fcntl
import json
import os
import re
import select
import subprocess
import sys
import termios
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answer", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()
    answers = [a.split("=", 1) for a in args.answer]

    master, slave = os.openpty()

    def become_terminal_owner():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(args.command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            pass_fds=(slave,),
                            preexec_fn=become_terminal_owner)
    os.close(slave)
    tty = b""
    out = {proc.stdout.fileno(): b"", proc.stderr.fileno(): b""}
    open_fds = [master, *out]
    deadline = time.monotonic() + args.timeout
    while open_fds and time.monotonic() < deadline:
        ready, _, _ = select.select(open_fds, [], [], 0.1)
        for fd in ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                open_fds.remove(fd)
                continue
            if fd == master:
                tty += data
            else:
                out[fd] += data
        if answers and re.search(answers[0][0], tty.decode("utf-8",
                                                          "replace")):
            os.write(master, answers.pop(0)[1].encode() + b"\n")
        if proc.poll() is not None and master not in ready:
            if not [fd for fd in open_fds if fd != master]:
                break
    if proc.poll() is None:
        proc.kill()
    status = proc.wait()
    json.dump({"status": status,
               "stdout": out[proc.stdout.fileno()].decode("utf-8", "replace"),
               "stderr": out[proc.stderr.fileno()].decode("utf-8", "replace"),
               "tty": tty.decode("utf-8", "replace")}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
