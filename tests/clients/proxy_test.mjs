// A `ws` client through `switchboard --proxy` to a `ws` upstream started here: both directions, close
// codes both ways, an upstream that vanishes (1014), the upstream's subprotocol, an upstream refusal
// (403 with its body), hold / edit / drop / release and inject through the admin API, a 16 MiB
// message; a `wss` upstream with a certificate made here, trusted through --upstream-ca.
// Run: SWITCHBOARD_BIN=... node --test proxy_test.mjs

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { describe, it, before, after } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';

import { collectMessages, makeDevCert, openClient, startServer, waitEvent } from './switchboard_server.mjs';

const WAIT_MS = 5000;
const TOKEN = 'proxy-test-admin';
const BIG = 16 * 1024 * 1024;
let server = null;
let upstream = null;
let refuser = null;
let cert = null;
let secureServer = null;
let secure = null;

process.on('exit', () => server?.kill());

const connect = (path) => openClient(server.wsUrl, path, WAIT_MS);

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${TOKEN}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.httpUrl}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: response.status, json: await response.json() };
}

// The id of the newest open client on /live, as the admin API lists it.
async function newestClient() {
  const { json } = await api('GET', '/api/clients');
  return json.clients.filter((client) => client.route === '/live' && client.state === 'open').at(-1);
}

const collector = (ws) => collectMessages(ws, WAIT_MS);

describe('proxy route to a ws upstream', { timeout: 60000 }, () => {
  before(async () => {
    // Chooses v2 when the client offers it (the proxy must answer the client with that choice).
    upstream = new WebSocketServer({
      host: '127.0.0.1', port: 0, maxPayload: 2 * BIG,
      handleProtocols: (protocols) => (protocols.has('v2') ? 'v2' : false),
    });
    await waitEvent(upstream, 'listening', WAIT_MS, 'the upstream to listen');
    refuser = new WebSocketServer({
      host: '127.0.0.1', port: 0,
      verifyClient: (info, done) => done(false, 403, 'members only'),
    });
    await waitEvent(refuser, 'listening', WAIT_MS, 'the refusing upstream to listen');
    upstream.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `up:${data}`, { binary: isBinary }));
    });
    // A wss upstream with a development certificate, trusted only through --upstream-ca.
    cert = await makeDevCert();
    secureServer = https.createServer({ cert: cert.cert, key: await readFile(cert.keyPath) });
    secure = new WebSocketServer({ server: secureServer });
    secure.on('connection', (socket) => socket.on('message', (data) => socket.send(`wss:${data}`)));
    secureServer.listen(0, '127.0.0.1');
    await waitEvent(secureServer, 'listening', WAIT_MS, 'the wss upstream to listen');
    const port = upstream.address().port;
    server = await startServer({
      extraArgs: ['--proxy', `/live=ws://127.0.0.1:${port}/socket`,
        '--proxy', `/guarded=ws://127.0.0.1:${refuser.address().port}/socket`,
        '--proxy', `/secure=wss://127.0.0.1:${secureServer.address().port}/socket`, '--upstream-ca', cert.certPath,
        '--admin-token', TOKEN, '--max-message-bytes', String(2 * BIG)],
    });
  });

  after(async () => {
    server?.kill();
    for (const client of upstream?.clients ?? []) client.terminate();
    upstream?.close();
    refuser?.close();
    for (const client of secure?.clients ?? []) client.terminate();
    secure?.close();
    secureServer?.close();
    await cert?.remove();
  });

  it('relays to a wss upstream whose certificate --upstream-ca trusts', async () => {
    const ws = await connect('/secure');
    const seen = collector(ws);
    ws.send('sealed');
    assert.deepEqual(await seen.next(1), ['wss:sealed']);
    ws.close(1000);
    await ws.closed;
  });

  it('relays text as text and binary as binary, with the query passed on', async () => {
    const legs = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    const ws = await connect('/live?user=ada');
    const [, request] = await legs;
    assert.equal(request.url, '/socket?user=ada');
    const messages = [];
    ws.on('message', (data, isBinary) => messages.push({ data: Buffer.from(data), isBinary }));
    ws.send('héllo');
    ws.send(Buffer.from([0, 1, 255]), { binary: true });
    while (messages.length < 2) await waitEvent(ws, 'message', WAIT_MS, 'the relayed answers');
    assert.deepEqual(messages[0], { data: Buffer.from('up:héllo'), isBinary: false });
    assert.deepEqual(messages[1], { data: Buffer.from([0, 1, 255]), isBinary: true });
    ws.close(1000);
    await ws.closed;
  });

  it('passes close codes and reasons both ways', async () => {
    let legs = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    let ws = await connect('/live');
    let [socket] = await legs;
    const upstreamClosed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.close(4002, 'done here');
    assert.deepEqual(await upstreamClosed, { code: 4002, reason: 'done here' });

    legs = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    ws = await connect('/live');
    [socket] = await legs;
    await new Promise((resolve) => (socket.readyState === WebSocket.OPEN ? resolve() : socket.once('open', resolve)));
    socket.close(4001, 'shift over');
    assert.deepEqual(await ws.closed, { code: 4001, reason: 'shift over' });
  });

  it('closes the client with 1014 when the upstream vanishes without a close frame', async () => {
    const legs = waitEvent(upstream, 'connection', WAIT_MS, 'the upstream leg');
    const ws = await connect('/live');
    const [socket] = await legs;
    socket.terminate();
    const { code } = await ws.closed;
    assert.equal(code, 1014);
  });

  it('answers the client with the subprotocol the upstream chose', async () => {
    const ws = new WebSocket(`${server.wsUrl}/live`, ['v1', 'v2']);
    ws.on('error', () => {});
    await waitEvent(ws, 'open', WAIT_MS, 'the handshake');
    assert.equal(ws.protocol, 'v2');
    ws.close(1000);
  });

  it('passes an upstream refusal to the client: same status, same body', async () => {
    const ws = new WebSocket(`${server.wsUrl}/guarded`);
    ws.on('error', () => {});
    const [, response] = await waitEvent(ws, 'unexpected-response', WAIT_MS, 'the refusal');
    assert.equal(response.statusCode, 403);
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk) => { body += chunk; });
    await waitEvent(response, 'end', WAIT_MS, 'the refusal body');
    assert.equal(body, 'members only');
    ws.terminate();
  });

  it('shows the upstream and its state in /api/clients', async () => {
    const ws = await connect('/live');
    const client = await newestClient();
    assert.equal(client.upstream, `ws://127.0.0.1:${upstream.address().port}/socket`);
    assert.equal(client.upstreamState, 'open');
    ws.close(1000);
    await ws.closed;
  });

  it('holds, edits, drops and releases in order through the admin API', async () => {
    const ws = await connect('/live');
    const seen = collector(ws);
    const { id } = await newestClient();
    assert.equal((await api('POST', `/api/clients/${id}/hold`, { direction: 'toUpstream' })).status, 200);
    for (const word of ['a', 'b', 'c', 'd']) ws.send(word);
    // The four are held once the server has read them: ask until they are there (bounded).
    let held = null;
    for (let attempt = 0; attempt < 1000 && !(held?.messages.length >= 4); ++attempt) {
      held = (await api('GET', `/api/clients/${id}/held`)).json;
    }
    assert.equal(held.holding, 'toUpstream');
    assert.deepEqual(held.messages.map((m) => m.text), ['a', 'b', 'c', 'd']);
    const [, b, c] = held.messages;
    assert.equal((await api('POST', `/api/clients/${id}/held/${b.id}/forward`, { text: 'B!' })).status, 200);
    assert.equal((await api('POST', `/api/clients/${id}/held/${c.id}/drop`)).status, 200);
    assert.equal((await api('POST', `/api/clients/${id}/held/${c.id}/drop`)).status, 404);
    assert.equal((await api('POST', `/api/clients/${id}/release`, {})).status, 200);
    assert.deepEqual(await seen.next(3), ['up:B!', 'up:a', 'up:d']);
    assert.equal((await api('POST', `/api/clients/${id}/hold`, { direction: 'sideways' })).status, 400);
    ws.close(1000);
    await ws.closed;
  });

  it('injects to the client and to the upstream through the admin API', async () => {
    const ws = await connect('/live');
    const seen = collector(ws);
    const { id } = await newestClient();
    let result = await api('POST', `/api/clients/${id}/inject`, { to: 'client', text: 'from nowhere' });
    assert.equal(result.status, 200);
    result = await api('POST', `/api/clients/${id}/inject`, { to: 'upstream', binary: Buffer.from('hi').toString('base64') });
    assert.equal(result.status, 200);
    // The upstream echoes binary as binary: the client sees it after the injected text.
    assert.deepEqual(await seen.next(2), ['from nowhere', { binary: [...Buffer.from('hi')] }]);
    assert.equal((await api('POST', `/api/clients/${id}/inject`, { to: 'moon', text: 'x' })).status, 400);
    ws.close(1000);
    await ws.closed;
  });

  it('holds a whole route, new clients too, and forwards all held through the admin API', async () => {
    const first = await connect('/live');
    const firstSeen = collector(first);
    const route = encodeURIComponent('/live');
    let result = await api('POST', `/api/routes/${route}/hold`, { direction: 'toUpstream' });
    assert.equal(result.status, 200);
    assert.equal(result.json.route, '/live');
    assert.equal(result.json.holding, 'toUpstream');
    assert.ok(result.json.clients >= 1);
    const listed = (await api('GET', '/api/routes')).json.routes.find((r) => r.path === '/live');
    assert.equal(listed.holding, 'toUpstream');
    assert.equal(listed.upstream, `ws://127.0.0.1:${upstream.address().port}/socket`);
    // A client that connects now is held too.
    const second = await connect('/live');
    const secondSeen = collector(second);
    const { id } = await newestClient();
    second.send('late');
    first.send('early');
    let held = null;
    for (let attempt = 0; attempt < 1000 && !(held?.messages.length >= 1); ++attempt) {
      held = (await api('GET', `/api/clients/${id}/held`)).json;
    }
    assert.equal(held.holding, 'toUpstream');
    assert.deepEqual(held.messages.map((m) => m.text), ['late']);
    // Forward all: what is held goes on, holding stays.
    result = await api('POST', `/api/clients/${id}/held/forward`);
    assert.deepEqual([result.status, result.json.forwarded], [200, 1]);
    assert.deepEqual(await secondSeen.next(1), ['up:late']);
    assert.equal((await api('GET', `/api/clients/${id}/held`)).json.holding, 'toUpstream');
    // Releasing the route forwards what its clients held.
    result = await api('POST', `/api/routes/${route}/release`, {});
    assert.equal(result.status, 200);
    assert.equal(result.json.holding, null);
    assert.deepEqual(await firstSeen.next(1), ['up:early']);
    assert.equal((await api('POST', `/api/routes/${route}/hold`, { direction: 'up' })).status, 400);
    result = await api('POST', `/api/routes/${encodeURIComponent('/nowhere')}/hold`, {});
    assert.deepEqual([result.status, result.json.rule], [404, 'unknown-route']);
    for (const ws of [first, second]) {
      ws.close(1000);
      await ws.closed;
    }
  });

  it('relays a 16 MiB message both ways', async () => {
    const ws = new WebSocket(`${server.wsUrl}/live`, { maxPayload: 2 * BIG });
    ws.on('error', () => {});
    await waitEvent(ws, 'open', WAIT_MS, 'the handshake');
    const big = Buffer.alloc(BIG);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    ws.send(big, { binary: true });
    const [data, isBinary] = await waitEvent(ws, 'message', 30000, 'the 16 MiB echo');
    assert.equal(isBinary, true);
    assert.ok(Buffer.from(data).equals(big));
    ws.close(1000);
  });
});
