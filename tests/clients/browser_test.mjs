// Drives Debian's Chromium (through playwright-core, no bundled browser) against the page a real
// switchboard serves, using the page's own controls. Run:
//   SWITCHBOARD_BIN=build/web/bin/switchboard node browser_test.mjs
// SWITCHBOARD_SCREENSHOT_DIR=<dir> also writes <dir>/browser-client.png.
// SWITCHBOARD_TLS=1 runs it all over https/wss (a certificate from scripts/make-dev-cert.sh, which
// Chromium is told to accept with --ignore-certificate-errors).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { makeDevCert, startServer } from './switchboard_server.mjs';

const OVERALL_TIMEOUT_MS = 60000;
const WAIT_MS = 10000;
const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SWITCHBOARD_SCREENSHOT_DIR || '';
const TLS = process.env.SWITCHBOARD_TLS === '1';
const VIEWPORT = { width: 1280, height: 800 };
// Poll on a timer: background pages get no animation frames, so 'raf' polling would stall.
const POLL = { timeout: WAIT_MS, polling: 50 };

let server = null;
let cert = null;
let context = null;
let profileDir = null;
const consoleErrors = [];

process.on('exit', () => server?.kill());
const watchdog = setTimeout(() => {
  console.error(`browser_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit`);
  server?.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

// ------------------------------------------------------------------ page helpers

function watchConsole(page, name) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${name}: console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`${name}: uncaught: ${err.message}`));
}

async function openPage(name, existing = null) {
  const page = existing || await context.newPage();
  await page.setViewportSize(VIEWPORT);
  watchConsole(page, name);
  const response = await page.goto(`${server.httpUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
  assert.equal(response.status(), 200, 'GET / status');
  await page.waitForFunction(() => document.querySelector('#server-info').dataset.health === 'ok',
    null, POLL);
  return page;
}

const text = (page, selector) => page.locator(selector).textContent({ timeout: WAIT_MS });

async function waitState(page, state) {
  await page.waitForFunction((want) => document.querySelector('#state').dataset.state === want,
    state, POLL);
  assert.equal((await text(page, '#state')).trim(), state, '#state shows the readyState name');
}

// Waits for a log entry with exactly this direction, kind and content; returns its meta text.
async function waitEntry(page, dir, kind, content, count = 1) {
  const handle = await page.waitForFunction(([d, k, c, n]) => {
    const hits = [...document.querySelectorAll(`#log li[data-dir="${d}"][data-kind="${k}"]`)]
      .filter((li) => li.querySelector('.content').textContent === c);
    return hits.length >= n ? hits[hits.length - 1].querySelector('.meta').textContent : false;
  }, [dir, kind, content, count], POLL);
  return handle.jsonValue();
}

async function connectTo(page, { route, room, interval, protocols = '' }) {
  const state = await page.locator('#state').getAttribute('data-state');
  if (state !== 'CLOSED') {
    await page.click('#disconnect');
    await waitState(page, 'CLOSED');
  }
  await page.selectOption('#route', route);
  if (room !== undefined) await page.fill('#room', room);
  if (interval !== undefined) await page.fill('#interval', String(interval));
  await page.fill('#subprotocols', protocols);
  await page.click('#connect');
  await waitState(page, 'OPEN');
}

async function sendText(page, message, { ctrlEnter = false } = {}) {
  await page.selectOption('#mode', 'text');
  await page.fill('#message', message);
  if (ctrlEnter) await page.press('#message', 'Control+Enter');
  else await page.click('#send');
}

async function sendBinary(page, mode, input) {
  await page.selectOption('#mode', mode);
  await page.fill('#message', input);
  await page.click('#send');
}

// ------------------------------------------------------------------ steps

let page1 = null;
let page2 = null;
let page3 = null;
const room = `browser-${randomBytes(3).toString('hex')}`;

const steps = [
  ['the page loads, shows server health and labels every control', async () => {
    page1 = await openPage('page1', context.pages()[0]);
    assert.match(await page1.title(), /Switchboard/);
    assert.match(await text(page1, '#server-info'), /ok/);
    await waitState(page1, 'CLOSED');
    const unlabelled = await page1.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((c) => !c.closest('label') && !(c.id && document.querySelector(`label[for="${c.id}"]`)))
      .map((c) => c.id || c.outerHTML));
    assert.deepEqual(unlabelled, [], 'controls without a label');
    await page1.setViewportSize({ width: 380, height: 800 });
    const overflow = await page1.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling on a narrow screen (overflow ${overflow}px)`);
    await page1.setViewportSize(VIEWPORT);
  }],

  ['echo text on /ws with the Send button and Ctrl+Enter', async () => {
    await connectTo(page1, { route: '/ws' });
    const scheme = TLS ? 'wss' : 'ws';
    assert.match(await text(page1, '#url'), new RegExp(`^${scheme}://127\\.0\\.0\\.1:${server.port}/ws`),
      `a page loaded over ${TLS ? 'https' : 'http'} connects with ${scheme}://`);
    assert.equal((await text(page1, '#protocol')).trim(), '—', 'no subprotocol offered, none shown');
    await sendText(page1, 'hello from chromium');
    await waitEntry(page1, 'out', 'text', 'hello from chromium');
    assert.match(await waitEntry(page1, 'in', 'text', 'hello from chromium'), /text · 19 B/);
    await sendText(page1, 'sent with Ctrl+Enter', { ctrlEnter: true });
    await waitEntry(page1, 'in', 'text', 'sent with Ctrl+Enter');
    assert.equal(await text(page1, '#sent-count'), '2');
    assert.equal(await text(page1, '#received-count'), '2');
    // Ctrl+Enter on an empty box sends nothing (it used to send an empty frame) and says so.
    await sendText(page1, '', { ctrlEnter: true });
    await page1.locator('#send-error').waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await text(page1, '#send-error'), /Nothing to send/);
    assert.equal(await text(page1, '#sent-count'), '2', 'an empty box is not sent');
    // The next real message clears the error; the echo proves no empty frame went before it.
    await sendText(page1, 'after the empty box');
    await waitEntry(page1, 'in', 'text', 'after the empty box');
    assert.equal(await text(page1, '#received-count'), '3');
  }],

  ['echo binary typed as hex and as base64, bad hex refused', async () => {
    await sendBinary(page1, 'hex', 'de ad be ef');
    await waitEntry(page1, 'out', 'binary', 'de ad be ef');
    assert.match(await waitEntry(page1, 'in', 'binary', 'de ad be ef'), /binary · 4 B/);
    await sendBinary(page1, 'base64', '3q2+7wABAg==');
    await waitEntry(page1, 'in', 'binary', 'de ad be ef 00 01 02');
    await sendBinary(page1, 'hex', 'de ad zz');
    await page1.locator('#send-error').waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await text(page1, '#send-error'), /not hexadecimal/);
    assert.equal(await text(page1, '#sent-count'), '5', 'a refused input is not sent');
    await page1.selectOption('#mode', 'text');
  }],

  ['the log keeps only the newest 1000 entries, Clear empties it', async () => {
    await page1.selectOption('#mode', 'text');
    // 600 round trips through the page's own send form: 1200 entries on top of the earlier ones.
    await page1.evaluate(() => {
      const form = document.querySelector('#send-form');
      const message = document.querySelector('#message');
      for (let i = 0; i < 600; i++) {
        message.value = `flood ${i}`;
        form.requestSubmit();
      }
    });
    await waitEntry(page1, 'in', 'text', 'flood 599');
    assert.equal(await page1.locator('#log li').count(), 1000);
    assert.match(await text(page1, '#log-count'), /^1000 \(\d+ older dropped\)$/);
    const last = await page1.locator('#log li').last().locator('.content').textContent();
    assert.equal(last, 'flood 599', 'newest entry at the bottom');
    await page1.click('#clear');
    assert.equal(await page1.locator('#log li').count(), 0);
    assert.equal(await text(page1, '#log-count'), '0');
    assert.ok(await page1.locator('#log-empty').isVisible(), 'empty-log hint shown');
  }],

  ['Disconnect closes with 1000, the negotiated subprotocol is shown', async () => {
    await page1.click('#disconnect');
    await waitState(page1, 'CLOSED');
    assert.equal(await page1.locator('#close-info').getAttribute('data-code'), '1000');
    assert.match(await text(page1, '#close-info'), /1000 Normal Closure/);
    await connectTo(page1, { route: '/ws', protocols: 'wamp, chat' });
    assert.equal((await text(page1, '#protocol')).trim(), 'wamp');
  }],

  ['a close code the browser refuses (1001) is explained, the socket stays open', async () => {
    await page1.fill('#close-code', '1001');
    await page1.click('#close-btn');
    await page1.locator('#close-error').waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.match(await text(page1, '#close-error'), /refused code 1001.*1000 or 3000–4999/);
    await waitState(page1, 'OPEN');
  }],

  ['close with code 4000 and a reason shows code, name, reason and wasClean', async () => {
    await page1.fill('#close-code', '4000');
    await page1.fill('#close-reason', 'bye from the browser test');
    await page1.click('#close-btn');
    await waitState(page1, 'CLOSED');
    assert.equal(await page1.locator('#close-info').getAttribute('data-code'), '4000');
    const info = await text(page1, '#close-info');
    assert.match(info, /4000 Application-defined/);
    assert.match(info, /bye from the browser test/);
    assert.match(info, /wasClean: true/);
  }],

  ['two pages in the same chat room see each other', async () => {
    page2 = await openPage('page2');
    await connectTo(page1, { route: '/chat', room });
    await connectTo(page2, { route: '/chat', room });
    await sendText(page1, 'hello from page 1');
    await waitEntry(page2, 'in', 'text', 'hello from page 1');
    await waitEntry(page1, 'in', 'text', 'hello from page 1');
    await sendText(page2, 'hello back from page 2');
    await waitEntry(page1, 'in', 'text', 'hello back from page 2');
    await sendBinary(page2, 'hex', 'ca fe');
    await waitEntry(page1, 'in', 'binary', 'ca fe');
    await page2.selectOption('#mode', 'text');
  }],

  ['permessage-deflate: compressible text and binary both ways on chat and echo', async () => {
    // Chromium offers permessage-deflate on every WebSocket; the page shows what the server agreed.
    // The qt backend declines it (Qt 6.4 has none): the page says so and the same messages go plain.
    const agreed = process.env.SWITCHBOARD_WEBSOCKET_BACKEND === 'qt' ? '—' : 'deflate';
    for (const page of [page1, page2]) {
      assert.equal(await text(page, '#extensions'), agreed);
      if (agreed === 'deflate') {
        assert.match(await page.locator('#extensions').getAttribute('title'), /^permessage-deflate; server_no_context_takeover/);
      }
    }
    const json = JSON.stringify(Array.from({ length: 150 }, (_, i) => ({ id: i, user: 'carol', text: 'compress me' })));
    await sendText(page1, json);
    assert.match(await waitEntry(page2, 'in', 'text', json), new RegExp(`text · ${(json.length / 1024).toFixed(1)} KiB`));
    const base64 = Buffer.from(json.repeat(2)).toString('base64');
    await sendBinary(page2, 'base64', base64);
    await page1.waitForFunction((n) => [...document.querySelectorAll('#log li[data-dir="in"]')]
      .some((li) => li.textContent.includes('binary') && li.textContent.includes(`${(n / 1024).toFixed(1)} KiB`)),
    json.length * 2, POLL);
    await page2.selectOption('#mode', 'text');
    const echoPage = await openPage('deflate-echo');
    await connectTo(echoPage, { route: '/ws' });
    await sendText(echoPage, json);
    await waitEntry(echoPage, 'in', 'text', json);
    assert.equal(await text(echoPage, '#extensions'), agreed);
    await echoPage.close();
  }],

  ['the clock route pushes timestamps into the log', async () => {
    page3 = await openPage('page3');
    await connectTo(page3, { route: '/clock', interval: 50 });
    await page3.waitForFunction(() => Number(document.querySelector('#received-count').textContent) >= 3,
      null, POLL);
    const stamps = await page3.$$eval('#log li[data-dir="in"] .content', (nodes) => nodes.map((n) => n.textContent));
    assert.ok(stamps.length >= 3);
    for (const stamp of stamps) assert.match(stamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
    await page3.click('#disconnect');
    await waitState(page3, 'CLOSED');
  }],

  ['screenshot of the page in use', async () => {
    if (!SCREENSHOT_DIR) {
      console.log('# no screenshot: SWITCHBOARD_SCREENSHOT_DIR is not set');
      return;
    }
    await sendText(page1, '{"type":"greeting","text":"Hello, Switchboard"}');
    await waitEntry(page2, 'in', 'text', '{"type":"greeting","text":"Hello, Switchboard"}');
    await page2.fill('#message', 'Ctrl+Enter sends this one');
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, 'browser-client.png');
    await page2.screenshot({ path: file });
    console.log(`# screenshot written to ${file}`);
  }],

  ['no console errors or uncaught exceptions', async () => {
    assert.deepEqual(consoleErrors, []);
  }],

  ['SIGTERM: connected pages show 1001 Going Away, the server exits 0', async () => {
    const status = await server.stop(WAIT_MS);
    for (const page of [page1, page2]) {
      await waitState(page, 'CLOSED');
      assert.equal(await page.locator('#close-info').getAttribute('data-code'), '1001');
      assert.match(await text(page, '#close-info'), /1001 Going Away/);
    }
    assert.deepEqual(status, { code: 0, signal: null }, 'exit status');
  }],
];

// ------------------------------------------------------------------ runner

async function main() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
    if (TLS) cert = await makeDevCert();
    server = await startServer({ extraArgs: cert ? cert.tlsArgs : [] });
    console.log(`# switchboard listening on ${server.httpUrl} (pid ${server.child.pid})`);
    profileDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORT,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ...(TLS ? ['--ignore-certificate-errors'] : [])],
      timeout: 30000,
    });
    context.setDefaultTimeout(WAIT_MS);
    console.log(`# chromium ${context.browser()?.version() ?? ''} at ${CHROMIUM}`);

    for (const [name, fn] of steps) {
      if (failed) {
        skipped++;
        console.log(`skip ${name}`);
        continue;
      }
      const started = Date.now();
      try {
        await fn();
        passed++;
        console.log(`ok   ${name} (${Date.now() - started} ms)`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${name}\n${err.stack || err}`);
        if (consoleErrors.length) console.log(`page console errors:\n  ${consoleErrors.join('\n  ')}`);
        if (SCREENSHOT_DIR === '' && page1) {
          const file = path.join(os.tmpdir(), 'switchboard-browser-failure.png');
          await page1.screenshot({ path: file }).then(() => console.log(`# failure screenshot: ${file}`), () => {});
        }
      }
    }
  } catch (err) {
    failed++;
    console.log(`FAIL setup: ${err.stack || err}`);
  } finally {
    if (failed && server) console.log(server.output());
    await context?.close().catch(() => {});
    server?.kill();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    await cert?.remove();
  }
  const all = steps.length;
  if (passed + failed + skipped < all) skipped = all - passed - failed;
  console.log(`browser_test: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 && passed === all ? 0 : 1;
}

process.exitCode = await main();
