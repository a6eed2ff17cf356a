#!/usr/bin/python3
"""The container image (deploy/container/Containerfile) run with podman: the image's
settings, the default command healthy on its own, and one modem over TCP taking the seed
guide's flow to a real mosquitto on the host's loopback.

Run by tools/container.sh test (which builds the image first and passes the podman flags
this machine needs after `--`). Standard library and the repository's python/ (the
broker fixture) and tools/deb/seed_flow.py (the guide's steps). Every wait is bounded.

Usage: container_test.py --image IMAGE [-- PODMAN_RUN_FLAGS...]
Exit status 0 when every case passed, 1 otherwise.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(root, "python"))
sys.path.insert(0, os.path.join(root, "tools", "deb"))
sys.path.insert(0, os.path.join(root, "tests", "e2e"))
from nt35e.broker import Broker, free_port  # noqa: E402
from seed_flow import Dte, guide_flow  # noqa: E402
from simulator import Failure, check, run_case  # noqa: E402


def podman(*args, timeout=60, ok=True):
    p = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if ok:
        check(p.returncode == 0, f"podman {' '.join(args[:3])}… failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    return p


def wait_port(port, container, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        state = podman("inspect", "--format", "{{.State.Status}}", container, ok=False).stdout.strip()
        check(state == "running", f"the container is {state or 'gone'}: {podman('logs', container, ok=False).stderr}")
        time.sleep(0.2)
    raise Failure(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def wait_log(container, text, timeout=20.0):
    """Until the container's log (nt35e-sim's stderr) holds `text`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in podman("logs", container, ok=False).stderr:
            return
        time.sleep(0.2)
    raise Failure(f"the container's log never said {text!r}")


def wait_healthy(container, timeout=20.0):
    """`podman healthcheck run` until it says healthy (the start period allows failures)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = podman("healthcheck", "run", container, ok=False, timeout=15)
        if last.returncode == 0:
            return
        time.sleep(0.5)
    raise Failure(f"the health check never passed: {last.returncode} {last.stdout.strip()} {last.stderr.strip()}")


class Container:
    def __init__(self, image, flags, name, *args):
        self.name = name
        podman("rm", "-f", name, ok=False)
        podman("run", "-d", "--name", name, *flags, image, *args)

    def stop(self):
        podman("rm", "-f", "-t", "2", self.name, ok=False)


def case_settings(image, _flags):
    info = json.loads(podman("image", "inspect", image).stdout)[0]
    cfg = info["Config"]
    check(cfg.get("Entrypoint") == ["nt35e-sim"], f"entrypoint {cfg.get('Entrypoint')}")
    check(cfg.get("User") == "10001:10001", f"user {cfg.get('User')!r}, expected a non-root 10001:10001")
    check("--tcp" in (cfg.get("Cmd") or []), f"the default command {cfg.get('Cmd')} has no --tcp")
    check("5000/tcp" in (cfg.get("ExposedPorts") or {}), f"exposed ports {cfg.get('ExposedPorts')}")
    # podman shows the health check beside Config (docker inside it).
    test = (info.get("Healthcheck") or cfg.get("Healthcheck") or {}).get("Test") or []
    check(any("nt35e-ctl" in t for t in test), f"no HEALTHCHECK through nt35e-ctl: {test}")


def case_default_command(image, flags):
    """The image's own command, in a network of its own (loopback only): up and healthy."""
    c = Container(image, ["--network", "none", *flags], f"nt35e-default-{os.getpid()}")
    try:
        wait_healthy(c.name)
        uid = podman("exec", c.name, "id", "-u").stdout.strip()
        check(uid == "10001", f"nt35e-sim runs as uid {uid}, expected 10001 (not root)")
        state = podman("exec", c.name, "nt35e-ctl", "--port", "7000", "state").stdout
        check("registration" in state or "ecmt" in state.lower(), f"nt35e-ctl state answered {state[:200]!r}")
    finally:
        c.stop()
    # The check proves something: without the control channel it fails.
    c = Container(image, ["--network", "none", *flags], f"nt35e-nocontrol-{os.getpid()}", "--tcp", "0.0.0.0:5000")
    try:
        time.sleep(1)
        r = podman("healthcheck", "run", c.name, ok=False, timeout=15)
        check(r.returncode != 0, f"the health check passed with no control channel: {r.stdout.strip()}")
    finally:
        c.stop()


def case_seed_flow_live(image, flags):
    """One modem on the host's loopback (--network host), live to a mosquitto there."""
    work = tempfile.mkdtemp(prefix="nt35e-container-")
    broker = Broker(os.path.join(work, "broker"), hostname="test.mosquitto.org").start()
    modem, control = free_port(), free_port()
    c = None
    try:
        c = Container(image, ["--network", "host", "-e", f"NT35E_CONTROL_PORT={control}", *flags],
                      f"nt35e-seed-{os.getpid()}", "--tcp", f"127.0.0.1:{modem}", "--control",
                      f"127.0.0.1:{control}", "--set", "timing.boot=50", "--set", "timing.registration=50",
                      *broker.modem_options())
        wait_port(modem, c.name)
        # The modem boots as soon as it starts, before any DTE can attach: its ECRDY is
        # dropped (as by the module with nothing on the UART). Attach once it registered.
        wait_log(c.name, "PDP context 1 active")
        guide_flow(Dte(modem), banner=False)
        broker.wait_for("test", b"hello", timeout=10)
        wait_healthy(c.name)
    except Failure as e:
        logs = podman("logs", c.name, ok=False).stderr[-3000:] if c else ""
        raise Failure(f"{e}\n--- container log ---\n{logs}\n--- broker log ---\n{broker.log()[-1500:]}")
    finally:
        if c:
            c.stop()
        broker.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", required=True)
    p.add_argument("flags", nargs="*", help="podman run flags (after --)")
    a = p.parse_args()
    failed = 0
    for name, case in [("image settings", case_settings), ("default command healthy", case_default_command),
                       ("seed flow, live, over TCP", case_seed_flow_live)]:
        failed += run_case(name, case, a.image, a.flags)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
