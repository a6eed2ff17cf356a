#!/usr/bin/env python3
"""End-to-end: real third-party DTE programs, unmodified, against the real nt35e-sim.

    real_clients_test.py --sim build/simulator/nt35e-sim CASE

CASE is one of:
  gammu-identify        `gammu identify` through a gammurc with connection at115200
  gammu-securitystatus  `gammu getsecuritystatus`
  gammu-networkinfo     `gammu networkinfo` (needs AT+CREG and AT+COPS, spec §4.4)
  chat                  ppp's `chat` with a modem-probing script, as the README shows it;
                        and a script that meets ERROR must end with chat's ABORT status
  socat-bridge          the README's socat line: a PTY bridged to `--tcp`, and chat on it

Each case starts its own simulator on a private PTY link with the boot skipped
(--set timing.boot=0 --set timing.registration=0, as the README says). Every wait has a
deadline and every client runs under a timeout; the simulator is always stopped. On
failure: one message, the client's output, gammu's debug log (logformat = textall) or
the simulator's stderr, and exit status 1. A client that is not installed fails the
case (tools/install-deps.sh installs gammu, ppp and socat).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


from simulator import Failure, Simulator as _Simulator, check

SKIP_BOOT = ["--set", "timing.boot=0", "--set", "timing.registration=0"]

# The README's chat line, with LINK standing for the PTY (tested as written, through sh).
CHAT_LINE = ("chat -V -s -t 5 ABORT ERROR '' AT OK ATE0 OK AT+CGSN OK AT+CSQ OK 'AT+CEREG?' OK "
             "< LINK > LINK")


class Simulator(_Simulator):
    """nt35e-sim with the boot skipped."""

    def __init__(self, binary, workdir, args):
        super().__init__(binary, workdir, [*args, *SKIP_BOOT])


def need(program):
    path = shutil.which(program) or next(
        (p for p in (f"/usr/sbin/{program}", f"/sbin/{program}") if os.access(p, os.X_OK)), None)
    check(path, f"{program} is not installed (bash tools/install-deps.sh installs it)")
    return path


def run(argv, timeout, **kwargs):
    """Runs a client to its end; its exit status, stdout and stderr as text."""
    try:
        p = subprocess.run(argv, stdin=kwargs.pop("stdin", subprocess.DEVNULL), capture_output=True,
                           timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"{argv[0] if isinstance(argv, list) else argv} did not finish within {timeout} s; "
                      f"output so far: {e.stdout!r} {e.stderr!r}")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


class Gammu:
    """gammu with a generated gammurc: our PTY, connection at115200, a textall debug log."""

    def __init__(self, workdir, device):
        self.exe = need("gammu")
        self.rc = os.path.join(workdir, "gammurc")
        self.log = os.path.join(workdir, "gammu.log")
        with open(self.rc, "w") as f:
            f.write("[gammu]\n"
                    f"device = {device}\n"
                    "connection = at115200\n"
                    f"logfile = {self.log}\n"
                    "logformat = textall\n")

    def run(self, command):
        status, out, err = run([self.exe, "-c", self.rc, command], timeout=60)
        self.last = f"gammu {command}: status {status}\n{out}{err}"
        return status, out

    def dialogue(self):
        """What gammu sent and got, one exchange a line, from its debug log."""
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                lines = [l.rstrip("\n") for l in f if re.match(r'^[12] "', l)]
        except OSError:
            return "(no gammu log)"
        return "\n".join(lines)


def field(output, name):
    """The value of a gammu "Name : value" line, or None."""
    m = re.search(rf"^{re.escape(name)}\s*:\s*(.*?)\s*$", output, re.M)
    return m.group(1) if m else None


def gammu_case(sim_binary, workdir, command, profile):
    link = os.path.join(workdir, "modem")
    sim = Simulator(sim_binary, workdir, ["--pty", link, "--profile", profile])
    gammu = Gammu(workdir, link)
    try:
        sim.wait_ready()
        status, out = gammu.run(command)
        try:
            check(status == 0, f"gammu {command} failed with status {status}")
            if command == "identify":
                want = {"nt35e": ("Lierda", "NT35E-CN_V1.0.5", "866123045678904", "460001234567890"),
                        "ec616s": ("Eigencomm", "EC616S_SW_V1.0", "869524041234567", "460041234567890")}[profile]
                for name, value in zip(("Manufacturer", "Firmware", "IMEI", "SIM IMSI"), want):
                    check(field(out, name) == value, f"{name}: want {value!r}, got {field(out, name)!r}")
                model = field(out, "Model") or ""
                check(want[0] != "Lierda" or "NT35E" in model, f"Model should name NT35E, got {model!r}")
            elif command == "getsecuritystatus":
                # A ready SIM asks for no PIN: AT+CPIN? -> +CPIN: READY.
                check(out.strip() == "Nothing to enter.", f"want 'Nothing to enter.', got {out!r}")
            elif command == "networkinfo":
                check(field(out, "Network state") == "home network",
                      f"Network state: want 'home network', got {field(out, 'Network state')!r}")
                network = field(out, "Network") or ""
                # The profile's PLMN, TAC and cell id (spec §3.1), from AT+CREG=2 and AT+COPS?.
                check(network.startswith("460 00") and "LAC 5A0B, CID 0C1F2E3D" in network,
                      f"Network: want 460 00 with LAC 5A0B, CID 0C1F2E3D, got {network!r}")
                check(field(out, "GPRS") == "attached", f"GPRS: want 'attached', got {field(out, 'GPRS')!r}")
        except Failure as e:
            raise Failure(f"{e}\n{gammu.last}\n-- what gammu sent and got (its debug log):\n{gammu.dialogue()}")
    finally:
        sim.stop()


def chat_case(sim_binary, workdir):
    chat = need("chat")
    link = os.path.join(workdir, "modem")
    sim = Simulator(sim_binary, workdir, ["--pty", link])
    try:
        sim.wait_ready()
        # The README's line, as written.
        status, out, err = run(["/bin/sh", "-c", CHAT_LINE.replace("LINK", link)], timeout=30,
                               env={**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"})
        check(status == 0, f"chat ended with status {status} (0 = the script ran through)\n{err}")
        for answer in ("866123045678904", "+CSQ:23,99", "+CEREG:0,1"):
            check(answer in err, f"chat's transcript (-V, on stderr) lacks {answer!r}\n{err}")
        # A command the module refuses: chat must stop at ABORT ERROR with status 4.
        with open(link, "r+b", buffering=0) as line:
            p = subprocess.run([chat, "-V", "-s", "-t", "5", "ABORT", "ERROR", "", "AT+QMTOPEN?", "OK"], stdin=line,
                               stdout=line, capture_output=False, stderr=subprocess.PIPE, timeout=30)
        check(p.returncode == 4, f"chat on an ERROR answer: want status 4 (ABORT), got {p.returncode}\n"
                                 f"{p.stderr.decode('utf-8', 'replace')}")
    finally:
        sim.stop()


def socat_case(sim_binary, workdir):
    socat = need("socat")
    chat = need("chat")
    sim = Simulator(sim_binary, workdir, ["--tcp", "0"])
    bridge = None
    try:
        sim.wait_ready()
        link = os.path.join(workdir, "nt35e-tcp")
        # The README's bridge, with this run's port and link.
        bridge = subprocess.Popen([socat, f"PTY,link={link},rawer", f"TCP:127.0.0.1:{sim.tcp_port()}"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not os.path.islink(link):
            if bridge.poll() is not None:
                raise Failure(f"socat exited with status {bridge.returncode}: "
                              f"{bridge.stderr.read().decode('utf-8', 'replace')}")
            check(time.monotonic() < deadline, "socat made no link within 10 s")
            time.sleep(0.02)
        with open(link, "r+b", buffering=0) as line:
            p = subprocess.run([chat, "-V", "-s", "-t", "5", "ABORT", "ERROR", "", "AT", "OK", "AT+CGMI", "Lierda"],
                               stdin=line, stdout=line, stderr=subprocess.PIPE, timeout=30)
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode == 0, f"chat through socat ended with status {p.returncode}\n{err}")
    finally:
        if bridge and bridge.poll() is None:
            bridge.terminate()
            bridge.wait(timeout=5)
        sim.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim", required=True)
    ap.add_argument("--profile", default="nt35e", choices=["nt35e", "ec616s"])
    ap.add_argument("case", choices=["gammu-identify", "gammu-securitystatus", "gammu-networkinfo", "chat",
                                     "socat-bridge"])
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="nt35e-clients-")
    sim_stderr = os.path.join(workdir, "sim-stderr.txt")
    try:
        if a.case.startswith("gammu-"):
            command = {"gammu-identify": "identify", "gammu-securitystatus": "getsecuritystatus",
                       "gammu-networkinfo": "networkinfo"}[a.case]
            gammu_case(a.sim, workdir, command, a.profile)
        elif a.case == "chat":
            chat_case(a.sim, workdir)
        else:
            socat_case(a.sim, workdir)
        print(f"ok: {a.case} ({a.profile})")
        return 0
    except Failure as e:
        print(f"FAIL: {a.case} ({a.profile}): {e}", file=sys.stderr)
        if os.path.exists(sim_stderr):
            with open(sim_stderr, encoding="utf-8", errors="replace") as f:
                print("-- nt35e-sim stderr:\n" + f.read()[-6000:], file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
