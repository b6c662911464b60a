'use strict';
// What the sdk/node tests share: the built SDK, a raw Action Cable WebSocket
// subscriber, an in-test Publisher gRPC server that records every call, and
// a runner for the CLI. Every wait is bounded by WAIT; nothing sleeps to
// synchronise.
const path = require('node:path');
const fs = require('node:fs');
const childProcess = require('node:child_process');
const os = require('node:os');

const { spawn } = childProcess;
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const WebSocket = require('ws');
const { within } = require('../support/cable_server.js');

const WAIT = 10000; // failure bound for every single wait, ms
const SDK_DIR = path.resolve(__dirname, '../../sdk/node');
const CLI = path.join(SDK_DIR, 'bin/cable-publish.js');
// TLS certificates for the fake server, made now by openssl (never checked
// in) and removed when the process exits.
const TLS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cable-node-tls-'));
childProcess.execFileSync('/bin/sh', [path.join(__dirname, 'make_certs.sh'), TLS_DIR],
  { stdio: 'ignore' });
process.on('exit', () => fs.rmSync(TLS_DIR, { recursive: true, force: true }));

/** The built package (sdk/node/dist via its package.json), as an application gets it. */
function loadSdk() {
  return require(SDK_DIR);
}

const chatIdentifier = (room) => JSON.stringify({ channel: 'ChatChannel', room });

let roomCounter = 0;
const uniqueRoom = (tag) => `${tag}-${process.pid}-${++roomCounter}`;

/** A raw Action Cable client over `ws` that records every frame. */
class CableSocket {
  static async connect(url) {
    const socket = new CableSocket(new WebSocket(url, ['actioncable-v1-json']));
    await within(new Promise((resolve, reject) => {
      socket.ws.once('open', resolve);
      socket.ws.once('error', reject);
    }), WAIT, `the WebSocket to ${url} to open`);
    const welcome = await socket.next((m) => m.type === 'welcome', 'welcome');
    socket.sid = welcome.sid;
    return socket;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiters = new Set();
    this.seen = 0; // frames already handed out by next()
    ws.on('message', (data) => {
      this.frames.push(String(data));
      for (const w of [...this.waiters]) w();
    });
  }

  // The next frame (in arrival order, after those already returned) whose
  // parsed JSON satisfies pred; frames skipped on the way are not returned.
  next(pred, what) {
    return within(new Promise((resolve) => {
      const check = () => {
        while (this.seen < this.frames.length) {
          const msg = JSON.parse(this.frames[this.seen++]);
          if (pred(msg)) {
            this.waiters.delete(check);
            resolve(msg);
            return;
          }
        }
      };
      this.waiters.add(check);
      check();
    }), WAIT, `${what}; frames so far: ${JSON.stringify(this.frames)}`);
  }

  /** Subscribes to ChatChannel in `room` (stream `chat:<room>`); resolves to the identifier. */
  async subscribeChat(room) {
    const identifier = chatIdentifier(room);
    this.ws.send(JSON.stringify({ command: 'subscribe', identifier }));
    await this.next((m) => m.type === 'confirm_subscription' && m.identifier === identifier,
      `confirm_subscription of ${identifier}`);
    return identifier;
  }

  /** The next broadcast/transmit payload for `identifier`. */
  async nextMessage(identifier, what) {
    const frame = await this.next((m) => m.identifier === identifier && m.type === undefined, what);
    return frame.message;
  }

  close() {
    this.ws.terminate();
  }
}

const publisherService = (() => {
  const definition = protoLoader.loadSync('cable/v1/publisher.proto', {
    includeDirs: [path.join(SDK_DIR, 'proto')],
    longs: Number, enums: String, defaults: true, oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).cable.v1.Publisher.service;
})();

const DEFAULT_RESPONSES = {
  Broadcast: (req) => ({ accepted: 1 }),
  BroadcastBatch: (req) => ({ accepted: req.broadcasts.length }),
  GetState: () => ({ state: '{}', revision: 1 }),
};

/**
 * A Publisher server in this process that records each call as
 * { method, request, metadata } and answers with `handlers[method](request,
 * callNumber)`: a response object, a grpc status error `{ code, details }`,
 * or FakePublisher.HANG to never answer.
 */
class FakePublisher {
  constructor(handlers = {}) {
    this.handlers = handlers;
    this.calls = [];
    this.server = new grpc.Server();
    const implementation = {};
    for (const method of Object.keys(publisherService)) {
      implementation[method] = (call, callback) => this.handle(method, call, callback);
    }
    this.server.addService(publisherService, implementation);
  }

  handle(method, call, callback) {
    const count = this.calls.filter((c) => c.method === method).length + 1;
    this.calls.push({ method, request: call.request, metadata: call.metadata.getMap() });
    const handler = this.handlers[method] ?? DEFAULT_RESPONSES[method] ?? (() => ({}));
    const answer = handler(call.request, count);
    if (answer === FakePublisher.HANG) return;
    if (answer && typeof answer.code === 'number') callback(answer);
    else callback(null, answer);
  }

  callsOf(method) {
    return this.calls.filter((c) => c.method === method);
  }

  /** Listens on `address` (default an ephemeral 127.0.0.1 port); resolves to the client target. */
  async start({ address = '127.0.0.1:0', tls = false } = {}) {
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(readTls('ca.pem'),
        [{ private_key: readTls('server.key'), cert_chain: readTls('server.pem') }], true)
      : grpc.ServerCredentials.createInsecure();
    const port = await within(new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (error, p) => (error ? reject(error) : resolve(p)));
    }), WAIT, `the fake Publisher server to bind ${address}`);
    this.target = address.startsWith('unix:') ? address : `127.0.0.1:${port}`;
    return this.target;
  }

  stop() {
    this.server.forceShutdown();
  }
}
FakePublisher.HANG = Symbol('hang');

function readTls(name) {
  return fs.readFileSync(path.join(TLS_DIR, name));
}

/** Runs bin/cable-publish.js; resolves to { code, stdout, stderr }. */
function runCli(args, { env = {} } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CABLE_API_KEY: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return within(done, WAIT * 2, `cable-publish ${args.join(' ')} to exit`).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
}

module.exports = {
  WAIT, SDK_DIR, TLS_DIR, loadSdk, readTls, uniqueRoom, chatIdentifier, CableSocket, FakePublisher,
  runCli, within,
};
