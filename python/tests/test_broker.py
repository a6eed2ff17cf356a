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


@pytest.mark.parametrize("cut", ["reboot", "drop_link", "radio_off"])
def test_a_cut_link_makes_the_broker_publish_the_will_with_no_disconnect(tmp_path, cut):
    # The module's reboot, a lost link and radio-off end the TCP connection with no MQTT
    # DISCONNECT, so the broker publishes the will (spec: "without an MQTT DISCONNECT").
    with Broker(workdir=tmp_path / "broker") as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        sim.send('AT+ECMTCFG="will",0,1,1,0,"dev/live01/will","gone"')
        sim.expect(r"OK\r\n")
        connect(sim, broker)
        assert "Sending CONNACK to live01" in broker.log()
        if cut == "reboot":
            sim.send("AT+ECRST")
        elif cut == "radio_off":
            sim.send("AT+CFUN=0")
        else:
            sim.fire("drop_link", id=0)
        will = broker.wait_for("dev/live01/will", "gone", timeout=10)
        assert will.qos == 1
        assert "Received DISCONNECT from live01" not in broker.log()


def test_ecmtdisc_sends_disconnect_and_the_broker_keeps_the_will(tmp_path):
    # The other side of the test above: the phrase it looks for is what mosquitto logs.
    with Broker(workdir=tmp_path / "broker") as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        sim.send('AT+ECMTCFG="will",0,1,1,0,"dev/live01/will","gone"')
        sim.expect(r"OK\r\n")
        connect(sim, broker)
        sim.send("AT+ECMTDISC=0")
        sim.expect(r"\+ECMTDISC:0,0\r\n", timeout=10)
        with pytest.raises(BrokerError):
            broker.wait_for("dev/live01/will", timeout=1)
        assert "Received DISCONNECT from live01" in broker.log()


def test_broker_down_drops_the_link_refuses_opens_and_the_module_comes_back(tmp_path):
    import time
    with Broker(workdir=tmp_path / "broker") as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        connect(sim, broker)
        fired = time.monotonic()
        sim.fire("broker_down", **{"for": "30s"})  # 3 s at this time scale
        sim.expect(r"\+ECMTSTAT:0,1\r\n", timeout=5)
        sim.send(f'AT+ECMTOPEN=1,"{broker.hostname}",1883')
        sim.expect(r"\+ECMTOPEN:1,-1\r\n", timeout=5)  # nothing answers at the broker's address
        sim.expect(r"\+ECMTCONN:0,0,0\r\n", timeout=20)  # the module's own reconnect, once it is back
        assert time.monotonic() - fired >= 2.9, "the module reconnected while the broker was down"
        assert broker.log().count("as live01 ") == 2  # the first connect and the reconnect, nothing between


def test_a_slow_network_holds_each_way_then_ends(tmp_path):
    import time

    def round_trip(msg_id):
        started = time.monotonic()
        sim.send(f'AT+ECMTPUB=0,{msg_id},1,0,"dev/live01","p{msg_id}"')
        sim.expect(rf"\+ECMTPUB:0,{msg_id},0\r\n", timeout=15)
        return time.monotonic() - started

    with Broker(workdir=tmp_path / "broker") as broker, \
            Simulator(options=broker.modem_options(), time_scale=0.1, workdir=tmp_path / "sim") as sim:
        connect(sim, broker)
        normal = round_trip(1)
        sim.fire("slow_network", **{"for": "100s", "by": "10s"})  # 10 s long, 1 s each way here
        slow = round_trip(2)
        assert slow >= normal + 1.9, f"a publish took {slow:.2f} s on the slow network, {normal:.2f} s before"
        assert broker.wait_for("dev/live01", "p2").qos == 1
        time.sleep(10)  # the window ends
        assert round_trip(3) < normal + 0.5
