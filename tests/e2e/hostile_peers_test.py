#!/usr/bin/env python3
"""End-to-end: hostile peers against the real nt35e-sim (docs/reliability.md, "Hostile peers").

    hostile_peers_test.py --sim build/simulator/nt35e-sim CASE

CASE is one of CASES below: a DTE that floods, sends 1 MB without a CR, sends NULs or
never reads; a broker (tests/support/hostile_broker.py) that sends malformed or huge
packets, stalls or closes; a control client that sends garbage, half a line, an overlong
line, or opens 10,000 connections. Each case checks that the simulator stays up, that
memory (VmRSS) and descriptors stay bounded, that the refusal is the module's (ERROR,
a URC, a dropped count in the metrics), that each refusal is logged once, and that
`AT` still answers `OK` afterwards.

Standard library only; loopback only; every wait has a deadline; the simulator is always
stopped; on failure one clear message (plus the simulator's stderr) and exit status 1.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from control_cli_test import Dte  # noqa: E402  (the PTY opened as a terminal would be)
from hostile_broker import HostileBroker  # noqa: E402
from simulator import Failure, Simulator as _Simulator, check  # noqa: E402

MIB = 1024 * 1024


class Simulator(_Simulator):
    """nt35e-sim on a PTY (or, with tcp, a TCP line) with a control channel, booted fast."""

    def __init__(self, binary, workdir, extra=(), tcp=False, stderr_pipe=False):
        self.link = os.path.join(workdir, "nt35e0")
        line = ["--tcp", "0"] if tcp else ["--pty", self.link]
        super().__init__(binary, workdir, [*line, "--control", "0", "--set", "timing.boot=50",
                                           "--set", "timing.registration=50", *extra], stderr_pipe=stderr_pipe)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise Failure("no VmRSS in /proc/PID/status")

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def alive(self):
        check(self.proc.poll() is None, f"nt35e-sim exited (status {self.proc.returncode})")

    def log_lines(self, needle, level=None):
        """The log lines holding `needle` (and `[level]`, if given)."""
        tag = f"[{level}]" if level else ""
        return [line for line in self.stderr_text().splitlines() if needle in line and tag in line]


class TcpDte(Dte):
    """The DTE on the simulator's TCP line: the same reads and writes, on a socket."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setblocking(False)
        self.fd = self.sock.fileno()
        self.pending = b""

    def close(self):
        self.sock.close()


class Control:
    """One control-channel client: a request line in, one answer line out."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.pending = b""

    def ask(self, request, timeout=5.0):
        self.sock.sendall(request.encode() + b"\n")
        return json.loads(self.read_line(timeout))

    def read_line(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            check(left > 0, f"no answer line on the control channel within {timeout:g} s")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            check(chunk, "the control channel closed")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line

    def close(self):
        self.sock.close()


def metrics(sim):
    c = Control(sim.control_port)
    try:
        answer = c.ask('{"query": "metrics"}')
    finally:
        c.close()
    check(answer.get("ok"), f"query metrics: {answer}")
    return answer["counters"]


def at_ok(dte):
    """`AT` -> `OK`: the module still answers (input that waited is read first)."""
    dte.pending = b""
    got = dte.command("AT", "OK\r\n", timeout=10.0)
    check(got.endswith("\r\nOK\r\n"), f"AT answered {got!r}")


def drain(dte, quiet=0.5, limit=30.0):
    """Reads the PTY until nothing came for `quiet` seconds; everything read."""
    import select
    out = bytearray()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        r, _, _ = select.select([dte.fd], [], [], quiet)
        if not r:
            return bytes(out)
        try:
            out += os.read(dte.fd, 65536)
        except BlockingIOError:
            continue
    raise Failure(f"the module was still writing after {limit:g} s")


def send_all(dte, data, limit=30.0):
    """Writes `data` to the PTY while reading what comes back (echo, answers); all read."""
    import select
    out = bytearray()
    deadline = time.monotonic() + limit
    while data:
        check(time.monotonic() < deadline, f"could not write to the PTY within {limit:g} s")
        r, w, _ = select.select([dte.fd], [dte.fd], [], 1.0)
        if r:
            try:
                out += os.read(dte.fd, 65536)
            except BlockingIOError:
                pass
        if w:
            try:
                data = data[os.write(dte.fd, data[:4096]):]
            except BlockingIOError:
                pass
    return bytes(out) + drain(dte)


def check_rss(sim, before, bound_mib, what):
    after = sim.rss_kib()
    print(f"{what}: VmRSS {before} KiB before, {after} KiB after (bound +{bound_mib} MiB)")
    check(after - before < bound_mib * 1024, f"{what}: VmRSS grew from {before} to {after} KiB")


# ---- DTE ---------------------------------------------------------------------------------

def dte_flood(sim, dte, workdir):
    """Ten bursts of 2,000 AT+CSQ lines, each written as fast as the PTY takes them, the answers read meanwhile,
    each command taking 200 ms (timing.basic_result): input that arrives while a command
    runs waits (4096 bytes at most, spec §2.1 rule 5); past that one ERROR per overflow,
    counted and explained once each."""
    before = sim.rss_kib()
    got = b""
    for _ in range(10):  # ten bursts of 2,000 lines: ten overflows
        got += send_all(dte, b"AT+CSQ\r" * 2000)
        sim.alive()
    errors = got.count(b"\r\nERROR\r\n")
    oks = got.count(b"\r\nOK\r\n")
    c = metrics(sim)
    print(f"dte_flood: {oks} OK, {errors} ERROR, metrics input_overflows {c['input_overflows']}")
    check(oks > 0, "no OK at all")
    check(errors == c["input_overflows"] + c["lines_too_long"], f"{errors} ERROR but metrics {c}")
    check(c["input_overflows"] >= 10, "ten bursts of 14 KB did not overflow the 4096-byte input buffer ten times")
    logged = len(sim.log_lines("input.overflow"))
    check(logged == c["input_overflows"], f"input.overflow logged {logged} times for {c['input_overflows']}")
    check_rss(sim, before, 16, "dte_flood")
    at_ok(dte)


def dte_no_cr(sim, dte, workdir):
    """1 MB without a CR (echoed, read meanwhile), then a CR: one ERROR (line.too_long,
    spec §2.1 rule 4), counted and logged once."""
    before = sim.rss_kib()
    got = send_all(dte, b"AT+" + b"X" * (MIB - 3))
    check(b"ERROR" not in got, "an answer before the CR")
    got = send_all(dte, b"\r")
    check(got.count(b"\r\nERROR\r\n") == 1, f"the CR got {got[-200:]!r}")
    c = metrics(sim)
    print(f"dte_no_cr: metrics lines_too_long {c['lines_too_long']}, input_overflows {c['input_overflows']}")
    check(c["lines_too_long"] == 1, f"metrics {c}")
    check(len(sim.log_lines("line.too_long")) == 1, "line.too_long not logged exactly once")
    check_rss(sim, before, 16, "dte_no_cr")
    at_ok(dte)


def dte_nul(sim, dte, workdir):
    """NULs before, inside and after commands, and 100 KB of them: every command line
    still gets one final result; nothing else is refused."""
    lines = [b"\0\0AT\r", b"AT\0+CSQ\r", b"AT+CMEE=\"\0\"\r", b"\0" * 100000 + b"\r", b"ATI\0\r"]
    finals = 0
    for line in lines:
        got = send_all(dte, line)
        finals += got.count(b"OK\r\n") + got.count(b"ERROR")
        sim.alive()
    print(f"dte_nul: {finals} final results for {len(lines)} lines")
    check(finals >= 4, f"only {finals} final results for {len(lines)} lines")
    at_ok(dte)


def dte_never_reads(sim, dte, workdir, broker, qos=0):
    """A DTE that stops reading while the broker floods (30,000 x 1 KB): the module's output
    queue is bounded (8 MiB): the rest is dropped and counted (metrics
    output_dropped_bytes); "the DTE is not reading" is logged once. With QoS 1, every
    PUBLISH is also acknowledged to the broker (the module acknowledges on receipt), none
    lost on the MQTT side."""
    connect(dte, broker)
    before = sim.rss_kib()
    dte.send(f'AT+ECMTSUB=0,1,"t/flood",{qos}\r')  # the broker floods after its SUBACK; we stop reading now
    deadline = time.monotonic() + 40
    rss_full_q = None  # VmRSS once the output queue is full (the first bytes dropped)
    while True:
        sim.alive()
        c = metrics(sim)
        if rss_full_q is None and c["output_dropped_bytes"] > 0:
            rss_full_q, msgs_full_q = sim.rss_kib(), c["messages"]
        if c["messages"] >= broker.flood_count:
            break
        check(time.monotonic() < deadline, f"only {c['messages']} of {broker.flood_count} messages in 40 s: {c}")
        time.sleep(0.1)
    rss_full = sim.rss_kib()
    print(f"dte_never_reads: {c['messages']} messages, {c['output_dropped_bytes']} bytes dropped, "
          f"VmRSS {before} KiB before, {rss_full_q} KiB when the queue was full (message {msgs_full_q}), "
          f"{rss_full} KiB at the end")
    check(c["output_dropped_bytes"] > 0, f"nothing dropped: {c}")
    check(c["messages"] == broker.flood_count, f"{c['messages']} messages, {broker.flood_count} sent")
    if qos:
        deadline = time.monotonic() + 20
        while broker.pubacks < broker.flood_count:
            check(time.monotonic() < deadline, f"{broker.pubacks} PUBACKs of {broker.flood_count} in 20 s")
            time.sleep(0.1)
        print(f"dte_never_reads: {broker.pubacks} PUBACKs for {broker.flood_count} QoS 1 PUBLISHes")
    check(rss_full - before < 48 * 1024, f"VmRSS grew from {before} to {rss_full} KiB")
    # The broker is held back by TCP once the modem is behind (the relay reads the broker
    # only as fast as the modem handles it, paho/relay.hpp): the last messages after the
    # queue is full (two thirds of the flood) must not grow the memory with their number. Measured growth from there to the end: 0 to 4 MiB on a quiet
    # machine, up to 10.3 MiB at load 14 (the modem's thread starved, glibc's arenas);
    # without the throttle the flood grew it by 40 to 55 MiB.
    check(rss_full - rss_full_q < 16 * 1024,
          f"VmRSS grew from {rss_full_q} to {rss_full} KiB after the queue was full")
    got = drain(dte)
    print(f"dte_never_reads: the DTE read {len(got)} bytes once it read again")
    # What the line itself holds comes on top of the 8 MiB: the PTY's small buffers, or
    # for TCP the kernel's socket buffers (at most tcp_wmem's and tcp_rmem's maximum).
    slack = 128 * 1024
    if isinstance(dte, TcpDte):
        slack = sum(int(open(f"/proc/sys/net/ipv4/{f}").read().split()[2]) for f in ("tcp_rmem", "tcp_wmem"))
    check(len(got) <= 8 * MIB + slack, f"{len(got)} bytes came after the queue was full (line buffers {slack})")
    warned = sim.log_lines("the DTE is not reading (")
    check(len(warned) == 1, f"\"the DTE is not reading\" logged {len(warned)} times")
    summary = sim.log_lines("bytes of output were dropped so far")
    check(len(summary) == 1 and f"{c['output_dropped_bytes']} bytes" in summary[0],
          f"dropped-bytes summary lines: {summary}")
    at_ok(dte)


# ---- broker ------------------------------------------------------------------------------

def stderr_flood(dte, count=6000):
    """`count` overlong AT+CSQ lines, one at a time, each answered: about 1 KB of transcript
    apiece (the line, its answer, the explanation), megabytes in all."""
    line = "AT+CSQ=" + "9" * 400
    start = time.monotonic()
    for i in range(count):
        dte.pending = b""
        try:
            got = dte.command(line, "ERROR", timeout=10.0)
        except Failure as e:
            raise Failure(f"command {i + 1} of {count}, stderr unread: {e}")
        check("ERROR" in got, f"command {i} answered {got!r}")
    print(f"{count} commands answered in {time.monotonic() - start:.1f} s with stderr unread")


def stderr_never_read(sim, dte, workdir):
    """Nobody reads the simulator's stderr (a harness that captures it and reads only
    stdout): the transcript fills the pipe, and the module goes on answering. Before the
    transcript had a writer thread of its own (io/log_writer), the modem's thread blocked in
    write(2) and answered nothing after 485 AT+CSQ. Lines past the writer's 4 MiB are dropped
    and said, once the reader is back; nothing else is lost."""
    stderr_flood(dte)
    at_ok(dte)
    deadline = time.monotonic() + 30
    while b"were dropped: stderr was not being read" not in sim.read_stderr():
        check(time.monotonic() < deadline, "no notice of dropped transcript lines within 30 s of reading stderr")
        time.sleep(0.05)
    notices = [l for l in sim.stderr_text().splitlines() if "were dropped: stderr was not being read" in l]
    print(f"{len(notices)} notice(s): {notices[0]}")
    check(all("[warn]" in l for l in notices), f"a notice is not a warning: {notices}")
    check("AT+CSQ=9999" in sim.stderr_text(), "the transcript kept before the drop is missing")
    at_ok(dte)


def stderr_never_read_exit(sim, dte, workdir):
    """The same unread stderr, then SIGTERM: the simulator ends within seconds (its writer
    gives up on the reader after 1 s) instead of hanging in write(2) forever."""
    stderr_flood(dte, count=2000)
    at_ok(dte)
    start = time.monotonic()
    sim.proc.send_signal(signal.SIGTERM)
    try:
        status = sim.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise Failure("nt35e-sim did not end within 10 s of SIGTERM with its stderr unread")
    took = time.monotonic() - start
    print(f"ended with status {status} {took:.1f} s after SIGTERM")
    check(status == 0, f"status {status} after SIGTERM")


def connect(dte, broker):
    """OPEN and CONN to the hostile broker (mapped to broker.test, keepalive 2 s)."""
    check(dte.command('AT+ECMTCFG="keepalive",0,2', "OK\r\n").endswith("OK\r\n"), "keepalive")
    dte.command('AT+ECMTOPEN=0,"broker.test",1883', "+ECMTOPEN:0,", timeout=10)
    dte.read_until("\r\n")
    got = dte.command('AT+ECMTCONN=0,"hostile"', "+ECMTCONN:0,", timeout=15)
    got += dte.read_until("\r\n")
    return got


def broker_case(mode, expect, sub=True, **kwargs):
    def run(sim, dte, workdir, broker):
        before = sim.rss_kib()
        got = connect(dte, broker)
        if sub:
            check("+ECMTCONN:0,0,0" in got, f"CONN: {got!r}")
            got = dte.command('AT+ECMTSUB=0,1,"t/#",1', "+ECMTSUB:0,1,", timeout=5)
        deadline = time.monotonic() + 30
        while expect.encode() not in dte.pending and expect not in got:
            sim.alive()
            check(time.monotonic() < deadline, f"{mode}: no {expect!r} within 30 s; got {got!r} {dte.pending!r}")
            got += drain(dte, quiet=0.3, limit=5).decode("utf-8", "replace")
        print(f"{mode}: saw {expect!r} after {30 - (deadline - time.monotonic()):.1f} s")
        sim.alive()
        check_rss(sim, before, 16, mode)
        check(not broker.errors, f"the test broker failed: {broker.errors}")
        at_ok(dte)
        return got
    return run


def broker_huge_declared(sim, dte, workdir, broker):
    """A PUBLISH declaring 200 MB: skipped by the relay unbuffered (no 200 MB allocation);
    logged once; then the broker stalls and the keepalive notices (+ECMTSTAT)."""
    broker_case("huge_declared", "+ECMTSTAT:0,1")(sim, dte, workdir, broker)
    dropped = sim.log_lines("dropped a packet of")
    check(len(dropped) == 1 and str(200 * MIB + 5) in dropped[0], f"log: {dropped}")


def broker_huge_sent(sim, dte, workdir, broker):
    """A whole 5 MB PUBLISH: skipped (not delivered, spec §9), the link goes on: the next
    message arrives."""
    got = broker_case("huge_sent", '"t/after",after-huge')(sim, dte, workdir, broker)
    check("ZZZZ" not in got, "the 5 MB message reached the DTE")
    check(len(sim.log_lines("dropped a packet of")) == 1, "the skipped packet not logged once")


def broker_refused(mode, why):
    """A broken stream: the relay cuts the link, the module reports the loss once."""
    def run(sim, dte, workdir, broker):
        broker_case(mode, "+ECMTSTAT:0,1")(sim, dte, workdir, broker)
        # The transcript shows the event as it passes each layer (info); the warning is one.
        lines = sim.log_lines(why, "warn")
        check(len(lines) == 1, f"{why!r} warned {len(lines)} times")
    return run


def broker_connack_wrong_type(sim, dte, workdir, broker):
    """Spec §7.3: a first packet that is not a CONNACK is reported as code 6."""
    got = connect(dte, broker)
    got += drain(dte, quiet=1.0, limit=15).decode("utf-8", "replace")
    check("+ECMTCONN:0,0,6" in got, f"CONN: {got!r}")
    check(len(sim.log_lines("reported as CONNACK code 6")) == 1, "not logged once")
    at_ok(dte)


def broker_connack_half(sim, dte, workdir, broker):
    """Half a CONNACK, then nothing: the CONNACK limit (here 3 s) ends the wait, no hang."""
    t0 = time.monotonic()
    got = connect(dte, broker)
    got += drain(dte, quiet=1.0, limit=15).decode("utf-8", "replace")
    took = time.monotonic() - t0
    print(f"connack_half: {got!r} within {took:.1f} s")
    check("+ECMTCONN:0,0,0" not in got and "+ECMTCONN:0," in got, f"CONN: {got!r}")
    check(took < 15, f"{took:.1f} s")
    check(len(sim.log_lines("no CONNACK within")) == 1, "the missing CONNACK not logged once")
    at_ok(dte)


def broker_puback_hold(sim, dte, workdir, broker):
    """Back-pressure (docs/reliability.md): a broker that acknowledges nothing. The first 256
    QoS 1 publishes wait for their PUBACK; the rest are refused at once with
    +ECMTPUB:0,<msg>,2, counted in the metrics, and the refusal is logged once, not per
    publish. Once the broker acknowledges, the 256 are reported 0, the end of the episode is
    logged once, and publishing works again."""
    limit, extra = 256, 44
    got = connect(dte, broker)
    check("+ECMTCONN:0,0,0" in got, f"CONN: {got!r}")
    dte.pending = b""
    out = ""
    for first in range(1, limit + extra + 1, 100):  # 100 lines (< 4096 bytes) at a time
        lines = "".join(f'AT+ECMTPUB=0,{i},1,0,"t/q",m{i}\r' for i in range(first, min(first + 100, limit + extra + 1)))
        out += send_all(dte, lines.encode()).decode()
    deadline = time.monotonic() + 20
    while out.count("+ECMTPUB:0,") < extra:
        check(time.monotonic() < deadline, f"{out.count('+ECMTPUB:0,')} of {extra} refusals within 20 s")
        out += drain(dte, quiet=0.3, limit=5).decode()
    check(out.count("\r\nOK\r\n") == limit + extra, f"{out.count('OK')} OK for {limit + extra} publishes")
    refused = sorted(int(x.split(",")[1]) for x in out.split("\r\n") if x.startswith("+ECMTPUB:0,"))
    check(refused == list(range(limit + 1, limit + extra + 1)),
          f"refused: {refused[:5]}...; expected {limit + 1}..{limit + extra}")
    check(all(f"+ECMTPUB:0,{i},2" in out for i in refused), "a refusal is not result 2")
    check(broker.published == limit, f"the broker got {broker.published} publishes, expected {limit}")
    check(metrics(sim)["publishes_refused"] == extra, f"metrics: {metrics(sim)}")
    check(len(sim.log_lines("refusing publishes with result 2")) == 1, "the refusal not logged once")
    broker.release()
    out = ""
    deadline = time.monotonic() + 20
    while out.count("+ECMTPUB:0,") < limit:
        check(time.monotonic() < deadline, f"{out.count('+ECMTPUB:0,')} of {limit} results within 20 s")
        out += drain(dte, quiet=0.3, limit=5).decode()
    check(all(f"+ECMTPUB:0,{i},0\r\n" in out for i in range(1, limit + 1)), f"acknowledged: {out[:300]!r}")
    drained = sim.log_lines("publishes drain again")
    check(len(drained) == 1 and f"{extra} refused" in drained[0], f"end of the episode logged: {drained}")
    got = dte.command('AT+ECMTPUB=0,999,1,0,"t/q",after', "+ECMTPUB:0,999,", timeout=5)
    got += dte.read_until("\r\n")
    check("+ECMTPUB:0,999,0" in got, f"after the episode: {got!r}")
    check(not broker.errors, f"the test broker failed: {broker.errors}")
    at_ok(dte)


# ---- control channel ----------------------------------------------------------------------

def control_garbage(sim, dte, workdir):
    """Garbage lines are answered with errors on a connection that stays usable; half a
    line then close, half a line then silence, and a line over 64 KiB (answered, closed)."""
    port = sim.control_port
    c = Control(port)
    for junk in (b"\xff\xfe\x00garbage", b"{", b"[1,2]", b'{"query": 7}', os.urandom(300).replace(b"\n", b"")):
        c.sock.sendall(junk + b"\n")
        answer = json.loads(c.read_line())
        check(answer.get("ok") is False and answer.get("error"), f"{junk!r} answered {answer}")
    check(c.ask('{"query": "state"}').get("ok"), "the connection is no longer usable after garbage")
    # half a line, then close
    h = Control(port)
    h.sock.sendall(b'{"query": "sta')
    h.close()
    # half a line, then silence (held open while others are served)
    silent = Control(port)
    silent.sock.sendall(b'{"query": "sta')
    # an overlong line
    big = Control(port)
    try:
        big.sock.sendall(b'{"x": "' + b"y" * (70 * 1024))
    except OSError:
        pass
    answer = json.loads(big.read_line())
    check(answer.get("ok") is False and "long" in answer.get("error", ""), f"overlong line: {answer}")
    big.close()
    check(c.ask('{"query": "state"}').get("ok"), "query state after the hostile clients")
    deadline = time.monotonic() + 5
    while not sim.log_lines("left in the middle of a line"):
        check(time.monotonic() < deadline, "the half line was not logged")
        time.sleep(0.1)
    check(len(sim.log_lines("left in the middle of a line")) == 1, "half line not logged once")
    check(len(sim.log_lines("sent a line longer than")) == 1, "overlong line not logged once")
    silent.close()
    c.close()
    at_ok(dte)


def control_connections(sim, dte, workdir):
    """10,000 connections opened and closed in batches of 16, then 300 held at once (the
    cap is 32: the rest are told so and closed; one log line, one summary with the count);
    descriptors return to their baseline and VmRSS stays bounded."""
    port = sim.control_port
    base_fds = sim.fds()
    before = sim.rss_kib()
    t0 = time.monotonic()
    for _ in range(10000 // 16):
        batch = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(16)]
        for s in batch:
            s.close()
    print(f"control_connections: 10,000 opened and closed in {time.monotonic() - t0:.1f} s")
    held = []
    for _ in range(300):
        held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    # The refused ones get their answer; the served ones stay open.
    refused = 0
    for s in held:
        s.settimeout(0.05)
        try:
            data = s.recv(4096)
            if b"too many control clients" in data:
                refused += 1
        except socket.timeout:
            pass
    print(f"control_connections: of 300 held, {refused} refused")
    check(refused >= 300 - 32, f"only {refused} of 300 refused")
    sim.alive()
    for s in held:
        s.close()
    c = Control(port)
    check(c.ask('{"query": "state"}').get("ok"), "query state after 10,300 connections")
    c.close()
    deadline = time.monotonic() + 10
    while sim.fds() > base_fds:
        check(time.monotonic() < deadline, f"descriptors {sim.fds()}, baseline {base_fds}")
        time.sleep(0.1)
    print(f"control_connections: descriptors {sim.fds()} (baseline {base_fds})")
    check_rss(sim, before, 16, "control_connections")
    first = sim.log_lines("refused: too many clients")
    summary = sim.log_lines("control clients were refused in all")
    check(len(first) == 1, f"{len(first)} lines for the first refusal")
    check(len(summary) == 1 and f"{refused} control clients" in summary[0], f"summary: {summary}")
    at_ok(dte)


def closed_within(c, seconds):
    """Reads `c` until the server closes it (or `seconds` pass); what it sent, and when."""
    t0 = time.monotonic()
    got = b""
    while time.monotonic() - t0 < seconds:
        c.sock.settimeout(max(0.01, seconds - (time.monotonic() - t0)))
        try:
            chunk = c.sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return got, time.monotonic() - t0
        if not chunk:
            return got, time.monotonic() - t0
        got += chunk
    raise Failure(f"not closed within {seconds:g} s; it sent {got!r}")


def control_stall(sim, dte, workdir):
    """--control-line-timeout 1: a half line then silence, and a line trickled a byte at a
    time (slowloris), are each answered and closed after about a second, logged once each;
    a client idle between whole requests stays open; the place is free again."""
    port = sim.control_port
    idle = Control(port)
    check(idle.ask('{"query": "state"}').get("ok"), "query state")
    half = Control(port)
    half.sock.sendall(b'{"query": "sta')
    got, took = closed_within(half, 5)
    print(f"control_stall: half line closed after {took:.2f} s: {got!r}")
    answer = json.loads(got.split(b"\n")[0])
    check(answer.get("ok") is False and "unfinished" in answer.get("error", ""), f"half line: {answer}")
    check(0.8 <= took <= 4, f"closed after {took:.2f} s, not about 1 s")
    half.close()
    trickle = Control(port)
    t0 = time.monotonic()
    closed = False
    for byte in b'{"query": "state"}':
        try:
            trickle.sock.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        time.sleep(0.2)
        trickle.sock.settimeout(0.001)
        try:
            trickle.sock.recv(65536)  # the refusal or the end: either way the server cut it off
            closed = True
            break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
    took = time.monotonic() - t0
    print(f"control_stall: trickled line closed after {took:.2f} s")
    check(closed and took <= 3.5, f"a trickled line was not cut off (closed={closed}, {took:.2f} s)")
    trickle.close()
    time.sleep(1.5)
    check(idle.ask('{"query": "state"}').get("ok"), "a client idle between whole requests was closed")
    idle.close()
    check(len(sim.log_lines("left a line unfinished for 1 s", "warn")) == 2, "not logged once per stalled client")
    at_ok(dte)


def control_stall_token(sim, dte, workdir):
    """With a token required and --control-line-timeout 1, a client that never sends its
    token is told and closed; one that authenticates and then idles stays."""
    port = sim.control_port
    good = Control(port)
    check(good.ask(json.dumps({"auth": TOKEN})).get("ok"), "auth refused")
    silent = Control(port)
    got, took = closed_within(silent, 5)
    answer = json.loads(got.split(b"\n")[0])
    check(answer.get("ok") is False and "auth" in answer.get("error", ""), f"silent client: {answer}")
    print(f"control_stall_token: unauthenticated client closed after {took:.2f} s")
    time.sleep(1.5)
    check(good.ask('{"query": "state"}').get("ok"), "an authenticated idle client was closed")
    good.close()
    check(len(sim.log_lines("did not authenticate within 1 s", "warn")) == 1, "not logged once")
    at_ok(dte)


TOKEN = "hostile-peers-token-0123456789"


def token_file(workdir):
    path = os.path.join(workdir, "token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(TOKEN + "\n")
    return path


# Options a case adds to the simulator's command line (a callable takes the work directory).
EXTRA = {"dte_flood": ["--set", "timing.basic_result=200"], "dte_flood_tcp": ["--set", "timing.basic_result=200"],
         # 300 publish lines written at once: answered as fast as the module reads them.
         "broker_puback_hold": ["--set", "timing.ecmt_ok=0"],
         # Errors answered at once: megabytes of transcript in seconds.
         "stderr_never_read": ["--set", "timing.basic_result=0"],
         "stderr_never_read_exit": ["--set", "timing.basic_result=0"],
         "control_stall": ["--control-line-timeout", "1"],
         "control_stall_token": lambda workdir: ["--control-line-timeout", "1",
                                                 "--control-token-file", token_file(workdir)]}

CASES = {
    "dte_flood": dte_flood,
    "dte_no_cr": dte_no_cr,
    "dte_nul": dte_nul,
    "dte_never_reads": (dte_never_reads, "flood", {"flood_count": 30000, "flood_size": 1000}),
    "broker_bad_length": (broker_refused("bad_length", "remaining length is longer than 4 bytes"), "bad_length", {}),
    "broker_bad_type": (broker_refused("bad_type", "a packet of type 15"), "bad_type", {}),
    "broker_bad_utf8": (broker_case("bad_utf8", '"t/after",after-bad-utf8'), "bad_utf8", {}),
    "broker_huge_declared": (broker_huge_declared, "huge_declared", {}),
    "broker_huge_sent": (broker_huge_sent, "huge_sent", {}),
    "broker_publish_half": (broker_case("publish_half", "+ECMTSTAT:0,1"), "publish_half", {}),
    "broker_close": (broker_case("close", "+ECMTSTAT:0,1"), "close", {}),
    "broker_connack_wrong_type": (broker_connack_wrong_type, "connack_wrong_type", {}),
    "broker_connack_half": (broker_connack_half, "connack_half", {}),
    "broker_puback_hold": (broker_puback_hold, "puback_hold", {}),
    # The same DTE over the TCP line (--tcp): the socket's buffers are larger than the
    # PTY's.
    "dte_flood_tcp": dte_flood,
    "dte_no_cr_tcp": dte_no_cr,
    "dte_never_reads_tcp": (dte_never_reads, "flood", {"flood_count": 30000, "flood_size": 1000}),
    "dte_never_reads_qos1": (lambda *a: dte_never_reads(*a, qos=1), "flood_qos1",
                             {"flood_count": 30000, "flood_size": 1000}),
    "stderr_never_read": stderr_never_read,
    "stderr_never_read_exit": stderr_never_read_exit,
    "control_garbage": control_garbage,
    "control_connections": control_connections,
    "control_stall": control_stall,
    "control_stall_token": control_stall_token,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    case = CASES[args.case]
    broker = None
    extra_of = EXTRA.get(args.case, [])
    extra = [] if callable(extra_of) else list(extra_of)
    if isinstance(case, tuple):
        case, mode, kwargs = case
        broker = HostileBroker(mode, **kwargs).start()
        extra += ["--live", "--map-host", f"broker.test=127.0.0.1:{broker.port}", "--set", "timing.connack_limit=3000"]
    with tempfile.TemporaryDirectory(prefix="nt35e-hostile-") as workdir:
        stderr_pipe = args.case.startswith("stderr_")
        tcp = args.case.endswith("_tcp") or stderr_pipe
        if callable(extra_of):
            extra += extra_of(workdir)
        sim = Simulator(args.sim, workdir, extra, tcp=tcp, stderr_pipe=stderr_pipe)
        try:
            sim.wait_ready()
            dte = TcpDte(sim.tcp_port()) if tcp else Dte(sim.link)
            # The banner may come before the PTY is opened: ask until the module answers.
            deadline = time.monotonic() + 10
            while b"OK\r\n" not in dte.pending:
                check(time.monotonic() < deadline, "no OK to AT within 10 s of the ready line")
                dte.send("AT\r")
                dte.pending += drain(dte, quiet=0.3, limit=5)
            dte.pending = b""
            time.sleep(0.2)  # registration (50 ms) before the first ECMTOPEN
            try:
                if broker:
                    case(sim, dte, workdir, broker)
                else:
                    case(sim, dte, workdir)
                if case is not stderr_never_read_exit:  # that one ends the simulator itself
                    sim.alive()
            finally:
                dte.close()
        except Exception as e:
            what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
            tail = sim.stderr_text()[-6000:]
            print(f"FAIL {args.case}: {what}\n--- nt35e-sim stderr (tail) ---\n{tail}", file=sys.stderr)
            return 1
        finally:
            sim.stop()
            if broker:
                broker.stop()
    print(f"PASS {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
