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
  nt35e-ctl --port 7000 raw '{"query":"state"}'
  nt35e-ctl --host 192.0.2.10 --port 7000 --token-file ~/.nt35e-token state

A channel started with --control-token-file needs the same token: --token-file FILE (or
the NT35E_CONTROL_TOKEN_FILE environment variable) sends {"auth": TOKEN} first.

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
    # The same options are accepted after the command too ("fire drop_link --id 0 --port 7000").
    common = Parser(add_help=False)
    common.add_argument("--host", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--port", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument("--token-file", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    def command(name, **kw):
        return sub.add_parser(name, parents=[common], **kw)

    fire = command("fire", help="carry out one fault action now",
                          description="Carry out one scenario action now, as a rule would.")
    fire.add_argument("action", metavar="ACTION", help="the action name (see: nt35e-ctl help)")
    for name, kind, text in ACTION_FIELDS:
        fire.add_argument("--" + name, type=kind, help=text)
    fire.add_argument("--retain", action="store_true", help="deliver: the retain flag")
    fire.add_argument("--field", action="append", default=[], metavar="KEY=VALUE",
                      help="any other field of the action (VALUE as JSON, else a string); repeatable")

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
    command("help", help="list the simulator's request forms and action names",
                   description="Ask the simulator which requests and actions it knows.")
    raw = command("raw", help="send one JSON line as it is", description="Send one request line as it is.")
    raw.add_argument("line", metavar="JSON")
    return top


def request_for(args):
    """The request line and whether to print the answer indented."""
    if args.command == "state":
        return json.dumps({"query": "state"}), True
    if args.command == "help":
        return json.dumps({"query": "help"}), True
    if args.command == "raw":
        if "\n" in args.line or "\r" in args.line:
            raise UsageError("raw: the request must be one line")
        return args.line, False
    if args.command == "fire":
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
        return json.dumps({"fire": action}), False
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


def main(argv):
    args = build_parser().parse_args(argv)  # exits 2 with a message on usage errors
    try:
        if not args.timeout > 0:
            raise UsageError("--timeout must be above 0 seconds")
        host, port = parse_target(args.host, args.port)
        line, pretty = request_for(args)
        token_file = args.token_file or os.environ.get("NT35E_CONTROL_TOKEN_FILE") or None
        token = read_token(token_file) if token_file else None
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
