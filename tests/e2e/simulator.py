"""What the Python end-to-end scripts share: one clear failure, and the real nt35e-sim
started with its stdout read up to the ready line (standard library only).

Every wait has a deadline; stop() always ends the process (SIGTERM, then SIGKILL).
"""

import os
import select
import signal
import subprocess
import sys
import time


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run_case(name, case, *args):
    """case(*args) as a script's test case: "PASS name" and 0, or "FAIL name: why" on
    stderr and 1."""
    try:
        case(*args)
    except Failure as e:
        print(f"FAIL {name}: {e}", file=sys.stderr)
        return 1
    print(f"PASS {name}")
    return 0


class Simulator:
    """nt35e-sim with `args`; its stderr in a file of `workdir`, its stdout read with deadlines."""

    def __init__(self, binary, workdir, args, stderr_pipe=False):
        """`stderr_pipe`: stderr on a pipe that only read_stderr() reads (a harness that
        captures stderr and does not read it), instead of a file."""
        self.stderr_path = os.path.join(workdir, "sim-stderr.txt")
        self.stderr_seen = b""
        if stderr_pipe:
            self.stderr_path = None
            self.proc = subprocess.Popen([binary, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE)
            self.stderr = self.proc.stderr
            os.set_blocking(self.stderr.fileno(), False)
        else:
            self.stderr = open(self.stderr_path, "wb")
            self.proc = subprocess.Popen([binary, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=self.stderr)
        self.stdout = b""
        self.control_port = None  # from a "control: ADDR:PORT" line before the ready line
        self.metrics_port = None  # from a "metrics: ADDR:PORT" line before the ready line
        self.web_port = None  # from a "web: http://ADDR:PORT/" line before the ready line
        self.ready = None

    def wait_ready(self, timeout=10.0):
        """Reads stdout up to the "ready:" line; Failure if it does not come in time."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            for raw in self.stdout.split(b"\n")[:-1]:
                text = raw.decode("utf-8", "replace").rstrip("\r")
                if text.startswith("control: ") and self.control_port is None:
                    check(self.ready is None, "the \"control:\" line came after the \"ready:\" line")
                    self.control_port = int(text.rsplit(":", 1)[1])
                if text.startswith("metrics: ") and self.metrics_port is None:
                    check(self.ready is None, "the \"metrics:\" line came after the \"ready:\" line")
                    self.metrics_port = int(text.rsplit(":", 1)[1])
                if text.startswith("web: ") and self.web_port is None:
                    check(self.ready is None, "the \"web:\" line came after the \"ready:\" line")
                    self.web_port = int(text.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
                if text.startswith("ready: "):
                    self.ready = text
            if self.ready:
                return self.ready
            left = deadline - time.monotonic()
            check(left > 0, f"no ready line within {timeout:g} s")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                check(chunk, f"nt35e-sim exited before it was ready (status {self.proc.poll()})")
                self.stdout += chunk

    def tcp_port(self):
        """The port of a "ready: tcp ADDR:PORT" line."""
        check(self.ready and self.ready.startswith("ready: tcp "), f"not a TCP ready line: {self.ready!r}")
        return int(self.ready.rsplit(":", 1)[1])

    def read_stderr(self):
        """With stderr_pipe: reads what the pipe holds now; everything read so far."""
        while True:
            try:
                chunk = os.read(self.stderr.fileno(), 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.stderr_seen += chunk
        return self.stderr_seen

    def stderr_text(self):
        if self.stderr_path is None:
            return self.stderr_seen.decode("utf-8", "replace")
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc.stdout.close()
        self.stderr.close()
