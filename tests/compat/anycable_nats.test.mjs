// Reliable streams (actioncable-v1-ext-json, the official @anycable/web
// client) across several cable-servers sharing one NATS with JetStream
// (--nats_url): the stream's history and its offsets live in NATS, so they
// outlive any one server and are the same on every server.
//
//   - kill -9 of the server a client is on: the client comes back through a
//     TCP proxy (now pointing at the other server), is restored there (its
//     session kept in JetStream: no subscribe again) and gets, by history
//     replay, everything published while it was away: 0..N-1 exactly once,
//     in order; the offsets Broadcast returned on both servers are one
//     contiguous sequence in one epoch.
//   - two servers publishing at once: clients on either server see the same
//     messages at the same offsets, in the same order.
//   - presence across both servers (the sets live in JetStream): joins on
//     either reach subscribers on both; kill -9 of one server makes its
//     members leave within seconds (its heartbeats stop), except a client
//     that comes back through the proxy to the other server and joins again.
//
// Each test runs its own nats-server (tests/support/nats_server.js: random
// port, JetStream store in a temp dir) and two cable-servers on it.
//
//   CABLE_SERVER=/path/to/cable-server NATS_SERVER=/usr/sbin/nats-server \
//     node --test anycable_nats.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import cableSupport from '../support/cable_server.js';
import natsSupport from '../support/nats_server.js';
import {
  WAIT, DELIVERY_WAIT, EXT,
  startProxy, publisher, anycableClient, subscribed, deferrer,
  sequenceReport, clientReport, serversReport, presentIds,
} from './reliable_harness.mjs';

const { startServer, within } = cableSupport;
const { startNats } = natsSupport;

const TEST_TIMEOUT = 90000;
// Both servers keep the same history (the test's stream fits in it whole).
const HISTORY = ['--history_limit=10000', '--history_ttl=10m'];

// nats-server with JetStream and cable-servers A and B on it; everything is
// stopped after the test, clients first.
async function cluster(t, extra = []) {
  const defer = deferrer(t);
  const nats = await startNats();
  defer(() => nats.stop());
  const args = ['--nats_url', nats.url, ...HISTORY, ...extra];
  const a = await startServer({ args });
  defer(() => a.stop());
  const b = await startServer({ args });
  defer(() => b.stop());
  const servers = { 'cable-server A': a, 'cable-server B': b };
  const watched = [];
  return {
    nats,
    a,
    b,
    defer,
    watched,
    report: () => `${serversReport(servers)}\n--- nats-server output ---\n${nats.output().slice(-1500)}`,
    client(url, room) {
      const c = anycableClient(url, room);
      watched.push(c);
      defer(() => c.cable.disconnect());
      return c;
    },
    publisher(server) {
      const p = publisher(server.grpcPort);
      defer(() => p.close());
      return p;
    },
  };
}

// What is wrong with `offsets` (BigInts) as one run of consecutive numbers
// (starting at `from` if given): gaps and repeats, or '' if nothing.
function contiguityProblems(offsets, from) {
  const sorted = [...offsets].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const problems = [];
  if (sorted.length && from !== undefined && sorted[0] !== from) problems.push(`starts at ${sorted[0]}, not ${from}`);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) problems.push(`${sorted[i]} repeated`);
    else if (sorted[i] !== sorted[i - 1] + 1n) problems.push(`gap ${sorted[i - 1]} -> ${sorted[i]}`);
  }
  return problems.slice(0, 20).join(', ');
}

function epochs(list) {
  return [...new Set(list.map((r) => String(r.epoch)))];
}

function hasPosition(r) {
  return r.offset !== undefined && r.offset !== null && r.epoch !== undefined && r.epoch !== null && String(r.epoch) !== '';
}

// Resolves when `child` has exited (at once if it already has).
function exitOf(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

// ---------------------------------------------------------------------------
test('reliable stream survives kill -9 of its server', { timeout: TEST_TIMEOUT }, async (t) => {
  const N = 400;
  const KILL_AT = 150;
  const cl = await cluster(t);
  const { a, b } = cl;
  const proxy = await startProxy(a.httpPort, () => cl.watched.forEach((c) => c.changed()));
  cl.defer(() => proxy.close());
  const pubA = cl.publisher(a);
  const pubB = cl.publisher(b);

  const room = `dist-kill-${randomUUID()}`;
  const stream = `chat:${room}`;
  const c = cl.client(proxy.url, room);
  await subscribed(c, { 'cable-server A': a, 'cable-server B': b });
  assert.equal(c.sockets[c.sockets.length - 1].protocol, EXT, 'negotiated subprotocol');

  const kill = {};
  const report = () => [
    sequenceReport(c.received, N),
    `at the kill (before publishing n=${KILL_AT}): ${JSON.stringify(kill)}`,
    `proxy ${JSON.stringify(proxy.stats)}, open ${proxy.open}, target ${proxy.target === b.httpPort ? 'B' : 'A'}`,
    clientReport(c),
  ].join('\n  ');

  // Two publishing processes on one stream: even n through A, odd through B,
  // each awaited; from KILL_AT on, B only.
  const responses = []; // by n: {n, via, offset, epoch}
  for (let i = 0; i < N; i++) {
    if (i === KILL_AT) {
      kill.receivedBefore = c.received.length;
      kill.socketsOpenAtProxy = proxy.open;
      a.child.kill('SIGKILL');
      proxy.retarget(b.httpPort); // reconnects go to B from now on
      await within(exitOf(a.child), WAIT, 'cable-server A to exit after SIGKILL');
      kill.cut = proxy.cut(); // the client's socket, if A's death did not close it already
    }
    const via = i < KILL_AT && i % 2 === 0 ? 'A' : 'B';
    const res = await (via === 'A' ? pubA : pubB).broadcast(stream, JSON.stringify({ n: i }));
    responses.push({ n: i, via, offset: res.offset, epoch: res.epoch });
  }

  await c.until(() => c.received.includes(N - 1),
    () => `message n=${N - 1} after kill -9 of A\n  ${report()}\n${cl.report()}`, DELIVERY_WAIT);

  assert.ok(c.received.length === N && c.received.every((n, i) => n === i),
    `the client did not receive 0..${N - 1} exactly once each, in order (missed messages: the history did not survive A, or B did not replay it):\n  ${report()}\n${cl.report()}`);
  assert.ok(!c.infos.includes('history_not_found'), `history_not_found after the failover:\n  ${report()}`);
  // Restored on B from the session A kept in JetStream: no subscribe again.
  assert.ok(c.cableRestores >= 1, `the client was not restored on B (session restore through JetStream):\n  ${report()}\n${cl.report()}`);
  const lastWelcome = c.frames.welcomes[c.frames.welcomes.length - 1];
  assert.equal(lastWelcome.restored, true, `last welcome ${JSON.stringify(lastWelcome)}`);
  assert.deepEqual(lastWelcome.restored_ids, [JSON.stringify({ channel: 'ChatChannel', room })]);
  assert.equal(c.frames.subscribes.length, 1, `the client subscribed again on B:\n  ${report()}`);

  // Broadcast answers before the kill, from both servers: sorted, 1..k, one epoch.
  const before = responses.slice(0, KILL_AT);
  const noPosition = before.filter((r) => !hasPosition(r));
  assert.equal(noPosition.length, 0,
    `Broadcast answered without offset/epoch: ${JSON.stringify(noPosition.slice(0, 5))} (${noPosition.length} of ${KILL_AT})`);
  const beforeOffsets = before.map((r) => BigInt(r.offset));
  const problems = contiguityProblems(beforeOffsets, 1n);
  assert.equal(problems, '',
    `offsets Broadcast returned on A and B before the kill are not 1..${KILL_AT}: ${problems}\n  first answers ${JSON.stringify(before.slice(0, 8))}`);
  assert.deepEqual(epochs(before), [String(before[0].epoch)], 'one epoch on A and B before the kill');

  // After the kill, B goes on from there in the same epoch, and what the
  // client read from each message is what Broadcast answered for it.
  const after = responses.slice(KILL_AT);
  const allProblems = contiguityProblems(responses.filter(hasPosition).map((r) => BigInt(r.offset)), 1n);
  assert.equal(allProblems, '', `offsets of all ${N} broadcasts are not 1..${N}: ${allProblems}`);
  assert.deepEqual(epochs(after), [String(before[0].epoch)], 'B keeps the epoch after A died');
  for (let i = 0; i < N; i++) {
    const meta = c.metas[i];
    assert.ok(meta, `message n=${i} carried no stream position; last frame ${JSON.stringify(c.frames.lastMessage)}`);
    assert.equal(meta.stream, stream, `stream_id of n=${i}`);
    assert.equal(String(meta.epoch), String(responses[i].epoch), `epoch of n=${i}`);
    assert.equal(BigInt(meta.offset), BigInt(responses[i].offset), `offset of n=${i} (published via ${responses[i].via})`);
  }
});

// ---------------------------------------------------------------------------
test('two publishers, one order on every server', { timeout: TEST_TIMEOUT }, async (t) => {
  const PER = 200;
  const N = 2 * PER;
  const cl = await cluster(t);
  const { a, b } = cl;
  const pubA = cl.publisher(a);
  const pubB = cl.publisher(b);
  const room = `dist-order-${randomUUID()}`;
  const stream = `chat:${room}`;
  const onA = cl.client(a.url, room);
  const onB = cl.client(b.url, room);
  await subscribed(onA, { 'cable-server A': a });
  await subscribed(onB, { 'cable-server B': b });

  // n 0..PER-1 through A and PER..N-1 through B, both at once; each loop
  // awaits its own broadcasts only.
  const responses = new Array(N);
  const publishAll = async (pub, via, first) => {
    for (let n = first; n < first + PER; n++) {
      const res = await pub.broadcast(stream, JSON.stringify({ n }));
      responses[n] = { n, via, offset: res.offset, epoch: res.epoch };
    }
  };
  await Promise.all([publishAll(pubA, 'A', 0), publishAll(pubB, 'B', PER)]);

  const clients = { 'client on A': onA, 'client on B': onB };
  const report = (c) => `${sequenceReport(c.received, N)}\n  ${clientReport(c)}`;
  for (const [name, c] of Object.entries(clients)) {
    await c.until(() => new Set(c.received).size >= N,
      () => `${name}: all ${N} messages\n  ${report(c)}\n${cl.report()}`, DELIVERY_WAIT);
  }

  const sequences = {};
  for (const [name, c] of Object.entries(clients)) {
    assert.ok(c.received.length === N && new Set(c.received).size === N
      && c.received.every((n) => Number.isInteger(n) && n >= 0 && n < N),
      `${name} did not receive 0..${N - 1} exactly once each:\n  ${report(c)}`);
    // Each publisher's own messages keep the order it published them in.
    const fromA = c.received.filter((n) => n < PER);
    const fromB = c.received.filter((n) => n >= PER);
    const badA = fromA.findIndex((n, i) => n !== i);
    const badB = fromB.findIndex((n, i) => n !== PER + i);
    assert.equal(badA, -1, `${name}: A's broadcasts out of order from #${badA}: ${JSON.stringify(fromA.slice(Math.max(0, badA - 2), badA + 5))}`);
    assert.equal(badB, -1, `${name}: B's broadcasts out of order from #${badB}: ${JSON.stringify(fromB.slice(Math.max(0, badB - 2), badB + 5))}`);

    const missing = c.metas.findIndex((m) => !m || m.offset === undefined || m.offset === null);
    assert.equal(missing, -1,
      `${name}: message #${missing} (n=${c.received[missing]}) carried no stream position; last frame ${JSON.stringify(c.frames.lastMessage)}`);
    const offsets = c.metas.map((m) => BigInt(m.offset));
    for (let i = 1; i < offsets.length; i++) {
      assert.equal(offsets[i], offsets[i - 1] + 1n,
        `${name}: offsets do not step by 1 at message #${i}: n=${c.received[i - 1]} @${offsets[i - 1]}, n=${c.received[i]} @${offsets[i]}`);
    }
    assert.deepEqual(epochs(c.metas), [String(c.metas[0].epoch)], `${name}: one epoch`);
    sequences[name] = c.received.map((n, i) => `${offsets[i]}:${n}`);
  }
  const [first, second] = Object.values(sequences);
  const diverge = first.findIndex((x, i) => x !== second[i]);
  assert.equal(diverge, -1,
    `clients on A and B saw different (offset:n) sequences from #${diverge}: A ${JSON.stringify(first.slice(diverge, diverge + 5))} vs B ${JSON.stringify(second.slice(diverge, diverge + 5))}`);
  assert.equal(String(onA.metas[0].epoch), String(onB.metas[0].epoch), 'same epoch on A and B');

  // What Broadcast answered on either server is where the clients saw it.
  for (let i = 0; i < N; i++) {
    const n = onA.received[i];
    assert.equal(BigInt(responses[n].offset), BigInt(onA.metas[i].offset),
      `Broadcast via ${responses[n].via} answered offset ${responses[n].offset} for n=${n}, clients saw it at ${onA.metas[i].offset}`);
    assert.equal(String(responses[n].epoch), String(onA.metas[i].epoch), `epoch of n=${n}`);
  }
});

// ---------------------------------------------------------------------------
test('presence across two servers, healed when one is killed', { timeout: TEST_TIMEOUT }, async (t) => {
  // Fast heartbeats, so that A's death shows within a couple of seconds.
  const cl = await cluster(t, ['--heartbeat_interval=300ms', '--heartbeat_timeout=1s',
    '--presence_sweep_interval=200ms']);
  const { a, b } = cl;
  const servers = { 'cable-server A': a, 'cable-server B': b };
  const proxy = await startProxy(a.httpPort, () => cl.watched.forEach((c) => c.changed()));
  cl.defer(() => proxy.close());
  const pubB = cl.publisher(b);
  const room = `dist-presence-${randomUUID()}`;
  const stream = `chat:${room}`;
  const x = cl.client(proxy.url, room); // on A, back on B after the kill
  const z = cl.client(a.url, room); // on A, gone with it
  const y = cl.client(b.url, room); // on B throughout
  for (const c of [x, y, z]) await subscribed(c, servers);
  const report = () => ['x', 'y', 'z'].map((n) => `${n} saw ${JSON.stringify({ x, y, z }[n].presence)}`).join('\n  ')
    + `\n  proxy ${JSON.stringify(proxy.stats)}\n  ${clientReport(x)}\n${cl.report()}`;
  const saw = (c, type, id) => c.presence.some((e) => e.type === type && e.id === id);

  await x.channel.presence.join('x', { on: 'A' });
  await z.channel.presence.join('z', { on: 'A' });
  await y.channel.presence.join('y', { on: 'B' });
  // Joins made on A reach B's subscriber and the other way round.
  await y.until(() => saw(y, 'join', 'x') && saw(y, 'join', 'z'), () => `y (on B) to see x and z join on A\n  ${report()}`);
  await x.until(() => saw(x, 'join', 'y'), () => `x (on A) to see y join on B\n  ${report()}`);
  const yView = await y.channel.presence.info();
  assert.deepEqual(presentIds(yView), ['x', 'y', 'z'], `y's info\n  ${report()}`);
  assert.deepEqual(await pubB.presence(stream), ['x', 'y', 'z'], 'Publisher.Presence on B');

  const connects = x.channelConnects;
  a.child.kill('SIGKILL');
  proxy.retarget(b.httpPort);
  await within(exitOf(a.child), WAIT, 'cable-server A to exit after SIGKILL');
  proxy.cut();
  // z's gateway is dead and z cannot come back: it leaves. x comes back on B
  // and joins again (its subscribe carries its presence).
  await y.until(() => saw(y, 'leave', 'z'), () => `y to see z leave after A's kill -9\n  ${report()}`);
  await x.until(() => x.channelConnects > connects, () => `x to resubscribe on B\n  ${report()}`);
  await y.until(() => presentIds(yView).join() === 'x,y',
    () => `y's view (from events) to settle on x and y\n  view ${JSON.stringify(yView)}\n  ${report()}`);
  const xView = await x.channel.presence.info();
  assert.deepEqual(presentIds(xView), ['x', 'y'], `x's fresh info on B\n  ${report()}`);
  assert.deepEqual(await pubB.presence(stream), ['x', 'y'], 'Publisher.Presence on B after the kill');
});
