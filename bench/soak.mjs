// The soak driver of bench/soak.sh (issue 21): mixed traffic against a plain and a TLS switchboard,
// each recording, for --minutes; prints RSS, descriptors, CPU and a bystander's round-trip p99 every
// minute, then checks that every message the clients sent is in the recording. 127.0.0.1 only.
// Run through bench/soak.sh (it passes --bin and the ws module from tests/clients).

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDevCert, startServer } from '../tests/clients/switchboard_server.mjs';

const require = createRequire(new URL('../tests/clients/package.json', import.meta.url));
const WebSocket = require('ws');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const MINUTES = Number(option('--minutes', '30'));
const BIN = option('--bin', process.env.SWITCHBOARD_BIN);
const TICK_MS = 60000;

const timers = new Set();
const every = (ms, fn) => { const t = setInterval(fn, ms); timers.add(t); return t; };
const percentile = (values, p) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function procStats(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)[1]);
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  return { rssKiB, fds, cpuTicks };
}

// One server and the traffic against it; counts what its clients sent.
class Target {
  constructor(name, server, cert) {
    this.name = name;
    this.server = server;
    this.options = cert ? { ca: cert.cert } : {};
    this.sent = 0;        // messages clients sent (each must be recorded once as "in")
    this.echoLost = 0;    // echoes that never came back before their client closed
    this.rtts = [];       // the bystander's round trips in this minute (ms)
    this.clients = new Set();
    this.closes = {};
  }

  open(route, { onMessage, track = true, deflate = true } = {}) {
    const ws = new WebSocket(`${this.server.wsUrl}${route}`, { ...this.options, perMessageDeflate: deflate });
    ws.on('error', () => {});
    if (onMessage) ws.on('message', onMessage);
    ws.on('close', (code) => {
      this.clients.delete(ws);
      this.closes[code] = (this.closes[code] ?? 0) + 1;
    });
    if (track) this.clients.add(ws);
    return ws;
  }

  send(ws, data) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(data);
    this.sent++;
  }

  start() {
    // 10 echo clients, 10 messages a second each, 8 B - 1 KiB.
    for (let i = 0; i < 10; i++) {
      let waiting = 0;
      const ws = this.open('/ws', { onMessage: () => { waiting--; } });
      ws.on('close', () => { this.echoLost += Math.max(0, waiting); });
      every(100, () => { if (ws.readyState === WebSocket.OPEN) { waiting++; this.send(ws, randomBytes(8 + (i * 101) % 1024)); } });
    }
    // Two chat rooms of ten, two messages a second per member.
    for (const room of ['soak-a', 'soak-b']) {
      for (let i = 0; i < 10; i++) {
        const ws = this.open(`/chat/${room}`);
        every(500, () => this.send(ws, JSON.stringify({ room, i, t: Date.now() })));
      }
    }
    // Clocks.
    for (let i = 0; i < 5; i++) this.open('/clock');
    // Slow readers in a busy room: they stop reading and are closed (1013) or stall; replaced each minute.
    const slowReaders = () => {
      for (let i = 0; i < 3; i++) {
        const ws = this.open('/chat/soak-a');
        ws.on('open', () => ws._socket.pause());
        setTimeout(() => ws.terminate(), TICK_MS - 1000).unref();
      }
    };
    slowReaders();
    every(TICK_MS, slowReaders);
    // Clients that vanish: connect, send, drop the TCP connection without a close frame.
    every(1000, () => {
      // No deflate: ws compresses asynchronously, and the message must be written before the drop.
      const ws = this.open('/ws', { track: false, deflate: false });
      ws.on('open', () => { this.send(ws, 'here and gone'); ws._socket.destroy(); });
    });
    // Pingers.
    for (let i = 0; i < 5; i++) {
      const ws = this.open('/ws');
      every(100, () => { if (ws.readyState === WebSocket.OPEN) ws.ping(); });
    }
    // The bystander: one echo round trip every 100 ms.
    const bystander = this.open('/ws');
    let sentAt = 0;
    bystander.on('message', () => { this.rtts.push(Number(process.hrtime.bigint() - BigInt(sentAt)) / 1e6); sentAt = 0; });
    every(100, () => {
      if (sentAt !== 0 || bystander.readyState !== WebSocket.OPEN) return;
      sentAt = Number(process.hrtime.bigint());
      this.send(bystander, 'bystander');
    });
  }
}

async function recordedIn(dir) {
  let count = 0;
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.jsonl')) continue;
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      if (line.includes('"direction":"in"') && /"kind":"(text|binary)"/.test(line)) count++;
    }
  }
  return count;
}

const cert = await makeDevCert();
const dirs = { plain: await mkdtemp(path.join(os.tmpdir(), 'soak-plain-')), tls: await mkdtemp(path.join(os.tmpdir(), 'soak-tls-')) };
const common = [];
const targets = [
  new Target('plain', await startServer({ bin: BIN, extraArgs: [...common, '--record', path.join(dirs.plain, 'rec.jsonl')] }), null),
  new Target('tls', await startServer({ bin: BIN, extraArgs: [...common, '--record', path.join(dirs.tls, 'rec.jsonl'), ...cert.tlsArgs] }), cert),
];
const stop = async () => {
  for (const t of timers) clearInterval(t);
  // Messages still being compressed or written go out before the clients close.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  for (const target of targets) for (const ws of target.clients) ws.close();
  await new Promise((resolve) => setTimeout(resolve, 2000));
};
process.on('SIGINT', () => { for (const t of targets) t.server.kill(); process.exit(130); });

console.log(`soak: ${MINUTES} min, plain ${targets[0].server.httpUrl} and TLS ${targets[1].server.httpUrl}, each recording`);
console.log('| minute | server | RSS MiB | descriptors | CPU % | bystander p99 ms | max ms | messages sent |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
const last = {};
for (const target of targets) {
  last[target.name] = await procStats(target.server.child.pid);
  target.start();
}
const ticksPerSecond = 100; // USER_HZ on Linux
for (let minute = 1; minute <= MINUTES; minute++) {
  await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  for (const target of targets) {
    const now = await procStats(target.server.child.pid);
    const cpu = ((now.cpuTicks - last[target.name].cpuTicks) / ticksPerSecond / (TICK_MS / 1000)) * 100;
    last[target.name] = now;
    console.log(`| ${minute} | ${target.name} | ${(now.rssKiB / 1024).toFixed(1)} | ${now.fds} | ${cpu.toFixed(0)} | ` +
      `${percentile(target.rtts, 99).toFixed(1)} | ${Math.max(0, ...target.rtts).toFixed(1)} | ${target.sent} |`);
    target.rtts = [];
  }
}
await stop();
let failed = false;
for (const target of targets) {
  const status = await target.server.stop(15000);
  const recorded = await recordedIn(dirs[target.name]);
  const ok = recorded === target.sent;
  failed ||= !ok || status.code !== 0;
  console.log(`${target.name}: exit ${status.code}; ${target.sent} messages sent, ${recorded} recorded as received` +
    `${ok ? '' : ' (MISMATCH)'}; echoes never returned before their client closed: ${target.echoLost}; ` +
    `close codes seen by clients: ${JSON.stringify(target.closes)}`);
}
for (const dir of Object.values(dirs)) await rm(dir, { recursive: true, force: true });
await cert.remove();
process.exit(failed ? 1 : 0);
