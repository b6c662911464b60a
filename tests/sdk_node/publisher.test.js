'use strict';
// The Publisher class against cable-server: what it publishes reaches a
// WebSocket subscriber; stateful channels round-trip; failures are typed.
//
//   CABLE_SERVER=/path/to/cable-server node --test publisher.test.js
// (after npm ci here and npm ci && npm run build in sdk/node)
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('../support/cable_server.js');
const { WAIT, loadSdk, uniqueRoom, CableSocket, within } = require('./support.js');

const { Publisher, CableError, status } = loadSdk();

let server;
let publisher;
const sockets = [];

before(async () => {
  server = await startServer();
  publisher = new Publisher({ target: `127.0.0.1:${server.grpcPort}`, timeoutMs: WAIT });
});

after(async () => {
  for (const s of sockets) s.close();
  publisher?.close();
  if (server) await server.stop();
});

async function subscriber(room) {
  const socket = await CableSocket.connect(server.url);
  sockets.push(socket);
  const identifier = await socket.subscribeChat(room);
  return { socket, identifier };
}

test('broadcast reaches a subscriber: JSON text, plain text and values', async () => {
  const room = uniqueRoom('lib');
  const { socket, identifier } = await subscriber(room);
  assert.deepEqual(await publisher.broadcast(`chat:${room}`, '{"message":"json text"}'), { accepted: 1 });
  await publisher.broadcast(`chat:${room}`, 'plain text');
  await publisher.broadcast(`chat:${room}`, { message: 'a value', n: [1, 2] });
  await publisher.broadcast(`chat:${room}`, Buffer.from('"bytes"'));
  assert.deepEqual(await socket.nextMessage(identifier, 'the JSON text'), { message: 'json text' });
  assert.equal(await socket.nextMessage(identifier, 'the plain text'), 'plain text');
  assert.deepEqual(await socket.nextMessage(identifier, 'the value'), { message: 'a value', n: [1, 2] });
  assert.equal(await socket.nextMessage(identifier, 'the bytes'), 'bytes');
});

test('broadcastBatch delivers every message, in order', async () => {
  const a = uniqueRoom('batch-a');
  const b = uniqueRoom('batch-b');
  const subA = await subscriber(a);
  const subB = await subscriber(b);
  const result = await publisher.broadcastBatch([
    { stream: `chat:${a}`, data: { n: 1 } },
    { stream: `chat:${b}`, data: 'to b' },
    { stream: `chat:${a}`, data: { n: 2 } },
  ]);
  assert.deepEqual(result, { accepted: 3 });
  assert.deepEqual(await subA.socket.nextMessage(subA.identifier, 'first to a'), { n: 1 });
  assert.deepEqual(await subA.socket.nextMessage(subA.identifier, 'second to a'), { n: 2 });
  assert.equal(await subB.socket.nextMessage(subB.identifier, 'the one to b'), 'to b');
});

test('transmit reaches exactly the connection it names', async () => {
  const room = uniqueRoom('transmit');
  const target = await subscriber(room);
  const other = await subscriber(room);
  await publisher.transmit(target.socket.sid, target.identifier, { only: 'you' });
  assert.deepEqual(await target.socket.nextMessage(target.identifier, 'the transmit'), { only: 'you' });
  // A broadcast after it reaches both, so the other one got nothing before.
  await publisher.broadcast(`chat:${room}`, 'after');
  assert.equal(await other.socket.nextMessage(other.identifier, 'the broadcast'), 'after');
  assert.equal(await target.socket.nextMessage(target.identifier, 'the broadcast'), 'after');
});

test('disconnect: identifiers must not be empty; unmatched identifiers are fine', async () => {
  await assert.rejects(publisher.disconnect({}), (e) => e instanceof CableError && e.code === status.INVALID_ARGUMENT);
  assert.equal(await publisher.disconnect({ user: `nobody-${process.pid}` }, { reconnect: true }), undefined);
});

test('stateful channels: create, read, compare-and-set, delete events, list', async () => {
  const name = `board:node-${process.pid}`;
  assert.deepEqual(await publisher.createChannel(name, { cells: [] }, { type: 'node-board' }), { created: true });
  assert.deepEqual(await publisher.createChannel(name, { other: 1 }), { created: false });
  const s = await publisher.getState(name);
  assert.deepEqual(s.value, { cells: [] });
  assert.equal(JSON.parse(s.state).cells.length, 0);
  assert.equal(s.type, 'node-board');
  assert.equal(s.keepEvents, true);
  assert.equal(typeof s.revision, 'number');

  const u = await publisher.updateState(name, {
    expectedRevision: s.revision, state: { cells: [1] }, events: [{ set: 1 }, '{"set":2}'],
  });
  assert.ok(u.revision > s.revision);
  assert.ok(u.firstEventId > 0);
  const s2 = await publisher.getState(name);
  assert.deepEqual(s2.value, { cells: [1] });
  assert.equal(s2.revision, u.revision);
  assert.equal(s2.lastEventId, u.firstEventId + 1);

  const stale = publisher.updateState(name, { expectedRevision: BigInt(s.revision), events: [{ set: 3 }] });
  await assert.rejects(stale, (e) => e.code === status.FAILED_PRECONDITION && !e.retryable);
  // Events only: the state stays.
  await publisher.updateState(name, { expectedRevision: s2.revision, events: [{ set: 3 }] });
  assert.deepEqual((await publisher.getState(name)).value, { cells: [1] });

  assert.deepEqual(await publisher.deleteEvents(name, { keepNum: 1 }), { deleted: 2 });
  await assert.rejects(publisher.deleteEvents(name, {}), (e) => e.code === status.INVALID_ARGUMENT);
  assert.ok((await publisher.listChannels()).includes(name));
  assert.deepEqual(await publisher.listChannels({ type: 'node-board' }), [name]);
  await assert.rejects(publisher.getState(`${name}-missing`), (e) => e.code === status.NOT_FOUND);
});

test('an empty stream is INVALID_ARGUMENT from the server, not retryable', async () => {
  await assert.rejects(publisher.broadcast('', 'x'), (e) => {
    assert.ok(e instanceof CableError);
    assert.equal(e.code, status.INVALID_ARGUMENT);
    assert.equal(e.codeName, 'INVALID_ARGUMENT');
    assert.equal(e.retryable, false);
    assert.equal(e.notSent, false);
    assert.match(e.message, /^INVALID_ARGUMENT: /);
    return true;
  });
});

test('an unreachable server is UNAVAILABLE, retryable and not sent', async () => {
  // A port that was just free: the server gets one, we close it, then dial it.
  const net = require('node:net');
  const port = await within(new Promise((resolve) => {
    const l = net.createServer().listen(0, '127.0.0.1', () => {
      const p = l.address().port;
      l.close(() => resolve(p));
    });
  }), WAIT, 'a free port');
  const p = new Publisher({ target: `127.0.0.1:${port}`, timeoutMs: WAIT });
  try {
    await assert.rejects(p.broadcast('chat:nowhere', 'x'), (e) => {
      assert.equal(e.code, status.UNAVAILABLE, e.message);
      assert.equal(e.retryable, true);
      assert.equal(e.notSent, true);
      return true;
    });
  } finally {
    p.close();
  }
});

test('a closed Publisher rejects with CANCELLED', async () => {
  const p = new Publisher({ target: `127.0.0.1:${server.grpcPort}` });
  assert.deepEqual(await p.broadcast('chat:closed', 'x'), { accepted: 1 });
  p.close();
  await assert.rejects(p.broadcast('chat:closed', 'x'), (e) => e.code === status.CANCELLED && e.notSent);
});
