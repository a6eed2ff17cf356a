"""nt35e.control and tools/nt35e-ctl against the real simulator."""

import os
import re
import subprocess

import pytest

from nt35e import ControlClient, ControlRefused, Simulator, UsageError, __version__
from nt35e.control import parse_target


@pytest.fixture
def sim(tmp_path):
    with Simulator(time_scale=0.05, workdir=tmp_path) as s:
        yield s


def test_state_and_help_come_back_as_dicts(sim):
    state = sim.control.state()
    assert state["ok"] is True and state["profile"] == "nt35e" and state["booting"] is False
    assert "drop_link" in sim.control.help()["actions"]


def test_a_fired_action_reaches_the_line(sim):
    sim.open_line()  # else the URC finds no DTE and is dropped
    answer = sim.control.fire("inject_urc", text="+HELLO:1")
    assert answer["fired"] == {"action": "inject_urc", "text": "+HELLO:1"}
    sim.expect(r"\+HELLO:1\r\n")


def test_a_refusal_raises_with_the_simulators_sentence(sim):
    with pytest.raises(ControlRefused) as e:
        sim.control.fire("no_such_action")
    assert "no_such_action" in str(e.value) and e.value.answer["ok"] is False
    assert sim.control.request({"query": "nothing"})["ok"] is False  # request() does not raise


def test_an_unreachable_channel_is_one_sentence(sim):
    port = sim.control.port
    sim.stop()
    with pytest.raises(UsageError, match=rf"cannot connect to the control channel at 127.0.0.1:{port} .*--control"):
        ControlClient(port, timeout=2).state()


def test_a_guarded_channel_needs_the_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("0123456789abcdef0123\n")
    token.chmod(0o600)
    with Simulator(time_scale=0.05, workdir=tmp_path / "sim", control_token_file=token) as s:
        assert s.state()["ok"]  # the Simulator's own client sends {"auth": ...} first
        wrong = ControlClient(s.control.port, token="wrong-token-wrong-token")
        assert "wrong token" in wrong.request({"query": "state"})["error"]
        with pytest.raises(ControlRefused, match="requires a token"):
            ControlClient(s.control.port).state()


def test_targets_are_parsed_as_the_control_line_prints_them():
    assert parse_target("127.0.0.1", "[::1]:7000") == ("::1", 7000)
    assert parse_target("h", "7000") == ("h", 7000)
    with pytest.raises(UsageError, match="not a port number from 1 to 65535"):
        parse_target("h", "70000")


def test_nt35e_ctl_is_a_wrapper_of_the_package(sim, tree):
    ctl = os.path.join(tree, "tools", "nt35e-ctl")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # it finds python/ by itself
    r = subprocess.run([ctl, "--port", str(sim.control.port), "state"], capture_output=True, text=True, timeout=30,
                       env=env)
    assert r.returncode == 0, r.stderr
    assert '"profile": "nt35e"' in r.stdout
    r = subprocess.run([ctl, "--port", str(sim.control.port), "fire", "no_such_action"], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode == 1 and r.stderr.startswith("nt35e-ctl: ")
    r = subprocess.run([ctl, "--version"], capture_output=True, text=True, timeout=30, env=env)
    assert r.stdout.strip() == f"nt35e-ctl {__version__}"


def test_the_package_version_is_the_projects(tree):
    with open(os.path.join(tree, "CMakeLists.txt")) as f:
        assert re.search(r"project\(nt35e_sim VERSION ([0-9.]+)", f.read()).group(1) == __version__
