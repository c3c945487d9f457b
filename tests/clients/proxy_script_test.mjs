// Scripted proxy hooks: `switchboard --proxy /live=ws://... --script /live=hooks.js` between a `ws`
// client and a `ws` upstream started here (and examples/proxy-hooks.js on /example). onClientMessage / onUpstreamMessage change, drop and add
// messages both ways; a handler that throws or runs away closes only its client with 1011 (the error
// names file:line) while the others keep being served; saving the file reloads it for new clients.
// Run: SWITCHBOARD_BIN=... node --test proxy_script_test.mjs

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, before, after } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';

import { collectMessages, openClient, startServer, waitEvent, waitUntil } from './switchboard_server.mjs';

const WAIT_MS = 5000;
const TOKEN = 'proxy-script-test';
const BUDGET_MS = 200;

// The hooks, line by line (the test finds the line a throw names).
const HOOKS = [
  'export default {',
  "  onUpgrade(req) { if (req.query.deny) return { status: 403, body: 'hooks said no' } },",
  '  onOpen(evt, ws) { ws.data.n = 0 },',
  '  onClientMessage(evt, ws) {',
  "    if (typeof evt.data !== 'string') return",
  "    if (evt.data === 'secret') return null",
  "    if (evt.data === 'boom') return evt.nothing.here",
  "    if (evt.data === 'spin') for (;;) {}",
  "    if (evt.data === 'twice') { ws.upstream.send('one'); return 'two' }",
  "    if (evt.data === 'direct') { ws.send('from the script'); return false }",
  '    return evt.data.toUpperCase()',
  '  },',
  '  onUpstreamMessage(evt, ws) {',
  "    if (typeof evt.data !== 'string') return new Uint8Array(evt.data).reverse()",
  "    if (evt.data === 'up:HUSH') return null",
  '    return JSON.stringify({ n: ++ws.data.n, up: evt.data })',
  '  },',
  '}',
];
const EXAMPLE = fileURLToPath(new URL('../../examples/proxy-hooks.js', import.meta.url));
const BOOM_LINE = HOOKS.findIndex((line) => line.includes("'boom'")) + 1;

let server = null;
let upstream = null;
let dir = null;
let hooksFile = null;
const received = []; // what the upstream got, in order

process.on('exit', () => server?.kill());

const connect = (route = '/live') => openClient(server.wsUrl, route, WAIT_MS);

async function api(method, apiPath) {
  const response = await fetch(`${server.httpUrl}${apiPath}`, {
    method, headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(WAIT_MS),
  });
  return response.json();
}

const liveRoute = async () => (await api('GET', '/api/routes')).routes.find((route) => route.path === '/live');

const collector = (ws) => collectMessages(ws, WAIT_MS);

describe('scripted proxy hooks', { timeout: 60000 }, () => {
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-proxy-hooks-'));
    hooksFile = path.join(dir, 'hooks.js');
    await writeFile(hooksFile, HOOKS.join('\n'));
    upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await waitEvent(upstream, 'listening', WAIT_MS, 'the upstream to listen');
    upstream.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => {
        received.push(isBinary ? { binary: [...data] } : data.toString());
        if (String(data) === 'beat') socket.send('{"type":"heartbeat"}');
        socket.send(isBinary ? data : `up:${data}`, { binary: isBinary });
      });
    });
    server = await startServer({
      extraArgs: ['--proxy', `/live=ws://127.0.0.1:${upstream.address().port}/socket`, '--script', `/live=${hooksFile}`,
        '--proxy', `/example=ws://127.0.0.1:${upstream.address().port}/socket`, '--script', `/example=${EXAMPLE}`,
        '--script-budget', String(BUDGET_MS), '--admin-token', TOKEN],
    });
  });

  after(async () => {
    server?.kill();
    for (const client of upstream?.clients ?? []) client.terminate();
    upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the route with its script', async () => {
    const route = await liveRoute();
    assert.equal(route.behaviour, 'proxy');
    assert.equal(route.script, hooksFile);
    assert.equal(route.version, 1);
  });

  it('refuses an upgrade its onUpgrade refuses, before dialing the upstream', async () => {
    const before = upstream.clients.size;
    const ws = new WebSocket(`${server.wsUrl}/live?deny=1`);
    ws.on('error', () => {});
    const [, response] = await waitEvent(ws, 'unexpected-response', WAIT_MS, 'the refusal');
    assert.equal(response.statusCode, 403);
    let body = '';
    response.setEncoding('utf8');
    for await (const chunk of response) body += chunk;
    assert.equal(body.trim(), 'hooks said no');
    assert.equal(upstream.clients.size, before);
    ws.terminate();
  });

  it('runs examples/proxy-hooks.js as the README says', async () => {
    const ws = await connect('/example');
    const seen = collector(ws);
    ws.send('ping');
    ws.send('{"op":"hi"}');
    ws.send('beat');
    ws.send(Buffer.from([7]), { binary: true });
    assert.deepEqual(await seen.next(4), ['pong', 'up:{"op":"hi","via":"switchboard"}', 'up:beat', { binary: [7] }]);
    assert.ok(!received.includes('ping'), 'ping was answered by the script');
    ws.close(1000);
    await ws.closed;
  });

  it('changes messages both ways, binary as binary', async () => {
    const ws = await connect();
    const seen = collector(ws);
    ws.send('hello');
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.deepEqual(await seen.next(2), ['{"n":1,"up":"up:HELLO"}', { binary: [3, 2, 1] }]);
    assert.ok(received.includes('HELLO'), 'the upstream got the changed message');
    ws.close(1000);
    await ws.closed;
  });

  it('drops what a handler returns null or false for, and sends what it adds', async () => {
    const ws = await connect();
    const seen = collector(ws);
    const { id } = (await api('GET', '/api/clients')).clients.filter((c) => c.route === '/live').at(-1);
    for (const word of ['secret', 'hush', 'twice', 'direct', 'last']) ws.send(word);
    // 'secret' never reaches the upstream; 'hush' comes back as up:HUSH and is dropped on the way in;
    // 'twice' is 'one' (ws.upstream.send) then 'two'; 'direct' is answered by the script itself, at
    // once (so before or between the upstream's answers, which keep their order).
    const got = await seen.next(4);
    assert.deepEqual(got.filter((m) => m !== 'from the script'),
      ['{"n":1,"up":"up:one"}', '{"n":2,"up":"up:two"}', '{"n":3,"up":"up:LAST"}']);
    assert.ok(got.includes('from the script'));
    assert.ok(!received.includes('secret') && !received.includes('SECRET'), 'the dropped message stayed here');
    // The log reaches /api/log in batches: ask until the records are there (bounded).
    const wanted = ['log hooks.js: onClientMessage dropped the message', 'log hooks.js: onUpstreamMessage dropped the message'];
    let details = [];
    await waitUntil(async () => {
      details = (await api('GET', `/api/log?since=0&client=${id}`)).records.map((record) => record.detail);
      return wanted.every((detail) => details.includes(detail));
    }, WAIT_MS, 'the drop records');
    assert.ok(details.some((detail) => /^proxy added [\d.]+ ms, changed by script$/.test(detail)), details.join('\n'));
    ws.close(1000);
    await ws.closed;
  });

  it('closes only the client whose handler throws with 1011, naming file:line', async () => {
    const bystander = await connect();
    const seen = collector(bystander);
    const leg = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    const ws = await connect();
    const [socket] = await leg;
    const upstreamClosed = new Promise((resolve) => socket.once('close', (code) => resolve(code)));
    ws.send('boom');
    assert.deepEqual(await ws.closed, { code: 1011, reason: 'script error' });
    assert.equal(await upstreamClosed, 1011);
    const route = await liveRoute();
    assert.match(route.lastError, new RegExp(`^hooks\\.js:${BOOM_LINE}: onClientMessage threw TypeError`));
    bystander.send('still here');
    assert.deepEqual(await seen.next(1), ['{"n":1,"up":"up:STILL HERE"}']);
    bystander.close(1000);
    await bystander.closed;
  });

  it('interrupts a handler that runs past the budget and closes its client with 1011', async () => {
    const ws = await connect();
    const started = Date.now();
    ws.send('spin');
    assert.deepEqual(await ws.closed, { code: 1011, reason: 'script error' });
    assert.ok(Date.now() - started < BUDGET_MS + 2000, 'interrupted near the budget');
    const route = await liveRoute();
    assert.equal(route.lastError, `onClientMessage ran longer than ${BUDGET_MS} ms and was interrupted`);
    const after = await connect();
    const seen = collector(after);
    after.send('fine');
    assert.deepEqual(await seen.next(1), ['{"n":1,"up":"up:FINE"}']);
    after.close(1000);
    await after.closed;
  });

  it('reloads the saved file for new clients; open ones keep their version', async () => {
    const old = await connect();
    const oldSeen = collector(old);
    await writeFile(hooksFile, [
      'export default {',
      "  onClientMessage(evt) { return 'v2:' + evt.data },",
      '}',
    ].join('\n'));
    await waitUntil(async () => (await liveRoute()).version === 2, WAIT_MS, 'version 2 to load');
    const fresh = await connect();
    const freshSeen = collector(fresh);
    fresh.send('x');
    assert.deepEqual(await freshSeen.next(1), ['up:v2:x']);
    old.send('y');
    assert.deepEqual(await oldSeen.next(1), ['{"n":1,"up":"up:Y"}']);
    for (const ws of [old, fresh]) ws.close(1000);
    await Promise.all([old.closed, fresh.closed]);
  });
});
