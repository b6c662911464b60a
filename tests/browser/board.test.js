'use strict';
// The demo page's shared board (the stateful channel "board:demo") in
// Debian's Chromium through playwright-core, against cable-server.
//
//   CABLE_SERVER=/path/to/cable-server node --test board.test.js
// Screenshots go to a fresh cable-board-* folder under $TMPDIR (or /tmp).
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
const shotDir = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'cable-board-'));

before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
});

after(async () => {
  if (browser) await within(browser.close(), WAIT, 'browser.close()').catch(() => {});
});

// A page for `user` in its own browser context, recording page errors, with
// the board live.
async function openBoard(server, user) {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`http://127.0.0.1:${server.httpPort}/?user=${user}`, { timeout: WAIT });
  await waitLive(page);
  return { page, context, errors };
}

const waitLive = (page) => page.waitForSelector('#board-status[data-state="live"]', { timeout: WAIT });
const cell = (page, i) => page.locator(`#board-cells .cell[data-cell="${i}"]`);

// Waits until the element's text is exactly `text`.
async function shows(page, selector, text) {
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.textContent.trim() === want,
    [selector, text],
    { timeout: WAIT },
  ).catch(async (e) => {
    const got = await page.locator(selector).textContent().catch(() => '(missing)');
    throw new Error(`${selector} shows "${got}", not "${text}": ${e.message}`);
  });
}

// Waits until the pages list exactly `names` as present.
async function showPresent(page, names) {
  await page.waitForFunction(
    (want) => [...document.querySelectorAll('#board-present li')].map((li) => li.textContent).join(',') === want,
    names.join(','),
    { timeout: WAIT },
  );
}

// Waits until every page shows the same text in `selector`; returns it.
async function agree(pages, selector) {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const texts = await Promise.all(pages.map((p) => p.textContent(selector)));
    if (texts.every((x) => x === texts[0])) return texts[0].trim();
    if (Date.now() > deadline) throw new Error(`pages disagree on ${selector}: ${JSON.stringify(texts)}`);
    await pages[0].waitForTimeout(20); // poll interval, not a wait for an outcome
  }
}

async function shoot(t, page, label) {
  const file = path.join(shotDir, `${label}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: WAIT }).catch(() => {});
  t.diagnostic(`screenshot: ${file}`);
}

test('two pages share the board; it survives a reload; a failed request shows', { timeout: 90000 }, async (t) => {
  const server = await startServer();
  const pages = [];
  try {
    const ann = await openBoard(server, 'ann'); pages.push(ann);
    const bob = await openBoard(server, 'bob'); pages.push(bob);
    await shows(ann.page, '#board-count', '0');
    await showPresent(bob.page, ['ann', 'bob']);
    await showPresent(ann.page, ['ann', 'bob']);

    // A click cycles the cell: empty -> X on both pages.
    await cell(ann.page, 4).click();
    await shows(bob.page, '#board-cells .cell[data-cell="4"]', 'X');
    await shows(ann.page, '#board-cells .cell[data-cell="4"]', 'X');
    await ann.page.click('#board-plus');
    await shows(bob.page, '#board-count', '1');
    await shows(ann.page, '#board-count', '1');
    // Then X -> O, seen by the other page.
    await cell(ann.page, 4).click();
    await shows(bob.page, '#board-cells .cell[data-cell="4"]', 'O');
    await cell(bob.page, 0).click();
    await shows(ann.page, '#board-cells .cell[data-cell="0"]', 'X');
    const revision = await agree([ann.page, bob.page], '#board-revision');
    assert.match(revision, /^\d+$/);

    // The state lives on the server: a reloaded page shows it again.
    await bob.page.reload({ timeout: WAIT });
    await waitLive(bob.page);
    await shows(bob.page, '#board-count', '1');
    await shows(bob.page, '#board-cells .cell[data-cell="4"]', 'O');
    await shows(bob.page, '#board-cells .cell[data-cell="0"]', 'X');
    for (const i of [1, 2, 3, 5, 6, 7, 8]) {
      assert.equal((await cell(bob.page, i).textContent()).trim(), '', `cell ${i} is empty`);
    }
    await showPresent(bob.page, ['ann', 'bob']);
    await showPresent(ann.page, ['ann', 'bob']);
    // Bob's rejoin (and his old page's leave) are commits (presence); both
    // pages end on the same revision.
    const after = await agree([ann.page, bob.page], '#board-revision');
    assert.ok(Number(after) > Number(revision), `revision ${after} after the reload, ${revision} before`);

    // take 5 with a count of 1 fails, and the page says why.
    await shows(ann.page, '#board-error', '');
    await ann.page.click('#board-take');
    await shows(ann.page, '#board-error', 'take failed: only 1 left, cannot take 5');
    await shows(ann.page, '#board-count', '1');
    // The next successful request clears the message.
    await ann.page.click('#board-minus');
    await shows(ann.page, '#board-count', '0');
    await shows(bob.page, '#board-count', '0');
    await shows(ann.page, '#board-error', '');

    await shoot(t, ann.page, 'ann');
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

test('the board goes offline with the server', { timeout: 60000 }, async (t) => {
  const server = await startServer();
  let eve;
  try {
    eve = await openBoard(server, 'eve');
    await server.stop();
    await eve.page.waitForSelector('#board-status[data-state="offline"]', { timeout: WAIT });
    assert.equal(await eve.page.isDisabled('#board-plus'), true, '+ is disabled while offline');
    assert.equal(await cell(eve.page, 0).isDisabled(), true, 'cells are disabled while offline');
    await shoot(t, eve.page, 'offline');
  } finally {
    if (eve) await eve.context.close().catch(() => {});
    await server.stop();
  }
});
