"""nt35e-sim as a subprocess: started on a PTY or a TCP port with a control channel,
waited for until the modem has booted, driven as a DTE (send/expect) and through the
control channel (fire), and stopped; its transcript (the log on stderr) and its trace
(--record) are kept in a work directory, and the HTML report is made from the trace.

Every wait has a deadline; a simulator that exits while it is used raises SimulatorDied
with its exit status and the last lines of its transcript. Standard library only.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
import tty

from nt35e.control import ControlClient, ControlRefused, UsageError

TAIL_LINES = 30  # transcript lines shown in error messages and report sections


class SimulatorError(Exception):
    """Something about the simulator went wrong; the message is for a person."""


class StartError(SimulatorError):
    """nt35e-sim did not start or did not boot: its own message (what it printed on
    stderr), or what was waited for."""


class SimulatorDied(SimulatorError):
    """nt35e-sim exited while it was in use; `.status` is its exit status (negative: the
    signal that ended it)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class ExpectTimeout(SimulatorError, AssertionError):
    """expect() did not see its pattern in time; the message carries what the line and
    the transcript said last. An AssertionError too, so pytest shows it as a failure."""


def describe_status(status):
    """An exit status as a person reads it: "exit status 2", "killed by SIGKILL (-9)"."""
    if status is None:
        return "still running"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"killed by {name} (exit status {status})"
    return f"exit status {status}"


def read_text(path):
    """A log file's text so far ("" when there is none yet)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def terminate(proc, timeout=5.0):
    """Ends a child: SIGTERM, then SIGKILL after `timeout`; returns its exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


def tail(text, lines=TAIL_LINES):
    return "\n".join(text.splitlines()[-lines:])


def source_tree():
    """The source tree this package sits in (python/nt35e/ → the tree), or None when the
    package is installed."""
    tree = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isfile(os.path.join(tree, "simulator", "app", "main.cpp")):
        return tree
    return None


def find_binary(explicit=None):
    """nt35e-sim: `explicit`, else $NT35E_SIM, else the build tree's when this package runs
    from the source tree (build/simulator/nt35e-sim), else the one on PATH."""
    for candidate in (explicit, os.environ.get("NT35E_SIM")):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return os.path.abspath(candidate)
            found = shutil.which(candidate)
            if found:
                return found
            raise StartError(f"nt35e-sim: {candidate} is not an executable file "
                             f"(from {'the argument' if candidate == explicit else '$NT35E_SIM'})")
    tree = source_tree()
    if tree:
        built = os.path.join(tree, "build", "simulator", "nt35e-sim")
        if os.access(built, os.X_OK):
            return built
    found = shutil.which("nt35e-sim")
    if found:
        return found
    raise StartError("nt35e-sim was not found: set NT35E_SIM to the binary, build the tree "
                     "(cmake --build build --target nt35e-sim) or install the nt35e-sim package")


def scenario_dirs(binary=None):
    """Where a scenario given by name ("auth-failure") is looked up, in order."""
    dirs = []
    if os.environ.get("NT35E_SCENARIOS"):
        dirs.append(os.environ["NT35E_SCENARIOS"])
    tree = source_tree()
    if tree:
        dirs.append(os.path.join(tree, "scenarios"))
    if binary:
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(binary)))
        dirs.append(os.path.join(prefix, "share", "nt35e-sim", "scenarios"))
    dirs.append("/usr/share/nt35e-sim/scenarios")
    return dirs


def resolve_scenario(scenario, binary=None):
    """A scenario file for --scenario: a path as it is; a bare name ("auth-failure") from
    the scenario library. A name found nowhere is passed on unchanged, so the simulator
    says, in its own words, that it cannot open it."""
    if scenario is None:
        return None
    scenario = os.fspath(scenario)
    if os.sep in scenario or os.path.exists(scenario):
        return os.path.abspath(scenario)
    file = scenario if scenario.endswith(".json") else scenario + ".json"
    for d in scenario_dirs(binary):
        path = os.path.join(d, file)
        if os.path.isfile(path):
            return path
    return scenario


class Simulator:
    """One nt35e-sim process.

    >>> with Simulator(scenario="seed-happy-path", time_scale=0.05) as sim:
    ...     sim.send("AT")
    ...     sim.expect(r"\\bOK\\r\\n")

    profile, scenario: --profile and --scenario (a scenario name is looked up in the
    library: scenarios/ of the tree, then share/nt35e-sim/scenarios of the install).
    options: more nt35e-sim arguments, as given (["--set", "echo=0", "--live", ...]).
    transport: "pty" (a pseudo-terminal; .port is its path) or "tcp" (.tcp is (host, port)).
    wait_for: "ready" (the ready line), "booted" (ECRDY sent) or "registered" (default:
    booted and registered on the network, so AT+ECMTOPEN works at once).
    metrics: True serves Prometheus metrics on a free loopback port (--metrics 0); .metrics
    is then (host, port) and metric() reads a series (also with --metrics in options).
    """

    def __init__(self, profile=None, scenario=None, options=(), transport="pty", binary=None, workdir=None,
                 time_scale=None, record=True, wait_for="registered", boot_timeout=20.0, log_level="info",
                 control_token_file=None, metrics=False):
        if transport not in ("pty", "tcp"):
            raise UsageError(f"transport takes \"pty\" or \"tcp\", not {transport!r}")
        if wait_for not in ("ready", "booted", "registered"):
            raise UsageError(f"wait_for takes \"ready\", \"booted\" or \"registered\", not {wait_for!r}")
        self.binary = find_binary(binary)
        self.profile = profile
        self.scenario = resolve_scenario(scenario, self.binary)
        self.options = [str(o) for o in options]
        self.transport = transport
        self.time_scale = time_scale
        self.wait_for = wait_for
        self.boot_timeout = boot_timeout
        self.log_level = log_level
        if "--log-level" in self.options[:-1]:
            self.log_level = self.options[self.options.index("--log-level") + 1]
        self.control_token_file = control_token_file
        self.serve_metrics = metrics
        self.metrics = None  # (host, port) of the metrics endpoint, from its "metrics:" line
        self.workdir = os.fspath(workdir) if workdir else tempfile.mkdtemp(prefix="nt35e-")
        os.makedirs(self.workdir, exist_ok=True)
        self.transcript_path = os.path.join(self.workdir, "transcript.log")
        self.trace_path = os.path.join(self.workdir, "trace.jsonl") if record else None
        # The oracle's verdict, written by the simulator when it stops (--verdict-json).
        self.verdict_path = os.path.join(self.workdir, "verdict.json")
        self.report_path = None
        self.proc = None
        self.port = None  # the PTY's path (a symlink in workdir)
        self.tcp = None  # (host, port) with transport "tcp"
        self.control = None  # a ControlClient
        self.ready_line = None
        self.on_unexpected_exit = []  # callables(status), called from the watcher thread
        self._stdout = []
        self._cond = threading.Condition()
        self._stopping = False
        self._exited = False
        self._line = None  # the DTE side: a file descriptor (PTY) or a socket (TCP)
        self._line_bytes = bytearray()  # everything the line received
        self._line_pos = 0  # what expect() has consumed
        self._log_pos = 0  # what expect_log() has consumed

    # --- life cycle ------------------------------------------------------------------

    def command_line(self):
        args = [self.binary]
        if self.transport == "pty":
            args += ["--pty", os.path.join(self.workdir, "tty")]
        else:
            args += ["--tcp", "0"]
        if "--control" not in self.options:  # the caller's own control address wins
            args += ["--control", "0"]
        if self.control_token_file:
            args += ["--control-token-file", os.fspath(self.control_token_file)]
        if self.serve_metrics and "--metrics" not in self.options:
            args += ["--metrics", "0"]
        if self.profile:
            args += ["--profile", self.profile]
        if self.scenario:
            args += ["--scenario", self.scenario]
        if self.time_scale is not None:
            args += ["--time-scale", str(self.time_scale)]
        if self.trace_path and "--record" not in self.options:
            args += ["--record", self.trace_path]
        if "--verdict-json" not in self.options:
            args += ["--verdict-json", self.verdict_path]
            # The verdict is evidence for the test to judge; the exit status stays the
            # simulator's own (a failing verdict would otherwise end it with status 3).
            if "--verdict-fail-on" not in self.options:
                args += ["--verdict-fail-on", "never"]
        if self.log_level and "--log-level" not in self.options:
            args += ["--log-level", self.log_level]
        return args + self.options

    def start(self):
        """Starts nt35e-sim and waits for it (see wait_for). StartError with the simulator's
        own message when it refuses its arguments or exits early."""
        args = self.command_line()
        with open(self.transcript_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                         start_new_session=True)
        threading.Thread(target=self._watch, name=f"nt35e-sim {self.proc.pid}", daemon=True).start()
        try:
            self._wait_ready()
            self._wait_boot()
        except BaseException:
            self.stop()
            raise
        return self

    def _watch(self):
        """Drains stdout (the simulator must never block on it), then notes the exit."""
        for raw in iter(self.proc.stdout.readline, b""):
            with self._cond:
                self._stdout.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self._cond.notify_all()
        status = self.proc.wait()
        with self._cond:
            self._exited = True
            self._cond.notify_all()
            unexpected = not self._stopping
        if unexpected:
            for callback in list(self.on_unexpected_exit):
                try:
                    callback(status)
                except Exception:  # a callback's trouble must not hide the exit
                    pass

    def _wait_ready(self):
        deadline = time.monotonic() + self.boot_timeout
        with self._cond:
            while True:
                ready = [l for l in self._stdout if l.startswith("ready: ")]
                if ready:
                    break
                if self._exited:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StartError(f"nt35e-sim printed no ready line within {self.boot_timeout:g} s\n"
                                     f"{tail(self.transcript())}")
                self._cond.wait(min(left, 0.5))
        if not ready:
            status = self.proc.wait(timeout=5)
            said = self.transcript().strip() or "\n".join(self._stdout).strip() or "(nothing on stderr)"
            raise StartError(f"nt35e-sim did not start ({describe_status(status)}): {said}")
        self.ready_line = ready[0]
        for l in self._stdout:
            if l.startswith("control: "):
                self.control = ControlClient(l[len("control: "):], token_file=self.control_token_file)
            if l.startswith("metrics: "):
                host, _, port = l[len("metrics: "):].strip().rpartition(":")
                self.metrics = (host.strip("[]"), int(port))
        words = self.ready_line.split()
        if self.transport == "pty":
            self.port = words[words.index("link") + 1] if "link" in words else words[2]
        else:
            host, _, port = words[2].rpartition(":")
            self.tcp = (host.strip("[]"), int(port))

    def _wait_boot(self):
        if self.wait_for == "ready" or self.control is None:
            return
        deadline = time.monotonic() + self.boot_timeout
        state = None
        while True:
            self.check_alive()
            try:
                state = self.control.state()
            except (UsageError, ControlRefused):
                state = None
            if state and not state.get("booting", True):
                if self.wait_for == "booted" or state.get("registration") in (1, 5):
                    return
            if time.monotonic() >= deadline:
                what = "boot" if self.wait_for == "booted" else "boot and register"
                seen = "no answer from its control channel" if state is None else ", ".join(
                    f"{k} {state.get(k)}" for k in ("booting", "registration", "sim", "cfun"))
                hint = "" if self.wait_for == "booted" else \
                    "; for a scenario that never registers, use wait_for=\"booted\""
                raise StartError(f"nt35e-sim did not {what} within {self.boot_timeout:g} s ({seen}){hint}\n"
                                 f"{tail(self.transcript())}")
            time.sleep(0.02)

    def scrape(self, token_file=None, timeout=5.0):
        """Every sample of the metrics endpoint (GET /metrics): {'name{label="v",...}': value}.
        token_file: the file of --metrics-token-file, when the endpoint needs one."""
        if self.metrics is None:
            raise UsageError("no metrics endpoint: start the Simulator with metrics=True")
        import urllib.request
        host, port = self.metrics
        request = urllib.request.Request(f"http://{host if ':' not in host else '[' + host + ']'}:{port}/metrics")
        if token_file:
            with open(token_file, encoding="utf-8") as f:
                request.add_header("Authorization", "Bearer " + f.readline().strip())
        with urllib.request.urlopen(request, timeout=timeout) as r:
            text = r.read().decode("utf-8")
        samples = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            samples[series] = float(value)
        return samples

    def metric(self, name, token_file=None, **labels):
        """The sum of the samples of `name` whose labels include `labels`, e.g.
        metric("nt35e_at_commands_total", command="AT+CSQ"); 0 when none matches."""
        total = 0.0
        for series, value in self.scrape(token_file).items():
            m = re.fullmatch(r"([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?", series)
            if not m or m.group(1) != name:
                continue
            have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            if all(have.get(k) == str(v) for k, v in labels.items()):
                total += value
        return total

    def stop(self, timeout=5.0):
        """Ends the simulator (SIGTERM, then SIGKILL) and closes the line; returns the exit
        status. The trace is complete afterwards."""
        with self._cond:
            self._stopping = True
        self._close_line()
        if self.proc is None:
            return None
        return terminate(self.proc, timeout)

    def __enter__(self):
        return self if self.proc else self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def returncode(self):
        return self.proc.poll() if self.proc else None

    @property
    def died(self):
        """True when the simulator exited without stop() asking it to."""
        return self.proc is not None and self.proc.poll() is not None and not self._stopping

    def check_alive(self):
        """SimulatorDied (exit status and the transcript's last lines) if it has exited."""
        if self.proc is None:
            raise SimulatorError("the simulator was not started")
        status = self.proc.poll()
        if status is not None and not self._stopping:
            raise SimulatorDied(self.death_message(status), status)
        if status is not None:
            raise SimulatorError(f"the simulator was stopped ({describe_status(status)})")

    def death_message(self, status=None):
        status = self.proc.poll() if status is None else status
        return (f"nt35e-sim exited during the test ({describe_status(status)}); "
                f"the last lines of its transcript:\n{tail(self.transcript())}")

    # --- the DTE side ----------------------------------------------------------------

    def open_line(self):
        """Opens the DTE side of the line (the PTY, or a TCP connection); send() and expect()
        do it on first use. Until then the line is free for a driver of your own (.port,
        .tcp), and what the modem sends meanwhile is dropped, as with no DTE attached."""
        if self._line is not None:
            return
        self.check_alive()
        attached = re.compile(r"\[info\] DTE (opened|connected from) ")
        before = len(attached.findall(self.transcript()))
        if self.transport == "pty":
            fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            tty.setraw(fd, termios.TCSANOW)
            self._line = fd
        else:
            self._line = socket.create_connection(self.tcp, timeout=5)
            self._line.setblocking(False)
        # The simulator notices the DTE a moment later; until then what it sends is dropped.
        # Its log says when (at info and below; otherwise this waits at most 2 s).
        deadline = time.monotonic() + 2
        while len(attached.findall(self.transcript())) <= before and time.monotonic() < deadline:
            if self.log_level not in ("info", "debug", "trace") or self.proc.poll() is not None:
                break
            time.sleep(0.005)

    def _close_line(self):
        if self._line is None:
            return
        if isinstance(self._line, int):
            os.close(self._line)
        else:
            self._line.close()
        self._line = None

    def _fileno(self):
        return self._line if isinstance(self._line, int) else self._line.fileno()

    def _read_some(self, timeout):
        """Reads what the line has within `timeout`; False at the end of the line."""
        r, _, _ = select.select([self._fileno()], [], [], max(timeout, 0))
        if not r:
            return True
        try:
            chunk = os.read(self._line, 65536) if isinstance(self._line, int) else self._line.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:  # EIO: the simulator closed the PTY
            return False
        if not chunk:
            return False
        self._line_bytes += chunk
        return True

    def write(self, data):
        """Writes bytes (or text as UTF-8) to the line as they are."""
        self.open_line()
        data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        deadline = time.monotonic() + 5
        while data:
            self.check_alive()
            _, w, _ = select.select([], [self._fileno()], [], 0.1)
            if w:
                n = os.write(self._line, data) if isinstance(self._line, int) else self._line.send(data)
                data = data[n:]
            elif time.monotonic() > deadline:
                raise SimulatorError("the line took no input for 5 s")

    def send(self, line, end="\r"):
        """Sends one command line as a DTE does: `line`, then CR."""
        self.write(line + end)

    def expect(self, pattern, timeout=5.0):
        """Waits until what the line sent (since the last match) matches `pattern` (a regex,
        searched); returns the match and consumes the line up to its end. ExpectTimeout,
        with what the line and the transcript said last, when it does not come in time;
        SimulatorDied when the simulator exits meanwhile."""
        self.open_line()
        rx = re.compile(pattern) if isinstance(pattern, (str, bytes)) else pattern
        deadline = time.monotonic() + timeout
        while True:
            text = bytes(self._line_bytes[self._line_pos:])
            subject = text if isinstance(rx.pattern, bytes) else text.decode("utf-8", "surrogateescape")
            m = rx.search(subject)
            if m:
                eaten = subject[:m.end()]
                self._line_pos += len(eaten) if isinstance(eaten, bytes) else len(
                    eaten.encode("utf-8", "surrogateescape"))
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise ExpectTimeout(
                    f"expect({rx.pattern!r}) saw no match within {timeout:g} s; the line said last:\n"
                    f"{tail(self.line_output(), 15)!r}\nthe transcript's last lines:\n"
                    f"{tail(self.transcript())}")
            if not self._read_some(min(left, 0.1)):
                self._close_line_after_end()
            if self.proc.poll() is not None:
                self._read_some(0)
                self.check_alive()

    def _close_line_after_end(self):
        self.check_alive()
        time.sleep(0.05)  # the line ended; the process will be gone in a moment

    def line_output(self):
        """Everything the line received so far (text)."""
        return self._line_bytes.decode("utf-8", "replace")

    # --- the simulator's side --------------------------------------------------------

    def fire(self, action, **fields):
        """One fault or scenario action now through the control channel:
        fire("drop_link", id=0), fire("refuse_connect", id=0, code=5), fire("reboot")."""
        self.check_alive()
        return self.control.fire(action, **fields)

    def state(self):
        self.check_alive()
        return self.control.state()

    def transcript(self):
        """The simulator's log so far: every line in and out, MQTT, state changes."""
        return read_text(self.transcript_path)

    def expect_log(self, pattern, timeout=5.0):
        """As expect(), on the transcript: waits for a log line matching `pattern`
        (searched from the last expect_log match on)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            text = self.transcript()
            m = rx.search(text, self._log_pos)
            if m:
                self._log_pos = m.end()
                return m
            if self.proc.poll() is not None:
                self.check_alive()
            if time.monotonic() >= deadline:
                raise ExpectTimeout(f"expect_log({rx.pattern!r}) saw no match within {timeout:g} s; "
                                    f"the transcript's last lines:\n{tail(text)}")
            time.sleep(0.02)

    def verdict(self):
        """The oracle's verdict on the session (a dict: findings, rules exercised, passed),
        or None while it is not available.

        The simulator writes it when it stops (--verdict-json, docs/oracle.md): call stop()
        first. While it runs, the control channel is asked only if its help lists a
        "verdict" query. None means "not available", never "passed"."""
        if self.proc is not None and self.proc.poll() is not None:
            try:
                with open(self.verdict_path, encoding="utf-8") as f:
                    return json.load(f)
            except (OSError, ValueError):
                return None
        if self.control is None or self.proc is None:
            return None
        try:
            # Asked only when the simulator lists it: an unknown query is logged as a refusal.
            known = self.control.request({"query": "help"}).get("requests", [])
            if not any('"verdict"' in str(r.get("request", "")) for r in known if isinstance(r, dict)):
                return None
            answer = self.control.request({"query": "verdict"})
        except UsageError:
            return None
        if not answer.get("ok"):
            return None
        return {k: v for k, v in answer.items() if k != "ok"}

    def report(self, out=None, timeout=60.0):
        """The HTML report (nt35e-sim report) of the trace; stop() first so the trace is
        complete. Returns its path; SimulatorError with the tool's message if it fails."""
        if not self.trace_path:
            raise SimulatorError("no trace was recorded (record=False)")
        if not os.path.isfile(self.trace_path) or os.path.getsize(self.trace_path) == 0:
            raise SimulatorError(f"the trace {self.trace_path} is empty: nothing to report")
        out = os.fspath(out) if out else os.path.join(self.workdir, "report.html")
        try:
            r = subprocess.run([self.binary, "report", "-o", out, self.trace_path], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SimulatorError(f"nt35e-sim report did not finish within {timeout:g} s")
        if r.returncode != 0:
            raise SimulatorError(f"nt35e-sim report failed ({describe_status(r.returncode)}): "
                                 f"{r.stderr.decode('utf-8', 'replace').strip()}")
        self.report_path = out
        return out
