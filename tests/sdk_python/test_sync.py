"""cable_sdk.Publisher against the real cable-server; a WebSocket subscriber receives its broadcasts."""

import asyncio
import json
import unittest
import uuid

import cable_sdk
from support import WAIT, CableServer, Subscriber


def setUpModule():
    global server, publisher
    server = CableServer()
    unittest.addModuleCleanup(server.stop)
    publisher = cable_sdk.Publisher(server.target, timeout=WAIT)
    unittest.addModuleCleanup(publisher.close)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


class SyncPublisherTest(unittest.TestCase):
    def test_broadcast_delivers_str_bytes_and_objects(self):
        async def scenario():
            sub = await Subscriber.open(server.http_port)
            try:
                ident = await sub.subscribe("py-sync")
                sent = ["plain text", '{"json":"text"}', b'{"from":"bytes"}', {"an": ["object", 1]},
                        [1, 2], 7, None]
                for data in sent:
                    # Blocking gRPC call: off the event loop.
                    result = await asyncio.to_thread(publisher.broadcast, "chat:py-sync", data)
                    self.assertEqual(result, cable_sdk.BroadcastResult(accepted=1))
                got = await sub.messages(len(sent))
                self.assertEqual([g["message"] for g in got],
                                 ["plain text", {"json": "text"}, {"from": "bytes"},
                                  {"an": ["object", 1]}, [1, 2], 7, None])
                self.assertTrue(all(g["identifier"] == ident for g in got))
            finally:
                await sub.close()
        run(scenario())

    def test_broadcast_batch_keeps_order(self):
        async def scenario():
            sub = await Subscriber.open(server.http_port)
            try:
                await sub.subscribe("py-sync-batch")
                result = await asyncio.to_thread(publisher.broadcast_batch, [
                    ("chat:py-sync-batch", {"n": 1}),
                    ("chat:elsewhere", {"n": "other"}),
                    ("chat:py-sync-batch", "two"),
                    ("chat:py-sync-batch", b"3"),
                ])
                self.assertEqual(result.accepted, 4)
                got = await sub.messages(3)
                self.assertEqual([g["message"] for g in got], [{"n": 1}, "two", 3])
            finally:
                await sub.close()
        run(scenario())

    def test_transmit_and_disconnect_reach_one_connection(self):
        user = f"py-{uuid.uuid4().hex[:8]}"

        async def scenario():
            sub = await Subscriber.open(server.http_port, f"?user={user}")
            try:
                ident = await sub.subscribe("py-transmit")
                await asyncio.to_thread(publisher.transmit, sub.sid, ident, {"only": "you"})
                got = await sub.messages(1)
                self.assertEqual(got, [{"identifier": ident, "message": {"only": "you"}}])
                await asyncio.to_thread(publisher.disconnect, {"current_user": user}, True)
                bye = await sub.next_frame(lambda m: m.get("type") == "disconnect", "disconnect")
                self.assertEqual(bye, {"type": "disconnect", "reason": "remote", "reconnect": True})
            finally:
                await sub.close()
        run(scenario())

    def test_server_errors_are_typed(self):
        with self.assertRaises(cable_sdk.InvalidArgument) as cm:
            publisher.broadcast("", "x")
        self.assertEqual(cm.exception.code.name, "INVALID_ARGUMENT")
        self.assertFalse(cm.exception.retryable)
        self.assertIn("stream", cm.exception.details)
        with self.assertRaises(cable_sdk.NotFound):
            publisher.get_state(f"py-missing-{uuid.uuid4().hex}")
        with self.assertRaises(cable_sdk.InvalidArgument):
            publisher.disconnect({})
        with self.assertRaises(TypeError):
            publisher.broadcast("chat:x", {"not": object()})

    def test_stateful_channel_round_trip(self):
        name = f"py-board-{uuid.uuid4().hex[:8]}"
        self.assertTrue(publisher.create_channel(name, {"n": 0}, channel_type="py-test").created)
        self.assertFalse(publisher.create_channel(name, {"n": 9}, channel_type="py-test").created)
        state = publisher.get_state(name)
        self.assertEqual((state.value, state.type, state.keep_events), ({"n": 0}, "py-test", True))
        update = publisher.update_state(name, state.revision, state={"n": 1},
                                        events=[{"e": 1}, "[2]"])
        self.assertEqual(update.revision, state.revision + 1)
        self.assertGreater(update.first_event_id, 0)
        with self.assertRaises(cable_sdk.FailedPrecondition) as cm:
            publisher.update_state(name, state.revision, state={"n": 2})
        self.assertFalse(cm.exception.retryable)
        after = publisher.get_state(name)
        self.assertEqual((after.value, after.revision), ({"n": 1}, update.revision))
        self.assertEqual(after.last_event_id, update.first_event_id + 1)
        self.assertIn(name, publisher.list_channels(channel_type="py-test"))
        self.assertIn(name, publisher.list_channels())
        self.assertEqual(publisher.list_channels(channel_type=f"none-{name}"), [])
        self.assertEqual(publisher.delete_events(name, keep_num=0).deleted, 2)
        with self.assertRaises(cable_sdk.InvalidArgument):
            publisher.delete_events(name)
        with self.assertRaisesRegex(cable_sdk.InvalidArgument, "JSON"):
            publisher.update_state(name, after.revision, events=["not json"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
