"""The control channel client: JSON Lines over TCP to a running nt35e-sim (--control PORT).

One request line, one answer line. A channel started with --control-token-file needs
{"auth": TOKEN} as the first line (docs/reliability.md, "Guarded control channel"); a
channel without a token answers that line with {"ok":true,"auth":"not required"}, so the
client may always send it. tools/nt35e-ctl is the command-line face of this module.

Standard library only.
"""

import json
import os
import socket
import time


class UsageError(Exception):
    """One sentence for a person: the channel cannot be reached, or a request is malformed
    (nt35e-ctl exits 2 with it)."""


ControlError = UsageError


class ControlRefused(Exception):
    """The simulator answered "ok": false; the error sentence is the message, the whole
    answer is `.answer`."""

    def __init__(self, answer):
        super().__init__(answer.get("error", "the simulator refused the request"))
        self.answer = answer


def parse_target(host, port_text):
    """--port P or --port ADDR:P (as printed by nt35e-sim's "control:" line)."""
    if port_text is None:
        port_text = os.environ.get("NT35E_CONTROL")
        if not port_text:
            raise UsageError("give the control port with --port PORT (nt35e-sim prints it as \"control: ADDR:PORT\"), "
                             "or set NT35E_CONTROL")
    text = str(port_text)
    if ":" in text:
        h, _, p = text.rpartition(":")
        h = h.strip("[]")
        if h:
            host = h
        text = p
    return host, parse_port(text, "--port", port_text)


def parse_port(text, where, shown=None):
    """A port number from 1 to 65535; `where` names the option in the sentence."""
    try:
        port = int(text, 10)
    except ValueError:
        raise UsageError(f"{where}: \"{text if shown is None else shown}\" is not a port number")
    if not 1 <= port <= 65535:
        raise UsageError(f"{where}: {port} is not a port number from 1 to 65535")
    return port


def read_token(path):
    """The token in a token file (one line; a trailing line end dropped), never shown."""
    try:
        with open(path, "rb") as f:
            data = f.read(4096)
    except OSError as e:
        raise UsageError(f"cannot read the token file {path}: {e.strerror or e}")
    token = data.rstrip(b"\r\n")
    if not token:
        raise UsageError(f"the token file {path} is empty")
    return token.decode("ascii", "replace")


class PartialExchange(UsageError):
    """The connection failed after some requests were answered: `.answers` holds those."""

    def __init__(self, sentence, answers):
        super().__init__(sentence)
        self.answers = answers


def exchange(host, port, line, timeout, token=None):
    """Sends one request line (after {"auth": token} when given), returns the answer line
    (without its line end)."""
    return exchange_lines(host, port, [line], timeout, token)[0]


def exchange_lines(host, port, lines, timeout, token=None, stop_on_refusal=False):
    """Sends each request line of `lines` (any iterable; each is taken when its turn
    comes) on one connection, after {"auth": token} when given, each after the answer to
    the one before; returns the answer lines. A refused token is the only answer.
    With stop_on_refusal, an "ok": false answer ends the exchange. `timeout` is for each
    answer. UsageError when the channel cannot be reached; PartialExchange when it fails
    after some answers."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        reason = e.strerror or str(e)
        raise UsageError(f"cannot connect to the control channel at {host}:{port} ({reason}); "
                         f"is nt35e-sim running with --control {port}?")
    answers = []
    with sock:
        got = b""

        def answer_line():
            nonlocal got
            deadline = time.monotonic() + timeout
            while b"\n" not in got:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                sock.settimeout(left)
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"{host}:{port} closed the connection without answering")
                got += chunk
            first, _, got = got.partition(b"\n")
            return first.decode("utf-8", "replace").rstrip("\r")

        def failed(sentence):
            return PartialExchange(sentence, answers) if answers else UsageError(sentence)

        try:
            if token is not None:
                sock.sendall(json.dumps({"auth": token}).encode("utf-8") + b"\n")
                auth = answer_line()
                try:
                    accepted = json.loads(auth).get("ok") is True
                except (ValueError, AttributeError):
                    accepted = False
                if not accepted:
                    return [auth]  # the refusal, printed as any refused request
            for line in lines:
                sock.sendall(line.encode("utf-8", "surrogateescape") + b"\n")
                answers.append(answer_line())
                if stop_on_refusal and '"ok":false' in answers[-1].replace(" ", ""):
                    break
            return answers
        except socket.timeout:
            raise failed(f"no answer from {host}:{port} within {timeout:g} s")
        except ConnectionError as e:
            if e.args and isinstance(e.args[0], str) and e.args[0].startswith(f"{host}:{port} closed"):
                raise failed(e.args[0])
            raise failed(f"the connection to {host}:{port} failed ({e.strerror or e})")
        except OSError as e:
            raise failed(f"the connection to {host}:{port} failed ({e.strerror or e})")


def parse_answer(answer_text):
    """The answer line as a dict with a boolean "ok"; UsageError when it is not one."""
    try:
        answer = json.loads(answer_text)
    except ValueError:
        raise UsageError(f"the answer is not JSON: {answer_text[:200]}")
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        raise UsageError(f"the answer has no \"ok\" field: {answer_text[:200]}")
    return answer


class ControlClient:
    """A client of one simulator's control channel; one connection per request, as
    nt35e-ctl does (the channel keeps no state between requests).

    >>> c = ControlClient(port=7000)
    >>> c.state()["registration"]
    1
    >>> c.fire("refuse_connect", id=0, code=5)
    """

    def __init__(self, port, host="127.0.0.1", token=None, token_file=None, timeout=5.0):
        self.host, self.port = parse_target(host, port)
        self.token = token if token is not None else (read_token(token_file) if token_file else None)
        self.timeout = timeout

    def request(self, request):
        """Sends `request` (a dict, or a JSON line as it is) and returns the answer dict,
        "ok" true or false. UsageError when the channel cannot be reached or answers nonsense."""
        line = request if isinstance(request, str) else json.dumps(request)
        return parse_answer(exchange(self.host, self.port, line, self.timeout, self.token))

    def call(self, request):
        """As request(), but an "ok": false answer raises ControlRefused."""
        answer = self.request(request)
        if not answer["ok"]:
            raise ControlRefused(answer)
        return answer

    def state(self):
        return self.call({"query": "state"})

    def metrics(self):
        return self.call({"query": "metrics"})

    def verdict(self, modem=None):
        """The oracle's verdict on the driver so far (the --verdict-json format); in a fleet
        every modem's, or modem `modem`'s."""
        return self.call({"query": "verdict"} if modem is None else {"modem": modem, "query": "verdict"})

    def help(self):
        return self.call({"query": "help"})

    def fire(self, action, **fields):
        """One scenario action now: fire("drop_link", id=0), fire("reboot"), or a whole
        action dict: fire({"action": "refuse_connect", "id": 0, "code": 5})."""
        if isinstance(action, dict):
            body = dict(action, **fields)
        else:
            body = {"action": action, **fields} if fields else action
        return self.call({"fire": body})

    def deliver(self, topic, payload, id=None, qos=None, retain=False):
        msg = {"topic": topic, "payload": payload}
        if id is not None:
            msg = {"id": id, **msg}
        if qos is not None:
            msg["qos"] = qos
        if retain:
            msg["retain"] = True
        return self.call({"deliver": msg})

    def network(self, **change):
        """network(registration="denied"), network(rssi=10), network(sim=False)."""
        return self.call({"network": change})
