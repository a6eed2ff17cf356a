#!/usr/bin/python3
"""The oracle end to end (issue 15): driver scripts speak to the real nt35e-sim over its
real PTY; each faulty one breaks exactly one rule and the JSON verdict holds exactly that
finding; the correct ones (the seed's full flow, an auth refusal, a broker loss) get none.
The JUnit verdict is read back by a real consumer (Debian's python3-junitparser), and the
verdict of the recorded trace (`nt35e-sim report --verdict-json`) equals the live one.
Two more drivers meet and break a scenario's expectations ("expect"): the JSON verdict's
entries, the exit status, and the same entries from the trace alone.

The verdict's other outputs: `explain` (each finding in the --explain transcript while
the simulator runs, English and Chinese, a deadline finding without a byte to bring it),
`fleet` (three modems on PTYs, one driven badly: the JUnit and JSON verdicts and the exit
status name that modem only) and `query` (the control channel's "query": "verdict" through
nt35e-ctl, for one modem and for a fleet).

Usage: oracle_e2e_test.py --sim PATH --scenarios DIR [--ctl PATH] [--keep DIR] [CASE...]
CASE is a name of CASES, FAULTY, EXPECT_CASES or EXTRA, or "faulty" for every FAULTY case
and "expect" for every EXPECT_CASES one (ctest's oracle_expect); without one, the cases of
CASES run. ctest runs each FAULTY case as a test of its own (oracle_faulty_NAME), so that
ctest -j runs them side by side, and each EXTRA case (oracle_NAME_e2e; query needs --ctl).
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

    def close(self):
        os.close(self.fd)

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
    # slow-network opens in 3 s: the CONN surely comes before +ECMTOPEN, however loaded the machine.
    "conn_before_open": (conn_before_open, "slow-network.json", [], ["NT35E-ECMT-CONN-BEFORE-OPEN"]),
    "sub_before_conn": (sub_before_conn, None, [], ["NT35E-ECMT-USE-BEFORE-CONN"]),
    "ignored_error": (ignored_error, None, [], ["NT35E-DRV-IGNORED-ERROR"]),
    "no_resubscribe": (no_resubscribe, "link-drop-reconnect.json",
                       ["--oracle-set", "NT35E-ECMT-NO-RESUBSCRIBE.within_s=2"], ["NT35E-ECMT-NO-RESUBSCRIBE"]),
}


# --- expectations: a scenario says what the driver must do ----------------------------

EXPECT_SCENARIO = {
    "rules": [{"name": "drop after the first SUBACK", "on_urc": "+ECMTSUB:0,*", "occurrence": 1, "after": "1s",
               "then": [{"action": "drop_link", "id": 0}]}],
    "expect": [
        {"name": "back and subscribed", "kind": "reconnect", "after_loss": 1, "within": "4s", "subscribe": "cmd/#"},
        {"name": "no QoS 0 alarms", "kind": "never_publish", "topic": "alarm/#", "qos": 0},
        {"name": "subscribed after the connect", "kind": "subscribe", "topic": "cmd/#", "within": "5s"},
        {"name": "backs off", "kind": "back_off", "at_least": "10s"},
    ],
}


def wait_for_reconnect(dte, start):
    deadline = time.monotonic() + 20
    while b"+ECMTCONN:0,0,0" not in dte.seen[start:]:
        check(time.monotonic() < deadline, f"no reconnect after the drop:\n{dte.seen!r}")
        dte.read_for(0.05)
    check(b"+ECMTSTAT:0,1" in dte.seen[start:], "no +ECMTSTAT before the reconnect")
    dte.read_for(0.15)


def alarm_then_reconnect(dte, alarm, answer):
    """Connected and subscribed, an alarm published, then the drop and the module's reconnect."""
    dte.boot()
    dte.open_conn()
    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
    start = len(dte.seen)
    dte.until(alarm, answer)
    wait_for_reconnect(dte, start)


def expect_met(dte):
    """Alarms at QoS 1, subscribed again at once after the module's reconnect."""
    alarm_then_reconnect(dte, 'AT+ECMTPUB=0,5,1,0,"alarm/fire","1"', "+ECMTPUB:0,5,0")
    dte.until('AT+ECMTSUB=0,2,"cmd/#",1', "+ECMTSUB:0,2,0,1")


def expect_unmet(dte):
    """An alarm at QoS 0, and no subscription after the reconnect (the time allowed passes)."""
    alarm_then_reconnect(dte, 'AT+ECMTPUB=0,0,0,0,"alarm/fire","1"', "+ECMTPUB:0,0,0")
    dte.read_for(5)


def slow_network(dte):
    """The library's slow-network: waits for the 3 s open and the 2 s CONNACK."""
    dte.boot()
    dte.open_conn()


EXPECT_CASES = {
    # name: (driver, scenario file of the library or None for EXPECT_SCENARIO, extra options,
    #        {expectation name: result})
    "expect_met": (expect_met, None, [], {"back and subscribed": "met", "no QoS 0 alarms": "met",
                                      "subscribed after the connect": "met", "backs off": "not_triggered"}),
    "expect_unmet": (expect_unmet, None, [], {"back and subscribed": "unmet", "no QoS 0 alarms": "unmet",
                                          "subscribed after the connect": "met", "backs off": "not_triggered"}),
    # The shipped scenarios' expectations hold for a correct driver.
    # (keepalive-loss runs fifty times faster: a 100 s boot takes 2 s, so the driver is there for ECRDY;
    # broker_loss subscribes again after the module's reconnect)
    "expect_keepalive_loss": (broker_loss, "keepalive-loss.json", ["--set", "timing.boot=100000"],
                              {"connected and subscribed again after every loss": "met"}),
    "expect_slow_network": (slow_network, "slow-network.json", [], {"connected despite the slow network": "met"}),
}


def expectation_cases(junit):
    """{name: "failure" | "skipped" | "passed"} of the expectations' test cases, read with junitparser."""
    from junitparser import Failure as JFailure, JUnitXml, Skipped
    out = {}
    for suite in JUnitXml.fromfile(junit):
        for case in suite:
            if not case.classname.startswith("nt35e.expect."):
                continue
            kinds = {type(r) for r in case.result}
            out[case.name] = "failure" if JFailure in kinds else "skipped" if Skipped in kinds else "passed"
            if JFailure in kinds:
                failure = next(r for r in case.result if isinstance(r, JFailure))
                check(failure.message and failure.type == "expectation", f"{case.name}: failure {failure!r}")
    return out


def run_expect_case(sim, scenarios, name, work):
    """A driver against EXPECT_SCENARIO or a shipped scenario: the JSON verdict's expectations,
    the exit status, the JUnit test cases, and the same expectations from the recorded trace alone."""
    import subprocess
    driver, shipped, extra, expected = EXPECT_CASES[name]
    if shipped:
        scenario = os.path.join(scenarios, shipped)
    else:
        scenario = os.path.join(work, "expect-scenario.json")
        with open(scenario, "w", encoding="utf-8") as f:
            json.dump(EXPECT_SCENARIO, f)
    link = os.path.join(work, f"{name}.pty")
    junit, verdict_json, trace = (os.path.join(work, f"{name}{ext}") for ext in (".xml", ".json", ".jsonl"))
    s = drive(sim, work, ["--pty", link, "--scenario", scenario, "--verdict", junit, "--verdict-json", verdict_json,
                          "--record", trace, *extra], link, driver)
    check(os.path.exists(verdict_json), f"{name}: no verdict written; stderr:\n{s.stderr_text()}")
    with open(verdict_json, encoding="utf-8") as f:
        verdict = json.load(f)
    found = [f["rule"] for m in verdict["modems"] for f in m["findings"]]
    check(found == [], f"{name}: findings {found}, expected none\n{s.stderr_text()}")
    live = verdict["modems"][0]["expectations"]
    results = {e["name"]: e["result"] for e in live}
    check(results == expected, f"{name}: expectations {results}, expected {expected}\n{s.stderr_text()}")
    unmet = sum(r == "unmet" for r in expected.values())
    check(verdict["unmet"] == unmet and verdict["passed"] == (unmet == 0), f"{name}: verdict {verdict}")
    status = s.proc.returncode
    check(status == (3 if unmet else 0), f"{name}: exit status {status}, expected {3 if unmet else 0}")
    if unmet:
        check(f"{unmet} of {len(expected)} expectations unmet, FAILED" in s.stderr_text(),
              f"{name}: no summary line on stderr:\n{s.stderr_text()}")
    for e in live:  # the proof: every met or unmet entry names its lines (the QoS 1 alarm proves the QoS rule)
        check(e["result"] == "not_triggered" or e["lines"], f"{name}: {e['name']} has no lines")
    junit_result = {"met": "passed", "unmet": "failure", "not_triggered": "skipped"}
    cases = expectation_cases(junit)
    check(cases == {n: junit_result[r] for n, r in expected.items()}, f"{name}: JUnit expectation cases {cases}")
    # After the fact, from the trace alone (its header holds the expectations): the same.
    after = os.path.join(work, f"{name}-after.json")
    done = subprocess.run([sim, "report", "--verdict-json", after, trace], stderr=subprocess.PIPE, timeout=60)
    check(done.returncode == status, f"{name}: report exit status {done.returncode}, live {status}")
    with open(after, encoding="utf-8") as f:
        replayed = json.load(f)["modems"][0]["expectations"]
    check(replayed == live, f"{name}: the trace's expectations differ from the live ones:\n{replayed}\n{live}")
    print(f"ok {name}: {results}")


def drive(sim, work, args, link, driver):
    """nt35e-sim with `args` on the PTY `link`, `driver` speaking to it, then stopped."""
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
    return s


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
                    # The scenario's own expectations (auth-failure's back-off) are judged apart.
                    if ".expect." not in (case.classname or "") and not (suite.name or "").startswith("nt35e.expect"):
                        failed.append(case.name)
                    # A rule cites the spec; a scenario's expectation is the scenario's own duty.
                    if not (suite.name or "").startswith("nt35e.expect") and ".expect." not in (case.classname or ""):
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
    s = drive(sim, work, args, link, driver)
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


# --- faulty drivers for the other thirteen rules (one ctest each) ----------------------
# Each breaks exactly one rule. Besides the rule id, the finding's severity and the lines
# that prove it are checked, and the exit status against --verdict-fail-on: the live run
# keeps the default (error: 3 for an error, 0 for a warning) but for one warning case,
# and the recorded trace is judged again with "warning" (3 either way) and "never" (0).

def dte(text):
    return ("dte>mod", text)


def mod(text):
    return ("mod>dte", text)


def wait_for(dte_, text, count=1, start=0, timeout=15.0):
    """Reads until `text` appeared `count` times after offset `start` of what the module wrote."""
    deadline = time.monotonic() + timeout
    want = text.encode()
    while dte_.seen[start:].count(want) < count:
        check(time.monotonic() < deadline, f"{text!r} did not come {count} time(s); the line said:\n{dte_.seen!r}")
        dte_.read_for(0.05)


def overlap(dte_):
    dte_.boot()
    start = len(dte_.seen)
    dte_.send("AT+CSQ\rAT+CGSN=1\r")  # the second line goes before the first one's OK
    wait_for(dte_, "\r\nOK\r\n", 2, start)
    dte_.read_for(0.3)


def lowercase(dte_):
    dte_.boot()
    dte_.until("at+csq", "OK")


def malformed(dte_):
    dte_.boot()
    dte_.until("AT+CSQ=1", "ERROR")  # AT+CSQ has no write form


def pause(dte_):
    dte_.boot()
    dte_.until("AT+CSQ", "OK", pause=0)  # no pause: the next line follows the OK at once
    dte_.until("AT+CGSN=1", "OK")


def multi_action(dte_):
    dte_.boot()
    dte_.open_conn()
    dte_.until('AT+ECMTSUB=0,1,"cmd/#",1;+ECMTPUB=0,2,1,0,"tele/dev1","on"', "+ECMTPUB:0,2,0")
    check(b"+ECMTSUB:0,1,0,1" in dte_.seen, "the subscription of the shared line was not acknowledged")


def open_unregistered(dte_):
    wait_for(dte_, "ECRDY")
    dte_.read_for(0.2)
    dte_.until("AT+CEREG?", "+CEREG:0,2")  # still searching, and the driver opens anyway
    dte_.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+CME ERROR")


def urc_pending(dte_):
    dte_.boot()
    dte_.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "OK")
    dte_.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+ECMTOPEN:0,0")  # the open again while its URC is due
    dte_.read_for(0.5)
    check(dte_.seen.count(b"+ECMTOPEN:0,0") == 1, "the second open got a URC of its own")


def gave_up_early(dte_):
    dte_.boot()
    dte_.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "+ECMTOPEN:0,0")
    dte_.until('AT+ECMTCONN=0,"dev1"', "OK")
    dte_.until("AT+ECMTCLOSE=0", "+CME ERROR")  # closes while the CONNACK may still come
    wait_for(dte_, "+ECMTCONN:0,0,0")
    dte_.read_for(0.2)


def no_recovery(dte_):
    dte_.boot()
    dte_.open_conn()
    wait_for(dte_, "+ECMTSTAT:0,1")
    dte_.read_for(2.0)  # within_s is 1: the link stays down and the driver does nothing


def retry_storm(dte_):
    dte_.boot()
    dte_.until(OPEN, "+ECMTOPEN:0,0")
    for _ in range(5):  # the refused password again and again at a steady pace, no back-off
        dte_.until('AT+ECMTCONN=0,"dev1","device","wrong"', "+ECMTCONN:0,0,5")


def limits(dte_):
    dte_.boot()
    dte_.open_conn()
    dte_.until(f'AT+ECMTSUB=0,1,"{"t" * 256}",1', "+CME ERROR")  # a topic has 255 characters at most


def inflight(dte_):
    dte_.boot()
    dte_.open_conn()
    for msg in (1, 2, 3):  # the acks take 2 s: the third publish finds two awaiting theirs
        dte_.until(f'AT+ECMTPUB=0,{msg},1,0,"tele/dev1","{msg}"', "OK")
    wait_for(dte_, "+ECMTPUB:0,3,0")


def reboot_loop(dte_):
    dte_.boot()
    for _ in range(3):  # reboots with nothing wrong in between
        start = len(dte_.seen)
        dte_.until("AT+ECRST", "OK")
        wait_for(dte_, "ECRDY", 1, start)
        dte_.read_for(0.2)
        dte_.until("AT+CSQ", "OK")


class Faulty:
    """A faulty driver, the world it meets, and the one finding it must yield."""

    def __init__(self, driver, rule, level, lines, scenario=None, sim=(), oracle=(), fail_on="error"):
        self.driver, self.rule, self.level, self.lines = driver, rule, level, lines
        self.fail_on = fail_on  # --verdict-fail-on of the live run
        self.scenario = scenario  # a file of scenarios/, a dict written to a temporary file, or None
        self.sim = list(sim)  # options of the live run only
        self.oracle = list(oracle)  # oracle options, for the live run and the trace's verdict alike


OPEN = 'AT+ECMTOPEN=0,"127.0.0.1",1883'
# Registration 0.3 s after ECRDY instead of 2 s: the cases do not depend on it, CI time does.
QUICK = ["--set", "timing.registration=300"]

FAULTY = {
    "overlap": Faulty(overlap, "NT35E-AT-OVERLAP", "error", [dte("AT+CSQ"), dte("AT+CGSN=1")], sim=QUICK),
    "lowercase": Faulty(lowercase, "NT35E-AT-LOWERCASE", "warning", [dte("at+csq")], sim=QUICK),
    "malformed": Faulty(malformed, "NT35E-AT-MALFORMED", "error", [dte("AT+CSQ=1"), mod("ERROR")], sim=QUICK),
    # The careful lines keep 150 ms; 140 ms leaves the faulty one (a few ms) a margin on a busy machine.
    # Live with --verdict-fail-on warning: this warning fails the run.
    "pause": Faulty(pause, "NT35E-AT-PAUSE", "warning", [mod("OK"), dte("AT+CGSN=1")], sim=QUICK,
                    oracle=["--oracle-set", "NT35E-AT-PAUSE.pause_ms=140"], fail_on="warning"),
    "multi_action": Faulty(multi_action, "NT35E-AT-MULTI-ACTION", "warning",
                           [dte('AT+ECMTSUB=0,1,"cmd/#",1;+ECMTPUB=0,2,1,0,"tele/dev1","on"')], sim=QUICK),
    "open_unregistered": Faulty(open_unregistered, "NT35E-NET-OPEN-UNREGISTERED", "error",
                                [mod("+CEREG:0,2"), dte(OPEN)],
                                scenario={"network": {"registration": "searching"}}),
    # The slow network's 3 s open and 2 s CONNACK leave the faulty line time to go first.
    "urc_pending": Faulty(urc_pending, "NT35E-ECMT-URC-PENDING", "error", [dte(OPEN), dte(OPEN)],
                          scenario="slow-network.json", sim=QUICK),
    "gave_up_early": Faulty(gave_up_early, "NT35E-ECMT-GAVE-UP-EARLY", "error",
                            [dte('AT+ECMTCONN=0,"dev1"'), dte("AT+ECMTCLOSE=0")],
                            scenario={"broker": {"delays": {"connack": "1s"}}}, sim=QUICK),
    # The network goes 0.5 s after the CONNACK and does not come back: the module cannot reconnect.
    "no_recovery": Faulty(no_recovery, "NT35E-ECMT-NO-RECOVERY", "error", [mod("+ECMTSTAT:0,1")],
                          scenario={"rules": [{"on_urc": "+ECMTCONN:0,0,0", "occurrence": 1, "after": "500ms",
                                               "then": [{"action": "lose_registration", "stat": 0}]}]},
                          sim=QUICK, oracle=["--oracle-set", "NT35E-ECMT-NO-RECOVERY.within_s=1"]),
    # Every try with the refusal that followed it; the password is masked in every output.
    "retry_storm": Faulty(retry_storm, "NT35E-DRV-RETRY-STORM", "error",
                          [dte('AT+ECMTCONN=0,"dev1","device","*****"'), mod("+ECMTCONN:0,0,5")] * 5,
                          scenario="auth-failure.json", sim=QUICK),
    "limits": Faulty(limits, "NT35E-ECMT-LIMITS", "error", [dte(f'AT+ECMTSUB=0,1,"{"t" * 256}",1')], sim=QUICK),
    "inflight": Faulty(inflight, "NT35E-ECMT-INFLIGHT", "warning",
                       [dte(f'AT+ECMTPUB=0,{msg},1,0,"tele/dev1","{msg}"') for msg in (1, 2, 3)],
                       scenario={"broker": {"delays": {"ack": "2s"}}}, sim=QUICK,
                       oracle=["--oracle-set", "NT35E-ECMT-INFLIGHT.limit=2"]),
    "reboot_loop": Faulty(reboot_loop, "NT35E-SYS-REBOOT-LOOP", "error", [dte("AT+ECRST")] * 3, sim=QUICK),
}


def junit_case(path, rule):
    """The JUnit test case of `rule`, read with junitparser."""
    from junitparser import JUnitXml
    for suite in JUnitXml.fromfile(path):
        for case in suite:
            if case.name == rule:
                return case
    raise Failure(f"{path}: no test case {rule}")


def finding_of(verdict, name):
    found = [f for m in verdict["modems"] for f in m["findings"]]
    check([f["rule"] for f in found] == [FAULTY[name].rule],
          f"{name}: findings {[(f['rule'], f['detail']) for f in found]}, expected only {FAULTY[name].rule}")
    return found[0]


def judge_trace(sim, trace, out, case, fail_on, want_status):
    """nt35e-sim report on the recording with --verdict-fail-on `fail_on`; returns its JSON verdict."""
    import subprocess
    junit = out + ".xml"
    r = subprocess.run([sim, "report", "--verdict", junit, "--verdict-json", out + ".json", "--verdict-fail-on",
                        fail_on, *case.oracle, trace], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == want_status,
          f"report --verdict-fail-on {fail_on}: exit status {r.returncode}, expected {want_status}\n{r.stderr!r}")
    with open(out + ".json", encoding="utf-8") as f:
        verdict = json.load(f)
    check(verdict["fail_on"] == fail_on and verdict["passed"] == (want_status == 0),
          f"report --verdict-fail-on {fail_on}: fail_on {verdict['fail_on']}, passed {verdict['passed']}")
    validate_junit(junit, [case.rule] if want_status else [])
    return verdict


def run_faulty(sim, scenarios, name, work):
    case = FAULTY[name]
    work = os.path.join(work, name)
    os.mkdir(work)
    link, junit = os.path.join(work, "pty"), os.path.join(work, "verdict.xml")
    verdict_json, trace = os.path.join(work, "verdict.json"), os.path.join(work, "trace.jsonl")
    args = ["--pty", link, "--verdict", junit, "--verdict-json", verdict_json, "--record", trace, *case.sim,
            *case.oracle]
    if case.fail_on != "error":
        args += ["--verdict-fail-on", case.fail_on]
    if isinstance(case.scenario, dict):
        path = os.path.join(work, "scenario.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"name": name, **case.scenario}, f)
        args += ["--scenario", path]
    elif case.scenario:
        args += ["--scenario", os.path.join(scenarios, case.scenario)]
    began = time.monotonic()
    s = Simulator(sim, work, args)
    try:
        s.wait_ready()
        line = Dte(link)
        try:
            case.driver(line)
        finally:
            os.close(line.fd)
    finally:
        s.stop()
    check(os.path.exists(verdict_json), f"{name}: no verdict written; stderr:\n{s.stderr_text()}")
    with open(verdict_json, encoding="utf-8") as file:
        verdict = json.load(file)
    try:
        f = finding_of(verdict, name)
    except Failure as e:
        raise Failure(f"{e}\n{s.stderr_text()}") from None
    check(f["severity"] == case.level, f"{name}: severity {f['severity']}, expected {case.level}")
    lines = [(l["dir"], l["text"]) for l in f["lines"]]
    check(lines == case.lines, f"{name}: proving lines {lines}, expected {case.lines}")
    check(all(l["t"] <= f["t"] + 0.0005 for l in f["lines"]), f"{name}: a proving line comes after the finding: {f}")
    check(f["spec"].startswith("§") and f["en"] and f["zh"] and f["detail"], f"{name}: texts missing in {f}")
    rules = {r["id"]: r for m in verdict["modems"] for r in m["rules"]}
    check(rules[case.rule]["exercised"] and rules[case.rule]["findings"] == 1, f"{name}: {rules[case.rule]}")
    errors = case.level == "error"
    check((verdict["errors"], verdict["warnings"]) == ((1, 0) if errors else (0, 1)),
          f"{name}: {verdict['errors']} errors, {verdict['warnings']} warnings")
    # Exit status 3 when the finding is at or above --verdict-fail-on (error by default).
    fails = errors or case.fail_on == "warning"
    status = s.proc.returncode
    check(status == (3 if fails else 0), f"{name}: exit status {status}, expected {3 if fails else 0}")
    check(verdict["fail_on"] == case.fail_on and verdict["passed"] == (not fails),
          f"{name}: fail_on {verdict['fail_on']}, passed {verdict['passed']}")
    validate_junit(junit, [case.rule] if fails else [])
    if fails:
        kinds = [r.type for r in junit_case(junit, case.rule).result]
        check(kinds == [case.level], f"{name}: the JUnit failure's type is {kinds}, expected {case.level}")
    else:  # a finding below the threshold is listed in the passing case's output
        out = junit_case(junit, case.rule).system_out or ""
        check(case.rule in out and case.lines[-1][1] in out, f"{name}: the JUnit system-out lacks it:\n{out}")
    # The recording judged again: the same finding to the millisecond (one time zero for
    # both); "warning" fails on it, "never" does not.
    for fail_on, want in (("warning", 3), ("never", 0)):
        again = finding_of(judge_trace(sim, trace, os.path.join(work, f"after-{fail_on}"), case, fail_on, want), name)
        check({k: again[k] for k in ("severity", "t", "detail", "lines")} ==
              {k: f[k] for k in ("severity", "t", "detail", "lines")},
              f"{name}: the trace's finding {again} differs from the live one {f}")
    print(f"ok {name}: {case.rule} ({case.level}), {time.monotonic() - began:.1f} s")


# --- the verdict's other outputs ---------------------------------------------------------

def poll_until(probe, timeout, message):
    """Polls probe() (bounded) until it is true; Failure with `message` otherwise."""
    deadline = time.monotonic() + timeout
    while not probe():
        check(time.monotonic() < deadline, message() if callable(message) else message)
        time.sleep(0.05)


def explain_case(sim, scenarios, work, ctl):
    """--explain alone: the finding shows in the transcript while the simulator runs, in the
    explain language, with its rule id, spec section and explanation; no verdict file and
    the exit status stays 0. A deadline finding (NO-RESUBSCRIBE) shows when its time runs
    out, with no byte from the driver to bring it."""
    for lang, why in (("--explain", " — why: AT+ECMTCONN was sent before"), ("--explain=zh", " — 原因：")):
        link = os.path.join(work, "explain.pty")
        s = Simulator(sim, work, ["--pty", link, lang])
        try:
            s.wait_ready()
            dte = Dte(link)
            try:
                conn_before_open(dte)
                wanted = "oracle: error NT35E-ECMT-CONN-BEFORE-OPEN (§5.4, §5.10) at "
                poll_until(lambda: wanted in s.stderr_text(), 5,
                         lambda: f"{lang}: no finding in the transcript while running:\n{s.stderr_text()}")
                line = next(x for x in s.stderr_text().splitlines() if wanted in x)
                check(": +ECMTOPEN:0,0 had not come yet" + why in line, f"{lang}: the finding reads {line!r}")
                # After the lines that caused it: the AT+ECMTCONN went in before it was reported.
                text = s.stderr_text()
                check(text.index('DTE -> "AT+ECMTCONN') < text.index(wanted), f"{lang}: the finding came first")
                check(s.proc.poll() is None, f"{lang}: nt35e-sim exited")
            finally:
                dte.close()
        finally:
            s.stop()
        check(s.proc.returncode == 0, f"{lang}: exit status {s.proc.returncode}; --explain alone must not fail a run")
        text = s.stderr_text()
        check(text.count("oracle: ") == 1, f"{lang}: one finding expected:\n{text}")
        check("verdict:" not in text, f"{lang}: a verdict summary without a verdict file:\n{text}")
        print(f"ok explain {lang}")
    # The deadline: NO-RESUBSCRIBE 2 s after the reconnect, while the driver stays silent.
    link = os.path.join(work, "deadline.pty")
    s = Simulator(sim, work, ["--pty", link, "--explain", "--scenario", os.path.join(scenarios,
                              "link-drop-reconnect.json"), "--oracle-set", "NT35E-ECMT-NO-RESUBSCRIBE.within_s=2"])
    try:
        s.wait_ready()
        dte = Dte(link)
        try:
            dte.boot()
            dte.open_conn()
            dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
            start = len(dte.seen)
            deadline = time.monotonic() + 20
            while b"+ECMTCONN:0,0,0" not in dte.seen[start:]:
                check(time.monotonic() < deadline, f"no reconnect after the drop:\n{dte.seen!r}")
                dte.read_for(0.05)
            quiet_from = len(s.stderr_text())
            poll_until(lambda: "oracle: error NT35E-ECMT-NO-RESUBSCRIBE" in s.stderr_text()[quiet_from:],
                     6, lambda: f"no NO-RESUBSCRIBE finding while the driver was silent:\n{s.stderr_text()}")
            check(s.proc.poll() is None, "nt35e-sim exited")
        finally:
            dte.close()
    finally:
        s.stop()
    print("ok explain deadline")


def fleet_ready_links(s, prefix, n):
    check(s.ready == f"ready: fleet {n} pty {prefix}0..{prefix}{n - 1}", f"ready line {s.ready!r}")
    return [f"{prefix}{i}" for i in range(n)]


def fleet_case(sim, scenarios, work, ctl):
    """--verdict and --verdict-json with --fleet 3: one oracle per modem; modem 1's driver
    sends AT+ECMTCONN before +ECMTOPEN:0,0, modems 0 and 2 run the seed's flow. Only modem 1
    fails, in the JUnit file (one suite per modem), the JSON and the exit status."""
    prefix = os.path.join(work, "fleet-")
    junit = os.path.join(work, "fleet.xml")
    verdict_json = os.path.join(work, "fleet.json")
    s = Simulator(sim, work, ["--fleet", "3", "--pty", prefix, "--verdict", junit, "--verdict-json", verdict_json,
                              "--log-level", "warn"])
    try:
        s.wait_ready()
        links = fleet_ready_links(s, prefix, 3)
        dtes = [Dte(link) for link in links]
        try:
            for i, dte in enumerate(dtes):
                if i == 1:
                    conn_before_open(dte)
                else:
                    dte.boot()
                    dte.open_conn()
                    dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
                    dte.until("AT+ECMTDISC=0", "+ECMTDISC:0,0")
        finally:
            for dte in dtes:
                dte.close()
    finally:
        s.stop()
    status = s.proc.returncode
    check(status == 3, f"fleet: exit status {status}, expected 3 (modem 1 failed)\n{s.stderr_text()}")
    with open(verdict_json, encoding="utf-8") as f:
        verdict = json.load(f)
    check([m["name"] for m in verdict["modems"]] == ["modem 0", "modem 1", "modem 2"],
          f"fleet: modems {[m['name'] for m in verdict['modems']]}")
    found = {m["name"]: [f["rule"] for f in m["findings"]] for m in verdict["modems"]}
    check(found == {"modem 0": [], "modem 1": ["NT35E-ECMT-CONN-BEFORE-OPEN"], "modem 2": []}, f"fleet: {found}")
    check(verdict["passed"] is False and verdict["errors"] == 1, f"fleet: {verdict['passed']}, {verdict['errors']}")
    from junitparser import Failure as JFailure, JUnitXml
    suites = {}
    for suite in JUnitXml.fromfile(junit):
        failed = [case.name for case in suite if any(isinstance(r, JFailure) for r in case.result)]
        suites[suite.name] = (len(list(suite)), failed)
    check(sorted(suites) == ["modem 0", "modem 1", "modem 2"], f"fleet: JUnit suites {sorted(suites)}")
    check(all(n >= 20 for n, _ in suites.values()), f"fleet: one test case per rule per modem: {suites}")
    check({k: v[1] for k, v in suites.items()} == found, f"fleet: JUnit failures {suites}")
    check("modem 1: " in s.stderr_text(), f"fleet: the stderr summary names no modem:\n{s.stderr_text()}")
    print("ok fleet: modem 1 only")


def ctl_verdict(ctl, port, *extra):
    import subprocess
    r = subprocess.run([ctl, "--port", str(port), "verdict", *extra], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=15)
    check(r.returncode == 0, f"nt35e-ctl verdict {' '.join(extra)}: status {r.returncode}, {r.stderr.strip()}")
    return json.loads(r.stdout)


def query_case(sim, scenarios, work, ctl):
    """The control channel's "query": "verdict" (nt35e-ctl verdict) while the driver runs:
    passed before the driver breaks a rule, the finding right after it; the same as the
    verdict file at the end. In a fleet: every modem's, or one modem's with --modem."""
    check(ctl, "query needs --ctl")
    link = os.path.join(work, "query.pty")
    verdict_json = os.path.join(work, "query.json")
    s = Simulator(sim, work, ["--pty", link, "--control", "0", "--verdict-json", verdict_json])
    try:
        s.wait_ready()
        dte = Dte(link)
        try:
            dte.boot()
            before = ctl_verdict(ctl, s.control_port)
            check(before["ok"] is True and before["passed"] is True and before["modems"][0]["findings"] == [],
                  f"query before the fault: {before}")
            check(len(before["modems"][0]["rules"]) >= 20, f"query: no rule coverage in {before}")
            dte.until('AT+ECMTOPEN=0,"127.0.0.1",1883', "OK")
            dte.until('AT+ECMTCONN=0,"dev1"', "+ECMTCONN:0,0,0")
            after = ctl_verdict(ctl, s.control_port)
            rules = [f["rule"] for f in after["modems"][0]["findings"]]
            check(after["passed"] is False and rules == ["NT35E-ECMT-CONN-BEFORE-OPEN"], f"query after: {after}")
            check("§5.4" in after["modems"][0]["findings"][0]["spec"], f"query: no spec section in {after}")
        finally:
            dte.close()
    finally:
        s.stop()
    with open(verdict_json, encoding="utf-8") as f:
        final = json.load(f)
    check([f["rule"] for f in final["modems"][0]["findings"]] == rules, f"query: the file says {final}")
    print("ok query: one modem")

    prefix = os.path.join(work, "qfleet-")
    s = Simulator(sim, work, ["--fleet", "3", "--pty", prefix, "--control", "0", "--log-level", "warn"])
    try:
        s.wait_ready()
        links = fleet_ready_links(s, prefix, 3)
        dte = Dte(links[2])
        try:
            conn_before_open(dte)
            every = ctl_verdict(ctl, s.control_port)
            found = {m["name"]: [f["rule"] for f in m["findings"]] for m in every["modems"]}
            check(found == {"modem 0": [], "modem 1": [], "modem 2": ["NT35E-ECMT-CONN-BEFORE-OPEN"]},
                  f"query fleet: {found}")
            check(every["passed"] is False, f"query fleet: {every}")
            one = ctl_verdict(ctl, s.control_port, "--modem", "0")
            check(one["modem"] == 0 and [m["name"] for m in one["modems"]] == ["modem 0"] and one["passed"] is True,
                  f"query fleet --modem 0: {one}")
        finally:
            dte.close()
    finally:
        s.stop()
    check(s.proc.returncode == 0, f"query fleet: exit status {s.proc.returncode}; --control alone must not fail a run")
    print("ok query: fleet")


EXTRA = {"explain": explain_case, "fleet": fleet_case, "query": query_case}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sim", required=True)
    p.add_argument("--scenarios", required=True)
    p.add_argument("--keep", metavar="DIR", help="write the verdicts, traces and logs into DIR (it must exist)")
    p.add_argument("--ctl", help="tools/nt35e-ctl (the query case)")
    p.add_argument("cases", nargs="*")
    a = p.parse_args()
    names = a.cases or list(CASES)
    if "faulty" in names:
        names = [n for n in names if n != "faulty"] + list(FAULTY)
    if "expect" in names:
        names = [n for n in names if n != "expect"] + list(EXPECT_CASES)
    unknown = [n for n in names if n not in CASES and n not in FAULTY and n not in EXPECT_CASES and n not in EXTRA]
    if unknown:
        print(f"no case {', '.join(unknown)}; the cases are: {', '.join([*CASES, *FAULTY, *EXPECT_CASES, *EXTRA])}",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="nt35e-oracle-") as work:
        if a.keep:
            work = a.keep
        try:
            for name in names:
                if name in EXPECT_CASES:
                    run_expect_case(a.sim, a.scenarios, name, work)
                elif name in EXTRA:
                    EXTRA[name](a.sim, a.scenarios, work, a.ctl)
                else:
                    (run_faulty if name in FAULTY else run_case)(a.sim, a.scenarios, name, work)
        except Failure as e:
            print(f"FAIL: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
