"""cable_sdk.aio.Publisher against the real cable-server."""

import asyncio
import unittest
import uuid

import cable_sdk
import cable_sdk.aio
from support import WAIT, CableServer, Subscriber


def setUpModule():
    global server
    server = CableServer()
    unittest.addModuleCleanup(server.stop)


class AsyncPublisherTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.publisher = cable_sdk.aio.Publisher(server.target, timeout=WAIT)
        self.addAsyncCleanup(self.publisher.close)

    async def test_broadcast_and_batch_reach_subscriber(self):
        sub = await Subscriber.open(server.http_port)
        self.addAsyncCleanup(sub.close)
        ident = await sub.subscribe("py-async")
        result = await asyncio.wait_for(self.publisher.broadcast("chat:py-async", {"n": 1}), WAIT)
        self.assertEqual(result, cable_sdk.BroadcastResult(accepted=1))
        await self.publisher.broadcast("chat:py-async", "text")
        batch = await self.publisher.broadcast_batch(
            [("chat:py-async", [3]), ("chat:other", 0), ("chat:py-async", b'"four"')])
        self.assertEqual(batch.accepted, 3)
        got = await sub.messages(4)
        self.assertEqual([g["message"] for g in got], [{"n": 1}, "text", [3], "four"])
        self.assertTrue(all(g["identifier"] == ident for g in got))

    async def test_transmit_reaches_one_connection(self):
        sub = await Subscriber.open(server.http_port)
        self.addAsyncCleanup(sub.close)
        ident = await sub.subscribe("py-async-transmit")
        await self.publisher.transmit(sub.sid, ident, "just you")
        self.assertEqual(await sub.messages(1), [{"identifier": ident, "message": "just you"}])

    async def test_errors_and_state(self):
        with self.assertRaises(cable_sdk.InvalidArgument):
            await self.publisher.broadcast("", "x")
        name = f"py-async-{uuid.uuid4().hex[:8]}"
        with self.assertRaises(cable_sdk.NotFound):
            await self.publisher.get_state(name)
        self.assertTrue((await self.publisher.create_channel(name, "[]", keep_events=False)).created)
        state = await self.publisher.get_state(name)
        self.assertEqual((state.value, state.keep_events), ([], False))
        update = await self.publisher.update_state(name, state.revision, state=[1])
        self.assertEqual(update.first_event_id, 0)
        self.assertIn(name, await self.publisher.list_channels())

    async def test_context_manager_closes(self):
        async with cable_sdk.aio.Publisher(server.target) as publisher:
            self.assertEqual((await publisher.broadcast("chat:py-async-cm", 1)).accepted, 1)
        with self.assertRaisesRegex(ValueError, "closed"):
            await publisher.broadcast("chat:py-async-cm", 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
