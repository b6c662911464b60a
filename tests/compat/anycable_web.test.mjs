// The official AnyCable JS client (@anycable/web, over @anycable/core)
// under Node against cable-server, on the extended protocol
// (actioncable-v1-ext-json): reliable streams. Every broadcast carries its
// stream position (stream_id, epoch, offset); after a reconnect the client
// asks for what it missed (`history` in its subscribe) and the server replays
// it, then confirm_history / reject_history.
//
// The client reaches the server through a TCP proxy (node:net) the test cuts
// on demand; broadcasts go through the Publisher gRPC API
// (proto/cable/v1/publisher.proto, loaded from the copy next to tests/). The
// proxy, publisher and recording client are in reliable_harness.mjs.
//
//   CABLE_SERVER=/path/to/cable-server node --test anycable_web.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import support from '../support/cable_server.js';
import {
  DELIVERY_WAIT, EXT, PLAIN,
  startProxy, publisher, anycableClient, subscribed, deferrer, rawClient,
  sequenceReport, clientReport, presentIds,
} from './reliable_harness.mjs';

const { startServer } = support;

const TEST_TIMEOUT = 60000;

async function setup(t, args) {
  const server = await startServer({ args });
  const watched = [];
  let proxy;
  let pub;
  t.after(async () => {
    for (const c of watched) c.cable.disconnect();
    if (pub) pub.close();
    if (proxy) await proxy.close();
    await server.stop();
  });
  proxy = await startProxy(server.httpPort, () => watched.forEach((c) => c.changed()));
  pub = publisher(server.grpcPort);
  return {
    server,
    proxy,
    pub,
    client(room) {
      const c = anycableClient(proxy.url, room);
      watched.push(c);
      return c;
    },
  };
}

// ---------------------------------------------------------------------------
test('reliable stream survives repeated socket cuts', { timeout: TEST_TIMEOUT }, async (t) => {
  const N = 500;
  const CUT_EVERY = 50;
  const { server, proxy, pub, client } = await setup(t, ['--history_limit=10000']);
  const room = `reliable-${randomUUID()}`;
  const stream = `chat:${room}`;
  const c = client(room);
  await subscribed(c, server);
  assert.equal(c.sockets[c.sockets.length - 1].protocol, EXT, 'negotiated subprotocol');

  const report = () => `${sequenceReport(c.received, N)}\n  proxy ${JSON.stringify(proxy.stats)}, open ${proxy.open}\n  ${clientReport(c)}`;

  const responses = [];
  let cuts = 0;
  for (let i = 0; i < N; i++) {
    if (i > 0 && i % CUT_EVERY === 0) {
      // Cut only a live, subscribed connection: wait (bounded) until the
      // client has resubscribed since the previous cut. Publishing goes on
      // right after the cut, while the client is away and reconnecting.
      await c.until(() => c.channelConnects > cuts && proxy.open > 0,
        () => `resubscription after cut ${cuts} (before publishing n=${i})\n  ${report()}`);
      const n = proxy.cut();
      assert.ok(n >= 1, `cut ${cuts + 1} found no open connection`);
      cuts++;
    }
    responses.push(await pub.broadcast(stream, JSON.stringify({ n: i })));
  }
  assert.ok(cuts >= 5, `only ${cuts} cuts`);

  await c.until(() => c.received.includes(N - 1),
    () => `message n=${N - 1} after ${cuts} cuts\n  ${report()}`, DELIVERY_WAIT);

  assert.deepEqual(c.received, Array.from({ length: N }, (_, i) => i),
    `the client did not receive 0..${N - 1} exactly once each, in order:\n  ${report()}`);
  assert.ok(!c.infos.includes('history_not_found'), `history_not_found with --history_limit=10000:\n  ${report()}`);

  // Broadcast answers: offsets step by 1, one epoch.
  assert.ok(responses[0].offset !== undefined && responses[0].epoch !== undefined,
    `BroadcastResponse has no offset/epoch: ${JSON.stringify(responses[0])}`);
  for (let i = 1; i < N; i++) {
    assert.equal(BigInt(responses[i].offset), BigInt(responses[i - 1].offset) + 1n,
      `Broadcast offsets: #${i - 1} -> ${responses[i - 1].offset}, #${i} -> ${responses[i].offset}`);
    assert.equal(responses[i].epoch, responses[0].epoch, `epoch changed at broadcast #${i}`);
  }
  // What the client read from each message is what Broadcast answered.
  for (let i = 0; i < N; i++) {
    const meta = c.metas[i];
    assert.ok(meta, `message n=${i} carried no stream position (stream_id/epoch/offset); last frame ${JSON.stringify(c.frames.lastMessage)}`);
    assert.equal(meta.stream, stream, `stream_id of n=${i}`);
    assert.equal(String(meta.epoch), responses[i].epoch, `epoch of n=${i}`);
    assert.equal(BigInt(meta.offset), BigInt(responses[i].offset), `offset of n=${i}`);
  }
});

test('session restore: the client is restored after each cut, nothing lost or repeated', { timeout: TEST_TIMEOUT }, async (t) => {
  const N = 600;
  const { server, proxy, pub, client } = await setup(t, ['--history_limit=10000']);
  const room = `restore-${randomUUID()}`;
  const stream = `chat:${room}`;
  const c = client(room);
  await subscribed(c, server);
  const report = () => `${sequenceReport(c.received, N)}\n  proxy ${JSON.stringify(proxy.stats)}, open ${proxy.open}\n  ${clientReport(c)}`;

  // Publishing goes on, unawaited by the client, while the test cuts the
  // client's socket each time it is back (restored) and has read more.
  let published = 0;
  const publishing = (async () => {
    for (let i = 0; i < N; i++) {
      await pub.broadcast(stream, JSON.stringify({ n: i }));
      published = i + 1;
      c.changed();
    }
  })();
  let cuts = 0;
  while (published < N) {
    const seen = c.received.length;
    await c.until(() => published >= N || (c.cableConnects > cuts && proxy.open > 0 && c.received.length > seen),
      () => `reconnect after cut ${cuts}, then a message\n  ${report()}`);
    if (published >= N) break;
    if (proxy.cut() >= 1) cuts++;
  }
  await publishing;
  assert.ok(cuts >= 3, `only ${cuts} cuts while publishing ${N} messages`);

  await c.until(() => c.received.includes(N - 1),
    () => `message n=${N - 1} after ${cuts} cuts\n  ${report()}`, DELIVERY_WAIT);
  await c.until(() => c.cableConnects > cuts, () => `the reconnect after the last cut\n  ${report()}`);
  assert.deepEqual(c.received, Array.from({ length: N }, (_, i) => i),
    `the client did not receive 0..${N - 1} exactly once each, in order:\n  ${report()}`);
  // Every reconnect was a restore: connect events with restored true, the
  // welcome with the subscription's identifier, and no second subscribe.
  assert.equal(c.cableRestores, cuts, `connects with restored: true:\n  ${report()}`);
  const identifier = JSON.stringify({ channel: 'ChatChannel', room });
  for (const w of c.frames.welcomes.slice(1)) {
    assert.equal(w.restored, true, `a welcome after a cut: ${JSON.stringify(w)}`);
    assert.deepEqual(w.restored_ids, [identifier], `restored_ids: ${JSON.stringify(w)}`);
  }
  assert.equal(c.frames.subscribes.length, 1, `the client subscribed again:\n  ${report()}`);
  assert.ok(!c.infos.includes('history_not_found'), `history_not_found:\n  ${report()}`);
});

test('plain clients see no change', { timeout: TEST_TIMEOUT }, async (t) => {
  const defer = deferrer(t);
  const server = await startServer(); // history on: the default
  defer(() => server.stop());
  const pub = publisher(server.grpcPort);
  defer(() => pub.close());
  const room = `plain-${randomUUID()}`;
  const identifier = JSON.stringify({ channel: 'ChatChannel', room });
  const c = await rawClient(server.url, PLAIN, identifier);
  defer(() => c.ws.terminate());
  assert.equal(c.ws.protocol, PLAIN);

  for (let i = 0; i < 3; i++) await pub.broadcast(`chat:${room}`, JSON.stringify({ n: i }));
  await c.waitFor((m) => m.message && m.message.n === 2, 'message n=2');
  const data = c.frames.filter((m) => m.type === undefined);
  assert.deepEqual(data, [0, 1, 2].map((n) => ({ identifier, message: { n } })),
    'plain data frames are exactly {identifier, message}, in order');
  assert.ok(!c.frames.some((m) => m.type === 'confirm_history' || m.type === 'reject_history'),
    `a plain client got a history frame: ${JSON.stringify(c.frames)}`);
});

test('plain and ext subscribers of one stream each get their own frame shape', { timeout: TEST_TIMEOUT }, async (t) => {
  const defer = deferrer(t);
  const server = await startServer(); // history on: the default
  defer(() => server.stop());
  const pub = publisher(server.grpcPort);
  defer(() => pub.close());
  const room = `mixed-${randomUUID()}`;
  const identifier = JSON.stringify({ channel: 'ChatChannel', room });
  const plain = await rawClient(server.url, PLAIN, identifier);
  defer(() => plain.ws.terminate());
  const ext = await rawClient(server.url, EXT, identifier);
  defer(() => ext.ws.terminate());
  assert.equal(ext.ws.protocol, EXT);

  const res = await pub.broadcast(`chat:${room}`, JSON.stringify({ n: 7 }));
  const p = await plain.waitFor((m) => m.message && m.message.n === 7, 'plain: message n=7');
  const e = await ext.waitFor((m) => m.message && m.message.n === 7, 'ext: message n=7');
  assert.deepEqual(p, { identifier, message: { n: 7 } });
  assert.deepEqual(Object.keys(e).sort(), ['epoch', 'identifier', 'message', 'offset', 'stream_id']);
  assert.equal(e.stream_id, `chat:${room}`);
  assert.equal(String(e.epoch), res.epoch);
  assert.equal(BigInt(e.offset), BigInt(res.offset));
});

test('history trimmed -> reject_history', { timeout: TEST_TIMEOUT }, async (t) => {
  const { server, proxy, pub, client } = await setup(t, ['--history_limit=5']);
  const room = `trimmed-${randomUUID()}`;
  const stream = `chat:${room}`;
  const c = client(room);
  await subscribed(c, server);
  const report = () => `${JSON.stringify(c.received)}\n  proxy ${JSON.stringify(proxy.stats)}, open ${proxy.open}, held ${proxy.held}\n  ${clientReport(c)}`;

  await pub.broadcast(stream, JSON.stringify({ n: 0 }));
  await c.until(() => c.received.includes(0), () => `message n=0\n  ${report()}`);
  assert.ok(c.metas[0], `message n=0 carried no stream position; last frame ${JSON.stringify(c.frames.lastMessage)}`);

  // Offline: cut, and hold the client's reconnect attempts at the proxy while
  // 20 more go out (the server keeps only the last 5).
  proxy.pause();
  assert.ok(proxy.cut() >= 1, 'cut found no open connection');
  await c.until(() => c.cableDisconnects >= 1, () => `the client noticing the cut\n  ${report()}`);
  for (let i = 1; i <= 20; i++) await pub.broadcast(stream, JSON.stringify({ n: i }));
  await c.until(() => proxy.held >= 1, () => `a reconnect attempt held at the proxy\n  ${report()}`);
  proxy.resume();

  await c.until(() => c.infos.includes('history_not_found'),
    () => `history_not_found (reject_history) after reconnecting\n  ${report()}`);
  assert.ok(c.cableConnects >= 2, 'reconnected');

  // Live again afterwards.
  await pub.broadcast(stream, JSON.stringify({ n: 21 }));
  await c.until(() => c.received.includes(21), () => `live message n=21 after reject_history\n  ${report()}`);
  for (let i = 1; i < c.received.length; i++) {
    assert.ok(c.received[i] > c.received[i - 1], `received out of order or twice: ${JSON.stringify(c.received)}`);
  }
});

// ---------------------------------------------------------------------------
// Presence (AnyCable's presence API on the extended protocol): joins and
// leaves reach every subscriber, info() reads the set, and socket cuts do not
// flap anyone out: a closed connection stays present for --presence_ttl, and
// the client joins again (its subscribe carries `presence`) when it comes
// back.
test('presence through @anycable/web, steady across socket cuts', { timeout: TEST_TIMEOUT }, async (t) => {
  const CUTS = 3;
  const { server, proxy, pub, client } = await setup(t, []);
  const room = `presence-${randomUUID()}`;
  const stream = `chat:${room}`;
  const alice = client(room);
  const bob = client(room);
  await subscribed(alice, server);
  await subscribed(bob, server);
  const events = (c, type, id) => c.presence.filter((e) => e.type === type && e.id === id).length;
  const report = () => `alice saw ${JSON.stringify(alice.presence)}\n  bob saw ${JSON.stringify(bob.presence)}\n  proxy ${JSON.stringify(proxy.stats)}\n  ${clientReport(alice)}\n  ${clientReport(bob)}`;

  await alice.channel.presence.join('alice', { name: 'Alice' });
  await bob.until(() => events(bob, 'join', 'alice') === 1, () => `bob to see alice join\n  ${report()}`);
  const bobView = await bob.channel.presence.info();
  assert.deepEqual(bobView, { alice: { name: 'Alice' } }, 'bob reads the presence set');
  await bob.channel.presence.join('bob', { name: 'Bob' });
  await alice.until(() => events(alice, 'join', 'bob') === 1, () => `alice to see bob join\n  ${report()}`);
  assert.deepEqual(await pub.presence(stream), ['alice', 'bob'], 'Publisher.Presence');

  for (let cut = 1; cut <= CUTS; cut++) {
    const connects = alice.channelConnects;
    const bobConnects = bob.channelConnects;
    assert.ok(proxy.cut() >= 2, `cut ${cut} found both connections open`);
    await alice.until(() => alice.channelConnects > connects,
      () => `alice to resubscribe after cut ${cut}\n  ${report()}`);
    await bob.until(() => bob.channelConnects > bobConnects,
      () => `bob to resubscribe after cut ${cut}\n  ${report()}`);
  }
  // Back on new connections, both are present once; nobody saw a leave.
  const view = await alice.channel.presence.info();
  assert.deepEqual(presentIds(view), ['alice', 'bob'], `alice's fresh info after the cuts\n  ${report()}`);
  assert.equal(events(bob, 'leave', 'alice') + events(alice, 'leave', 'bob'), 0,
    `a cut flapped someone out\n  ${report()}`);

  // (A reconnect resets the client's view: read it again, then it follows
  // the events.)
  const bobAfter = await bob.channel.presence.info();
  assert.deepEqual(presentIds(bobAfter), ['alice', 'bob'], `bob's fresh info after the cuts\n  ${report()}`);

  await alice.channel.presence.leave();
  await bob.until(() => events(bob, 'leave', 'alice') === 1, () => `bob to see alice leave\n  ${report()}`);
  assert.deepEqual(presentIds(bobAfter), ['bob'], "bob's view follows the events");
  assert.deepEqual(await pub.presence(stream), ['bob'], 'Publisher.Presence after the leave');
});
