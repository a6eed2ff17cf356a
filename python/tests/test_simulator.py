"""nt35e.Simulator against the real binary: the line (PTY and TCP), expect's deadline and
message, the transcript, the report, start-up failures and a death while in use."""

import os
import signal
import time

import pytest

from nt35e import ExpectTimeout, Simulator, SimulatorDied, StartError
from nt35e.simulator import find_binary, resolve_scenario


def test_pty_line_answers_at_commands(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path) as sim:
        assert os.path.realpath(sim.port).startswith("/dev/pts/")
        assert sim.port == str(tmp_path / "tty")  # a PTY name of its own: parallel runs never share one
        sim.send("AT+CGMM")
        assert sim.expect(r"(\w+)\r\n\r\nOK\r\n").group(1) == "NT35E"
        sim.send("AT+CEREG?")
        sim.expect(r"\+CEREG:0,1")  # wait_for="registered" (the default) waited for this
        assert 'DTE -> "AT+CGMM\\r"' in sim.transcript()


def test_tcp_line_and_the_ec616s_profile(tmp_path):
    with Simulator(profile="ec616s", transport="tcp", time_scale=0.05, workdir=tmp_path) as sim:
        host, port = sim.tcp
        assert host == "127.0.0.1" and port > 0 and sim.port is None
        sim.send("AT+CGMM")
        sim.expect(r"EC616S")


def test_the_metrics_endpoint_counts_what_the_line_did(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path, metrics=True) as sim:
        host, port = sim.metrics
        assert host == "127.0.0.1" and port > 0
        before = sim.metric("nt35e_at_commands_total", command="AT+CSQ")
        sim.send("AT+CSQ")
        sim.expect(r"OK\r\n")
        assert sim.metric("nt35e_at_commands_total", command="AT+CSQ") == before + 1
        assert sim.metric("nt35e_modems") == 1  # one modem, in exactly one state
        assert sim.metric("nt35e_modems", state="registered") == 1
        assert sim.metric("no_such_metric") == 0


def test_metric_without_an_endpoint_says_how_to_get_one(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path, wait_for="ready") as sim:
        assert sim.metrics is None
        with pytest.raises(Exception, match="metrics=True"):
            sim.metric("nt35e_modems")


def test_expect_times_out_with_what_the_line_and_the_transcript_said(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path) as sim:
        sim.send("AT+CSQ")
        started = time.monotonic()
        with pytest.raises(ExpectTimeout) as e:
            sim.expect(r"NEVER", timeout=0.5)
        assert time.monotonic() - started < 4
        text = str(e.value)
        assert "expect('NEVER') saw no match within 0.5 s" in text
        assert "+CSQ:" in text  # the line's last words
        assert 'DTE -> "AT+CSQ\\r"' in text  # the transcript's last lines


def test_a_scenario_by_name_comes_from_the_library(tmp_path, tree):
    assert resolve_scenario("auth-failure") == os.path.join(tree, "scenarios", "auth-failure.json")
    with Simulator(scenario="link-drop-reconnect", time_scale=0.05, workdir=tmp_path) as sim:
        assert 'scenario "link-drop-reconnect"' in sim.transcript()


def test_the_trace_and_the_report(tmp_path):
    sim = Simulator(time_scale=0.05, workdir=tmp_path).start()
    sim.send("AT")
    sim.expect("OK")
    running = sim.verdict()  # while it runs: the control channel's "query": "verdict", so far
    assert running["verdict"] == "nt35e-oracle" and running["errors"] == 0 and "ok" not in running, running
    assert sim.stop() == 0
    verdict = sim.verdict()  # written at stop (--verdict-json)
    assert verdict["verdict"] == "nt35e-oracle" and verdict["errors"] == 0, verdict
    html = sim.report()
    assert html == str(tmp_path / "report.html")
    with open(html, encoding="utf-8") as f:
        assert "<html" in f.read(2000).lower()


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "bogus"}, 'nt35e-sim: --profile: there is no built-in profile "bogus"; use nt35e or ec616s'),
    ({"scenario": "no-such-scenario"}, "no-such-scenario: error: cannot open the file"),
    ({"options": ["--time-scale", "0"]}, "--time-scale: the factor must be above 0"),
])
def test_a_refused_start_carries_the_simulators_own_message(tmp_path, kwargs, message):
    started = time.monotonic()
    with pytest.raises(StartError) as e:
        Simulator(workdir=tmp_path, **kwargs).start()
    assert "nt35e-sim did not start (exit status 2): " in str(e.value)
    assert message in str(e.value)
    assert time.monotonic() - started < 15


def test_a_modem_that_never_registers_fails_the_wait_in_time(tmp_path):
    started = time.monotonic()
    with pytest.raises(StartError, match=r"did not boot and register within 1 s"):
        Simulator(scenario="no-sim", time_scale=0.05, boot_timeout=1, workdir=tmp_path).start()
    assert time.monotonic() - started < 15
    with Simulator(scenario="no-sim", time_scale=0.05, wait_for="booted", workdir=tmp_path / "b") as sim:
        assert sim.state()["sim"] is False


def test_a_death_while_expecting_is_reported_at_once(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path) as sim:
        sim.open_line()
        os.kill(sim.pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(SimulatorDied) as e:
            sim.expect(r"NEVER", timeout=30)
        assert time.monotonic() - started < 10
        assert e.value.status == -signal.SIGKILL
        assert "killed by SIGKILL (exit status -9)" in str(e.value)
        assert "power on, profile nt35e" in str(e.value)  # the transcript's last lines
        with pytest.raises(SimulatorDied):
            sim.fire("reboot")


def test_a_bad_nt35e_sim_path_is_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("NT35E_SIM", str(tmp_path / "missing"))
    with pytest.raises(StartError, match=r"is not an executable file \(from \$NT35E_SIM\)"):
        find_binary()
