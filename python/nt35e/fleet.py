"""Fleet-wide control: one event across many nt35e-sim processes (nt35e-ctl fleet-fire).

Each process runs `--fleet N --fleet-offset K` and knows its modems' global indices and
IMEIs ({"query": "fleet"}). The controller asks every process, checks that no global
index or IMEI is held twice, and chooses the modems from the whole fleet:

* rank every global index i by SHA-256(b"nt35e-fleet" | seed | i) (seed and i as 8-byte
  big-endian numbers; ties by index), and take the first round(fraction x total);
* they fire in that rank order, spread evenly over the stagger: the one ranked p of m
  after floor(p x stagger / (m - 1)) ms.

So the choice depends only on the seed and the set of global indices, not on how the
modems are split into processes: "30 % over 10 s" is 30 % of the whole fleet, each pod
firing its own part at the times of the one global schedule. Each process gets
{"fleet": {"fire": ..., "modems": [...], "after_ms": [...]}} (in pieces that fit a
request line); the time spent reaching the later processes is taken off their times.

Standard library only. nt35e-ctl (ctl.py) is the command line; tests may use this module.
"""

import concurrent.futures
import hashlib
import json
import math
import random
import re
import socket
import time

from nt35e.control import PartialExchange, UsageError, exchange_lines, parse_answer, parse_port

# Entries per request line: 2000 x ("123456," + "86400000,") stays well under the
# channel's 64 KiB line limit.
CHUNK = 2000
MAX_AFTER_MS = 24 * 3600 * 1000  # the channel's limit for "after_ms"
MAX_WORKERS = 32


class FleetError(UsageError):
    """Nothing was done: an endpoint is unreachable, not a fleet, or the fleet is
    inconsistent (nt35e-ctl exits 2 with the sentence)."""


class Endpoint:
    """One process's control channel."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def __str__(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def __eq__(self, other):
        return isinstance(other, Endpoint) and (self.host, self.port) == (other.host, other.port)

    def __hash__(self):
        return hash((self.host, self.port))

    def __repr__(self):
        return f"Endpoint({str(self)!r})"


def split_host_port(text, where):
    """HOST:PORT or [IPv6]:PORT -> (host, port); `where` names the option in the sentence."""
    text = text.strip()
    m = re.fullmatch(r"\[([^\]]+)\]:(.*)", text)
    if m:
        host, port = m.group(1), m.group(2)
    else:
        host, sep, port = text.rpartition(":")
        if not sep or not host or ":" in host:
            raise UsageError(f"{where}: \"{text}\" is not HOST:PORT (as in 10.0.0.7:7000, or [::1]:7000 for IPv6)")
    if not host:
        raise UsageError(f"{where}: \"{text}\" has no host")
    return host, parse_port(port, f"{where} {text}")


def parse_endpoint(text, where="--endpoint"):
    return Endpoint(*split_host_port(text, where))


def read_endpoints_file(path):
    """One HOST:PORT per line; blank lines and # comments skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UsageError(f"cannot read the endpoints file {path}: {e.strerror or e}")
    except UnicodeDecodeError:
        raise UsageError(f"the endpoints file {path} is not UTF-8 text")
    out = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if text:
            out.append(parse_endpoint(text, f"{path}:{number}"))
    if not out:
        raise UsageError(f"the endpoints file {path} lists no endpoint (one HOST:PORT per line)")
    return out


def resolve_dns(text, resolver=None):
    """NAME:PORT -> an Endpoint for every address (A and AAAA) the name has, as a
    Kubernetes headless Service gives one per ready pod."""
    resolver = resolver or socket.getaddrinfo
    name, port = split_host_port(text, "--dns")
    try:
        infos = resolver(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UsageError(f"--dns {text}: the name {name} does not resolve ({e.strerror or e})")
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise UsageError(f"--dns {text}: the name {name} has no address")
    return [Endpoint(a, port) for a in addresses]


def unique_endpoints(endpoints):
    seen = set()
    for e in endpoints:
        if e in seen:
            raise UsageError(f"the endpoint {e} is given twice; each process must be named once "
                             "(an event would reach it twice)")
        seen.add(e)
    return list(endpoints)


def parse_stagger_ms(text):
    """"10s", "500ms", "1.5s", "2m", "1h" -> whole milliseconds, at most a day."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(ms|s|m|h)", text.strip())
    if not m:
        raise UsageError(f"--stagger: \"{text}\" is not a time such as 10s, 500ms or 1.5s")
    unit = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[m.group(3)]
    whole, frac = int(m.group(1)), m.group(2) or ""
    scaled = whole * unit * 10 ** len(frac) + (int(frac) * unit if frac else 0)
    if scaled % 10 ** len(frac):
        raise UsageError(f"--stagger: \"{text}\" is not a whole number of milliseconds")
    ms = scaled // 10 ** len(frac)
    if ms > MAX_AFTER_MS:
        raise UsageError(f"--stagger: \"{text}\" is longer than a day")
    return ms


def format_ms(ms):
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms" if ms else "0s"


# ---------------------------------------------------------------------------
# The choice and the schedule: pure functions of the global indices


def rank_key(seed, index):
    digest = hashlib.sha256(b"nt35e-fleet" + seed.to_bytes(8, "big") + index.to_bytes(8, "big")).digest()
    return int.from_bytes(digest[:8], "big"), index


def share_count(fraction, total):
    """round(fraction x total), halves away from zero (as the simulator's llround)."""
    return min(total, int(math.floor(fraction * total + 0.5)))


def choose(indices, fraction, seed):
    """The global indices chosen, in firing order (see the module's text)."""
    ranked = sorted(indices, key=lambda i: rank_key(seed, i))
    return ranked[:share_count(fraction, len(ranked))]


def schedule(chosen, stagger_ms):
    """{index: after_ms}: the p-th of m at floor(p x stagger / (m - 1)) ms."""
    m = len(chosen)
    if m < 2:
        return {i: 0 for i in chosen}
    return {index: p * stagger_ms // (m - 1) for p, index in enumerate(chosen)}


# ---------------------------------------------------------------------------
# Talking to the processes


class Process:
    """One fleet process as {"query": "fleet"} describes it."""

    def __init__(self, endpoint, answer):
        self.endpoint = endpoint
        self.size = answer["size"]
        self.offset = answer["offset"]
        # global index -> (position in the process, IMEI)
        self.modems = {m["index"]: (m["modem"], m.get("imei", "")) for m in answer["modems"]}

    def describe(self):
        if not self.modems:
            return {"endpoint": str(self.endpoint), "modems": 0}
        return {"endpoint": str(self.endpoint), "modems": self.size, "first": min(self.modems),
                "last": max(self.modems)}


def _parallel(endpoints, work):
    """work(endpoint) on every endpoint at once -> [(endpoint, result or None, error or None)]
    in the endpoints' order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(MAX_WORKERS, max(1, len(endpoints)))) as pool:
        futures = [pool.submit(work, e) for e in endpoints]
        out = []
        for e, fut in zip(endpoints, futures):
            try:
                out.append((e, fut.result(), None))
            except UsageError as err:
                out.append((e, None, str(err)))
    return out


def ask_all(endpoints, request, timeout, token, line=None):
    """One request (a dict, or `line` as it is) to every endpoint ->
    [(endpoint, answer dict or None, error or None)]."""
    line = line if line is not None else json.dumps(request)

    def one(e):
        return parse_answer(exchange_lines(e.host, e.port, [line], timeout, token)[0])

    return _parallel(endpoints, one)


def discover(endpoints, timeout, token):
    """Every process's modems; FleetError (naming each endpoint that failed) unless all
    answer and no global index or IMEI is held twice."""
    problems, processes = [], []
    for e, answer, error in ask_all(endpoints, {"query": "fleet"}, timeout, token):
        if error:
            problems.append(error if str(e) in error else f"{e}: {error}")
        elif not answer["ok"]:
            why = answer.get("error", "refused")
            if "unknown query" in why:
                why = "not a fleet process (start nt35e-sim with --fleet N --fleet-offset K)"
            problems.append(f"{e}: {why}")
        else:
            try:
                processes.append(Process(e, answer))
            except (KeyError, TypeError):
                problems.append(f"{e}: the answer to {{\"query\": \"fleet\"}} lacks size, offset or modems")
    if problems:
        total = len(endpoints)
        raise FleetError(f"nothing was done: {len(problems)} of {total} endpoint{'s' if total != 1 else ''} "
                         "failed:\n" + "\n".join("  " + p for p in problems))
    owner, imei_owner = {}, {}
    for p in processes:
        for index, (_, imei) in p.modems.items():
            if index in owner:
                raise FleetError(f"modem index {index} is on both {owner[index].endpoint} and {p.endpoint}: their "
                                 f"--fleet-offset ranges overlap (offsets {owner[index].offset} and {p.offset}); "
                                 "nothing was done")
            owner[index] = p
            if imei and imei in imei_owner:
                raise FleetError(f"IMEI {imei} is on both {imei_owner[imei].endpoint} and {p.endpoint}; "
                                 "nothing was done")
            if imei:
                imei_owner[imei] = p
    return processes


class Plan:
    """What fleet-fire does: per process, its modems' positions and times."""

    def __init__(self, processes, fraction, seed, stagger_ms):
        self.processes = processes
        self.fraction, self.seed, self.stagger_ms = fraction, seed, stagger_ms
        owner = {index: p for p in processes for index in p.modems}
        self.total = len(owner)
        self.chosen = choose(owner.keys(), fraction, seed)
        times = schedule(self.chosen, stagger_ms)
        self.parts = {p.endpoint: [] for p in processes}  # endpoint -> [(position, after_ms, index)]
        for index in self.chosen:
            p = owner[index]
            self.parts[p.endpoint].append((p.modems[index][0], times[index], index))


def apply_plan(plan, action, timeout, token):
    """Sends each process its part -> {endpoint: (applied count, error or None)}. The time
    since the first request went out is taken off each later one's times."""
    t0 = time.monotonic()

    def lines_for(part):
        for start in range(0, len(part), CHUNK):
            piece = part[start:start + CHUNK]
            late = int((time.monotonic() - t0) * 1000)
            yield json.dumps({"fleet": {"fire": action, "modems": [m for m, _, _ in piece],
                                        "after_ms": [max(0, a - late) for _, a, _ in piece]}})

    def one(e):
        part = plan.parts[e]
        if not part:
            return 0, None
        try:
            answers, error = exchange_lines(e.host, e.port, lines_for(part), timeout, token,
                                            stop_on_refusal=True), None
        except PartialExchange as failure:
            answers, error = failure.answers, str(failure)
        applied = 0
        for k, text in enumerate(answers):
            try:
                answer = parse_answer(text)
            except UsageError as bad:
                return applied, str(bad)
            if not answer["ok"]:
                return applied, answer.get("error", "the simulator refused the request")
            applied += len(part[k * CHUNK:(k + 1) * CHUNK])
        return applied, error

    return {e: result or (0, error) for e, result, error in _parallel(list(plan.parts), one)}


def random_seed():
    return random.SystemRandom().getrandbits(32)
