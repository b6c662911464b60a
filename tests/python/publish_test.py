#!/usr/bin/python3
"""Publishes through cable.v1.Publisher from Python; a WebSocket client receives it.

Stubs are generated from proto/ at test time with the system protoc and
grpc_python_plugin. Run with Debian's interpreter (python3-grpcio,
python3-protobuf, python3-websockets):

    CABLE_SERVER=/path/to/cable-server /usr/bin/python3 tests/python/publish_test.py
"""

import asyncio
import importlib
import json
import os
import pathlib
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
import websockets

REPO = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = REPO / "proto"
WAIT = 10.0  # failure bound for every single wait, seconds
LISTENING = re.compile(r"^cable-server listening http=([\d.]+):(\d+) grpc=([\d.]+):(\d+)\s*$")


def generate_stubs(out_dir):
    """Runs protoc on cable/v1/publisher.proto (the public API) and imports the generated modules."""
    protoc = shutil.which("protoc") or "/usr/bin/protoc"
    subprocess.run(
        [
            protoc,
            f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
            f"-I{PROTO_DIR}",
            "cable/v1/publisher.proto",
        ],
        check=True,
        timeout=60,
    )
    sys.path.insert(0, str(out_dir))
    pb2 = importlib.import_module("cable.v1.publisher_pb2")
    pb2_grpc = importlib.import_module("cable.v1.publisher_pb2_grpc")
    return pb2, pb2_grpc


class CableServer:
    """cable-server as a child process on ephemeral ports."""

    def __init__(self):
        path = os.environ.get("CABLE_SERVER")
        if not path:
            raise RuntimeError("CABLE_SERVER is not set (path to the cable-server binary)")
        self.proc = subprocess.Popen(
            [path, "--host", "127.0.0.1", "--port", "0", "--grpc_port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()
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
                break

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)
        sink(None)

    def output(self):
        return "--- cable-server stderr ---\n" + "".join(l for l in self.stderr if l)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


class Client:
    """A raw Action Cable client over websockets: records every frame."""

    def __init__(self, ws):
        self.ws = ws
        self.frames = []

    @classmethod
    async def connect(cls, url):
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=["actioncable-v1-json"], open_timeout=WAIT), WAIT)
        return cls(ws)

    async def next_frame(self, pred, what):
        """Next frame (in arrival order) whose parsed JSON satisfies pred; skips others."""
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
            raise AssertionError(f"timed out after {WAIT} s waiting for {what}; frames: {self.frames}") from None

    async def send(self, obj):
        await self.ws.send(json.dumps(obj))


def chat_identifier(room):
    return json.dumps({"channel": "ChatChannel", "room": room}, separators=(",", ":"))


class PublisherTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Class cleanups run even when setUpClass fails part-way.
        cls.tmp = tempfile.TemporaryDirectory(prefix="cable-py-stubs-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.pb2, cls.pb2_grpc = generate_stubs(cls.tmp.name)
        cls.server = CableServer()
        cls.addClassCleanup(cls.stop_server)
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.server.grpc_port}")
        cls.addClassCleanup(cls.channel.close)
        try:
            grpc.channel_ready_future(cls.channel).result(timeout=WAIT)
        except grpc.FutureTimeoutError:
            raise AssertionError(
                f"gRPC port {cls.server.grpc_port} not ready within {WAIT} s\n{cls.server.output()}") from None
        cls.publisher = cls.pb2_grpc.PublisherStub(cls.channel)

    @classmethod
    def stop_server(cls):
        code = cls.server.stop()
        if code not in (0, -15):
            print(f"cable-server exited with {code}\n{cls.server.output()}", file=sys.stderr)

    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 60))

    def broadcast(self, stream, data):
        resp = self.publisher.Broadcast(self.pb2.BroadcastRequest(stream=stream, data=data), timeout=WAIT)
        self.assertEqual(resp.accepted, 1, f"Broadcast({stream!r}, {data!r}) accepted")

    async def subscribed_client(self, room):
        client = await Client.connect(f"ws://127.0.0.1:{self.server.http_port}/cable")
        self.assertEqual(client.ws.subprotocol, "actioncable-v1-json")
        welcome = await client.next_frame(lambda m: m.get("type") != "ping", "welcome")
        self.assertEqual(welcome.get("type"), "welcome", f"first frame: {welcome}")
        ident = chat_identifier(room)
        await client.send({"command": "subscribe", "identifier": ident})
        confirm = await client.next_frame(lambda m: m.get("type") != "ping", "confirm_subscription")
        self.assertEqual(confirm, {"identifier": ident, "type": "confirm_subscription"})
        return client, ident

    def test_broadcast_reaches_websocket_client(self):
        async def scenario():
            client, ident = await self.subscribed_client("py")
            try:
                # The gRPC call is blocking; run it off the event loop.
                await asyncio.to_thread(self.broadcast, "chat:py", '{"message":"from python"}')
                await asyncio.to_thread(self.broadcast, "chat:py", "plain text")
                data = lambda m: "message" in m and m.get("type") is None
                first = await client.next_frame(data, "the JSON broadcast")
                second = await client.next_frame(data, "the plain-text broadcast")
                self.assertEqual(first, {"identifier": ident, "message": {"message": "from python"}})
                self.assertEqual(second, {"identifier": ident, "message": "plain text"})
            finally:
                await client.ws.close()
        self.run_async(scenario())

    def test_broadcast_batch_keeps_order_and_streams_apart(self):
        async def scenario():
            client, ident = await self.subscribed_client("py-batch")
            try:
                req = self.pb2.BroadcastBatchRequest(broadcasts=[
                    self.pb2.BroadcastRequest(stream="chat:py-batch", data='{"n":1}'),
                    self.pb2.BroadcastRequest(stream="chat:somewhere-else", data='{"n":"other"}'),
                    self.pb2.BroadcastRequest(stream="chat:py-batch", data='[2,"two"]'),
                    self.pb2.BroadcastRequest(stream="chat:py-batch", data="3"),
                ])
                resp = await asyncio.to_thread(self.publisher.BroadcastBatch, req, timeout=WAIT)
                self.assertEqual(resp.accepted, 4)
                data = lambda m: "message" in m and m.get("type") is None
                got = [await client.next_frame(data, f"batch message {i}") for i in range(3)]
                self.assertEqual([g["message"] for g in got], [{"n": 1}, [2, "two"], 3])
                self.assertTrue(all(g["identifier"] == ident for g in got))
            finally:
                await client.ws.close()
        self.run_async(scenario())


if __name__ == "__main__":
    unittest.main(verbosity=2)
