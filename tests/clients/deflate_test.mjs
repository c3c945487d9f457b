// permessage-deflate (RFC 7692) against a real switchboard with the `ws` npm client and a raw
// socket: negotiated answers, compressed traffic both ways on echo and chat routes (with and
// without context takeover), a route with deflate off, --no-deflate, a zip bomb (1009) and RSV1
// violations (1002). Run: SWITCHBOARD_BIN=build/bin/switchboard node --test-reporter=spec deflate_test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import zlib from 'node:zlib';
import WebSocket from 'ws';

import { startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const WAIT_MS = 5000;
const ADMIN_TOKEN = 'deflate-test-admin';
const NO_TAKEOVER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

let server = null;
let plainServer = null; // --no-deflate
let configDir = null;
process.on('exit', () => { server?.kill(); plainServer?.kill(); });
const watchdog = setTimeout(() => {
  console.error('deflate_test: overall timeout hit, killing the servers');
  server?.kill();
  plainServer?.kill();
  process.exit(1);
}, 90000);
watchdog.unref();

// Compressible JSON of about `size` bytes.
function json(size, tag = 'x') {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < size; ++i) items.push({ id: i, tag, user: 'alice', text: 'hello there' });
  return JSON.stringify(items);
}

// A `ws` client, open; `next()` resolves with the next message; `bytesRead()` counts the wire.
async function connect(srv, route, options = {}) {
  const ws = new WebSocket(`${srv.wsUrl}${route}`, { perMessageDeflate: true, ...options });
  const queue = [];
  const waiters = [];
  ws.extensionsHeader = null;
  ws.on('upgrade', (res) => { ws.extensionsHeader = res.headers['sec-websocket-extensions'] ?? null; });
  ws.on('message', (data, isBinary) => {
    const waiter = waiters.shift();
    if (waiter) waiter({ data, isBinary }); else queue.push({ data, isBinary });
  });
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.next = () => (queue.length ? Promise.resolve(queue.shift())
    : withTimeout(new Promise((resolve) => waiters.push(resolve)), WAIT_MS, `a message on ${route}`));
  ws.bytesRead = () => ws._socket.bytesRead;
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${route}`);
  return ws;
}

async function close(ws) {
  ws.close(1000);
  return withTimeout(ws.closed, WAIT_MS, 'the closing handshake');
}

// Sends `payload` and returns what came back on `receiver` and how many bytes it took on the wire.
async function roundTrip(sender, receiver, payload, binary) {
  const before = receiver.bytesRead();
  sender.send(payload, { binary });
  const { data, isBinary } = await receiver.next();
  return { data, isBinary, wire: receiver.bytesRead() - before };
}

async function apiClients(srv) {
  const response = await fetch(`${srv.httpUrl}/api/clients`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(WAIT_MS),
  });
  assert.equal(response.status, 200);
  return (await response.json()).clients;
}

// ---- a raw client: sends exactly the frames a test wants

function mask(payload) {
  const key = randomBytes(4);
  const out = Buffer.from(payload);
  for (let i = 0; i < out.length; ++i) out[i] ^= key[i & 3];
  return { key, out };
}

function frame(firstByte, payload) {
  const { key, out } = mask(payload);
  let head;
  if (payload.length < 126) {
    head = Buffer.from([firstByte, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    head = Buffer.from([firstByte, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  } else {
    head = Buffer.alloc(10);
    head[0] = firstByte;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, key, out]);
}

function deflateRaw(data) {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4); // without 00 00 ff ff
}

// Upgrades a raw socket on `route` (offering `extensions` when given), writes `bytes`, and resolves
// with the close code of the server's close frame.
function rawCloseCode(srv, route, extensions, bytes) {
  return withTimeout(new Promise((resolve, reject) => {
    const socket = net.connect(srv.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed without a close frame')));
    socket.on('connect', () => {
      socket.write(`GET ${route} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n`
        + (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') + '\r\n');
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head}`));
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(bytes);
      }
      // The first frame back must be the close frame: 0x88, length, code.
      if (received.length >= 4) {
        assert.equal(received[0], 0x88, `first frame back is 0x${received[0].toString(16)}, not a close frame`);
        socket.removeAllListeners('close');
        socket.destroy();
        resolve(received.readUInt16BE(2));
      }
    });
  }), WAIT_MS, `the close frame on ${route}`);
}

// ------------------------------------------------------------------ tests

before(async () => {
  configDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-deflate-'));
  const config = path.join(configDir, 'config.json');
  await writeFile(config, JSON.stringify({
    routes: [
      { path: '/ws', behaviour: 'echo' },
      { path: '/chat/:room', behaviour: 'chat' },
      { path: '/kept', behaviour: 'echo', deflate: { contextTakeover: true, maxWindowBits: 10 } },
      { path: '/kept-chat/:room', behaviour: 'chat', deflate: { contextTakeover: true } },
      { path: '/plain', behaviour: 'echo', deflate: false },
    ],
  }));
  server = await startServer({ extraArgs: ['--config', config, '--admin-token', ADMIN_TOKEN] });
  plainServer = await startServer({ extraArgs: ['--no-deflate'] });
});

after(async () => {
  server?.kill();
  plainServer?.kill();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

describe('permessage-deflate with ws', () => {
  it('answers with no context takeover by default, and the clients table says so', async () => {
    const ws = await connect(server, '/ws');
    assert.equal(ws.extensionsHeader, NO_TAKEOVER);
    const clients = await apiClients(server);
    const me = clients.find((c) => c.state === 'open' && c.route === '/ws');
    assert.equal(me.extensions, NO_TAKEOVER);
    await close(ws);
  });

  for (const binary of [false, true]) {
    it(`echoes compressible ${binary ? 'binary' : 'text'} compressed both ways`, async () => {
      const ws = await connect(server, '/ws');
      const payload = json(64 * 1024);
      const { data, isBinary, wire } = await roundTrip(ws, ws, binary ? Buffer.from(payload) : payload, binary);
      assert.equal(isBinary, binary);
      assert.equal(data.toString(), payload);
      assert.ok(wire < payload.length / 4, `${wire} bytes on the wire for ${payload.length} bytes of payload`);
      // Small and incompressible messages go as they are.
      const noise = randomBytes(32 * 1024);
      const back = await roundTrip(ws, ws, noise, true);
      assert.ok(Buffer.compare(back.data, noise) === 0);
      assert.ok(back.wire >= noise.length, 'random bytes are not deflated');
      const small = await roundTrip(ws, ws, 'tiny', false);
      assert.equal(small.data.toString(), 'tiny');
      const clients = await apiClients(server);
      const me = clients.find((c) => c.state === 'open' && c.route === '/ws');
      assert.ok(me.wireBytesOut < me.bytesOut, `wire ${me.wireBytesOut} < payload ${me.bytesOut}`);
      await close(ws);
    });
  }

  it('chat: one compressed broadcast reaches every member, text and binary', async () => {
    const room = `/chat/deflate-${randomBytes(4).toString('hex')}`;
    const a = await connect(server, room);
    const b = await connect(server, room);
    const c = await connect(server, room, { perMessageDeflate: false }); // takes the plain frame
    assert.equal(c.extensionsHeader, null);
    const payload = json(16 * 1024, 'room');
    for (const binary of [false, true]) {
      a.send(binary ? Buffer.from(payload) : payload, { binary });
      for (const member of [a, b, c]) {
        const before = member.bytesRead();
        const { data, isBinary } = await member.next();
        assert.equal(isBinary, binary);
        assert.equal(data.toString(), payload);
        if (member !== c) assert.ok(member.bytesRead() - before < payload.length / 4, 'compressed on the wire');
      }
    }
    await Promise.all([close(a), close(b), close(c)]);
  });

  it('context takeover where the route opts in: echo and chat', async () => {
    const ws = await connect(server, '/kept', {
      perMessageDeflate: { clientNoContextTakeover: false, serverNoContextTakeover: false },
    });
    assert.equal(ws.extensionsHeader, 'permessage-deflate; server_max_window_bits=10; client_max_window_bits=10');
    for (let i = 0; i < 5; ++i) {
      const payload = json(4096, `kept${i}`);
      const { data } = await roundTrip(ws, ws, i % 2 ? Buffer.from(payload) : payload, i % 2 === 1);
      assert.equal(data.toString(), payload);
    }
    const room = `/kept-chat/r${randomBytes(4).toString('hex')}`;
    const a = await connect(server, room);
    const b = await connect(server, room, { perMessageDeflate: { clientNoContextTakeover: true } });
    assert.equal(a.extensionsHeader, 'permessage-deflate; client_max_window_bits=15');
    assert.equal(b.extensionsHeader, 'permessage-deflate; client_no_context_takeover; client_max_window_bits=15');
    for (let i = 0; i < 4; ++i) {
      const payload = json(3000, `room${i}`);
      (i % 2 ? b : a).send(payload);
      for (const member of [a, b]) assert.equal((await member.next()).data.toString(), payload);
    }
    await Promise.all([close(ws), close(a), close(b)]);
  });

  it('a route with deflate off, and a server with --no-deflate, decline the offer', async () => {
    for (const [srv, route] of [[server, '/plain'], [plainServer, '/ws']]) {
      const ws = await connect(srv, route);
      assert.equal(ws.extensionsHeader, null);
      const payload = json(8192);
      assert.equal((await roundTrip(ws, ws, payload, false)).data.toString(), payload);
      await close(ws);
    }
  });

  it('a zip bomb is closed with 1009 and the server keeps serving', async () => {
    const bomb = deflateRaw(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
    assert.ok(bomb.length < 128 * 1024);
    const code = await rawCloseCode(server, '/ws', 'permessage-deflate', frame(0x80 | 0x40 | 0x2, bomb));
    assert.equal(code, 1009);
    const ws = await connect(server, '/ws');
    assert.equal((await roundTrip(ws, ws, 'still here', false)).data.toString(), 'still here');
    await close(ws);
  });

  it('RSV1 violations are closed with 1002', async () => {
    const compressed = deflateRaw(Buffer.from(json(2000)));
    // Without the extension negotiated.
    assert.equal(await rawCloseCode(server, '/ws', null, frame(0x80 | 0x40 | 0x1, compressed)), 1002);
    assert.equal(await rawCloseCode(server, '/plain', 'permessage-deflate', frame(0x80 | 0x40 | 0x1, compressed)), 1002);
    // On a continuation frame, and on a ping.
    const half = compressed.length >> 1;
    assert.equal(await rawCloseCode(server, '/ws', 'permessage-deflate',
      Buffer.concat([frame(0x40 | 0x1, compressed.subarray(0, half)), frame(0x80 | 0x40, compressed.subarray(half))])), 1002);
    assert.equal(await rawCloseCode(server, '/ws', 'permessage-deflate', frame(0x80 | 0x40 | 0x9, Buffer.from('hi'))), 1002);
  });
});
