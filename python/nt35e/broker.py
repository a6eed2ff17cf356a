"""A real mosquitto on a free loopback port, with a generated configuration and a capture
of every message that reaches it (a mosquitto_sub -v on '#'), so a test can assert on
the broker's side of what a driver published through the simulator.

Debian: mosquitto and mosquitto-clients. Every wait has a deadline. Standard library only.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

from nt35e.simulator import read_text, terminate


class BrokerError(Exception):
    """mosquitto did not start, or an expected message did not reach it."""


def free_port():
    """A port the kernel says is free on 127.0.0.1 (released before mosquitto binds it;
    start() retries on the rare clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Message:
    """One message the broker received: topic (str), payload (bytes), qos, retain."""

    def __init__(self, topic, payload, qos=0, retain=False):
        self.topic, self.payload, self.qos, self.retain = topic, payload, qos, retain

    @property
    def text(self):
        return self.payload.decode("utf-8", "replace")

    def __repr__(self):
        return f"Message({self.topic!r}, {self.payload!r})"


class Broker:
    """mosquitto on 127.0.0.1:<free port>.

    hostname: the name a modem is told to use (ECMTOPEN); modem_options() maps it to this
    broker (--live --map-host HOST=127.0.0.1:PORT). users: {"user": "password"} makes the
    broker refuse anonymous clients and everyone with another password.
    """

    PROBE_TOPIC = "nt35e-broker-probe"

    def __init__(self, workdir=None, hostname="mqtt.nt35e.test", users=None, start_timeout=10.0):
        self.workdir = os.fspath(workdir) if workdir else tempfile.mkdtemp(prefix="nt35e-broker-")
        os.makedirs(self.workdir, exist_ok=True)
        self.hostname = hostname
        self.users = dict(users or {})
        self.start_timeout = start_timeout
        self.host = "127.0.0.1"
        self.port = None
        self.proc = None
        self.sub = None
        self.config_path = os.path.join(self.workdir, "mosquitto.conf")
        self.log_path = os.path.join(self.workdir, "mosquitto.log")
        self._messages = []
        self._cond = threading.Condition()
        self._probe = f"{self.PROBE_TOPIC}/{uuid.uuid4().hex}"

    def _write_config(self):
        lines = ["persistence false", f"log_dest file {self.log_path}", "log_type all", "log_timestamp true",
                 "log_timestamp_format %H:%M:%S", "per_listener_settings true"]
        if os.geteuid() == 0:
            lines.append("user root")  # else mosquitto drops to its own user and loses our 0700 directory
        lines += ["",
                 f"listener {self.port} 127.0.0.1"]
        if self.users:
            passwd = os.path.join(self.workdir, "passwd")
            open(passwd, "w").close()
            for user, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", passwd, user, password], check=True, timeout=10,
                               stdin=subprocess.DEVNULL, capture_output=True)
            # The capture and the probe log in as the first user.
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines += ["allow_anonymous true"]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for tool in ("mosquitto", "mosquitto_sub", "mosquitto_pub"):
            if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
                raise BrokerError(f"{tool} was not found; install the Debian packages mosquitto and mosquitto-clients")
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        for attempt in range(3):  # a free port may be taken between asking and binding
            self.port = free_port()
            self._write_config()
            with open(os.path.join(self.workdir, "mosquitto.out"), "wb") as out:
                self.proc = subprocess.Popen([binary, "-c", self.config_path], stdin=subprocess.DEVNULL,
                                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + self.start_timeout
            while self.proc.poll() is None and not _accepts(self.port):
                if time.monotonic() > deadline:
                    self.stop()
                    raise BrokerError(f"mosquitto did not accept connections on port {self.port} within "
                                      f"{self.start_timeout:g} s\n{self.log()}")
                time.sleep(0.02)
            if self.proc.poll() is None:
                break
        else:
            raise BrokerError(f"mosquitto exited at start (status {self.proc.returncode}):\n{self.log()}")
        self._start_capture()
        return self

    def _auth_args(self):
        if not self.users:
            return []
        user, password = next(iter(self.users.items()))
        return ["-u", user, "-P", password]

    def _start_capture(self):
        # %j: one JSON object per message (topic, payload, qos, retain), whatever the payload holds.
        self.sub = subprocess.Popen(
            ["mosquitto_sub", "-h", self.host, "-p", str(self.port), "-t", "#", "-q", "2", "-F", "%j",
             *self._auth_args()], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)
        threading.Thread(target=self._read_capture, name="nt35e-broker capture", daemon=True).start()
        # The capture is live once it sees a probe published after it subscribed.
        deadline = time.monotonic() + self.start_timeout
        while True:
            subprocess.run(["mosquitto_pub", "-h", self.host, "-p", str(self.port), "-t", self._probe, "-m", "probe",
                            *self._auth_args()], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
            with self._cond:
                if self._cond.wait_for(lambda: any(m.topic == self._probe for m in self._messages), 0.2):
                    break
            if time.monotonic() > deadline or self.sub.poll() is not None:
                self.stop()
                raise BrokerError(f"the capture (mosquitto_sub) did not see messages within {self.start_timeout:g} s")

    def _read_capture(self):
        for raw in iter(self.sub.stdout.readline, b""):
            try:
                j = json.loads(raw)
            except ValueError:
                continue
            payload = j.get("payload", "")
            payload = payload.encode("utf-8") if isinstance(payload, str) else json.dumps(payload).encode("utf-8")
            m = Message(j.get("topic", ""), payload, j.get("qos", 0), bool(j.get("retain", False)))
            with self._cond:
                self._messages.append(m)
                self._cond.notify_all()

    def messages(self, topic=None):
        """What reached the broker so far (the capture's probes left out)."""
        with self._cond:
            return [m for m in self._messages
                    if not m.topic.startswith(self.PROBE_TOPIC) and (topic is None or m.topic == topic)]

    def wait_for(self, topic, payload=None, timeout=10.0):
        """The first message on `topic` (with `payload`, bytes or text, when given); BrokerError
        listing what did arrive when none comes in time."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")

        def found():
            for m in self.messages(topic):
                if payload is None or m.payload == payload:
                    return m
            return None

        with self._cond:
            if self._cond.wait_for(found, timeout):
                return found()
        raise BrokerError(f"no message on {topic!r}{'' if payload is None else f' with payload {payload!r}'} reached "
                          f"the broker within {timeout:g} s; it received: {self.messages()}")

    def publish(self, topic, payload, qos=0, retain=False):
        """Publishes from another client (mosquitto_pub), as a server would."""
        args = ["mosquitto_pub", "-h", self.host, "-p", str(self.port), "-t", topic, "-m", payload, "-q", str(qos),
                *self._auth_args()]
        if retain:
            args.append("-r")
        r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        if r.returncode != 0:
            raise BrokerError(f"mosquitto_pub failed: {r.stderr.decode('utf-8', 'replace').strip()}")

    def modem_options(self, hostname=None):
        """nt35e-sim options that send the modem's connections for `hostname` here."""
        return ["--live", "--map-host", f"{hostname or self.hostname}={self.host}:{self.port}"]

    def log(self):
        return read_text(self.log_path)

    def stop(self):
        for p in (self.sub, self.proc):
            if p is not None:
                terminate(p)
        if self.sub is not None and self.sub.stdout:
            self.sub.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
