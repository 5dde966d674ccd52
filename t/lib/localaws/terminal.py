"""A command running in a pseudo-terminal, as the SSM agent runs ECS Exec.

The command string is split shell-style (quotes respected) and executed
directly, without a shell, with TERM=xterm-256color, as the session leader
of a new pty so that Ctrl-C typed into it signals its process group. One
thread reads the terminal and one writes keystrokes to it.
"""

import collections
import fcntl
import os
import select
import shlex
import shutil
import signal
import struct
import termios
import threading
import time

from . import agentmsg as am

# An unfinished UTF-8 sequence at the end of a read waits this long for
# its remaining bytes before it is passed on as it is.
UTF8_WAIT = 0.1
# Keystrokes waiting for the pty, in bytes, beyond which room() is False.
INPUT_CAPACITY = 256 * 1024


def resolve(command, env):
    """Return (argv, executable path) of a command, or raise ValueError.

    The text of the error is what the session reports to the client.
    """
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise ValueError(f"invalid command {command!r}: {err}") from None
    if not argv:
        raise ValueError("empty command")
    path = shutil.which(argv[0], path=env.get("PATH"))
    if path is None:
        # NOTE: the agent's wording for a missing executable is not known;
        # this is the error text of Go's os/exec.
        raise ValueError(f'exec: "{argv[0]}": executable file not found in '
                         "$PATH")
    return argv, path


class Terminal:
    """The pty, its child process and the two threads serving it.

    on_output(bytes) receives terminal output with UTF-8 characters kept
    whole, as an incomplete one waits up to UTF8_WAIT for its remaining
    bytes. It may block to slow the reader down. on_exit() runs once after
    the child exited and its output was read. on_drained() runs whenever
    queued keystrokes reached the pty.
    """

    def __init__(self, argv, path, cwd, env, on_output, on_exit,
                 on_drained):
        self.argv = argv
        self.path = path
        self.cwd = cwd
        self.env = env
        self.on_output = on_output
        self.on_exit = on_exit
        self.on_drained = on_drained
        self.pid = None
        self.master = None
        self.exit_status = None
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._input = collections.deque()
        self._input_bytes = 0
        self._input_ready = threading.Condition(self._lock)
        self._reap_lock = threading.Lock()

    def start(self):
        # Python ignores SIGPIPE and SIGXFSZ, the daemon may have inherited
        # more, and an ignored signal stays ignored across exec.
        ignored = [number for number in signal.valid_signals()
                   if _ignored(number)]
        pid, master = os.forkpty()
        if pid == 0:
            # The child: only exec or exit, as the parent has threads.
            try:
                for number in ignored:
                    signal.signal(number, signal.SIG_DFL)
                os.chdir(self.cwd)
                os.execve(self.path, self.argv, self.env)
            except BaseException as err:
                os.write(2, f"exec {self.path}: {err}\r\n".encode())
            os._exit(127)
        self.pid = pid
        self.master = master
        # The threads get the descriptor itself, because close() sets
        # self.master to None while they may still be running.
        threading.Thread(target=self._read_loop, args=(master,),
                         daemon=True, name=f"pty-reader-{pid}").start()
        threading.Thread(target=self._write_loop, args=(master,),
                         daemon=True, name=f"pty-writer-{pid}").start()

    # Input.

    def room(self, size):
        """Return True when size more bytes of keystrokes may be queued."""
        with self._lock:
            return not self._input_bytes or \
                self._input_bytes + size <= INPUT_CAPACITY

    def write(self, data):
        with self._lock:
            self._input.append(bytes(data))
            self._input_bytes += len(data)
            self._input_ready.notify_all()

    def resize(self, cols, rows):
        master = self.master
        if master is not None:
            fcntl.ioctl(master, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, cols, 0, 0))

    def _write_loop(self, master):
        while True:
            with self._lock:
                while not self._input and not self.stopped.is_set():
                    self._input_ready.wait(0.5)
                if self.stopped.is_set():
                    return
                data = self._input.popleft()
            view = memoryview(data)
            while view and not self.stopped.is_set():
                try:
                    written = os.write(master, view)
                except InterruptedError:
                    continue
                except OSError:
                    # The terminal is gone; what is left is discarded.
                    written = len(view)
                view = view[written:]
            with self._lock:
                self._input_bytes -= len(data)
            self.on_drained()

    # Output.

    def _read_loop(self, master):
        pending = b""
        waited_since = None
        eof = False
        while not eof and not self.stopped.is_set():
            try:
                ready, _, _ = select.select([master], [], [], UTF8_WAIT)
            except OSError:
                # close() closed the descriptor (EBADF) while this thread
                # was not running.
                break
            data = b""
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    # EIO: every process closed the terminal.
                    data = b""
                eof = not data
            if data:
                pending += data
                cut = len(pending) - am.incomplete_tail(pending)
                self.on_output(pending[:cut])
                pending = pending[cut:]
                waited_since = time.monotonic() if pending else None
            elif pending and (eof or time.monotonic() - waited_since
                              >= UTF8_WAIT):
                self.on_output(pending)
                pending = b""
            if not data and self.reap(block=False):
                break
        if self.stopped.is_set():
            return
        if pending:
            self.on_output(pending)
        self.reap(block=True)
        self.on_exit()

    # The process.

    def reap(self, block):
        """Collect the child's exit status; return True once it exited."""
        with self._reap_lock:
            if self.exit_status is not None or self.pid is None:
                return True
            try:
                pid, status = os.waitpid(self.pid,
                                         0 if block else os.WNOHANG)
            except ChildProcessError:
                # Already collected elsewhere; the status is unknown.
                self.pid = None
                return True
            if pid == 0:
                return False
            self.exit_status = os.waitstatus_to_exitcode(status)
            return True

    def kill(self):
        """End the process group: SIGHUP, then SIGKILL after 0.5 s."""
        if self.pid is None or self.exit_status is not None:
            return
        try:
            os.killpg(self.pid, signal.SIGHUP)
        except OSError:
            pass
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline and not self.reap(block=False):
            time.sleep(0.02)
        if self.exit_status is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
            self.reap(block=True)

    def close(self):
        """Stop both threads and close the pty (after the reader left it)."""
        self.stopped.set()
        with self._lock:
            self._input_ready.notify_all()
        master, self.master = self.master, None
        if master is not None:
            threading.Timer(2 * UTF8_WAIT, _close_fd, args=(master,)).start()


def _ignored(number):
    try:
        return signal.getsignal(number) == signal.SIG_IGN
    except (OSError, ValueError):
        return False


def _close_fd(fd):
    try:
        os.close(fd)
    except OSError:
        pass
