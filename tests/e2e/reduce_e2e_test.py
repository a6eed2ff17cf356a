"""End-to-end, nt35e-reduce (issue 17, item 4): a ten-minute scenario full of events
(link drops, slow answers, commands published, timed messages, a signal change) makes a
deliberately buggy driver (reduce_buggy_driver.py: it crashes on a command payload that is
not JSON) fail once, at 9 minutes; the reducer, with the real nt35e-sim and the driver on
a real PTY, at --time-scale 0.005, shrinks it to the one event that matters and the result
still fails. The same driver that never subscribes again after a link loss, judged by the
oracle's finding NT35E-ECMT-NO-RESUBSCRIBE: the drop is the one event kept. Then every
bad input: one sentence and exit status 2, and a scenario that does not fail: exit
status 1, nothing written.

    reduce_e2e_test.py --sim NT35E-SIM --reduce TOOLS/nt35e-reduce [CASE...]

Cases: shrink, finding, bad_input (all when none is named). Standard library only.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simulator import Failure, check, run_case  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER = [sys.executable, os.path.join(HERE, "reduce_buggy_driver.py"), "{pty}"]
SCALE = "0.005"  # ten simulated minutes in three seconds
POISON = "reboot now"


def deliver(at, payload, topic="cmd/led"):
    return {"at": at, "then": [{"action": "deliver", "id": 0, "topic": topic, "payload": payload, "qos": 1}]}


def ten_minutes():
    """The recorded failure: 22 events over ten minutes, one of them the poison at 9 min."""
    rules = [deliver(f"{4 * 60 + 25 * i}s", json.dumps({"led": i % 2})) for i in range(10)]
    rules += [{"name": f"drop {t}", "at": t, "then": [{"action": "drop_link", "id": 0}]}
              for t in ("310s", "400s", "500s", "585s")]
    rules += [
        {"name": "slow publish", "on_command": "+ECMTPUB=*", "occurrence": 2,
         "then": [{"action": "delay_response", "by": "2s"}]},
        {"name": "slower publish", "on_command": "+ECMTPUB=*", "occurrence": 5,
         "then": [{"action": "delay_response", "by": "5s"}]},
        {"name": "weak signal", "at": "7m", "then": [{"action": "set_signal", "rssi": 6},
                                                      {"action": "set_signal", "rssi": 9}]},
        {"name": "strong signal", "at": "8m", "then": [{"action": "set_signal", "rssi": 25}]},
        {"name": "poison", **deliver("9m", POISON)},
        deliver("570s", json.dumps({"led": 1})),
    ]
    return {
        "name": "ten-minute-field-failure",
        "description": "a recorded ten minutes of a device in the field that ended in a crash",
        "settings": {"timing.boot": "200"},
        "broker": {"messages": [
            {"at": "6m", "topic": "cmd/cfg", "payload": json.dumps({"interval": 30}), "count": 3, "every": "20s"},
            {"at": "450s", "topic": "news", "payload": "unrelated", "count": 2, "every": "5s"}]},
        "rules": rules,
    }


def reduce(args, work, *options, timeout=240):
    began = time.monotonic()
    done = subprocess.run([args.reduce, "--sim", args.sim, *options], capture_output=True, timeout=timeout,
                          cwd=work)
    return done.returncode, done.stdout.decode(), done.stderr.decode(), time.monotonic() - began


def events(scenario):
    return len(scenario.get("rules", [])) + sum(len(scenario.get("broker", {}).get(k, []))
                                                for k in ("messages", "replies", "retained"))


def still_fails(args, work, path):
    """The reduced scenario on its own, with the driver: the driver crashes (status 1)."""
    sim = subprocess.Popen([args.sim, "--pty", os.path.join(work, "check-tty"), "--scenario", path,
                            "--time-scale", SCALE], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
    try:
        ready = sim.stdout.readline().decode()
        check(ready.startswith("ready: "), f"nt35e-sim said {ready!r}")
        link = ready.split()[ready.split().index("link") + 1]
        driver = subprocess.run([sys.executable, DRIVER[1], link], capture_output=True, timeout=30,
                                env=dict(os.environ, NT35E_TIME_SCALE=SCALE))
        check(driver.returncode == 1 and b"JSONDecodeError" in driver.stderr,
              f"the reduced scenario did not make the driver crash: {driver.returncode} {driver.stderr[-400:]!r}")
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def shrink(args):
    with tempfile.TemporaryDirectory(prefix="nt35e-reduce-e2e-") as work:
        original = os.path.join(work, "field.json")
        with open(original, "w") as f:
            json.dump(ten_minutes(), f, indent=2)
        check(events(ten_minutes()) == 22, "the original has 20 rules and 2 timed messages")
        status, out, err, took = reduce(args, work, "--exit-status", "1", "--time-scale", SCALE, "--settle", "1s",
                                        "--trial-timeout", "20s", "--budget", "150s", original, "--", *DRIVER)
        check(status == 0, f"nt35e-reduce exit status {status}:\n{out}\n{err}")
        result_path = os.path.join(work, "field.min.json")
        with open(result_path) as f:
            result = json.load(f)
        print(out)
        # A few events, and the one that matters among them; the unrelated ones gone.
        check(events(result) <= 2, f"{events(result)} events left:\n{json.dumps(result, indent=2)}")
        actions = [a for rule in result.get("rules", []) for a in rule["then"]]
        check(any(a["action"] == "deliver" and not a.get("payload", "").startswith("{") for a in actions),
              f"the poison is gone:\n{json.dumps(result, indent=2)}")
        for gone in ("drop_link", "delay_response", "set_signal"):
            check(all(a["action"] != gone for a in actions), f"{gone} is still there")
        check(not result.get("broker", {}).get("messages"), "the timed messages are still there")
        # Waits shortened, payload cut: the poison comes well before 9 minutes, and its
        # payload is at most what it was.
        poison = next(rule for rule in result["rules"] if rule["then"][0]["action"] == "deliver")
        check(poison["at"] != "9m", f"the poison still comes at {poison['at']}")
        check(len(poison["then"][0].get("payload", "")) < len(POISON), "the payload was not cut")
        # The steps were printed, and the whole took well under the budget.
        for text in ("criterion: the driver exits with status 1", "the original fails: driver exit status 1",
                     "events   keeping 1 of 22 events: rules[18] (poison) -> still fails", "-> passes (not taken)", "waits    rules[0].at",
                     "payloads ", "confirm  the result once more -> still fails", "smallest: ", "wrote "):
            check(text in out, f"no {text!r} in the output:\n{out}")
        check(took < 150, f"the reduction took {took:.0f} s")
        still_fails(args, work, result_path)
        print(f"reduced 22 events to {events(result)} in {took:.1f} s")


def finding(args):
    """The oracle's finding as the criterion: of six events, the link drop is the one that
    makes the driver that never subscribes again break NT35E-ECMT-NO-RESUBSCRIBE."""
    scenario = {"rules": [deliver("10s", "{}"), {"name": "weak signal", "at": "15s",
                                                  "then": [{"action": "set_signal", "rssi": 6}]},
                          deliver("20s", "{}"), {"name": "drop", "at": "25s", "then": [{"action": "drop_link"}]},
                          deliver("35s", "{}")],
                "broker": {"messages": [{"at": "30s", "topic": "news", "payload": "x"}]}}
    with tempfile.TemporaryDirectory(prefix="nt35e-reduce-e2e-") as work:
        original = os.path.join(work, "drop.json")
        with open(original, "w") as f:
            json.dump(scenario, f)
        status, out, err, took = reduce(
            args, work, "--finding", "NT35E-ECMT-NO-RESUBSCRIBE", "--time-scale", "0.05", "--settle", "3s",
            "--sim-arg=--oracle-set", "--sim-arg=NT35E-ECMT-NO-RESUBSCRIBE.within_s=1", "--budget", "100s",
            "-o", "small.json", original, "--", *DRIVER, "--never-resubscribe")
        check(status == 0, f"nt35e-reduce exit status {status}:\n{out}\n{err}")
        print(out)
        with open(os.path.join(work, "small.json")) as f:
            result = json.load(f)
        check("criterion: the oracle finds NT35E-ECMT-NO-RESUBSCRIBE" in out, out)
        first = next(line for line in out.splitlines() if line.startswith("the original fails: "))
        check(first.startswith("the original fails: driver stopped (settled); findings ") and
              "NT35E-ECMT-NO-RESUBSCRIBE" in first, out)
        check(events(result) == 1 and result["rules"][0]["then"] == [{"action": "drop_link"}],
              f"not just the drop:\n{json.dumps(result, indent=2)}")
        print(f"reduced 6 events to the drop in {took:.1f} s")


def bad_input(args):
    with tempfile.TemporaryDirectory(prefix="nt35e-reduce-e2e-") as work:
        good = os.path.join(work, "good.json")
        with open(good, "w") as f:
            json.dump({"rules": [deliver("1s", "{}")]}, f)
        invalid = os.path.join(work, "invalid.json")
        with open(invalid, "w") as f:
            f.write('{"rules": [{"at": "10", "then": [{"action": "drop_link"}]}]}')
        not_json = os.path.join(work, "not.json")
        with open(not_json, "w") as f:
            f.write("{nope")
        cases = [
            ([good, "--", *DRIVER], "give one criterion: --finding RULE-ID, --unmet NAME or --exit-status"),
            (["--finding", "X", "--exit-status", "1", good, "--", *DRIVER], "give one criterion"),
            (["--exit-status", "300", good, "--", *DRIVER], "--exit-status takes 0 to 255 or nonzero, not '300'"),
            (["--exit-status", "1", good], "give the driver command after --"),
            (["--exit-status", "1", "--", *DRIVER], "give the scenario to reduce"),
            (["--exit-status", "1", "--budget", "soon", good, "--", *DRIVER], "--budget takes a time such as 90s"),
            (["--exit-status", "1", "--settle", "0s", good, "--", *DRIVER], "--settle must be more than 0"),
            (["--exit-status", "1", "--time-scale", "0", good, "--", *DRIVER], "--time-scale takes a number above 0"),
            (["--exit-status", "1", "--frobnicate", good, "--", *DRIVER], "nrecognized arguments: --frobnicate"),
            (["--exit-status", "1", os.path.join(work, "missing.json"), "--", *DRIVER],
             "missing.json: cannot read the scenario: No such file or directory"),
            (["--exit-status", "1", not_json, "--", *DRIVER], "not.json: not JSON"),
            (["--exit-status", "1", invalid, "--", *DRIVER], "invalid.json: the scenario is not valid"),
            (["--exit-status", "1", "--time-scale", SCALE, good, "--", os.path.join(work, "no-such-driver")],
             "the driver command cannot start"),
        ]
        for options, sentence in cases:
            status, out, err, _ = reduce(args, work, *options, timeout=60)
            check(status == 2, f"{options}: exit status {status}, not 2:\n{out}\n{err}")
            check(sentence in err, f"{options}: no {sentence!r} in:\n{err}")
            check("Traceback" not in err, f"{options}: a traceback:\n{err}")
        # The validator's own words come first for an invalid scenario.
        _, _, err, _ = reduce(args, work, "--exit-status", "1", invalid, "--", *DRIVER)
        check("/rules/0/at" in err, f"the validator's JSON path is not shown:\n{err}")
        # A scenario the driver survives: exit status 1, nothing written.
        status, out, err, _ = reduce(args, work, "--exit-status", "1", "--time-scale", SCALE, "--settle", "1s", good,
                                     "--", *DRIVER, timeout=60)
        check(status == 1, f"a scenario that does not fail: exit status {status}:\n{out}\n{err}")
        check("the original does not fail: driver stopped (settled)" in out, out)
        check(not os.path.exists(os.path.join(work, "good.min.json")), "something was written")


CASES = {"shrink": shrink, "finding": finding, "bad_input": bad_input}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sim", required=True)
    p.add_argument("--reduce", required=True)
    p.add_argument("cases", nargs="*")
    args = p.parse_args()
    args.sim, args.reduce = os.path.abspath(args.sim), os.path.abspath(args.reduce)
    failed = 0
    for name in args.cases or CASES:
        failed += run_case(name, CASES[name], args)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
