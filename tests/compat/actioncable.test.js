'use strict';
// Runs the unmodified official Rails client (@rails/actioncable) against
// cable-server under Node, with `ws` as the WebSocket implementation.
//
//   CABLE_SERVER=/path/to/cable-server node --test actioncable.test.js
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, within } = require('../support/cable_server.js');

// The Rails client reads `WebSocket` when it is loaded, and its connection
// monitor listens for page visibility changes: give it what a browser would.
globalThis.WebSocket = require('ws');
globalThis.addEventListener = () => {};
globalThis.removeEventListener = () => {};
globalThis.document = {
  visibilityState: 'visible',
  addEventListener() {},
  removeEventListener() {},
  head: { querySelector: () => null },
};
const ActionCable = require('@rails/actioncable');

const WAIT = 10000; // failure bound for every single wait
const TEST_TIMEOUT = 30000;

let server;
const consumers = [];

before(async () => {
  server = await startServer();
});

after(async () => {
  for (const c of consumers) c.consumer.disconnect();
  if (server) await server.stop();
});

let roomCounter = 0;
const uniqueRoom = (tag) => `${tag}-${process.pid}-${++roomCounter}`;

// A consumer plus a log of every raw frame its socket received, for asserting
// on the wire format and for diagnostics when something goes wrong.
function newConsumer(query = '') {
  const consumer = ActionCable.createConsumer(server.url + query);
  consumer.connect(); // opens the socket synchronously; tap it before any event fires
  const socket = consumer.connection.webSocket;
  const frames = [];
  const frameWaiters = [];
  socket.addEventListener('message', (event) => {
    frames.push(String(event.data));
    for (const w of [...frameWaiters]) w();
  });
  const entry = {
    consumer,
    socket,
    frames,
    // Resolves with the first parsed frame satisfying pred (already seen or later).
    waitForFrame(pred, what) {
      return within(
        new Promise((resolve) => {
          const check = () => {
            for (const f of frames) {
              let msg;
              try { msg = JSON.parse(f); } catch { continue; }
              if (pred(msg)) {
                const i = frameWaiters.indexOf(check);
                if (i >= 0) frameWaiters.splice(i, 1);
                resolve(msg);
                return;
              }
            }
          };
          frameWaiters.push(check);
          check();
        }),
        WAIT,
        `${what}; frames so far: ${JSON.stringify(frames)}`,
      );
    },
  };
  consumers.push(entry);
  return entry;
}

// Subscribes through the Rails client; exposes promises for its callbacks and a
// queue of received() payloads.
function subscribe(entry, params) {
  const received = [];
  const waiters = [];
  let onConnected, onRejected, onDisconnected;
  const connected = new Promise((r) => (onConnected = r));
  const rejected = new Promise((r) => (onRejected = r));
  const disconnected = new Promise((r) => (onDisconnected = r));
  const calls = [];
  const subscription = entry.consumer.subscriptions.create(params, {
    connected(info) { calls.push('connected'); onConnected(info); },
    rejected() { calls.push('rejected'); onRejected(); },
    disconnected(info) { calls.push('disconnected'); onDisconnected(info); },
    received(data) {
      calls.push('received');
      received.push(data);
      while (waiters.length && waiters[0].n <= received.length) waiters.shift().resolve();
    },
  });
  const diag = () => `callbacks ${JSON.stringify(calls)}; frames ${JSON.stringify(entry.frames)}`;
  return {
    subscription,
    received,
    calls,
    connected: () => within(connected, WAIT, `connected() for ${subscription.identifier}; ${diag()}`),
    rejected: () => within(rejected, WAIT, `rejected() for ${subscription.identifier}; ${diag()}`),
    disconnected: () => within(disconnected, WAIT, `disconnected() for ${subscription.identifier}; ${diag()}`),
    // Resolves once at least n messages have been received.
    receivedCount(n) {
      if (received.length >= n) return Promise.resolve();
      return within(new Promise((resolve) => waiters.push({ n, resolve })), WAIT,
        `${n} received() call(s) on ${subscription.identifier}; got ${JSON.stringify(received)}; ${diag()}`);
    },
  };
}

test('handshake: actioncable-v1-json subprotocol and a welcome with sid', { timeout: TEST_TIMEOUT }, async () => {
  const c = newConsumer();
  const welcome = await c.waitForFrame((m) => m.type === 'welcome', 'welcome');
  assert.equal(c.socket.protocol, 'actioncable-v1-json');
  assert.equal(c.consumer.connection.getProtocol(), 'actioncable-v1-json');
  assert.equal(typeof welcome.sid, 'string');
  assert.ok(welcome.sid.length > 0, 'sid is non-empty');
  assert.equal(JSON.parse(c.frames[0]).type, 'welcome', 'welcome is the first frame');
  c.consumer.disconnect();
});

test('two consumers in one room both receive a speak; another room receives nothing', { timeout: TEST_TIMEOUT }, async () => {
  const room = uniqueRoom('compat');
  const other = uniqueRoom('elsewhere');
  const a = subscribe(newConsumer(), { channel: 'ChatChannel', room });
  const bEntry = newConsumer();
  const b = subscribe(bEntry, { channel: 'ChatChannel', room });
  const c = subscribe(newConsumer(), { channel: 'ChatChannel', room: other });
  await Promise.all([a.connected(), b.connected(), c.connected()]);

  // The confirmation echoes the identifier the Rails client sent, byte for byte.
  assert.equal(a.subscription.identifier, JSON.stringify({ channel: 'ChatChannel', room }));

  a.subscription.perform('speak', { message: 'hello' });
  await Promise.all([a.receivedCount(1), b.receivedCount(1)]);
  assert.deepEqual(a.received, [{ message: 'hello' }]);
  assert.deepEqual(b.received, [{ message: 'hello' }]);
  assert.deepEqual(c.received, [], 'a subscriber of another room received the message');

  // Ordering within a connection makes this deterministic: had the other room's
  // subscriber been sent 'hello', it would arrive before its own marker.
  c.subscription.perform('speak', { message: 'marker' });
  await c.receivedCount(1);
  assert.deepEqual(c.received, [{ message: 'marker' }]);
  a.subscription.perform('speak', { message: 'second' });
  await Promise.all([a.receivedCount(2), b.receivedCount(2)]);
  assert.deepEqual(a.received, [{ message: 'hello' }, { message: 'second' }]);
  assert.deepEqual(b.received, [{ message: 'hello' }, { message: 'second' }]);

  // Data frames are {"identifier":…,"message":…} with no type.
  const frame = await bEntry.waitForFrame((m) => m.message && m.message.message === 'hello', 'the hello data frame');
  assert.deepEqual(frame, { identifier: b.subscription.identifier, message: { message: 'hello' } });
});

test('speak from a connection with ?user= carries the user', { timeout: TEST_TIMEOUT }, async () => {
  const room = uniqueRoom('named');
  const alice = subscribe(newConsumer('?user=alice'), { channel: 'ChatChannel', room });
  const anon = subscribe(newConsumer(), { channel: 'ChatChannel', room });
  await Promise.all([alice.connected(), anon.connected()]);
  alice.subscription.perform('speak', { message: 'hi' });
  await Promise.all([alice.receivedCount(1), anon.receivedCount(1)]);
  assert.deepEqual(anon.received, [{ message: 'hi', user: 'alice' }]);
  assert.deepEqual(alice.received, [{ message: 'hi', user: 'alice' }]);
});

test('an unknown channel surfaces as rejected(); the connection stays usable', { timeout: TEST_TIMEOUT }, async () => {
  const entry = newConsumer();
  const bad = subscribe(entry, { channel: 'NoSuchChannel' });
  await bad.rejected();
  assert.ok(!bad.calls.includes('connected'), 'rejected subscription also got connected()');
  const frame = await entry.waitForFrame((m) => m.type === 'reject_subscription', 'reject_subscription frame');
  assert.equal(frame.identifier, bad.subscription.identifier);
  assert.equal(entry.consumer.subscriptions.findAll(bad.subscription.identifier).length, 0);

  const room = uniqueRoom('after-reject');
  const good = subscribe(entry, { channel: 'ChatChannel', room });
  await good.connected();
  good.subscription.perform('speak', { message: 'still here' });
  await good.receivedCount(1);
  assert.deepEqual(good.received, [{ message: 'still here' }]);
});

test('the server pings with Unix seconds', { timeout: TEST_TIMEOUT }, async () => {
  const c = newConsumer();
  const ping = await c.waitForFrame((m) => m.type === 'ping', 'a ping (expected every 3 s)');
  assert.equal(typeof ping.message, 'number');
  assert.ok(Math.abs(ping.message - Date.now() / 1000) < 60, `ping timestamp ${ping.message} is not Unix seconds`);
  c.consumer.disconnect();
});

test('consumer.disconnect() closes cleanly and does not reconnect', { timeout: TEST_TIMEOUT }, async () => {
  const room = uniqueRoom('leaving');
  const leaver = newConsumer();
  const stayer = newConsumer();
  const l = subscribe(leaver, { channel: 'ChatChannel', room });
  const s = subscribe(stayer, { channel: 'ChatChannel', room });
  await Promise.all([l.connected(), s.connected()]);

  const closed = new Promise((resolve) => leaver.socket.addEventListener('close', resolve));
  leaver.consumer.disconnect();
  const ev = await within(closed, WAIT, `close event; frames ${JSON.stringify(leaver.frames)}`);
  assert.equal(ev.wasClean, true, `close was not clean (code ${ev.code})`);
  assert.notEqual(ev.code, 1006);
  const info = await l.disconnected();
  assert.deepEqual(info, { willAttemptReconnect: false });
  assert.ok(!leaver.consumer.connection.monitor.isRunning(), 'connection monitor still running');
  assert.equal(leaver.consumer.connection.getState(), 'closed');

  // The server carries on: the remaining subscriber still gets messages, and
  // the socket that left gets nothing more.
  s.subscription.perform('speak', { message: 'after leave' });
  await s.receivedCount(1);
  assert.deepEqual(s.received, [{ message: 'after leave' }]);
  assert.deepEqual(l.received, []);
  assert.equal(server.child.exitCode, null, 'cable-server exited');
});
