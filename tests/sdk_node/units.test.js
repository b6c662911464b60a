'use strict';
// Unit tests of the built SDK's parts, without a server: payload encoding,
// errors, the retry decision, option checks.
//
//   node --test units.test.js
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { SDK_DIR, loadSdk } = require('./support.js');

const sdk = loadSdk();
const { Publisher, CableError, status, DEFAULT_RETRY, NO_RETRY, RETRYABLE_CODES } = sdk;
const dist = (name) => require(path.join(SDK_DIR, 'dist', name));
const { encodePayload, encodeUint64 } = dist('payload.js');
const { toCableError } = dist('errors.js');
const { delayBeforeRetry, resolveRetryPolicy, backoffMs } = dist('retry.js');

const isInvalid = (re) => (e) => e instanceof CableError && e.code === status.INVALID_ARGUMENT && e.notSent &&
  re.test(e.message);

test('payloads: strings as is, bytes as UTF-8, everything else as JSON', () => {
  assert.equal(encodePayload('hello', 'data'), 'hello');
  assert.equal(encodePayload('{"a":1}', 'data'), '{"a":1}');
  assert.equal(encodePayload(Buffer.from('héllo'), 'data'), 'héllo');
  assert.equal(encodePayload(new Uint8Array([0x5b, 0x5d]), 'data'), '[]');
  assert.equal(encodePayload({ a: [1, null] }, 'data'), '{"a":[1,null]}');
  assert.equal(encodePayload(null, 'data'), 'null');
  assert.equal(encodePayload(3, 'data'), '3');
  assert.equal(encodePayload(false, 'data'), 'false');
  assert.throws(() => encodePayload(undefined, 'data'), isInvalid(/data cannot be sent as JSON/));
  assert.throws(() => encodePayload(() => 1, 'state'), isInvalid(/state cannot be sent as JSON/));
  assert.throws(() => encodePayload({ n: 1n }, 'data'), isInvalid(/BigInt/));
  const cycle = {};
  cycle.self = cycle;
  assert.throws(() => encodePayload(cycle, 'data'), isInvalid(/circular/i));
  assert.throws(() => encodePayload(Buffer.from([0xff]), 'data'), isInvalid(/not valid UTF-8/));
});

test('uint64 arguments: safe non-negative integers or bigints', () => {
  assert.equal(encodeUint64(0, 'n'), 0);
  assert.equal(encodeUint64(2 ** 53 - 1, 'n'), 2 ** 53 - 1);
  assert.equal(encodeUint64(2n ** 64n - 1n, 'n'), '18446744073709551615');
  for (const bad of [-1, 1.5, 2 ** 53, NaN, -1n, 2n ** 64n]) {
    assert.throws(() => encodeUint64(bad, 'n'), isInvalid(/^INVALID_ARGUMENT: n must be/), String(bad));
  }
});

test('CableError: code, name, message, retryable', () => {
  const e = new CableError(status.UNAVAILABLE, 'down');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'CableError');
  assert.equal(e.message, 'UNAVAILABLE: down');
  assert.equal(e.codeName, 'UNAVAILABLE');
  assert.equal(e.details, 'down');
  assert.equal(e.notSent, false);
  assert.equal(e.retryable, true);
  assert.deepEqual([...RETRYABLE_CODES].sort(),
    [status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.UNAVAILABLE].sort());
  for (const code of [status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.UNAUTHENTICATED,
    status.INTERNAL, status.NOT_FOUND]) {
    assert.equal(new CableError(code, 'x').retryable, false, status[code]);
  }
});

test('grpc errors: only a failure to connect counts as not sent', () => {
  const grpcError = (code, details) => Object.assign(new Error(`${code} ${details}`), { code, details });
  const refused = toCableError(grpcError(status.UNAVAILABLE,
    'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.'));
  assert.equal(refused.notSent, true);
  assert.equal(toCableError(grpcError(status.UNAVAILABLE, 'Name resolution failed for target dns:x')).notSent, true);
  assert.equal(toCableError(grpcError(status.UNAVAILABLE, 'Connection dropped')).notSent, false);
  assert.equal(toCableError(grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded')).notSent, false);
  const other = toCableError(new Error('boom'));
  assert.equal(other.code, status.UNKNOWN);
  assert.equal(other.notSent, false);
});

test('retry decision: publishes only when not sent; reads on any retryable code', () => {
  const policy = resolveRetryPolicy(DEFAULT_RETRY, { initialBackoffMs: 100, maxBackoffMs: 300, multiplier: 2 });
  const notSent = new CableError(status.UNAVAILABLE, 'x', { notSent: true });
  const sent = new CableError(status.UNAVAILABLE, 'x');
  const invalid = new CableError(status.INVALID_ARGUMENT, 'x', { notSent: true });
  assert.equal(delayBeforeRetry(policy, 1, notSent, false, 5000), 100);
  assert.equal(delayBeforeRetry(policy, 2, notSent, false, 5000), 200);
  assert.equal(delayBeforeRetry(policy, 3, notSent, false, 5000), undefined, 'maxAttempts 3');
  assert.equal(delayBeforeRetry(policy, 1, sent, false, 5000), undefined, 'may have published');
  assert.equal(delayBeforeRetry(policy, 1, sent, true, 5000), 100, 'a read');
  assert.equal(delayBeforeRetry(policy, 1, invalid, true, 5000), undefined, 'not a retryable code');
  assert.equal(delayBeforeRetry(policy, 1, notSent, false, 120), undefined, 'no time left');
  assert.equal(backoffMs(policy, 5), 300, 'capped');
  assert.equal(resolveRetryPolicy(DEFAULT_RETRY, false), NO_RETRY);
  assert.equal(delayBeforeRetry(NO_RETRY, 1, notSent, true, 5000), undefined);
  assert.throws(() => resolveRetryPolicy(DEFAULT_RETRY, { maxAttempts: 0 }), isInvalid(/maxAttempts/));
  assert.throws(() => resolveRetryPolicy(DEFAULT_RETRY, { multiplier: 0.5 }), isInvalid(/multiplier/));
});

test('Publisher options are checked up front', () => {
  assert.throws(() => new Publisher({ target: '' }), isInvalid(/target/));
  assert.throws(() => new Publisher({ target: 'h:1', apiKey: 'has space' }), isInvalid(/apiKey/));
  assert.throws(() => new Publisher({ target: 'h:1', apiKey: '' }), isInvalid(/apiKey/));
  assert.throws(() => new Publisher({ target: 'h:1', timeoutMs: 0 }), isInvalid(/timeoutMs/));
  assert.throws(() => new Publisher({ target: 'h:1', tls: { certChain: 'x' } }), isInvalid(/privateKey/));
  const p = new Publisher({ target: 'h:1', tls: true, retry: false });
  p.close();
});

test('bad call arguments reject before anything is sent', async () => {
  // Nothing listens on this target: a rejection other than INVALID_ARGUMENT
  // would mean the SDK tried to send.
  const p = new Publisher({ target: 'unix:/nonexistent/cable.sock', retry: false });
  try {
    await assert.rejects(p.broadcast('s', undefined), isInvalid(/data/));
    await assert.rejects(p.broadcastBatch([{ stream: 's', data: 1 }, { stream: 's', data: undefined }]),
      isInvalid(/messages\[1\]\.data/));
    await assert.rejects(p.updateState('c', { expectedRevision: -1 }), isInvalid(/expectedRevision/));
    await assert.rejects(p.deleteEvents('c', { keepNum: 0.5 }), isInvalid(/keepNum/));
    await assert.rejects(p.broadcast('s', 'x', { timeoutMs: -5 }), isInvalid(/timeoutMs/));
  } finally {
    p.close();
  }
});
