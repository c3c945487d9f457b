// Debian's Chromium (playwright-core, no bundled browser) talks to a `ws` upstream started here through
// `switchboard --proxy`: the upstream's greeting, text and binary both ways, the subprotocol the upstream
// chose, the browser's User-Agent passed on with the Origin rewritten, close codes both ways.
// Run: SWITCHBOARD_BIN=... node browser_proxy_test.mjs

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';

import { startServer, waitEvent } from './switchboard_server.mjs';

const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 10000;

let server = null;
let upstream = null;
let context = null;
let profileDir = null;
let page = null;

process.on('exit', () => server?.kill());

// In the page: opens `url` with `protocols`, collects `count` messages (binary as arrays of bytes), sends
// what `outgoing` lists once the greeting is in, then waits for the close; all bounded by `ms`.
function converse({ url, protocols, outgoing, count, ms }) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    const ws = new WebSocket(url, protocols);
    ws.binaryType = 'arraybuffer';
    const messages = [];
    ws.onmessage = (event) => {
      messages.push(typeof event.data === 'string' ? event.data : [...new Uint8Array(event.data)]);
      if (messages.length === 1) {
        for (const item of outgoing) ws.send(typeof item === 'string' ? item : new Uint8Array(item));
      }
      if (messages.length === count) ws.close(4000, 'page done');
    };
    ws.onerror = () => reject(new Error('WebSocket error'));
    ws.onclose = (event) => {
      clearTimeout(timer);
      resolve({ protocol: ws.protocol, messages, code: event.code, reason: event.reason });
    };
  });
}

describe('Chromium through a proxy route', { timeout: 60000 }, () => {
  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
    upstream = new WebSocketServer({
      host: '127.0.0.1', port: 0, handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
    });
    await waitEvent(upstream, 'listening', WAIT_MS, 'the upstream to listen');
    upstream.on('connection', (socket) => {
      socket.send('welcome from upstream');
      socket.on('message', (data, isBinary) => {
        if (isBinary) socket.send(Buffer.from(data).reverse(), { binary: true });
        else if (String(data) === 'close me') socket.close(4100, 'upstream says bye');
        else socket.send(`up:${data}`);
      });
    });
    server = await startServer({ extraArgs: ['--proxy', `/live=ws://127.0.0.1:${upstream.address().port}/socket`] });
    profileDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-chromium-proxy-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30000,
    });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    const response = await page.goto(`${server.httpUrl}/`, { waitUntil: 'load', timeout: WAIT_MS });
    assert.equal(response.status(), 200);
  });

  after(async () => {
    await context?.close().catch(() => {});
    server?.kill();
    for (const client of upstream?.clients ?? []) client.terminate();
    upstream?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('relays both ways, with the upstream\'s subprotocol and the page\'s close code', async () => {
    const leg = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    const closedUpstream = leg.then(([socket]) => new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
    }));
    const talk = page.evaluate(converse, {
      url: `${server.wsUrl}/live?user=ada`, protocols: ['chat.v1', 'chat.v2'],
      outgoing: ['héllo', [1, 2, 3]], count: 3, ms: WAIT_MS,
    });
    const [, request] = await leg;
    const result = await talk;
    assert.equal(result.protocol, 'chat.v2');
    assert.deepEqual(result.messages, ['welcome from upstream', 'up:héllo', [3, 2, 1]]);
    assert.equal(result.code, 4000);
    assert.deepEqual(await closedUpstream, { code: 4000, reason: 'page done' });
    assert.equal(request.url, '/socket?user=ada');
    assert.match(request.headers['user-agent'], /Chrome/);
    assert.equal(request.headers.origin, `http://127.0.0.1:${upstream.address().port}`);
  });

  it('passes the upstream\'s close code and reason to the page', async () => {
    const result = await page.evaluate(converse, {
      url: `${server.wsUrl}/live`, protocols: [], outgoing: ['close me'], count: 99, ms: WAIT_MS,
    });
    assert.deepEqual(result.messages, ['welcome from upstream']);
    assert.equal(result.code, 4100);
    assert.equal(result.reason, 'upstream says bye');
  });
});
