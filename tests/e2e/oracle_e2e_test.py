#!/usr/bin/python3
"""The oracle end to end (issue 15): driver scripts speak to the real nt35e-sim over its
real PTY; each faulty one breaks exactly one rule and the JSON verdict holds exactly that
finding; the correct ones (the seed's full flow, an auth refusal, a broker loss) get none.
The JUnit verdict is read back by a real consumer (Debian's python3-junitparser), and the
verdict of the recorded trace (`nt35e-sim report --verdict-json`) equals the live one.

Usage: oracle_e2e_test.py --sim PATH --scenarios DIR [CASE...]   (all cases by default)
"""

import argparse
import json
import os
import select
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simulator import Failure, Simulator, check  # noqa: E402


class Dte:
    """The driver's end of the PTY: raw bytes out, everything the module wrote kept."""

    def __init__(self, path):
        import termios
        import tty
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self.seen = b""

    def read_for(self, seconds):
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    return

    def send(self, data):
        os.write(self.fd, data if isinstance(data, bytes) else data.encode())

    def until(self, line, expect, timeout=15.0, pause=0.15):
        """Sends `line` + CR, reads until `expect` appears after it, then the V.250 pause."""
        start = len(self.seen)
        self.send(line + "\r" if isinstance(line, str) else line + b"\r")
        deadline = time.monotonic() + timeout
        want = expect.encode()
        while want not in self.seen[start:]:
            check(time.monotonic() < deadline, f"{line!r} never got {expect!r}; the line said:\n{self.seen!r}")
            self.read_for(0.05)
        self.read_for(pause)

    def boot(self):
        """Waits for ECRDY and for registration, as a careful driver does."""
        deadline = time.monotonic() + 15
        while b"ECRDY" not in self.seen:
            check(time.monotonic() < deadline, "no ECRDY")
            self.read_for(0.05)
        self.read_for(0.2)
        for _ in range(40):
            self.until("AT+CEREG?", "OK")
            if b"+CEREG:0,1" in self.seen.split(b"ECRDY")[-1]:
                return
            self.read_for(0.5)
        raise Failure("never registered")

    def open_conn(self):
        self.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+ECMTOPEN:0,0")
        self.until('AT+ECMTCONN=0,"dev1"', "+ECMTCONN:0,0,0")


# --- correct drivers -------------------------------------------------------------------

def full_flow(dte):
    dte.boot()
    dte.until('AT+ECMTCFG="keepalive",0,60', "OK")
    dte.open_conn()
    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
    dte.until('AT+ECMTPUB=0,2,1,0,"tele/dev1","{"t":21.5}"', "+ECMTPUB:0,2,0")
    dte.until('AT+ECMTUNS=0,3,"cmd/#"', "+ECMTUNS:0,3,0")
    dte.until("AT+ECMTDISC=0", "+ECMTDISC:0,0")


def auth_failure(dte):
    dte.boot()
    dte.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+ECMTOPEN:0,0")
    dte.until('AT+ECMTCONN=0,"dev1","device","wrong"', "+ECMTCONN:0,0,5")
    dte.until("AT+ECMTCLOSE=0", "+ECMTCLOSE:0,0")


def broker_loss(dte):
    dte.boot()
    dte.open_conn()
    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
    start = len(dte.seen)
    deadline = time.monotonic() + 20
    while dte.seen[start:].count(b"+ECMTCONN:0,0,0") < 1:
        check(time.monotonic() < deadline, f"no reconnect after the drop:\n{dte.seen!r}")
        dte.read_for(0.05)
    check(b"+ECMTSTAT:0,1" in dte.seen[start:], "no +ECMTSTAT before the reconnect")
    dte.read_for(0.15)
    dte.until('AT+ECMTSUB=0,2,"cmd/#",1', "+ECMTSUB:0,2,0,1")


# --- faulty drivers: each breaks one rule ----------------------------------------------

def before_ecrdy(dte):
    dte.send("AT+CSQ\r")
    dte.boot()


def lf_only(dte):
    dte.boot()
    dte.send("AT+CSQ\n")
    dte.read_for(0.5)


def typographic(dte):
    dte.boot()
    dte.until("AT+ECMTOPEN=0,\u201d127.0.0.1\u201d,1883".encode(), "ERROR")


def conn_before_open(dte):
    dte.boot()
    dte.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "OK")
    dte.until('AT+ECMTCONN=0,"dev1"', "+ECMTCONN:0,0,0")


def sub_before_conn(dte):
    dte.boot()
    dte.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+ECMTOPEN:0,0")
    dte.until('AT+ECMTCONN=0,"dev1"', "OK")
    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "ERROR")
    dte.read_for(1.0)


def ignored_error(dte):
    dte.boot()
    dte.until('AT+ECMTOPEN=0,"127.0.0.1",0', "+CME ERROR")
    dte.until('AT+ECMTCONN=0,"dev1"', "+CME ERROR")


def no_resubscribe(dte):
    dte.boot()
    dte.open_conn()
    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
    dte.read_for(6)  # the link drops 1 s later and comes back; the driver does nothing


CASES = {
    # name: (driver, scenario file or None, extra options, expected rule ids)
    "full_flow": (full_flow, None, [], []),
    "auth_failure": (auth_failure, "auth-failure.json", [], []),
    "broker_loss": (broker_loss, "link-drop-reconnect.json", [], []),
    "before_ecrdy": (before_ecrdy, None, [], ["NT35E-AT-BEFORE-ECRDY"]),
    "lf_only": (lf_only, None, [], ["NT35E-AT-LINE-ENDING"]),
    "typographic": (typographic, None, [], ["NT35E-AT-TYPOGRAPHIC"]),
    "conn_before_open": (conn_before_open, None, [], ["NT35E-ECMT-CONN-BEFORE-OPEN"]),
    "sub_before_conn": (sub_before_conn, None, [], ["NT35E-ECMT-USE-BEFORE-CONN"]),
    "ignored_error": (ignored_error, None, [], ["NT35E-DRV-IGNORED-ERROR"]),
    "no_resubscribe": (no_resubscribe, "link-drop-reconnect.json",
                       ["--oracle-set", "NT35E-ECMT-NO-RESUBSCRIBE.within_s=2"], ["NT35E-ECMT-NO-RESUBSCRIBE"]),
}


def validate_junit(path, expected):
    """Reads the JUnit file with junitparser, as CI reporters do."""
    from junitparser import Failure as JFailure, JUnitXml, Skipped
    xml = JUnitXml.fromfile(path)
    failed, cases = [], 0
    for suite in xml:
        for case in suite:
            cases += 1
            for result in case.result:
                if isinstance(result, JFailure):
                    failed.append(case.name)
                    check("§" in (result.text or ""), f"the failure of {case.name} names no spec section")
                    check(result.message, f"the failure of {case.name} has no message")
                elif not isinstance(result, Skipped):
                    raise Failure(f"unexpected result {result!r} in {case.name}")
    check(cases >= 20, f"{cases} test cases: one per rule expected")
    check(sorted(failed) == sorted(expected), f"JUnit failures {failed}, expected {expected}")


def run_case(sim, scenarios, name, work):
    driver, scenario, extra, expected = CASES[name]
    link = os.path.join(work, f"{name}.pty")
    junit = os.path.join(work, f"{name}.xml")
    verdict_json = os.path.join(work, f"{name}.json")
    trace = os.path.join(work, f"{name}.jsonl")
    args = ["--pty", link, "--verdict", junit, "--verdict-json", verdict_json, "--record", trace, *extra]
    if scenario:
        args += ["--scenario", os.path.join(scenarios, scenario)]
    s = Simulator(sim, work, args)
    try:
        s.wait_ready()
        dte = Dte(link)
        try:
            driver(dte)
        finally:
            os.close(dte.fd)
    finally:
        s.stop()
    status = s.proc.returncode
    check(os.path.exists(verdict_json), f"{name}: no verdict written; stderr:\n{s.stderr_text()}")
    with open(verdict_json, encoding="utf-8") as f:
        verdict = json.load(f)
    found = [f["rule"] for m in verdict["modems"] for f in m["findings"]]
    check(found == expected, f"{name}: findings {found}, expected {expected}\n{s.stderr_text()}")
    errors = any(f["severity"] == "error" for m in verdict["modems"] for f in m["findings"])
    check(status == (3 if errors else 0), f"{name}: exit status {status}")
    validate_junit(junit, expected)
    # The same verdict after the fact, from the recorded trace.
    after = os.path.join(work, f"{name}-after.json")
    import subprocess
    subprocess.run([sim, "report", "--verdict-json", after, *extra, trace], stderr=subprocess.DEVNULL, timeout=60)
    with open(after, encoding="utf-8") as f:
        replayed = [f["rule"] for m in json.load(f)["modems"] for f in m["findings"]]
    check(replayed == found, f"{name}: the trace's verdict {replayed} differs from the live one {found}")
    print(f"ok {name}: {found or 'no finding'}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sim", required=True)
    p.add_argument("--scenarios", required=True)
    p.add_argument("cases", nargs="*")
    a = p.parse_args()
    names = a.cases or list(CASES)
    with tempfile.TemporaryDirectory(prefix="nt35e-oracle-") as work:
        try:
            for name in names:
                run_case(a.sim, a.scenarios, name, work)
        except Failure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
