// Clients that ping a lot, against a real switchboard (issue 21): a `ws` sender that pings before
// every message loses and repeats nothing, and one that floods pings without reading its pongs keeps
// the server's memory (VmRSS) bounded while an echo client is served. SWITCHBOARD_TLS=1 runs it
// over wss, where a pong's flush used to feed newly decrypted bytes into the parser mid-read.
// Run: SWITCHBOARD_BIN=build/x/bin/switchboard node --test-reporter=spec hostile_clients_test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, after } from 'node:test';
import WebSocket from 'ws';

import {
  httpGet, makeDevCert, rssBytes, startServer, waitEvent, waitUntil, withTimeout,
} from './switchboard_server.mjs';

const TLS = process.env.SWITCHBOARD_TLS === '1';
const WAIT_MS = 10000;
const OVERALL_TIMEOUT_MS = 100000;
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
const FLOOD_BYTES = 100 * 1024 * 1024; // of empty pings
const FLOOD_CHUNK = 1024 * 1024;
const ADMIN_TOKEN = 'hostile-clients-test';
const MAX_BUFFERED = 1024 * 1024; // --max-buffered-bytes for the echo flood

let cert = null;
const servers = new Set();
process.on('exit', () => { for (const server of servers) server.kill(); });
const watchdog = setTimeout(() => {
  console.error(`hostile_clients_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the servers`);
  for (const server of servers) server.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

async function start(extraArgs = []) {
  if (TLS && !cert) cert = await makeDevCert();
  const server = await startServer({ extraArgs: ['--admin-token', ADMIN_TOKEN, ...extraArgs, ...(cert ? cert.tlsArgs : [])] });
  servers.add(server);
  return server;
}

async function clientOn(server, path) {
  const { clients } = JSON.parse(await httpGet(server, '/api/clients', { cert, token: ADMIN_TOKEN, ms: WAIT_MS }));
  return clients.find((c) => c.path === path);
}

async function connect(server, path) {
  const ws = new WebSocket(`${server.wsUrl}${path}`, cert ? { ca: cert.cert } : {});
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${path}`);
  return ws;
}

async function expectEcho(ws, text) {
  const echoed = waitEvent(ws, 'message', WAIT_MS, `the echo of ${text}`);
  ws.send(text);
  const [data] = await echoed;
  assert.equal(data.toString(), text);
}

// Binary frames of `size` (< 65536) random payload bytes (deflate cannot shrink their echoes) as a
// client sends them (masked, with a zero key), `count` of them in one buffer.
function binaryFrames(size, count) {
  const frame = Buffer.concat([Buffer.from([0x82, 0xfe, size >> 8, size & 0xff, 0, 0, 0, 0]), randomBytes(size)]);
  return Buffer.concat(Array(count).fill(frame));
}

// Empty ping frames as a client sends them (masked), `bytes` long.
function pingFlood(bytes) {
  const frame = Buffer.from([0x89, 0x80, 0x11, 0x22, 0x33, 0x44]);
  const out = Buffer.alloc(bytes - (bytes % frame.length));
  for (let i = 0; i < out.length; i += frame.length) frame.copy(out, i);
  return out;
}

describe(`clients that ping${TLS ? ' (over wss)' : ''}`, { timeout: OVERALL_TIMEOUT_MS }, () => {
  after(async () => {
    for (const server of servers) server.kill();
    await cert?.remove();
  });

  for (const count of [5, 10]) {
    it(`a ping before each of ${count} 100 KB chat messages: each delivered once, in order`, { timeout: 30000 }, async () => {
      const server = await start();
      try {
        const room = `/chat/pings-${randomBytes(3).toString('hex')}`;
        const listener = await connect(server, room);
        const sender = await connect(server, room);
        const got = [];
        const all = new Promise((resolve) => listener.on('message', (data) => {
          got.push(JSON.parse(data.toString()).n);
          if (got.length >= count) resolve();
        }));
        const filler = 'x'.repeat(100 * 1024);
        for (let n = 0; n < count; n++) {
          sender.ping();
          sender.send(JSON.stringify({ n, filler }));
        }
        await withTimeout(all, WAIT_MS, `${count} deliveries`);
        // One more round trip through the room proves nothing more is on its way.
        const last = new Promise((resolve) => listener.on('message', (data) => {
          if (JSON.parse(data.toString()).n === 'last') resolve();
        }));
        sender.send(JSON.stringify({ n: 'last' }));
        await withTimeout(last, WAIT_MS, 'the last message');
        assert.deepEqual(got.slice(0, count), [...Array(count).keys()]);
        assert.equal(got.length, count + 1, `deliveries: ${JSON.stringify(got)}`);
        assert.equal(sender.readyState, WebSocket.OPEN, 'the sender is still open');
        sender.close();
        listener.close();
        assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
      } catch (err) {
        console.log(server.output());
        throw err;
      }
    });
  }

  it('100 MiB of pings from a client that never reads: memory stays bounded, others are served', { timeout: 60000 }, async () => {
    const server = await start();
    try {
      const healthy = await connect(server, '/ws');
      const flooder = await connect(server, '/ws');
      flooder._socket.pause(); // never reads its pongs
      const before = await rssBytes(server);
      const chunk = pingFlood(FLOOD_CHUNK);
      let sent = 0;
      for (let i = 1; sent < FLOOD_BYTES; i++) {
        await withTimeout(new Promise((resolve, reject) => flooder._socket.write(chunk, (err) => (err ? reject(err) : resolve()))),
          WAIT_MS, `ping chunk ${i} written`);
        sent += chunk.length;
        if (i % 10 === 0) await expectEcho(healthy, `echo after ${i} MiB of pings`);
      }
      await expectEcho(healthy, 'after the flood');
      const growth = (await rssBytes(server)) - before;
      console.log(`# ping flood: ${(sent / 1048576).toFixed(0)} MiB sent; server RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${growth} bytes (bound ${RSS_GROWTH_BOUND})`);
      // Reading again, it gets the pong of its latest ping: the one waiting was replaced, not stuck.
      const lastPong = withTimeout(new Promise((resolve) => flooder.on('pong', (data) => {
        if (data.toString() === 'last') resolve();
      })), WAIT_MS, 'the pong of the last ping');
      flooder._socket.resume();
      flooder.ping('last');
      await lastPong;
      flooder.terminate();
      healthy.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });

  it('a client that pings and reads gets a pong for every ping, with its payload', { timeout: 30000 }, async () => {
    const server = await start();
    try {
      const ws = await connect(server, '/ws');
      for (let i = 0; i < 200; i++) {
        const pong = waitEvent(ws, 'pong', WAIT_MS, `the pong of ping ${i}`);
        ws.ping(`ping ${i}`);
        const [data] = await pong;
        assert.equal(data.toString(), `ping ${i}`);
      }
      ws.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });

  it('an echo client that sends and never reads is not read past its budget, then served again once it reads', { timeout: 60000 }, async () => {
    const server = await start(['--slow-consumer', 'drop', '--max-buffered-bytes', String(MAX_BUFFERED)]);
    try {
      const healthy = await connect(server, '/ws');
      const path = `/ws?who=flooder-${randomBytes(3).toString('hex')}`;
      const flooder = await connect(server, path);
      flooder._socket.pause(); // never reads its echoes
      const before = await rssBytes(server);
      const frameBytes = 60000;
      const flood = binaryFrames(frameBytes, 1500); // 86 MiB, queued in this process at once
      flooder._socket.write(flood);
      // Its echoes pile up past the budget (seen queued, or as echoes dropped; over TLS the queue
      // may shrink a little later as Qt hands encrypted bytes on); from then on it is not read.
      const over = await waitUntil(async () => {
        const info = await clientOn(server, path);
        return (info.bytesToWrite > MAX_BUFFERED || info.messagesDropped > 0) && info;
      }, WAIT_MS, 'the flooder over its budget');
      for (let i = 0; i < 20; i++) await expectEcho(healthy, `echo ${i} while the flooder waits`);
      const stalled = await clientOn(server, path);
      const read = stalled.bytesIn - over.bytesIn;
      console.log(`# echo flood: over budget after ${over.bytesIn} bytes read; ${read} more read during 20 echoes of another client`);
      assert.ok(read <= 4 * 65536, `read ${read} more bytes from a client over its budget`);
      assert.ok(stalled.bytesIn < flood.length / 4, `read ${stalled.bytesIn} of ${flood.length} bytes`);
      assert.ok(flooder._socket.writableLength > 0, 'the flooder still has bytes the server did not take');
      assert.equal(stalled.state, 'open', 'drop keeps it connected');
      const growth = (await rssBytes(server)) - before;
      assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${growth} bytes (bound ${RSS_GROWTH_BOUND})`);

      // Reading again, it drains; the server reads the rest of its flood (echoes that found the
      // queue over budget meanwhile are dropped), then echoes a marker sent once all is drained.
      flooder._socket.resume();
      const floodPayload = flood.length / (frameBytes + 8) * frameBytes;
      await waitUntil(async () => {
        const info = await clientOn(server, path);
        return info.bytesIn === floodPayload && info.bytesToWrite === 0;
      }, 30000, 'the whole flood read and its echoes drained');
      const marker = `marker ${randomBytes(4).toString('hex')}`;
      const gotMarker = withTimeout(new Promise((resolve) => flooder.on('message', (data) => {
        if (data.toString() === marker) resolve();
      })), WAIT_MS, 'the echo of the marker after the flood');
      flooder.send(marker);
      await gotMarker;
      await expectEcho(healthy, 'after the flood');
      flooder.close();
      healthy.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });
});
