// The script examples with the real npm clients they imitate a server for (issue 17):
// socket.io-client against examples/socketio.js, graphql-ws against examples/graphql-ws.js.
// Run: SWITCHBOARD_BIN=build/bin/switchboard node --test-reporter=spec script_examples_test.mjs

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

import { startServer, withTimeout } from './switchboard_server.mjs';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const WAIT_MS = 5000;
const OVERALL_TIMEOUT_MS = 60000;

let server = null;

process.on('exit', () => server?.kill());
const watchdog = setTimeout(() => {
  console.error(`script_examples_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit, killing the server`);
  server?.kill();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 5000);
watchdog.unref();

before(async () => {
  server = await startServer({
    extraArgs: ['--script', `/socket.io=${EXAMPLES}socketio.js`, '--script', `/graphql=${EXAMPLES}graphql-ws.js`],
  });
});

after(async () => {
  if (server) {
    const { code } = await server.stop();
    assert.equal(code, 0, server.output());
  }
});

function socket() {
  const client = io(server.httpUrl, { transports: ['websocket'], addTrailingSlash: false, reconnection: false });
  return client;
}

const once = (emitter, event, what) => withTimeout(new Promise((resolve) => emitter.once(event, resolve)), WAIT_MS, what);

describe('examples/socketio.js with socket.io-client', () => {
  it('connects, gets acks, receives room broadcasts, answers pings', async () => {
    const ann = socket();
    const bob = socket();
    const eve = socket();
    try {
      await Promise.all([once(ann, 'connect', 'ann connect'), once(bob, 'connect', 'bob connect'), once(eve, 'connect', 'eve connect')]);
      assert.ok(ann.id, 'a socket id from the CONNECT reply');

      assert.deepEqual(await withTimeout(ann.emitWithAck('echo', 'hi', { n: 1 }), WAIT_MS, 'the echo ack'), 'hi');
      const echoed = once(ann, 'echo', 'the echo event');
      ann.emit('echo', 'no ack', 2);
      assert.equal(await echoed, 'no ack');

      assert.deepEqual(await withTimeout(ann.emitWithAck('join', 'lobby'), WAIT_MS, 'join ack'), { joined: 'lobby', members: 1 });
      assert.deepEqual(await withTimeout(bob.emitWithAck('join', 'lobby'), WAIT_MS, 'join ack'), { joined: 'lobby', members: 2 });
      await withTimeout(eve.emitWithAck('join', 'attic'), WAIT_MS, 'join ack');
      let eveHeard = 0;
      eve.on('chat', () => { eveHeard++; });

      const annHears = once(ann, 'chat', 'the broadcast at ann');
      const bobHears = once(bob, 'chat', 'the broadcast at bob');
      assert.deepEqual(await withTimeout(bob.emitWithAck('chat', 'hello room'), WAIT_MS, 'chat ack'), { delivered: 2 });
      assert.deepEqual(await annHears, { from: bob.id, text: 'hello room' });
      assert.deepEqual(await bobHears, { from: bob.id, text: 'hello room' });

      // Engine.IO heartbeats every second: the client answers, the server keeps it connected.
      const pinged = once(ann.io.engine, 'ping', 'an Engine.IO ping');
      await pinged;
      assert.ok(ann.connected);
      assert.equal(eveHeard, 0, 'another room hears nothing');
    } finally {
      ann.close(); bob.close(); eve.close();
    }
  });
});

describe('examples/graphql-ws.js with graphql-ws', () => {
  it('acknowledges, streams next results of a subscription, completes', async () => {
    const client = createClient({ url: `${server.wsUrl}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    try {
      const results = [];
      await withTimeout(new Promise((resolve, reject) => {
        client.subscribe({ query: 'subscription { greetings }' }, {
          next: (value) => results.push(value),
          error: reject,
          complete: resolve,
        });
      }), WAIT_MS, 'the subscription to complete');
      assert.deepEqual(results, [
        { data: { greetings: 'Hi' } }, { data: { greetings: 'Bonjour' } }, { data: { greetings: 'Hola' } },
      ]);

      // A query through the iterator API, and an unknown field as a GraphQL error.
      const iterator = client.iterate({ query: '{ hello }' });
      const first = await withTimeout(iterator.next(), WAIT_MS, 'the query result');
      assert.deepEqual(first.value, { data: { hello: 'world' } });
      await iterator.return();
      await assert.rejects(withTimeout(new Promise((resolve, reject) => {
        client.subscribe({ query: '{ nope }' }, { next: () => {}, error: reject, complete: resolve });
      }), WAIT_MS, 'the error'), (errors) => {
        assert.equal(errors[0].message, 'Cannot query field "nope"');
        return true;
      });
    } finally {
      await client.dispose();
    }
  });

  it('closes with 4401 when a subscribe comes before connection_init (a raw ws client)', async () => {
    const ws = new WebSocket(`${server.wsUrl}/graphql`, 'graphql-transport-ws');
    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await once(ws, 'open', 'the handshake');
    assert.equal(ws.protocol, 'graphql-transport-ws');
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ hello }' } }));
    assert.deepEqual(await withTimeout(closed, WAIT_MS, 'the close'), { code: 4401, reason: 'Unauthorized' });
  });
});
