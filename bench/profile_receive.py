#!/usr/bin/python3
"""Receive-path profile: where a received MQTT message costs the simulator its CPU.

Starts a mosquitto on a free loopback port and `nt35e-sim --live` on TCP with zero delays,
subscribes one modem, then publishes N messages with `mosquitto_pub -l` while a profiler is
attached to the simulator, and counts the +ECMTRECV lines that reach the DTE.

    /usr/bin/python3 bench/profile_receive.py [--count N] [--qos 0|1] [--tool strace|perf-stat|none]

strace: `strace -c -f` (syscalls per message); perf-stat: task-clock and context switches
per thread (which thread sets the pace). Needs the benchmarks built (build-bench/), mosquitto,
mosquitto_pub, and the chosen tool. Loopback only; every wait is bounded.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("NT35E_BENCH_BUILD_DIR", os.path.join(ROOT, "build-bench"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--qos", choices=["0", "1"], default="1")
    p.add_argument("--tool", choices=["strace", "perf-stat", "none"], default="strace")
    a = p.parse_args()
    sim = os.path.join(BUILD, "simulator", "nt35e-sim")
    drive = os.path.join(BUILD, "bench", "bench_drive")
    for f in (sim, drive):
        if not os.access(f, os.X_OK):
            sys.exit(f"profile_receive.py: {f} is missing; build first (bash bench/run.sh)")
    zero = subprocess.run([drive, "timing-args", "zero"], capture_output=True, text=True, check=True).stdout.split()
    work = tempfile.mkdtemp(prefix="nt35e-recv-profile-")
    broker_port, dte_port = free_port(), free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {broker_port} 127.0.0.1\nallow_anonymous true\n"
                "max_queued_messages 0\nmax_inflight_messages 0\n")
    procs = []
    try:
        procs.append(subprocess.Popen(["mosquitto", "-c", conf], stderr=subprocess.DEVNULL))
        time.sleep(0.3)
        s = subprocess.Popen([sim, "--live", "--map-host", f"b.example=127.0.0.1:{broker_port}", "--tcp",
                              str(dte_port)] + zero, stdout=subprocess.PIPE,
                             stderr=open(os.path.join(work, "sim.err"), "w"))
        procs.append(s)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not s.stdout.readline().startswith(b"ready:"):
            pass
        dte = socket.create_connection(("127.0.0.1", dte_port), timeout=20)
        buf = b""

        def until(token):
            nonlocal buf
            while token not in buf:
                chunk = dte.recv(65536)
                if not chunk:
                    sys.exit("profile_receive.py: the simulator closed the DTE")
                buf += chunk
            buf = buf[buf.index(token) + len(token):]

        time.sleep(0.5)  # zero delays: the module is up at once; its banner may go before we attach
        for cmd, tok in [(b"ATE0", b"OK"), (b'AT+ECMTOPEN=0,"b.example",1883', b"+ECMTOPEN:0,0"),
                         (b'AT+ECMTCONN=0,"profile"', b"+ECMTCONN:0,0,0"),
                         (b'AT+ECMTSUB=0,1,"t/r",' + a.qos.encode(), b"+ECMTSUB:0,1,0")]:
            dte.sendall(cmd + b"\r")
            until(tok)
        tracer, report = None, os.path.join(work, "profile.txt")
        if a.tool == "strace":
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", report, "-p", str(s.pid)], stderr=subprocess.DEVNULL)
        elif a.tool == "perf-stat":
            tracer = subprocess.Popen(["perf", "stat", "--per-thread", "-e", "task-clock,context-switches", "-p",
                                       str(s.pid), "-o", report], stderr=subprocess.DEVNULL)
        time.sleep(1 if tracer else 0)
        start = time.monotonic()
        pub = subprocess.Popen(["mosquitto_pub", "-p", str(broker_port), "-t", "t/r", "-q", a.qos, "-l"],
                               stdin=subprocess.PIPE)
        procs.append(pub)
        pub.stdin.write(b"".join(b"m%06d\n" % i for i in range(a.count)))
        pub.stdin.close()
        got = 0
        while got < a.count:
            try:
                chunk = dte.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            got += buf.count(b"+ECMTRECV:")
            buf = buf[buf.rfind(b"\n") + 1:]
        took = time.monotonic() - start
        pub.wait(timeout=20)
        if tracer:
            tracer.send_signal(2)
            tracer.wait(timeout=20)
        print(f"received {got} of {a.count} QoS {a.qos} messages in {took:.3f} s ({got / took:.0f}/s)")
        if tracer and os.path.exists(report):
            print(open(report).read())
            print(f"per message: divide the counts above by {got}")
        return 0 if got == a.count else 1
    finally:
        for p_ in reversed(procs):
            if p_.poll() is None:
                p_.terminate()
                try:
                    p_.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p_.kill()


if __name__ == "__main__":
    sys.exit(main())
