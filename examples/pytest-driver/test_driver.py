"""The driver's suite, on nt35e-sim through the nt35e pytest plugin (nt35e_modem,
nt35e_broker). Each test gets its own simulator on its own PTY.

Run: python3 -m pytest -v              (with the nt35e-sim package installed)
     PYTHONPATH=../../python python3 -m pytest -p nt35e.pytest_plugin -v   (from the tree)
NT35E_EXAMPLE_SHOW_FAILURE=1 also runs a test that fails on purpose, to show what the
plugin attaches to a failed test (the transcript's tail, its file, the HTML report).
"""

import os

import pytest

from nt35e_driver import Driver

HERE = os.path.dirname(os.path.abspath(__file__))
# Every simulated delay ten times shorter: ECMTOPEN's 1 s takes 100 ms.
FAST = 0.1


@pytest.fixture
def driver(nt35e_modem):
    d = Driver(nt35e_modem.port, "broker.example.com", backoff=0.1)
    d.open()
    yield d
    d.close()


@pytest.mark.nt35e(scenario="seed-happy-path", time_scale=FAST)
def test_happy_flow_publishes_and_receives(driver, nt35e_modem):
    driver.connect()
    driver.subscribe("test", qos=2)
    driver.publish("test", "hello")
    driver.poll(1.0)
    assert ("test", "hello") in driver.received  # the scripted broker sends it back
    assert nt35e_modem.state()["ecmt"][0]["subscriptions"]
    driver.disconnect()
    assert driver.events == ["connected (attempt 1)"]


@pytest.mark.nt35e(scenario=os.path.join(HERE, "scenarios", "auth-refused-once.json"), time_scale=FAST)
def test_recovers_from_an_auth_failure(driver, nt35e_modem):
    driver.connect()
    assert driver.events[0].startswith("connect refused: result 0, return code 5")
    assert driver.events[-1] == "connected (attempt 2)"
    nt35e_modem.expect_log(r'DTE <- "\\r\\n\+ECMTCONN:0,0,5\\r\\n"')
    nt35e_modem.expect_log(r'DTE <- "\\r\\n\+ECMTCONN:0,0,0\\r\\n"')


@pytest.mark.nt35e(time_scale=FAST)
def test_recovers_from_a_broker_drop(driver, nt35e_modem):
    driver.connect()
    driver.subscribe("cmd/led")
    nt35e_modem.fire("drop_link", id=0)  # the broker goes away: +ECMTSTAT:0,1
    driver.poll(3.0)
    assert driver.events[1:] == ["link lost", "reconnected by the module", "subscribed again to cmd/led"]
    # Subscribed again for real: a message for cmd/led reaches the driver.
    nt35e_modem.control.deliver("cmd/led", "on", id=0, qos=1)
    driver.poll(1.0)
    assert ("cmd/led", "on") in driver.received


@pytest.mark.nt35e(time_scale=FAST, broker=True)
def test_publish_reaches_a_real_broker(nt35e_modem, nt35e_broker):
    d = Driver(nt35e_modem.port, nt35e_broker.hostname, backoff=0.1).open()
    try:
        d.connect()
        d.subscribe("cmd/led")
        d.publish("sensors/temp", "21.5")
        assert nt35e_broker.wait_for("sensors/temp", "21.5", timeout=10).qos == 1
        nt35e_broker.publish("cmd/led", "off", qos=1)  # and the other way round
        for _ in range(20):
            d.poll(0.25)
            if d.received:
                break
        assert d.received == [("cmd/led", "off")]
    finally:
        d.close()


@pytest.mark.skipif(not os.environ.get("NT35E_EXAMPLE_SHOW_FAILURE"),
                    reason="fails on purpose; NT35E_EXAMPLE_SHOW_FAILURE=1 runs it")
@pytest.mark.nt35e(scenario="auth-failure", time_scale=FAST)
def test_shows_the_transcript_of_a_failure(nt35e_modem):
    # The library's auth-failure broker knows only device/right-password: every attempt
    # is refused, so the driver gives up and this test fails with the transcript attached.
    d = Driver(nt35e_modem.port, "broker.example.com", user="device", password="wrong", backoff=0.05,
               attempts=2).open()
    try:
        d.connect()
    finally:
        d.close()
