"""A minimal WebSocket client (RFC 6455, standard library only) for the web view's
tests: the handshake, text frames out (masked, as a client must), frames in. Every read
has a deadline. It can also send what a well-behaved client never would (oversize or
broken frames), for the bad-input tests."""

import base64
import json
import os
import socket
import struct
import time


class Closed(Exception):
    pass


class WebSocket:
    def __init__(self, port, path="/ws", headers=None, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           f"{extra}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
        self.head = head.decode("latin-1")

    def send_frame(self, payload, opcode=1, fin=True, length=None):
        """One masked frame; `length` may lie about the payload's length."""
        n = len(payload) if length is None else length
        first = (0x80 if fin else 0) | opcode
        if n < 126:
            header = struct.pack("!BB", first, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", first, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + body)

    def send_json(self, obj):
        self.send_frame(json.dumps(obj).encode())

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no whole frame in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("the server closed the connection")
            self.buf += chunk

    def recv_frame(self, timeout=5.0):
        """(opcode, payload) of the next frame."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        first, second = self.buf[0], self.buf[1]
        n, at = second & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(at + n, deadline)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return first & 0x0F, payload

    def recv_json(self, timeout=5.0):
        """The next text message as JSON; Closed on a close frame."""
        while True:
            opcode, payload = self.recv_frame(timeout)
            if opcode == 8:
                raise Closed(f"close frame {payload[:2].hex()}")
            if opcode == 1:
                return json.loads(payload)

    def wait_for(self, predicate, timeout=10.0):
        """Messages until one satisfies `predicate`; returns it (and keeps the rest in .seen)."""
        deadline = time.monotonic() + timeout
        self.seen = getattr(self, "seen", [])
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the awaited message did not come")
            m = self.recv_json(left)
            self.seen.append(m)
            if predicate(m):
                return m

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def http_get(port, path, headers=None, timeout=5.0):
    """(status, headers text, body bytes) of one GET, the connection closed after it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode())
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else 0
    return status, head.decode("latin-1"), body
