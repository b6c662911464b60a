'use strict';
// Drives the demo page (gateway/demo/index.html, served at GET /) in
// Debian's Chromium through playwright-core, against cable-server.
//
//   CABLE_SERVER=/path/to/cable-server node --test chat.test.js
// Screenshots go to a fresh cable-browser-* folder under $TMPDIR (or /tmp).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startServer, within } = require('../support/cable_server.js');

const WAIT = 10000; // failure bound for every single wait
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

let browser;
const shotDir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'cable-browser-'));

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
});

after(async () => {
  if (browser) await within(browser.close(), WAIT, 'browser.close()').catch(() => {});
});

// A page in its own browser context (own storage), recording page errors.
async function openPage(server) {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.httpPort}/`, { timeout: WAIT });
  return { page, context, errors };
}

async function join(page, name, room) {
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForSelector('#status[data-state="subscribed"]', { timeout: WAIT });
}

async function say(page, text) {
  await page.fill('#message', text);
  await page.click('#send');
}

// Waits until the page shows a chat message with this text; returns its user.
async function seen(page, text) {
  const item = page.locator('#messages .msg', { hasText: text });
  await item.first().waitFor({ timeout: WAIT });
  assert.equal(await item.count(), 1, `"${text}" shown more than once`);
  return (await item.locator('.user').textContent()).trim();
}

async function shoot(t, page, label) {
  const file = path.join(shotDir, `${label}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: WAIT }).catch(() => {});
  t.diagnostic(`screenshot: ${file}`);
}

test('GET / serves the demo page', { timeout: 30000 }, async () => {
  const server = await startServer();
  try {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/`, { signal: AbortSignal.timeout(WAIT) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /text\/html/);
    const html = await res.text();
    for (const id of ['name', 'room', 'join', 'message', 'send', 'messages', 'status']) {
      assert.ok(html.includes(`id="${id}"`), `page has #${id}`);
    }
  } finally {
    await server.stop();
  }
});

test('two pages in one room chat with each other', { timeout: 60000 }, async (t) => {
  const server = await startServer();
  const pages = [];
  try {
    const room = `browser-${process.pid}`;
    const alice = await openPage(server); pages.push(alice);
    const bob = await openPage(server); pages.push(bob);
    await join(alice.page, 'alice', room);
    await join(bob.page, 'bob', room);

    await say(alice.page, 'hello from alice');
    assert.equal(await seen(bob.page, 'hello from alice'), 'alice');
    assert.equal(await seen(alice.page, 'hello from alice'), 'alice');

    await say(bob.page, 'hi alice, bob here');
    assert.equal(await seen(alice.page, 'hi alice, bob here'), 'bob');
    assert.equal(await seen(bob.page, 'hi alice, bob here'), 'bob');

    // Order is the same on both pages.
    const texts = (p) => p.locator('#messages .msg .text').allTextContents();
    assert.deepEqual(await texts(alice.page), ['hello from alice', 'hi alice, bob here']);
    assert.deepEqual(await texts(bob.page), ['hello from alice', 'hi alice, bob here']);

    // A page in another room sees none of it.
    const carol = await openPage(server); pages.push(carol);
    await join(carol.page, 'carol', `${room}-other`);
    await say(carol.page, 'carol alone');
    await seen(carol.page, 'carol alone');
    assert.deepEqual(await texts(carol.page), ['carol alone']);

    await shoot(t, alice.page, 'alice');
    await shoot(t, bob.page, 'bob');
    for (const p of pages) assert.deepEqual(p.errors, [], 'no page errors');
  } catch (e) {
    for (const [i, p] of pages.entries()) await shoot(t, p.page, `failure-${i}`);
    throw new Error(`${e.message}\n${server.output()}`, { cause: e });
  } finally {
    for (const p of pages) await p.context.close().catch(() => {});
    await server.stop();
  }
});

test('the page shows the connection going away and tries to reconnect', { timeout: 60000 }, async (t) => {
  const server = await startServer();
  let dave;
  try {
    dave = await openPage(server);
    await join(dave.page, 'dave', 'lobby');
    await server.stop();
    await dave.page.waitForSelector('#status[data-state="reconnecting"], #status[data-state="connecting"]', { timeout: WAIT });
    assert.equal(await dave.page.isDisabled('#send'), true, 'send is disabled while offline');
    await shoot(t, dave.page, 'offline');
  } finally {
    if (dave) await dave.context.close().catch(() => {});
    await server.stop();
  }
});
