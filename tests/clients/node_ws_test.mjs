// Drives a real switchboard process with the `ws` npm client (a WebSocket implementation nobody here
// wrote). Run: SWITCHBOARD_BIN=build/web/bin/switchboard node --test-reporter=spec node_ws_test.mjs
// With SWITCHBOARD_TLS=1 the same checks run over https/wss, against a certificate made by
// scripts/make-dev-cert.sh that the clients trust as their CA.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { describe, it, before, after } from 'node:test';
import WebSocket from 'ws';

import { makeDevCert, startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const TLS = process.env.SWITCHBOARD_TLS === '1';

const OVERALL_TIMEOUT_MS = 60000;
const STEP_TIMEOUT_MS = 10000;
const WAIT_MS = 5000;

let server = null;
let failures = 0;
let cert = null; // with TLS: { cert, tlsArgs, ... } from makeDevCert()

// Whatever happens, the server never outlives this process, and the run is bounded.
process.on('exit', () => server?.kill());
const watchdog = setTimeout(() => {
  console.error(`node_ws_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the server`);
  server?.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

// ------------------------------------------------------------------ helpers

// Opens a client and resolves once it is OPEN. `client.next()` yields messages in order.
// Client options: over TLS, trust the development certificate (and nothing else).
const withTrust = (options) => (cert ? { ca: cert.cert, ...options } : options);

async function connect(path, protocols = [], options = {}) {
  const ws = new WebSocket(`${server.wsUrl}${path}`, protocols, withTrust(options));
  const queue = [];
  const waiters = [];
  let closeInfo = null;
  ws.on('message', (data, isBinary) => {
    const message = { data, isBinary };
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(message); else queue.push(message);
  });
  ws.closed = new Promise((resolve) => {
    ws.once('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Error(`connection closed (${closeInfo.code}) before the next message`));
      }
      resolve(closeInfo);
    });
  });
  ws.on('error', () => {}); // surfaced through 'close' / the awaited promises
  ws.next = (ms = WAIT_MS, what = `a message on ${path}`) => {
    if (queue.length) return Promise.resolve(queue.shift());
    if (closeInfo) return Promise.reject(new Error(`connection already closed (${closeInfo.code})`));
    const waiter = {};
    const promise = new Promise((resolve, reject) => Object.assign(waiter, { resolve, reject }));
    waiters.push(waiter);
    return withTimeout(promise, ms, what).catch((err) => {
      const i = waiters.indexOf(waiter);
      if (i >= 0) waiters.splice(i, 1);
      throw err;
    });
  };
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${path}`);
  return ws;
}

// Attempts a handshake that the server must refuse; resolves with the HTTP status it answered.
function refusedStatus(path, protocols = [], options = {}) {
  const ws = new WebSocket(`${server.wsUrl}${path}`, protocols, withTrust(options));
  const outcome = new Promise((resolve, reject) => {
    ws.on('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode);
    });
    ws.on('open', () => {
      const protocol = ws.protocol;
      ws.terminate();
      reject(new Error(`handshake on ${path} succeeded (subprotocol ${JSON.stringify(protocol)}), expected a refusal`));
    });
    ws.on('error', reject);
  });
  return withTimeout(outcome, WAIT_MS, `the refusal of ${path}`);
}

async function closeAndWait(ws) {
  if (ws.readyState === WebSocket.CLOSED) return ws.closed;
  ws.close(1000, 'test done');
  return withTimeout(ws.closed, WAIT_MS, 'the closing handshake');
}

async function httpGet(path) {
  if (cert) {
    // fetch() cannot be given a CA; node:https can.
    const response = await withTimeout(new Promise((resolve, reject) => {
      https.get(`${server.httpUrl}${path}`, { ca: cert.cert }, resolve).on('error', reject);
    }), WAIT_MS, `GET ${path}`);
    let body = '';
    response.setEncoding('utf8');
    for await (const chunk of response) body += chunk;
    return { status: response.statusCode, type: response.headers['content-type'] || '', body };
  }
  const response = await fetch(`${server.httpUrl}${path}`, { signal: AbortSignal.timeout(WAIT_MS) });
  const body = await response.text();
  return { status: response.status, type: response.headers.get('content-type') || '', body };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)$/;

// `it` that remembers failures, so the server output is printed once at the end.
function step(name, fn, timeout = STEP_TIMEOUT_MS) {
  it(name, { timeout }, async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failures++;
      throw err;
    }
  });
}

// ------------------------------------------------------------------ tests

describe(`switchboard with the ws npm client${TLS ? ' over TLS (https, wss)' : ''}`, { timeout: OVERALL_TIMEOUT_MS }, () => {
  before(async () => {
    if (TLS) cert = await makeDevCert();
    server = await startServer({ extraArgs: cert ? cert.tlsArgs : [] });
    if (TLS) assert.match(server.wsUrl, /^wss:\/\//, 'the server says https:// when TLS is on');
    console.log(`# switchboard listening on ${server.httpUrl} (pid ${server.child.pid})`);
  });

  after(() => {
    if (failures && server) console.log(server.output());
    server?.kill();
    return cert?.remove();
  });

  step(`serves the page, its assets and /healthz over ${TLS ? 'https' : 'plain HTTP'}`, async () => {
    const page = await httpGet('/');
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body, /id="connect"/);

    for (const [path, type] of [['/app.js', /javascript/], ['/style.css', /^text\/css/], ['/favicon.svg', /^image\/svg\+xml/]]) {
      const asset = await httpGet(path);
      assert.equal(asset.status, 200, `${path} status`);
      assert.match(asset.type, type, `${path} Content-Type (the server sends nosniff, so it must be right)`);
      assert.ok(asset.body.length > 0, `${path} body`);
    }

    const health = await httpGet('/healthz');
    assert.equal(health.status, 200);
    assert.match(health.type, /^application\/json/);
    const json = JSON.parse(health.body);
    assert.equal(json.status, 'ok');
    assert.equal(typeof json.uptimeSeconds, 'number');
    assert.equal(typeof json.clients, 'number');
    assert.equal(typeof json.version, 'string');
  });

  step('answers an unknown path with 404, over HTTP and on upgrade', async () => {
    const plain = await httpGet('/nope');
    assert.equal(plain.status, 404);
    assert.match(plain.type, /^text\/plain/);
    assert.equal(await refusedStatus('/nope'), 404);
  });

  step('echoes text on /ws as text', async () => {
    const ws = await connect('/ws');
    for (const text of ['hello switchboard', '', 'ünïcødé ✓ 🚀']) {
      ws.send(text);
      const { data, isBinary } = await ws.next();
      assert.equal(isBinary, false, 'text comes back as text');
      assert.equal(data.toString('utf8'), text);
    }
    assert.deepEqual(await closeAndWait(ws), { code: 1000, reason: 'test done' });
  });

  step('echoes binary on /ws as binary with the same bytes', async () => {
    const ws = await connect('/ws');
    for (const bytes of [Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]), randomBytes(64 * 1024)]) {
      ws.send(bytes);
      const { data, isBinary } = await ws.next();
      assert.equal(isBinary, true, 'binary comes back as binary');
      assert.ok(Buffer.isBuffer(data), 'ws delivers a Buffer');
      assert.equal(data.length, bytes.length);
      assert.ok(data.equals(bytes), 'same bytes');
    }
    await closeAndWait(ws);
  });

  step('negotiates subprotocols in the client\'s order', async () => {
    const soap = await connect('/ws', ['soap', 'wamp']);
    assert.equal(soap.protocol, 'soap');
    const wamp = await connect('/ws', ['wamp', 'chat']);
    assert.equal(wamp.protocol, 'wamp');
    const mixed = await connect('/ws', ['mqtt', 'chat']);
    assert.equal(mixed.protocol, 'chat', 'unsupported entries are skipped');
    const none = await connect('/ws');
    assert.equal(none.protocol, '', 'no offer, no subprotocol');
    await Promise.all([soap, wamp, mixed, none].map(closeAndWait));
  });

  step('refuses an offer of only unsupported subprotocols with HTTP 400', async () => {
    assert.equal(await refusedStatus('/ws', ['mqtt']), 400);
  });

  step('keeps chat rooms isolated', async () => {
    const a = await connect('/chat/lobby');
    const b = await connect('/chat/lobby');
    const c = await connect('/chat/other');

    const hello = `hello from a ${randomBytes(4).toString('hex')}`;
    a.send(hello);
    for (const [name, ws] of [['a (the sender)', a], ['b', b]]) {
      const { data, isBinary } = await ws.next(WAIT_MS, `the lobby message at ${name}`);
      assert.equal(isBinary, false);
      assert.equal(data.toString(), hello, `${name} gets the lobby message`);
    }

    // No sleep: the server handled a's message before c's marker, so if the lobby message had
    // leaked into "other" it would reach c before c's own marker comes back.
    const marker = `marker from c ${randomBytes(4).toString('hex')}`;
    c.send(marker);
    const first = await c.next(WAIT_MS, 'c\'s own marker');
    assert.equal(first.data.toString(), marker, 'the first thing c hears is its own marker, not the lobby');

    const reply = 'reply from b';
    b.send(reply);
    assert.equal((await a.next()).data.toString(), reply);
    assert.equal((await b.next()).data.toString(), reply);

    await Promise.all([a, b, c].map(closeAndWait));
  });

  step('pushes ISO-8601 UTC timestamps on /clock', async () => {
    const ws = await connect('/clock?interval=50');
    const stamps = [];
    for (let i = 0; i < 3; i++) {
      const { data, isBinary } = await ws.next(WAIT_MS, `clock tick ${i + 1}`);
      assert.equal(isBinary, false);
      const text = data.toString();
      assert.match(text, ISO_UTC, `tick ${JSON.stringify(text)} is ISO-8601 UTC`);
      const time = Date.parse(text);
      assert.ok(Math.abs(time - Date.now()) < 60000, `tick ${text} is close to now`);
      stamps.push(time);
    }
    assert.ok(stamps[0] <= stamps[1] && stamps[1] <= stamps[2], `ticks in order: ${stamps}`);
    await closeAndWait(ws);

    const slowDefault = await connect('/clock');
    assert.match((await slowDefault.next(WAIT_MS, 'a tick at the default interval')).data.toString(), ISO_UTC);
    await closeAndWait(slowDefault);
  });

  step('refuses a /clock interval outside 10–60000 ms with HTTP 400', async () => {
    for (const query of ['?interval=5', '?interval=60001', '?interval=abc']) {
      assert.equal(await refusedStatus(`/clock${query}`), 400, `/clock${query}`);
    }
  });

  step('accepts its own origin and refuses a foreign Origin with 403', async () => {
    const scheme = TLS ? 'https' : 'http';
    for (const origin of [`${scheme}://127.0.0.1:${server.port}`, `${scheme}://localhost:${server.port}`]) {
      const ws = await connect('/ws', [], { origin });
      await closeAndWait(ws);
    }
    assert.equal(await refusedStatus('/ws', [], { origin: `${scheme}://evil.example` }), 403);
  });

  if (TLS) {
    step('a client that does not trust the certificate, and one speaking plain ws://, fail alone', async () => {
      const served = await connect('/ws');
      const distrusting = new WebSocket(`${server.wsUrl}/ws`); // no ca: the system store does not know it
      const distrust = await withTimeout(new Promise((resolve) => distrusting.once('error', resolve)),
        WAIT_MS, 'the certificate error');
      assert.match(distrust.code ?? distrust.message, /SELF_SIGNED|self[- ]signed|UNABLE_TO_VERIFY/i);
      const plain = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
      plain.on('error', () => {});
      await withTimeout(new Promise((resolve) => plain.once('close', resolve)), WAIT_MS, 'plain ws:// to be dropped');
      assert.notEqual(plain.readyState, WebSocket.OPEN);
      served.send('still served');
      assert.equal((await served.next()).data.toString(), 'still served');
      await closeAndWait(served);
      await server.waitForLog(/dropped: not a TLS handshake/, WAIT_MS, 'the log line for plain ws:// on the TLS port');
    });
  }

  step('SIGTERM closes every client with 1001 Going Away and exits 0', async () => {
    const clients = [];
    for (const path of ['/ws', '/chat/lobby', '/clock?interval=1000', '/operator']) clients.push(await connect(path));
    const closes = clients.map((ws) => withTimeout(ws.closed, WAIT_MS, 'the 1001 close'));
    const status = await server.stop(WAIT_MS);
    const infos = await Promise.all(closes);
    infos.forEach((info, i) => assert.equal(info.code, 1001, `client ${i} close code (reason ${JSON.stringify(info.reason)})`));
    assert.deepEqual(status, { code: 0, signal: null }, 'exit status');
  });
});
