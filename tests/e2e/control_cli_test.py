#!/usr/bin/env python3
"""End-to-end: a test written in Python drives a fault through tools/nt35e-ctl while a
DTE holds the simulator's PTY, and sees the URC on the PTY.

    control_cli_test.py --sim build/simulator/nt35e-sim --ctl tools/nt35e-ctl

Standard library only. Every wait has a deadline; the simulator is always stopped; on
failure one clear message (plus the simulator's stderr) and exit status 1.
"""

import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import time
import tty


from simulator import Failure, Simulator as _Simulator, check


class Simulator(_Simulator):
    """nt35e-sim on a PTY with a control channel."""

    def __init__(self, binary, workdir, extra):
        self.link = os.path.join(workdir, "nt35e0")
        super().__init__(binary, workdir, ["--pty", self.link, "--control", "0", *extra])

    def wait_ready(self, timeout=10.0):
        super().wait_ready(timeout)
        check(self.control_port, "no \"control: ADDR:PORT\" line before \"ready:\"")


class Dte:
    """The PTY opened as a terminal would be: raw, non-blocking reads under select."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd, termios.TCSANOW)
        self.pending = b""

    def send(self, text, timeout=2.0):
        data = text.encode()
        deadline = time.monotonic() + timeout
        while data:
            left = deadline - time.monotonic()
            check(left > 0, f"could not write {text!r} to the PTY in time")
            _, w, _ = select.select([], [self.fd], [], left)
            if w:
                data = data[os.write(self.fd, data):]

    def read_until(self, needle, timeout=3.0):
        """Everything up to and including needle; Failure on timeout."""
        needle = needle.encode()
        deadline = time.monotonic() + timeout
        while needle not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"waited {timeout:g} s for {needle!r} on the PTY; got {self.pending!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except BlockingIOError:
                    continue
                except OSError as e:
                    raise Failure(f"reading the PTY failed: {e}")
                check(chunk, "the PTY closed")
                self.pending += chunk
        at = self.pending.index(needle) + len(needle)
        got, self.pending = self.pending[:at], self.pending[at:]
        return got.decode("utf-8", "replace")

    def command(self, line, until, timeout=3.0):
        self.send(line + "\r")
        return self.read_until(until, timeout)

    def close(self):
        os.close(self.fd)


def ctl(ctl_path, port, *args, timeout=15.0, env=None):
    """Runs the CLI; (status, stdout, stderr)."""
    try:
        r = subprocess.run([ctl_path, "--port", str(port), *args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise Failure(f"nt35e-ctl {' '.join(args)} did not finish within {timeout:g} s")
    return r.returncode, r.stdout, r.stderr


def scenario(sim_path, ctl_path, workdir):
    sim = Simulator(sim_path, workdir, ["--set", "timing.boot=50", "--set", "timing.registration=50"])
    try:
        sim.wait_ready()
        dte = Dte(sim.link)
        try:
            drive(sim, dte, ctl_path)
        finally:
            dte.close()
    except Exception as e:  # Failure, or an answer that was not what a check expected
        what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        raise Failure(f"{what}\n--- nt35e-sim stderr ---\n{sim.stderr_text()}")
    finally:
        sim.stop()


TOKEN = "cli-test-token-5e8d2b7a41"


def guarded(sim_path, ctl_path, workdir):
    """A channel started with --control-token-file: nt35e-ctl needs --token-file (or
    NT35E_CONTROL_TOKEN_FILE); without it, or with the wrong token, it is refused."""
    token_file = os.path.join(workdir, "token")
    wrong_file = os.path.join(workdir, "wrong")
    for path, text in ((token_file, TOKEN), (wrong_file, "cli-test-token-WRONG-0000")):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (text + "\n").encode())
        os.close(fd)
    sim = Simulator(sim_path, workdir, ["--control-token-file", token_file, "--log-level", "debug"])
    try:
        sim.wait_ready()
        port = sim.control_port
        status, out, err = ctl(ctl_path, port, "state")
        check(status == 1 and "requires a token" in err, f"state without a token: status {status}, stderr {err!r}")
        status, out, err = ctl(ctl_path, port, "--token-file", wrong_file, "state")
        check(status == 1 and "wrong token" in err, f"state with a wrong token: status {status}, stderr {err!r}")
        status, out, err = ctl(ctl_path, port, "--token-file", token_file, "state")
        check(status == 0 and json.loads(out).get("profile") == "nt35e",
              f"state with the token: status {status}, stderr {err!r}")
        env = dict(os.environ, NT35E_CONTROL_TOKEN_FILE=token_file)
        status, out, err = ctl(ctl_path, port, "fire", "inject_urc", "--text", "+CLI", env=env)
        check(status == 0, f"fire with NT35E_CONTROL_TOKEN_FILE: status {status}, stderr {err!r}")
        status, out, err = ctl(ctl_path, port, "--token-file", os.path.join(workdir, "missing"), "state")
        check(status == 2 and "cannot read the token file" in err, f"a missing token file: {status} {err!r}")
        check(sim.proc.poll() is None, "nt35e-sim exited")
    except Exception as e:
        what = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
        raise Failure(f"{what}\n--- nt35e-sim stderr ---\n{sim.stderr_text()}")
    finally:
        sim.stop()
    logged = sim.stderr_text()
    check(TOKEN not in logged and "WRONG" not in logged, "a token appears in the simulator's log")
    check(logged.count("refused: wrong token") == 1, f"the wrong token is logged once: {logged}")


def drive(sim, dte, ctl_path):
    port = sim.control_port
    dte.read_until("\r\nECRDY\r\n", 5)
    dte.command("ATE0", "\r\nOK\r\n")
    deadline = time.monotonic() + 5
    while "+CEREG:0,1" not in dte.command("AT+CEREG?", "\r\nOK\r\n"):
        check(time.monotonic() < deadline, "the module did not register within 5 s")
        time.sleep(0.05)
    dte.command('AT+ECMTOPEN=0,"test.mosquitto.org",1883', "\r\n+ECMTOPEN:0,0\r\n", 5)
    dte.command("AT+ECMTCONN=0", "\r\n+ECMTCONN:0,0,0\r\n", 5)

    status, out, err = ctl(ctl_path, port, "state")
    check(status == 0, f"nt35e-ctl state exited {status}: {err.strip()}")
    state = json.loads(out)
    ids = {e["id"]: e["state"] for e in state["ecmt"]}
    check(ids.get(0) == "CONNECTED", f"state says id 0 is {ids.get(0)!r}, not CONNECTED: {out}")

    # The fault, fired from the CLI while the DTE holds the PTY.
    status, out, err = ctl(ctl_path, port, "fire", "drop_link", "--id", "0")
    check(status == 0, f"nt35e-ctl fire drop_link --id 0 exited {status}: {err.strip()}")
    answer = json.loads(out)
    check(answer.get("ok") is True and answer.get("fired", {}).get("action") == "drop_link",
          f"unexpected answer to fire: {out}")
    got = dte.read_until("\r\n+ECMTSTAT:0,1\r\n", 3)
    check(got == "\r\n+ECMTSTAT:0,1\r\n", f"expected only the URC, got {got!r}")
    dte.read_until("\r\n+ECMTCONN:0,0,0\r\n", 15)  # the module reconnects by itself

    # A message delivered through the CLI.
    dte.command('AT+ECMTSUB=0,1,"cli",0', "\r\n+ECMTSUB:0,1,0,1\r\n")  # 4th field: a count (spec 5.6)
    status, out, err = ctl(ctl_path, port, "deliver", "--id", "0", "--topic", "cli", "--payload", "hi")
    check(status == 0, f"nt35e-ctl deliver exited {status}: {err.strip()}")
    dte.read_until('\r\n+ECMTRECV:0,0,"cli",hi\r\n', 3)

    # Refusals: exit 1 with the simulator's sentence; usage errors: exit 2.
    status, out, err = ctl(ctl_path, port, "fire", "explode")
    check(status == 1 and "explode" in err, f"fire explode: status {status}, stderr {err!r}")
    status, out, err = ctl(ctl_path, port, "raw", "this is not json")
    check(status == 1 and "JSON" in err, f"raw garbage: status {status}, stderr {err!r}")
    status, out, err = ctl(ctl_path, port, "fire")
    check(status == 2, f"fire without an action: status {status}")
    check(err.count("\n") == 1 and err.startswith("nt35e-ctl: ") and "(try --help)" in err,
          f"a usage error is one sentence: {err!r}")
    status, out, err = ctl(ctl_path, port, "--version")
    check(status == 0 and out.startswith("nt35e-ctl "), f"--version: status {status}, stdout {out!r}")
    status, out, err = ctl(ctl_path, 1, "state")
    check(status == 2 and "cannot connect" in err, f"a closed port: status {status}, stderr {err!r}")

    # The module still answers.
    dte.command("AT", "\r\nOK\r\n")
    check(sim.proc.poll() is None, "nt35e-sim exited")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", required=True, help="the nt35e-sim binary")
    p.add_argument("--ctl", required=True, help="tools/nt35e-ctl")
    args = p.parse_args()
    for path, what in ((args.sim, "--sim"), (args.ctl, "--ctl")):
        if not os.access(path, os.X_OK):
            print(f"control_cli_test: {what} {path} is not an executable file", file=sys.stderr)
            return 1
    workdir = tempfile.mkdtemp(prefix="nt35e-cli-")
    try:
        scenario(args.sim, args.ctl, workdir)
        guarded(args.sim, args.ctl, workdir)
    except Failure as e:
        print(f"control_cli_test: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("control_cli_test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
