// The log as a stream (issue 19 item 15): GET /api/events as Server-Sent Events read by `curl -N`,
// the WebSocket /api/events read by `ws`, resuming with Last-Event-ID and ?since=, filters, pages of
// GET /api/log, a subscriber that stops reading (it gets a gap marker, the server stays bounded), and
// keepalives on idle streams (SWITCHBOARD_EVENTS_KEEPALIVE_MS set short here). SWITCHBOARD_TLS=1 runs
// it all over https/wss (curl --cacert, `ws` with { ca }) with a certificate made at test time.
// Run: SWITCHBOARD_BIN=build/bin/switchboard node --test-reporter=spec events_test.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { describe, it, before, after } from 'node:test';
import WebSocket from 'ws';

import { makeDevCert, openClient as openPlainOrTls, rssBytes, startServer, waitEvent, withTimeout }
  from './switchboard_server.mjs';

const TOKEN = 'events-test-token';
const WAIT_MS = 8000;
const LOG_CAPACITY = 200;
const KEEPALIVE_MS = 300;
const TLS = process.env.SWITCHBOARD_TLS === '1';

let server = null;
let cert = null; // over TLS: the test's certificate, trusted as a CA by every client here
const tlsOptions = () => (cert ? { ca: cert.cert } : {});
const openClient = (baseUrl, path, ms) => openPlainOrTls(baseUrl, path, ms, tlsOptions());
const children = new Set();
process.on('exit', () => {
  server?.kill();
  for (const child of children) child.kill('SIGKILL');
});

// A GET (or `method`) through node:http or node:https; resolves once the answer has arrived whole.
function request(path, { token = TOKEN, method = 'GET' } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  return withTimeout(new Promise((resolve, reject) => {
    const sent = (TLS ? https : http).request(`${server.httpUrl}${path}`, { method, headers, ...tlsOptions() }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, text }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  }), WAIT_MS, `${method} ${path}`);
}

async function api(path, token = TOKEN) {
  const { status, text } = await request(path, { token });
  let json = null;
  try { json = JSON.parse(text); } catch { /* the caller checks */ }
  return { status, json, text };
}

// Resolves with `list` once predicate(list) holds; owner.waiters are run whenever list grows.
function waitUntil(owner, list, predicate, what) {
  return withTimeout(new Promise((resolve) => {
    const check = () => {
      if (predicate(list)) {
        owner.waiters = owner.waiters.filter((w) => w !== check);
        resolve(list);
      }
    };
    owner.waiters.push(check);
    check();
  }), WAIT_MS, what);
}

// `curl -sN` on /api/events: events() resolves with the parsed events once `until` holds for them.
function curlEvents(query, extraArgs = []) {
  const tlsArgs = cert ? ['--cacert', cert.certPath] : [];
  const child = spawn('curl', ['-sN', ...tlsArgs, '-H', `Authorization: Bearer ${TOKEN}`, ...extraArgs,
    `${server.httpUrl}/api/events${query}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stdout.setEncoding('utf8');
  const stream = { child, events: [], buffer: '', raw: '', waiters: [] };
  child.stdout.on('data', (chunk) => {
    stream.raw = (stream.raw + chunk).slice(-4096); // the tail, for byte-level checks
    stream.buffer += chunk;
    let end;
    while ((end = stream.buffer.indexOf('\n\n')) >= 0) {
      const block = stream.buffer.slice(0, end);
      stream.buffer = stream.buffer.slice(end + 2);
      const event = { event: 'message', id: null, data: '' };
      // A block of comment lines only (": keepalive") is no event.
      if (block.split('\n').every((line) => line.startsWith(':'))) continue;
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') event.id = Number(value);
        else if (field === 'event') event.event = value;
        else if (field === 'data') event.data += value;
      }
      event.json = JSON.parse(event.data);
      stream.events.push(event);
    }
    for (const waiter of [...stream.waiters]) waiter();
  });
  stream.until = (predicate, what) => waitUntil(stream, stream.events, predicate, what);
  stream.untilBytes = (pattern, what) => waitUntil(stream, stream.events, () => pattern.test(stream.raw), what);
  stream.stop = () => { child.kill('SIGTERM'); return waitEvent(child, 'exit', WAIT_MS, 'curl to exit'); };
  return stream;
}

// A `ws` follower of /api/events; messages() collects every parsed message.
async function follow(query, { token = TOKEN } = {}) {
  const ws = new WebSocket(`${server.wsUrl}/api/events${query}`,
    { headers: token ? { authorization: `Bearer ${token}` } : {}, ...tlsOptions() });
  ws.messages = [];
  ws.waiters = [];
  ws.on('error', () => {});
  ws.on('message', (data, binary) => {
    assert.equal(binary, false, 'records come as text messages');
    ws.messages.push(JSON.parse(String(data)));
    for (const waiter of [...ws.waiters]) waiter();
  });
  ws.until = (predicate, what) => waitUntil(ws, ws.messages, predicate, what);
  await waitEvent(ws, 'open', WAIT_MS, `the /api/events${query} handshake`);
  return ws;
}

async function newestClientId() {
  const { json } = await api('/api/clients');
  return Math.max(...json.clients.map((c) => c.id));
}

describe(`the log as a stream${TLS ? ' (over https and wss)' : ''}`, () => {
  before(async () => {
    if (TLS) cert = await makeDevCert();
    process.env.SWITCHBOARD_EVENTS_KEEPALIVE_MS = String(KEEPALIVE_MS); // the server inherits it
    server = await startServer({ extraArgs: ['--admin-token', TOKEN, '--log-capacity', String(LOG_CAPACITY),
      ...(cert ? cert.tlsArgs : [])] });
    assert.equal(server.httpUrl.startsWith('https:'), TLS);
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (server) {
      const status = await server.stop();
      assert.equal(status.code, 0, server.output());
    }
    await cert?.remove();
  });

  it('streams every record as Server-Sent Events to curl -N, with the sequence as the event id', async () => {
    // since=0: everything kept, so the records of a client that was quicker than curl are there too.
    const sse = curlEvents('?since=0');
    const echo = await openClient(server.wsUrl, '/ws', WAIT_MS);
    echo.send('hello sse');
    const events = await sse.until((list) => list.some((e) => e.json.payload === 'hello sse' && e.json.direction === 'out'),
      'the echo of "hello sse" on the event stream');
    const inbound = events.find((e) => e.json.payload === 'hello sse' && e.json.direction === 'in');
    assert.ok(inbound, JSON.stringify(events));
    assert.equal(inbound.event, 'message');
    assert.equal(inbound.id, inbound.json.sequence);
    assert.equal(inbound.json.kind, 'text');
    assert.equal(inbound.json.route, '/ws');
    assert.equal(inbound.json.encoding, 'utf8');
    const ids = events.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids in order');
    echo.close();
    await echo.closed;
    await sse.stop();
  });

  it('resumes after Last-Event-ID and after ?since=, and refuses what it cannot read', async () => {
    const page = await api('/api/log?limit=10000');
    assert.equal(page.status, 200, page.text);
    const last = page.json.last;
    assert.ok(last >= 3, `records so far: ${page.text.slice(0, 300)}`);
    const resumed = curlEvents('', ['-H', `Last-Event-ID: ${last - 2}`]);
    const events = await resumed.until((list) => list.length >= 2, 'the records after Last-Event-ID');
    assert.deepEqual(events.slice(0, 2).map((e) => e.id), [last - 1, last]);
    await resumed.stop();
    const since = curlEvents(`?since=${last - 1}`);
    const after = await since.until((list) => list.length >= 1, 'the record after ?since=');
    assert.equal(after[0].id, last);
    await since.stop();

    assert.equal((await api('/api/events?since=x')).status, 400);
    const badKind = await api('/api/events?kind=sideways');
    assert.equal(badKind.status, 400);
    assert.equal(badKind.json.rule, 'event-filter');
    assert.equal((await api('/api/events', null)).status, 401);
    const posted = await request('/api/events', { method: 'POST' });
    assert.equal(posted.status, 405);
    assert.equal(posted.headers.allow, 'GET, HEAD');
    const elsewhere = await follow('').catch(() => null); // still fine after all that
    assert.ok(elsewhere);
    elsewhere.close();
    // A WebSocket under /api/ but /api/events: 404.
    const wrong = new WebSocket(`${server.wsUrl}/api/clients`, { headers: { authorization: `Bearer ${TOKEN}` }, ...tlsOptions() });
    wrong.on('error', () => {});
    const [, notFound] = await waitEvent(wrong, 'unexpected-response', WAIT_MS, 'the refused /api/clients upgrade');
    assert.equal(notFound.statusCode, 404);
    assert.equal((await api('/api/log', 'wrong')).status, 401);
  });

  it('streams the same JSON over a WebSocket, filtered by client, route, direction and kind', async () => {
    const a = await openClient(server.wsUrl, '/ws', WAIT_MS);
    const idA = await newestClientId();
    const b = await openClient(server.wsUrl, '/chat/lobby', WAIT_MS);
    const onlyA = await follow(`?client=${idA}&direction=out&kind=text`);
    const chat = await follow('?route=/chat/:room');
    const everything = await follow('');
    a.send('for a');
    b.send('for the lobby');
    await onlyA.until((list) => list.some((m) => m.payload === 'for a'), 'the echo to client A');
    await chat.until((list) => list.some((m) => m.payload === 'for the lobby' && m.direction === 'broadcast'),
      'the lobby broadcast on the route-filtered stream');
    await everything.until((list) => list.some((m) => m.payload === 'for a' && m.direction === 'out')
      && list.some((m) => m.payload === 'for the lobby' && m.direction === 'in'), 'both on the unfiltered stream');
    for (const m of onlyA.messages) {
      assert.equal(m.clientId, idA);
      assert.equal(m.direction, 'out');
      assert.equal(m.kind, 'text');
    }
    for (const m of chat.messages) assert.match(m.route, /^\/chat\//);
    // Unauthorised upgrades get the API's answer.
    const refused = new WebSocket(`${server.wsUrl}/api/events`, tlsOptions());
    refused.on('error', () => {});
    const [, response] = await waitEvent(refused, 'unexpected-response', WAIT_MS, 'the refused upgrade');
    assert.equal(response.statusCode, 401);
    for (const ws of [onlyA, chat, everything, a, b]) ws.close();
  });

  it('pages through the kept log with since and limit', async () => {
    const first = await api('/api/log?limit=3');
    assert.equal(first.status, 200);
    assert.equal(first.json.records.length, 3);
    assert.equal(first.json.more, true);
    const second = await api(`/api/log?since=${first.json.next}&limit=3`);
    assert.equal(second.json.records[0].sequence, first.json.records[2].sequence + 1);
    const opens = await api('/api/log?kind=open&limit=10000');
    assert.ok(opens.json.records.length >= 3);
    assert.ok(opens.json.records.every((r) => r.kind === 'open'));
    assert.equal((await api('/api/log?limit=0')).status, 400);
  });

  it('keeps an idle stream alive: a ": keepalive" comment line (SSE), a ping (WebSocket)', async () => {
    // A filter nothing matches: the streams stay idle.
    const sse = curlEvents('?client=987654');
    await sse.untilBytes(/(^|\n): keepalive\n\n/, 'a keepalive comment on the idle event stream');
    assert.equal(sse.events.length, 0, 'comments are not events');
    await sse.stop();
    const ws = await follow('?client=987654');
    await waitEvent(ws, 'ping', WAIT_MS, 'a ping on the idle WebSocket stream');
    assert.equal(ws.messages.length, 0);
    ws.close();
  });

  it('skips what a subscriber that stops reading missed, with a gap marker, and keeps serving', async () => {
    const stalled = await follow('');
    stalled._socket.pause(); // stops reading: its socket fills, then the ring moves on without it
    // An event-stream follower that stops reading too (node:http, paused).
    const sseResponse = await withTimeout(new Promise((resolve, reject) => {
      (TLS ? https : http).get(`${server.httpUrl}/api/events`, { headers: { authorization: `Bearer ${TOKEN}` }, ...tlsOptions() },
        resolve).on('error', reject);
    }), WAIT_MS, 'the event stream to answer');
    assert.equal(sseResponse.statusCode, 200);
    assert.match(sseResponse.headers['content-type'], /^text\/event-stream/);
    sseResponse.pause();
    const before = await rssBytes(server);
    const flooder = await openClient(server.wsUrl, '/ws', WAIT_MS);
    const big = 'x'.repeat(16 * 1024);
    let echoes = 0;
    let windowEchoed = () => {};
    flooder.on('message', () => { ++echoes; windowEchoed(); });
    // In windows of 100 (1.6 MB): the qt backend cannot stop reading a client, and the echoes of one
    // burst past --max-buffered-bytes would close the flooder as a slow consumer (README).
    const flood = async () => {
      for (let sent = 0; sent < 1000;) {
        for (let i = 0; i < 100; ++i, ++sent) flooder.send(big);
        await new Promise((resolve) => {
          windowEchoed = () => { if (echoes >= sent) resolve(); };
          windowEchoed();
        });
      }
    };
    await withTimeout(flood(), 30000, 'the flood echoed');
    // 2000 records of 16 KiB went by; the follower holds at most 256 KiB of them, the ring 200 (3.2 MB).
    const growth = (await rssBytes(server)) - before;
    assert.ok(growth < 48 * 1024 * 1024, `the server grew by ${(growth / 1048576).toFixed(1)} MiB`);
    flooder.send('done');
    const fresh = await openClient(server.wsUrl, '/ws', WAIT_MS); // everyone else is still served
    fresh.send('still here');
    await waitEvent(fresh, 'message', WAIT_MS, 'an echo while a follower is stalled');
    stalled._socket.resume();
    // Looks at each chunk with the tail of the one before (a marker may be cut between them).
    let tail = '\n';
    let sawGap = false;
    const sseGap = withTimeout(new Promise((resolve) => {
      sseResponse.setEncoding('utf8');
      sseResponse.on('data', (chunk) => {
        const text = tail + chunk;
        sawGap ||= /\nevent: gap\ndata: \{"gap":\{"from":\d+,"to":\d+\}\}\n\n/.test(text);
        if (sawGap && text.includes('"payload":"done"')) resolve();
        tail = text.slice(-256);
      });
    }), 30000, 'a gap marker and the last record on the stalled event stream');
    sseResponse.resume();
    await sseGap;
    sseResponse.destroy();
    const messages = await stalled.until((list) => list.some((m) => m.payload === 'done'), 'the stalled follower catching up');
    const gaps = messages.filter((m) => m.gap);
    assert.ok(gaps.length >= 1, 'a gap marker');
    // Every sequence number is either received or inside a gap, in order.
    // The stream may open with a gap (records that left the ring before the first write reached it).
    let expected = messages[0].gap ? messages[0].gap.from : messages[0].sequence;
    for (const m of messages) {
      if (m.gap) {
        assert.equal(m.gap.from, expected);
        expected = m.gap.to + 1;
      } else {
        assert.equal(m.sequence, expected);
        expected = m.sequence + 1;
      }
    }
    const received = messages.filter((m) => m.sequence).length;
    assert.ok(received < 2000, `${received} records reached the stalled follower; the rest were skipped`);
    for (const ws of [stalled, flooder, fresh]) ws.close();
  });
});
