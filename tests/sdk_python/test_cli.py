"""python -m cable_sdk publish: success reaches a subscriber; failures are one line and non-zero."""

import asyncio
import unittest

from support import CableServer, RecordingServer, Subscriber, refused_port, run_cli


def setUpModule():
    global server
    server = CableServer()
    unittest.addModuleCleanup(server.stop)


class CliTest(unittest.TestCase):
    def assert_one_line_failure(self, proc, *fragments):
        self.assertNotEqual(proc.returncode, 0, proc)
        lines = proc.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"stderr should be one line: {proc.stderr!r}")
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_publish_reaches_subscriber(self):
        async def scenario():
            sub = await Subscriber.open(server.http_port)
            try:
                ident = await sub.subscribe("py-cli")
                proc = await asyncio.to_thread(
                    run_cli, "publish", "--target", server.target, "--stream", "chat:py-cli",
                    "--data", '{"from":"cli"}', "--timeout", "5")
                self.assertEqual(proc.returncode, 0, proc)
                self.assertEqual(proc.stdout.strip(), "accepted 1")
                self.assertEqual(proc.stderr, "")
                self.assertEqual(await sub.messages(1),
                                 [{"identifier": ident, "message": {"from": "cli"}}])
            finally:
                await sub.close()
        asyncio.run(asyncio.wait_for(scenario(), 60))

    def test_unreachable_target_fails_in_one_line(self):
        sock, port = refused_port()
        self.addCleanup(sock.close)
        proc = run_cli("publish", "--target", f"127.0.0.1:{port}", "--stream", "chat:x",
                       "--data", "x", "--timeout", "3")
        self.assert_one_line_failure(proc, "UNAVAILABLE")
        self.assertEqual(proc.stdout, "")

    def test_empty_stream_is_invalid_argument(self):
        proc = run_cli("publish", "--target", server.target, "--stream", "", "--data", "x")
        self.assert_one_line_failure(proc, "INVALID_ARGUMENT", "stream")
        self.assertEqual(proc.returncode, 1)

    def test_usage_errors_are_one_line(self):
        proc = run_cli("publish", "--target", server.target, "--stream", "s")
        self.assert_one_line_failure(proc, "--data")
        self.assertEqual(proc.returncode, 2)
        proc = run_cli("publish", "--target", server.target, "--stream", "s", "--data", "x",
                       "--ca", "/nonexistent/ca.pem")
        self.assert_one_line_failure(proc, "/nonexistent/ca.pem")

    def test_api_key_is_sent_as_bearer_metadata(self):
        fake = RecordingServer()
        self.addCleanup(fake.close)
        proc = run_cli("publish", "--target", fake.target, "--stream", "s", "--data", "d",
                       "--api-key", "k-cli")
        self.assertEqual(proc.returncode, 0, proc)
        proc = run_cli("publish", "--target", fake.target, "--stream", "s", "--data", "d",
                       env={"CABLE_API_KEY": "k-env"})
        self.assertEqual(proc.returncode, 0, proc)
        proc = run_cli("publish", "--target", fake.target, "--stream", "s", "--data", "d")
        self.assertEqual(proc.returncode, 0, proc)
        self.assertEqual([c.metadata.get("authorization") for c in fake.calls],
                         ["Bearer k-cli", "Bearer k-env", None])
        self.assertEqual((fake.calls[0].request.stream, fake.calls[0].request.data), ("s", "d"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
