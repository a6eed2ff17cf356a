"""nt35e.fleet: the fleet-wide choice and schedule (pure), and how endpoints are named.
The processes themselves are driven by tests/e2e/fleet_control_test.py."""

import hashlib
import socket

import pytest

from nt35e import fleet
from nt35e.control import UsageError


def test_the_choice_is_the_share_of_the_whole_fleet_whatever_the_split():
    everyone = range(1000)
    chosen = fleet.choose(everyone, 0.3, 7)
    assert len(chosen) == 300 and len(set(chosen)) == 300
    # The same indices listed process by process, in another order: the same modems, same order.
    split = [i for k in (3, 1, 0, 2) for i in range(k * 250, k * 250 + 250)]
    assert fleet.choose(split, 0.3, 7) == chosen
    # Another seed, another choice; the same seed, the same.
    assert fleet.choose(everyone, 0.3, 8) != chosen
    assert fleet.choose(everyone, 0.3, 7) == chosen
    # A bigger share keeps the smaller one as its beginning (ranked by the same keys).
    assert fleet.choose(everyone, 0.5, 7)[:300] == chosen


def test_the_choice_is_fixed_by_its_definition():
    # SHA-256(b"nt35e-fleet" | seed | index), 8-byte big-endian numbers, first 8 bytes: a
    # value written down, so a change of the algorithm cannot pass unnoticed.
    def key(i):
        return hashlib.sha256(b"nt35e-fleet" + (7).to_bytes(8, "big") + i.to_bytes(8, "big")).digest()[:8]

    assert fleet.choose(range(10), 0.3, 7) == sorted(range(10), key=key)[:3] == [2, 6, 7]


def test_round_half_away_from_zero_as_the_simulator():
    assert fleet.share_count(0.3, 10) == 3
    assert fleet.share_count(0.25, 10) == 3  # 2.5 -> 3 (Python's round() would give 2)
    assert fleet.share_count(0.05, 10) == 1  # 0.5 -> 1
    assert fleet.share_count(0.04, 10) == 0
    assert fleet.share_count(1.0, 7) == 7


def test_the_schedule_spreads_the_chosen_evenly_in_their_order():
    assert fleet.schedule([5, 2, 9], 2000) == {5: 0, 2: 1000, 9: 2000}
    assert fleet.schedule([4], 2000) == {4: 0}
    assert fleet.schedule([], 2000) == {}
    times = fleet.schedule(list(range(7)), 1000)
    assert times[0] == 0 and times[6] == 1000 and times[1] == 166  # floor


def test_stagger_times():
    assert fleet.parse_stagger_ms("10s") == 10000
    assert fleet.parse_stagger_ms("500ms") == 500
    assert fleet.parse_stagger_ms("1.5s") == 1500
    assert fleet.parse_stagger_ms("2m") == 120000
    assert fleet.parse_stagger_ms("24h") == 86400000
    for bad, words in (("10", "not a time"), ("-1s", "not a time"), ("1.0005s", "whole number"),
                       ("25h", "longer than a day"), ("soon", "not a time")):
        with pytest.raises(UsageError, match=words):
            fleet.parse_stagger_ms(bad)
    assert fleet.format_ms(10000) == "10s" and fleet.format_ms(1500) == "1500ms" and fleet.format_ms(0) == "0s"


def test_endpoints_are_host_port():
    assert str(fleet.parse_endpoint("10.0.0.7:7000")) == "10.0.0.7:7000"
    assert str(fleet.parse_endpoint("[::1]:7000")) == "[::1]:7000"
    assert fleet.parse_endpoint("pod-0.nt35e:7000").host == "pod-0.nt35e"
    for bad, words in (("7000", "not HOST:PORT"), ("host:", "not a port number"), ("h:70000", "from 1 to 65535"),
                       ("::1:7000", "not HOST:PORT"), (":7000", "not HOST:PORT")):
        with pytest.raises(UsageError, match=words):
            fleet.parse_endpoint(bad)
    with pytest.raises(UsageError, match="given twice"):
        fleet.unique_endpoints([fleet.parse_endpoint("a:1"), fleet.parse_endpoint("b:1"), fleet.parse_endpoint("a:1")])


def test_an_endpoints_file(tmp_path):
    f = tmp_path / "pods.txt"
    f.write_text("# the pods\n10.0.0.1:7000\n\n  10.0.0.2:7000  # the second\n")
    assert [str(e) for e in fleet.read_endpoints_file(str(f))] == ["10.0.0.1:7000", "10.0.0.2:7000"]
    f.write_text("10.0.0.1:7000\nnonsense\n")
    with pytest.raises(UsageError, match=r"pods.txt:2: \"nonsense\" is not HOST:PORT"):
        fleet.read_endpoints_file(str(f))
    f.write_text("# nobody\n")
    with pytest.raises(UsageError, match="lists no endpoint"):
        fleet.read_endpoints_file(str(f))
    with pytest.raises(UsageError, match="cannot read the endpoints file"):
        fleet.read_endpoints_file(str(tmp_path / "missing.txt"))


def test_dns_gives_every_address_once():
    def resolver(host, port, type=0):
        assert host == "nt35e.demo.svc.cluster.local" and port == 7000 and type == socket.SOCK_STREAM
        return [(socket.AF_INET, type, 6, "", ("10.1.0.3", port)), (socket.AF_INET, type, 6, "", ("10.1.0.2", port)),
                (socket.AF_INET6, type, 6, "", ("fd00::5", port, 0, 0)),
                (socket.AF_INET, type, 6, "", ("10.1.0.3", port))]

    found = fleet.resolve_dns("nt35e.demo.svc.cluster.local:7000", resolver)
    assert [str(e) for e in found] == ["10.1.0.2:7000", "10.1.0.3:7000", "[fd00::5]:7000"]

    def nowhere(host, port, type=0):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UsageError, match="the name nowhere.test does not resolve"):
        fleet.resolve_dns("nowhere.test:7000", nowhere)
    # The real resolver on a numeric address.
    assert [str(e) for e in fleet.resolve_dns("127.0.0.1:7000")] == ["127.0.0.1:7000"]


def test_a_plan_gives_each_process_its_part():
    class Fake:
        def __init__(self, name, offset, size):
            self.endpoint = fleet.Endpoint(name, 7000)
            self.size, self.offset = size, offset
            self.modems = {offset + i: (i, f"imei{offset + i}") for i in range(size)}

    processes = [Fake("10.0.0.1", 0, 40), Fake("10.0.0.2", 40, 40), Fake("10.0.0.3", 80, 20)]
    plan = fleet.Plan(processes, 0.25, 11, 3000)
    assert plan.total == 100 and len(plan.chosen) == 25 and plan.chosen == fleet.choose(range(100), 0.25, 11)
    times = fleet.schedule(plan.chosen, 3000)
    for p in processes:
        for position, after, index in plan.parts[p.endpoint]:
            assert index in p.modems and p.modems[index][0] == position and after == times[index]
    assert sum(len(part) for part in plan.parts.values()) == 25
