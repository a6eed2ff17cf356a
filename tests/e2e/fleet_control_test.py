#!/usr/bin/env python3
"""End-to-end: fleet-wide control across several real nt35e-sim processes, as the pods of
a StatefulSet run them (docs/kubernetes.md): 4 processes of N modems at offsets 0, N, 2N,
3N, each on its own loopback address (127.0.0.2..5) with the same modem and control
ports, a control token, one real mosquitto, and a DTE on every modem's TCP line that
connects with its IMEI as client id.

    fleet_control_test.py --sim build/simulator/nt35e-sim --ctl tools/nt35e-ctl --python python CASE

Cases:
  drop    nt35e-ctl fleet-fire drop_link --fraction 0.3 --stagger 2s across the 4 processes:
          exactly round(0.3 x 4N) modems of the whole fleet drop (+ECMTSTAT on their lines),
          those nt35e-ctl listed, spread over the stagger; the same seed picks the same
          modems from one process of 4N; every dropped modem reconnects; no IMEI or client
          id is held twice (the broker's log); --dns finds the 4 processes by a name's
          addresses; a real Prometheus scraping the 4 processes' --metrics sees all four
          up, the whole fleet's modems and exactly the chosen share's reconnects.
  errors  an unreachable endpoint, a process without --fleet, a wrong token and overlapping
          offsets: exit 2, the endpoint named, nothing fired; a process that refuses its
          part (an EC616S, which has no ECMT id 1): exit 1, what was applied where.

Standard library only, plus the package nt35e (python/: the broker fixture) and Prometheus
(Debian: prometheus). Every wait has a deadline; every process is stopped.
"""

import argparse
import json
import os
import random
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time

from prometheus_scrape_test import Prometheus, eventually
from simulator import Failure, Simulator, check, run_case

N = 50  # modems per process
PROCESSES = 4
ADDRESSES = [f"127.0.0.{2 + k}" for k in range(PROCESSES)]
TOKEN = "fleet-control-token-9c1f0e57aa"
FAST = ["--set", "timing.boot=50", "--set", "timing.registration=50"]
# A CONNACK may take long on a loaded build machine: wait 30 s for it, not the module's 10 s.
PATIENT = ["--set", "timing.connack_limit=30000"]


def port_free(address, port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
            return True
        except OSError:
            return False


def free_ports(addresses, count):
    """A base port whose count ports, and the one after them (the control channel), are
    free on every address."""
    # Below the kernel's ephemeral range (32768 up), so that outgoing connections do not
    # take a port of the range while the processes start.
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(10000, 32000 - count)
        if all(port_free(a, p) for a in addresses for p in range(base, base + count + 1)):
            return base
    raise Failure("no free range of ports on the loopback addresses")


class Lines:
    """A DTE on each modem's TCP line; all read through one selector."""

    def __init__(self, endpoints):
        self.sel = selectors.DefaultSelector()
        self.socks, self.buf = [], []
        for k, (host, port) in enumerate(endpoints):
            s = socket.create_connection((host, port), timeout=5)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, k)
            self.socks.append(s)
            self.buf.append(b"")

    def pump(self, seconds):
        for key, _ in self.sel.select(timeout=max(0.0, seconds)):
            try:
                chunk = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            check(chunk, f"line {key.data} closed")
            self.buf[key.data] += chunk

    def send_all(self, text, which=None):
        for k in which if which is not None else range(len(self.socks)):
            self.socks[k].sendall(text.encode())

    def wait_all(self, needle, timeout, which=None, what=""):
        """Until each line in `which` has `needle` in its buffer; returns when each did."""
        which = list(which if which is not None else range(len(self.socks)))
        needle = needle.encode() if isinstance(needle, str) else needle
        deadline = time.monotonic() + timeout
        while True:
            missing = [k for k in which if needle not in self.buf[k]]
            if not missing:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"{what or needle!r}: {len(missing)} of {len(which)} lines did not get it within "
                              f"{timeout:g} s; line {missing[0]} got {self.buf[missing[0]][-300:]!r}")
            self.pump(min(left, 0.2))

    def command_all(self, command, needle, timeout=10, which=None):
        which = list(which if which is not None else range(len(self.socks)))
        for k in which:
            self.buf[k] = b""
        self.send_all(command + "\r", which)
        self.wait_all(needle, timeout, which, command)
        return [self.buf[k].decode("utf-8", "replace") for k in which]

    def close(self):
        for s in self.socks:
            s.close()
        self.sel.close()


def ctl(args, ctl_path, *argv, timeout=60, launcher=None):
    """nt35e-ctl -> (status, stdout, stderr)."""
    cmd = [sys.executable, launcher, *argv] if launcher else [ctl_path, *argv]
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, PYTHONPATH=args.python))
    except subprocess.TimeoutExpired:
        raise Failure(f"nt35e-ctl {' '.join(argv)} did not finish within {timeout:g} s")
    return r.returncode, r.stdout, r.stderr


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (text + "\n").encode())
    os.close(fd)


class Fleet:
    """PROCESSES pods: process k on ADDRESSES[k], modems base..base+N-1, control base+N."""

    def __init__(self, args, workdir, extra, sizes=None, offsets=None, addresses=None, per_process=None):
        self.addresses = addresses or ADDRESSES
        sizes = sizes or [N] * len(self.addresses)
        offsets = offsets if offsets is not None else [sum(sizes[:k]) for k in range(len(sizes))]
        self.base = free_ports(self.addresses, max(sizes))
        self.control = self.base + max(sizes)
        self.sims, self.sizes = [], sizes
        for k, address in enumerate(self.addresses):
            d = os.path.join(workdir, f"pod-{k}-{address}")
            os.makedirs(d, exist_ok=True)
            more = per_process(k) if per_process else []
            self.sims.append(Simulator(args.sim, d, [
                "--fleet", str(sizes[k]), "--fleet-offset", str(offsets[k]),
                "--tcp", f"{address}:{self.base}", "--control", f"{address}:{self.control}", *FAST, *extra, *more]))
        try:
            for sim in self.sims:
                sim.wait_ready(30)
        except Failure as e:
            text = self.stderr()
            self.stop()
            raise Failure(f"{e}\n{text}")

    def endpoints(self):
        return [f"{a}:{self.control}" for a in self.addresses]

    def modem_lines(self):
        return [(a, self.base + i) for k, a in enumerate(self.addresses) for i in range(self.sizes[k])]

    def stderr(self):
        return "\n".join(f"--- process {k} stderr (tail) ---\n{s.stderr_text()[-3000:]}" for k, s in enumerate(self.sims))

    def stop(self):
        for sim in self.sims:
            sim.stop()


def seed_flow(lines, count, batch=None):
    """Every modem registered, connected to the broker as its IMEI (`batch` modems at a
    time, or all at once); the IMEIs in line order."""
    # The modems booted when their process was ready: ask until each answers.
    deadline = time.monotonic() + 20
    while True:
        for k in range(count):
            lines.buf[k] = b""
        lines.send_all("AT\r")
        try:
            lines.wait_all("OK\r\n", 0.5)
            break
        except Failure:
            check(time.monotonic() < deadline, "not every modem answered AT within 20 s")
    time.sleep(0.1)
    lines.command_all("ATE0", "OK\r\n")
    deadline = time.monotonic() + 10
    while True:
        answers = lines.command_all("AT+CEREG?", "OK\r\n")
        if all("+CEREG:0,1" in a for a in answers):
            break
        check(time.monotonic() < deadline, "not every modem registered within 10 s")
        time.sleep(0.1)
    imeis = []
    for a in lines.command_all("AT+CGSN", "OK\r\n"):
        m = re.search(r"\r\n(\d{15})\r\n", a)
        check(m, f"AT+CGSN answered {a!r}")
        imeis.append(m.group(1))
    check(len(set(imeis)) == count, f"{count - len(set(imeis))} IMEIs are held twice across the processes")
    lines.command_all('AT+ECMTOPEN=0,"mqtt.nt35e.test",1883', "+ECMTOPEN:0,", 20)
    bad = [k for k in range(count) if b"+ECMTOPEN:0,0\r\n" not in lines.buf[k]]
    check(not bad, f"{len(bad)} modems could not open: {lines.buf[bad[0]]!r}" if bad else "")
    batch = batch or count
    for start in range(0, count, batch):
        which = range(start, min(count, start + batch))
        for k in which:
            lines.buf[k] = b""
            lines.socks[k].sendall(f'AT+ECMTCONN=0,"{imeis[k]}"\r'.encode())
        lines.wait_all("+ECMTCONN:0,", 40, which, what="+ECMTCONN")
    bad = [k for k in range(count) if b"+ECMTCONN:0,0,0\r\n" not in lines.buf[k]]
    check(not bad, f"{len(bad)} modems were not accepted: {lines.buf[bad[0]]!r}" if bad else "")
    return imeis


def client_ids_connected(broker_log):
    """How often each client id connected (mosquitto's "New client connected ... as ID")."""
    seen = {}
    for m in re.finditer(r"New client connected from \S+ as (\S+) ", broker_log):
        seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    return seen


def case_drop(args, workdir):
    from nt35e.broker import Broker

    token_file = os.path.join(workdir, "token")
    write_secret(token_file, TOKEN)
    broker = Broker(os.path.join(workdir, "broker")).start()
    fleet = lines = single = prom = None
    try:
        fleet = Fleet(args, workdir, ["--control-token-file", token_file, *broker.modem_options(), *PATIENT],
                      per_process=lambda k: ["--metrics", f"{ADDRESSES[k]}:0"])
        total = N * PROCESSES
        # Prometheus scrapes the four pods as a cluster's would (docs/kubernetes.md).
        check(all(sim.metrics_port for sim in fleet.sims), "a process printed no \"metrics:\" line")
        prom = Prometheus(args.prometheus, workdir,
                          [("pods", [f"{a}:{sim.metrics_port}" for a, sim in zip(ADDRESSES, fleet.sims)], None)])
        prom.wait_ready()
        lines = Lines(fleet.modem_lines())
        imeis = seed_flow(lines, total)
        ids = client_ids_connected(broker.log())
        check(all(ids.get(i) == 1 for i in imeis) and len(ids) >= total,
              f"the broker saw {len(ids)} client ids; each IMEI should have connected once")

        endpoints_file = os.path.join(workdir, "endpoints.txt")
        with open(endpoints_file, "w") as f:
            f.write("# the pods' control channels\n" + "\n".join(fleet.endpoints()) + "\n")
        status, out, err = ctl(args, args.ctl, "--endpoints", endpoints_file, "--token-file", token_file, "fleet-info")
        check(status == 0, f"fleet-info: status {status}: {err}")
        info = json.loads(out)
        check(info["processes"] == PROCESSES and info["modems"] == total and info["connected"] == total,
              f"fleet-info: {out}")
        check([(e["first"], e["last"]) for e in info["endpoints"]] == [(k * N, k * N + N - 1) for k in range(4)],
              f"fleet-info ranges: {out}")

        # --dns: a name whose addresses are the four pods (a headless Service), resolved by
        # a stand-in for the system's resolver (the loopback has no such name).
        launcher = os.path.join(workdir, "ctl_with_dns.py")
        with open(launcher, "w") as f:
            f.write("import socket\n_real = socket.getaddrinfo\n"
                    "def fake(host, port, *a, **kw):\n"
                    "    if host != 'pods.nt35e.test':\n        return _real(host, port, *a, **kw)\n"
                    f"    return [(socket.AF_INET, socket.SOCK_STREAM, 6, '', (ip, port)) for ip in {ADDRESSES!r}]\n"
                    "socket.getaddrinfo = fake\nfrom nt35e.ctl import run\nrun()\n")
        status, out, err = ctl(args, None, "--dns", f"pods.nt35e.test:{fleet.control}", "--token-file", token_file,
                               "fleet-info", launcher=launcher)
        check(status == 0 and json.loads(out)["modems"] == total, f"fleet-info --dns: status {status}: {out} {err}")

        for k in range(total):
            lines.buf[k] = b""
        fired_at = time.monotonic()
        status, out, err = ctl(args, args.ctl, *sum((["--endpoint", e] for e in fleet.endpoints()), []),
                               "--token-file", token_file, "fleet-fire", "drop_link", "--id", "0",
                               "--fraction", "0.3", "--stagger", "2s", "--seed", "7", "--list")
        check(status == 0, f"fleet-fire: status {status}\n{out}\n{err}")
        plan = json.loads(out)
        want = round(0.3 * total)
        check(plan["chosen"] == want and plan["applied"] == want and plan["modems"] == total,
              f"fleet-fire answered {out}")
        chosen = plan["indices"]
        check(len(set(chosen)) == want, f"the list of chosen modems has repeats: {chosen}")
        per_process = [e["chosen"] for e in plan["endpoints"]]
        check(sum(per_process) == want and all(0 < c < N for c in per_process),
              f"chosen per process {per_process}: a share of the whole fleet spreads over the processes")

        # Exactly those lines see their link drop, each once, spread over the stagger.
        stat = b"+ECMTSTAT:0,1\r\n"
        seen_at = {}  # line -> when its +ECMTSTAT was read
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            lines.pump(0.01)
            for k in chosen:
                if k not in seen_at and stat in lines.buf[k]:
                    seen_at[k] = time.monotonic()
            if len(seen_at) == want:
                break
        check(len(seen_at) == want, f"{want - len(seen_at)} chosen modems saw no +ECMTSTAT within 8 s")
        settle = time.monotonic() + 1.0  # time for a wrong drop to show
        while time.monotonic() < settle:
            lines.pump(0.05)
        dropped = sorted(k for k in range(total) if stat in lines.buf[k])
        check(dropped == sorted(chosen), f"{len(dropped)} modems dropped, not the {want} chosen: "
                                         f"extra {sorted(set(dropped) - set(chosen))}, "
                                         f"missing {sorted(set(chosen) - set(dropped))}")
        check(all(lines.buf[k].count(stat) == 1 for k in chosen), "a chosen modem dropped more than once")
        # Every chosen modem reconnects by itself (§7.4), as +ECMTCONN:0,0,0 after its +ECMTSTAT.
        lines.wait_all(stat + b"\r\n+ECMTCONN:0,0,0\r\n", 15, which=chosen, what="the reconnect after +ECMTSTAT")

        # The firing order was the plan's (its rank), over about 2 s from the first to the last.
        first, last = chosen[0], chosen[-1]
        spread = (max(seen_at.values()) - min(seen_at.values())) if seen_at else 0
        check(1.4 <= spread <= 3.5, f"the drops spanned {spread:.2f} s, not about the 2 s stagger")
        check(seen_at.get(first, 1e9) - fired_at < seen_at.get(last, 0) - fired_at,
              "the first-ranked modem did not drop before the last-ranked one")

        deadline = time.monotonic() + 15
        while True:
            status, out, err = ctl(args, args.ctl, "--endpoints", endpoints_file, "--token-file", token_file,
                                   "fleet-info")
            info = json.loads(out) if status == 0 else {}
            if info.get("connected") == total:
                break
            check(time.monotonic() < deadline, f"not every modem connected again within 15 s: {out} {err}")
            time.sleep(0.3)
        ids = client_ids_connected(broker.log())
        again = sorted(k for k in range(total) if ids.get(imeis[k]) == 2)
        check(again == sorted(chosen), f"the broker saw {len(again)} client ids connect twice, not the {want} chosen")
        check(all(ids.get(imeis[k]) == 1 for k in range(total) if k not in chosen),
              "a modem not chosen connected again")
        check("already connected" not in broker.log(), "the broker saw a client id taken over (a collision)")

        # Prometheus saw the whole fleet: four targets up, every modem, and the reconnects
        # of exactly the chosen share summed over the processes.
        def scraped():
            up = prom.query('sum(up{job="pods"})')
            modems = prom.query('sum(nt35e_modems{job="pods"})')
            reconnects = prom.query('sum(nt35e_mqtt_reconnects_total{job="pods"})')
            seen = (up and up[0][1], modems and modems[0][1], reconnects and reconnects[0][1])
            return True if seen == (PROCESSES, total, want) else f"up, modems, reconnects = {seen}"
        eventually(f"Prometheus to see {PROCESSES} targets up, {total} modems and {want} reconnects", scraped, 30)
        per_instance = prom.query('sum by (instance) (nt35e_modems{job="pods"})')
        check(sorted(v for _, v in per_instance) == [N] * PROCESSES, f"modems per scraped process: {per_instance}")

        # The same seed over the same global indices in ONE process: the same modems, in
        # the same order (the choice does not depend on how the fleet is split).
        single = Fleet(args, os.path.join(workdir, "single"), ["--control-token-file", token_file],
                       sizes=[total], addresses=["127.0.0.6"])
        status, out, err = ctl(args, args.ctl, "--endpoint", single.endpoints()[0], "--token-file", token_file,
                               "fleet-fire", "drop_link", "--id", "0", "--fraction", "0.3", "--stagger", "2s",
                               "--seed", "7", "--list", "--dry-run")
        check(status == 0, f"dry run on one process: {status} {err}")
        check(json.loads(out)["indices"] == chosen, "one process of 200 chose other modems than four of 50")
        check("applied" not in json.loads(out), "a dry run reports nothing applied")
    except Exception as e:
        what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        raise Failure(f"{what}\n{fleet.stderr() if fleet else ''}\n--- broker log (tail) ---\n{broker.log()[-2000:]}")
    finally:
        if lines:
            lines.close()
        if prom:
            prom.stop()
        for f in (fleet, single):
            if f:
                f.stop()
        broker.stop()


def faults(args, endpoint, token_file):
    status, out, err = ctl(args, args.ctl, "--endpoint", endpoint, "--token-file", token_file, "raw",
                           '{"query": "metrics"}')
    check(status == 0, f"metrics of {endpoint}: {status} {err}")
    return json.loads(out)["answer"]["counters"]["faults"]


def case_errors(args, workdir):
    token_file = os.path.join(workdir, "token")
    wrong_file = os.path.join(workdir, "wrong")
    write_secret(token_file, TOKEN)
    write_secret(wrong_file, "fleet-control-token-WRONG-000")
    # Process 3 is an EC616S: only ECMT id 0, so it refuses a drop of id 1.
    fleet = Fleet(args, workdir, ["--control-token-file", token_file],
                  per_process=lambda k: ["--profile", "ec616s"] if k == 3 else [])
    extra = []
    try:
        eps = fleet.endpoints()
        # Nobody listens on the control port of 127.0.0.9.
        gone = f"127.0.0.9:{fleet.control}"
        status, out, err = ctl(args, args.ctl, "--endpoint", eps[0], "--endpoint", gone, "--endpoint", eps[1],
                               "--token-file", token_file, "fleet-fire", "reboot", "--fraction", "0.5")
        check(status == 2 and f"127.0.0.9:{fleet.control}" in err and "nothing was done" in err
              and eps[0] not in err and out == "", f"an unreachable endpoint: status {status}, {err!r}")
        check(faults(args, eps[0], token_file) == 0, "a modem fired although an endpoint was unreachable")

        status, out, err = ctl(args, args.ctl, "--endpoint", eps[0], "--endpoint", eps[1], "--token-file", wrong_file,
                               "fleet-info")
        check(status == 2 and err.count("wrong token") == 2 and eps[0] in err and eps[1] in err,
              f"a wrong token: status {status}, {err!r}")

        status, out, err = ctl(args, args.ctl, "--endpoint", eps[0], "--endpoint", eps[0], "fleet-info")
        check(status == 2 and "given twice" in err, f"an endpoint twice: status {status}, {err!r}")

        # A process without --fleet, and one whose offset overlaps process 1's.
        plain_dir = os.path.join(workdir, "plain")
        os.makedirs(plain_dir)
        plain = Simulator(args.sim, plain_dir, ["--tcp", "0", "--control", "0", *FAST])
        extra.append(plain)
        plain.wait_ready()
        status, out, err = ctl(args, args.ctl, "--endpoint", eps[0], "--endpoint", f"127.0.0.1:{plain.control_port}",
                               "--token-file", token_file, "fleet-fire", "reboot")
        check(status == 2 and f"127.0.0.1:{plain.control_port}: not a fleet process" in err,
              f"a process without --fleet: status {status}, {err!r}")
        overlap = Fleet(args, os.path.join(workdir, "overlap"), ["--control-token-file", token_file],
                        sizes=[N], offsets=[N + 10], addresses=["127.0.0.7"])
        extra.append(overlap)
        status, out, err = ctl(args, args.ctl, "--endpoint", eps[1], "--endpoint", overlap.endpoints()[0],
                               "--token-file", token_file, "fleet-fire", "reboot")
        check(status == 2 and f"modem index {N + 10} is on both {eps[1]} and {overlap.endpoints()[0]}" in err,
              f"overlapping offsets: status {status}, {err!r}")
        check(faults(args, eps[1], token_file) == 0, "a modem fired although the offsets overlap")

        # Partial failure: the EC616S refuses its part, the three others apply theirs.
        status, out, err = ctl(args, args.ctl, *sum((["--endpoint", e] for e in eps), []), "--token-file", token_file,
                               "fleet-fire", "drop_link", "--id", "1", "--fraction", "0.5", "--seed", "3")
        check(status == 1, f"a refused part: status {status}, {out} {err}")
        plan = json.loads(out)
        rows = {e["endpoint"]: e for e in plan["endpoints"]}
        check(plan["ok"] is False and rows[eps[3]]["applied"] == 0 and "error" in rows[eps[3]],
              f"the refused part: {out}")
        check(all(rows[e]["applied"] == rows[e]["chosen"] > 0 for e in eps[:3]), f"the applied parts: {out}")
        applied = sum(rows[e]["applied"] for e in eps[:3])
        check(f"applied on 3 of 4 processes ({applied} of {plan['chosen']} chosen modems)" in err
              and f"{eps[3]}: {rows[eps[3]]['chosen']} modems not fired" in err, f"the report: {err!r}")
        for k in range(3):
            check(faults(args, eps[k], token_file) == rows[eps[k]]["applied"], f"process {k} fired another number")
        check(faults(args, eps[3], token_file) == 0, "the refusing process fired")
    except Exception as e:
        what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        raise Failure(f"{what}\n{fleet.stderr()}")
    finally:
        for x in extra:
            x.stop()
        fleet.stop()


CASES = {"drop": case_drop, "errors": case_errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--python", required=True, help="the directory of the package nt35e")
    ap.add_argument("--prometheus", default="/usr/bin/prometheus", help="Prometheus (Debian: prometheus)")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    args.python = os.path.abspath(args.python)
    sys.path.insert(0, args.python)
    with tempfile.TemporaryDirectory(prefix="nt35e-fleet-control-") as workdir:
        return run_case(args.case, CASES[args.case], args, workdir)


if __name__ == "__main__":
    sys.exit(main())
