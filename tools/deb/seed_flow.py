#!/usr/bin/env python3
"""The seed guide's MQTT flow (spec A.1-A.7) against an installed nt35e-sim on TCP.

Used by tools/deb-check.sh inside a clean Debian root: it proves that the package's
binary starts, loads a scenario from the installed library and answers the guide's AT
sequence on the built-in scripted broker (no network). The steps and answers are those
of tests/e2e/scenario_library_e2e_test.cpp (Library.SeedHappyPath).

Usage: seed_flow.py [--sim nt35e-sim] [--scenario FILE]
(tests/deploy/container_test.py imports Dte and guide_flow to run the same steps against the
container image's modem on a live broker.)
Exit status 0 when every answer is the expected one, 1 with the first difference.
Standard library only (python3 is a dependency of the package).
"""

import argparse
import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simulator import Failure, Simulator, check  # noqa: E402  (tests/e2e/simulator.py, copied beside)

OK = "\r\nOK\r\n"


def line(text):
    return f"\r\n{text}\r\n"


class Dte:
    """A DTE on the modem's TCP port; every read has a deadline."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.pending = b""

    def read_until(self, marker, timeout=5.0):
        deadline = time.monotonic() + timeout
        want = marker.encode()
        while want not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            self.pending += chunk
        end = self.pending.find(want)
        end = len(self.pending) if end < 0 else end + len(want)
        got, self.pending = self.pending[:end], self.pending[end:]
        return got.decode("utf-8", "replace")

    def cmd(self, text, until, timeout=5.0):
        self.sock.sendall(text.encode() + b"\r")
        return self.read_until(until, timeout)


def guide_flow(dte, banner=True):
    """The guide's sequence on a booted modem's line: ECRDY (unless banner is False: a DTE
    that came after the boot), ATE0, registration, then OPEN to test.mosquitto.org, CONN,
    SUB, PUB (its echo comes back), UNS, DISC, each answer compared whole. Failure at the
    first difference."""
    if banner:
        check(dte.read_until("ECRDY\r\n") == line("ECRDY"), "no ECRDY after boot")
    steps = [("ATE0", OK, "ATE0\r" + OK)]
    for command, until, expect in steps:
        got = dte.cmd(command, until)
        check(got == expect, f"{command} -> {got!r} (expected {expect!r})")
    cereg = ""
    for _ in range(50):  # registration takes timing.registration; bounded
        cereg = dte.cmd("AT+CEREG?", OK)
        if cereg == line("+CEREG:0,1") + OK:
            break
        time.sleep(0.05)
    check(cereg == line("+CEREG:0,1") + OK, f"not registered: {cereg!r}")
    print("AT+CEREG? -> +CEREG:0,1")
    seed = [
        ('AT+ECMTOPEN=0, "test.mosquitto.org",1883', "+ECMTOPEN:0,0", OK + line("+ECMTOPEN:0,0")),
        ("AT+ECMTCONN=0", "+ECMTCONN:0,0,0", OK + line("+ECMTCONN:0,0,0")),
        ('AT+ECMTSUB=0,1,"test",2', "+ECMTSUB:0,1,0,1", OK + line("+ECMTSUB:0,1,0,1")),
        ('AT+ECMTPUB=0,0,0,0,"test","hello"', '+ECMTRECV:0,0,"test",hello',
         OK + line("+ECMTPUB:0,0,0") + line('+ECMTRECV:0,0,"test",hello')),
        ('AT+ECMTUNS=0,4, "test"', "+ECMTUNS:0,4,0", OK + line("+ECMTUNS:0,4,0")),
        ("AT+ECMTDISC=0", "+ECMTDISC:0,0", OK + line("+ECMTDISC:0,0")),
    ]
    for command, urc, expect in seed:
        got = dte.cmd(command, urc + "\r\n", timeout=10.0)
        check(got == expect, f"{command} -> {got!r} (expected {expect!r})")
        print(f"{command} -> {' / '.join(x for x in got.split(chr(13) + chr(10)) if x)}")


def run(sim_binary, scenario):
    workdir = tempfile.mkdtemp(prefix="nt35e-seed-")
    args = ["--tcp", "0", "--set", "timing.boot=50", "--set", "timing.registration=50"]
    if scenario:
        args += ["--scenario", scenario]
    sim = Simulator(sim_binary, workdir, args)
    try:
        print(sim.wait_ready())
        guide_flow(Dte(sim.tcp_port()))
    except Failure as e:
        print(f"seed flow: {e}\n--- nt35e-sim stderr ---\n{sim.stderr_text()}", file=sys.stderr)
        return 1
    finally:
        sim.stop()
    print("seed flow: every answer as the guide shows")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", default="nt35e-sim")
    p.add_argument("--scenario", default="")
    a = p.parse_args()
    return run(a.sim, a.scenario)


if __name__ == "__main__":
    sys.exit(main())
