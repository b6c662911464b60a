"""Against an in-test Publisher server: the API key metadata, retries that
never publish twice, deadlines, and TLS (what the real server cannot show yet)."""

import asyncio
import pathlib
import subprocess
import tempfile
import time
import unittest

import grpc

import cable_sdk
import cable_sdk.aio
from support import WAIT, RecordingServer, TcpGate, refused_port

MAKE_CERTS = pathlib.Path(__file__).resolve().parent / "make_certs.sh"


class FakeServerTest(unittest.TestCase):
    def setUp(self):
        self.fake = RecordingServer()
        self.addCleanup(self.fake.close)

    def publisher(self, target=None, **kw):
        p = cable_sdk.Publisher(target or self.fake.target, **{"timeout": WAIT, **kw})
        self.addCleanup(p.close)
        return p

    def test_api_key_is_sent_on_every_call(self):
        p = self.publisher(api_key="k-sync")
        p.broadcast("s", "d")
        p.get_state("c")
        p.list_channels()
        self.publisher().broadcast("s", "no key")

        async def with_aio():
            async with cable_sdk.aio.Publisher(self.fake.target, api_key="k-aio") as ap:
                await ap.broadcast_batch([("s", 1), ("t", 2)])
        asyncio.run(asyncio.wait_for(with_aio(), 60))
        self.assertEqual([(c.method, c.metadata.get("authorization")) for c in self.fake.calls], [
            ("Broadcast", "Bearer k-sync"), ("GetState", "Bearer k-sync"),
            ("ListChannels", "Bearer k-sync"), ("Broadcast", None),
            ("BroadcastBatch", "Bearer k-aio")])
        batch = self.fake.calls[-1].request
        self.assertEqual([(b.stream, b.data) for b in batch.broadcasts], [("s", "1"), ("t", "2")])

    def test_bad_api_key_is_rejected_before_sending(self):
        for key in ("", "two words", "line\nbreak"):
            with self.assertRaises(ValueError):
                cable_sdk.Publisher(self.fake.target, api_key=key)

    def test_server_unavailable_on_a_publish_is_not_retried(self):
        self.fake.fail["Broadcast"] = (grpc.StatusCode.UNAVAILABLE, "busy")
        with self.assertRaises(cable_sdk.Unavailable) as cm:
            self.publisher().broadcast("s", "d")
        self.assertTrue(cm.exception.retryable)
        self.assertFalse(cm.exception.not_sent)
        self.assertEqual(self.fake.methods(), ["Broadcast"])  # published once, not retried

    def test_resource_exhausted_is_retryable_but_not_retried(self):
        self.fake.fail["BroadcastBatch"] = (grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down")
        with self.assertRaises(cable_sdk.ResourceExhausted) as cm:
            self.publisher().broadcast_batch([("s", "d")])
        self.assertTrue(cm.exception.retryable)
        self.assertEqual(self.fake.methods(), ["BroadcastBatch"])

    def test_reads_are_retried_on_retryable_codes(self):
        self.fake.fail["GetState"] = (grpc.StatusCode.UNAVAILABLE, "busy")
        policy = cable_sdk.RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
        with self.assertRaises(cable_sdk.Unavailable):
            self.publisher(retry=policy).get_state("c")
        self.assertEqual(self.fake.methods(), ["GetState"] * 3)

    def test_connection_failures_are_retried_and_publish_once(self):
        gate = TcpGate(refuse=1, forward_port=self.fake.port)
        self.addCleanup(gate.close)
        policy = cable_sdk.RetryPolicy(max_attempts=6, initial_backoff=0.2, max_backoff=0.5)
        result = self.publisher(f"127.0.0.1:{gate.port}", retry=policy).broadcast("s", "once")
        self.assertEqual(result.accepted, 1)
        self.assertGreaterEqual(gate.accepted, 2)
        self.assertEqual(self.fake.methods(), ["Broadcast"])

    def test_unreachable_is_unavailable_and_not_sent(self):
        sock, port = refused_port()
        self.addCleanup(sock.close)
        for retry in (cable_sdk.NO_RETRY, cable_sdk.RetryPolicy(initial_backoff=0.01)):
            with self.assertRaises(cable_sdk.Unavailable) as cm:
                self.publisher(f"127.0.0.1:{port}", retry=retry).broadcast("s", "d")
            self.assertTrue(cm.exception.not_sent)
            self.assertTrue(cm.exception.retryable)

    def test_per_call_timeout_overrides_the_default(self):
        self.fake.stall = "Broadcast"
        p = self.publisher()
        start = time.monotonic()
        with self.assertRaises(cable_sdk.DeadlineExceeded) as cm:
            p.broadcast("s", "d", timeout=0.3)
        self.assertLess(time.monotonic() - start, WAIT / 2)
        self.assertTrue(cm.exception.retryable)
        self.assertEqual(self.fake.methods(), ["Broadcast"])

        async def with_aio():
            async with cable_sdk.aio.Publisher(self.fake.target, timeout=0.3) as ap:
                with self.assertRaises(cable_sdk.DeadlineExceeded):
                    await ap.broadcast("s", "d")
        asyncio.run(asyncio.wait_for(with_aio(), 60))
        self.assertEqual(self.fake.methods(), ["Broadcast"] * 2)

    def test_requests_carry_every_field(self):
        p = self.publisher()
        p.transmit("g.1", "ident", {"x": 1})
        p.disconnect({"current_user": "bob"}, reconnect=True)
        p.create_channel("c", {"s": 1}, channel_type="t", keep_events=False)
        p.update_state("c", 4, events=["e"])
        p.delete_events("c", keep_duration_ms=1000)
        p.list_channels(channel_type="t")
        r = [c.request for c in self.fake.calls]
        self.assertEqual((r[0].sid, r[0].identifier, r[0].data), ("g.1", "ident", '{"x":1}'))
        self.assertEqual((dict(r[1].identifiers), r[1].reconnect), ({"current_user": "bob"}, True))
        self.assertEqual((r[2].name, r[2].state, r[2].type, r[2].no_events), ("c", '{"s":1}', "t", True))
        self.assertEqual((r[3].expected_revision, r[3].HasField("state"), list(r[3].events)),
                         (4, False, ["e"]))
        self.assertEqual((r[4].HasField("keep_num"), r[4].keep_duration_ms), (False, 1000))
        self.assertEqual((r[5].HasField("type"), r[5].type), (True, "t"))


class TlsTest(unittest.TestCase):
    def setUp(self):
        # Certificates made now with openssl, never checked in.
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        subprocess.run(["/bin/sh", str(MAKE_CERTS), tmp.name], check=True,
                       capture_output=True, timeout=60)
        self.tls_dir = pathlib.Path(tmp.name)

    def test_mutual_tls(self):
        TLS_DIR = self.tls_dir
        read = lambda name: (TLS_DIR / name).read_bytes()
        creds = grpc.ssl_server_credentials([(read("server.key"), read("server.pem"))],
                                            root_certificates=read("ca.pem"),
                                            require_client_auth=True)
        fake = RecordingServer(creds)
        self.addCleanup(fake.close)
        tls = cable_sdk.TLS.from_files(ca=TLS_DIR / "ca.pem", cert=TLS_DIR / "client.pem",
                                       key=TLS_DIR / "client.key")
        with cable_sdk.Publisher(fake.target, tls=tls, api_key="k-tls", timeout=WAIT) as p:
            self.assertEqual(p.broadcast("s", "over tls").accepted, 1)
        self.assertEqual(fake.calls[0].metadata.get("authorization"), "Bearer k-tls")
        # Without the client certificate the handshake fails: nothing is sent.
        no_client = cable_sdk.TLS.from_files(ca=TLS_DIR / "ca.pem")
        with cable_sdk.Publisher(fake.target, tls=no_client, timeout=WAIT,
                                 retry=cable_sdk.NO_RETRY) as p:
            with self.assertRaises(cable_sdk.Unavailable):
                p.broadcast("s", "refused")
        # Plaintext to a TLS port fails too.
        with cable_sdk.Publisher(fake.target, timeout=WAIT, retry=cable_sdk.NO_RETRY) as p:
            with self.assertRaises(cable_sdk.CableError):
                p.broadcast("s", "plaintext")
        self.assertEqual(len(fake.calls), 1)

    def test_certificate_needs_its_key(self):
        with self.assertRaises(ValueError):
            cable_sdk.TLS(certificate_chain=b"cert")


if __name__ == "__main__":
    unittest.main(verbosity=2)
