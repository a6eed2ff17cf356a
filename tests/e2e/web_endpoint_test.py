#!/usr/bin/python3
"""End-to-end: the web view's endpoint (--web, docs/web.md) of the real nt35e-sim, without
a browser (web_browser_test.py drives a real one).

    web_endpoint_test.py --sim build/simulator/nt35e-sim CASE

CASE is one of CASES below:

  flow     a PTY driver runs the seed flow: the WebSocket gets the lines (command, echo,
           URC, result) with explanations and spec sections, the MQTT packets and the link
           state CONNECTED; the "refuse_connect" fault makes the next AT+ECMTCONN answer
           +ECMTCONN:0,0,5 on the PTY and on the socket; the trace, the HTML report and
           the pcapng download
  bad      garbage, an overlong header, a body, POST, a path out of the root, a WebSocket
           message over 4096 bytes, a broken frame, JSON that is not a request: each is
           refused or closed, and the modem and the view still serve
  token    --control-token-file: /ws and the downloads need the token (401 without or
           with a wrong one), the watch token watches only; --web off loopback without a
           token refuses to start
  fleet    --fleet 3 --web: the grid's /fleet.json, each modem's own view (/ws?modem=N)
           and its faults landing on that modem only
  lessons  every lesson of lessons/ started with --lesson and done through the page's
           console (--web-console) until it says "passed"; an unknown lesson is one sentence
  viewers  40 viewers at once: 32 are served, the others get 503; a viewer that stops
           reading while the driver sends 3000 commands does not slow the modem, and
           finds a "dropped" marker where its queue overflowed

Standard library only; loopback only; every wait has a deadline; the simulator is always
stopped; on failure one clear message and status 1.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from control_cli_test import Dte  # noqa: E402
from simulator import Failure, Simulator, check  # noqa: E402
from web_client import Closed, WebSocket, http_get  # noqa: E402

FAST = ["--set", "timing.boot=0", "--set", "timing.registration=0"]


def start(sim_path, workdir, *args):
    link = os.path.join(workdir, "nt35e")
    sim = Simulator(sim_path, workdir, ["--pty", link, "--web", "0", *FAST, *args])
    sim.wait_ready()
    check(sim.web_port, "no \"web:\" line before the ready line")
    return sim, link


def lines_of(ws, kind=None):
    return [m for m in ws.seen if m.get("type") == "line" and (kind is None or m.get("kind") == kind)]


def case_flow(sim_path, workdir):
    sim, link = start(sim_path, workdir)
    try:
        ws = WebSocket(sim.web_port)
        check(ws.status == 101, f"the WebSocket upgrade answered {ws.status}")
        hello = ws.recv_json()
        check(hello["type"] == "hello" and hello["role"] == "full", f"first message: {hello}")
        for fault in ("refuse_connect", "broker_down", "slow_network"):
            check(fault in hello["faults"], f"no {fault} fault button: {hello['faults']}")
        dte = Dte(link)
        dte.command("AT", "OK")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,0")
        dte.command('AT+ECMTSUB=0,1,"test",1', "+ECMTSUB:0,1,0,1")
        ws.wait_for(lambda m: m.get("type") == "state" and any(c["state"] == "CONNECTED" for c in m["ecmt"]))
        ws.wait_for(lambda m: m.get("type") == "mqtt" and m.get("packet") == "SUBACK")
        cmd = [m for m in lines_of(ws, "command") if m["text"] == "AT+ECMTCONN=0"]
        check(cmd and cmd[0]["dir"] == "dte" and cmd[0]["spec"] == "§5.4" and cmd[0]["explain"]["en"]
              and cmd[0]["explain"]["zh"], f"AT+ECMTCONN=0 without its explanation: {cmd}")
        check(cmd[0]["hex"].endswith("30 0D"), f"hex of AT+ECMTCONN=0: {cmd[0]['hex']}")
        urc = [m for m in lines_of(ws, "urc") if m["text"] == "+ECMTCONN:0,0,0"]
        check(urc and urc[0]["dir"] == "module", "no +ECMTCONN:0,0,0 URC line")
        packets = [m["packet"] for m in ws.seen if m.get("type") == "mqtt"]
        for p in ("CONNECT", "CONNACK", "SUBSCRIBE", "SUBACK"):
            check(p in packets, f"no {p} packet on the socket: {packets}")
        dte.command("AT+ECMTDISC=0", "+ECMTDISC:0,0")
        ws.wait_for(lambda m: m.get("type") == "mqtt" and m.get("packet") == "DISCONNECT")
        # The fault button, as the page sends it: the control channel's refuse_connect.
        ws.send_json({"type": "fault", "name": "refuse_connect"})
        reply = ws.wait_for(lambda m: m.get("type") == "reply")
        check(reply["ok"], f"the fault was refused: {reply}")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        got = dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,", timeout=5)
        tail = dte.read_until("\r\n")
        check(tail.startswith("5"), f"the PTY got +ECMTCONN:0,0,{tail!r}, not 5")
        refused = ws.wait_for(lambda m: m.get("type") == "line" and m.get("text") == "+ECMTCONN:0,0,5")
        check(refused["problem"] and "not authorized" in refused["explain"]["en"], f"the refusal line: {refused}")
        check(any(m.get("type") == "mqtt" and m.get("packet") == "CONNACK" and m.get("code") == 5 for m in ws.seen),
              "no CONNACK 5 packet on the socket before the refusal line")
        status, head, body = http_get(sim.web_port, "/trace.jsonl")
        check(status == 200 and b"+ECMTCONN:0,0,5" in body, f"trace download: {status}")
        status, head, body = http_get(sim.web_port, "/report.html")
        check(status == 200 and b"<svg" in body and b"ECMTCONN" in body, f"report download: {status}")
        status, head, body = http_get(sim.web_port, "/session.pcapng")
        check(status == 200 and body[:4] == b"\x0a\x0d\x0d\x0a", f"pcapng download: {status} {body[:8]!r}")
        status, head, body = http_get(sim.web_port, "/")
        check(status == 200 and b"app.js" in body, f"the page: {status}")
        dte.close()
        ws.close()
    finally:
        sim.stop()


def case_bad(sim_path, workdir):
    sim, link = start(sim_path, workdir)
    try:
        port = sim.web_port

        def raw(data, timeout=5.0):
            s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            s.sendall(data)
            got = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except socket.timeout:
                raise Failure(f"the server kept the connection open after {data[:40]!r}")
            s.close()
            return got

        check(raw(b"\x00\xff garbage \r\n\r\n").startswith(b"HTTP/1.1 400"), "garbage was not answered 400")
        long_header = b"GET / HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n"
        check(raw(long_header).startswith(b"HTTP/1.1 431"), "an overlong header was not answered 431")
        check(raw(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").split(b" ")[1] in (b"413", b"405"),
              "a body was not refused")
        status, _, _ = http_get(port, "/../../etc/passwd")
        check(status == 404, f"a path out of the root answered {status}")
        status, _, _ = http_get(port, "/.hidden.js")
        check(status == 404, f"a hidden file answered {status}")
        status, _, _ = http_get(port, "/ws")
        check(status == 400, f"/ws without the upgrade answered {status}")
        # An oversize WebSocket message: closed (1009), nothing else happens.
        ws = WebSocket(port)
        ws.recv_json()
        ws.send_frame(b"x" * 5000)
        try:
            ws.wait_for(lambda m: False, timeout=5)
            raise Failure("an oversize message did not close the socket")
        except Closed:
            pass
        except TimeoutError:
            raise Failure("an oversize message did not close the socket within 5 s")
        # A frame that says it is huge and never comes: closed too, without waiting for it.
        ws = WebSocket(port)
        ws.recv_json()
        ws.send_frame(b"abc", length=1 << 40)
        try:
            ws.wait_for(lambda m: False, timeout=5)
            raise Failure("a frame declaring 1 TiB did not close the socket")
        except (Closed, ConnectionResetError):
            pass
        except TimeoutError:
            raise Failure("a frame declaring 1 TiB did not close the socket within 5 s")
        # Requests that are not requests: answered, not obeyed.
        ws = WebSocket(port)
        ws.recv_json()
        for bad in (b"not json", b"[1,2]", json.dumps({"type": "fault", "name": "melt"}).encode(),
                    json.dumps({"type": "at", "line": "AT\rAT"}).encode(), json.dumps({"type": 5}).encode()):
            ws.send_frame(bad)
            reply = ws.wait_for(lambda m: m.get("type") == "reply")
            check(not reply["ok"], f"{bad!r} was accepted: {reply}")
        ws.send_frame(b"\x80\x81", opcode=2)  # binary: not a text request
        # The modem and the view still serve.
        dte = Dte(link)
        dte.command("AT", "OK")
        ws2 = WebSocket(port)
        check(ws2.status == 101, "a new viewer is refused after the bad input")
        ws2.wait_for(lambda m: m.get("type") == "line" and m.get("text") == "AT")
        dte.close()
    finally:
        sim.stop()


def write_token(workdir, name, value):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def case_token(sim_path, workdir):
    full = "instructor-token-0123456789"
    watch = "trainee-token-0123456789ab"
    tf = write_token(workdir, "token", full)
    wf = write_token(workdir, "watch", watch)
    sim, link = start(sim_path, workdir, "--control", "0", "--control-token-file", tf, "--web-watch-token-file", wf)
    try:
        port = sim.web_port
        check(WebSocket(port).status == 401, "/ws without a token was not refused")
        check(WebSocket(port, "/ws?token=wrong-token-000000000").status == 401, "a wrong token was not refused")
        check(http_get(port, "/trace.jsonl")[0] == 401, "the trace downloads without a token")
        check(http_get(port, f"/trace.jsonl?token={full}")[0] == 200, "the trace does not download with the token")
        check(http_get(port, "/")[0] == 200, "the page itself needs no token (it tells nothing)")
        ws = WebSocket(port, "/ws", headers={"Authorization": f"Bearer {full}"})
        check(ws.status == 101 and ws.recv_json()["role"] == "full", "the bearer token does not give the full role")
        ws = WebSocket(port, f"/ws?token={watch}")
        check(ws.status == 101, "the watch token is refused")
        hello = ws.recv_json()
        check(hello["role"] == "watch" and hello["faults"] == [], f"the watch token is not watch only: {hello}")
        ws.send_json({"type": "fault", "name": "reboot"})
        reply = ws.wait_for(lambda m: m.get("type") == "reply")
        check(not reply["ok"] and "watches" in reply["text"], f"a watcher fired a fault: {reply}")
        err = sim.stderr_text()
        check(full not in err and watch not in err, "a token appears in the log")
    finally:
        sim.stop()
    r = subprocess.run([sim_path, "--tcp", "0", "--web", "0.0.0.0:0"], capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "--web" in r.stderr and "token" in r.stderr,
          f"--web off loopback without a token: status {r.returncode}, {r.stderr!r}")


def case_viewers(sim_path, workdir):
    sim, link = start(sim_path, workdir)
    try:
        port = sim.web_port
        many = [WebSocket(port) for _ in range(40)]
        served = [w for w in many if w.status == 101]
        refused = [w for w in many if w.status == 503]
        check(len(served) == 32 and len(refused) == 8, f"{len(served)} served, {len(refused)} refused of 40")
        for w in many:
            w.close()
        time.sleep(0.5)
        # A viewer that stops reading, with a tiny receive window.
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        dte = Dte(link)
        dte.command("ATE0", "OK")
        began = time.monotonic()
        for _ in range(60):  # 3000 commands, 50 at a time
            dte.send("AT\r" * 50)
            for _ in range(50):
                dte.read_until("OK", timeout=5)
        took = time.monotonic() - began
        check(took < 30, f"3000 commands took {took:.1f} s with a stalled viewer")
        # A live viewer still gets new lines at once.
        fresh = WebSocket(port)
        dte.command("AT+CGSN", "OK")
        fresh.wait_for(lambda m: m.get("type") == "line" and m.get("text") == "AT+CGSN", timeout=5)
        # ...after the whole history, none of it dropped.
        check(not any(m.get("type") == "dropped" for m in fresh.seen), "a late viewer lost part of the history")
        check(sum(1 for m in fresh.seen if m.get("type") == "line") >= 1900, "a late viewer got less than the history")
        # The stalled one reads now: somewhere in its stream is the marker.
        stalled.settimeout(5)
        data = b""
        deadline = time.monotonic() + 20
        while b'"type":"dropped"' not in data and time.monotonic() < deadline:
            try:
                chunk = stalled.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            data = data[-200000:]
        check(b'"type":"dropped"' in data, "the stalled viewer got no \"dropped\" marker")
        print(f"3000 commands with a stalled viewer: {took:.2f} s")
        dte.close()
    finally:
        sim.stop()


# What a learner types for each lesson, and when to wait: (line, the module line to wait
# for before the next, or None). Each lesson must end "passed".
OPEN = 'AT+ECMTOPEN=0,"test.mosquitto.org",1883'
LESSON_INPUT = {
    "first-contact": [("AT", "OK"), ("ATE0", "OK"), ("AT+CPIN?", "OK"), ("AT+CEREG?", "OK")],
    "seed-flow": [(OPEN, "+ECMTOPEN:0,0"), ("AT+ECMTCONN=0", "+ECMTCONN:0,0,0"),
                  ('AT+ECMTSUB=0,1,"test",2', "+ECMTSUB:0,1,0,1"), ('AT+ECMTPUB=0,0,0,0,"test","hello"', "+ECMTRECV:0,0,\"test\",hello"),
                  ('AT+ECMTUNS=0,4,"test"', "+ECMTUNS:0,4,0"), ("AT+ECMTDISC=0", "+ECMTDISC:0,0")],
    "auth-refusal": [(OPEN, "+ECMTOPEN:0,0"), ('AT+ECMTCONN=0,"dev1","device","wrong"', "+ECMTCONN:0,0,5"),
                     ('AT+ECMTCONN=0,"dev1","device","right-password"', "+ECMTCONN:0,0,0")],
    "broker-loss": [(OPEN, "+ECMTOPEN:0,0"), ("AT+ECMTCONN=0", "+ECMTCONN:0,0,0"),
                    ('AT+ECMTSUB=0,1,"test",1', "+ECMTSTAT:0,1"), (None, "+ECMTCONN:0,0,0"),
                    ('AT+ECMTSUB=0,2,"test",1', "+ECMTSUB:0,2,0,1")],
    "qos1": [(OPEN, "+ECMTOPEN:0,0"), ("AT+ECMTCONN=0", "+ECMTCONN:0,0,0"),
             ('AT+ECMTPUB=0,1,1,0,"test","hello"', "+ECMTPUB:0,1,0")],
}


def case_lessons(sim_path, workdir):
    """Every lesson of lessons/, started with --lesson and done through the page's console."""
    lessons_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lessons")
    names = sorted(f[:-5] for f in os.listdir(lessons_dir) if f.endswith(".json"))
    check(sorted(LESSON_INPUT) == names, f"lessons without a test here, or gone: {names}")
    for name in names:
        sim, link = start(sim_path, workdir, "--lesson", name, "--web-console")
        try:
            ws = WebSocket(sim.web_port)
            hello = ws.recv_json()
            check([l["name"] for l in hello["lessons"]][0] == "first-contact", "the lessons are not in their order")
            first = ws.wait_for(lambda m: m.get("type") == "lesson")
            check(first["name"] == name and first["status"] == "running" and first["step"] == 0, f"{name}: {first}")
            for line, until in LESSON_INPUT[name]:
                if line:
                    ws.send_json({"type": "at", "line": line})
                ws.wait_for(lambda m: m.get("type") == "line" and m.get("dir") == "module" and m.get("text") == until,
                            timeout=15)
            # The lesson's "passed" may come before the last step's final OK (it follows the
            # line that proves the step): look among what came already, then wait.
            passed = lambda m: m.get("type") == "lesson" and m.get("status") == "passed"
            done = next((m for m in reversed(ws.seen) if passed(m)), None) or ws.wait_for(passed, timeout=5)
            check(done["say"]["en"].startswith("Passed"), f"{name}: {done}")
            ws.close()
        except TimeoutError:
            seen = [m.get("text") or m for m in getattr(ws, "seen", [])][-12:]
            raise Failure(f"lesson {name}: stuck; last messages: {seen}")
        finally:
            sim.stop()
    # A lesson that does not exist: one sentence naming the lessons there are.
    r = subprocess.run([sim_path, "--tcp", "0", "--lesson", "no-such-lesson"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 2 and "first-contact" in r.stderr, f"--lesson no-such-lesson: {r.returncode} {r.stderr!r}")


def case_fleet(sim_path, workdir):
    """--fleet 3 --web: /fleet.json has every modem's state; /ws?modem=N watches modem N only,
    and its fault buttons fire on modem N."""
    prefix = os.path.join(workdir, "m")
    sim = Simulator(sim_path, workdir, ["--fleet", "3", "--pty", prefix, "--web", "0", *FAST])
    try:
        sim.wait_ready()
        port = sim.web_port
        check(port, "no \"web:\" line in fleet mode")
        one = WebSocket(port, "/ws?modem=1")
        hello = one.recv_json()
        check(hello["modem"] == 1 and hello["modems"] == 3, f"hello of modem 1: {hello}")
        zero = WebSocket(port, "/ws?modem=0")
        zero.recv_json()
        check(WebSocket(port, "/ws?modem=3").status == 404, "a modem past the fleet is not refused")
        check(WebSocket(port, "/ws?modem=x").status == 404, "a modem that is not a number is not refused")
        dte = Dte(prefix + "1")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,0")
        one.wait_for(lambda m: m.get("type") == "line" and m.get("text") == "+ECMTCONN:0,0,0")
        deadline = time.monotonic() + 5
        while True:
            states = json.loads(http_get(port, "/fleet.json")[2])
            links = [[c["state"] for c in s["ecmt"]] if s else None for s in states]
            if links[1] == ["CONNECTED"]:
                break
            check(time.monotonic() < deadline, f"/fleet.json never showed modem 1 CONNECTED: {links}")
            time.sleep(0.2)
        check(len(states) == 3 and links[0] == [] and links[2] == [], f"/fleet.json: {links}")
        check(http_get(port, "/fleet")[0] == 200, "the grid page is not served")
        check(http_get(port, "/trace.jsonl?modem=1")[2].count(b"ECMTCONN") > 0, "modem 1's trace lacks its session")
        check(b"ECMTCONN" not in http_get(port, "/trace.jsonl?modem=2")[2], "modem 2's trace has modem 1's session")
        # Modem 0's viewer saw none of it.
        try:
            zero.wait_for(lambda m: m.get("type") == "line" and "ECMT" in m.get("text", ""), timeout=1)
            raise Failure("modem 0's viewer got modem 1's lines")
        except TimeoutError:
            pass
        # A fault from modem 1's page lands on modem 1.
        dte.command("AT+ECMTDISC=0", "+ECMTDISC:0,0")
        one.send_json({"type": "fault", "name": "refuse_connect"})
        check(one.wait_for(lambda m: m.get("type") == "reply")["ok"], "the fault was refused")
        dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "+ECMTOPEN:0,0")
        got = dte.command("AT+ECMTCONN=0", "+ECMTCONN:0,0,", timeout=5) + dte.read_until("\r\n")
        check("+ECMTCONN:0,0,5" in got, f"modem 1 got {got!r} after its page's fault")
        dte.close()
    finally:
        sim.stop()


CASES = {"fleet": case_fleet, "flow": case_flow, "bad": case_bad, "token": case_token, "viewers": case_viewers, "lessons": case_lessons}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nt35e-web-") as workdir:
        try:
            CASES[args.case](os.path.abspath(args.sim), workdir)
        except (Failure, Closed, TimeoutError, OSError) as e:
            import traceback
            traceback.print_exc()
            print(f"FAIL web {args.case}: {type(e).__name__}: {e}", file=sys.stderr)
            for name in os.listdir(workdir):
                if name.endswith("stderr.txt"):
                    with open(os.path.join(workdir, name), errors="replace") as f:
                        sys.stderr.write(f.read()[-3000:])
            return 1
    print(f"ok web {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
