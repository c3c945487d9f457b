// A few scripted WebSocket clients for the dashboard screenshot (scripts/screenshot-dashboard.sh):
// echo with a subprotocol, two chat users in a room, a clock subscriber, a binary sensor on
// /operator, and one client that leaves with 4001. Loopback only; exits after DURATION_MS.
//   node scripts/dashboard-demo-clients.mjs <port> [durationMs]

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// `ws` is installed for the client tests (npm ci in tests/clients).
const require = createRequire(path.join(here, '..', 'tests', 'clients', 'package.json'));
const WebSocket = require('ws');

const port = Number(process.argv[2]);
const durationMs = Number(process.argv[3] ?? 20000);
if (!port) {
  console.error('usage: node dashboard-demo-clients.mjs <port> [durationMs]');
  process.exit(2);
}
const base = `ws://127.0.0.1:${port}`;
const origin = `http://127.0.0.1:${port}`;
const timers = [];
const sockets = [];

function open(route, { protocols = [], withOrigin = false, userAgent } = {}) {
  const headers = {};
  if (userAgent) headers['User-Agent'] = userAgent;
  const ws = new WebSocket(base + route, protocols, withOrigin ? { origin, headers } : { headers });
  ws.on('error', (error) => console.error(`${route}: ${error.message}`));
  sockets.push(ws);
  return new Promise((resolve) => ws.once('open', () => resolve(ws)));
}

function every(ms, fn) {
  timers.push(setInterval(fn, ms));
}

const ada = await open('/ws', { protocols: ['chat'], withOrigin: true, userAgent: 'demo-ada/1.0' });
let adaSeq = 0;
every(900, () => ada.send(JSON.stringify({
  type: 'position', user: 'ada', seq: ++adaSeq,
  at: new Date().toISOString(), coords: { lat: 51.5072, lon: -0.1276 }, tags: ['fleet', 'north'],
})));

const grace = await open('/chat/lobby', { withOrigin: true });
const linus = await open('/chat/lobby');
const lines = ['morning all', 'deploy at 10?', 'build is green', 'shipping it', 'who broke staging', 'coffee'];
let line = 0;
every(1300, () => grace.send(`grace: ${lines[line++ % lines.length]}`));
every(2900, () => linus.send(JSON.stringify({ from: 'linus', text: 'ack', mood: 'fine' })));

await open('/clock?interval=500');

const sensor = await open('/operator', { userAgent: 'sensor-fw/2.3' });
every(1700, () => {
  const frame = Buffer.alloc(24);
  frame.writeUInt32BE(0xcafe0001, 0);
  frame.writeDoubleBE(20 + Math.random() * 5, 4);
  frame.writeDoubleBE(40 + Math.random() * 10, 12);
  frame.writeUInt32BE(Date.now() % 0xffffffff, 20);
  sensor.send(frame);
});

const leaver = await open('/ws', { protocols: ['wamp'] });
leaver.send('{"hello":"I will not stay long"}');
setTimeout(() => leaver.close(4001, 'session expired'), 2500);

setTimeout(() => {
  for (const timer of timers) clearInterval(timer);
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'demo over');
  setTimeout(() => process.exit(0), 500).unref();
}, durationMs);
