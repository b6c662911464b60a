"""The installed C++ package, used as an app would use it.

Installs the build into a fresh prefix (`cmake --install`), builds
tests/package/tiny_app against it with find_package(Cable CONFIG REQUIRED),
and serves its own channel: nats-server, tiny-app (the cable service with
the app's EchoChannel) and a real cable-gateway in front, all on ephemeral
ports; a WebSocket client subscribes and performs an action, and receives
the broadcast the app's channel makes.

Environment: CABLE_BUILD (the build folder), CABLE_GATEWAY, NATS_SERVER,
CABLE_WORK (a folder for the prefix and the app's build).
"""

import asyncio
import json
import os
import pathlib
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import websockets

HERE = pathlib.Path(__file__).resolve().parent
WAIT = 20.0  # failure bound for each wait, seconds


class Process:
    """A child process whose stdout lines are read on a thread."""

    def __init__(self, args, name):
        self.name = name
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True).start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)
        sink(None)

    def wait_line(self, pattern):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            if line is None:
                break
            m = re.match(pattern, line)
            if m:
                return m
        self.stop()
        raise AssertionError(f"{self.name}: no line matching {pattern!r} within {WAIT} s\n"
                             + "".join(l for l in self.stderr if l))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


class InstalledPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build = pathlib.Path(os.environ["CABLE_BUILD"])
        work = pathlib.Path(os.environ["CABLE_WORK"])
        cls.prefix = work / "prefix"
        app_build = work / "tiny-app-build"
        for d in (cls.prefix, app_build):
            shutil.rmtree(d, ignore_errors=True)
        run(["cmake", "--install", str(build), "--prefix", str(cls.prefix)])
        run(["cmake", "-S", str(HERE / "tiny_app"), "-B", str(app_build), "-G", "Ninja",
             f"-DCMAKE_PREFIX_PATH={cls.prefix}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        run(["cmake", "--build", str(app_build)])
        cls.tiny_app = app_build / "tiny-app"
        cls.board_client = app_build / "board-client"

    def test_prefix_has_one_include_tree_and_the_public_proto(self):
        include = self.prefix / "include"
        self.assertEqual(sorted(p.name for p in include.iterdir()), ["cable"])
        self.assertTrue((include / "cable" / "pubsub.h").exists())
        self.assertTrue((include / "cable" / "service" / "service_server.h").exists())
        self.assertTrue((include / "cable" / "v1" / "publisher.grpc.pb.h").exists())
        self.assertFalse((include / "cable" / "service" / "demo").exists(),
                         "the demo application is not part of the package")
        self.assertTrue((self.prefix / "share/cable/proto/cable/v1/publisher.proto").exists())

    def test_tiny_app_serves_its_own_channel_behind_a_real_gateway(self):
        with tempfile.TemporaryDirectory() as tmp:
            nats = Process([os.environ["NATS_SERVER"], "-a", "127.0.0.1", "-p", "-1",
                            "--ports_file_dir", tmp], "nats-server")
            procs = [nats]
            try:
                nats_url = self._nats_url(nats, tmp)
                app = Process([str(self.tiny_app), nats_url], "tiny-app")
                procs.append(app)
                internal_port = int(app.wait_line(
                    r"^tiny-app listening grpc=127\.0\.0\.1:\d+ internal=127\.0\.0\.1:(\d+)").group(1))
                gateway = Process([os.environ["CABLE_GATEWAY"], "--host", "127.0.0.1", "--port", "0",
                                   "--nats_url", nats_url, "--service", f"127.0.0.1:{internal_port}"],
                                  "cable-gateway")
                procs.append(gateway)
                http_port = int(gateway.wait_line(r"^cable-gateway listening http=[\d.]+:(\d+)").group(1))
                asyncio.run(self._echo(http_port))
            finally:
                for p in reversed(procs):
                    p.stop()

    def test_installed_client_joins_a_stateful_channel_and_gets_a_reply(self):
        server = Process([os.environ["CABLE_SERVER"], "--host", "127.0.0.1", "--port", "0",
                          "--grpc_port", "0"], "cable-server")
        try:
            port = int(server.wait_line(r"^cable-server listening http=[\d.]+:(\d+)").group(1))
            r = run([str(self.board_client), f"ws://127.0.0.1:{port}/cable?user=ann"])
            out = json.loads(r.stdout.strip().splitlines()[-1])
            self.assertIsInstance(out["initial_state"], dict)
            # A fresh server's board counts from 0; the reply is the new count.
            self.assertEqual(out["reply"], 2)
        finally:
            server.stop()

    @staticmethod
    def _nats_url(nats, folder):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for f in pathlib.Path(folder).glob("*.ports"):
                text = f.read_text()
                if text.strip():
                    return json.loads(text)["nats"][0]
            if nats.proc.poll() is not None:
                break
            time.sleep(0.02)  # polling a file the server writes; bounded above
        raise AssertionError("nats-server wrote no ports file\n" + "".join(l for l in nats.stderr if l))

    async def _echo(self, port):
        identifier = json.dumps({"channel": "EchoChannel", "topic": "t1"})

        async def next_of(ws, pred):
            while True:
                msg = json.loads(await ws.recv())
                if pred(msg):
                    return msg

        async with websockets.connect(f"ws://127.0.0.1:{port}/cable",
                                      subprotocols=["actioncable-v1-json"],
                                      open_timeout=WAIT) as ws:
            await asyncio.wait_for(next_of(ws, lambda m: m.get("type") == "welcome"), WAIT)
            await ws.send(json.dumps({"command": "subscribe", "identifier": identifier}))
            confirm = await asyncio.wait_for(
                next_of(ws, lambda m: m.get("type") in ("confirm_subscription", "reject_subscription")), WAIT)
            self.assertEqual(confirm["type"], "confirm_subscription")
            await ws.send(json.dumps({"command": "message", "identifier": identifier,
                                      "data": json.dumps({"action": "shout", "text": "hello"})}))
            got = await asyncio.wait_for(next_of(ws, lambda m: "message" in m), WAIT)
            self.assertEqual(got, {"identifier": identifier, "message": {"shouted": "HELLO"}})
            # A channel the app does not have is rejected.
            other = json.dumps({"channel": "ChatChannel", "room": "x"})
            await ws.send(json.dumps({"command": "subscribe", "identifier": other}))
            reject = await asyncio.wait_for(
                next_of(ws, lambda m: m.get("identifier") == other and "type" in m), WAIT)
            self.assertEqual(reject["type"], "reject_subscription")


if __name__ == "__main__":
    unittest.main(verbosity=2)
