// A `ws` client that stops reading (ws._socket.pause()) while a chat room floods it, against a real
// switchboard: with --slow-consumer close it is closed with 1013, with drop its messages are dropped
// and counted; either way the server's memory (VmRSS) stays bounded and a well-behaved client on /ws
// keeps getting its echoes throughout. SWITCHBOARD_TLS=1 runs it over wss, where the queue grows as
// encrypted bytes. Run: SWITCHBOARD_BIN=build/x/bin/switchboard node --test-reporter=spec slow_consumer_test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, after } from 'node:test';
import WebSocket from 'ws';

import {
  httpGet as httpGet_, makeDevCert, rssBytes, startServer, waitEvent, waitUntil as waitUntil_, withTimeout,
} from './switchboard_server.mjs';

const TLS = process.env.SWITCHBOARD_TLS === '1';
const ADMIN_TOKEN = 'slow-consumer-test';
const WAIT_MS = 10000;
const OVERALL_TIMEOUT_MS = 100000;
const MAX_BUFFERED = 1024 * 1024;     // --max-buffered-bytes: small, so the policy applies early
const CHUNK = randomBytes(256 * 1024); // one binary chat message
const CHUNKS = 512;                    // 128 MiB pushed at the stalled reader in all
const ECHO_EVERY = 16;                 // the well-behaved client checks in this often
const RSS_GROWTH_BOUND = 64 * 1024 * 1024; // far below what holding the flood would cost

let cert = null;
const servers = new Set();

process.on('exit', () => { for (const server of servers) server.kill(); });
const watchdog = setTimeout(() => {
  console.error(`slow_consumer_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the servers`);
  for (const server of servers) server.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

// ------------------------------------------------------------------ helpers

async function startWithPolicy(policy) {
  if (TLS && !cert) cert = await makeDevCert();
  const server = await startServer({
    extraArgs: ['--slow-consumer', policy, '--max-buffered-bytes', String(MAX_BUFFERED),
      '--admin-token', ADMIN_TOKEN, '--log-payload-cap', '0', ...(cert ? cert.tlsArgs : [])],
  });
  servers.add(server);
  return server;
}

const httpGet = (server, path) => httpGet_(server, path, { cert, token: ADMIN_TOKEN, ms: WAIT_MS });
const waitUntil = (probe, what) => waitUntil_(probe, WAIT_MS, what);

async function clientOn(server, route) {
  const { clients } = JSON.parse(await httpGet(server, '/api/clients'));
  return clients.find((c) => c.path === route);
}

async function connect(server, path) {
  const ws = new WebSocket(`${server.wsUrl}${path}`, cert ? { ca: cert.cert } : {});
  ws.on('error', () => {}); // surfaced through 'close'
  ws.closed = new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${path}`);
  return ws;
}

const nextMessage = (ws, what) => waitEvent(ws, 'message', WAIT_MS, what);

// One text round trip on /ws.
async function expectEcho(ws, text) {
  const echoed = nextMessage(ws, `the echo of ${text}`);
  ws.send(text);
  const [data] = await echoed;
  assert.equal(data.toString(), text);
}

// Sends `count` chunks from `pusher` into its room, each once the pusher got its previous one back
// (so the pusher itself never has more than a chunk queued: it is a good reader); every ECHO_EVERY
// chunks `healthy` gets an echo, and `check()` may end the flood early.
function makePusher(pusher, healthy) {
  let sent = 0;
  let received = 0;
  let waiter = null;
  pusher.on('message', () => { received++; waiter?.(); });
  const caughtUp = () => withTimeout(new Promise((resolve) => {
    waiter = () => { if (received >= sent) resolve(); };
    waiter();
  }), WAIT_MS, `the pusher's own copy of message ${sent}`);
  return async (count, check = async () => false) => {
    for (let i = 1; i <= count; i++) {
      pusher.send(CHUNK);
      sent++;
      await caughtUp();
      if (i % ECHO_EVERY === 0) {
        await expectEcho(healthy, `echo after ${sent} chunks`);
        if (await check()) return i;
      }
    }
    return count;
  };
}

// ------------------------------------------------------------------ tests

describe(`a ws client that stops reading${TLS ? ' (over wss)' : ''}`, { timeout: OVERALL_TIMEOUT_MS }, () => {
  after(async () => {
    for (const server of servers) server.kill();
    await cert?.remove();
  });

  it('with --slow-consumer close: is closed with 1013, memory stays bounded, others are served', { timeout: 45000 }, async () => {
    const server = await startWithPolicy('close');
    try {
      const room = `/chat/flood-${randomBytes(3).toString('hex')}`;
      const healthy = await connect(server, '/ws');
      const stalled = await connect(server, `${room}?who=stalled`);
      stalled._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
      const pusher = await connect(server, `${room}?who=pusher`);
      const push = makePusher(pusher, healthy);
      const before = await rssBytes(server);

      // Seen from the server: closing with 1013 (or closed already, when Qt got the close frame out).
      const stalledPath = `${room}?who=stalled`;
      let info = null;
      const pushed = await push(CHUNKS, async () => {
        const client = await clientOn(server, stalledPath);
        info = client ?? { state: 'ended' };
        return info.state !== 'open';
      });
      assert.ok(info && info.state !== 'open', `the stalled client was closed within ${CHUNKS} chunks`);
      if (info.state !== 'ended') {
        assert.equal(info.closeCode, 1013, JSON.stringify(info));
        assert.match(info.closeReason, /^slow consumer/);
      }
      assert.equal(stalled._socket.isPaused(), true, 'the stalled client never read');

      // Seen from the client once it reads again (within the close grace): the close frame with 1013.
      const closed = withTimeout(stalled.closed, WAIT_MS, 'the 1013 close at the stalled client');
      stalled._socket.resume();
      const { code, reason } = await closed;
      assert.equal(code, 1013, `close code (reason ${JSON.stringify(reason)})`);
      assert.match(reason, /^slow consumer/);
      await waitUntil(async () => /^switchboard_closes_total\{code="1013",side="server"\} 1$/m.test(await httpGet(server, '/metrics')),
        'the 1013 close in /metrics');

      await push(CHUNKS - pushed); // the rest of the flood, for the memory bound
      const growth = (await rssBytes(server)) - before;
      assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${growth} bytes (bound ${RSS_GROWTH_BOUND})`);
      await expectEcho(healthy, 'after the slow consumer was closed');
      console.log(`# close: closed after ${pushed} chunks of ${CHUNKS}; server RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      pusher.close();
      healthy.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });

  it('with --slow-consumer drop: its messages are dropped and counted, memory stays bounded, others are served', { timeout: 45000 }, async () => {
    const server = await startWithPolicy('drop');
    try {
      const room = `/chat/flood-${randomBytes(3).toString('hex')}`;
      const stalledPath = `${room}?who=stalled`;
      const healthy = await connect(server, '/ws');
      const stalled = await connect(server, stalledPath);
      stalled._socket.pause();
      const pusher = await connect(server, `${room}?who=pusher`);
      const before = await rssBytes(server);
      await makePusher(pusher, healthy)(CHUNKS);
      const growth = (await rssBytes(server)) - before;
      assert.equal(stalled._socket.isPaused(), true, 'the stalled client never read');
      const info = await clientOn(server, stalledPath);
      assert.equal(info.state, 'open', 'drop keeps the client connected');
      assert.ok(info.messagesDropped > 0, `messagesDropped ${info.messagesDropped}`);
      assert.ok(info.messagesDropped < CHUNKS, 'what fitted was delivered');
      assert.ok(info.bytesToWrite <= MAX_BUFFERED + CHUNK.length + 64 * 1024, // frame and TLS record overhead
        `bytes queued ${info.bytesToWrite} stay within the limit plus the message that crossed it`);
      assert.ok(growth < RSS_GROWTH_BOUND, `server RSS grew by ${growth} bytes (bound ${RSS_GROWTH_BOUND})`);

      // Reading again, it gets what was queued and then new messages: dropping is not closing.
      stalled._socket.resume();
      const marker = Buffer.from(`marker ${randomBytes(4).toString('hex')}`);
      const gotMarker = withTimeout(new Promise((resolve) => {
        stalled.on('message', (data) => { if (data.equals(marker)) resolve(); });
      }), WAIT_MS, 'the marker at the resumed client');
      // Sent once the backlog is drained, so it is not itself dropped.
      await waitUntil(async () => (await clientOn(server, stalledPath)).bytesToWrite === 0, 'the backlog to drain');
      pusher.send(marker);
      await gotMarker;
      const dropped = (await clientOn(server, stalledPath)).messagesDropped;
      assert.equal(dropped, info.messagesDropped, 'nothing dropped once it reads again');
      await expectEcho(healthy, 'after the flood');
      console.log(`# drop: ${dropped} of ${CHUNKS} messages dropped; server RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      for (const ws of [pusher, healthy, stalled]) ws.close();
      assert.deepEqual(await server.stop(WAIT_MS), { code: 0, signal: null });
    } catch (err) {
      console.log(server.output());
      throw err;
    }
  });
});
