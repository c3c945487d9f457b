// A `ws` client through `switchboard --proxy` to a `ws` upstream started here: both directions, close
// codes both ways, an upstream that vanishes (1014). Run: SWITCHBOARD_BIN=... node --test proxy_test.mjs

import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';

import { openClient, startServer, waitEvent } from './switchboard_server.mjs';

const WAIT_MS = 5000;
let server = null;
let upstream = null;

process.on('exit', () => server?.kill());

const connect = (path) => openClient(server.wsUrl, path, WAIT_MS);

describe('proxy route to a ws upstream', { timeout: 60000 }, () => {
  before(async () => {
    upstream = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await waitEvent(upstream, 'listening', WAIT_MS, 'the upstream to listen');
    upstream.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(isBinary ? data : `up:${data}`, { binary: isBinary }));
    });
    const port = upstream.address().port;
    server = await startServer({ extraArgs: ['--proxy', `/live=ws://127.0.0.1:${port}/socket`] });
  });

  after(async () => {
    server?.kill();
    for (const client of upstream?.clients ?? []) client.terminate();
    upstream?.close();
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
});
