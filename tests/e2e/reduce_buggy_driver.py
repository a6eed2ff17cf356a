"""A deliberately buggy telemetry driver, for nt35e-reduce's end-to-end test.

    reduce_buggy_driver.py PTY [--never-resubscribe]

It boots, connects, subscribes to cmd/#, publishes telemetry every 30 simulated seconds
(NT35E_TIME_SCALE), subscribes again whenever the module reconnects after a loss, and runs
until it is stopped. Its bug: a command whose payload is not JSON ends it with an
uncaught exception (exit status 1). With --never-resubscribe it has a second one: after
the module's reconnect it does not subscribe again (the oracle's NT35E-ECMT-NO-RESUBSCRIBE). Trouble of its own harness (the modem never answers)
is exit status 2, so the two cannot be confused.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_e2e_test import Dte  # noqa: E402
from simulator import Failure  # noqa: E402

RECV = re.compile(rb'\+ECMTRECV:0,\d+,"(cmd/[^"]*)",(.*)')


def command(dte, line, timeout=5.0):
    """Sends `line` and reads until a final result; a slow answer is waited for, not fatal."""
    start = len(dte.seen)
    dte.send(line + "\r")
    deadline = time.monotonic() + timeout
    while not re.search(rb"\r\n(OK|ERROR|\+CME ERROR: \d+)\r\n", dte.seen[start:]):
        if time.monotonic() > deadline:
            return
        dte.read_for(0.02)


def boot(dte, timeout=15.0):
    """AT until the module answers (it may have booted before the driver opened the line,
    so ECRDY is not waited for), then AT+CEREG? until registered."""
    deadline = time.monotonic() + timeout
    while b"OK" not in dte.seen:
        if time.monotonic() > deadline:
            raise Failure("the module never answered AT")
        dte.send("AT\r")
        dte.read_for(0.1)
    while True:
        start = len(dte.seen)
        dte.until("AT+CEREG?", "OK", pause=0.02)
        if b"+CEREG:0,1" in dte.seen[start:]:
            return
        if time.monotonic() > deadline:
            raise Failure("never registered")
        dte.read_for(0.1)


def handle(topic, payload):
    command_ = json.loads(payload)  # the bug: a payload that is not JSON is not expected
    return topic, command_


def main():
    scale = float(os.environ.get("NT35E_TIME_SCALE", "1"))
    resubscribe = "--never-resubscribe" not in sys.argv[2:]
    dte = Dte(sys.argv[1])
    try:
        boot(dte)
        dte.open_conn()
        dte.until('AT+ECMTSUB=0,1,"cmd/#",1', "+ECMTSUB:0,1,0,1")
    except Failure as e:
        print(f"harness: {e}", file=sys.stderr)
        return 2
    done = len(dte.seen)
    msg_id = 1
    next_telemetry = time.monotonic() + 30 * scale
    while True:
        dte.read_for(0.02)
        text, cut = dte.seen[done:], dte.seen[done:].rfind(b"\r\n")
        if cut < 0:
            continue
        done += cut + 2
        for line in text[:cut].split(b"\r\n"):
            recv = RECV.match(line)
            if recv:
                handle(recv.group(1).decode(), recv.group(2).decode("utf-8", "replace"))
            elif line == b"+ECMTCONN:0,0,0" and resubscribe:  # back after a loss: subscribe again
                msg_id = msg_id % 65535 + 1
                command(dte, f'AT+ECMTSUB=0,{msg_id},"cmd/#",1')
        if time.monotonic() >= next_telemetry:
            command(dte, 'AT+ECMTPUB=0,0,0,0,"telemetry","rssi=23"')
            next_telemetry = time.monotonic() + 30 * scale


if __name__ == "__main__":
    sys.exit(main())
