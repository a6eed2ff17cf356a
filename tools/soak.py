#!/usr/bin/python3
"""Soak: a live fleet against a real mosquitto that keeps dying, for N minutes.

Starts a real mosquitto (password file, persistence) on a free loopback port, a slow-network
proxy in front of it, and `nt35e-sim --fleet M --live` on TCP with a scenario that refuses
some logins. One driver thread per modem runs the seed flow (OPEN, CONN with a password,
SUB) and publishes QoS 1 messages; a mosquitto_sub with a persistent session counts what
arrives. Meanwhile the broker is stopped and restarted every --broker-every seconds, links
are dropped and logins refused through the control channel, and the proxy slows the
network in windows. Faults stop a while before the end, so every link must have recovered.

It checks, and exits 1 naming the failed check (0 when all hold):
  * the simulator is alive at the end and exits 0 on SIGTERM (no crash);
  * its RSS at the end is within --rss-tolerance of its RSS after warm-up;
  * its open file descriptors did not grow (after warm-up vs the end);
  * every QoS 1 message acknowledged by +ECMTPUB:<id>,<mid>,0 reached the subscriber, and
    every message published while connected either arrived or was reported failed by its
    URC (+ECMTPUB result 1 or 2); none arrived twice from the module's side;
  * every +ECMTSTAT was followed by recovery (+ECMTCONN:<id>,0,0 and a new SUBACK).

Usage: /usr/bin/python3 tools/soak.py --binary build/simulator/nt35e-sim --minutes 3
Standard library only; loopback only; every wait bounded.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

USER, PASSWORD = "soak", "soak-pw-7f3a"


def log(text):
    sys.stdout.write(f"[soak {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stdout.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(count):
    """A base port such that base..base+count-1 are free now (best effort)."""
    for _ in range(50):
        base = random.randint(20000, 60000 - count)
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free range of TCP ports on 127.0.0.1")


# --------------------------------------------------------------------------- broker

class Broker:
    """A real mosquitto with a password file and persistence, restartable on one port."""

    def __init__(self, workdir):
        self.dir = workdir
        self.port = free_port()
        self.proc = None
        self.restarts = 0
        pw = os.path.join(workdir, "passwd")
        with open(pw, "w") as f:
            f.write(f"{USER}:{PASSWORD}\n")
        os.chmod(pw, 0o600)
        subprocess.run(["mosquitto_passwd", "-U", pw], check=True)
        self.conf = os.path.join(workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            if os.geteuid() == 0:
                f.write("user root\n")  # keep access to our 0700 temp dir
            f.write(f"listener {self.port} 127.0.0.1\n"
                    "allow_anonymous false\n"
                    f"password_file {pw}\n"
                    "persistence true\n"
                    f"persistence_location {workdir}/\n"
                    "autosave_interval 1\n"
                    "max_queued_messages 0\n"
                    f"log_dest file {workdir}/mosquitto.log\n")

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening within 10 s")

    def stop(self):
        # SIGTERM: mosquitto saves its persistence file, so messages it acknowledged but
        # has not delivered yet survive the restart (a SIGKILL would lose them, which would
        # be the broker's loss, not the simulator's).
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self, down_for):
        self.stop()
        time.sleep(down_for)
        self.start()
        self.restarts += 1


# --------------------------------------------------------------------------- slow proxy

class SlowProxy:
    """TCP forwarder between the modems and mosquitto; in a slow window every chunk is held
    back by `delay` seconds (order kept), as a congested cell would."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.delay = 0.0
        self.stopping = False
        self.windows = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=2)
            except OSError:
                client.close()  # broker down: the connection dies, as a refused one would
                continue
            server.settimeout(None)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.stopping = True
        self.listener.close()


# --------------------------------------------------------------------------- subscriber

class Subscriber:
    """mosquitto_sub with a persistent session (-c), so it misses nothing across restarts."""

    def __init__(self, broker_port):
        self.counts = {}
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker_port), "-u", USER, "-P", PASSWORD,
             "-i", "soak-subscriber", "-c", "-q", "1", "-t", "soak/up/#", "-F", "%p"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            key = line.strip()
            if key:
                with self.lock:
                    self.counts[key] = self.counts.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --------------------------------------------------------------------------- one modem's driver

URC = re.compile(r"^\+(ECMT[A-Z]+):\s*(.*)$")
FINAL = re.compile(r"^(OK|ERROR|\+CME ERROR:.*|\+CMS ERROR:.*)$")


class LinkLost(Exception):
    pass


class Driver(threading.Thread):
    def __init__(self, index, port, broker_port, deadline, stats):
        super().__init__(daemon=True)
        self.i = index
        # Odd modems run with quirk no_ack_timeout off (set by the scenario): a publish whose
        # PUBACK never comes ends with +ECMTPUB:<id>,<mid>,2 after pkt_timeout. Even modems
        # keep the NT35E default: no result URC ever; +ECMTSTAT is the only sign (§5.8.3).
        self.reports_timeouts = index % 2 == 1
        self.port = port
        self.broker_port = broker_port
        self.deadline = deadline
        self.stats = stats
        self.sock = None
        self.buf = b""
        self.urcs = []
        self.seq = 0
        self.mid = 0
        self.pending = {}  # mid -> payload key, published and not yet answered by +ECMTPUB
        self.lost_at = None  # time of the +ECMTSTAT being recovered from
        self.error = None
        self.recent = []  # the last lines both ways, for the failure report

    # -- bytes and lines
    def _lines(self, timeout):
        end = time.monotonic() + timeout
        while True:
            if b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                text = line.decode("utf-8", "replace").strip()
                if text:
                    self.recent = self.recent[-40:] + [f"{time.monotonic():.1f} < {text}"]
                    return text
                continue
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return None
            if not data:
                raise RuntimeError("the simulator closed the TCP connection")
            self.buf += data

    def _take(self, line):
        """A URC line: record what it means; returns True when it was a URC."""
        m = URC.match(line)
        if not m:
            return False
        name, fields = m.group(1), m.group(2).split(",")
        if name != "ECMTSTAT":
            self.urcs.append((name, fields))
        if name == "ECMTPUB" and len(fields) >= 3:
            mid, result = int(fields[1]), int(fields[2])
            key = self.pending.pop(mid, None)
            if key is not None:
                self.stats.result(key, "acked" if result == 0 else "failed")
        elif name == "ECMTSTAT":
            # A +ECMTCONN kept from before this loss is stale: the module's next reconnect
            # is the one to wait for (taken for it, SUB met a reconnecting module).
            self.urcs = [u for u in self.urcs if u[0] != "ECMTCONN"]
            self.urcs.append((name, fields))
            self.stats.count("stat")
            if self.lost_at is None:  # one loss episode until recovered, however many URCs
                self.lost_at = time.monotonic()
                self.stats.count("losses")
        return True

    def command(self, text, timeout=10):
        self.recent = self.recent[-40:] + [f"{time.monotonic():.1f} > {text}"]
        self.sock.sendall(text.encode() + b"\r")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self._lines(end - time.monotonic())
            if line is None:
                break
            if FINAL.match(line):
                return line
            self._take(line)
        raise RuntimeError(f"modem {self.i}: no final result to {text} within {timeout} s")

    def wait_urc(self, name, timeout, accept=lambda f: True):
        """Waits for URC `name` whose fields pass `accept`; other URCs are recorded."""
        for k, (n, f) in enumerate(self.urcs):
            if n == name and accept(f):
                del self.urcs[k]
                return f
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self._lines(end - time.monotonic())
            if line is None:
                break
            if self._take(line):
                n, f = self.urcs[-1]
                if n == name and accept(f):
                    self.urcs.pop()
                    return f
        return None

    def saw(self, name):
        return any(n == name for n, _ in self.urcs)

    def forget(self, name):
        """Drops URCs `name` kept from earlier attempts before a command whose own URC is
        awaited: a late +ECMTCONN of an abandoned attempt, read while the next one began,
        was once taken for the answer to the new CONN (SUB then failed, and the cycle
        repeated for minutes)."""
        self.urcs = [u for u in self.urcs if u[0] != name]

    # -- the seed flow, tolerant of every fault the soak injects
    def bring_up(self):
        while time.monotonic() < self.deadline:
            self.urcs.clear()
            self.command('AT+ECMTCLOSE=0', timeout=10)  # whatever state the id is in
            self.wait_urc("ECMTCLOSE", 3)
            self.forget("ECMTOPEN")
            if self.command(f'AT+ECMTOPEN=0,"127.0.0.1",{self.broker_port}') != "OK":
                time.sleep(1)
                continue
            opened = self.wait_urc("ECMTOPEN", 20)
            if opened is not None and opened[1] != "0":
                time.sleep(2)
                continue
            # No URC: the id was still OPENED (a refused login leaves it so, and CLOSE is
            # refused while the module reconnects), and OPEN on a live id is a silent no-op
            # (§5.2): go on to CONN.
            if self.connect_and_subscribe():
                return True
            time.sleep(2)
        return False

    def connect_and_subscribe(self):
        """AT+ECMTCONN until accepted: a refusal leaves the id OPENED (§5.4 step 6), so the
        host asks again, as a driver would, with a growing pause."""
        for attempt in range(6):
            self.forget("ECMTCONN")
            if self.command(f'AT+ECMTCONN=0,"soak-{self.i}","{USER}","{PASSWORD}"') != "OK":
                return False
            f = self.wait_urc("ECMTCONN", 40)
            if f is None:
                return False
            if f[1:] == ["0", "0"]:
                return self.subscribe()
            self.stats.count("refused")
            if f[1] != "0":
                return False  # the CONNECT could not be sent: reopen
            time.sleep(1 + attempt)
        return False

    def subscribe(self):
        self.forget("ECMTSUB")
        if self.command(f'AT+ECMTSUB=0,1,"soak/down/{self.i}",1') != "OK":
            return False
        f = self.wait_urc("ECMTSUB", 30)
        return f is not None

    def recover(self):
        """After +ECMTSTAT: the module reconnects by itself (§7.4); resubscribe after it."""
        f = self.wait_urc("ECMTCONN", 60)
        if f is not None and f[1:] == ["0", "0"]:
            if self.subscribe():
                return True
        elif f is not None and f[1] == "0":
            self.stats.count("refused")  # refused: the id is OPENED again, log in anew
            if self.connect_and_subscribe():
                return True
        # No reconnect, or the link closed: start over from OPEN.
        return self.bring_up()

    def publish(self):
        self.seq += 1
        self.mid = self.mid % 65535 + 1
        key = f"{self.i}:{self.seq}"
        answer = self.command(f'AT+ECMTPUB=0,{self.mid},1,0,"soak/up/{self.i}","{key}"')
        if answer != "OK":
            self.stats.result(key, "refused")
            return
        self.pending[self.mid] = key
        self.stats.result(key, "sent")
        # Wait for its acknowledgement URC (bounded), recording everything else.
        self.wait_urc("ECMTPUB", 10, accept=lambda f: int(f[1]) == self.mid)

    def run(self):
        try:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            # Input before ECRDY is lost on the module (§2.1): retry AT until it answers.
            end = time.monotonic() + 20
            while True:
                try:
                    if self.command("AT", timeout=1) == "OK":
                        break
                except RuntimeError:
                    if time.monotonic() > end:
                        raise
            self.command("ATE0")
            end = time.monotonic() + 30
            while not self.registered():
                if time.monotonic() > end:
                    raise RuntimeError("not registered within 30 s")
                time.sleep(0.5)
            if not self.bring_up():
                raise RuntimeError("could not bring the link up")
            self.stats.count("up")
            while time.monotonic() < self.deadline:
                if self.saw("ECMTSTAT") or self.lost_at is not None:
                    self.urcs = [u for u in self.urcs if u[0] != "ECMTSTAT"]
                    if not self.reports_timeouts:
                        for key in self.pending.values():
                            self.stats.result(key, "in_doubt_at_loss")
                        self.pending.clear()
                    # else: their +ECMTPUB result 2 (or a late ack) settles them later
                    started = self.lost_at or time.monotonic()
                    if not self.recover():
                        raise RuntimeError("no recovery after +ECMTSTAT within the deadline")
                    took = time.monotonic() - started
                    self.stats.recovery(took)
                    if took > 20 and not self.stats.slow_example:
                        self.stats.slow_example = (self.i, took, list(self.recent))
                    # A +ECMTSTAT read during the recovery belongs to this episode (it was
                    # not counted as a loss); left in the list it would start a second
                    # recovery without a loss (a 30-minute run counted 15 such).
                    self.urcs = [u for u in self.urcs if u[0] != "ECMTSTAT"]
                    self.lost_at = None
                    continue
                self.publish()
                time.sleep(random.uniform(0.2, 0.6))
        except Exception as e:  # reported, and counted as a failed check
            self.error = f"modem {self.i}: {e}"
            self.error_lines = list(self.recent)

    def registered(self):
        """AT+CEREG? answers stat 1 (home) or 5 (roaming)."""
        self.sock.sendall(b"AT+CEREG?\r")
        end = time.monotonic() + 5
        registered = False
        while time.monotonic() < end:
            line = self._lines(end - time.monotonic())
            if line is None or FINAL.match(line):
                break
            registered = registered or bool(re.match(r"^\+CEREG:\s*\d+,(1|5)\b", line))
        return registered


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = {}  # key -> last state
        self.counters = {}
        self.recoveries = []
        self.slow_example = None  # (modem, seconds, its last lines): the first slow recovery

    def result(self, key, state):
        with self.lock:
            # "sent" never overwrites a final answer that raced ahead of it
            if state == "sent" and key in self.messages:
                return
            self.messages[key] = state

    def count(self, name):
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + 1

    def recovery(self, seconds):
        with self.lock:
            self.recoveries.append(seconds)


# --------------------------------------------------------------------------- control channel

def control(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data.decode() or "{}")


# --------------------------------------------------------------------------- process figures

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else 0


# --------------------------------------------------------------------------- main

def main(argv):
    p = argparse.ArgumentParser(prog="soak.py", description="Soak a live fleet against a dying broker.")
    p.add_argument("--binary", default="build/simulator/nt35e-sim")
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--modems", type=int, default=50)
    p.add_argument("--broker-every", type=float, default=30.0, help="seconds between broker restarts")
    p.add_argument("--rss-tolerance", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.minutes <= 0 or args.modems < 1 or args.modems > 1000:
        p.error("--minutes must be above 0 and --modems from 1 to 1000")
    if not os.access(args.binary, os.X_OK):
        p.error(f"{args.binary} is not an executable; build it first (cmake --build build --target nt35e-sim)")
    for tool in ("mosquitto", "mosquitto_sub", "mosquitto_passwd"):
        if not shutil.which(tool):
            p.error(f"{tool} is not installed (bash tools/install-deps.sh installs it)")
    random.seed(args.seed)

    total = args.minutes * 60
    quiet_tail = min(60.0, total / 3)  # no faults at the end: every link must come back
    # Warm-up covers a whole fault cycle: the first broker restarts (30 s apart) and the
    # recoveries after them (up to 40 s), every kind of fault fired once; the process fills
    # its pools and the oracle its bounded tables meanwhile (2026-12-04: from 45 s to 3 min
    # RSS grew 4-5 %, then 1.4 % in the next 27 minutes).
    warm_up = min(max(90.0, total / 4), total / 2)
    work = tempfile.mkdtemp(prefix="nt35e-soak-")
    failures = []
    broker = Broker(work)
    broker.start()
    proxy = SlowProxy(broker.port)
    subscriber = Subscriber(broker.port)

    scenario = os.path.join(work, "soak.json")
    with open(scenario, "w") as f:
        json.dump({"name": "soak", "description": "live fleet soak: refusals on some reconnects",
                   "broker": {"live": True},
                   "rules": [{"on_mqtt": "link_lost", "occurrence": 2,
                              "then": [{"action": "refuse_connect", "id": 0, "code": 5}]}],
                   "modems": [{"select": ",".join(str(i) for i in range(1, args.modems, 2)),
                               "settings": {"quirk.no_ack_timeout": "off"}}] if args.modems > 1 else []}, f)
    base = free_port_range(args.modems)
    control_port = free_port()
    sim = subprocess.Popen([args.binary, "--fleet", str(args.modems), "--tcp", f"127.0.0.1:{base}",
                            "--scenario", scenario, "--control", f"127.0.0.1:{control_port}",
                            "--log-level", "warn"],
                           stdout=subprocess.PIPE, stderr=open(os.path.join(work, "sim.log"), "w"), text=True)
    ready = sim.stdout.readline()
    if not ready.startswith("control:") and not ready.startswith("ready:"):
        log(f"the simulator did not start: {ready!r}; its log is {work}/sim.log")
        return 1
    while ready and not ready.startswith("ready:"):
        ready = sim.stdout.readline()
    log(f"mosquitto on {broker.port} (proxy {proxy.port}), {args.modems} modems on TCP {base}.., "
        f"control {control_port}, {args.minutes} min, work dir {work}")

    start = time.monotonic()
    deadline = start + total
    stats = Stats()
    drivers = [Driver(i, base + i, proxy.port, deadline - 5, stats) for i in range(args.modems)]
    for d in drivers:
        d.start()

    # The fault clock starts once every modem is up, so the descriptors counted then (one
    # link per modem) can be compared with the end, when every link has recovered.
    up_deadline = time.monotonic() + 90
    while stats.counters.get("up", 0) < args.modems and time.monotonic() < up_deadline:
        time.sleep(0.5)
    all_up_fds = fd_count(sim.pid) if sim.poll() is None else 0
    log(f"{stats.counters.get('up', 0)} of {args.modems} modems up after {time.monotonic() - start:.1f} s; "
        f"{all_up_fds} open files")
    start = time.monotonic()
    samples = []  # (t, rss, fds)
    next_broker = start + args.broker_every
    next_drop = start + 7
    next_refuse = start + 13
    next_slow = start + 20
    slow_until = 0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if sim.poll() is not None:
            failures.append(f"the simulator exited with status {sim.returncode} during the soak")
            break
        samples.append((now - start, rss_kib(sim.pid), fd_count(sim.pid)))
        faults_on = now < deadline - quiet_tail
        if faults_on and now >= next_broker:
            log("broker: stop, restart in 2 s")
            broker.restart(2.0)
            next_broker = now + args.broker_every
        if faults_on and now >= next_drop:
            control(control_port, {"fleet": {"fire": {"action": "drop_link", "id": 0}, "fraction": 0.1,
                                             "seed": random.randint(1, 1 << 30)}})
            stats.count("drops_fired")
            next_drop = now + 7
        if faults_on and now >= next_refuse:
            m = random.randrange(args.modems)
            control(control_port, {"modem": m, "fire": {"action": "refuse_connect", "id": 0, "code": 5}})
            control(control_port, {"modem": m, "fire": {"action": "drop_link", "id": 0}})
            stats.count("refusals_fired")
            next_refuse = now + 13
        if faults_on and now >= next_slow and not proxy.delay:
            proxy.delay, slow_until = 0.4, now + 8
            proxy.windows += 1
            next_slow = now + 40
        if proxy.delay and now >= slow_until:
            proxy.delay = 0.0
        time.sleep(1.0)
    proxy.delay = 0.0

    for d in drivers:
        d.join(timeout=120)
    time.sleep(3)  # the subscriber's last deliveries
    received = subscriber.snapshot()

    # ---- checks
    alive = sim.poll() is None
    if alive:
        end_rss, end_fds = rss_kib(sim.pid), fd_count(sim.pid)
        sim.send_signal(signal.SIGTERM)
        try:
            code = sim.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sim.kill()
            code = "hung on SIGTERM"
        if code != 0:
            failures.append(f"the simulator's exit status on SIGTERM was {code}, not 0")
    elif not failures:
        failures.append(f"the simulator died (status {sim.returncode})")

    warm = [s for s in samples if s[0] >= warm_up]
    if alive and warm:
        base_rss = median([s[1] for s in warm[:5]])
        last_rss = median([s[1] for s in samples[-5:]])
        ratio = last_rss / base_rss if base_rss else 0
        log(f"RSS after warm-up {base_rss} KiB, at the end {last_rss} KiB (x{ratio:.3f}); "
            f"peak {max(s[1] for s in samples)} KiB")
        if ratio > 1 + args.rss_tolerance:
            failures.append(f"RSS grew {100 * (ratio - 1):.1f}% after warm-up (limit {100 * args.rss_tolerance:.0f}%)")
        base_fds, last_fds = all_up_fds, end_fds
        log(f"open files with every modem up {base_fds}, at the end {last_fds}")
        if last_fds > base_fds + 2:
            failures.append(f"file descriptors grew from {base_fds} to {last_fds}")
    elif alive:
        failures.append("the soak was too short to measure after warm-up")

    states = {}
    for key, state in stats.messages.items():
        states[state] = states.get(state, 0) + 1
    lost_acked = [k for k, s in stats.messages.items() if s == "acked" and k not in received]
    # "sent": OK and then no URC at all, with no link loss to excuse it (or, on an odd modem,
    # no result 2 after pkt_timeout either). "in_doubt_at_loss": in flight when +ECMTSTAT
    # came on a no_ack_timeout modem, which is all the NT35E ever says about it.
    silent = [k for k, s in stats.messages.items() if s == "sent" and k not in received]
    in_doubt = [k for k, s in stats.messages.items() if s == "in_doubt_at_loss"]
    log(f"in flight at a link loss on no_ack_timeout modems: {len(in_doubt)}, of which "
        f"{sum(1 for k in in_doubt if k in received)} arrived anyway")
    twice = [k for k, n in received.items() if n > 1]
    log(f"messages: {json.dumps(states, sort_keys=True)}; received {len(received)} distinct, "
        f"{len(twice)} more than once")
    log(f"faults: broker restarts {broker.restarts}, {json.dumps(stats.counters, sort_keys=True)}, "
        f"slow windows {proxy.windows}; recoveries {len(stats.recoveries)}, "
        f"longest {max(stats.recoveries, default=0):.1f} s")
    if lost_acked:
        failures.append(f"{len(lost_acked)} acknowledged QoS 1 messages never arrived, e.g. {lost_acked[:5]}")
    if silent:
        failures.append(f"{len(silent)} messages published while connected neither arrived nor were reported "
                        f"failed by a URC, e.g. {silent[:5]}")
    errors = [d.error for d in drivers if d.error]
    if errors:
        failures.append(f"{len(errors)} modems failed: " + "; ".join(errors[:5]))
        first = next(d for d in drivers if d.error)
        log(f"the last lines of modem {first.i}:\n  " + "\n  ".join(first.error_lines))
    if stats.counters.get("losses", 0) != len(stats.recoveries) and not errors:
        failures.append(f"{stats.counters.get('losses', 0)} link losses but {len(stats.recoveries)} recoveries")
    if stats.slow_example:
        i, took, lines = stats.slow_example
        log(f"slowest kind of recovery: modem {i} took {took:.1f} s:\n  " + "\n  ".join(lines))
    if states.get("acked", 0) == 0:
        failures.append("no message was acknowledged at all: the soak did not exercise anything")

    subscriber.stop()
    proxy.close()
    broker.stop()
    if failures:
        for f in failures:
            log("FAILED: " + f)
        log(f"kept {work} (sim.log, mosquitto.conf)")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
