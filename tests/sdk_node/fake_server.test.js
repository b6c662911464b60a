'use strict';
// The Publisher against an in-test gRPC server that records every call: what
// cable-server cannot show (yet): the API key header, retries that never
// publish twice, deadlines, TLS.
//
//   node --test fake_server.test.js
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const net = require('node:net');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { WAIT, loadSdk, readTls, FakePublisher, TLS_DIR, runCli, within } = require('./support.js');

const { Publisher, status } = loadSdk();

// Runs fn(fake, publisher) against a started fake server; always cleans up.
async function withFake(handlers, publisherOptions, fn, { tls = false } = {}) {
  const fake = new FakePublisher(handlers);
  let publisher;
  try {
    const target = await fake.start({ tls });
    publisher = new Publisher({ target, timeoutMs: WAIT, ...publisherOptions });
    await fn(fake, publisher);
  } finally {
    publisher?.close();
    fake.stop();
  }
}

const unavailable = { code: grpc.status.UNAVAILABLE, details: 'the server is draining' };

test('the API key travels as authorization: Bearer <key> on every call', async () => {
  await withFake({}, { apiKey: 'k-123' }, async (fake, p) => {
    await p.broadcast('s', 'x');
    await p.getState('c');
    await p.listChannels();
    assert.equal(fake.calls.length, 3);
    for (const call of fake.calls) assert.equal(call.metadata.authorization, 'Bearer k-123', call.method);
  });
});

test('without an API key no authorization header is sent', async () => {
  await withFake({}, {}, async (fake, p) => {
    await p.broadcast('s', 'x');
    assert.equal(fake.calls[0].metadata.authorization, undefined);
  });
});

test('requests carry what the methods were given', async () => {
  await withFake({}, {}, async (fake, p) => {
    await p.broadcast('chat:1', { a: 1 });
    await p.disconnect({ user: 'bob' }, { reconnect: true });
    await p.createChannel('board:1', '{"x":1}', { noEvents: true, type: 't' });
    await p.updateState('board:1', { expectedRevision: 7n, events: ['1'] });
    await p.updateState('board:1', { expectedRevision: 8, state: null });
    await p.deleteEvents('board:1', { keepDurationMs: 60000 });
    await p.listChannels({ type: 't' });
    const [b, d, c, u1, u2, del, list] = fake.calls.map((x) => x.request);
    assert.deepEqual(b, { stream: 'chat:1', data: '{"a":1}' });
    assert.deepEqual(d, { identifiers: { user: 'bob' }, reconnect: true });
    assert.deepEqual(c, { name: 'board:1', state: '{"x":1}', type: 't', noEvents: true });
    assert.equal(u1.expectedRevision, 7);
    assert.equal(u1.state, undefined, 'no state: unchanged');
    assert.deepEqual(u1.events, ['1']);
    assert.equal(u2.state, 'null');
    assert.equal(del.keepNum, undefined);
    assert.equal(del.keepDurationMs, 60000);
    assert.equal(list.type, 't');
  });
});

test('a publishing call the server answered UNAVAILABLE is not retried', async () => {
  await withFake({ Broadcast: () => unavailable }, { retry: { maxAttempts: 5, initialBackoffMs: 10 } },
    async (fake, p) => {
      await assert.rejects(p.broadcast('s', 'x'), (e) => {
        assert.equal(e.code, status.UNAVAILABLE);
        assert.equal(e.retryable, true);
        assert.equal(e.notSent, false);
        return true;
      });
      assert.equal(fake.callsOf('Broadcast').length, 1, 'published once');
    });
});

test('RESOURCE_EXHAUSTED is retryable but a publish is not retried', async () => {
  const exhausted = { code: grpc.status.RESOURCE_EXHAUSTED, details: 'slow down' };
  await withFake({ BroadcastBatch: () => exhausted }, { retry: { maxAttempts: 5, initialBackoffMs: 10 } },
    async (fake, p) => {
      await assert.rejects(p.broadcastBatch([{ stream: 's', data: 1 }]),
        (e) => e.code === status.RESOURCE_EXHAUSTED && e.retryable);
      assert.equal(fake.callsOf('BroadcastBatch').length, 1);
    });
});

test('reads are retried on retryable codes', async () => {
  const handlers = { GetState: (req, n) => (n < 3 ? unavailable : { state: '[1]', revision: 4 }) };
  await withFake(handlers, { retry: { maxAttempts: 3, initialBackoffMs: 10 } }, async (fake, p) => {
    const s = await p.getState('c');
    assert.deepEqual(s.value, [1]);
    assert.equal(s.revision, 4);
    assert.equal(fake.callsOf('GetState').length, 3);
  });
  await withFake({ ListChannels: () => unavailable }, { retry: false }, async (fake, p) => {
    await assert.rejects(p.listChannels(), (e) => e.code === status.UNAVAILABLE);
    assert.equal(fake.callsOf('ListChannels').length, 1, 'retry: false');
  });
});

test('a deadline after sending is DEADLINE_EXCEEDED, sent, and not retried', async () => {
  await withFake({ Broadcast: () => FakePublisher.HANG }, {}, async (fake, p) => {
    const started = Date.now();
    await assert.rejects(p.broadcast('s', 'x', { timeoutMs: 300 }), (e) => {
      assert.equal(e.code, status.DEADLINE_EXCEEDED, e.message);
      assert.equal(e.retryable, true);
      assert.equal(e.notSent, false);
      return true;
    });
    assert.ok(Date.now() - started < WAIT / 2, 'the per-call timeout, not the default, applied');
    assert.equal(fake.callsOf('Broadcast').length, 1);
  });
});

test('a deadline while still connecting is DEADLINE_EXCEEDED and not sent', async () => {
  // Accepts TCP connections but never speaks HTTP/2: the channel stays CONNECTING.
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s));
  await within(new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve)), WAIT, 'a TCP listener');
  const p = new Publisher({ target: `127.0.0.1:${silent.address().port}`, timeoutMs: 300 });
  try {
    await assert.rejects(p.broadcast('s', 'x'), (e) => {
      assert.equal(e.code, status.DEADLINE_EXCEEDED, e.message);
      assert.equal(e.notSent, true);
      assert.equal(e.retryable, true);
      return true;
    });
    assert.ok(sockets.length >= 1, 'the client did connect');
  } finally {
    p.close();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('a publish that could not connect is retried and delivered once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cable-node-sdk-'));
  const address = `unix:${path.join(dir, 'publisher.sock')}`;
  const fake = new FakePublisher();
  const p = new Publisher({
    target: address,
    timeoutMs: WAIT,
    retry: { maxAttempts: 50, initialBackoffMs: 50, maxBackoffMs: 200 },
    channelOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 200 },
  });
  try {
    // Nothing listens yet: the call fails before sending.
    await assert.rejects(p.broadcast('s', 'early', { retry: false }),
      (e) => e.code === status.UNAVAILABLE && e.notSent && e.retryable);
    await fake.start({ address });
    assert.deepEqual(await p.broadcast('s', 'late'), { accepted: 1 });
    assert.deepEqual(fake.callsOf('Broadcast').map((c) => c.request.data), ['late']);
  } finally {
    p.close();
    fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mutual TLS with a custom CA; plaintext or a missing client certificate fail', async () => {
  const tls = { rootCerts: readTls('ca.pem'), certChain: readTls('client.pem'), privateKey: readTls('client.key') };
  await withFake({}, { tls, apiKey: 'k-tls' }, async (fake, p) => {
    assert.deepEqual(await p.broadcast('s', 'over tls'), { accepted: 1 });
    assert.equal(fake.calls[0].metadata.authorization, 'Bearer k-tls');

    const opts = { target: fake.target, timeoutMs: 2000, retry: false };
    for (const [what, extra] of [['no client certificate', { tls: { rootCerts: readTls('ca.pem') } }],
      ['plaintext', {}]]) {
      const other = new Publisher({ ...opts, ...extra });
      try {
        await assert.rejects(other.broadcast('s', 'x'), (e) => e.code === status.UNAVAILABLE, what);
      } finally {
        other.close();
      }
    }
    assert.equal(fake.calls.length, 1);
  }, { tls: true });
});

test('the CLI sends --api-key (or $CABLE_API_KEY) and speaks TLS with --ca/--cert/--key', async () => {
  await withFake({}, {}, async (fake) => {
    const base = ['--target', fake.target, '--stream', 's', '--data', 'd'];
    const r1 = await runCli([...base, '--api-key', 'k-cli']);
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await runCli(base, { env: { CABLE_API_KEY: 'k-env' } });
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(fake.calls.map((c) => c.metadata.authorization), ['Bearer k-cli', 'Bearer k-env']);
  });
  await withFake({}, {}, async (fake) => {
    const tlsArgs = ['--ca', path.join(TLS_DIR, 'ca.pem'), '--cert', path.join(TLS_DIR, 'client.pem'),
      '--key', path.join(TLS_DIR, 'client.key')];
    const r = await runCli(['--target', fake.target, '--stream', 's', '--data', 'tls', ...tlsArgs]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'accepted 1\n');
    assert.equal(fake.calls[0].request.data, 'tls');
  }, { tls: true });
});
