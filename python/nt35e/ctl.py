"""nt35e-ctl: drive a running nt35e-sim through its control channel (--control PORT).

Sends one JSON request line and prints the JSON answer line (pretty for state and help).
Exit status: 0 when the simulator answered "ok": true, 1 when it answered "ok": false
(its error sentence goes to stderr), 2 for usage errors and when it cannot be reached.

Examples:
  nt35e-ctl --port 7000 state
  nt35e-ctl --port 7000 fire drop_link --id 0
  nt35e-ctl --port 7000 fire refuse_connect --id 0 --code 5
  nt35e-ctl --port 7000 fire regain_registration --by 500ms
  nt35e-ctl --port 7000 deliver --id 0 --topic t --payload hello --qos 1
  nt35e-ctl --port 7000 network --registration denied
  nt35e-ctl --port 7000 network --rssi 10
  nt35e-ctl --port 7000 verdict                 (the oracle's verdict on the driver so far)
  nt35e-ctl --port 7000 verdict --modem 3       (one modem of a fleet)
  nt35e-ctl --port 7000 raw '{"query":"state"}'
  nt35e-ctl --host 192.0.2.10 --port 7000 --token-file ~/.nt35e-token state

A channel started with --control-token-file needs the same token: --token-file FILE (or
the NT35E_CONTROL_TOKEN_FILE environment variable) sends {"auth": TOKEN} first.

Many processes at once (fleet processes, --fleet N --fleet-offset K): name them with
--endpoint HOST:PORT (repeatable), --endpoints FILE (one HOST:PORT a line) or --dns NAME:PORT
(every A/AAAA address of NAME, as a Kubernetes headless Service has one per pod):
  nt35e-ctl --dns nt35e.demo.svc.cluster.local:7000 fleet-info
  nt35e-ctl --endpoints pods.txt fleet-fire drop_link --id 0 --fraction 0.3 --stagger 10s --seed 7
fleet-fire chooses the share of the WHOLE fleet by global index (nt35e.fleet explains how),
so the same seed picks the same modems however the fleet is split into processes. Other
commands go to every endpoint, one answer line each: {"endpoint": "HOST:PORT", "answer": {...}}.

Standard library only. The client itself is nt35e.control; tools/nt35e-ctl runs run().
"""

import argparse
import json
import os
import sys

from nt35e import __version__
from nt35e.control import UsageError, exchange, parse_answer, parse_target, read_token

PROG = "nt35e-ctl"
VERSION = __version__  # the project's version (CMakeLists.txt), as nt35e-sim --version prints it


def fail_usage(sentence):
    sys.stderr.write(f"{PROG}: {sentence}\n")
    sys.exit(2)


def json_value(text):
    """For --field KEY=VALUE: VALUE as JSON when it parses, else as a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


# Options of "fire" that become fields of the action object, in a stable order.
ACTION_FIELDS = [
    ("id", int, "ECMT id (omit: every id / any id)"),
    ("code", int, "refuse_connect: the CONNACK code 1..5"),
    ("by", str, "delay_response, regain_registration: a time with its unit, as in 500ms or 2s"),
    ("text", str, "replace_response, inject_urc, send_bytes: the text"),
    ("hex", str, "send_bytes: the bytes in hex, as in 0d0a4f4b"),
    ("pattern", str, "duplicate_next_urc: which URC (a glob)"),
    ("topic", str, "deliver: the topic"),
    ("payload", str, "deliver: the payload"),
    ("qos", int, "deliver: 0, 1 or 2"),
    ("stat", int, "lose_registration: 0, 2 or 3"),
    ("rssi", int, "set_signal"),
    ("ber", int, "set_signal"),
    ("rsrq", int, "set_signal"),
    ("rsrp", int, "set_signal"),
    ("keep", int, "truncate_response: how many bytes of the answer are sent"),
    ("for", str, "line_noise: how long the burst lasts, as in 2s"),
    ("mode", str, "line_noise: flip (a bit of each hit byte) or drop (hit bytes lost)"),
    ("percent", int, "line_noise: the share of bytes hit, 1..100"),
]


class Parser(argparse.ArgumentParser):
    """argparse with the house rule for misuse: one sentence on stderr, exit status 2
    (as nt35e-sim says it), instead of the usage text and the error."""

    def error(self, message):
        fail_usage(f"{message} (try --help)")


def build_parser():
    top = Parser(
        prog=PROG,
        description="Drive a running nt35e-sim through its control channel (nt35e-sim --control PORT).",
        epilog="Exit status: 0 ok, 1 the simulator refused the request (its error on stderr), "
               "2 usage error or the simulator cannot be reached. "
               "The port may also come from the NT35E_CONTROL environment variable, the token file "
               "from NT35E_CONTROL_TOKEN_FILE.")
    top.add_argument("-V", "--version", action="version", version=f"{PROG} {VERSION}")
    top.add_argument("--host", default="127.0.0.1", help="where nt35e-sim listens (default 127.0.0.1)")
    top.add_argument("--port", help="the control port, or ADDR:PORT as printed on the \"control:\" line")
    top.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the answer (default 5)")
    top.add_argument("--token-file", help="send the token in this file first (a channel started with "
                                          "--control-token-file); default: $NT35E_CONTROL_TOKEN_FILE")
    top.add_argument("--endpoint", action="append", default=[], metavar="HOST:PORT",
                     help="a process's control channel; repeat for many (fleet-wide commands)")
    top.add_argument("--endpoints", metavar="FILE", help="read the endpoints from FILE, one HOST:PORT a line")
    top.add_argument("--dns", metavar="NAME:PORT",
                     help="every A/AAAA address of NAME on PORT (a Kubernetes headless Service)")
    # The same options are accepted after the command too ("fire drop_link --id 0 --port 7000").
    common = Parser(add_help=False)
    common.add_argument("--host", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--port", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--token-file", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--endpoint", action="append", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--endpoints", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--dns", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def command(name, **kw):
        return sub.add_parser(name, parents=[common], **kw)

    fire = command("fire", help="carry out one fault action now",
                          description="Carry out one scenario action now, as a rule would.")
    fire.add_argument("action", metavar="ACTION", help="the action name (see: nt35e-ctl help)")
    add_action_options(fire)

    deliver = command("deliver", help="an incoming PUBLISH on an id",
                             description="Deliver a message to the module (the deliver action).")
    deliver.add_argument("--id", type=int, help="ECMT id (omit: every connected id)")
    deliver.add_argument("--topic", required=True)
    deliver.add_argument("--payload", required=True)
    deliver.add_argument("--qos", type=int, default=None)
    deliver.add_argument("--retain", action="store_true")

    network = command("network", help="change registration, signal or SIM",
                             description="Change the cellular network as the module sees it.")
    network.add_argument("--registration", help="home (registered again), searching, denied or none")
    network.add_argument("--by", help="with --registration home: after this long, as in 500ms")
    for name in ("rssi", "ber", "rsrq", "rsrp"):
        network.add_argument("--" + name, type=int)
    network.add_argument("--sim", choices=["0", "1"], help="0 removes the SIM, 1 inserts it")

    command("state", help="print the modem's state", description="Print the modem's state.")
    verdict = command("verdict", help="print the oracle's verdict on the driver so far",
                      description="Print the oracle's verdict on the driver so far (as --verdict-json writes "
                                  "it): every modem's in a fleet, or one modem's with --modem. Exit status 0 "
                                  "whatever the verdict says; read its \"passed\".")
    verdict.add_argument("--modem", type=int, help="in a fleet: this modem only (0 to N-1)")
    command("help", help="list the simulator's request forms and action names",
                   description="Ask the simulator which requests and actions it knows.")
    raw = command("raw", help="send one JSON line as it is", description="Send one request line as it is.")
    raw.add_argument("line", metavar="JSON")

    ffire = command("fleet-fire", help="one action on a share of the whole fleet, across every endpoint",
                    description="Fire one action on a share of the modems of every process named "
                                "(--endpoint, --endpoints, --dns; or the one --port), chosen by global index "
                                "with a seed, staggered over the whole fleet.")
    ffire.add_argument("action", metavar="ACTION", help="the action name (see: nt35e-ctl help)")
    add_action_options(ffire)
    ffire.add_argument("--fraction", type=float, default=1.0,
                       help="the share of the whole fleet, above 0 and at most 1 (default 1: every modem)")
    ffire.add_argument("--seed", type=int, help="chooses the modems (default: a random one, printed)")
    ffire.add_argument("--stagger", default="0s", help="spread the firings over this long, as in 10s (default 0s)")
    ffire.add_argument("--dry-run", action="store_true", help="print the plan, fire nothing")
    ffire.add_argument("--list", action="store_true", help="list the chosen global indices in firing order")
    command("fleet-info", help="the processes, their modems' global indices and the fleet's totals",
            description="Ask every process for its modems and metrics; check that no global index or IMEI "
                        "is held twice.")
    return top


def add_action_options(parser):
    """The fields of an action as options (fire, fleet-fire)."""
    for name, kind, text in ACTION_FIELDS:
        parser.add_argument("--" + name, type=kind, help=text)
    parser.add_argument("--retain", action="store_true", help="deliver: the retain flag")
    parser.add_argument("--field", action="append", default=[], metavar="KEY=VALUE",
                        help="any other field of the action (VALUE as JSON, else a string); repeatable")


def action_of(args):
    """The action object of fire and fleet-fire."""
    action = {"action": args.action}
    for name, _, _ in ACTION_FIELDS:
        value = getattr(args, name)
        if value is not None:
            action[name] = value
    if args.retain:
        action["retain"] = True
    for item in args.field:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError(f"--field needs KEY=VALUE, as in --field qos=1, not \"{item}\"")
        action[key] = json_value(value)
    return action


def request_for(args):
    """The request line and whether to print the answer indented."""
    if args.command == "state":
        return json.dumps({"query": "state"}), True
    if args.command == "verdict":
        if args.modem is not None and args.modem < 0:
            raise UsageError(f"--modem is a modem's number from 0, not {args.modem}")
        body = {"query": "verdict"} if args.modem is None else {"modem": args.modem, "query": "verdict"}
        return json.dumps(body), True
    if args.command == "help":
        return json.dumps({"query": "help"}), True
    if args.command == "raw":
        if "\n" in args.line or "\r" in args.line:
            raise UsageError("raw: the request must be one line")
        return args.line, False
    if args.command == "fire":
        return json.dumps({"fire": action_of(args)}), False
    if args.command == "deliver":
        msg = {"topic": args.topic, "payload": args.payload}
        if args.id is not None:
            msg = {"id": args.id, **msg}
        if args.qos is not None:
            msg["qos"] = args.qos
        if args.retain:
            msg["retain"] = True
        return json.dumps({"deliver": msg}), False
    if args.command == "network":
        change = {}
        if args.sim is not None:
            change["sim"] = args.sim == "1"
        if args.registration is not None:
            change["registration"] = args.registration
        if args.by is not None:
            change["by"] = args.by
        for name in ("rssi", "ber", "rsrq", "rsrp"):
            value = getattr(args, name)
            if value is not None:
                change[name] = value
        if not change:
            raise UsageError("network: say what changes, as in --registration denied or --rssi 10")
        return json.dumps({"network": change}), False
    raise UsageError(f"unknown command \"{args.command}\"")


def endpoints_of(args):
    """The processes named by --endpoint, --endpoints and --dns, in that order; empty
    when none of them is given (then --host/--port name one process)."""
    if not (args.endpoint or args.endpoints or args.dns):
        return []
    from nt35e import fleet  # here, not at the top: nt35e-ctl state starts faster (the pods' probe)
    found = [fleet.parse_endpoint(text) for text in args.endpoint]
    if args.endpoints:
        found += fleet.read_endpoints_file(args.endpoints)
    if args.dns:
        found += fleet.resolve_dns(args.dns)
    return fleet.unique_endpoints(found)


def print_json(value, pretty=False):
    print(json.dumps(value, indent=2 if pretty else None, ensure_ascii=False), flush=True)


def broadcast(endpoints, line, timeout, token):
    """One request to every endpoint, one {"endpoint", "answer"} line each. Exit status:
    2 if one could not be reached (named on stderr), else 1 if one refused, else 0."""
    from nt35e import fleet
    status = 0
    for e, answer, error in fleet.ask_all(endpoints, None, timeout, token, line=line):
        if error:
            sys.stderr.write(f"{PROG}: {e}: {error}\n")
            print_json({"endpoint": str(e), "error": error})
            status = 2
            continue
        print_json({"endpoint": str(e), "answer": answer})
        if not answer["ok"]:
            sys.stderr.write(f"{PROG}: {e}: {answer.get('error', 'the simulator refused the request')}\n")
            status = max(status, 1)
    return status


def fleet_info(endpoints, timeout, token):
    from nt35e import fleet
    processes = fleet.discover(endpoints, timeout, token)
    metrics = {str(e): a for e, a, err in fleet.ask_all(endpoints, {"query": "metrics"}, timeout, token)
               if a and a["ok"]}
    totals = {"modems": 0, "attached": 0, "connected": 0}
    out = []
    for p in processes:
        row = p.describe()
        m = metrics.get(str(p.endpoint))
        if m:
            for key in ("attached", "connected"):
                row[key] = m.get(key, 0)
                totals[key] += m.get(key, 0)
            row["reconnects"] = m.get("counters", {}).get("reconnects", 0)
        totals["modems"] += p.size
        out.append(row)
    print_json({"ok": True, "processes": len(processes), **totals, "endpoints": out}, pretty=True)
    return 0


def fleet_fire(args, endpoints, token):
    from nt35e import fleet
    if not 0 < args.fraction <= 1:
        raise UsageError(f"--fraction expects a number above 0 and at most 1 (0.3 = 30 % of the fleet), "
                         f"not {args.fraction:g}")
    if args.seed is not None and not 0 <= args.seed < 2 ** 64:
        raise UsageError(f"--seed expects a whole number from 0 to 2^64 - 1, not {args.seed}")
    stagger_ms = fleet.parse_stagger_ms(args.stagger)
    action = action_of(args)
    processes = fleet.discover(endpoints, args.timeout, token)
    seed = args.seed if args.seed is not None else fleet.random_seed()
    plan = fleet.Plan(processes, args.fraction, seed, stagger_ms)
    summary = {"ok": True, "fired": action, "processes": len(processes), "modems": plan.total,
               "chosen": len(plan.chosen), "fraction": args.fraction, "seed": seed,
               "stagger": fleet.format_ms(stagger_ms)}
    if args.dry_run:
        summary["dry_run"] = True
    results = {} if args.dry_run else fleet.apply_plan(plan, action, args.timeout, token)
    rows, failed, applied = [], [], 0
    for p in processes:
        part = plan.parts[p.endpoint]
        row = {"endpoint": str(p.endpoint), "modems": p.size, "chosen": len(part)}
        if not args.dry_run:
            done, error = results[p.endpoint]
            row["applied"] = done
            applied += done
            if error:
                row["error"] = error
                failed.append((p.endpoint, len(part) - done, error))
        rows.append(row)
    if not args.dry_run:
        summary["applied"] = applied
    summary["endpoints"] = rows
    if args.list:
        summary["indices"] = plan.chosen
    if failed:
        summary["ok"] = False
    print_json(summary)
    if failed:
        done_on = len(processes) - len(failed)
        sys.stderr.write(f"{PROG}: applied on {done_on} of {len(processes)} processes ({applied} of "
                         f"{len(plan.chosen)} chosen modems); the rest was not:\n")
        for e, missing, error in failed:
            sys.stderr.write(f"{PROG}:   {e}: {missing} modem{'s' if missing != 1 else ''} not fired: {error}\n")
        return 1
    return 0


def main(argv):
    args = build_parser().parse_args(argv)  # exits 2 with a message on usage errors
    try:
        if not args.timeout > 0:
            raise UsageError("--timeout must be above 0 seconds")
        endpoints = endpoints_of(args)
        if endpoints and args.port is not None:
            raise UsageError("give either --port or --endpoint/--endpoints/--dns, not both")
        token_file = args.token_file or os.environ.get("NT35E_CONTROL_TOKEN_FILE") or None
        token = read_token(token_file) if token_file else None
        if args.command.startswith("fleet-") or endpoints:
            if not endpoints:
                from nt35e.fleet import Endpoint

                endpoints = [Endpoint(*parse_target(args.host, args.port))]
            if args.command == "fleet-fire":
                return fleet_fire(args, endpoints, token)
            if args.command == "fleet-info":
                return fleet_info(endpoints, args.timeout, token)
            line, _ = request_for(args)
            return broadcast(endpoints, line, args.timeout, token)
        host, port = parse_target(args.host, args.port)
        line, pretty = request_for(args)
        answer_text = exchange(host, port, line, args.timeout, token)
    except UsageError as e:
        fail_usage(str(e))
    try:
        answer = parse_answer(answer_text)
    except UsageError as e:
        fail_usage(str(e))
    print(json.dumps(answer, indent=2, ensure_ascii=False) if pretty else answer_text, flush=True)
    if not answer["ok"]:
        sys.stderr.write(f"{PROG}: {answer.get('error', 'the simulator refused the request')}\n")
        return 1
    return 0


def run():
    """The console entry: main() with Ctrl-C and a closed pipe taken quietly."""
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    run()
