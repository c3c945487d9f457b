// Scripted routes (issue 17) with the `ws` npm client against the real binary: the examples feed.js
// and hono-chat.js, each bad-script case with a bystander still served, hot reload, and a syntax
// error that stops the server from starting.
// Run: SWITCHBOARD_BIN=build/bin/switchboard node --test-reporter=spec script_routes_test.mjs

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import WebSocket from 'ws';

import { startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const WAIT_MS = 5000;
// The product's default: under ASan on a loaded machine, keeps.js's 1 MiB ws.data check alone took over 100 ms.
const BUDGET_MS = 250;
const HEAP_MB = 32;
const OVERALL_TIMEOUT_MS = 90000;
const TOKEN = 'script-routes-test-token';

let server = null;
let dir = null;

process.on('exit', () => server?.kill());
const watchdog = setTimeout(() => {
  console.error(`script_routes_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the server`);
  server?.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

// A client whose messages queue up to be awaited in order.
async function connect(urlPath, protocols) {
  const ws = new WebSocket(`${server.wsUrl}${urlPath}`, protocols);
  ws.inbox = [];
  ws.waiters = [];
  ws.on('message', (data, isBinary) => {
    const message = isBinary ? data : data.toString();
    const waiter = ws.waiters.shift();
    if (waiter) waiter(message); else ws.inbox.push(message);
  });
  ws.next = (what = 'a message') => withTimeout(new Promise((resolve) => {
    if (ws.inbox.length) resolve(ws.inbox.shift()); else ws.waiters.push(resolve);
  }), WAIT_MS, `${what} on ${urlPath}`);
  ws.on('error', () => {}); // surfaced through 'close' or 'unexpected-response'
  ws.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${urlPath}`);
  return ws;
}

async function echoes(ws, text) {
  ws.send(text);
  assert.equal(await ws.next('the echo'), text);
}

const BAD = {
  'throws.js': "export default {\n  onMessage(evt, ws) {\n    if (evt.data === 'boom') JSON.parse('{nope')\n    ws.send('ok ' + evt.data)\n  },\n}\n",
  'rejects.js': "export default {\n  onMessage(evt, ws) {\n    return Promise.resolve(evt.data).then((d) => {\n      if (d === 'boom') throw new RangeError('later boom')\n      ws.send('ok ' + d)\n    })\n  },\n}\n",
  'spins.js': "export default { onMessage(evt, ws) { if (evt.data === 'spin') for (;;) {} ws.send('ok') } }\n",
  'hogs.js': "export default { onMessage(evt, ws) { const a = []; for (;;) a.push(new Array(1000).fill(evt.data)) } }\n",
  'keeps.js': "export default { onMessage(evt, ws) { ws.data.log = (ws.data.log || '') + evt.data } }\n",
  // The ever-growing array, kept at module level: a little more on every message.
  'hoards.js': "const kept = []\nexport default { onMessage(evt, ws) { kept.push(evt.data + kept.length); ws.send('kept ' + kept.length) } }\n",
  'live.js': "export default { onMessage(evt, ws) { ws.send('v1') } }\n",
  'api.js': "export default { onOpen(evt, ws) { ws.send('a1') } }\n",
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-scripts-'));
  for (const [name, source] of Object.entries(BAD)) await writeFile(path.join(dir, name), source);
  server = await startServer({
    extraArgs: [
      '--script-budget', String(BUDGET_MS),
      '--script-heap', String(HEAP_MB),
      '--admin-token', TOKEN,
      '--script', `/feed/:symbol=${EXAMPLES}feed.js`,
      '--script', `/room/:room=${EXAMPLES}hono-chat.js`,
      '--script', `/throws=${dir}/throws.js`,
      '--script', `/rejects=${dir}/rejects.js`,
      '--script', `/spins=${dir}/spins.js`,
      '--script', `/hogs=${dir}/hogs.js`,
      '--script', `/keeps=${dir}/keeps.js`,
      '--script', `/hoards=${dir}/hoards.js`,
      '--script', `/live=${dir}/live.js`,
      '--script', `/api/:n=${dir}/api.js`,
    ],
  });
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  }
  await rm(dir, { recursive: true, force: true });
});

describe('examples/feed.js', () => {
  it('greets with the path parameter, ticks after subscribe, closes with 4002 on crash', async () => {
    const ws = await connect('/feed/ACME');
    assert.deepEqual(JSON.parse(await ws.next('the greeting')), { hello: 'ACME' });
    ws.send(JSON.stringify({ op: 'subscribe' }));
    assert.deepEqual(JSON.parse(await ws.next('tick 1')), { px: 100 });
    assert.deepEqual(JSON.parse(await ws.next('tick 2')), { px: 101 });
    ws.send(JSON.stringify({ op: 'crash' }));
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the close'), { code: 4002, reason: 'asked to fail' });
    await server.waitForLog(/feed\.js:13: closed 4002 asked to fail/, WAIT_MS, "onClose's console.log with file:line");
  });
});

describe('examples/hono-chat.js', () => {
  it('broadcasts to the room, and onUpgrade refuses a bad room name with 400', async () => {
    const ann = await connect('/room/lobby?name=ann');
    assert.deepEqual(JSON.parse(await ann.next('ann joined')), { system: 'ann joined', online: 1 });
    const bob = await connect('/room/lobby?name=bob');
    assert.deepEqual(JSON.parse(await ann.next('bob joined')), { system: 'bob joined', online: 2 });
    assert.deepEqual(JSON.parse(await bob.next('bob joined')), { system: 'bob joined', online: 2 });
    bob.send('hello');
    assert.deepEqual(JSON.parse(await ann.next('the chat line')), { from: 'bob', text: 'hello' });
    assert.deepEqual(JSON.parse(await bob.next('the chat line')), { from: 'bob', text: 'hello' });
    const other = await connect('/room/attic?name=cy');
    await other.next('cy joined');
    bob.close(1000);
    assert.deepEqual(JSON.parse(await ann.next('bob left')), { system: 'bob left' });
    assert.equal(other.inbox.length, 0, 'another room hears nothing');

    const refused = new WebSocket(`${server.wsUrl}/room/no%20spaces`);
    refused.on('error', () => {});
    const [, response] = await waitEvent(refused, 'unexpected-response', WAIT_MS, 'the refusal');
    assert.equal(response.statusCode, 400);
    ann.close(); other.close();
  });
});

describe('bad scripts: the client gets 1011, a bystander keeps being served', () => {
  it("a handler's promise that rejects closes with 1011 and records file:line", async () => {
    const bystander = await connect('/ws');
    const ws = await connect('/rejects');
    ws.send('fine');
    assert.equal(await ws.next(), 'ok fine');
    ws.send('boom');
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the 1011 close'), { code: 1011, reason: 'script error' });
    await server.waitForLog(/rejects\.js:4: onMessage rejected with RangeError: later boom/, WAIT_MS, 'the rejection with file:line');
    await echoes(bystander, 'after the rejection');
    bystander.close();
  });

  it('an exception closes with 1011 and records file:line', async () => {
    const bystander = await connect('/ws');
    const ws = await connect('/throws');
    ws.send('fine');
    assert.equal(await ws.next(), 'ok fine');
    ws.send('boom');
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the 1011 close'), { code: 1011, reason: 'script error' });
    await server.waitForLog(/throws\.js:3: onMessage threw SyntaxError/, WAIT_MS, 'the error with file:line');
    await echoes(bystander, 'still here');
    bystander.close();
  });

  it('an endless loop is interrupted after the budget', async () => {
    const bystander = await connect('/ws');
    const other = await connect('/spins');
    const ws = await connect('/spins');
    const started = Date.now();
    ws.send('spin');
    assert.equal((await withTimeout(ws.closed, WAIT_MS, 'the 1011 close')).code, 1011);
    assert.ok(Date.now() - started < 2000, `closed after ${Date.now() - started} ms`);
    await server.waitForLog(new RegExp(`onMessage ran longer than ${BUDGET_MS} ms and was interrupted`), WAIT_MS, 'the timeout record');
    other.send('hi');
    assert.equal(await other.next('the same script, another client'), 'ok');
    await echoes(bystander, 'after the spin');
    bystander.close(); other.close();
  });

  it('an endless allocation is stopped before it takes the process down', async () => {
    const bystander = await connect('/ws');
    const ws = await connect('/hogs');
    ws.send('x');
    assert.equal((await withTimeout(ws.closed, WAIT_MS, 'the 1011 close')).code, 1011);
    await server.waitForLog(new RegExp(`onMessage (grew memory by more than \\d+ MiB|ran longer than ${BUDGET_MS} ms)`), WAIT_MS, 'the stop record');
    await echoes(bystander, 'after the hog');
    bystander.close();
  });

  it('a module that keeps a little more on every message is stopped at its heap limit, then starts again', async () => {
    const bystander = await connect('/ws');
    const other = await connect('/hoards'); // shares the module's heap
    const ws = await connect('/hoards');
    const chunk = 'z'.repeat(64 * 1024); // 128 KiB on the heap (UTF-16): the limit falls within ~260 messages
    let closed = null;
    ws.closed.then((c) => { closed = c; });
    let replies = 0;
    for (let i = 0; i < 1000 && !closed; i++) {
      ws.send(chunk);
      const reply = await Promise.race([ws.next('the reply').catch(() => null), ws.closed]);
      if (typeof reply === 'string') replies++;
    }
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the 1011 close'), { code: 1011, reason: 'script out of memory' });
    assert.ok(replies >= 100, `stopped after ${replies} messages, long before the limit`);
    assert.deepEqual(await withTimeout(other.closed, WAIT_MS, "the other client's close"), { code: 1011, reason: 'script out of memory' });
    await server.waitForLog(/onMessage left \d+ MiB on the script's heap after garbage collection \(limit 32 MiB\): version 1 stopped/,
                            WAIT_MS, 'the heap record');
    await server.waitForLog(/started again: version 2/, WAIT_MS, 'the fresh start');
    const fresh = await connect('/hoards');
    fresh.send('a');
    assert.equal(await fresh.next('the fresh reply'), 'kept 1', 'a fresh module: nothing kept');
    await echoes(bystander, 'after the hoard');
    const hoards = (await api('GET', '/api/routes')).json.routes.find((r) => r.path === '/hoards');
    assert.equal(hoards.heapMb, HEAP_MB);
    assert.equal(hoards.version, 2);
    assert.match(hoards.lastError, /heap after garbage collection/);
    bystander.close(); fresh.close();
  });

  it('ws.data is bounded', async () => {
    const bystander = await connect('/ws');
    const ws = await connect('/keeps');
    const chunk = 'y'.repeat(200 * 1024);
    for (let i = 0; i < 6; i++) ws.send(chunk);
    assert.equal((await withTimeout(ws.closed, WAIT_MS, 'the 1011 close')).code, 1011);
    await server.waitForLog(/ws\.data grew to \d+ bytes \(limit 1048576\)/, WAIT_MS, 'the data limit record');
    await echoes(bystander, 'after the data limit');
    bystander.close();
  });
});

describe('hot reload', () => {
  it('new connections get the new code, open ones keep theirs, a broken save keeps the old version', async () => {
    const old = await connect('/live');
    await writeFile(path.join(dir, 'live.js'), "export default { onMessage(evt, ws) { ws.send('v2') } }\n");
    await server.waitForLog(/reloaded live\.js: version 2/, WAIT_MS, 'the reload');
    const fresh = await connect('/live');
    fresh.send('?');
    assert.equal(await fresh.next(), 'v2');
    old.send('?');
    assert.equal(await old.next(), 'v1');
    await writeFile(path.join(dir, 'live.js'), "export default { onMessage(evt, ws) { ws.send('v3' } }\n");
    await server.waitForLog(/reload failed, version 2 keeps running: live\.js:1:\d+: SyntaxError/, WAIT_MS, 'the failed reload');
    const third = await connect('/live');
    third.send('?');
    assert.equal(await third.next(), 'v2');
    old.close(); fresh.close(); third.close();
  });
});

async function api(method, urlPath, body) {
  const response = await fetch(`${server.httpUrl}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: response.status, json: await response.json() };
}

describe('admin API', () => {
  it('lists script routes with file and version, reloads one and restarts its clients with 1012', async () => {
    const routes = (await api('GET', '/api/routes')).json.routes;
    const route = routes.find((r) => r.path === '/api/:n');
    assert.equal(route.behaviour, 'script');
    assert.equal(route.script, path.join(dir, 'api.js'));
    assert.equal(route.version, 1);
    assert.equal(route.lastError, null);

    const ws = await connect('/api/1');
    assert.equal(await ws.next(), 'a1');
    await writeFile(path.join(dir, 'api.js'), "export default { onOpen(evt, ws) { ws.send('a2' }\n");
    const broken = await api('POST', `/api/routes/${encodeURIComponent('/api/:n')}/reload`, {});
    assert.equal(broken.status, 422);
    assert.equal(broken.json.rule, 'script-load');
    assert.match(broken.json.error, /api\.js:1:\d+: SyntaxError/);

    await writeFile(path.join(dir, 'api.js'), "export default { onOpen(evt, ws) { ws.send('a2') } }\n");
    const reloaded = await api('POST', `/api/routes/${encodeURIComponent('/api/:n')}/reload`, { restartClients: true });
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.json));
    assert.equal(reloaded.json.restarted, 1);
    assert.ok(reloaded.json.version >= 2);
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the restart'), { code: 1012, reason: 'script reloaded' });
    const again = await connect('/api/1');
    assert.equal(await again.next(), 'a2');
    again.close();

    const notScript = await api('POST', `/api/routes/${encodeURIComponent('/ws')}/reload`, {});
    assert.equal(notScript.status, 404);
    assert.equal(notScript.json.rule, 'unknown-route');
  });
});

describe('a syntax error at start', () => {
  it('stops the server from starting and names file, line and column', async () => {
    const broken = path.join(dir, 'broken.js');
    await writeFile(broken, 'export default {\n  onOpen(evt, ws) {\n    ws.send(\n  },\n}\n');
    const run = promisify(execFile)(process.env.SWITCHBOARD_BIN,
      ['--headless', '--host', '127.0.0.1', '--port', '0', '--script', `/b=${broken}`], { timeout: 10000 });
    await assert.rejects(run, (err) => {
      assert.notEqual(err.code, 0);
      assert.match(err.stderr, /script route \/b: broken\.js:4:3: SyntaxError/);
      return true;
    });
  });
});
