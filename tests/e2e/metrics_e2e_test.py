#!/usr/bin/env python3
"""End-to-end: the Prometheus endpoint (--metrics, docs/metrics.md) of the real nt35e-sim.

    metrics_e2e_test.py --sim build/simulator/nt35e-sim CASE

CASE is one of CASES below:

  scrape      one modem on a PTY: a DTE sends commands, a real HTTP client (urllib) reads
              /metrics (content type, values) and `promtool check metrics` passes it;
              /healthz, HEAD, 404 and 405
  fleet       --fleet 3: the totals of three modems, checked by promtool
  bad         garbage, an overlong header, too many header fields, a body: each gets its
              status and is closed; the modem still answers and /metrics still serves
  slow        a client that sends half a request is closed after the request timeout
              while other clients are served
  connections 40 connections at once: the ones past the cap get 503, one log line says
              so, and /metrics serves once they leave
  token       --metrics-token-file: 401 without or with a wrong token, 200 with it,
              /healthz without; a non-loopback --metrics without a token refuses to start
  dashboard   deploy/grafana/nt35e-dashboard.json is well-formed JSON and every metric
              its queries name is one /metrics emits

Standard library and promtool (Debian: prometheus) only; loopback only; every wait has a
deadline; the simulator is always stopped; on failure one clear message and status 1.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from control_cli_test import Dte  # noqa: E402  (the PTY opened as a terminal would be)
from simulator import Failure, Simulator, check  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAST_BOOT = ["--set", "timing.boot=50", "--set", "timing.registration=50"]


def get(port, path="/metrics", method="GET", headers=None, timeout=10):
    """(status, headers, body) of one request with urllib, a real HTTP client."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def raw(port, data, timeout=5.0):
    """Sends `data` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        got = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                return got.decode("latin-1")
            got += chunk
        raise Failure(f"the server did not close the connection within {timeout:g} s; got {got[:200]!r}")


def status_of(response):
    m = re.match(r"HTTP/1\.[01] (\d{3}) ", response)
    check(m, f"not an HTTP response: {response[:200]!r}")
    return int(m.group(1))


def samples(page):
    """{series: value} of a text-format page (series with its labels as written)."""
    out = {}
    for line in page.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = float(value)
    return out


def promtool(page):
    exe = shutil.which("promtool")
    check(exe, "promtool is not installed (Debian: prometheus; tools/install-deps.sh)")
    r = subprocess.run([exe, "check", "metrics"], input=page.encode(), capture_output=True, timeout=30)
    said = (r.stdout + r.stderr).decode().strip()
    check(r.returncode == 0 and not said, f"promtool check metrics: status {r.returncode}: {said}")


def wait_for(what, predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        check(time.monotonic() < deadline, f"waited {timeout:g} s for {what}")
        time.sleep(0.1)


def start(sim_binary, workdir, extra):
    sim = Simulator(sim_binary, workdir, [*FAST_BOOT, "--metrics", "0", *extra])
    sim.wait_ready()
    check(sim.metrics_port, "no \"metrics: ADDR:PORT\" line before \"ready:\"")
    return sim


def single(sim_binary, workdir, extra=()):
    link = os.path.join(workdir, "nt35e0")
    return start(sim_binary, workdir, ["--pty", link, *extra]), link


def registered(port):
    return lambda: samples(get(port)[2]).get('nt35e_modems{state="registered"}') == 1


# ---------------------------------------------------------------------------------------
# cases


def case_scrape(sim_binary, workdir):
    sim, link = single(sim_binary, workdir)
    try:
        port = sim.metrics_port
        wait_for("the modem to register", registered(port))
        dte = Dte(link)
        for line in ("AT", "AT+CSQ", "AT+CSQ;+CEREG?", "AT+NOPE"):
            dte.send(line + "\r")
            dte.read_until("OK\r\n" if line != "AT+NOPE" else "ERROR\r\n")
        status, headers, page = get(port)
        check(status == 200, f"GET /metrics: status {status}")
        check(headers["Content-Type"] == CONTENT_TYPE, f"Content-Type {headers['Content-Type']!r}")
        promtool(page)
        s = samples(page)
        expected = {
            'nt35e_at_commands_total{command="AT+CSQ"}': 2,
            'nt35e_at_commands_total{command="AT+CEREG"}': 1,
            'nt35e_at_commands_total{command="AT"}': 1,
            'nt35e_at_commands_total{command="other"}': 1,
            "nt35e_at_command_lines_total": 4,
            "nt35e_at_errors_total": 1,
            "nt35e_at_response_seconds_count": 4,
            'nt35e_modems{state="registered"}': 1,
            "nt35e_dte_attached": 1,
        }
        for series, value in expected.items():
            check(s.get(series) == value, f"{series} is {s.get(series)}, expected {value}")
        check(s["nt35e_dte_bytes_received_total"] > 0 and s["nt35e_dte_bytes_sent_total"] > 0, "no DTE bytes counted")
        check(sum(v for k, v in s.items() if k.startswith("nt35e_modems{")) == 1, "nt35e_modems does not sum to 1")
        check('nt35e_build_info{version="' in page and 'profile="nt35e"} 1' in page, "no nt35e_build_info")
        check(s["nt35e_uptime_seconds"] > 0, "nt35e_uptime_seconds is 0")
        check(not re.search(r"imei|client_id|866\d{12}", page, re.I), "a label names a modem")

        status, _, body = get(port, "/healthz")
        check((status, body) == (200, "ok\n"), f"GET /healthz: {status} {body!r}")
        status, headers, body = get(port, method="HEAD")
        check(status == 200 and body == "" and int(headers["Content-Length"]) > 1000,
              f"HEAD /metrics: {status}, body {len(body)} bytes, Content-Length {headers['Content-Length']}")
        status, _, _ = get(port, "/metric")
        check(status == 404, f"GET /metric: status {status}, expected 404")
        status, headers, _ = get(port, method="POST")
        check(status == 405 and headers["Allow"] == "GET, HEAD", f"POST /metrics: {status}, Allow {headers['Allow']}")
        status, _, _ = get(port, "/metrics?x=1")
        check(status == 200, f"GET /metrics?x=1: status {status}")
        # Keep-alive: two requests on one connection.
        two = raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(two.count("HTTP/1.1 200 OK") == 2, f"two requests on one connection: {two!r}")
    finally:
        sim.stop()


def case_fleet(sim_binary, workdir):
    prefix = os.path.join(workdir, "m-")
    sim = start(sim_binary, workdir, ["--fleet", "3", "--pty", prefix, "--threads", "2"])
    try:
        port = sim.metrics_port
        wait_for("three registered modems",
                 lambda: samples(get(port)[2]).get('nt35e_modems{state="registered"}') == 3)
        dte = Dte(prefix + "2")
        dte.send("AT+CGSN\r")
        dte.read_until("OK\r\n")
        page = get(port)[2]
        promtool(page)
        s = samples(page)
        check(sum(v for k, v in s.items() if k.startswith("nt35e_modems{")) == 3, "nt35e_modems does not sum to 3")
        check(s['nt35e_at_commands_total{command="AT+CGSN"}'] == 1, "AT+CGSN not counted once")
        check(s["nt35e_dte_attached"] == 1, f"nt35e_dte_attached {s['nt35e_dte_attached']}")
        check(get(port, "/healthz")[:1] == (200,), "GET /healthz of a fleet is not 200")
    finally:
        sim.stop()


def still_serves(sim, link, port):
    check(sim.proc.poll() is None, f"nt35e-sim exited (status {sim.proc.returncode})")
    wait_for("the modem to register", registered(port))  # input before ECRDY is ignored
    dte = Dte(link)
    dte.send("AT\r")
    dte.read_until("OK\r\n")
    status, _, page = get(port)
    check(status == 200 and "nt35e_modems" in page, f"GET /metrics after the bad requests: {status}")


def case_bad(sim_binary, workdir):
    sim, link = single(sim_binary, workdir)
    try:
        port = sim.metrics_port
        cases = [
            ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400),
            ("a bad request line", b"GET\r\n\r\n", 400),
            ("an overlong header", b"GET /metrics HTTP/1.1\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n", 431),
            ("too many header fields",
             b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(100)) + b"\r\n", 431),
            ("a body", b"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413),
        ]
        for what, data, expected in cases:
            got = raw(port, data)
            check(status_of(got) == expected, f"{what}: {got.splitlines()[0]!r}, expected {expected}")
            check("connection: close" in got.lower(), f"{what}: the answer does not close the connection")
        still_serves(sim, link, port)
    finally:
        sim.stop()


def case_slow(sim_binary, workdir):
    sim, link = single(sim_binary, workdir)
    try:
        port = sim.metrics_port
        slow = socket.create_connection(("127.0.0.1", port), timeout=20)
        slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never ends its header
        started = time.monotonic()
        # Served meanwhile.
        still_serves(sim, link, port)
        got = b""
        while True:
            chunk = slow.recv(4096)  # raises socket.timeout past 20 s: a failure
            if not chunk:
                break
            got += chunk
        waited = time.monotonic() - started
        check(got == b"", f"the slow client got {got[:100]!r}")
        check(8 <= waited <= 15, f"the slow client was closed after {waited:.1f} s, expected about 10")
        slow.close()
        # The log line may reach stderr just after the socket closed.
        wait_for("the slow client in the log",
                 lambda: "sent no whole request within 10 s" in sim.stderr_text(), timeout=5)
        still_serves(sim, link, port)
    finally:
        sim.stop()


def case_connections(sim_binary, workdir):
    sim, link = single(sim_binary, workdir, ["--log-level", "info"])
    try:
        port = sim.metrics_port
        conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
        busy = 0
        for c in conns[16:]:
            data = c.recv(4096).decode("latin-1")
            busy += status_of(data) == 503
        check(busy == 24, f"{busy} of the 24 connections past the cap got 503")
        for c in conns:
            c.close()
        wait_for("/metrics to serve once the clients left", lambda: get(port)[0] == 200)
        still_serves(sim, link, port)
        # The summary is logged once a place is free, and may reach stderr a moment later. It
        # counts 24, or more when a probe of the wait above came before the closes were seen.
        summary = wait_for("the summary of the refusals in the log",
                           lambda: re.search(r"(\d+) metrics clients were refused in all", sim.stderr_text()),
                           timeout=5)
        check(int(summary.group(1)) >= 24, f"the summary counts {summary.group(1)} refusals, expected 24 or more")
        refused = [l for l in sim.stderr_text().splitlines() if "refused: too many clients" in l]
        check(len(refused) == 1, f"{len(refused)} log lines for the refusals, expected 1")
    finally:
        sim.stop()


def case_token(sim_binary, workdir):
    token = "s3cret-token-for-metrics-0123456789"
    token_file = os.path.join(workdir, "token")
    with open(token_file, "w") as f:
        f.write(token + "\n")
    os.chmod(token_file, 0o600)
    sim, link = single(sim_binary, workdir, ["--metrics-token-file", token_file])
    try:
        port = sim.metrics_port
        status, headers, _ = get(port)
        check(status == 401, f"GET /metrics without a token: {status}")
        check(headers["WWW-Authenticate"] == 'Bearer realm="nt35e-sim"', f"WWW-Authenticate {headers['WWW-Authenticate']}")
        status, _, _ = get(port, headers={"Authorization": "Bearer " + token[:-1] + "X"})
        check(status == 401, f"GET /metrics with a wrong token: {status}")
        status, _, _ = get(port, headers={"Authorization": "Basic " + token})
        check(status == 401, f"GET /metrics with another scheme: {status}")
        status, _, page = get(port, headers={"Authorization": "Bearer " + token})
        check(status == 200 and "nt35e_modems" in page, f"GET /metrics with the token: {status}")
        status, _, _ = get(port, "/healthz")
        check(status == 200, f"GET /healthz without a token: {status}")
        log = sim.stderr_text()
        check(token not in log, "the token is in the log")
        check(log.count("refused: no token") + log.count("refused: wrong token") == 1,
              "the refusals are not logged once")
    finally:
        sim.stop()
    # Off loopback without a token: one sentence, status 2, nothing started.
    for args, needle in (
        (["--metrics", "0.0.0.0:0"], "--metrics 0.0.0.0:0 can be reached from other hosts, so it needs a token"),
        (["--metrics-token-file", token_file], "--metrics-token-file goes only with --metrics"),
        (["--metrics", "x"], "--metrics x:"),
    ):
        r = subprocess.run([sim_binary, "--pty", os.path.join(workdir, "never"), *args], capture_output=True,
                           timeout=10)
        err = r.stderr.decode()
        check(r.returncode == 2 and needle in err and len(err.strip().splitlines()) == 1,
              f"{args}: status {r.returncode}, stderr {err!r}")
    # Off loopback with a token: it starts (0.0.0.0 stays on this machine's interfaces).
    sim = Simulator(sim_binary, workdir, ["--pty", os.path.join(workdir, "any"), "--metrics", "0.0.0.0:0",
                                          "--metrics-token-file", token_file])
    try:
        sim.wait_ready()
        check(get(sim.metrics_port, headers={"Authorization": "Bearer " + token})[0] == 200,
              "no 200 with the token on 0.0.0.0")
    finally:
        sim.stop()


def metric_names(page):
    """The metric family names of a page, from its TYPE lines."""
    return {line.split()[2] for line in page.splitlines() if line.startswith("# TYPE ")}


def case_dashboard(sim_binary, workdir):
    path = os.path.join(REPO, "deploy", "grafana", "nt35e-dashboard.json")
    with open(path) as f:
        try:
            board = json.load(f)
        except json.JSONDecodeError as e:
            raise Failure(f"{path}: not JSON: {e}")
    sim, _ = single(sim_binary, workdir)
    try:
        page = get(sim.metrics_port)[2]
    finally:
        sim.stop()
    families = metric_names(page)
    emitted = set()
    for name in families:
        emitted |= {name, name + "_bucket", name + "_sum", name + "_count"}
    exprs = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                exprs.append(node["expr"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(board)
    check(len(exprs) >= 5, f"the dashboard has {len(exprs)} queries")
    used = set()
    for expr in exprs:
        used |= set(re.findall(r"\bnt35e_[a-z_]+\b", expr))
    check(used, "the dashboard queries no nt35e_ metric")
    unknown = sorted(used - emitted)
    check(not unknown, f"the dashboard queries metrics the exporter does not emit: {', '.join(unknown)}")
    for want in ("nt35e_modems", "nt35e_at_commands_total", "nt35e_at_response_seconds_bucket",
                 "nt35e_mqtt_reconnects_total", "nt35e_output_dropped_bytes_total"):
        check(want in used, f"the dashboard does not show {want}")
    check(any("histogram_quantile" in e for e in exprs), "no histogram_quantile in the dashboard")


CASES = {
    "scrape": case_scrape,
    "fleet": case_fleet,
    "bad": case_bad,
    "slow": case_slow,
    "connections": case_connections,
    "token": case_token,
    "dashboard": case_dashboard,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", required=True)
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nt35e-metrics-") as workdir:
        try:
            CASES[args.case](os.path.abspath(args.sim), workdir)
        except Failure as e:
            print(f"FAIL metrics {args.case}: {e}", file=sys.stderr)
            for name in os.listdir(workdir):
                if name.endswith("stderr.txt"):
                    with open(os.path.join(workdir, name), errors="replace") as f:
                        sys.stderr.write(f.read()[-3000:])
            return 1
    print(f"ok metrics {args.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
