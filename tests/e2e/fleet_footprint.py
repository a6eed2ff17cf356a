#!/usr/bin/env python3
"""Measures what one fleet process costs, for sizing pods (docs/kubernetes.md): the
resident memory and CPU of `nt35e-sim --fleet N --tcp BASE` with a DTE on every line
that ran the seed flow (registered, ECMTOPEN, ECMTCONN with its IMEI as client id),
on the scripted broker and live against a real mosquitto (whose memory is measured too).

    fleet_footprint.py --sim build/simulator/nt35e-sim --python python [--modems 1000] [--idle 30]

Not a test: it prints figures (one JSON object per mode). Standard library only, plus
the package nt35e (the broker fixture) and fleet_control_test's DTE helpers.
"""

import argparse
import json
import os
import sys
import tempfile
import time

from fleet_control_test import FAST, PATIENT, Lines, free_ports, seed_flow
from simulator import Simulator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "tools"))
from soak import fd_count, rss_kib  # noqa: E402  (VmRSS and open files of a process)

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def measure(args, workdir, live):
    broker = None
    extra = []
    if live:
        from nt35e.broker import Broker

        broker = Broker(os.path.join(workdir, "broker")).start()
        extra = broker.modem_options()
    n = args.modems
    base = free_ports(["127.0.0.1"], n)
    started = time.monotonic()
    sim = Simulator(args.sim, workdir, ["--fleet", str(n), "--tcp", f"127.0.0.1:{base}", *FAST, *PATIENT, *extra])
    lines = None
    try:
        sim.wait_ready(60)
        out = {"mode": "live" if live else "scripted", "modems": n, "ready_s": round(time.monotonic() - started, 2),
               "rss_started_kib": rss_kib(sim.proc.pid)}
        lines = Lines([("127.0.0.1", base + i) for i in range(n)])
        t0 = time.monotonic()
        cpu0 = cpu_seconds(sim.proc.pid)
        seed_flow(lines, n, batch=args.batch)
        out["seed_flow_s"] = round(time.monotonic() - t0, 2)
        out["seed_flow_cpu_s"] = round(cpu_seconds(sim.proc.pid) - cpu0, 2)
        time.sleep(1)
        out["rss_connected_kib"] = rss_kib(sim.proc.pid)
        cpu0, t0 = cpu_seconds(sim.proc.pid), time.monotonic()
        end = t0 + args.idle
        while time.monotonic() < end:
            lines.pump(min(1.0, end - time.monotonic()))
        out["idle_cpu_percent"] = round(100 * (cpu_seconds(sim.proc.pid) - cpu0) / (time.monotonic() - t0), 2)
        out["rss_after_idle_kib"] = rss_kib(sim.proc.pid)
        out["kib_per_modem"] = round(out["rss_after_idle_kib"] / n, 1)
        out["open_files"] = fd_count(sim.proc.pid)
        if broker:
            out["mosquitto_rss_kib"] = rss_kib(broker.proc.pid)
            out["mosquitto_kib_per_client"] = round(out["mosquitto_rss_kib"] / n, 1)
        return out
    finally:
        if lines:
            lines.close()
        sim.stop()
        if broker:
            broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--modems", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=100, help="modems connecting at a time (default 100)")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measured (default 30)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.python))
    for live in (False, True):
        with tempfile.TemporaryDirectory(prefix="nt35e-footprint-") as workdir:
            print(json.dumps(measure(args, workdir, live)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
