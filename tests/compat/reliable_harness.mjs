// What the reliable-stream tests under Node share (anycable_web.test.mjs
// against one cable-server, anycable_nats.test.mjs against several over
// NATS): condition waits, a TCP proxy the test cuts and re-points, a client of
// the Publisher gRPC API, an @anycable/web client (actioncable-v1-ext-json)
// that records what it receives, raw WebSocket clients, and reports that say
// what was awaited and what was seen.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
// @anycable/web as an app embeds it (its createCable and Monitor over
// @anycable/core); under Node it is given the URL and a WebSocket class, which
// a page would get from its meta tags and the browser.
import { createCable } from '@anycable/web';
import { BaseLogger } from '@anycable/core';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO_ROOT = path.resolve(here, '../../proto');

export const WAIT = 10000; // failure bound for every single wait
export const DELIVERY_WAIT = 30000; // bound for the whole backlog to arrive after publishing
export const EXT = 'actioncable-v1-ext-json';
export const PLAIN = 'actioncable-v1-json';

// ---------------------------------------------------------------------------
// Waiting: every wait is for a condition, re-checked whenever something the
// test watches changes, and bounded by a timeout whose message says what was
// awaited and what was seen.
export function watcher() {
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

// Cleanups run last-registered first, each whatever the others do.
export function deferrer(t) {
  const stack = [];
  t.after(async () => {
    while (stack.length) {
      try { await stack.pop()(); } catch { /* keep cleaning up */ }
    }
  });
  return (fn) => stack.push(fn);
}

// ---------------------------------------------------------------------------
// A TCP proxy in front of cable-server's HTTP port. cut() resets every open
// client+upstream pair; pause() holds new connections (accepted, not read, not
// forwarded) until resume() links them to the server; retarget(port) sends
// the connections accepted from then on to another server (open ones stay
// where they are).
export async function startProxy(targetPort, onChange = () => {}) {
  const pairs = new Set();
  const held = new Set();
  let paused = false;
  let target = targetPort;
  const stats = { accepted: 0, cuts: 0, pairsCut: 0, upstreams: {} };

  // A reset (RST) where the socket is still whole. Where a graceful shutdown
  // has begun (the other side ended first, and the pipe ended this one),
  // resetAndDestroy() leaves the TCP handle referenced and Node spins at exit
  // (Node 20 and later); destroy() is what is left to do there.
  const kill = (sock) => {
    try {
      if (typeof sock.resetAndDestroy === 'function' && !sock.destroyed && !sock.writableEnded) sock.resetAndDestroy();
      else sock.destroy();
    } catch {
      sock.destroy();
    }
  };

  const link = (client) => {
    stats.upstreams[target] = (stats.upstreams[target] || 0) + 1;
    const up = net.connect(target, '127.0.0.1');
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
    get target() { return target; },
    retarget(newPort) {
      target = newPort;
      onChange();
    },
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
export function publisher(grpcPort) {
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
    // Publisher.Presence: the ids present, sorted.
    presence(stream) {
      return new Promise((resolve, reject) => {
        client.Presence({ stream }, { deadline: Date.now() + WAIT }, (err, res) =>
          err ? reject(new Error(`Presence of ${stream} failed: ${err.message}`))
            : resolve(res.records.map((r) => r.id)));
      });
    },
    close() { client.close(); },
  };
}

// The ids of a presence view ({id: info}) the client keeps, sorted.
export function presentIds(view) {
  return Object.keys(view || {}).sort();
}

// ---------------------------------------------------------------------------
// An @anycable/web cable (extended protocol) subscribed to ChatChannel in
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

export function anycableClient(url, room) {
  const w = watcher();
  const sockets = []; // one record per WebSocket the client opened
  // Counts by type, confirm/reject_history frames, welcomes, subscribe
  // commands sent.
  const frames = { types: {}, history: [], welcomes: [], subscribes: [] };
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
        if (type === 'welcome') frames.welcomes.push(m);
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
    cableRestores: 0, // connects with `restored` (session restore)
    cableDisconnects: 0,
    infos: [], // channel notifications: history_received, history_not_found
    presence: [], // presence events: {type: 'join'|'leave'|'info'|'error', id, info}
    until: w.until,
    changed: w.changed,
  };
  cable.on('connect', (ev) => {
    state.cableConnects++;
    if (ev && ev.restored) state.cableRestores++;
    w.changed();
  });
  cable.on('disconnect', () => { state.cableDisconnects++; w.changed(); });

  const channel = cable.subscribeTo('ChatChannel', { room });
  state.channel = channel;
  channel.on('connect', () => { state.channelConnects++; w.changed(); });
  channel.on('info', (info) => { state.infos.push(info.type); w.changed(); });
  channel.on('presence', (ev) => { state.presence.push(ev); w.changed(); });
  channel.on('message', (msg, meta) => {
    state.received.push(msg && typeof msg === 'object' ? msg.n : msg);
    state.metas.push(meta);
    w.changed();
  });
  return state;
}

// Waits (bounded) until `c` is subscribed; on timeout reports the client and
// the stderr of every server in `servers` ({name: server} or one server).
export async function subscribed(c, servers, ms = WAIT) {
  await c.until(() => c.channelConnects >= 1,
    () => `ChatChannel subscription through @anycable/web (${EXT})\n  ${clientReport(c)}\n${serversReport(servers)}`,
    ms);
}

// The tail of each server's stderr: `servers` is one server or {name: server}.
export function serversReport(servers, chars = 2000) {
  const named = typeof servers.output === 'function' ? { 'cable-server': servers } : servers;
  return Object.entries(named)
    .map(([name, s]) => `--- ${name} stderr ---\n${s.output().slice(-chars)}`)
    .join('\n');
}

// Missing / duplicated / out-of-order numbers in `got`, against 0..n-1.
export function sequenceReport(got, n) {
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

export function clientReport(c) {
  return [
    `cable connects ${c.cableConnects} (restored ${c.cableRestores}), disconnects ${c.cableDisconnects}, channel connects ${c.channelConnects}`,
    `welcomes ${JSON.stringify(c.frames.welcomes.slice(-3))} (${c.frames.welcomes.length})`,
    `channel infos ${JSON.stringify(c.infos)}; history frames ${JSON.stringify(c.frames.history.slice(0, 5))}`,
    `frames by type ${JSON.stringify(c.frames.types)}; last data frame ${JSON.stringify(c.frames.lastMessage)}`,
    `last subscribe sent ${JSON.stringify(c.frames.subscribes[c.frames.subscribes.length - 1])} (${c.frames.subscribes.length} sent)`,
    `sockets ${JSON.stringify(c.sockets.slice(-5))} (${c.sockets.length} opened)`,
    `client log (last entries):\n    ${c.logger.entries.slice(-12).join('\n    ')}`,
  ].join('\n  ');
}

// ---------------------------------------------------------------------------
// A raw WebSocket client (given subprotocol), subscribed to `identifier`, for
// asserting on exact frames.
export async function rawClient(url, protocols, identifier) {
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
