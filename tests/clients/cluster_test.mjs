// Two real `switchboard --headless --redis ...` processes and a real redis-server on a free loopback
// port, with `ws` clients (issue 8): chat crosses instances once, binary stays binary, /healthz reports
// the link, a killed Redis leaves local chat working, and a restarted one brings the link back. A
// script route's room and route broadcasts (issue 17) reach the clients of the other instance.
// Run: SWITCHBOARD_BIN=build/x/bin/switchboard node --test-reporter=spec cluster_test.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it, before, after } from 'node:test';
import WebSocket from 'ws';

import { startServer, waitEvent, withTimeout } from './switchboard_server.mjs';

const WAIT_MS = 5000;
const OVERALL_TIMEOUT_MS = 90000;

let redis = null;
let redisPort = 0;
const servers = [];
const sockets = [];

function stopAll() {
  for (const ws of sockets) ws.terminate();
  for (const server of servers) server.kill();
  redis?.kill('SIGKILL');
}
process.on('exit', stopAll);
const watchdog = setTimeout(() => {
  console.error(`cluster_test: overall timeout (${OVERALL_TIMEOUT_MS} ms) hit`);
  stopAll();
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
watchdog.unref();

async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await waitEvent(probe, 'listening', WAIT_MS);
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startRedis() {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    redis.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  await withTimeout(ready, 10000, 'redis-server to be ready');
}

async function stopRedis() {
  const exited = waitEvent(redis, 'exit', WAIT_MS, 'redis-server to exit');
  redis.kill('SIGKILL'); // the way a crashed Redis goes
  await exited;
  redis = null;
}

// Polls until check() returns a truthy value; rejects with `what` after ms.
async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function health(server) {
  const response = await fetch(`${server.httpUrl}/healthz`, { signal: AbortSignal.timeout(WAIT_MS) });
  return response.json();
}

// A client that keeps what it receives: { ws, got: [{ binary, data }] }.
async function join(server, path) {
  const ws = new WebSocket(`${server.wsUrl}${path}`);
  sockets.push(ws);
  const client = { ws, got: [] };
  ws.on('message', (data, binary) => client.got.push({ binary, data: binary ? Buffer.from(data) : String(data) }));
  await waitEvent(ws, 'open', WAIT_MS, `the handshake on ${path}`);
  return client;
}

const texts = (client) => client.got.filter((m) => !m.binary).map((m) => m.data);

// Each client joins the room named by its path; 'route:' messages go to the whole route instead.
const ROOMS_SCRIPT = `export default {
  onOpen(evt, ws) { ws.join('script-' + ws.params.room) },
  onMessage(evt, ws) {
    if (typeof evt.data === 'string' && evt.data.startsWith('route:')) server.broadcast(evt.data)
    else server.broadcast(evt.data, { room: 'script-' + ws.params.room })
  },
}
`;
let scriptDir = null;

describe('two instances through Redis', () => {
  let a;
  let b;

  before(async () => {
    redisPort = await freePort();
    await startRedis();
    scriptDir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-cluster-'));
    const script = path.join(scriptDir, 'rooms.js');
    await writeFile(script, ROOMS_SCRIPT);
    const args = ['--redis', `redis://127.0.0.1:${redisPort}`, '--cluster', 'clients', '--script', `/live/:room=${script}`];
    a = await startServer({ extraArgs: args });
    servers.push(a);
    b = await startServer({ extraArgs: args });
    servers.push(b);
    for (const server of [a, b]) {
      await eventually(async () => {
        const { cluster } = await health(server);
        return cluster.link === 'up' && cluster.instances === 2;
      }, 10000, 'both instances up and aware of each other');
    }
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    for (const server of servers) await server.stop();
    if (redis) await stopRedis();
    if (scriptDir) await rm(scriptDir, { recursive: true, force: true });
  });

  it('chat in a room crosses instances once, other rooms stay apart, binary stays binary', async () => {
    const aLobby = await join(a, '/chat/lobby');
    const bLobby = await join(b, '/chat/lobby');
    const bOther = await join(b, '/chat/other');
    bLobby.ws.send('hello from B');
    bOther.ws.send('only for other');
    bLobby.ws.send(Buffer.from([0, 10, 255]));
    bLobby.ws.send('marker');
    await eventually(() => texts(aLobby).includes('marker'), WAIT_MS, 'the marker on A');
    assert.deepEqual(texts(aLobby), ['hello from B', 'marker']);
    const binaries = aLobby.got.filter((m) => m.binary);
    assert.equal(binaries.length, 1);
    assert.deepEqual([...binaries[0].data], [0, 10, 255]);
    assert.deepEqual(texts(bLobby), ['hello from B', 'marker']); // its own publication did not come back
    for (const client of [aLobby, bLobby, bOther]) client.ws.close();
  });

  it("a script route's room and route broadcasts reach the other instance's clients once", async () => {
    const aRoom = await join(a, '/live/x');
    const bRoom = await join(b, '/live/x');
    const bOther = await join(b, '/live/y');
    aRoom.ws.send('hello from a script on A');
    aRoom.ws.send(Buffer.from([1, 2, 3]));
    aRoom.ws.send('route:everyone on /live/:room');
    await eventually(() => texts(bOther).includes('route:everyone on /live/:room'), WAIT_MS, 'the route broadcast on B');
    await eventually(() => texts(bRoom).includes('route:everyone on /live/:room'), WAIT_MS, 'the route broadcast in the room on B');
    assert.deepEqual(texts(bRoom), ['hello from a script on A', 'route:everyone on /live/:room']);
    assert.deepEqual(bRoom.got.filter((m) => m.binary).map((m) => [...m.data]), [[1, 2, 3]]);
    assert.deepEqual(texts(bOther), ['route:everyone on /live/:room']); // another room: only the route broadcast
    // The sender's own instance delivered it locally, once; Redis did not bring it back.
    await eventually(() => texts(aRoom).includes('route:everyone on /live/:room'), WAIT_MS, 'the route broadcast on A');
    assert.deepEqual(texts(aRoom), ['hello from a script on A', 'route:everyone on /live/:room']);
    for (const client of [aRoom, bRoom, bOther]) client.ws.close();
  });

  it('Redis killed: /healthz says down, local chat goes on; restarted: the link and the crossing are back', async () => {
    const aLobby = await join(a, '/chat/lobby');
    const aPeer = await join(a, '/chat/lobby');
    const bLobby = await join(b, '/chat/lobby');
    await stopRedis();
    await eventually(async () => (await health(a)).cluster.link === 'down', WAIT_MS, '/healthz on A to say down');
    const down = await health(a);
    assert.equal(down.status, 'ok'); // still serving its own clients
    aLobby.ws.send('local while down');
    await eventually(() => texts(aPeer).includes('local while down'), WAIT_MS, 'the local message');
    await a.waitForLog(/cluster link down/, WAIT_MS, 'the link-down log line');

    await startRedis(); // the same port
    for (const server of [a, b]) {
      await eventually(async () => (await health(server)).cluster.link === 'up', 15000, 'the link to come back');
    }
    await a.waitForLog(/cluster link up[^\n]*\n[^]*cluster link up/, WAIT_MS, 'the link-up log line after the outage');
    bLobby.ws.send('back again');
    await eventually(() => texts(aLobby).includes('back again'), WAIT_MS, 'cross-instance chat after the restart');
    assert.deepEqual(texts(bLobby), ['back again']); // B never got what A could not publish
  });
});
