// cable-client/rxjs (sdk/js/rxjs.js) under Node against cable-server's
// "board:demo" channel (service/default_state_channels.cc): the BoardStreams
// observables connectionStatus$, initialStates$, state$, events$ and
// eventsPatches$, their BehaviorSubject-like start, and their completion.
//
//   CABLE_SERVER=/path/to/cable-server node --test rxjs.test.js
import { test } from 'node:test';
import { CableState, patchState } from 'cable-client/rxjs';
import { assert, eventually, recordingWebSocket, TEST_TIMEOUT, withServer } from './helpers.js';

const BOARD = 'board:demo';

// Subscribes to `observable$`, recording values and completion.
function record(observable$) {
  const seen = { values: [], completed: false, errors: [] };
  seen.subscription = observable$.subscribe({
    next: (v) => seen.values.push(v),
    error: (e) => seen.errors.push(e),
    complete: () => {
      seen.completed = true;
    },
  });
  return seen;
}

function recordChannel(channel) {
  return {
    initialStates: record(channel.initialStates$),
    states: record(channel.state$),
    events: record(channel.events$),
    eventsPatches: record(channel.eventsPatches$),
  };
}

function newClient(server, user, track) {
  const rec = recordingWebSocket();
  const cable = track(new CableState(`${server.url}?user=${encodeURIComponent(user)}`, {
    WebSocket: rec.RecordingWebSocket,
  }));
  return { cable, ...rec };
}

test('connectionStatus$ starts with the current status and completes on close', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const { cable } = newClient(server, 'ann', track);
    const early = record(cable.connectionStatus$);
    assert.deepEqual(early.values, [false], 'false at once, before the welcome');
    await eventually(() => early.values.length === 2, 'the welcome');
    assert.deepEqual(early.values, [false, true]);
    const late = record(cable.connectionStatus$);
    assert.deepEqual(late.values, [true], 'a late subscriber gets the current status');

    cable.close();
    assert.deepEqual(early.values, [false, true, false]);
    assert.equal(early.completed, true);
    assert.equal(late.completed, true);
    const after = record(cable.connectionStatus$);
    assert.deepEqual(after.values, []);
    assert.equal(after.completed, true, 'completes at once after close');
    assert.deepEqual(early.errors, []);
  });
});

test('a channel\'s observables: initial state, state after an action, events, patches', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const { cable } = newClient(server, 'ann', track);
    const board = cable.joinChannel(BOARD);
    const seen = recordChannel(board);
    assert.deepEqual(seen.states.values, [], 'no state before the join');
    await eventually(() => seen.initialStates.values.length === 1, 'the initial state');
    const initial = seen.initialStates.values[0];
    assert.equal(initial.count, 0);
    assert.deepEqual(initial.cells, Array(9).fill(null));
    assert.deepEqual(Object.keys(initial.present), ['ann']);
    assert.deepEqual(seen.states.values, [board.state]);
    assert.notEqual(initial, board.state, 'initialStates$ hands out a copy');

    // The BoardStreams pattern: keep your own copy, patch it with eventsPatches$.
    const mine = initial;
    board.eventsPatches$.subscribe(({ patch }) => patchState(mine, patch));

    board.doAction('set', { cell: 3, value: 'X' });
    await eventually(() => seen.states.values.length === 2, 'the state after the action');
    assert.equal(seen.states.values[1].cells[3], 'X');
    assert.deepEqual(seen.events.values, [{ set: 3, value: 'X', by: 'ann' }]);
    assert.deepEqual(seen.eventsPatches.values, [{
      event: { set: 3, value: 'X', by: 'ann' },
      patch: [{ op: 'replace', path: '/cells/3', value: 'X' }],
    }]);

    assert.equal(await board.doRequest('increment', { by: 5 }), 5);
    await eventually(() => board.state.count === 5, 'count 5');
    assert.deepEqual(seen.events.values.at(-1), { increment: 5, by: 'ann' });
    assert.equal(seen.states.values.at(-1).count, 5);
    assert.deepEqual(mine, board.state, 'the patched copy follows the state');
    assert.equal(seen.initialStates.values.length, 1, 'no new initial state without a rejoin');
    for (const s of Object.values(seen)) assert.deepEqual(s.errors, []);
  });
});

test('late subscribers get the current state at once, but no old events', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const { cable } = newClient(server, 'ann', track);
    const board = cable.joinChannel(BOARD);
    board.doAction('increment', { by: 1 });
    board.doAction('increment', { by: 2 });
    await eventually(() => board.state?.count === 3, 'count 3');

    const late = recordChannel(board);
    assert.deepEqual(late.states.values, [board.state]);
    assert.equal(late.states.values[0], board.state, 'state$ gives the client\'s own copy');
    assert.deepEqual(late.initialStates.values, [board.state]);
    assert.notEqual(late.initialStates.values[0], board.state, 'initialStates$ gives a copy');
    assert.deepEqual(late.events.values, []);
    assert.deepEqual(late.eventsPatches.values, []);

    // A second subscriber of initialStates$ gets a copy of its own.
    const other = record(board.initialStates$);
    assert.notEqual(other.values[0], late.initialStates.values[0]);

    board.doAction('increment', { by: 1 });
    await eventually(() => late.events.values.length === 1, 'the next event');
    assert.deepEqual(late.events.values, [{ increment: 1, by: 'ann' }]);
  });
});

test('leave completes every channel observable; the server sees the leave', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newClient(server, 'ann', track);
    const bob = newClient(server, 'bob', track);
    const a = ann.cable.joinChannel(BOARD);
    const b = bob.cable.joinChannel(BOARD);
    const seen = recordChannel(a);
    const bobStates = record(b.state$);
    await eventually(() => a.joined && b.state?.present?.ann, 'both joined, bob sees ann');

    a.leave();
    for (const [name, s] of Object.entries(seen)) assert.equal(s.completed, true, `${name} completed`);
    const after = recordChannel(a);
    for (const [name, s] of Object.entries(after)) {
      assert.equal(s.completed, true, `${name} completes at once after leave`);
      assert.deepEqual(s.values, [], `${name} gives no value after leave`);
    }
    await eventually(() => !bobStates.values.at(-1).present.ann, 'bob sees ann gone');
    assert.equal(bobStates.completed, false, 'only the channel that was left completes');
    assert.equal(ann.cable.connected, true, 'the connection stays');

    // Closing the client completes its channels too.
    bob.cable.close();
    assert.equal(bobStates.completed, true);
  });
});

test('a reconnect shows in connectionStatus$ and brings a new initial state', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, track) => {
    const ann = newClient(server, 'ann', track);
    const status = record(ann.cable.connectionStatus$);
    const board = ann.cable.joinChannel(BOARD);
    const seen = recordChannel(board);
    await eventually(() => seen.initialStates.values.length === 1, 'joined');
    board.doAction('increment', { by: 1 });
    await eventually(() => seen.events.values.length === 1, 'one event');

    ann.kill();
    await eventually(() => seen.initialStates.values.length === 2, 'the rejoin');
    assert.deepEqual(status.values, [false, true, false, true]);
    assert.equal(seen.initialStates.values[1].count, 1);
    assert.deepEqual(seen.events.values, [{ increment: 1, by: 'ann' }], 'no event twice after the rejoin');
    const joins = ann.log.sent.filter((f) => f.command === 'join');
    assert.deepEqual(joins.map((f) => f.data), [undefined, JSON.stringify({ last_event_id: 1 })]);
    for (const s of [status, ...Object.values(seen)]) assert.equal(s.completed, false);
  });
});
