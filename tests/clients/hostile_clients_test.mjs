// Clients that ping a lot, against a real switchboard (issue 21): a `ws` sender that pings before
// every message loses and repeats nothing, and one that floods pings without reading its pongs keeps
// the server's memory (VmRSS) bounded while an echo client is served. SWITCHBOARD_TLS=1 runs it
// over wss, where a pong's flush used to feed newly decrypted bytes into the parser mid-read.
// Run: SWITCHBOARD_BIN=build/x/bin/switchboard node --test-reporter=spec hostile_clients_test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, it, after } from 'node:test';
import WebSocket from 'ws';

import { makeDevCert, startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const TLS = process.env.SWITCHBOARD_TLS === '1';
const WAIT_MS = 10000;
const OVERALL_TIMEOUT_MS = 100000;
const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
const FLOOD_BYTES = 100 * 1024 * 1024; // of empty pings
const FLOOD_CHUNK = 1024 * 1024;

let cert = null;
const servers = new Set();
process.on('exit', () => { for (const server of servers) server.kill(); });
const watchdog = setTimeout(() => {
  console.error(`hostile_clients_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the servers`);
  for (const server of servers) server.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

async function start() {
  if (TLS && !cert) cert = await makeDevCert();
  const server = await startServer({ extraArgs: [...(cert ? cert.tlsArgs : [])] });
  servers.add(server);
  return server;
}

async function rssBytes(server) {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]) * 1024;
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
      // The qt backend answers every ping (Qt does), so there the flooder is dropped once its unread
      // pongs pass --max-buffered-bytes; the native layer answers one per read and keeps it.
      const qt = process.env.SWITCHBOARD_WEBSOCKET_BACKEND === 'qt';
      let sent = 0;
      let dropped = false;
      for (let i = 1; sent < FLOOD_BYTES && !dropped; i++) {
        try {
          await withTimeout(new Promise((resolve, reject) => flooder._socket.write(chunk, (err) => (err ? reject(err) : resolve()))),
            WAIT_MS, `ping chunk ${i} written`);
        } catch (err) {
          if (!qt || err.code !== 'ECONNRESET') throw err;
          dropped = true;
        }
        sent += chunk.length;
        if (i % 10 === 0) await expectEcho(healthy, `echo after ${i} MiB of pings`);
      }
      await expectEcho(healthy, 'after the flood');
      const growth = (await rssBytes(server)) - before;
      console.log(`# ping flood: ${(sent / 1048576).toFixed(0)} MiB sent${dropped ? ', flooder dropped' : ''}; server RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${growth} bytes (bound ${RSS_GROWTH_BOUND})`);
      if (qt) assert.ok(dropped, 'the qt backend kept a client whose unread pongs passed --max-buffered-bytes');
      flooder.terminate();
      healthy.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });
});
