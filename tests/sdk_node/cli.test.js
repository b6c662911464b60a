'use strict';
// bin/cable-publish.js against cable-server: exit 0 once accepted (and a
// subscriber receives the message); one line on stderr and a non-zero exit
// otherwise.
//
//   CABLE_SERVER=/path/to/cable-server node --test cli.test.js
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { startServer } = require('../support/cable_server.js');
const { WAIT, uniqueRoom, CableSocket, runCli, within } = require('./support.js');

let server;
let target;
const sockets = [];

before(async () => {
  server = await startServer();
  target = `127.0.0.1:${server.grpcPort}`;
});

after(async () => {
  for (const s of sockets) s.close();
  if (server) await server.stop();
});

// Asserts a failure: the exit status, and exactly one line on stderr matching re.
function assertFailed(result, code, re) {
  assert.equal(result.code, code, `exit status; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  assert.match(lines[0], re);
}

test('publishes: a subscriber receives the message, exit 0', async () => {
  const room = uniqueRoom('cli');
  const socket = await CableSocket.connect(server.url);
  sockets.push(socket);
  const identifier = await socket.subscribeChat(room);

  const r1 = await runCli(['--target', target, '--stream', `chat:${room}`, '--data', '{"message":"from the cli"}']);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r1.stdout, 'accepted 1\n');
  assert.equal(r1.stderr, '');
  const r2 = await runCli(['--target', target, '--stream', `chat:${room}`, '--data', 'plain', '--api-key', 'k',
    '--timeout', '4000']);
  assert.equal(r2.code, 0, r2.stderr);

  assert.deepEqual(await socket.nextMessage(identifier, 'the JSON message'), { message: 'from the cli' });
  assert.equal(await socket.nextMessage(identifier, 'the plain message'), 'plain');
});

test('an empty stream: the server answers INVALID_ARGUMENT, exit 1', async () => {
  const r = await runCli(['--target', target, '--stream', '', '--data', 'x']);
  assertFailed(r, 1, /^cable-publish: INVALID_ARGUMENT: /);
});

test('an unreachable target: UNAVAILABLE, exit 1', async () => {
  const port = await within(new Promise((resolve) => {
    const l = net.createServer().listen(0, '127.0.0.1', () => {
      const p = l.address().port;
      l.close(() => resolve(p));
    });
  }), WAIT, 'a free port');
  const r = await runCli(['--target', `127.0.0.1:${port}`, '--stream', 'chat:x', '--data', 'x', '--timeout', '3000']);
  assertFailed(r, 1, /^cable-publish: UNAVAILABLE: /);
});

test('bad arguments: one line, exit 2', async () => {
  assertFailed(await runCli(['--target', target, '--data', 'x']), 2, /--stream is required/);
  assertFailed(await runCli(['--target', target, '--stream', 's', '--data', 'x', '--bogus']), 2,
    /^cable-publish: .*bogus/);
  assertFailed(await runCli(['--target', target, '--stream', 's', '--data', 'x', '--timeout', 'soon']), 2,
    /--timeout/);
  assertFailed(await runCli(['--target', target, '--stream', 's', '--data', 'x', '--ca', '/nonexistent/ca.pem']), 2,
    /cannot read CA file/);
  assertFailed(await runCli(['--target', target, '--stream', 's', '--data', 'x', '--cert', 'c.pem']), 2,
    /--cert and --key go together/);
});

test('--help prints the usage, exit 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: cable-publish --target HOST:PORT --stream STREAM --data DATA/);
});
