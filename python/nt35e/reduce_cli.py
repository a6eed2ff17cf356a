"""nt35e-reduce: shrink a scenario that makes a driver fail to the smallest one that
still does (docs/reproduce.md).

  nt35e-reduce [options] CRITERION SCENARIO -- DRIVER-COMMAND [ARG...]

Each trial starts nt35e-sim on the candidate scenario (on a PTY, or --tcp), runs the
driver command against it, stops both, and judges the trial by one criterion:

  --finding RULE-ID        the oracle found this rule broken (docs/oracle.md)
  --unmet NAME             the scenario's expectation NAME was unmet
  --exit-status N|nonzero  the driver exited by itself with status N (or any but 0;
                           killed by a signal counts as nonzero)

The driver finds the simulator through placeholders in its arguments and through its
environment, both set for every trial:

  {pty}  NT35E_PTY         the PTY's path (the default transport)
  {host} NT35E_HOST        the TCP address (--tcp)
  {port} NT35E_PORT        the TCP port (--tcp)
  {control} NT35E_CONTROL  the control channel's ADDR:PORT (nt35e-ctl --port)
  {scenario} NT35E_SCENARIO  the candidate scenario's file
  {time_scale} NT35E_TIME_SCALE  the time scale (1 without --time-scale)

A trial ends when the driver exits, or --settle seconds after the candidate's last timed
event (its latest `at`, scaled), or after --trial-timeout, whichever comes first; a driver
still running then is stopped (SIGTERM to its process group) and has not failed by exit
status. Each step is printed (what was taken away, whether it still fails, how long the
trial took); the smallest failing scenario so far is written to --output after every
step, so stopping the reducer keeps its progress. The whole reduction keeps within --budget.

Exit status: 0 reduced (the result written), 1 the original scenario does not fail by
the criterion (nothing written), 2 a usage error or a scenario the validator refuses.
Standard library only. The algorithm is nt35e.reduce; tools/nt35e-reduce runs run().
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from nt35e import __version__
from nt35e.reduce import Reducer, get_path, size_of, time_ms


def plural(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def size_text(size):
    return f"{plural(size['events'], 'event')}, {plural(size['actions'], 'action')}"
from nt35e.simulator import SimulatorError, Simulator, find_binary

PROG = "nt35e-reduce"


class UsageError(Exception):
    pass


def fail_usage(sentence):
    sys.stderr.write(f"{PROG}: {sentence}\n")
    sys.exit(2)


def duration_seconds(text, option):
    """"90s", "10m", "500ms", "1h" or a number of seconds, for the budget and timeouts."""
    try:
        value = float(text)
    except ValueError:
        ms = time_ms(text)
        if ms is None:
            raise UsageError(f"{option} takes a time such as 90s, 10m or 500ms (or seconds), not {text!r}")
        value = ms / 1000
    if value <= 0:
        raise UsageError(f"{option} must be more than 0, not {text!r}")
    return value


# --- criteria ------------------------------------------------------------------------------

class Criterion:
    """What makes a trial fail. `kind` is "finding", "unmet" or "exit"."""

    def __init__(self, kind, value):
        self.kind, self.value = kind, value

    def describe(self):
        if self.kind == "finding":
            return f"the oracle finds {self.value}"
        if self.kind == "unmet":
            return f"the expectation \"{self.value}\" is unmet"
        return "the driver exits with a status other than 0" if self.value == "nonzero" else \
            f"the driver exits with status {self.value}"

    def holds(self, trial):
        if self.kind == "exit":
            if not trial.exited:
                return False
            return trial.status != 0 if self.value == "nonzero" else trial.status == int(self.value)
        modems = (trial.verdict or {}).get("modems", [])
        if self.kind == "finding":
            return any(f.get("rule") == self.value for m in modems for f in m.get("findings", []))
        return any(e.get("name") == self.value and e.get("result") == "unmet"
                   for m in modems for e in m.get("expectations", []))


# --- trials --------------------------------------------------------------------------------

class Trial:
    """What one run gave: the driver's status (exited by itself or stopped), the verdict."""

    def __init__(self):
        self.exited = False
        self.status = None
        self.verdict = None
        self.ended = ""  # why it ended: "driver exited", "settled", "timeout"
        self.driver_tail = ""


def timeline_end(scenario):
    """Simulated seconds from power-on to the scenario's last timed event: the latest `at`
    of its rules, fleet events and timed messages (with their `after`, `stagger`, and
    `every` times the count), 0 when it has none."""
    end = 0
    for path in (("rules",), ("fleet_events",), ("broker", "messages")):
        for entry in get_path(scenario, path) or []:
            if not isinstance(entry, dict) or time_ms(entry.get("at")) is None:
                continue
            t = time_ms(entry["at"]) + (time_ms(entry.get("after", "0s")) or 0) + \
                (time_ms(entry.get("stagger", "0s")) or 0)
            count = entry.get("count", 1)
            if isinstance(count, int) and count > 1:
                t += (count - 1) * (time_ms(entry.get("every", "0s")) or 0)
            end = max(end, t)
    for modem in get_path(scenario, ("modems",)) or []:
        if isinstance(modem, dict):
            end = max(end, round(timeline_end(modem) * 1000))
    return end / 1000


class Runner:
    """Runs trials: nt35e-sim on a candidate and the driver command against it."""

    def __init__(self, binary, driver, transport, time_scale, sim_options, settle, trial_timeout, workdir):
        self.binary, self.driver, self.transport = binary, driver, transport
        self.time_scale, self.sim_options = time_scale, sim_options
        self.settle, self.trial_timeout, self.workdir = settle, trial_timeout, workdir
        self.count = 0

    def check(self, scenario):
        """The project's one validator (nt35e-sim --check-scenario): None, or its first line."""
        path = os.path.join(self.workdir, "check.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(scenario, f, ensure_ascii=False, indent=2)
        done = subprocess.run([self.binary, "--check-scenario", path], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=30)
        if done.returncode == 0:
            return None
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return said[0] if said else f"nt35e-sim --check-scenario exit status {done.returncode}"

    def run(self, scenario):
        self.count += 1
        trial_dir = os.path.join(self.workdir, f"trial-{self.count}")
        os.makedirs(trial_dir)
        path = os.path.join(trial_dir, "scenario.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(scenario, f, ensure_ascii=False, indent=2)
        scale = float(self.time_scale) if self.time_scale is not None else float(scenario.get("time_scale", 1))
        limit = min(self.trial_timeout, timeline_end(scenario) * scale + self.settle)
        trial = Trial()
        sim = Simulator(scenario=path, options=self.sim_options, transport=self.transport, binary=self.binary,
                        workdir=trial_dir, time_scale=self.time_scale, record=False, wait_for="ready")
        sim.start()
        try:
            values = {"pty": sim.port or "", "host": sim.tcp[0] if sim.tcp else "",
                      "port": str(sim.tcp[1]) if sim.tcp else "",
                      "control": f"{sim.control.host}:{sim.control.port}" if sim.control else "",
                      "scenario": path, "time_scale": str(scale)}
            argv = [fill(arg, values) for arg in self.driver]
            env = dict(os.environ, **{f"NT35E_{k.upper()}": v for k, v in values.items()})
            log_path = os.path.join(trial_dir, "driver.log")
            began = time.monotonic()
            with open(log_path, "wb") as log:
                try:
                    driver = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                              env=env, start_new_session=True)
                except OSError as e:
                    raise UsageError(f"the driver command cannot start: {argv[0]}: {e.strerror}") from e
                try:
                    trial.status = driver.wait(timeout=max(0.0, limit - (time.monotonic() - began)))
                    trial.exited, trial.ended = True, "driver exited"
                except subprocess.TimeoutExpired:
                    trial.ended = "settled" if limit < self.trial_timeout else "timeout"
                    stop_group(driver)
            with open(log_path, "rb") as log:
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
                trial.driver_tail = lines[-1] if lines else ""
        finally:
            sim.stop()
        try:
            with open(sim.verdict_path, encoding="utf-8") as f:
                trial.verdict = json.load(f)
        except (OSError, ValueError):
            trial.verdict = None
        return trial


def fill(arg, values):
    """An argument with its {placeholders} replaced (any other {name} left as written)."""
    for key, value in values.items():
        arg = arg.replace("{" + key + "}", value)
    return arg


def stop_group(proc, timeout=3.0):
    """SIGTERM to the driver's process group, SIGKILL after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the command line ------------------------------------------------------------------------

class _Help(argparse.RawDescriptionHelpFormatter):
    """"Usage:" as nt35e-sim writes it (help2man reads it as the synopsis)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


def parser():
    p = argparse.ArgumentParser(
        prog=PROG, add_help=False, allow_abbrev=False,
        usage=f"{PROG} (--finding RULE-ID | --unmet NAME | --exit-status N|nonzero) [options] SCENARIO "
              "-- DRIVER-COMMAND [ARG...]",
        description=__doc__.split("\n\n", 2)[2].rsplit("\nStandard library only.", 1)[0],
        formatter_class=_Help)
    c = p.add_argument_group("Criterion (exactly one)")
    c.add_argument("--finding", metavar="RULE-ID", help="the oracle finds this rule broken")
    c.add_argument("--unmet", metavar="NAME", help="the scenario's expectation NAME is unmet")
    c.add_argument("--exit-status", metavar="N|nonzero", help="the driver exits by itself with N (or not 0)")
    o = p.add_argument_group("Options")
    o.add_argument("-o", "--output", metavar="FILE", help="the smallest scenario (default: SCENARIO.min.json)")
    o.add_argument("--budget", metavar="TIME", default="10m", help="the whole reduction's time (default 10m)")
    o.add_argument("--trial-timeout", metavar="TIME", default="2m", help="the most one trial may take (default 2m)")
    o.add_argument("--settle", metavar="TIME", default="5s",
                   help="how long a trial goes on after the last timed event, in real time (default 5s)")
    o.add_argument("--time-scale", metavar="FACTOR", help="nt35e-sim --time-scale for every trial")
    o.add_argument("--tcp", action="store_true", help="the simulator on a TCP port instead of a PTY")
    o.add_argument("--sim-arg", metavar="ARG", action="append", default=[],
                   help="one more nt35e-sim argument for every trial (repeatable): --sim-arg=--oracle-set ...")
    o.add_argument("--sim", metavar="PATH", help="the nt35e-sim binary (default: $NT35E_SIM, the tree's, PATH)")
    o.add_argument("--keep", action="store_true", help="keep every trial's files (their directory is printed)")
    o.add_argument("-q", "--quiet", action="store_true", help="print only the summary, not each step")
    o.add_argument("-h", "--help", action="store_true", help="print this text")
    o.add_argument("-V", "--version", action="store_true", help="print the version")
    a = p.add_argument_group("Arguments")
    a.add_argument("scenario", metavar="SCENARIO", nargs="?", help="the scenario (JSON) that makes the driver fail")
    return p


def parse(argv):
    if "--" in argv:
        at = argv.index("--")
        own, driver = argv[:at], argv[at + 1:]
    else:
        own, driver = argv, []
    p = parser()
    p.error = lambda message: fail_usage(message[0].upper() + message[1:] if message else message)
    args = p.parse_args(own)
    if args.help:
        p.print_help()
        sys.exit(0)
    if args.version:
        print(f"{PROG} {__version__}")
        sys.exit(0)
    chosen = [k for k in ("finding", "unmet", "exit_status") if getattr(args, k) is not None]
    if len(chosen) != 1:
        raise UsageError("give one criterion: --finding RULE-ID, --unmet NAME or --exit-status N|nonzero"
                         + ("" if not chosen else f" (got {len(chosen)})"))
    if args.exit_status is not None and args.exit_status != "nonzero":
        try:
            if not 0 <= int(args.exit_status) <= 255:
                raise ValueError
        except ValueError:
            raise UsageError(f"--exit-status takes 0 to 255 or nonzero, not {args.exit_status!r}") from None
    if not args.scenario:
        raise UsageError("give the scenario to reduce, then -- and the driver command")
    if not driver:
        raise UsageError("give the driver command after --, e.g. -- python3 driver.py {pty}")
    args.budget_s = duration_seconds(args.budget, "--budget")
    args.trial_timeout_s = duration_seconds(args.trial_timeout, "--trial-timeout")
    args.settle_s = duration_seconds(args.settle, "--settle")
    if args.time_scale is not None:
        try:
            scale = float(args.time_scale)
            if not 0 < scale <= 1000:
                raise ValueError
        except ValueError:
            raise UsageError(f"--time-scale takes a number above 0 and at most 1000, not {args.time_scale!r}") \
                from None
    args.criterion = Criterion(*{"finding": ("finding", args.finding), "unmet": ("unmet", args.unmet),
                                 "exit_status": ("exit", args.exit_status)}[chosen[0]])
    args.driver = driver
    return args


def default_output(path):
    base = path[:-5] if path.endswith(".json") else path
    return base + ".min.json"


def trial_text(trial):
    if trial.exited:
        how = f"driver exit status {trial.status}"
    else:
        how = f"driver stopped ({trial.ended})"
    findings = sorted({f.get("rule") for m in (trial.verdict or {}).get("modems", []) for f in m.get("findings", [])})
    unmet = sorted({e.get("name") for m in (trial.verdict or {}).get("modems", []) for e in m.get("expectations", [])
                    if e.get("result") == "unmet"})
    parts = [how]
    if findings:
        parts.append("findings " + ", ".join(findings))
    if unmet:
        parts.append("unmet " + ", ".join(f'"{n}"' for n in unmet))
    if trial.verdict is None:
        parts.append("no verdict")
    return "; ".join(parts)


def write_json(path, scenario):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(scenario, f, ensure_ascii=False, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main(argv):
    try:
        args = parse(argv)
        binary = find_binary(args.sim)
    except UsageError as e:
        fail_usage(str(e))
    except SimulatorError as e:
        fail_usage(str(e))
    try:
        with open(args.scenario, encoding="utf-8") as f:
            scenario = json.load(f)
    except OSError as e:
        fail_usage(f"{args.scenario}: cannot read the scenario: {e.strerror}")
    except ValueError as e:
        fail_usage(f"{args.scenario}: not JSON: {e}")
    output = args.output or default_output(args.scenario)
    workdir = tempfile.mkdtemp(prefix="nt35e-reduce-")
    out = sys.stdout
    sim_options = list(args.sim_arg)
    runner = Runner(binary, args.driver, "tcp" if args.tcp else "pty", args.time_scale, sim_options, args.settle_s,
                    args.trial_timeout_s, workdir)
    try:
        # The validator speaks for the original as it would to the user.
        done = subprocess.run([binary, "--check-scenario", os.path.abspath(args.scenario)], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=30)
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode("utf-8", "replace"))
            fail_usage(f"{args.scenario}: the scenario is not valid (nt35e-sim --check-scenario above)")
        if not isinstance(scenario, dict):
            fail_usage(f"{args.scenario}: a scenario is a JSON object")
        start = time.monotonic()
        out.write(f"criterion: {args.criterion.describe()}\n")
        size = size_of(scenario)
        out.write(f"original: {args.scenario}: {size_text(size)}, {timeline_end(scenario):g} s of timeline\n")
        out.flush()
        try:
            first = runner.run(scenario)
        except UsageError as e:
            fail_usage(str(e))
        except SimulatorError as e:
            fail_usage(f"nt35e-sim did not start: {e}")
        took = time.monotonic() - start
        if not args.criterion.holds(first):
            out.write(f"the original does not fail: {trial_text(first)} ({took:.1f} s)\n")
            if first.driver_tail:
                out.write(f"the driver's last line: {first.driver_tail}\n")
            out.write("nothing written\n")
            return 1
        out.write(f"the original fails: {trial_text(first)} ({took:.1f} s)\n")
        out.flush()
        step = [0]

        def fails(candidate):
            try:
                trial = runner.run(candidate)
            except SimulatorError as e:  # a trial that could not run has not failed
                out.write(f"      nt35e-sim did not start for this trial: {str(e).splitlines()[0]}\n")
                return False
            return args.criterion.holds(trial)

        def log(record):
            step[0] += 1
            result = record["result"]
            if result == "fails" and record["pass"] != "confirm":
                write_json(output, reducer.best)
            if args.quiet:
                return
            words = {"fails": "still fails", "passes": "passes (not taken)", "invalid": "not a valid scenario",
                     "known-fails": "still fails (tried before)", "known-passes": "passes (tried before)"}[result]
            if record["pass"] == "confirm":
                words = "still fails" if result == "fails" else "does not fail again"
            extra = f": {record['why']}" if result == "invalid" else ""
            timing = f"{record['seconds']:.1f} s" if record["seconds"] else "no run"
            s = record["size"]
            out.write(f"[{step[0]:3}] {record['elapsed']:6.1f} s  {record['pass']:8} {record['what']} -> {words}"
                      f"{extra} ({timing}; best {size_text(s)})\n")
            out.flush()

        reducer = Reducer(scenario, fails, runner.check, time.monotonic, args.budget_s - took, log=log)
        reducer.longest = took
        try:
            best = reducer.run()
        except UsageError as e:
            fail_usage(str(e))
        write_json(output, best)
        size = size_of(best)
        elapsed = time.monotonic() - start
        out.write(f"smallest: {size_text(size)}, {timeline_end(best):g} s of timeline, in "
                  f"{plural(reducer.trials + 1, 'trial')}, {elapsed:.1f} s\n")
        if reducer.out_of_budget:
            out.write(f"the budget ({args.budget}) ran out: the result may not be minimal\n")
        if not reducer.confirmed:
            out.write("the smallest candidate did not fail again: an earlier one that does was kept "
                      "(the failure depends on timing)\n")
        out.write(f"wrote {output}\n")
        return 0
    finally:
        if args.keep:
            out.write(f"trials kept in {workdir}\n")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run():
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted; the smallest scenario so far is in the output file\n")
        sys.exit(130)
