"""nt35e.Broker: a real mosquitto with a capture, and a live modem pointed at it."""

import pytest

from nt35e import Broker, BrokerError, Simulator


def test_the_capture_sees_what_reaches_the_broker(tmp_path):
    with Broker(workdir=tmp_path) as broker:
        broker.publish("a/b", "one", qos=1)
        broker.publish("a/c", "two")
        assert broker.wait_for("a/b").payload == b"one"
        assert broker.wait_for("a/c", "two").text == "two"
        assert [m.topic for m in broker.messages()] == ["a/b", "a/c"]  # the probes left out
        with pytest.raises(BrokerError, match=r"no message on 'a/d' reached the broker within 0.3 s; it received: "
                                              r"\[Message\('a/b'"):
            broker.wait_for("a/d", timeout=0.3)
    assert broker.proc.poll() is not None and broker.sub.poll() is not None


def test_two_brokers_never_share_a_port(tmp_path):
    with Broker(workdir=tmp_path / "1") as one, Broker(workdir=tmp_path / "2") as two:
        assert one.port != two.port


def connect(sim, broker, *credentials, rc=0):
    sim.send(f'AT+ECMTOPEN=0,"{broker.hostname}",1883')
    sim.expect(r"\+ECMTOPEN:0,0\r\n", timeout=10)
    login = "".join(f',"{c}"' for c in credentials)
    sim.send(f'AT+ECMTCONN=0,"live01"{login}')
    sim.expect(rf"\+ECMTCONN:0,0,{rc}\r\n", timeout=10)


def test_a_live_modem_publishes_to_it(tmp_path):
    with Broker(workdir=tmp_path / "broker") as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        connect(sim, broker)
        sim.send('AT+ECMTPUB=0,1,1,0,"dev/live01","up"')
        sim.expect(r"\+ECMTPUB:0,1,0\r\n", timeout=10)
        assert broker.wait_for("dev/live01", "up").qos == 1
        assert f"{broker.hostname}=127.0.0.1:{broker.port}" in " ".join(sim.command_line())


def test_a_broker_with_users_refuses_a_wrong_password(tmp_path):
    with Broker(workdir=tmp_path / "broker", users={"device": "right-password"}) as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        connect(sim, broker, "device", "wrong", rc=5)
        sim.send('AT+ECMTCONN=0,"live01","device","right-password"')
        sim.expect(r"\+ECMTCONN:0,0,0\r\n", timeout=10)
