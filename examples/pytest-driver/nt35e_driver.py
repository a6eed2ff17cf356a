"""A tiny MQTT driver for the Lierda NT35E (EigenComm AT+ECMT... commands) over a serial
line, with pyserial: the kind of code a team tests against nt35e-sim instead of hardware.

It opens the line, waits until the module answers AT, opens and connects ECMT id 0,
subscribes and publishes, and turns URCs into events. It recovers on its own:
- +ECMTCONN:0,0,<rc> with rc != 0 (the broker refused, e.g. 5 = not authorised): tries
  AT+ECMTCONN again after a backoff (0.2 s, 0.4 s, ... doubled up to max_backoff);
- +ECMTSTAT:0,1 (link lost): waits for the module's own reconnect (+ECMTCONN:0,0,0, the
  first attempt 1 s later), then subscribes again (the module does not restore
  subscriptions); if the module gives up, it connects again itself with the backoff.

Python 3.11 and pyserial (Debian: python3-serial) only.
"""

import re
import time

import serial

URC = re.compile(r"^\+(ECMT\w+):\s*(.*)$")
FINAL = re.compile(r"^(OK|ERROR|\+CME ERROR:.*)$")


class DriverError(Exception):
    pass


class Driver:
    def __init__(self, port, host, broker_port=1883, client_id="drv01", user=None, password=None,
                 backoff=0.2, max_backoff=2.0, attempts=6, timeout=10.0):
        self.port, self.host, self.broker_port = port, host, broker_port
        self.client_id, self.user, self.password = client_id, user, password
        self.backoff, self.max_backoff, self.attempts, self.timeout = backoff, max_backoff, attempts, timeout
        self.line = None
        self.subscriptions = {}  # topic -> qos, restored after a reconnect
        self.received = []  # (topic, payload) from +ECMTRECV
        self.events = []  # what the driver noticed and did, for logs and tests
        self._urcs = []  # URCs read but not yet handled
        self._msg_id = 0
        self._buf = b""

    # --- the line --------------------------------------------------------------------

    def open(self):
        self.line = serial.Serial(self.port, 115200, timeout=0.05)
        deadline = time.monotonic() + self.timeout
        while True:  # the module ignores input while it boots
            try:
                self.command("AT", timeout=0.5)
                return self
            except DriverError:
                if time.monotonic() > deadline:
                    raise DriverError(f"the module on {self.port} does not answer AT")

    def close(self):
        if self.line is not None:
            self.line.close()
            self.line = None

    def _read_line(self, deadline):
        while b"\r\n" not in self._buf:
            if time.monotonic() > deadline:
                return None
            self._buf += self.line.read(self.line.in_waiting or 1)
        raw, _, self._buf = self._buf.partition(b"\r\n")
        return raw.decode("utf-8", "replace")

    def command(self, cmd, timeout=5.0):
        """Sends cmd + CR; returns the response lines before OK. DriverError on ERROR or
        no final result. URCs that arrive meanwhile are kept for later."""
        self.line.write(cmd.encode("utf-8") + b"\r")
        deadline = time.monotonic() + timeout
        lines = []
        while True:
            text = self._read_line(deadline)
            if text is None:
                raise DriverError(f"{cmd}: no final result within {timeout:g} s")
            if not text or text == cmd:  # blank lines and the echo
                continue
            if FINAL.match(text):
                if text != "OK":
                    raise DriverError(f"{cmd}: {text}")
                return lines
            if URC.match(text) and not text.startswith(cmd[2:].split("=")[0] + ":"):
                self._urcs.append(text)
            else:
                lines.append(text)

    def wait_urc(self, name, timeout=None):
        """The next +<name>:... URC's fields (a list of strings); other URCs are handled
        on the way. DriverError when it does not come in time."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            while self._urcs:
                text = self._urcs.pop(0)
                m = URC.match(text)
                if m.group(1) == name:
                    return m.group(2).split(",")
                self._handle(text)
            text = self._read_line(deadline)
            if text is None:
                raise DriverError(f"no +{name} within {timeout or self.timeout:g} s")
            if URC.match(text):
                self._urcs.append(text)

    def poll(self, seconds):
        """Reads and handles URCs for `seconds` (messages, link loss, reconnects)."""
        deadline = time.monotonic() + seconds
        while True:
            while self._urcs:
                self._handle(self._urcs.pop(0))
            text = self._read_line(deadline)
            if text is None:
                return
            if URC.match(text):
                self._urcs.append(text)

    # --- MQTT ------------------------------------------------------------------------

    def _next_id(self):
        self._msg_id = self._msg_id % 65535 + 1
        return self._msg_id

    def connect(self):
        """ECMTOPEN then ECMTCONN; a refused CONNECT is retried with a growing backoff."""
        self.command(f'AT+ECMTOPEN=0,"{self.host}",{self.broker_port}')
        result = self.wait_urc("ECMTOPEN")
        if result[1] != "0":
            raise DriverError(f"+ECMTOPEN:{','.join(result)}: the module could not reach {self.host}")
        self._connect_with_backoff()

    def _connect_with_backoff(self):
        delay = self.backoff
        creds = f',"{self.user}","{self.password}"' if self.user is not None else ""
        for attempt in range(1, self.attempts + 1):
            self.command(f'AT+ECMTCONN=0,"{self.client_id}"{creds}')
            _, result, rc = self.wait_urc("ECMTCONN")[:3]
            if result == "0" and rc == "0":
                self.events.append(f"connected (attempt {attempt})")
                return
            self.events.append(f"connect refused: result {result}, return code {rc}; retry in {delay:g} s")
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff)
        raise DriverError(f"the broker refused {self.attempts} connections")

    def subscribe(self, topic, qos=1):
        msg_id = self._next_id()
        self.command(f'AT+ECMTSUB=0,{msg_id},"{topic}",{qos}')
        fields = self.wait_urc("ECMTSUB")
        if fields[2] != "0":
            raise DriverError(f"+ECMTSUB:{','.join(fields)}: the subscription to {topic} failed")
        self.subscriptions[topic] = qos

    def publish(self, topic, payload, qos=1):
        msg_id = self._next_id() if qos else 0
        self.command(f'AT+ECMTPUB=0,{msg_id},{qos},0,"{topic}","{payload}"')
        fields = self.wait_urc("ECMTPUB")
        if fields[2] != "0":
            raise DriverError(f"+ECMTPUB:{','.join(fields)}: the publish to {topic} failed")

    def disconnect(self):
        self.command("AT+ECMTDISC=0")
        self.wait_urc("ECMTDISC")

    # --- URCs --------------------------------------------------------------------------

    def _handle(self, text):
        name, rest = URC.match(text).groups()
        if name == "ECMTRECV":
            # +ECMTRECV:<id>,<msgID>,"<topic>",<payload>: the payload is the rest of the line.
            m = re.match(r'\d+,\d+,"([^"]*)",(.*)$', rest)
            if m:
                self.received.append((m.group(1), m.group(2)))
        elif name == "ECMTSTAT" and rest.split(",")[1:2] == ["1"]:
            self.events.append("link lost")
            self._recover()

    def _recover(self):
        """After +ECMTSTAT: the module reconnects by itself; then subscribe again."""
        try:
            _, result, rc = self.wait_urc("ECMTCONN", timeout=self.timeout)[:3]
            ok = result == "0" and rc == "0"
        except DriverError:
            ok = False
        if ok:
            self.events.append("reconnected by the module")
        else:
            self.events.append("the module did not reconnect; connecting again")
            self._connect_with_backoff()
        for topic, qos in list(self.subscriptions.items()):
            self.subscribe(topic, qos)
            self.events.append(f"subscribed again to {topic}")
