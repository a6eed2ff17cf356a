"""The pytest plugin, run by pytest on tests of its own (pytester, in a subprocess): how a
modem is chosen, what a failed test carries (terminal and --junitxml), bad input, and a
simulator that dies mid-test."""

import json
import os
import time
import xml.etree.ElementTree as ET

PLUGIN = ("-p", "nt35e.pytest_plugin", "-p", "no:cacheprovider")


def run(pytester, *args, timeout=120):
    return pytester.runpytest_subprocess(*PLUGIN, *args, timeout=timeout)


def properties(xml_path):
    """{test name: {property: value}} of a junit XML file."""
    out = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        out[case.get("name")] = {p.get("name"): p.get("value") for p in case.iter("property")}
    return out


def test_marker_option_and_parameter_choose_the_modem(pytester):
    pytester.makepyfile(r'''
        import pytest

        def test_option(nt35e_modem):
            assert nt35e_modem.state()["profile"] == "ec616s"  # --nt35e-profile

        @pytest.mark.nt35e(profile="nt35e", scenario="link-drop-reconnect", options=["--set", "echo=0"])
        def test_marker(nt35e_modem):
            assert nt35e_modem.state()["profile"] == "nt35e"
            assert 'scenario "link-drop-reconnect"' in nt35e_modem.transcript()
            nt35e_modem.send("AT")
            nt35e_modem.expect(r"^\r\nOK\r\n")  # no echo

        @pytest.mark.parametrize("nt35e_modem", ["auth-failure", {"profile": "nt35e", "transport": "tcp"}],
                                 indirect=True)
        def test_parameter(nt35e_modem):
            by_name = 'scenario "auth-failure"' in nt35e_modem.transcript()  # --nt35e-profile still holds
            assert nt35e_modem.state()["profile"] == ("ec616s" if by_name else "nt35e")
            assert (nt35e_modem.tcp is None) == by_name
    ''')
    result = run(pytester, "-v", "--nt35e-profile", "ec616s", "--nt35e-time-scale", "0.05")
    result.assert_outcomes(passed=4)


def test_a_failed_test_carries_transcript_report_and_verdict(pytester):
    pytester.makepyfile(r'''
        import pytest

        @pytest.mark.nt35e(time_scale=0.05)
        def test_fails(nt35e_modem):
            nt35e_modem.send("AT+CSQ")
            nt35e_modem.expect(r"\+CSQ:")
            assert False, "the driver saw the wrong signal"

        @pytest.mark.nt35e(time_scale=0.05)
        def test_passes(nt35e_modem):
            pass
    ''')
    xml = pytester.path / "junit.xml"
    result = run(pytester, f"--junitxml={xml}", "--nt35e-artifacts", str(pytester.path / "artifacts"))
    result.assert_outcomes(passed=1, failed=1)
    props = properties(xml)
    assert props["test_passes"] == {}  # a passing test carries nothing
    failed = props["test_fails"]
    transcript = failed["nt35e_transcript"]
    assert transcript.startswith(str(pytester.path / "artifacts")) and os.path.isfile(transcript)
    with open(transcript, encoding="utf-8") as f:
        assert 'DTE -> "AT+CSQ\\r"' in f.read()
    assert 'DTE -> "AT+CSQ\\r"' in failed["nt35e_transcript_tail"]
    assert failed["nt35e_report"].endswith("report.html") and os.path.getsize(failed["nt35e_report"]) > 1000
    # The oracle's verdict (--verdict-json, written at stop): a correct exchange, no finding.
    assert failed["nt35e_verdict"].startswith("0 error(s), 0 warning(s) (strict mode"), failed["nt35e_verdict"]
    with open(failed["nt35e_verdict_file"], encoding="utf-8") as f:
        assert json.load(f)["verdict"] == "nt35e-oracle"
    assert "nt35e_exit_status" not in failed  # it did not die
    # And in the terminal: a section with the tail and the paths.
    result.stdout.fnmatch_lines(["*- nt35e (last * transcript lines) -*", f"transcript: {transcript}",
                                 "report: *report.html", "verdict: 0 error(s)*", '*DTE -> "AT+CSQ\\r"*'])


def test_an_unknown_profile_or_scenario_fails_the_set_up_with_the_simulators_message(pytester):
    pytester.makepyfile(r'''
        import pytest

        @pytest.mark.nt35e(profile="nt99")
        def test_profile(nt35e_modem):
            pass

        @pytest.mark.nt35e(scenario="no-such-scenario")
        def test_scenario(nt35e_modem):
            pass

        @pytest.mark.nt35e(flavour="x")
        def test_key(nt35e_modem):
            pass
    ''')
    started = time.monotonic()
    result = run(pytester, "-rE")
    assert time.monotonic() - started < 60
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines([
        '*StartError: nt35e-sim did not start (exit status 2): nt35e-sim: --profile: there is no built-in '
        'profile "nt99"; use nt35e or ec616s (try --help)',
        "*StartError: nt35e-sim did not start (exit status 2): no-such-scenario: error: cannot open the file: "
        "No such file or directory",
    ])
    result.stdout.fnmatch_lines(["*@pytest.mark.nt35e: unknown key 'flavour'; the keys are profile, scenario*"])


def test_a_wrong_nt35e_sim_option_is_one_sentence(pytester):
    pytester.makepyfile("def test_any(nt35e_modem):\n    pass\n")
    result = run(pytester, "--nt35e-sim", str(pytester.path / "no-such-binary"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*StartError: nt35e-sim: */no-such-binary is not an executable file (from the "
                                 "argument)"])


def test_a_simulator_killed_mid_test_fails_that_test_fast(pytester):
    pytester.makepyfile(r'''
        import os, signal, threading, time
        import pytest

        @pytest.mark.nt35e(time_scale=0.05)
        def test_waits_long(nt35e_modem):
            threading.Timer(0.5, os.kill, (nt35e_modem.pid, signal.SIGKILL)).start()
            time.sleep(60)  # a driver waiting for something that will never come

        @pytest.mark.nt35e(time_scale=0.05)
        def test_next_one_still_runs(nt35e_modem):
            nt35e_modem.send("AT")
            nt35e_modem.expect("OK")
    ''')
    xml = pytester.path / "junit.xml"
    started = time.monotonic()
    result = run(pytester, f"--junitxml={xml}")
    assert time.monotonic() - started < 30  # not the 60 s the test would have slept
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*SimulatorDied: nt35e-sim exited during the test (killed by SIGKILL (exit status "
                                 "-9)); the last lines of its transcript:",
                                 "*the simulator died during the test: killed by SIGKILL (exit status -9)"])
    assert properties(xml)["test_waits_long"]["nt35e_exit_status"] == "killed by SIGKILL (exit status -9)"


def test_the_broker_fixture_sees_what_the_modem_published(pytester):
    pytester.makepyfile(r'''
        import pytest

        @pytest.mark.nt35e(time_scale=0.1, broker=True)
        def test_both_sides(nt35e_modem, nt35e_broker):
            nt35e_modem.send(f'AT+ECMTOPEN=0,"{nt35e_broker.hostname}",1883')
            nt35e_modem.expect(r"\+ECMTOPEN:0,0")
            nt35e_modem.send('AT+ECMTCONN=0,"fx01"')
            nt35e_modem.expect(r"\+ECMTCONN:0,0,0")
            nt35e_modem.send('AT+ECMTPUB=0,0,0,0,"fx/up","1"')
            nt35e_modem.expect(r"\+ECMTPUB:0,0,0")
            assert nt35e_broker.wait_for("fx/up").payload == b"1"
            assert False, "show what reached the broker"
    ''')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: show what reached the broker*",
                                 "*- nt35e broker: what reached it -*", "fx/up b'1'"])


def test_the_verdict_text_lists_findings_and_unmet_expectations():
    from nt35e.pytest_plugin import verdict_text
    verdict = {"mode": "strict", "errors": 1, "warnings": 0, "unmet": 1, "modems": [{
        "findings": [{"t": 5.54, "severity": "error", "rule": "NT35E-ECMT-CONN-BEFORE-OPEN", "spec": "§5.4",
                      "detail": "+ECMTOPEN:0,0 had not come yet"}],
        "expectations": [
            {"name": "back within 30 s", "result": "unmet", "t": 40.0,
             "detail": "id 0 was back, but cmd/# was not subscribed again within 30 s of the loss"},
            {"name": "telemetry", "result": "met", "t": 12.0, "detail": "3 publishes"}]}]}
    assert verdict_text(verdict).splitlines() == [
        "1 error(s), 0 warning(s), 1 of 2 expectation(s) unmet (strict mode, docs/oracle.md)",
        "  5.540 s error NT35E-ECMT-CONN-BEFORE-OPEN (§5.4): +ECMTOPEN:0,0 had not come yet",
        '  40.000 s unmet expectation "back within 30 s": id 0 was back, but cmd/# was not subscribed again '
        "within 30 s of the loss"]
    verdict["modems"][0]["expectations"] = []
    assert verdict_text(verdict).splitlines()[0] == "1 error(s), 0 warning(s) (strict mode, docs/oracle.md)"
    assert verdict_text(None) == "not available (the simulator wrote no verdict)"
