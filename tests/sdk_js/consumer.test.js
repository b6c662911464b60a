// The Action Cable consumer of cable-client (sdk/js/consumer.js) under Node,
// with `ws` as its WebSocket: against cable-server's ChatChannel (its `speak`
// action broadcasts {message, user} to chat:<room>), and against a scripted
// socket for what a healthy server does not do.
//
//   CABLE_SERVER=/path/to/cable-server node --test consumer.test.js
import { test } from 'node:test';
import { createConsumer, CableState, Subscription } from 'cable-client';
import {
  assert, commands, eventually, recordingWebSocket, scriptedWebSocket, TEST_TIMEOUT, uniqueRoom, withServer,
} from './helpers.js';

// A consumer for `user` whose socket records its frames.
function newConsumer(server, user, track, options = {}) {
  const rec = recordingWebSocket();
  const consumer = createConsumer(`${server.url}?user=${encodeURIComponent(user)}`, {
    WebSocket: rec.RecordingWebSocket,
    ...options,
  });
  track(consumer);
  return { consumer, ...rec };
}

// Subscribes with callbacks that record every call, in order, as
// [name, argument] pairs.
function watch(consumer, channel) {
  const calls = [];
  let sub; // create() calls initialized() before it returns
  const record = (name) => function callback(arg) {
    if (sub) assert.equal(this, sub, `${name} is called on the subscription`);
    else assert.ok(this instanceof Subscription, `${name} is called on a subscription`);
    calls.push(arg === undefined ? [name] : [name, arg]);
  };
  sub = consumer.subscriptions.create(channel, {
    initialized: record('initialized'),
    connected: record('connected'),
    disconnected: record('disconnected'),
    rejected: record('rejected'),
    received: record('received'),
  });
  const of = (name) => calls.filter((c) => c[0] === name).map((c) => c[1]);
  return { sub, calls, of, received: () => of('received') };
}

const chat = (room) => ({ channel: 'ChatChannel', room });

test('subscribe, perform "speak", and every subscriber of the room receives it', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newConsumer(server, 'ann', track);
    const bob = newConsumer(server, 'bob', track);
    const room = uniqueRoom('speak');
    const a = watch(ann.consumer, chat(room));
    const b = watch(bob.consumer, chat(room));
    const elsewhere = watch(bob.consumer, chat(`${room}-other`));
    assert.deepEqual(a.calls, [['initialized']], 'initialized at once, nothing else yet');
    assert.equal(a.sub.perform('speak', { message: 'too early' }), false, 'not sent before the welcome');

    await eventually(() => [a, b, elsewhere].every((w) => w.of('connected').length === 1), 'three confirmations');
    assert.deepEqual(a.of('connected'), [{ reconnected: false }]);
    assert.equal(a.sub.identifier, JSON.stringify({ channel: 'ChatChannel', room }));
    assert.deepEqual(commands(ann.log, 'subscribe'), [{ command: 'subscribe', identifier: a.sub.identifier }]);

    assert.equal(a.sub.perform('speak', { message: 'hi' }), true);
    await eventually(() => a.received().length === 1 && b.received().length === 1, 'the broadcast on both consumers');
    assert.deepEqual(b.received(), [{ message: 'hi', user: 'ann' }]);
    assert.deepEqual(a.received(), [{ message: 'hi', user: 'ann' }]);
    assert.deepEqual(commands(ann.log, 'message'), [{
      command: 'message',
      identifier: a.sub.identifier,
      data: JSON.stringify({ message: 'hi', action: 'speak' }),
    }]);

    // The other room hears only its own.
    elsewhere.sub.perform('speak', { message: 'elsewhere' });
    await eventually(() => elsewhere.received().length === 1, 'the other room\'s message');
    assert.deepEqual(elsewhere.received(), [{ message: 'elsewhere', user: 'bob' }]);
    assert.equal(b.received().length, 1, 'the other room\'s message does not reach this room');

    // send() is the raw form of perform().
    assert.equal(b.sub.send({ action: 'speak', message: 'raw' }), true);
    await eventually(() => a.received().length === 2, 'the raw message');
    assert.deepEqual(a.received()[1], { message: 'raw', user: 'bob' });
  });
});

test('a refused subscription is rejected and removed', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newConsumer(server, 'ann', track);
    const noRoom = watch(ann.consumer, 'ChatChannel'); // ChatChannel needs a room
    const unknown = watch(ann.consumer, { channel: 'NoSuchChannel' });
    const fine = watch(ann.consumer, chat(uniqueRoom('fine')));
    await eventually(() => noRoom.of('rejected').length === 1 && unknown.of('rejected').length === 1, 'two rejections');
    await eventually(() => fine.of('connected').length === 1, 'the good subscription');
    assert.deepEqual(noRoom.calls, [['initialized'], ['rejected']]);
    assert.equal(noRoom.sub.identifier, '{"channel":"ChatChannel"}');
    assert.deepEqual(ann.consumer.subscriptions.subscriptions, [fine.sub]);
    assert.deepEqual(ann.consumer.subscriptions.findAll(unknown.sub.identifier), []);
  });
});

test('subscriptions sharing an identifier: one subscribe, each gets callbacks, unsubscribe after the last', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newConsumer(server, 'ann', track);
    const bob = newConsumer(server, 'bob', track);
    const room = uniqueRoom('shared');
    const s1 = watch(ann.consumer, chat(room));
    const b = watch(bob.consumer, chat(room));
    await eventually(() => s1.of('connected').length === 1 && b.of('connected').length === 1, 'both subscribed');
    // The server ignores a second subscribe of the same identifier: the
    // client confirms the second subscription itself.
    const s2 = watch(ann.consumer, chat(room));
    await eventually(() => s2.of('connected').length === 1, 'the second subscription connected');
    assert.equal(commands(ann.log, 'subscribe').length, 1, 'one subscribe on the wire');

    b.sub.perform('speak', { message: 'one' });
    await eventually(() => s1.received().length === 1 && s2.received().length === 1, 'both receive "one"');

    // Dropping one keeps the server's subscription for the other.
    assert.equal(s1.sub.unsubscribe(), s1.sub);
    assert.equal(commands(ann.log, 'unsubscribe').length, 0);
    b.sub.perform('speak', { message: 'two' });
    await eventually(() => s2.received().length === 2, 's2 receives "two"');
    assert.deepEqual(s1.received(), [{ message: 'one', user: 'bob' }], 's1 no longer receives');

    s2.sub.unsubscribe();
    assert.deepEqual(commands(ann.log, 'unsubscribe'), [{ command: 'unsubscribe', identifier: s1.sub.identifier }]);
    assert.deepEqual(ann.consumer.subscriptions.subscriptions, []);
    assert.equal(s2.sub.perform('speak', { message: 'ignored' }), true, 'sent, and ignored by the server');
    // The server has taken ann off the stream once her next command is done:
    // subscribe to another room and wait for that confirmation.
    const later = watch(ann.consumer, chat(`${room}-later`));
    await eventually(() => later.of('connected').length === 1, 'a later subscription');
    b.sub.perform('speak', { message: 'three' });
    await eventually(() => b.received().length === 3, 'bob receives "three"');
    later.sub.perform('speak', { message: 'barrier' });
    await eventually(() => later.received().length === 1, 'ann\'s own message in the later room');
    assert.equal(ann.log.received.filter((f) => f.message?.message === 'three').length, 0, '"three" never reached ann');
  });
});

test('a lost connection reconnects and subscribes again', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newConsumer(server, 'ann', track);
    const bob = newConsumer(server, 'bob', track);
    const room = uniqueRoom('reconnect');
    const a = watch(ann.consumer, chat(room));
    const b = watch(bob.consumer, chat(room));
    await eventually(() => a.of('connected').length === 1 && b.of('connected').length === 1, 'both subscribed');

    ann.kill();
    await eventually(() => a.of('disconnected').length === 1, 'disconnected');
    assert.deepEqual(a.of('disconnected'), [{ willAttemptReconnect: true }]);
    await eventually(() => a.of('connected').length === 2, 'connected again');
    assert.deepEqual(a.of('connected'), [{ reconnected: false }, { reconnected: true }]);
    assert.equal(ann.log.sockets.length, 2);
    assert.equal(commands(ann.log, 'subscribe').length, 2, 'subscribed on each connection');

    b.sub.perform('speak', { message: 'after the reconnect' });
    await eventually(() => a.received().length === 1, 'the message after the reconnect');
    assert.deepEqual(a.received(), [{ message: 'after the reconnect', user: 'bob' }]);

    // disconnect() stops for good; connect() starts again and resubscribes.
    ann.consumer.disconnect();
    assert.deepEqual(a.of('disconnected').at(-1), { willAttemptReconnect: false });
    assert.equal(ann.consumer.connection.active, false);
    assert.equal(a.sub.perform('speak', { message: 'offline' }), false);
    ann.consumer.connect();
    await eventually(() => a.of('connected').length === 3, 'connected after connect()');
    assert.equal(ann.log.sockets.length, 3);
  });
});

test('a consumer and a CableState share one socket', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newConsumer(server, 'ann', track);
    const room = uniqueRoom('shared-socket');
    const a = watch(ann.consumer, chat(room));
    const cable = track(new CableState(ann.consumer));
    const board = cable.joinChannel('board:demo');
    await eventually(() => a.of('connected').length === 1 && board.joined, 'chat subscribed and board joined');
    assert.deepEqual(Object.keys(board.state.present), ['ann']);
    assert.equal(await board.doRequest('increment', { by: 2 }), 2);
    a.sub.perform('speak', { message: 'both' });
    await eventually(() => a.received().length === 1, 'the chat message');
    assert.equal(ann.log.sockets.length, 1, 'one socket for both');

    // Closing the CableState leaves its channels; the consumer goes on.
    cable.close();
    assert.deepEqual(commands(ann.log, 'leave'), [{ command: 'leave', identifier: board.identifier }]);
    assert.equal(board.left, true);
    a.sub.perform('speak', { message: 'still here' });
    await eventually(() => a.received().length === 2, 'the chat after cable.close()');
    assert.equal(ann.consumer.connection.welcomed, true);
  });
});

// ---- Against a scripted socket ----

test('disconnect with reconnect: false stops; the reason reaches disconnected()', { timeout: TEST_TIMEOUT }, async () => {
  const { ScriptedWebSocket, sockets } = scriptedWebSocket();
  let urls = 0;
  const consumer = createConsumer(() => `http://scripted.invalid/cable?n=${++urls}`, { WebSocket: ScriptedWebSocket });
  try {
    assert.equal(sockets.length, 0, 'no socket before the first subscription');
    const w = watch(consumer, chat('r'));
    await eventually(() => sockets.length === 1, 'the first attempt');
    const ws = sockets[0];
    assert.equal(ws.url, 'ws://scripted.invalid/cable?n=1', 'http becomes ws; the url function is called per attempt');
    assert.deepEqual(ws.protocols, ['actioncable-v1-json']);
    ws.open();
    ws.serve({ type: 'welcome', sid: 'x.1' });
    assert.equal(consumer.connection.sid, 'x.1');
    assert.deepEqual(ws.sent, [{ command: 'subscribe', identifier: w.sub.identifier }]);
    ws.serve({ identifier: w.sub.identifier, type: 'confirm_subscription' });
    ws.serve({ identifier: w.sub.identifier, message: [1, 'two'] });
    ws.serve({ identifier: '{"channel":"Other"}', message: 'not ours' });

    // A drop reconnects (backoff 0 after a welcome) with a fresh url.
    ws.drop();
    await eventually(() => sockets.length === 2, 'the reconnect');
    assert.equal(sockets[1].url, 'ws://scripted.invalid/cable?n=2');
    sockets[1].open();
    sockets[1].serve({ type: 'disconnect', reason: 'unauthorized', reconnect: false });
    sockets[1].drop(1000);
    assert.deepEqual(w.calls, [
      ['initialized'],
      ['connected', { reconnected: false }],
      ['received', [1, 'two']],
      ['disconnected', { willAttemptReconnect: true }],
      ['disconnected', { willAttemptReconnect: false, reason: 'unauthorized' }],
    ]);
    assert.equal(consumer.connection.active, false, 'no more attempts');

    // connect() tries again; a server choosing another subprotocol is left.
    consumer.connect();
    await eventually(() => sockets.length === 3, 'the attempt after connect()');
    sockets[2].open('actioncable-unsupported');
    assert.equal(sockets[2].closedWith, 1000);
    assert.deepEqual(w.calls.at(-1), ['disconnected', { willAttemptReconnect: false, reason: 'unsupported subprotocol "actioncable-unsupported"' }]);
    assert.equal(consumer.connection.active, false);
  } finally {
    consumer.disconnect();
  }
});

test('a silent socket is replaced; failed attempts back off', { timeout: TEST_TIMEOUT }, async () => {
  const { ScriptedWebSocket, sockets } = scriptedWebSocket();
  const consumer = createConsumer('ws://scripted.invalid/cable', {
    WebSocket: ScriptedWebSocket,
    staleMs: 200,
    backoffSeconds: [0, 0.05],
  });
  try {
    const w = watch(consumer, chat('r'));
    await eventually(() => sockets.length === 1, 'the first attempt');
    sockets[0].open();
    sockets[0].serve({ type: 'welcome' });
    // No frame for longer than staleMs: the watchdog closes it and reconnects.
    await eventually(() => sockets.length === 2, 'a new socket after the silence');
    assert.equal(sockets[0].readyState, 3, 'the silent socket was closed');
    assert.deepEqual(w.of('disconnected'), [{ willAttemptReconnect: true }]);
    // Attempts that never open are not reported to the subscriptions.
    sockets[1].drop();
    await eventually(() => sockets.length === 3, 'the next attempt');
    assert.equal(w.of('disconnected').length, 1);
    sockets[2].open();
    sockets[2].serve({ type: 'welcome' });
    assert.deepEqual(sockets[2].sent, [{ command: 'subscribe', identifier: w.sub.identifier }]);
  } finally {
    consumer.disconnect();
  }
});
