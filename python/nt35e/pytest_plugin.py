"""pytest plugin: the nt35e_modem and nt35e_broker fixtures, and evidence on failure.

Loaded automatically once the package is installed (entry point pytest11
"nt35e.pytest_plugin"); from the source tree: PYTHONPATH=python pytest -p nt35e.pytest_plugin.

What a modem plays is chosen, most specific last (pytest-embedded does the same for its dut):
  1. command-line defaults: --nt35e-sim, --nt35e-profile, --nt35e-scenario, --nt35e-time-scale,
     --nt35e-transport, --nt35e-artifacts;
  2. the marker: @pytest.mark.nt35e(profile=..., scenario=..., options=[...], time_scale=...,
     transport="pty"|"tcp", wait_for="ready"|"booted"|"registered", broker=True);
  3. indirect parametrizing: @pytest.mark.parametrize("nt35e_modem", ["auth-failure",
     {"scenario": "link-drop-reconnect", "time_scale": 0.1}], indirect=True) (a string is a
     scenario, a dict holds any of the marker's keys).
broker=True (or a host name) starts nt35e_broker too and points the modem at it:
--live --map-host HOST=127.0.0.1:PORT (HOST: nt35e_broker.hostname unless given).

On a failed test the plugin adds to the report: the transcript's last lines (a section),
the full transcript's path, the HTML report's path (nt35e-sim report of the --record trace),
the oracle's verdict (its --verdict-json) and, if the simulator
died, its exit status; as user_properties too, so --junitxml carries them as properties.
A simulator that exits during a test fails that test at once (SimulatorDied, with the exit
status and the transcript's last lines), whatever the test was waiting for.
"""

import json
import os
import re
import signal
import threading

import pytest

from nt35e.broker import Broker
from nt35e.simulator import Simulator, SimulatorDied, SimulatorError, describe_status, tail

MARKER_KEYS = ("profile", "scenario", "options", "transport", "time_scale", "wait_for", "boot_timeout", "broker",
               "log_level")
VERDICT_NONE = "not available (the simulator wrote no verdict)"


def verdict_text(verdict):
    """The oracle's verdict in a few lines: counts, then one line per finding and per unmet
    expectation of the scenario."""
    if verdict is None:
        return VERDICT_NONE
    findings = [f for m in verdict.get("modems", []) for f in m.get("findings", [])]
    expectations = [e for m in verdict.get("modems", []) for e in m.get("expectations", [])]
    unmet = [e for e in expectations if e.get("result") == "unmet"]
    head = (f"{verdict.get('errors', 0)} error(s), {verdict.get('warnings', 0)} warning(s)"
            + (f", {len(unmet)} of {len(expectations)} expectation(s) unmet" if expectations else "")
            + f" ({verdict.get('mode', '?')} mode, docs/oracle.md)")
    return (head
            + "".join(f"\n  {f.get('t', 0):.3f} s {f.get('severity')} {f.get('rule')} ({f.get('spec')}): "
                      f"{f.get('detail')}" for f in findings)
            + "".join(f"\n  {e.get('t', 0):.3f} s unmet expectation \"{e.get('name')}\": {e.get('detail')}"
                      for e in unmet))
# The signal that carries a simulator's death from the watcher thread into the running test.
DEATH_SIGNAL = signal.SIGUSR2


def pytest_addoption(parser):
    g = parser.getgroup("nt35e", "nt35e-sim virtual modem")
    g.addoption("--nt35e-sim", metavar="PATH", help="the nt35e-sim binary (default: $NT35E_SIM, the build tree's, "
                                                    "then PATH)")
    g.addoption("--nt35e-profile", metavar="NAME", help="default profile of nt35e_modem (nt35e or ec616s)")
    g.addoption("--nt35e-scenario", metavar="NAME|FILE", help="default scenario of nt35e_modem (a library name "
                                                             "such as auth-failure, or a file)")
    g.addoption("--nt35e-time-scale", metavar="FACTOR", type=float,
                help="default --time-scale of nt35e_modem (0.1: ten times faster)")
    g.addoption("--nt35e-transport", choices=["pty", "tcp"], help="default line of nt35e_modem (pty)")
    g.addoption("--nt35e-artifacts", metavar="DIR", help="keep each test's transcript, trace and report in "
                                                         "DIR/<test> (default: pytest's tmp_path)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "nt35e(profile=None, scenario=None, options=[], time_scale=None, transport='pty', "
                   "wait_for='registered', broker=False): what nt35e_modem starts (see nt35e.pytest_plugin)")


def _test_dir(request, tmp_path_factory, leaf):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")[-120:]
    root = request.config.getoption("nt35e_artifacts")
    if root:
        path = os.path.join(os.path.abspath(root), name, leaf)
        os.makedirs(path, exist_ok=True)
        return path
    return str(tmp_path_factory.mktemp(f"nt35e-{leaf}-{name[-40:]}", numbered=True))


def _settings(request):
    """The modem's settings: command line, then the closest marker, then the parameter."""
    opt = request.config.getoption
    s = {"profile": opt("nt35e_profile"), "scenario": opt("nt35e_scenario"), "options": [],
         "time_scale": opt("nt35e_time_scale"), "transport": opt("nt35e_transport") or "pty"}
    sources = []
    marker = request.node.get_closest_marker("nt35e")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.nt35e takes keywords only, as in "
                                    "@pytest.mark.nt35e(scenario=\"auth-failure\")")
        sources.append(("@pytest.mark.nt35e", marker.kwargs))
    param = getattr(request, "param", None)
    if param is not None:
        sources.append(("the nt35e_modem parameter", {"scenario": param} if isinstance(param, str) else param))
    for where, given in sources:
        if not isinstance(given, dict):
            raise pytest.UsageError(f"{where}: give a scenario name or a dict of {', '.join(MARKER_KEYS)}")
        for key, value in given.items():
            if key not in MARKER_KEYS:
                raise pytest.UsageError(f"{where}: unknown key {key!r}; the keys are {', '.join(MARKER_KEYS)}")
            s[key] = list(value) if key == "options" else value
    return s


class _ItemState:
    """What the plugin keeps per test: its simulators and whether the call phase runs."""

    def __init__(self):
        self.sims = []
        self.broker = None
        self.in_call = False
        self.reported = False


def _state(item):
    st = getattr(item, "_nt35e", None)
    if st is None:
        st = item._nt35e = _ItemState()
    return st


@pytest.fixture
def nt35e_broker(request, tmp_path_factory):
    """A real mosquitto on a free loopback port with a capture of every message reaching it:
    .port, .hostname, .messages(topic=None), .wait_for(topic, payload=None, timeout),
    .publish(topic, payload), .modem_options() (--live --map-host hostname=127.0.0.1:port)."""
    broker = Broker(workdir=_test_dir(request, tmp_path_factory, "broker"))
    broker.start()
    _state(request.node).broker = broker
    yield broker
    broker.stop()


@pytest.fixture
def nt35e_modem(request, tmp_path_factory):
    """A started nt35e-sim, booted and registered (unless wait_for says less): .port (the PTY),
    .tcp, .send(line), .expect(regex, timeout), .expect_log(regex, timeout), .fire(action, ...),
    .state(), .transcript(), .verdict(), .stop(), .control (the control-channel client).
    Chosen by --nt35e-* options, @pytest.mark.nt35e(...) or indirect parametrizing."""
    s = _settings(request)
    options = list(s["options"])
    broker_wanted = s.pop("broker", None)
    if broker_wanted:
        broker = request.getfixturevalue("nt35e_broker")
        options += broker.modem_options(broker_wanted if isinstance(broker_wanted, str) else None)
    kwargs = {k: v for k, v in s.items() if k != "options" and v is not None}
    sim = Simulator(binary=request.config.getoption("nt35e_sim"), options=options,
                    workdir=_test_dir(request, tmp_path_factory, "modem"), **kwargs)
    st = _state(request.node)
    st.sims.append(sim)
    sim.on_unexpected_exit.append(lambda status: _interrupt_test(st))
    sim.start()  # StartError: the simulator's own message fails the set-up
    yield sim
    sim.stop()


def _interrupt_test(st):
    """From the watcher thread: the simulator died; if the test is running, stop it now."""
    if st.in_call and threading.main_thread().is_alive():
        signal.pthread_kill(threading.main_thread().ident, DEATH_SIGNAL)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    st = _state(item)
    previous = None
    if threading.current_thread() is threading.main_thread():

        def died(signum, frame):
            for sim in st.sims:
                if sim.died:
                    raise SimulatorDied(sim.death_message(), sim.returncode)

        previous = signal.signal(DEATH_SIGNAL, died)
    st.in_call = True
    try:
        # A simulator that died between set-up and now fails the test at its start.
        for sim in st.sims:
            if sim.died:
                raise SimulatorDied(sim.death_message(), sim.returncode)
        yield
    finally:
        st.in_call = False
        if previous is not None:
            signal.signal(DEATH_SIGNAL, previous)


def _add(item, report, name, value):
    item.user_properties.append((name, value))
    report.user_properties.append((name, value))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    st = getattr(item, "_nt35e", None)
    if st is None or not report.failed or st.reported or not (st.sims or st.broker):
        return
    st.reported = True
    for n, sim in enumerate(st.sims):
        if sim.proc is None:
            continue  # did not start: the set-up error says why
        label = "nt35e" if len(st.sims) == 1 else f"nt35e[{n}]"
        if sim.ready_line is None:  # it never started: its own message is the set-up error
            _add(item, report, f"{label}_transcript", sim.transcript_path)
            continue
        died = sim.died
        status = sim.stop()  # the trace and the verdict are complete only when it has ended
        verdict = sim.verdict()
        try:
            html = sim.report()
        except SimulatorError as e:
            html = f"(none: {e})"
        _add(item, report, f"{label}_transcript", sim.transcript_path)
        _add(item, report, f"{label}_transcript_tail", tail(sim.transcript()))
        _add(item, report, f"{label}_report", html)
        _add(item, report, f"{label}_verdict", verdict_text(verdict))
        if verdict is not None:
            _add(item, report, f"{label}_verdict_file", sim.verdict_path)
        if died:
            _add(item, report, f"{label}_exit_status", describe_status(status))
        head = [f"transcript: {sim.transcript_path}", f"report: {html}",
                f"verdict: {verdict_text(verdict)}"]
        if died:
            head.append(f"the simulator died during the test: {describe_status(status)}")
        if sim.line_output():
            head.append(f"the line said last:\n{tail(sim.line_output(), 10)}")
        report.sections.append((f"{label} (last {len(tail(sim.transcript()).splitlines())} transcript lines)",
                                "\n".join(head) + "\n\n" + tail(sim.transcript())))
    if st.broker is not None:
        got = "\n".join(f"{m.topic} {m.payload!r}" for m in st.broker.messages()) or "(nothing)"
        report.sections.append(("nt35e broker: what reached it", got))
