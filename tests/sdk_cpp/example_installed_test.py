"""sdk/cpp/example built against the installed package, run for real.

Installs the build into a fresh prefix (`cmake --install`), configures and
builds sdk/cpp/example with find_package(Cable CONFIG REQUIRED) and
Cable::sdk, then runs its cable-publish against a real cable-server: a
WebSocket client subscribed to the stream receives the broadcast, and the
failures (invalid argument, unreachable target, bad flags) exit non-zero
with one line on stderr.

Environment: CABLE_BUILD (the build folder to install), CABLE_SERVER,
CABLE_EXAMPLE_SOURCE (sdk/cpp/example), CABLE_WORK (a folder for the prefix
and the example's build).
"""

import asyncio
import json
import os
import pathlib
import queue
import re
import shutil
import socket
import subprocess
import threading
import time
import unittest

import websockets

WAIT = 20.0  # failure bound for each wait, seconds


def run(args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


class CableServer:
    """$CABLE_SERVER on ephemeral ports; stdout read on a thread."""

    def __init__(self, *extra):
        self.proc = subprocess.Popen(
            [os.environ["CABLE_SERVER"], "--host", "127.0.0.1", "--port", "0", "--grpc_port", "0",
             "--log_level", "warn", *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        self.pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True),
                      threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr.append), daemon=True)]
        for pump in self.pumps:
            pump.start()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                continue
            if line is None:
                break
            m = re.search(r"listening http=[\d.]+:(\d+) grpc=[\d.]+:(\d+)", line)
            if m:
                self.http_port, self.grpc_port = int(m.group(1)), int(m.group(2))
                return
        self.stop()
        raise AssertionError("cable-server did not report its ports\n" + "".join(l for l in self.stderr if l))

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink(line)
        sink(None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pump in self.pumps:  # they end at the pipes' end of file
            pump.join(timeout=WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


class ExampleInstalledTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build = pathlib.Path(os.environ["CABLE_BUILD"])
        work = pathlib.Path(os.environ["CABLE_WORK"])
        prefix = work / "prefix"
        example_build = work / "example-build"
        for d in (prefix, example_build):
            shutil.rmtree(d, ignore_errors=True)
        run(["cmake", "--install", str(build), "--prefix", str(prefix)])
        run(["cmake", "-S", os.environ["CABLE_EXAMPLE_SOURCE"], "-B", str(example_build), "-G", "Ninja",
             f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        run(["cmake", "--build", str(example_build)])
        cls.cli = str(example_build / "cable-publish")
        cls.server = CableServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def publish(self, *args):
        return subprocess.run([self.cli, *args], capture_output=True, text=True, timeout=WAIT)

    def assert_fails_with_one_line(self, r, *expected):
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("cable-publish: "), lines[0])
        for text in expected:
            self.assertIn(text, lines[0])

    def test_broadcast_reaches_a_subscriber(self):
        async def scenario():
            identifier = json.dumps({"channel": "ChatChannel", "room": "cli"})

            async def next_of(ws, pred):
                while True:
                    msg = json.loads(await ws.recv())
                    if pred(msg):
                        return msg

            async with websockets.connect(f"ws://127.0.0.1:{self.server.http_port}/cable",
                                          subprotocols=["actioncable-v1-json"], open_timeout=WAIT) as ws:
                await asyncio.wait_for(next_of(ws, lambda m: m.get("type") == "welcome"), WAIT)
                await ws.send(json.dumps({"command": "subscribe", "identifier": identifier}))
                confirm = await asyncio.wait_for(
                    next_of(ws, lambda m: m.get("identifier") == identifier and "type" in m), WAIT)
                self.assertEqual(confirm["type"], "confirm_subscription")
                target = f"127.0.0.1:{self.server.grpc_port}"
                for args in (["--target", target, "--stream", "chat:cli", "--data", '{"text":"hi"}'],
                             [f"--target={target}", "--stream=chat:cli", "--data=plain",
                              "--api_key=k1", "--timeout_ms=3000"]):
                    r = await asyncio.to_thread(self.publish, *args)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stderr, "")
                got = [await asyncio.wait_for(next_of(ws, lambda m: "message" in m), WAIT) for _ in range(2)]
                self.assertEqual(got, [{"identifier": identifier, "message": {"text": "hi"}},
                                       {"identifier": identifier, "message": "plain"}])

        asyncio.run(scenario())

    def test_empty_stream_is_invalid_argument(self):
        r = self.publish("--target", f"127.0.0.1:{self.server.grpc_port}", "--stream", "", "--data", "x")
        self.assert_fails_with_one_line(r, "INVALID_ARGUMENT")

    def test_unreachable_target_fails_within_the_timeout(self):
        with socket.socket() as closed:  # bound, never listening: refuses connections
            closed.bind(("127.0.0.1", 0))
            target = f"127.0.0.1:{closed.getsockname()[1]}"
            start = time.monotonic()
            r = self.publish("--target", target, "--stream", "chat:x", "--data", "x", "--timeout_ms", "3000")
            took = time.monotonic() - start
        self.assert_fails_with_one_line(r, "UNAVAILABLE", target)
        self.assertLess(took, 3.0 + 1.0)

    def test_wrong_api_key_is_unauthenticated(self):
        keyed = CableServer("--publisher_api_keys", "k1")
        try:
            target = f"127.0.0.1:{keyed.grpc_port}"
            ok = self.publish("--target", target, "--stream", "chat:k", "--data", "x", "--api_key", "k1")
            self.assertEqual(ok.returncode, 0, ok.stderr)
            for key in (["--api_key", "k2"], []):
                r = self.publish("--target", target, "--stream", "chat:k", "--data", "x", *key)
                self.assert_fails_with_one_line(r, "UNAUTHENTICATED")
        finally:
            keyed.stop()

    def test_bad_flags_fail_with_one_line(self):
        target = f"127.0.0.1:{self.server.grpc_port}"
        for args, text in (
                (["--stream", "s", "--data", "d"], "--target is required"),
                (["--target", target, "--stream", "s", "--data", "d", "--ca", "/nonexistent/ca.pem"], "--ca"),
                (["--target", target, "--stream", "s", "--data", "d", "--timeout_ms", "soon"], "--timeout_ms"),
                (["--target", target, "--stream", "s", "--data", "d", "--colour", "red"], "unknown flag"),
                (["--target", target, "--stream"], "needs a value")):
            with self.subTest(args=args):
                r = self.publish(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assert_fails_with_one_line(r, text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
