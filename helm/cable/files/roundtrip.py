#!/usr/bin/python3
"""Cable's helm test: one real round trip through a release.

A WebSocket client (Action Cable protocol, actioncable-v1-json) subscribes
to ChatChannel in a fresh room through the gateways' Service; a Broadcast to
the room's stream through the Publisher API follows; the test passes when
the client receives that message. Standard library plus grpcio, with the
Publisher stubs protoc generates from proto/cable/v1/publisher.proto on
PYTHONPATH (the image's /opt/cable/python).

Environment:
  CABLE_TEST_WS_URL         ws:// or wss://host:port/cable of the gateways
                            (required)
  CABLE_TEST_WS_CA          PEM CA for wss://: used when the file exists,
                            else the gateways' certificate is not verified
  CABLE_TEST_PUBLISHER      host:port of the Publisher API (required)
  CABLE_TEST_API_KEY        Publisher keys, comma-separated; the first is sent
  CABLE_TEST_JWT_SECRET     when set, a token for sub "helm-test" is minted
  CABLE_TEST_ORIGIN         Origin header for the WebSocket handshake
  CABLE_TEST_PUBLISHER_CA   PEM CA: TLS to the Publisher API
  CABLE_TEST_PUBLISHER_CERT, CABLE_TEST_PUBLISHER_KEY  client certificate
  CABLE_TEST_TIMEOUT        seconds for the whole test (default 30)

Exit status 0 with one line on stdout, or 1 with one line on stderr.
The loopback test (tests/helm) imports this file for its clients.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import ssl
import struct
import sys
import time
import urllib.parse

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProtocolError(Exception):
    """The server answered something a Cable gateway must not."""


class WebSocket:
    """A minimal RFC 6455 client: text frames, ping/pong, close."""

    def __init__(self, url, timeout, origin=None, protocol="actioncable-v1-json",
                 tls_context=None):
        """`tls_context` (an ssl.SSLContext) for wss://; default: the
        system's trusted CAs."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("ws", "wss"):
            raise ValueError(f"not a ws:// or wss:// URL: {url}")
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=timeout)
        if parts.scheme == "wss":
            context = tls_context or ssl.create_default_context()
            try:
                sock = context.wrap_socket(sock, server_hostname=parts.hostname)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self.buffer = b""
        self.fragments = b""
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Sec-WebSocket-Protocol: {protocol}",
        ]
        if origin:
            lines.append(f"Origin: {origin}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout)
        status = head.split(b"\r\n", 1)[0].decode(errors="replace")
        if " 101 " not in status + " ":
            raise ProtocolError(f"handshake refused: {status}")
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        headers = {}
        for line in head.decode(errors="replace").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("sec-websocket-accept") != expected:
            raise ProtocolError("bad Sec-WebSocket-Accept")

    def _read_until(self, marker, deadline):
        while marker not in self.buffer:
            self._fill(deadline)
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out waiting for the server") from None
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buffer += chunk

    def _take_frame(self):
        """(fin, opcode, payload) of the first whole frame in the buffer, or
        None; nothing is consumed until a frame is complete, so a timeout
        never splits one."""
        b = self.buffer
        if len(b) < 2:
            return None
        if b[1] & 0x80:
            raise ProtocolError("the server masked a frame")
        length, at = b[1] & 0x7F, 2
        if length == 126:
            if len(b) < 4:
                return None
            (length,), at = struct.unpack("!H", b[2:4]), 4
        elif length == 127:
            if len(b) < 10:
                return None
            (length,), at = struct.unpack("!Q", b[2:10]), 10
        if len(b) < at + length:
            return None
        self.buffer = b[at + length:]
        return bool(b[0] & 0x80), b[0] & 0x0F, b[at:at + length]

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send(0x1, text.encode())

    def receive(self, deadline):
        """Next text message (str), or None once the server closed.
        TimeoutError when `deadline` passes first (the connection stays
        usable)."""
        while True:
            frame = self._take_frame()
            if frame is None:
                self._fill(deadline)
                continue
            fin, opcode, payload = frame
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                return None
            elif opcode in (0x0, 0x1):
                self.fragments += payload
                if fin:
                    message, self.fragments = self.fragments, b""
                    return message.decode()
            elif opcode != 0xA:
                raise ProtocolError(f"unexpected opcode {opcode}")

    def close(self):
        try:
            self._send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class CableClient:
    """An Action Cable client over WebSocket: welcome, subscribe, messages."""

    def __init__(self, url, timeout, origin=None, tls_context=None):
        self.ws = WebSocket(url, timeout, origin, tls_context=tls_context)
        self.timeout = timeout
        welcome = self.next_frame(time.monotonic() + timeout)
        if welcome is None or welcome.get("type") != "welcome":
            raise ProtocolError(f"expected welcome, got {welcome!r}")
        self.sid = welcome.get("sid")

    def next_frame(self, deadline):
        """Next frame other than a ping (a dict), or None once closed."""
        while True:
            text = self.ws.receive(deadline)
            if text is None:
                return None
            frame = json.loads(text)
            if frame.get("type") != "ping":
                return frame

    def subscribe(self, identifier):
        """Subscribes; returns once confirm_subscription arrived."""
        ident = json.dumps(identifier, separators=(",", ":"))
        self.ws.send_text(json.dumps({"command": "subscribe", "identifier": ident}))
        deadline = time.monotonic() + self.timeout
        while True:
            frame = self.next_frame(deadline)
            if frame is None:
                raise ConnectionError("closed before the subscription was confirmed")
            if frame.get("identifier") == ident:
                if frame.get("type") == "confirm_subscription":
                    return ident
                if frame.get("type") == "reject_subscription":
                    raise ProtocolError("subscription rejected")

    def close(self):
        self.ws.close()


def hs256_token(secret, subject, ttl=300):
    """An HS256 JWT for `subject`, as the service's JWT mode verifies."""

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": subject, "exp": int(time.time()) + ttl}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def gateway_tls_context(ca):
    """The TLS context for wss:// to the gateways: trusting the PEM CA file
    `ca` when it exists (its certificate must then name the host in the
    URL, the gateway Service's DNS name), else verifying nothing.

    Not verifying is for this test only: the chart mounts the gateways'
    Secret's ca.crt, and a Secret from a public issuer (cert-manager's ACME,
    for one) has none, while its certificate names the public host, never
    the Service the test connects to. What the test checks is the round
    trip through the gateways, and that still runs over TLS."""
    if ca and os.path.exists(ca):
        return ssl.create_default_context(cafile=ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def publisher_channel(target, ca=None, cert=None, key=None):
    """A gRPC channel to the Publisher API (TLS when a CA is given)."""
    import grpc

    if not ca:
        return grpc.insecure_channel(target)

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(ca),
        private_key=read(key) if key else None,
        certificate_chain=read(cert) if cert else None,
    )
    return grpc.secure_channel(target, credentials)


def broadcast(channel, api_key, stream, data, timeout):
    """Publisher.Broadcast; returns the number of messages accepted."""
    from cable.v1 import publisher_pb2, publisher_pb2_grpc

    stub = publisher_pb2_grpc.PublisherStub(channel)
    metadata = [("authorization", f"Bearer {api_key}")] if api_key else None
    reply = stub.Broadcast(
        publisher_pb2.BroadcastRequest(stream=stream, data=data),
        timeout=timeout,
        metadata=metadata,
    )
    return reply.accepted


def connect_with_retry(url, origin, deadline, tls_context=None):
    """Connects, retrying refused connections until `deadline`."""
    while True:
        try:
            return CableClient(url, max(1.0, deadline - time.monotonic()), origin, tls_context)
        except (ConnectionError, OSError, ProtocolError):
            if time.monotonic() + 1 >= deadline:
                raise
            time.sleep(1)


def round_trip(env):
    """The test itself; returns a one-line summary or raises."""
    timeout = float(env.get("CABLE_TEST_TIMEOUT") or 30)
    deadline = time.monotonic() + timeout
    url = env["CABLE_TEST_WS_URL"]
    if env.get("CABLE_TEST_JWT_SECRET"):
        token = hs256_token(env["CABLE_TEST_JWT_SECRET"], "helm-test")
        url += ("&" if "?" in url else "?") + "token=" + urllib.parse.quote(token)
    api_key = (env.get("CABLE_TEST_API_KEY") or "").split(",")[0].strip()
    room = "helm-test-" + secrets.token_hex(6)
    nonce = secrets.token_hex(8)
    started = time.monotonic()

    tls_context = None
    if url.startswith("wss://"):
        tls_context = gateway_tls_context(env.get("CABLE_TEST_WS_CA"))
    client = connect_with_retry(url, env.get("CABLE_TEST_ORIGIN"), deadline, tls_context)
    transport = ""
    if tls_context is not None:
        verified = "verified" if tls_context.verify_mode == ssl.CERT_REQUIRED else "not verified"
        transport = f" (wss://, {client.ws.sock.version()}, certificate {verified})"
    try:
        ident = client.subscribe({"channel": "ChatChannel", "room": room})
        channel = publisher_channel(
            env["CABLE_TEST_PUBLISHER"],
            env.get("CABLE_TEST_PUBLISHER_CA"),
            env.get("CABLE_TEST_PUBLISHER_CERT"),
            env.get("CABLE_TEST_PUBLISHER_KEY"),
        )
        with channel:
            accepted = broadcast(
                channel, api_key, f"chat:{room}", json.dumps({"helm_test": nonce}),
                max(1.0, deadline - time.monotonic()))
        if accepted != 1:
            raise ProtocolError(f"Broadcast accepted {accepted} messages, expected 1")
        while True:
            frame = client.next_frame(deadline)
            if frame is None:
                raise ConnectionError("the gateway closed the connection before the message")
            if frame.get("identifier") == ident and frame.get("message") == {"helm_test": nonce}:
                break
    finally:
        client.close()
    elapsed = (time.monotonic() - started) * 1000
    return (f"helm test: subscribed, broadcast and received on chat:{room} in {elapsed:.0f} ms"
            f"{transport}")


def main():
    try:
        print(round_trip(os.environ), flush=True)
        return 0
    except Exception as e:  # one line, whatever failed
        if hasattr(e, "code") and hasattr(e, "details"):  # a gRPC error
            why = f"Publisher API: {e.code().name}: {e.details()}"
        else:
            why = f"{type(e).__name__}: {e}"
        print(f"helm test failed: {why}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
