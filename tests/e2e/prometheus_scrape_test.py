#!/usr/bin/env python3
"""End-to-end: a real Prometheus scrapes two real nt35e-sim processes (docs/metrics.md).

    prometheus_scrape_test.py --sim build/simulator/nt35e-sim [--prometheus /usr/bin/prometheus]

Starts one single modem (--metrics 0) and one fleet of 3 (--fleet 3 --metrics 0, its
/metrics guarded by --metrics-token-file, which Prometheus sends as a bearer token), then
Prometheus (Debian: prometheus) with a generated configuration in a temporary directory:
scrape interval 1 s, its TSDB in the same directory, its web API on a free loopback port.
A DTE sends AT+CSQ to the single modem. Through Prometheus's HTTP API the test then
checks that both targets are up, that sum(nt35e_modems) is 4, that the AT+CSQ is counted
by command, and that histogram_quantile over nt35e_at_response_seconds answers a number.

Standard library only; loopback only; every wait has a deadline; every process is stopped;
on failure one clear message (and the processes' logs) and status 1.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from control_cli_test import Dte  # noqa: E402
from simulator import Failure, Simulator, check  # noqa: E402

FAST_BOOT = ["--set", "timing.boot=50", "--set", "timing.registration=50"]
TOKEN = "prometheus-test-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    def __init__(self, binary, workdir, targets):
        """targets: [(job, port or "ADDR:PORT" or a list of them, token_file or None)]."""
        self.port = free_port()
        self.log_path = os.path.join(workdir, "prometheus-stderr.txt")
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
            for job, where, token_file in targets:
                where = where if isinstance(where, list) else [where]
                listed = ", ".join(f"'{w}'" if isinstance(w, str) else f"'127.0.0.1:{w}'" for w in where)
                f.write(f"  - job_name: {job}\n    static_configs:\n      - targets: [{listed}]\n")
                if token_file:
                    f.write(f"    authorization:\n      credentials_file: {token_file}\n")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.loads(r.read())

    def query(self, expr):
        """The instant vector of `expr`: [(labels, float)]."""
        answer = self.api("/api/v1/query", query=expr)
        check(answer.get("status") == "success", f"query {expr}: {answer}")
        return [(r["metric"], float(r["value"][1])) for r in answer["data"]["result"]]

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            check(self.proc.poll() is None, f"prometheus exited (status {self.proc.returncode})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            check(time.monotonic() < deadline, f"prometheus was not ready within {timeout:g} s")
            time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()


def eventually(what, predicate, timeout=30.0):
    """Polls `predicate` (which returns a value or None) until it holds; the last value seen on failure."""
    deadline = time.monotonic() + timeout
    seen = None
    while True:
        try:
            seen = predicate()
        except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
            seen = f"error: {e}"
        if seen is True:
            return
        check(time.monotonic() < deadline, f"waited {timeout:g} s for {what}; last seen: {seen}")
        time.sleep(0.5)


def run(sim_binary, prometheus_binary, workdir):
    token_file = os.path.join(workdir, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    os.makedirs(os.path.join(workdir, "one"))
    os.makedirs(os.path.join(workdir, "fleet"))
    link = os.path.join(workdir, "one", "nt35e0")
    sims, prom = [], None
    try:
        one = Simulator(sim_binary, os.path.join(workdir, "one"), [*FAST_BOOT, "--pty", link, "--metrics", "0"])
        sims.append(one)
        one.wait_ready()
        fleet = Simulator(sim_binary, os.path.join(workdir, "fleet"),
                          [*FAST_BOOT, "--fleet", "3", "--pty", os.path.join(workdir, "fleet", "m-"), "--threads", "2",
                           "--metrics", "0", "--metrics-token-file", token_file])
        sims.append(fleet)
        fleet.wait_ready()
        check(one.metrics_port and fleet.metrics_port, "no \"metrics:\" line")

        def one_registered():
            with urllib.request.urlopen(f"http://127.0.0.1:{one.metrics_port}/metrics", timeout=5) as r:
                return True if 'nt35e_modems{state="registered"} 1\n' in r.read().decode() else "not registered"

        eventually("the single modem to register", one_registered, timeout=10)  # input before ECRDY is ignored
        dte = Dte(link)
        for _ in range(3):
            dte.send("AT+CSQ\r")
            dte.read_until("OK\r\n")

        prom = Prometheus(prometheus_binary, workdir,
                          [("nt35e-one", one.metrics_port, None), ("nt35e-fleet", fleet.metrics_port, token_file)])
        prom.wait_ready()

        def by_job(expr):
            return {r[0]["job"]: r[1] for r in prom.query(expr)}

        def single_value(expr):
            got = prom.query(expr)
            return got[0][1] if len(got) == 1 else got

        # (what, how it is read, what it must be)
        expectations = [
            ("both targets up", lambda: by_job("up"), lambda v: v == {"nt35e-one": 1.0, "nt35e-fleet": 1.0}),
            ("sum(nt35e_modems) to be 4", lambda: single_value("sum(nt35e_modems)"), lambda v: v == 4),
            ("1 + 3 registered modems", lambda: by_job('sum by (job) (nt35e_modems{state="registered"})'),
             lambda v: v == {"nt35e-one": 1.0, "nt35e-fleet": 3.0}),
            ("three AT+CSQ counted", lambda: single_value('sum(nt35e_at_commands_total{command="AT+CSQ"})'),
             lambda v: v == 3),
            ("a 90th percentile of the AT response time",
             lambda: single_value("histogram_quantile(0.9, sum by (le) (nt35e_at_response_seconds_bucket))"),
             lambda v: isinstance(v, float) and 0 < v < 10),
            ("nt35e_build_info from both", lambda: single_value("count(nt35e_build_info)"), lambda v: v == 2),
        ]
        for what, read, holds in expectations:
            eventually(what, lambda: True if holds(value := read()) else value)
    except Failure:
        for path in [os.path.join(workdir, "prometheus-stderr.txt")] + [s.stderr_path for s in sims]:
            try:
                with open(path, errors="replace") as f:
                    sys.stderr.write(f"--- {path}\n{f.read()[-2000:]}\n")
            except OSError:
                pass
        raise
    finally:
        if prom:
            prom.stop()
        for s in sims:
            s.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", required=True)
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    args = parser.parse_args()
    if not os.path.exists(args.prometheus):
        print(f"FAIL prometheus scrape: {args.prometheus} is not installed (Debian: prometheus; tools/install-deps.sh)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="nt35e-prometheus-") as workdir:
        try:
            run(os.path.abspath(args.sim), args.prometheus, workdir)
        except Failure as e:
            print(f"FAIL prometheus scrape: {e}", file=sys.stderr)
            return 1
    print("ok prometheus scrape: two simulators, 4 modems, seen through Prometheus's HTTP API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
