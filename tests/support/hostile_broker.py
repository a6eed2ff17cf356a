"""A small hostile MQTT broker for end-to-end tests (standard library only, loopback only).

It accepts TCP connections on 127.0.0.1, reads the client's CONNECT and answers it,
then misbehaves according to its mode (see MODES). Between those it behaves: SUBSCRIBE
gets a SUBACK granting the asked QoS, PINGREQ a PINGRESP (unless the mode stalls).

    broker = HostileBroker("bad_length"); broker.start(); ... broker.port ...; broker.stop()

Every socket has a timeout and every loop ends when stop() is called.
"""

import socket
import struct
import threading
import time

# mode -> what happens (after "CONNACK" means after the SUBACK of the first SUBSCRIBE,
# so that the module is CONNECTED and subscribed when the bad bytes arrive)
MODES = {
    "connack_wrong_type": "answers CONNECT with a SUBACK instead of a CONNACK",
    "connack_half": "sends the first byte of a CONNACK, then nothing (the connection stays open)",
    "close": "closes the connection abruptly (RST) after the SUBACK",
    "bad_length": "after the SUBACK, a PUBLISH whose remaining length has 5 bytes",
    "bad_type": "after the SUBACK, a packet of reserved type 15",
    "bad_utf8": "after the SUBACK, a PUBLISH whose topic is not UTF-8, then a good one",
    "huge_declared": "after the SUBACK, a PUBLISH declaring 200 MB, 64 KB of it, then nothing",
    "huge_sent": "after the SUBACK, a whole 5 MB PUBLISH, then a small good one",
    "publish_half": "after the SUBACK, half a PUBLISH, then nothing (PINGREQs unanswered)",
    "flood": "after the SUBACK, `flood_count` QoS 0 PUBLISHes of `flood_size` bytes, as fast as it can",
    "flood_qos1": "after the SUBACK, `flood_count` QoS 1 PUBLISHes of `flood_size` bytes, as fast as it can, "
                  "without waiting for PUBACKs (it counts them in `pubacks`)",
    "puback_hold": "answers no QoS 1 PUBLISH from the client (it counts them in `published`) until release() is "
                   "called; then it PUBACKs every one it held, and each later one at once",
}


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish(topic, payload, packet_id=None):
    """A PUBLISH: QoS 0, or QoS 1 with `packet_id`."""
    body = struct.pack(">H", len(topic)) + topic
    if packet_id is not None:
        body += struct.pack(">H", packet_id)
    body += payload
    return (b"\x30" if packet_id is None else b"\x32") + varint(len(body)) + body


class HostileBroker:
    def __init__(self, mode, flood_count=0, flood_size=1000):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.flood_count = flood_count
        self.flood_size = flood_size
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.connections = 0  # CONNECTs read
        self.pubacks = 0  # PUBACKs read (flood_qos1)
        self.published = 0  # QoS 1 PUBLISHes read (puback_hold)
        self.held = []  # their packet ids, not yet acknowledged (puback_hold)
        self.released = False
        self.held_conn = None
        self.lock = threading.Lock()
        self.done = threading.Event()  # the mode's misbehaviour was carried out
        self.threads = []
        self.errors = []

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=5)
        self.listener.close()

    def release(self):
        """puback_hold: acknowledges every PUBLISH held so far, and from now on each at once."""
        with self.lock:
            self.released = True
            if self.held_conn is not None and self.held:
                self.held_conn.settimeout(20)
                self.held_conn.sendall(b"".join(b"\x40\x02" + pid for pid in self.held))
                self.held_conn.settimeout(0.2)
            self.held = []

    # ---- internals ----

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _read_exact(self, conn, n):
        data = b""
        while len(data) < n:
            if self.stopping.is_set():
                raise EOFError("stopping")
            try:
                chunk = conn.recv(n - len(data))
            except socket.timeout:
                continue
            if not chunk:
                raise EOFError("the client closed")
            data += chunk
        return data

    def _read_packet(self, conn):
        first = self._read_exact(conn, 1)[0]
        length, mult = 0, 1
        for _ in range(4):
            b = self._read_exact(conn, 1)[0]
            length += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        self.flags = first & 0x0F  # of the packet just read (a PUBLISH's QoS)
        return first >> 4, self._read_exact(conn, length)

    def _hold(self, conn):
        """Keeps the connection open, reading and ignoring, until the client or stop() ends it."""
        while not self.stopping.is_set():
            try:
                if not conn.recv(4096):
                    return
            except socket.timeout:
                continue

    def _serve(self, conn):
        conn.settimeout(0.2)
        try:
            with conn:
                kind, _ = self._read_packet(conn)
                if kind != 1:
                    return
                self.connections += 1
                if self.mode == "connack_wrong_type":
                    conn.sendall(b"\x90\x03\x00\x01\x00")
                    self.done.set()
                    return self._hold(conn)
                if self.mode == "connack_half":
                    conn.sendall(b"\x20")
                    self.done.set()
                    return self._hold(conn)
                conn.sendall(b"\x20\x02\x00\x00")
                while not self.stopping.is_set():
                    kind, body = self._read_packet(conn)
                    if kind == 12:  # PINGREQ
                        conn.sendall(b"\xd0\x00")
                    elif kind == 8:  # SUBSCRIBE: grant what was asked
                        pid = body[:2]
                        qos = bytes([body[-1] & 3])
                        conn.sendall(b"\x90\x03" + pid + qos)
                        if not self.done.is_set():
                            self._misbehave(conn)
                            self.done.set()
                            if self.mode in ("close", "bad_length", "bad_type"):
                                return
                            if self.mode in ("huge_declared", "publish_half"):
                                return self._hold(conn)
                    elif kind == 4:  # PUBACK
                        self.pubacks += 1
                    elif kind == 3 and self.mode == "puback_hold" and (self.flags >> 1) & 3 == 1:
                        topic_len = struct.unpack(">H", body[:2])[0]
                        pid = body[2 + topic_len:4 + topic_len]
                        with self.lock:
                            self.published += 1
                            self.held_conn = conn
                            if self.released:
                                conn.sendall(b"\x40\x02" + pid)
                            else:
                                self.held.append(pid)
                    elif kind == 14:  # DISCONNECT
                        return
        except (EOFError, OSError):
            return
        except Exception as e:  # a bug here must show in the test, not vanish in a thread
            self.errors.append(repr(e))

    def _misbehave(self, conn):
        conn.settimeout(20)  # sendall's timeout covers the whole call: room for megabytes
        try:
            self._send_bad(conn)
        finally:
            conn.settimeout(0.2)

    def _send_bad(self, conn):
        m = self.mode
        if m == "close":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif m == "bad_length":
            conn.sendall(b"\x30\xff\xff\xff\xff\x01" + b"x" * 16)
        elif m == "bad_type":
            conn.sendall(b"\xf0\x00")
        elif m == "bad_utf8":
            conn.sendall(publish(b"t/\xff\xfe\xc0", b"not utf-8 topic"))
            conn.sendall(publish(b"t/after", b"after-bad-utf8"))
        elif m == "huge_declared":
            body_len = 200 * 1024 * 1024
            conn.sendall(b"\x30" + varint(body_len) + struct.pack(">H", 3) + b"t/h" + b"H" * (64 * 1024))
        elif m == "huge_sent":
            conn.sendall(publish(b"t/huge", b"Z" * (5 * 1024 * 1024)))
            conn.sendall(publish(b"t/after", b"after-huge"))
        elif m == "publish_half":
            whole = publish(b"t/half", b"P" * 100)
            conn.sendall(whole[: len(whole) // 2])
        elif m == "flood_qos1":
            sent = 0
            while sent < self.flood_count and not self.stopping.is_set():
                n = min(64, self.flood_count - sent)
                # Packet ids 1..65535, never 0 (MQTT-2.3.1-1).
                conn.sendall(b"".join(publish(b"t/flood", b"Q" * self.flood_size, (sent + i) % 65535 + 1)
                                      for i in range(n)))
                sent += n
        elif m == "flood":
            one = publish(b"t/flood", b"F" * self.flood_size)
            batch = one * 64
            sent = 0
            while sent < self.flood_count and not self.stopping.is_set():
                n = min(64, self.flood_count - sent)
                conn.sendall(batch if n == 64 else one * n)
                sent += n
