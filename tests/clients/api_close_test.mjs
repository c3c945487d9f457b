// Closes a `ws` client through the admin HTTP API (fetch) and checks the client sees the exact code
// and reason. Run: SWITCHBOARD_BIN=build/api/bin/switchboard node --test-reporter=spec api_close_test.mjs

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';

import { openClient, startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const TOKEN = 'api-close-test-token';
const WAIT_MS = 5000;
const OVERALL_TIMEOUT_MS = 60000;

let server = null;
let failed = false;

process.on('exit', () => server?.kill());
const watchdog = setTimeout(() => {
  console.error(`api_close_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the server`);
  server?.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

async function api(method, path, body, token = TOKEN) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* checked by the caller */ }
  return { status: response.status, type: response.headers.get('content-type') || '', json, text };
}

const connect = (path) => openClient(server.wsUrl, path, WAIT_MS);

// The id the server gave the newest client on `route`.
async function newestClientId(route) {
  const { status, json } = await api('GET', '/api/clients');
  assert.equal(status, 200);
  const ids = json.clients.filter((c) => c.route === route && c.state === 'open').map((c) => c.id);
  assert.ok(ids.length > 0, `an open client on ${route} in ${JSON.stringify(json)}`);
  return Math.max(...ids);
}

function step(name, fn) {
  it(name, { timeout: 15000 }, async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

describe('closing a ws client through the admin API', { timeout: OVERALL_TIMEOUT_MS }, () => {
  before(async () => {
    server = await startServer({ extraArgs: ['--admin-token', TOKEN] });
    console.log(`# switchboard listening on ${server.httpUrl} (pid ${server.child.pid})`);
  });

  after(() => {
    if (failed && server) console.log(server.output());
    server?.kill();
  });

  step('refuses without the token, and with a wrong one', async () => {
    const none = await api('GET', '/api/clients', undefined, null);
    assert.equal(none.status, 401);
    assert.equal(none.json?.rule, 'bearer-token');
    const wrong = await api('GET', '/api/clients', undefined, 'nope');
    assert.equal(wrong.status, 401);
  });

  step('an invalid close code is a 400 naming the rule, and the client stays open', async () => {
    const ws = await connect('/ws');
    const id = await newestClientId('/ws');
    const refused = await api('POST', `/api/clients/${id}/close`, { code: 1005, reason: 'x' });
    assert.equal(refused.status, 400);
    assert.match(refused.type, /^application\/json/);
    assert.equal(refused.json.rule, 'close-code');
    assert.match(refused.json.error, /1005/);
    const tooLong = await api('POST', `/api/clients/${id}/close`, { code: 4001, reason: 'r'.repeat(124) });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.json.rule, 'close-reason-length');
    // Still open: it echoes.
    ws.send('still here');
    const [echo] = await waitEvent(ws, 'message', WAIT_MS, 'the echo');
    assert.equal(echo.toString(), 'still here');
    ws.close(1000);
    await withTimeout(ws.closed, WAIT_MS, 'the close');
  });

  step('POST /api/clients/{id}/close arrives as exactly 4001 and the reason', async () => {
    const ws = await connect('/ws');
    const id = await newestClientId('/ws');
    const reason = 'closed by the API — ünïcødé';
    const answer = await api('POST', `/api/clients/${id}/close`, { code: 4001, reason });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { closed: 1 });
    assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the 4001 close'), { code: 4001, reason });
    // The server saw the same: the client is gone, or closing with 4001.
    const after = await api('GET', `/api/clients/${id}`);
    if (after.status === 200) assert.equal(after.json.closeCode, 4001);
    else assert.equal(after.status, 404);
  });

  step('POST /api/close closes several with 1012, which ws accepts', async () => {
    const a = await connect('/chat/lobby');
    const b = await connect('/operator');
    const answer = await api('POST', '/api/close', { all: true, code: 1012, reason: 'restarting' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json.closed, 2);
    for (const ws of [a, b]) {
      assert.deepEqual(await withTimeout(ws.closed, WAIT_MS, 'the 1012 close'), { code: 1012, reason: 'restarting' });
    }
  });

  step('SIGTERM still exits 0', async () => {
    const status = await server.stop(WAIT_MS);
    assert.deepEqual(status, { code: 0, signal: null });
  });
});
