// sdk/js/cable-state.js (the stateful-channel client) under Node, with `ws`
// as its WebSocket: its JSON Patch code on RFC 6902 cases, its revision-gap
// handling against a scripted socket, and everything else against the real
// cable-server and its "board:demo" channel (service/default_state_channels.cc);
// also that the server serves the client's browser files (/cable-client/).
//
//   CABLE_SERVER=/path/to/cable-server node --test cable_state.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import support from '../support/cable_server.js';
import { CableState, applyPatch, patchState } from '../../sdk/js/cable-state.js';

const { startServer, within } = support;
const WAIT = 10000; // failure bound for every single wait
const TEST_TIMEOUT = 60000;
const BOARD = 'board:demo';
const here = path.dirname(fileURLToPath(import.meta.url));

// Resolves once pred() holds, checking every few milliseconds; fails after
// WAIT with `what()` in the message.
async function eventually(pred, what) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    if (pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// A WebSocket implementation for CableState that records every frame and can
// hold new connections back (`gate.close()`) until `gate.open()`: a client
// can be cut off, stay offline while others change the board, then come back.
function recordingWebSocket() {
  const log = { sent: [], received: [], sockets: [] };
  let open = true;
  let waiting = [];
  class RecordingWebSocket {
    constructor(url, protocols) {
      this._closed = false;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      const start = () => {
        if (this._closed) return;
        const ws = new WebSocket(url, protocols);
        this.ws = ws;
        log.sockets.push(ws);
        ws.onopen = (e) => this.onopen?.(e);
        ws.onmessage = (e) => {
          log.received.push(JSON.parse(String(e.data)));
          this.onmessage?.(e);
        };
        ws.onclose = (e) => this.onclose?.(e);
        ws.onerror = (e) => this.onerror?.(e);
      };
      if (open) start();
      else waiting.push(start);
    }
    get readyState() {
      if (this.ws) return this.ws.readyState;
      return this._closed ? WebSocket.CLOSED : WebSocket.CONNECTING;
    }
    get protocol() {
      return this.ws ? this.ws.protocol : '';
    }
    send(data) {
      log.sent.push(JSON.parse(data));
      this.ws.send(data);
    }
    close(code) {
      this._closed = true;
      this.ws?.close(code);
    }
  }
  const gate = {
    close() {
      open = false;
    },
    open() {
      open = true;
      const starts = waiting;
      waiting = [];
      for (const start of starts) start();
    },
    // Cuts the newest connection without a close handshake, as a dropped
    // network would.
    kill() {
      log.sockets[log.sockets.length - 1].terminate();
    },
  };
  return { RecordingWebSocket, log, gate };
}

// A CableState on `server` that records what it sees, per channel.
function newClient(server, user, { WebSocketImpl } = {}) {
  const rec = recordingWebSocket();
  const client = new CableState(`${server.url}?user=${encodeURIComponent(user)}`, {
    WebSocket: WebSocketImpl || rec.RecordingWebSocket,
  });
  const status = [];
  client.on('connectionStatus', (up) => status.push(up));
  return { client, status, ...rec };
}

function watch(channel) {
  const seen = { initialStates: [], states: 0, events: [], eventPatches: [], errors: [], rejected: 0 };
  channel.on('initialState', (s) => seen.initialStates.push(s));
  channel.on('state', () => (seen.states += 1));
  channel.on('event', (e) => seen.events.push(e));
  channel.on('eventPatch', (ep) => seen.eventPatches.push(ep));
  channel.on('error', (e) => seen.errors.push(e));
  channel.on('rejected', () => (seen.rejected += 1));
  return seen;
}

// Runs `body(server)` against a fresh cable-server (board:demo starts at count
// 0), closing every client it opened.
async function withServer(body) {
  const server = await startServer();
  const clients = [];
  try {
    await body(server, (user, opts) => {
      const c = newClient(server, user, opts);
      clients.push(c);
      return c;
    });
  } catch (e) {
    const frames = clients.map((c, i) => `client ${i} received ${JSON.stringify(c.log.received)}`).join('\n');
    throw new Error(`${e.message}\n${frames}\n--- cable-server ---\n${server.output()}`, { cause: e });
  } finally {
    for (const c of clients) c.client.close();
    await server.stop();
  }
}

// ---- JSON Patch, no server ----

// [name, document, patch, expected result | Error]; mostly RFC 6902 appendix A.
const PATCH_CASES = [
  ['add an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
  ['add an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
  ['remove an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  ['remove an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
  ['replace a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
  ['move a value',
    { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } }],
  ['move an array element', { foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }], { foo: ['all', 'cows', 'eat', 'grass'] }],
  ['test passes', { baz: 'qux', foo: ['a', 2, 'c'] },
    [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
    { baz: 'qux', foo: ['a', 2, 'c'] }],
  ['test fails', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }], Error],
  ['add a nested member object', { foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }], { foo: 'bar', child: { grandchild: {} } }],
  ['ignore unrecognised members', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }], { foo: 'bar', baz: 'qux' }],
  ['add to a nonexistent target', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }], Error],
  ['~0 and ~1 escapes', { '/': 9, '~1': 10 },
    [{ op: 'test', path: '/~01', value: 10 }, { op: 'replace', path: '/~1', value: 1 }, { op: 'add', path: '/a~1b~0', value: 2 }],
    { '/': 1, '~1': 10, 'a/b~': 2 }],
  ['a string is not a number', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], Error],
  ['add an array value', { foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], { foo: ['bar', ['abc', 'def']] }],
  ['copy', { a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: [1] }, c: { b: [1] } }],
  ['test compares objects regardless of key order', { a: { x: 1, y: [1, { z: null }] } },
    [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }], { a: { x: 1, y: [1, { z: null }] } }],
  ['remove from the end, then append (json::diff of a shorter array)', { cells: [1, 2, 3, 4] },
    [{ op: 'remove', path: '/cells/3' }, { op: 'remove', path: '/cells/2' }, { op: 'replace', path: '/cells/0', value: 0 }, { op: 'add', path: '/cells/-', value: 5 }],
    { cells: [0, 2, 5] }],
  ['replace the root object', { a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }], { b: 2 }],
  ['an index with a leading zero', { a: [1, 2] }, [{ op: 'replace', path: '/a/01', value: 3 }], Error],
  ['an index past the end', { a: [1, 2] }, [{ op: 'add', path: '/a/3', value: 3 }], Error],
  ['remove a missing member', { a: 1 }, [{ op: 'remove', path: '/b' }], Error],
  ['replace a missing member', { a: 1 }, [{ op: 'replace', path: '/b', value: 2 }], Error],
  ['move into its own child', { a: { b: {} } }, [{ op: 'move', from: '/a', path: '/a/b/c' }], Error],
  ['a pointer without a leading slash', { a: 1 }, [{ op: 'replace', path: 'a', value: 2 }], Error],
  ['an unknown op', { a: 1 }, [{ op: 'merge', path: '/a', value: 2 }], Error],
  ['add without a value', { a: 1 }, [{ op: 'add', path: '/b' }], Error],
];

for (const [name, doc, patch, expected] of PATCH_CASES) {
  test(`patchState: ${name}`, () => {
    const state = structuredClone(doc);
    if (expected === Error) {
      assert.throws(() => patchState(state, patch));
      return;
    }
    const result = patchState(state, patch);
    assert.equal(result, state, 'patched in place');
    assert.deepEqual(state, expected);
  });
}

test('patchState: null and undefined patches are no-ops', () => {
  const state = { a: [1] };
  assert.equal(patchState(state, null), state);
  assert.equal(patchState(state, undefined), state);
  assert.deepEqual(state, { a: [1] });
  assert.deepEqual(CableState.patchState({ x: 1 }, [{ op: 'remove', path: '/x' }]), {});
});

test('patchState: a "__proto__" member is data, not a prototype', () => {
  const state = {};
  patchState(state, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
  assert.equal(Object.getPrototypeOf(state), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.deepEqual(Object.keys(state), ['__proto__']);
  patchState(state, [{ op: 'remove', path: '/__proto__' }]);
  assert.deepEqual(Object.keys(state), []);
});

test('patchState: the same patch applied to two states leaves them independent', () => {
  const patch = [{ op: 'add', path: '/list', value: [] }];
  const a = patchState({}, patch);
  const b = patchState({}, patch);
  patchState(a, [{ op: 'add', path: '/list/-', value: 1 }]);
  patchState(b, [{ op: 'add', path: '/list/-', value: 1 }]);
  assert.deepEqual(a, { list: [1] });
  assert.deepEqual(b, { list: [1] });
  assert.deepEqual(patch, [{ op: 'add', path: '/list', value: [] }], 'the patch itself is unchanged');
});

test('applyPatch returns a new root where patchState cannot', () => {
  assert.equal(applyPatch({ a: 1 }, [{ op: 'replace', path: '', value: 7 }]), 7);
  assert.throws(() => patchState({ a: 1 }, [{ op: 'replace', path: '', value: 7 }]), /another type/);
  const list = [1, 2];
  assert.equal(patchState(list, [{ op: 'replace', path: '', value: [3] }]), list);
  assert.deepEqual(list, [3]);
});

// ---- The client against a scripted socket, no server ----

// A socket the test plays the server for.
function scriptedWebSocket() {
  const sockets = [];
  class ScriptedWebSocket {
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.readyState = 1;
      this.protocol = 'actioncable-v1-json';
      this.sent = [];
      sockets.push(this);
    }
    send(data) {
      this.sent.push(JSON.parse(data));
    }
    close() {
      this.readyState = 3;
    }
    serve(frame) {
      this.onmessage({ data: JSON.stringify(frame) });
    }
  }
  return { ScriptedWebSocket, sockets };
}

test('a revision gap sends sync and ignores updates until the new state', { timeout: TEST_TIMEOUT }, async () => {
  const { ScriptedWebSocket, sockets } = scriptedWebSocket();
  const client = new CableState('ws://scripted.invalid/cable', { WebSocket: ScriptedWebSocket });
  try {
    await eventually(() => sockets.length === 1, 'the first connection attempt (backoff 0)');
    const ws = sockets[0];
    assert.deepEqual(ws.protocols, ['actioncable-v1-json']);
    const board = client.joinChannel('b');
    const seen = watch(board);
    const I = board.identifier;
    assert.equal(I, '{"channel":"b"}');
    board.doAction('set', { cell: 1 }); // queued until the join is sent
    assert.deepEqual(ws.sent, []);

    ws.serve({ type: 'welcome', sid: 's' });
    assert.deepEqual(ws.sent, [
      { command: 'join', identifier: I },
      { command: 'message', identifier: I, data: '{"action":"set","payload":{"cell":1}}' },
    ]);
    ws.serve({ identifier: I, type: 'backlog', events: [{ id: 4, event: 'e4' }] });
    ws.serve({ identifier: I, type: 'state', revision: 5, last_event_id: 4, state: { n: 0 } });
    ws.serve({ identifier: I, type: 'event', revision: 6, event_id: 5, event: 'e5' });
    ws.serve({ identifier: I, type: 'event_patch', revision: 6, event_id: 6, event: 'e6', patch: [{ op: 'replace', path: '/n', value: 1 }] });
    assert.deepEqual(board.state, { n: 1 });
    assert.equal(board.revision, 6);
    assert.equal(board.lastEventId, 6);
    assert.deepEqual(seen.events, ['e4', 'e5', 'e6']);
    assert.deepEqual(seen.eventPatches, [
      { event: 'e4' }, // backlog: no patch key
      { event: 'e5', patch: null },
      { event: 'e6', patch: [{ op: 'replace', path: '/n', value: 1 }] },
    ]);

    // Revision 7 never came: sync, and drop updates until the state answers.
    ws.serve({ identifier: I, type: 'event_patch', revision: 8, event_id: 8, event: 'e8', patch: [{ op: 'replace', path: '/n', value: 8 }] });
    ws.serve({ identifier: I, type: 'event_patch', revision: 9, event_id: null, event: null, patch: [{ op: 'replace', path: '/n', value: 9 }] });
    assert.deepEqual(ws.sent.slice(2), [{ command: 'sync', identifier: I }], 'exactly one sync');
    assert.deepEqual(board.state, { n: 1 });
    ws.serve({ identifier: I, type: 'state', revision: 9, last_event_id: 8, state: { n: 9 } });
    assert.deepEqual(board.state, { n: 9 });
    assert.equal(board.revision, 9);
    // A frame the state already includes is dropped without a sync.
    ws.serve({ identifier: I, type: 'event_patch', revision: 9, event_id: null, event: null, patch: [{ op: 'replace', path: '/n', value: -1 }] });
    assert.deepEqual(board.state, { n: 9 });
    assert.equal(ws.sent.filter((f) => f.command === 'sync').length, 1);
    ws.serve({ identifier: I, type: 'event_patch', revision: 10, event_id: null, event: null, patch: [{ op: 'add', path: '/m', value: 1 }] });
    assert.deepEqual(board.state, { n: 9, m: 1 });
    assert.deepEqual(seen.initialStates, [{ n: 0 }, { n: 9 }]);

    // A patch that does not fit what the client holds also resyncs.
    ws.serve({ identifier: I, type: 'event_patch', revision: 11, event_id: null, event: null, patch: [{ op: 'remove', path: '/nope' }] });
    assert.deepEqual(ws.sent.at(-1), { command: 'sync', identifier: I });
    assert.equal(board.revision, 10);

    // A request is answered by id; a failure rejects with the server's error.
    const ok = board.doRequest('increment', { by: 1 });
    const bad = board.doRequest('take', { amount: 99 });
    const [r1, r2] = ws.sent.slice(-2).map((f) => JSON.parse(f.data));
    assert.deepEqual({ ...r1, id: 0 }, { id: 0, request: 'increment', payload: { by: 1 } });
    ws.serve({ identifier: I, type: 'reply', id: r2.id, status: 'failure', error: 'only 0 left' });
    ws.serve({ identifier: I, type: 'reply', id: r1.id, status: 'success', data: 10 });
    assert.equal(await ok, 10);
    await assert.rejects(bad, (e) => e instanceof Error && e.message === 'only 0 left' && e.error === 'only 0 left');

    // A lost connection rejects what is in flight and rejoins with last_event_id.
    const lost = board.doRequest('increment', {});
    ws.onclose({ code: 1006 });
    await assert.rejects(lost, /connection was lost/);
    await eventually(() => sockets.length === 2, 'the reconnect attempt (backoff 0)');
    sockets[1].serve({ type: 'welcome', sid: 't' });
    assert.deepEqual(sockets[1].sent, [{ command: 'join', identifier: I, data: '{"last_event_id":8}' }]);
  } finally {
    client.close();
  }
});

// ---- Against cable-server ----

// The browser entry of sdk/js: index.js and every module it imports, all by
// relative paths (a page loads them unbundled from /cable-client/).
function browserFiles(sdk) {
  const seen = new Set();
  const todo = ['index.js'];
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(path.join(sdk, file), 'utf8');
    for (const [, spec] of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)) {
      assert.ok(spec.startsWith('./'), `${file} imports "${spec}": the browser entry imports relative files only`);
      todo.push(path.posix.normalize(spec));
    }
  }
  return [...seen].sort();
}

test('the server serves the client\'s browser files byte for byte, and the page imports them', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server) => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    const sdk = path.join(here, '../../sdk/js');
    const files = browserFiles(sdk);
    assert.ok(files.includes('cable-state.js') && files.includes('consumer.js'), files.join(' '));
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cable-client-served-'));
    try {
      for (const file of files) {
        const res = await fetch(`${base}/cable-client/${file}`);
        assert.equal(res.status, 200, `/cable-client/${file}`);
        assert.match(res.headers.get('content-type'), /^text\/javascript/);
        const text = await res.text();
        assert.equal(text, fs.readFileSync(path.join(sdk, file), 'utf8'), `/cable-client/${file} differs from sdk/js/${file}`);
        fs.writeFileSync(path.join(copy, file), text);
      }
      // What the server serves is complete: the copy loads on its own.
      fs.writeFileSync(path.join(copy, 'package.json'), '{"type":"module"}');
      const served = await import(pathToFileURL(path.join(copy, 'index.js')).href);
      assert.equal(typeof served.createConsumer, 'function');
      assert.equal(typeof served.CableState, 'function');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // The rxjs entry needs a bundler or an import map: not served.
    assert.equal((await fetch(`${base}/cable-client/rxjs.js`)).status, 404);
    // The old place of the stateful-channel client re-exports it.
    const old = await fetch(`${base}/cable-state.js`);
    assert.equal(old.status, 200);
    assert.match(old.headers.get('content-type'), /^text\/javascript/);
    assert.match(await old.text(), /^export \* from "\.\/cable-client\/cable-state\.js";$/m);
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /import \{ createConsumer \} from "\/cable-client\/index\.js";/);
    assert.match(page, /import \{ CableState \} from "\/cable-client\/index\.js";/);
    assert.equal(await (await fetch(`${base}/index.html`)).text(), page);
  });
});

test('join: backlog then state; the join is in "present"', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const ann = open('ann');
    const board = ann.client.joinChannel(BOARD);
    const seen = watch(board);
    await eventually(() => seen.initialStates.length === 1, 'initialState');
    const state = seen.initialStates[0];
    assert.equal(state.count, 0);
    assert.deepEqual(state.cells, [null, null, null, null, null, null, null, null, null]);
    assert.deepEqual(Object.keys(state.present), ['ann']);
    assert.deepEqual(board.state, state);
    assert.notEqual(board.state, state, 'initialState hands out a copy');
    assert.equal(typeof board.revision, 'number');
    assert.deepEqual(ann.status, [true]);

    const types = ann.log.received.filter((f) => f.identifier === board.identifier).map((f) => f.type);
    assert.deepEqual(types.slice(0, 2), ['backlog', 'state']);
    const stateFrame = ann.log.received.find((f) => f.type === 'state');
    assert.equal(stateFrame.last_event_id, 0);
    assert.deepEqual(ann.log.received.find((f) => f.type === 'backlog').events, []);
  });
});

test('two clients see each other\'s actions as eventPatch', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const ann = open('ann');
    const bob = open('bob');
    const a = ann.client.joinChannel(BOARD);
    const b = bob.client.joinChannel(BOARD);
    const seenA = watch(a);
    const seenB = watch(b);
    await eventually(() => a.joined && b.joined, 'both joined');
    await eventually(() => a.state.present.bob && b.state.present.ann, 'each sees the other present');

    a.doAction('set', { cell: 3, value: 'X' });
    await eventually(() => b.state.cells[3] === 'X', 'bob sees cell 3');
    const ep = seenB.eventPatches.find((e) => e.event && e.event.set === 3);
    assert.deepEqual(ep.event, { set: 3, value: 'X', by: 'ann' });
    assert.deepEqual(ep.patch, [{ op: 'replace', path: '/cells/3', value: 'X' }]);

    b.doAction('increment', { by: 2 });
    await eventually(() => a.state.count === 2, 'ann sees count 2');
    assert.deepEqual(seenA.events.at(-1), { increment: 2, by: 'bob' });
    await eventually(() => b.revision === a.revision, 'same revision');
    assert.deepEqual(a.state, b.state);

    // An unknown action comes back as an error; the channel stays usable.
    a.doAction('dance', {});
    await eventually(() => seenA.errors.length === 1, 'the error frame');
    assert.equal(seenA.errors[0], 'unknown action "dance"');
    a.doAction('set', { cell: 9, value: 'X' });
    await eventually(() => seenA.errors.length === 2, 'the second error frame');
    assert.equal(seenA.errors[1], 'action "set": cell must be 0..8');
    a.doAction('increment', { by: 1 });
    await eventually(() => b.state.count === 3, 'bob sees count 3');

    // Leaving takes ann off the board for bob: a state-only commit, so an
    // eventPatch with a null event.
    const before = seenB.eventPatches.length;
    a.leave();
    await eventually(() => !b.state.present.ann, 'ann gone from present');
    assert.deepEqual(seenB.eventPatches.slice(before), [
      { event: null, patch: [{ op: 'remove', path: '/present/ann' }] },
    ]);
  });
});

test('requests: success, failure, unknown', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const ann = open('ann');
    const board = ann.client.joinChannel(BOARD);
    // Sent before the join completes: the server runs commands in order.
    assert.equal(await within(board.doRequest('increment', { by: 2 }), WAIT, 'increment'), 2);
    assert.equal(await within(board.doRequest('take', { amount: 1 }), WAIT, 'take 1'), 1);
    await assert.rejects(within(board.doRequest('take', { amount: 5 }), WAIT, 'take 5'), (e) => {
      assert.equal(e.message, 'only 1 left, cannot take 5');
      return true;
    });
    await assert.rejects(within(board.doRequest('nope', {}), WAIT, 'nope'), /unknown request "nope"/);
    await assert.rejects(
      within(board.doRequest('transfer', { to: 'board:nowhere', amount: 1 }), WAIT, 'transfer'),
      Error,
    );
    await assert.rejects(within(board.doRequest('increment', { by: 'x' }), WAIT, 'bad by'), /"by" must be an integer/);
    await eventually(() => board.state.count === 1, 'the count after the requests');
    const replies = ann.log.received.filter((f) => f.type === 'reply');
    assert.equal(replies.length, 6);
    assert.deepEqual(Object.keys(replies[0]), ['identifier', 'type', 'id', 'status', 'data']);
    assert.deepEqual(Object.keys(replies[2]), ['identifier', 'type', 'id', 'status', 'error']);
  });
});

test('a reconnect rejoins with last_event_id and gets exactly the missed events', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const cat = open('cat');
    const dan = open('dan');
    const c = cat.client.joinChannel(BOARD);
    const d = dan.client.joinChannel(BOARD);
    const seenC = watch(c);
    await eventually(() => c.joined && d.joined, 'both joined');
    c.doAction('increment', { by: 1 }); // one event cat has seen
    await eventually(() => c.state.count === 1 && d.state.count === 1, 'count 1 on both');
    const before = c.lastEventId;
    assert.ok(before >= 1);

    // Cut cat off and keep it off while dan changes the board.
    cat.gate.close();
    cat.gate.kill();
    await eventually(() => cat.status.at(-1) === false, 'cat sees the connection lost');
    await eventually(() => !d.state.present.cat, 'the server notices cat left');
    d.doAction('increment', { by: 10 });
    d.doAction('set', { cell: 0, value: 'O' });
    assert.equal(await within(d.doRequest('increment', { by: 100 }), WAIT, 'increment'), 111);
    await eventually(() => d.state.count === 111 && d.state.cells[0] === 'O', 'dan sees his changes');
    const eventsBefore = seenC.events.length;

    cat.gate.open();
    await eventually(() => seenC.initialStates.length === 2, 'cat rejoined');
    const rejoin = cat.log.sent.filter((f) => f.command === 'join').at(-1);
    assert.deepEqual(rejoin, {
      command: 'join',
      identifier: c.identifier,
      data: JSON.stringify({ last_event_id: before }),
    });
    const backlog = cat.log.received.filter((f) => f.type === 'backlog').at(-1);
    assert.deepEqual(
      backlog.events.map((e) => e.id),
      [before + 1, before + 2, before + 3],
    );
    assert.deepEqual(seenC.events.slice(eventsBefore), [
      { increment: 10, by: 'dan' },
      { set: 0, value: 'O', by: 'dan' },
      { increment: 100, by: 'dan' },
    ]);
    assert.equal(c.lastEventId, before + 3);
    await eventually(() => d.revision === c.revision, 'cat and dan at the same revision');
    assert.deepEqual(c.state, d.state);
    assert.deepEqual(Object.keys(c.state.present).sort(), ['cat', 'dan']);
    assert.deepEqual(cat.status, [true, false, true]);
  });
});

test('a fresh join gets the newest 20 events; sync answers with the state alone', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const ann = open('ann');
    const a = ann.client.joinChannel(BOARD);
    for (let i = 0; i < 25; i += 1) a.doAction('increment', { by: 1 });
    await eventually(() => a.state && a.state.count === 25, 'count 25');
    const last = a.lastEventId;

    const bob = open('bob');
    const b = bob.client.joinChannel(BOARD);
    const seenB = watch(b);
    await eventually(() => b.joined, 'bob joined');
    const backlog = bob.log.received.find((f) => f.type === 'backlog');
    assert.deepEqual(
      backlog.events.map((e) => e.id),
      Array.from({ length: 20 }, (_, i) => last - 19 + i),
    );
    assert.equal(seenB.events.length, 20);
    const stateFrame = bob.log.received.find((f) => f.type === 'state');
    assert.equal(stateFrame.last_event_id, last);

    // The raw protocol: sync gets a state frame and no backlog.
    const ws = new WebSocket(server.url, ['actioncable-v1-json']);
    const frames = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    try {
      await eventually(() => frames.some((f) => f.type === 'welcome'), 'welcome');
      const I = JSON.stringify({ channel: BOARD });
      ws.send(JSON.stringify({ command: 'join', identifier: I }));
      await eventually(() => frames.some((f) => f.type === 'state'), 'state after join');
      const n = frames.length;
      ws.send(JSON.stringify({ command: 'sync', identifier: I }));
      await eventually(() => frames.slice(n).some((f) => f.type === 'state'), 'state after sync');
      const types = frames.slice(n).map((f) => f.type).filter((t) => t !== 'ping');
      assert.deepEqual(types, ['state']);
      assert.deepEqual(Object.keys(frames.at(-1)), ['identifier', 'type', 'revision', 'last_event_id', 'state']);
    } finally {
      ws.terminate();
    }
  });
});

test('a join of a channel that does not exist is rejected', { timeout: TEST_TIMEOUT }, async () => {
  await withServer(async (server, open) => {
    const ann = open('ann');
    const missing = ann.client.joinChannel('board:nowhere');
    const seen = watch(missing);
    // Queued before the join is sent; rejected with the join.
    const refused = assert.rejects(missing.doRequest('increment', {}), /refused/);
    await eventually(() => seen.rejected === 1, 'rejected');
    await refused;
    const reject = ann.log.received.find((f) => f.type === 'reject_subscription');
    assert.deepEqual(reject, { identifier: missing.identifier, type: 'reject_subscription' });
    // The connection still serves other channels.
    const board = ann.client.joinChannel(BOARD);
    await eventually(() => board.joined, 'board:demo joined');
  });
});
