"""nt35e.reduce, the reduction without processes: ddmin, the scenario's parts, each pass,
the budget, the cache, the validator and the final confirmation, on fake predicates and
a fake clock."""

import itertools

import pytest

from nt35e import reduce as r


# --- ddmin -------------------------------------------------------------------------------

def counting(predicate):
    calls = []

    def fails(items):
        calls.append(list(items))
        return predicate(set(items))

    fails.calls = calls
    return fails


@pytest.mark.parametrize("n,needed", [(1, {0}), (8, {5}), (24, {3, 17}), (30, {0, 29}), (17, {4, 5, 6})])
def test_ddmin_finds_exactly_the_needed_items(n, needed):
    fails = counting(lambda kept: needed <= kept)
    assert r.ddmin(list(range(n)), fails) == sorted(needed)
    # Far fewer tries than subsets: one item needed costs about 2 log2(n), more stay
    # within a few times n each.
    if len(needed) == 1:
        assert len(fails.calls) <= 2 * n.bit_length() + 3
    else:
        assert len(fails.calls) <= 2 * len(needed) * n


def test_ddmin_result_is_one_minimal_for_an_either_or_failure():
    # Fails when (1 and 2) or 7 are there: any 1-minimal answer will do, and it is one.
    def fails(kept):
        kept = set(kept)
        return {1, 2} <= kept or 7 in kept

    got = r.ddmin(list(range(10)), fails)
    assert fails(got)
    for i in range(len(got)):
        assert not fails(got[:i] + got[i + 1:])


def test_ddmin_empty_when_nothing_is_needed_and_keeps_order():
    assert r.ddmin([5, 4, 3], lambda kept: True) == []
    assert r.ddmin([], lambda kept: True) == []
    assert r.ddmin(["c", "a", "b"], lambda kept: {"c", "b"} <= set(kept)) == ["c", "b"]


def test_split_gives_n_nonempty_consecutive_parts():
    for n_items, n in itertools.product(range(1, 12), range(1, 14)):
        parts = r.split(list(range(n_items)), n)
        assert [x for p in parts for x in p] == list(range(n_items))
        assert all(parts) and len(parts) == min(n, n_items)


# --- the scenario's parts ------------------------------------------------------------------

SCENARIO = {
    "name": "ten minutes",
    "broker": {"delays": {"connack": "2s", "ack": "150ms"},
               "messages": [{"at": "6m", "topic": "cmd/cfg", "payload": "{\"interval\":5}", "count": 3,
                             "every": "10s"}],
               "retained": [{"topic": "cfg", "payload": "x"}]},
    "network": {"rssi": 20, "registration_delay": "3s"},
    "rules": [
        {"name": "drop", "at": "1m", "then": [{"action": "drop_link", "id": 0}]},
        {"at": "9m", "then": [{"action": "deliver", "topic": "cmd/led", "payload": "reboot!"},
                              {"action": "set_signal", "rssi": 5}]},
        {"on_command": "+CSQ", "then": [{"action": "delay_response", "by": "3s"}]},
    ],
    "expect": [{"name": "connects", "kind": "connect", "within": "30s"}],
    "oracle": {"set": {"NT35E-ECMT-NO-RECOVERY.within_s": 120}},
}


def test_events_actions_times_and_texts_of_a_scenario():
    assert r.events_of(SCENARIO) == [("rules", 0), ("rules", 1), ("rules", 2), ("broker", "retained", 0),
                                     ("broker", "messages", 0)]
    assert r.actions_of(SCENARIO) == [("rules", 0, "then", 0), ("rules", 1, "then", 0), ("rules", 1, "then", 1),
                                      ("rules", 2, "then", 0)]
    # expect's "within" and oracle are never touched; network's registration_delay is a wait.
    assert r.times_of(SCENARIO) == [
        (("broker", "delays", "connack"), 2000), (("broker", "delays", "ack"), 150),
        (("broker", "messages", 0, "at"), 360000), (("broker", "messages", 0, "every"), 10000),
        (("network", "registration_delay"), 3000),
        (("rules", 0, "at"), 60000), (("rules", 1, "at"), 540000), (("rules", 2, "then", 0, "by"), 3000)]
    assert r.texts_of(SCENARIO) == [
        (("broker", "messages", 0, "payload"), "{\"interval\":5}"), (("broker", "messages", 0, "count"), 3),
        (("broker", "retained", 0, "payload"), "x"), (("rules", 1, "then", 0, "payload"), "reboot!")]


def test_without_and_replaced_copy_and_leave_the_original():
    cut = r.without(SCENARIO, [("rules", 0), ("rules", 2), ("broker", "messages", 0)])
    assert [rule.get("at") for rule in cut["rules"]] == ["9m"]
    assert cut["broker"]["messages"] == [] and cut["expect"] == SCENARIO["expect"]
    assert len(SCENARIO["rules"]) == 3
    shorter = r.replaced(SCENARIO, ("rules", 1, "at"), "4m")
    assert shorter["rules"][1]["at"] == "4m" and SCENARIO["rules"][1]["at"] == "9m"


def test_times_read_and_write_as_the_scenario_format_has_them():
    assert [r.time_ms(t) for t in ("250ms", "3s", "1.5s", "2m", "1h", "0s")] == [250, 3000, 1500, 120000,
                                                                                 3600000, 0]
    assert [r.time_ms(t) for t in ("250", 250, "3 s", "1us", None)] == [None] * 5
    assert [r.time_text(ms) for ms in (0, 1500, 90000, 7)] == ["0s", "1500ms", "90s", "7ms"]
    assert r.shorter_time(540000) == [0, 270000] and r.shorter_time(1) == [0] and r.shorter_time(0) == []
    assert r.shorter("reboot!") == ["", "reb"] and r.shorter("x") == [""] and r.shorter("") == []
    assert r.shorter(3) == [1] and r.shorter(1000) == [1, 500] and r.shorter(1) == []


def test_events_are_described_by_name_or_trigger():
    assert r.describe_event(SCENARIO, ("rules", 0)) == "rules[0] (drop)"
    assert r.describe_event(SCENARIO, ("rules", 1)) == "rules[1] (at 9m)"
    assert r.describe_event(SCENARIO, ("broker", "messages", 0)) == "broker.messages[0] (at 6m)"
    assert r.path_text(("rules", 3, "then", 0)) == "rules[3].then[0]"


# --- the reducer ---------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def poison_fails(clock, seconds_per_trial=1.0, needs_at_least_ms=120000):
    """A driver that crashes when a deliver of a non-JSON payload comes at or after 2 min
    (before that it is not subscribed yet)."""
    runs = []

    def fails(scenario):
        clock.now += seconds_per_trial
        runs.append(scenario)
        for rule in scenario.get("rules", []):
            for action in rule.get("then", []):
                if action.get("action") == "deliver" and not action.get("payload", "").startswith("{"):
                    if (r.time_ms(rule.get("at", "0s")) or 0) >= needs_at_least_ms:
                        return True
        return False

    fails.runs = runs
    return fails


def valid(scenario):
    for rule in scenario.get("rules", []):
        if not rule.get("then"):
            return "a rule needs at least one action"
    return None


def test_reducer_keeps_the_one_event_and_action_that_matter_and_shortens_them():
    clock = FakeClock()
    fails = poison_fails(clock)
    steps = []
    red = r.Reducer(SCENARIO, fails, valid, clock, budget=1000, log=steps.append)
    best = red.run()
    assert best["rules"] == [{"at": "135s", "then": [{"action": "deliver", "topic": "cmd/led", "payload": ""}]}]
    assert best["broker"] == {"delays": {"connack": "0s", "ack": "0s"}, "messages": [], "retained": []}
    assert best["network"] == {"rssi": 20, "registration_delay": "0s"}
    assert best["expect"] == SCENARIO["expect"] and best["oracle"] == SCENARIO["oracle"]
    assert red.confirmed and not red.out_of_budget
    # Every step is logged with its pass, what it tried and what came of it.
    assert {s["pass"] for s in steps} == {"events", "actions", "waits", "payloads", "confirm"}
    assert all(s["result"] in ("fails", "passes", "invalid", "known-fails", "known-passes") for s in steps)
    assert {"pass": "events", "what": "keeping 1 of 5 events: rules[0] (drop)", "result": "passes"}.items() <= \
        steps[2].items()
    assert steps[3]["what"] == "keeping 1 of 5 events: rules[1] (at 9m)" and steps[3]["result"] == "fails"
    assert any(s["what"] == "without 1 of 2 actions: rules[0].then[1]" and s["result"] == "fails" for s in steps)
    assert any(s["what"] == "rules[0].at 540s -> 270s" and s["result"] == "fails" for s in steps)
    assert steps[-1] == {"pass": "confirm", "what": "the result once more", "result": "fails", "seconds": 1.0,
                         "elapsed": clock.now, "size": r.size_of(best)}
    # The cache: no candidate ran twice (the confirmation aside).
    keys = [r.canonical(s) for s in fails.runs[:-1]]
    assert len(keys) == len(set(keys))


def test_invalid_candidates_are_never_run():
    clock = FakeClock()
    fails = poison_fails(clock)
    steps = []
    r.Reducer(SCENARIO, fails, valid, clock, budget=1000, log=steps.append).run()
    invalid = [s for s in steps if s["result"] == "invalid"]
    assert invalid and all(s["why"] == "a rule needs at least one action" and s["seconds"] == 0 for s in invalid)
    assert all(valid(s) is None for s in fails.runs)


def test_the_budget_stops_the_reduction_with_the_best_so_far_and_room_to_confirm():
    clock = FakeClock()
    fails = poison_fails(clock, seconds_per_trial=10)
    red = r.Reducer(SCENARIO, fails, valid, clock, budget=75, log=lambda s: None)
    red.longest = 10
    best = red.run()
    assert red.out_of_budget
    assert clock.now <= 75 + 10  # the trials before the stop, and the confirmation
    assert fails(best) and len(r.events_of(best)) < len(r.events_of(SCENARIO))


def test_a_result_that_does_not_fail_again_gives_way_to_an_earlier_one():
    clock = FakeClock()
    inner = poison_fails(clock)
    flaky = {"on": False}

    def fails(scenario):
        # Once the reduction is over, the shortest `at` no longer reproduces (timing at the edge).
        if flaky["on"] and scenario["rules"] and scenario["rules"][0].get("at") == "135s":
            clock.now += 1
            return False
        return inner(scenario)

    steps = []
    red = r.Reducer(SCENARIO, fails, valid, clock, budget=1000, log=steps.append)
    orig_confirm = red._confirm

    def confirm(tries=3):
        flaky["on"] = True
        orig_confirm(tries)

    red._confirm = confirm
    best = red.run()
    assert not red.confirmed
    assert best["rules"][0]["at"] != "135s" and inner(best)
    assert [s["result"] for s in steps if s["pass"] == "confirm"][:1] == ["passes"]


def test_nothing_to_reduce_spends_no_trial():
    clock = FakeClock()
    calls = []
    red = r.Reducer({"name": "x", "expect": [{"name": "c", "kind": "connect", "within": "30s"}]},
                    lambda s: calls.append(s) or True, valid, clock, budget=10)
    assert red.run()["name"] == "x"
    assert calls == [] and red.confirmed and red.trials == 0


# --- the command line's pure parts ------------------------------------------------------------

def test_criteria_read_the_verdict_and_the_drivers_exit():
    from nt35e.reduce_cli import Criterion, Trial

    trial = Trial()
    trial.verdict = {"modems": [{"findings": [{"rule": "NT35E-ECMT-NO-RESUBSCRIBE"}],
                                 "expectations": [{"name": "back", "result": "unmet"},
                                                  {"name": "subscribed", "result": "met"}]}]}
    assert Criterion("finding", "NT35E-ECMT-NO-RESUBSCRIBE").holds(trial)
    assert not Criterion("finding", "NT35E-AT-PAUSE").holds(trial)
    assert Criterion("unmet", "back").holds(trial) and not Criterion("unmet", "subscribed").holds(trial)
    assert not Criterion("exit", "nonzero").holds(trial)  # stopped by the reducer: not its own exit
    trial.exited, trial.status = True, 1
    assert Criterion("exit", "nonzero").holds(trial) and Criterion("exit", "1").holds(trial)
    assert not Criterion("exit", "3").holds(trial)
    trial.status = -11  # killed by a signal of its own doing
    assert Criterion("exit", "nonzero").holds(trial)
    none = Trial()  # no verdict file
    assert not Criterion("finding", "X").holds(none) and not Criterion("unmet", "back").holds(none)


def test_a_trial_lasts_until_the_last_timed_event():
    from nt35e.reduce_cli import timeline_end

    assert timeline_end(SCENARIO) == 540 + 0  # rules[1] at 9m; messages end at 6m + 2 x 10 s
    assert timeline_end({"rules": [{"at": "10s", "after": "5s", "then": []}, {"on_command": "+CSQ"}]}) == 15
    assert timeline_end({"broker": {"messages": [{"at": "1m", "count": 1000, "every": "1s"}]}}) == 60 + 999
    assert timeline_end({"fleet_events": [{"at": "20s", "stagger": "5s"}],
                         "modems": [{"rules": [{"at": "30s"}]}]}) == 30
    assert timeline_end({}) == 0


def test_driver_arguments_get_the_placeholders():
    from nt35e.reduce_cli import fill

    values = {"pty": "/tmp/x/tty", "port": "", "scenario": "/tmp/x/s.json"}
    assert fill("--device={pty}", values) == "--device=/tmp/x/tty"
    assert fill("{scenario}", values) == "/tmp/x/s.json"
    assert fill("{other} {pty}", values) == "{other} /tmp/x/tty"
