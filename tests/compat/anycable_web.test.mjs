// The official AnyCable JS client (@anycable/core, the core of @anycable/web)
// under Node against cable-server, on the extended protocol
// (actioncable-v1-ext-json): reliable streams. Every broadcast carries its
// stream position (stream_id, epoch, offset); after a reconnect the client
// asks for what it missed (`history` in its subscribe) and the server replays
// it, then confirm_history / reject_history.
//
// The client reaches the server through a TCP proxy (node:net) the test cuts
// on demand; broadcasts go through the Publisher gRPC API
// (proto/cable/v1/publisher.proto, loaded from the copy next to tests/).
//
//   CABLE_SERVER=/path/to/cable-server node --test anycable_web.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { createCable, BaseLogger } from '@anycable/core';
import support from '../support/cable_server.js';

const { startServer } = support;
const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = path.resolve(here, '../../proto');

const WAIT = 10000; // failure bound for every single wait
const DELIVERY_WAIT = 30000; // bound for the whole backlog to arrive after publishing
const TEST_TIMEOUT = 60000;
const EXT = 'actioncable-v1-ext-json';
const PLAIN = 'actioncable-v1-json';

// ---------------------------------------------------------------------------
// Waiting: every wait is for a condition, re-checked whenever something the
// test watches changes, and bounded by a timeout whose message says what was
// awaited and what was seen.
function watcher() {
  const waiters = new Set();
  return {
    changed() {
      for (const w of [...waiters]) w();
    },
    until(pred, what, ms = WAIT) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pred()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

// ---------------------------------------------------------------------------
// A TCP proxy in front of cable-server's HTTP port. cut() resets every open
// client+upstream pair; pause() holds new connections (accepted, not read, not
// forwarded) until resume() links them to the server.
async function startProxy(targetPort, onChange = () => {}) {
  const pairs = new Set();
  const held = new Set();
  let paused = false;
  const stats = { accepted: 0, cuts: 0, pairsCut: 0 };

  const kill = (sock) => {
    try {
      if (typeof sock.resetAndDestroy === 'function' && !sock.destroyed) sock.resetAndDestroy();
      else sock.destroy();
    } catch {
      sock.destroy();
    }
  };

  const link = (client) => {
    const up = net.connect(targetPort, '127.0.0.1');
    const pair = { client, up };
    pairs.add(pair);
    const drop = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      up.destroy();
      onChange();
    };
    client.on('error', drop);
    up.on('error', drop);
    client.on('close', drop);
    up.on('close', drop);
    client.pipe(up);
    up.pipe(client);
    onChange();
  };

  const server = net.createServer((client) => {
    stats.accepted++;
    client.setNoDelay(true);
    if (paused) {
      // A socket in paused mode is not read: the client's upgrade request
      // waits in the kernel until resume() pipes it upstream.
      held.add(client);
      client.on('error', () => {});
      client.once('close', () => {
        held.delete(client);
        onChange();
      });
      onChange();
      return;
    }
    link(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;

  return {
    port,
    url: `ws://127.0.0.1:${port}/cable`,
    stats,
    get open() { return pairs.size; },
    get held() { return held.size; },
    // Resets every open connection; returns how many there were.
    cut() {
      const n = pairs.size;
      for (const p of [...pairs]) {
        pairs.delete(p);
        kill(p.client);
        kill(p.up);
      }
      stats.cuts++;
      stats.pairsCut += n;
      onChange();
      return n;
    },
    pause() { paused = true; },
    resume() {
      paused = false;
      for (const client of [...held]) {
        held.delete(client);
        client.removeAllListeners('close');
        link(client);
      }
    },
    close() {
      paused = false;
      for (const client of held) client.destroy();
      held.clear();
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.destroy();
        p.up.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------
// Publisher API client: Broadcast({stream, data}) -> {accepted, offset, epoch}.
let publisherService;
function publisher(grpcPort) {
  if (!publisherService) {
    const def = protoLoader.loadSync('cable/v1/publisher.proto', {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      longs: String, // uint64 offsets as decimal strings, compared as BigInt
      enums: String,
      defaults: true,
      oneofs: true,
    });
    publisherService = grpc.loadPackageDefinition(def).cable.v1.Publisher;
  }
  const client = new publisherService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  return {
    broadcast(stream, data) {
      return new Promise((resolve, reject) => {
        client.Broadcast({ stream, data }, { deadline: Date.now() + WAIT }, (err, res) =>
          err ? reject(new Error(`Broadcast to ${stream} failed: ${err.message}`)) : resolve(res));
      });
    },
    close() { client.close(); },
  };
}

// ---------------------------------------------------------------------------
// An @anycable/core cable (extended protocol) subscribed to ChatChannel in
// `room`, with a log of everything the test asserts on or reports.
class RecordingLogger extends BaseLogger {
  constructor() {
    super('info');
    this.entries = [];
  }

  writeLogEntry(level, msg, details) {
    let d = '';
    try { d = details === undefined ? '' : ` ${JSON.stringify(details)}`; } catch { d = ' [details]'; }
    this.entries.push(`${level}: ${msg}${d}`.slice(0, 300));
    if (this.entries.length > 60) this.entries.shift();
  }
}

function anycableClient(url, room) {
  const w = watcher();
  const sockets = []; // one record per WebSocket the client opened
  // Counts by type, confirm/reject_history frames, subscribe commands sent.
  const frames = { types: {}, history: [], subscribes: [] };
  class RecordingWebSocket extends WebSocket {
    constructor(u, protocols, opts) {
      super(u, protocols, opts);
      const rec = { protocol: null, error: null, closed: null };
      sockets.push(rec);
      this.on('open', () => { rec.protocol = this.protocol; w.changed(); });
      this.on('error', (e) => { rec.error = e.message; w.changed(); });
      this.on('close', (code) => { rec.closed = code; w.changed(); });
      this.on('message', (data) => {
        let m;
        try { m = JSON.parse(String(data)); } catch { return; }
        const type = m.type || (m.message !== undefined ? 'message' : 'other');
        frames.types[type] = (frames.types[type] || 0) + 1;
        if (type === 'confirm_history' || type === 'reject_history') frames.history.push(m);
        if (type === 'message') frames.lastMessage = m;
      });
    }

    send(data, ...rest) {
      try {
        const m = JSON.parse(String(data));
        if (m.command === 'subscribe') frames.subscribes.push(m);
      } catch { /* not JSON: not ours to judge */ }
      return super.send(data, ...rest);
    }
  }

  const logger = new RecordingLogger();
  const cable = createCable(url, {
    protocol: EXT,
    websocketImplementation: RecordingWebSocket,
    logger,
    // Come back quickly after a cut (the default backoff starts at 1.5-9 s);
    // what happens on the wire is the same.
    reconnectStrategy: (attempts) => Math.min(25 * 2 ** attempts, 1000),
  });

  const state = {
    cable,
    logger,
    sockets,
    frames,
    received: [], // `n` of every message, in arrival order
    metas: [], // the stream position the client read from each message
    channelConnects: 0,
    cableConnects: 0,
    cableDisconnects: 0,
    infos: [], // channel notifications: history_received, history_not_found
    until: w.until,
    changed: w.changed,
  };
  cable.on('connect', () => { state.cableConnects++; w.changed(); });
  cable.on('disconnect', () => { state.cableDisconnects++; w.changed(); });

  const channel = cable.subscribeTo('ChatChannel', { room });
  state.channel = channel;
  channel.on('connect', () => { state.channelConnects++; w.changed(); });
  channel.on('info', (info) => { state.infos.push(info.type); w.changed(); });
  channel.on('message', (msg, meta) => {
    state.received.push(msg && typeof msg === 'object' ? msg.n : msg);
    state.metas.push(meta);
    w.changed();
  });
  return state;
}

// Missing / duplicated / out-of-order numbers in `got`, against 0..n-1.
function sequenceReport(got, n) {
  const seen = new Map();
  for (const x of got) seen.set(x, (seen.get(x) || 0) + 1);
  const missing = [];
  for (let i = 0; i < n; i++) {
    if (seen.has(i)) continue;
    const last = missing[missing.length - 1];
    if (last && last[1] === i - 1) last[1] = i;
    else missing.push([i, i]);
  }
  const dups = [...seen].filter(([, c]) => c > 1).map(([x, c]) => `${x}x${c}`);
  let backwards = 0;
  for (let i = 1; i < got.length; i++) if (got[i] <= got[i - 1]) backwards++;
  const ranges = missing.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  const missingCount = missing.reduce((s, [a, b]) => s + b - a + 1, 0);
  return `received ${got.length} (distinct ${seen.size}) of ${n}; missing ${missingCount}: [${ranges.slice(0, 20).join(', ')}${ranges.length > 20 ? ', ...' : ''}]; duplicates: [${dups.slice(0, 20).join(', ')}]; steps backwards: ${backwards}`;
}

function clientReport(c) {
  return [
    `cable connects ${c.cableConnects}, disconnects ${c.cableDisconnects}, channel connects ${c.channelConnects}`,
    `channel infos ${JSON.stringify(c.infos)}; history frames ${JSON.stringify(c.frames.history.slice(0, 5))}`,
    `frames by type ${JSON.stringify(c.frames.types)}; last data frame ${JSON.stringify(c.frames.lastMessage)}`,
    `last subscribe sent ${JSON.stringify(c.frames.subscribes[c.frames.subscribes.length - 1])} (${c.frames.subscribes.length} sent)`,
    `sockets ${JSON.stringify(c.sockets.slice(-5))} (${c.sockets.length} opened)`,
    `client log (last entries):\n    ${c.logger.entries.slice(-12).join('\n    ')}`,
  ].join('\n  ');
}

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

async function subscribed(c, server, ms = WAIT) {
  await c.until(() => c.channelConnects >= 1,
    () => `ChatChannel subscription through @anycable/core (${EXT})\n  ${clientReport(c)}\n--- cable-server stderr ---\n${server.output().slice(-2000)}`,
    ms);
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

// Cleanups run last-registered first, each whatever the others do.
function deferrer(t) {
  const stack = [];
  t.after(async () => {
    while (stack.length) {
      try { await stack.pop()(); } catch { /* keep cleaning up */ }
    }
  });
  return (fn) => stack.push(fn);
}

// A raw WebSocket client (given subprotocol), subscribed to `identifier`, for
// asserting on exact frames.
async function rawClient(url, protocols, identifier) {
  const ws = new WebSocket(url, protocols);
  const frames = [];
  const w = watcher();
  ws.on('message', (d) => { frames.push(JSON.parse(String(d))); w.changed(); });
  let error = null;
  ws.on('error', (e) => { error = e.message; w.changed(); });
  const opened = () => ws.readyState === WebSocket.OPEN;
  await w.until(() => opened() || error, `WebSocket open (${protocols})`);
  if (error) throw new Error(`WebSocket (${protocols}) failed: ${error}`);
  const find = (pred) => frames.find(pred);
  const c = {
    ws,
    frames,
    waitFor: (pred, what) => w.until(() => find(pred), () => `${what}; frames ${JSON.stringify(frames)}`).then(() => find(pred)),
  };
  await c.waitFor((m) => m.type === 'welcome', 'welcome');
  ws.send(JSON.stringify({ command: 'subscribe', identifier }));
  await c.waitFor((m) => m.type === 'confirm_subscription' && m.identifier === identifier, 'confirm_subscription');
  return c;
}

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
