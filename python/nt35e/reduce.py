"""The smallest scenario that still makes a driver fail: the reduction itself (issue 17,
item 4), without any process, file or clock of its own.

A Reducer is given a scenario (the parsed JSON), a predicate `fails(candidate)` that
runs the driver against a candidate scenario and says whether the failure came back,
a validator `check(candidate)` (None when valid, else why not), a clock and a budget.
It shrinks the scenario in passes, each keeping only the candidates that still fail:

1. events: ddmin (Zeller and Hildebrandt's delta debugging) over every rule, fleet
   event, per-modem override and broker script entry (retained messages, replies,
   timed messages) at once;
2. actions: ddmin over the actions (`then`) of the rules that are left;
3. waits: every time (`at`, `after`, `by`, `for`, `every`, `stagger`, the broker's
   delays, the registration delay) tried at 0, then halved while the failure stays;
4. payloads: every payload and text cut to nothing, then halved; every message count
   to 1, then halved;

and goes round again while a pass took something away. The scenario's `expect` and
`oracle` sections are never touched (the criterion may be one of them), and neither are
its settings, network and credentials. Every candidate is checked by `check` (the
project's one validator, `nt35e-sim --check-scenario`) before it is tried; one that is
not valid counts as not failing, without a run.

The smallest failing candidate so far is always at hand (`best`), so running out of
budget still gives a result; room for one more trial is kept for the end, where the
result is tried once more. A result that no longer fails (a failure that depends on
timing at the edge) gives way to the last earlier candidate that fails again (at most
three runs; then the original).

nt35e.reduce_cli runs the trials (nt35e-sim and the driver) and is the command line.
"""

import copy
import json
import re

# Lists whose entries are the scenario's events, by their path from the top.
EVENT_LISTS = [("rules",), ("fleet_events",), ("modems",), ("broker", "retained"), ("broker", "replies"),
               ("broker", "messages")]
# Keys holding times (scenarios/README.md, "Times"), wherever they are.
TIME_KEYS = {"at", "after", "by", "for", "every", "stagger", "registration_delay"}
# Keys holding bytes a candidate may cut.
TEXT_KEYS = {"payload", "text", "hex"}
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


class OutOfBudget(Exception):
    """The time budget is spent: the reduction stops with what it has."""


# --- ddmin -------------------------------------------------------------------------------

def split(items, n):
    """`items` in `n` nearly equal consecutive parts (none empty)."""
    n = min(n, len(items))
    parts, start = [], 0
    for i in range(n):
        end = start + (len(items) - start) // (n - i)
        parts.append(items[start:end])
        start = end
    return parts


def ddmin(items, fails):
    """The 1-minimal sublist of `items` (order kept) for which `fails` holds: removing any
    one of its entries makes the failure go. `fails(items)` is taken to hold already.
    Tries the empty list first (the failure may need none of them)."""
    current = list(items)
    if not current or fails([]):
        return []
    n = 2
    while len(current) >= 2:
        parts = split(current, n)
        for part in parts:  # one part alone
            if len(part) < len(current) and fails(part):
                current, n = part, 2
                break
        else:
            for i in range(len(parts)):  # all but one part
                rest = [x for j, p in enumerate(parts) if j != i for x in p]
                if len(parts) > 2 and fails(rest):
                    current, n = rest, max(n - 1, 2)
                    break
            else:
                if n >= len(current):
                    break
                n = min(len(current), 2 * n)
    return current


# --- the scenario's parts ------------------------------------------------------------------

def get_path(doc, path):
    for key in path:
        if isinstance(doc, dict):
            doc = doc.get(key)
        elif isinstance(doc, list) and isinstance(key, int) and key < len(doc):
            doc = doc[key]
        else:
            return None
    return doc


def events_of(scenario):
    """The paths of the scenario's events, ("rules", 3), ("broker", "messages", 0), in order."""
    out = []
    for path in EVENT_LISTS:
        entries = get_path(scenario, path)
        if isinstance(entries, list):
            out += [path + (i,) for i in range(len(entries))]
    return out


def actions_of(scenario):
    """The paths of the actions of its rules, ("rules", 0, "then", 1)."""
    out = []
    for i, rule in enumerate(scenario.get("rules") or []):
        if isinstance(rule, dict) and isinstance(rule.get("then"), list):
            out += [("rules", i, "then", j) for j in range(len(rule["then"]))]
    return out


def without(scenario, removed):
    """A copy of `scenario` without the list entries at the paths in `removed`."""
    out = copy.deepcopy(scenario)
    by_list = {}
    for path in removed:
        by_list.setdefault(path[:-1], []).append(path[-1])
    for list_path, indices in by_list.items():
        entries = get_path(out, list_path)
        for i in sorted(set(indices), reverse=True):
            del entries[i]
    return out


def replaced(scenario, path, value):
    """A copy of `scenario` with the value at `path` replaced."""
    out = copy.deepcopy(scenario)
    get_path(out, path[:-1])[path[-1]] = value
    return out


def walk(doc, path=()):
    """(path, value) of every value below `doc`, depth first in document order."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield path + (key,), value
            yield from walk(value, path + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield path + (i,), value
            yield from walk(value, path + (i,))


def untouchable(path):
    return path[:1] in (("expect",), ("oracle",), ("settings",), ("network",)) and path[:2] != (
        "network", "registration_delay")


def time_ms(text):
    """A scenario time ("1.5s") in milliseconds, or None when it is not one."""
    m = _TIME.match(text) if isinstance(text, str) else None
    return None if m is None else round(float(m.group(1)) * _UNIT_MS[m.group(2)])


def time_text(ms):
    """Milliseconds as a scenario time: "90s", "1500ms", "0s"."""
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def times_of(scenario):
    """(path, milliseconds) of every time the pass "waits" may shorten."""
    out = []
    for path, value in walk(scenario):
        if untouchable(path) or not isinstance(path[-1], str):
            continue
        in_delays = path[:2] == ("broker", "delays") and len(path) == 3
        if (path[-1] in TIME_KEYS or in_delays) and time_ms(value) is not None:
            out.append((path, time_ms(value)))
    return out


def texts_of(scenario):
    """(path, value) of every payload and text the pass "payloads" may cut, and of every
    message count above 1."""
    out = []
    for path, value in walk(scenario):
        if untouchable(path) or not isinstance(path[-1], str):
            continue
        if path[-1] in TEXT_KEYS and isinstance(value, str) and value:
            out.append((path, value))
        elif path[-1] == "count" and isinstance(value, int) and not isinstance(value, bool) and value > 1:
            out.append((path, value))
    return out


def shorter(value):
    """The candidates for a value, smallest first: a string "" then its first half (whole
    hex bytes for hex), a count 1 then its half."""
    if isinstance(value, int):
        return [c for c in dict.fromkeys([1, value // 2]) if 1 <= c < value]
    if isinstance(value, str):
        half = value[:len(value) // 2]
        return [c for c in dict.fromkeys(["", half]) if c != value]
    return []


def shorter_time(ms):
    """The candidates for a time in milliseconds, smallest first: 0, then its half."""
    return [c for c in dict.fromkeys([0, ms // 2]) if c < ms]


def path_text(path):
    """("rules", 3, "then", 0) -> "rules[3].then[0]"."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def describe_event(scenario, path):
    """A person's name for an event: rules[3] "poison at 9m" (its name, or its trigger)."""
    entry = get_path(scenario, path)
    label = ""
    if isinstance(entry, dict):
        if entry.get("name"):
            label = str(entry["name"])
        else:
            for key in ("at", "on_command", "on_command_regex", "on_urc", "on_urc_regex", "on_mqtt", "on_publish",
                        "action", "topic"):
                if key in entry:
                    label = f"{key} {entry[key]}"
                    break
    return path_text(path) + (f" ({label})" if label else "")


def names_text(names, limit=4):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def size_of(scenario):
    """How big a scenario is, for the summary: events, actions, total time of its times."""
    return {"events": len(events_of(scenario)), "actions": len(actions_of(scenario)),
            "bytes": len(canonical(scenario))}


def canonical(scenario):
    return json.dumps(scenario, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- the reducer ---------------------------------------------------------------------------

class Reducer:
    """Shrinks `scenario` while `fails` holds (see the module's text).

    fails(candidate) -> bool: runs a trial (the expensive part); may raise OutOfBudget.
    check(candidate) -> None or a sentence: the validator.
    clock() -> seconds (monotonic); budget: seconds the whole reduction may take.
    log(record): called once per step with a dict: "pass", "what" (the change tried),
    "result" ("fails", "passes", "invalid", "known"), "why" (for invalid), "seconds"
    (of the trial), "elapsed" (since the start), "size" (of the best so far).
    """

    def __init__(self, scenario, fails, check, clock, budget, log=lambda record: None, max_rounds=4):
        self.original = copy.deepcopy(scenario)
        self.best = copy.deepcopy(scenario)
        self.history = [self.best]  # every accepted candidate, oldest first
        self._fails, self._check, self._clock, self._log = fails, check, clock, log
        self.budget = budget
        self.start = clock()
        self.max_rounds = max_rounds
        self.known = {canonical(scenario): True}
        self.trials = 0
        self.longest = 0.0  # the longest trial so far, in seconds
        self.out_of_budget = False
        self.confirmed = None  # the final re-run: True, or False when it had to step back

    def elapsed(self):
        return self._clock() - self.start

    def remaining(self):
        return self.budget - self.elapsed()

    def _try(self, pass_name, what, candidate):
        """Whether `candidate` still fails (cached); the step is logged."""
        key = canonical(candidate)
        record = {"pass": pass_name, "what": what, "seconds": 0.0}
        if key in self.known:
            result = self.known[key]
            record["result"] = "known-fails" if result else "known-passes"
        else:
            why = self._check(candidate)
            if why:
                self.known[key] = result = False
                record.update(result="invalid", why=why)
            else:
                # Room is kept for the final confirmation: a trial as long as the longest so far.
                if self.remaining() <= self.longest:
                    raise OutOfBudget()
                began = self._clock()
                result = bool(self._fails(candidate))
                self.trials += 1
                self.known[key] = result
                seconds = self._clock() - began
                self.longest = max(self.longest, seconds)
                record.update(result="fails" if result else "passes", seconds=seconds)
        if result:
            self.best = candidate
            self.history.append(candidate)
        record.update(elapsed=self.elapsed(), size=size_of(self.best))
        self._log(record)
        return result

    def _ddmin_pass(self, pass_name, units_of, noun):
        base = self.best
        units = units_of(base)
        if not units:
            return False

        def fails(kept):
            kept_set = set(kept)
            removed = [u for u in units if u not in kept_set]
            name = (lambda u: describe_event(base, u)) if noun == "events" else path_text
            # Whichever list is shorter says it: what is kept, or what is taken away.
            if len(kept) < len(removed):
                what = f"keeping {len(kept)} of {len(units)} {noun}" + (
                    f": {names_text([name(u) for u in kept])}" if kept else "")
            else:
                what = f"without {len(removed)} of {len(units)} {noun}: {names_text([name(u) for u in removed])}"
            return self._try(pass_name, what, without(base, removed))

        kept = ddmin(units, fails)
        return len(kept) < len(units)

    def _shorten_pass(self, pass_name, values_of, candidates_of, encode, show):
        """Each value in turn: its candidates tried smallest first; the first that still
        fails is taken, and the value is tried again from there."""
        changed = False
        # Paths stay valid: this pass replaces values and removes nothing.
        for path, value in values_of(self.best):
            progress = True
            while progress:
                progress = False
                for candidate in candidates_of(value):
                    what = f"{path_text(path)} {show(value)} -> {show(candidate)}"
                    if self._try(pass_name, what, replaced(self.best, path, encode(candidate))):
                        value, changed, progress = candidate, True, True
                        break
        return changed

    def run(self):
        """Reduces; returns the smallest failing scenario found (also `best`)."""
        try:
            for _ in range(self.max_rounds):
                changed = self._ddmin_pass("events", events_of, "events")
                changed |= self._ddmin_pass("actions", actions_of, "actions")
                changed |= self._shorten_pass("waits", times_of, shorter_time, time_text, time_text)
                changed |= self._shorten_pass("payloads", texts_of, shorter, lambda v: v,
                                              lambda v: json.dumps(v, ensure_ascii=False))
                if not changed:
                    break
        except OutOfBudget:
            self.out_of_budget = True
        self._confirm()
        return self.best

    def _confirm(self, tries=3):
        """Runs the result again, past the cache; steps back through the accepted
        candidates (at most `tries` runs in all) until one fails again, else falls back to
        the original. Spends no trial when nothing was reduced."""
        self.confirmed = True
        if len(self.history) == 1:
            return
        for candidate in list(reversed(self.history[1:]))[:tries]:
            began = self._clock()
            result = bool(self._fails(candidate))
            self.trials += 1
            self._log({"pass": "confirm", "what": "the result once more" if candidate is self.history[-1]
                       else "an earlier candidate", "result": "fails" if result else "passes",
                       "seconds": self._clock() - began, "elapsed": self.elapsed(), "size": size_of(candidate)})
            if result:
                self.best = candidate
                return
            self.confirmed = False
        self.best = self.history[0]
