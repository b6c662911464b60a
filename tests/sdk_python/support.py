"""What the SDK tests share: cable-server as a child process, a raw Action Cable
WebSocket subscriber, an in-test Publisher server that records what it gets,
and a TCP gate that refuses the first connections.

Every wait is bounded by WAIT; nothing sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc
from websockets.asyncio.client import connect as ws_connect

from cable_sdk._gen import publisher_pb2 as pb

WAIT = 10.0  # failure bound for every single wait, seconds
LISTENING = re.compile(r"^cable-server listening http=([\d.]+):(\d+) grpc=([\d.]+):(\d+)\s*$")


class CableServer:
    """cable-server (from $CABLE_SERVER) on ephemeral ports."""

    def __init__(self) -> None:
        path = os.environ.get("CABLE_SERVER")
        if not path:
            raise RuntimeError("CABLE_SERVER is not set (path to the cable-server binary)")
        self.proc = subprocess.Popen(
            [path, "--host", "127.0.0.1", "--port", "0", "--grpc_port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str | None] = []
        threading.Thread(target=_pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=_pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()
        deadline = time.monotonic() + WAIT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise RuntimeError(f"no listening line within {WAIT} s\n{self.output()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.stop()
                raise RuntimeError(f"cable-server exited early (code {code})\n{self.output()}")
            m = LISTENING.match(line)
            if m:
                self.http_port = int(m.group(2))
                self.grpc_port = int(m.group(4))
                self.target = f"127.0.0.1:{self.grpc_port}"
                return

    def output(self) -> str:
        return "--- cable-server stderr ---\n" + "".join(l for l in self.stderr if l)

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


def _pump(stream, sink) -> None:
    for line in stream:
        sink(line)
    sink(None)


def chat_identifier(room: str) -> str:
    return json.dumps({"channel": "ChatChannel", "room": room}, separators=(",", ":"))


class Subscriber:
    """A raw Action Cable client (websockets) that records every frame."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.frames: list[str] = []
        self.sid = ""

    @classmethod
    async def open(cls, http_port: int, query: str = "") -> Subscriber:
        """Connects and waits for welcome (its sid is kept)."""
        url = f"ws://127.0.0.1:{http_port}/cable{query}"
        ws = await asyncio.wait_for(
            ws_connect(url, subprotocols=["actioncable-v1-json"], open_timeout=WAIT), WAIT)
        sub = cls(ws)
        welcome = await sub.next_frame(lambda m: m.get("type") != "ping", "welcome")
        if welcome.get("type") != "welcome":
            raise AssertionError(f"first frame is not welcome: {welcome}")
        sub.sid = welcome.get("sid", "")
        return sub

    async def subscribe(self, room: str) -> str:
        """Subscribes to ChatChannel(room), which streams chat:<room>; returns the identifier."""
        ident = chat_identifier(room)
        await self.ws.send(json.dumps({"command": "subscribe", "identifier": ident}))
        confirm = await self.next_frame(lambda m: m.get("type") != "ping", "confirm_subscription")
        if confirm != {"identifier": ident, "type": "confirm_subscription"}:
            raise AssertionError(f"not confirmed: {confirm}")
        return ident

    async def next_frame(self, pred, what: str) -> dict:
        """The next frame whose parsed JSON satisfies pred; skips others."""
        async def loop():
            while True:
                raw = await self.ws.recv()
                self.frames.append(raw)
                msg = json.loads(raw)
                if pred(msg):
                    return msg
        try:
            return await asyncio.wait_for(loop(), WAIT)
        except asyncio.TimeoutError:
            raise AssertionError(f"timed out after {WAIT} s waiting for {what}; "
                                 f"frames: {self.frames}") from None

    async def messages(self, count: int) -> list[dict]:
        """The next ``count`` data messages ({identifier, message})."""
        data = lambda m: "message" in m and m.get("type") is None
        return [await self.next_frame(data, f"data message {i + 1} of {count}")
                for i in range(count)]

    async def close(self) -> None:
        await self.ws.close()


# The in-test Publisher server: each method answers with its empty response
# (Broadcast and BroadcastBatch with accepted=1) unless told otherwise.
_METHODS = {
    "Broadcast": (pb.BroadcastRequest, lambda: pb.BroadcastResponse(accepted=1)),
    "BroadcastBatch": (pb.BroadcastBatchRequest, lambda: pb.BroadcastResponse(accepted=1)),
    "Disconnect": (pb.DisconnectClientsRequest, pb.DisconnectClientsResponse),
    "Transmit": (pb.TransmitRequest, pb.TransmitResponse),
    "CreateChannel": (pb.CreateChannelRequest, pb.CreateChannelResponse),
    "GetState": (pb.GetStateRequest, pb.GetStateResponse),
    "UpdateState": (pb.UpdateStateRequest, pb.UpdateStateResponse),
    "DeleteEvents": (pb.DeleteEventsRequest, pb.DeleteEventsResponse),
    "ListChannels": (pb.ListChannelsRequest, pb.ListChannelsResponse),
}


class Recorded:
    def __init__(self, method: str, request, metadata: dict[str, str]) -> None:
        self.method = method
        self.request = request
        self.metadata = metadata


class RecordingServer:
    """A grpcio server for cable.v1.Publisher (generic handler) that records
    each call's method, request and metadata.

    ``fail[method] = (code, details)`` makes that method abort; ``stall`` set
    to a method name makes it wait (until close) instead of answering.
    """

    def __init__(self, credentials: grpc.ServerCredentials | None = None) -> None:
        self.calls: list[Recorded] = []
        self.fail: dict[str, tuple[grpc.StatusCode, str]] = {}
        self.stall: str | None = None
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handlers = {
            name: grpc.unary_unary_rpc_method_handler(
                self._handler(name, make_response),
                request_deserializer=request_type.FromString,
                response_serializer=lambda r: r.SerializeToString())
            for name, (request_type, make_response) in _METHODS.items()
        }
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("cable.v1.Publisher", handlers),))
        if credentials is None:
            self.port = self._server.add_insecure_port("127.0.0.1:0")
        else:
            self.port = self._server.add_secure_port("127.0.0.1:0", credentials)
        self.target = f"127.0.0.1:{self.port}"
        self._server.start()

    def _handler(self, name, make_response):
        def handle(request, context):
            with self._lock:
                self.calls.append(Recorded(name, request, dict(context.invocation_metadata())))
            if self.stall == name:
                self._released.wait(WAIT * 3)
            if name in self.fail:
                code, details = self.fail[name]
                context.abort(code, details)
            return make_response()
        return handle

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def close(self) -> None:
        self._released.set()
        self._server.stop(grace=None).wait(WAIT)


class TcpGate:
    """Listens on a port, closes the first ``refuse`` connections at once (a
    gRPC client sees a connection failure: nothing was sent) and forwards the
    later ones to ``forward_port``."""

    def __init__(self, refuse: int, forward_port: int) -> None:
        self.refuse = refuse
        self.forward_port = forward_port
        self.accepted = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.refuse:
                conn.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.forward_port), timeout=WAIT)
            upstream.settimeout(None)
            self._sockets += [conn, upstream]
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=_copy, args=(a, b), daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            s.close()


def _copy(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def refused_port() -> tuple[socket.socket, int]:
    """A port bound but not listening (connections are refused while the socket lives)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m cable_sdk ARGS`` with this interpreter (the venv's)."""
    full_env = {k: v for k, v in os.environ.items() if k != "CABLE_API_KEY"}
    full_env["PYTHONDONTWRITEBYTECODE"] = "1"
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "cable_sdk", *args], capture_output=True,
                          text=True, timeout=WAIT * 3, env=full_env, stdin=subprocess.DEVNULL)
