// Starts a real `switchboard --headless --port 0` for the client tests and stops it again.
// The binary comes from SWITCHBOARD_BIN (CTest passes $<TARGET_FILE:switchboard>).

import { execFile, spawn } from 'node:child_process';
import https from 'node:https';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import WebSocket from 'ws';

const LISTEN_LINE = /^Listening on (https?):\/\/127\.0\.0\.1:(\d+)\/?$/;
const MAKE_DEV_CERT = fileURLToPath(new URL('../../scripts/make-dev-cert.sh', import.meta.url));
const KEEP_OUTPUT = 64 * 1024; // the tail of stderr/stdout kept for failure messages

function tailAppend(buffer, chunk) {
  const next = buffer + chunk;
  return next.length > KEEP_OUTPUT ? next.slice(next.length - KEEP_OUTPUT) : next;
}

// Rejects after `ms` with a message naming what was awaited.
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class SwitchboardServer {
  constructor(child) {
    this.child = child;
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exitStatus = null;
    this.exited.then((status) => { this.exitStatus = status; });
  }

  get running() { return this.exitStatus === null; }

  // SIGTERM, then wait for the exit; returns { code, signal }.
  async stop(timeoutMs = 10000) {
    if (this.running) this.child.kill('SIGTERM');
    return withTimeout(this.exited, timeoutMs, 'switchboard to exit after SIGTERM');
  }

  // Last resort (finally blocks): SIGKILL if it is still running.
  kill() {
    if (this.running) this.child.kill('SIGKILL');
  }

  // Resolves once stderr (the log) matches `pattern`; rejects after `ms`.
  waitForLog(pattern, ms, what = String(pattern)) {
    if (pattern.test(this.stderr)) return Promise.resolve();
    let onData;
    const seen = new Promise((resolve) => {
      onData = () => { if (pattern.test(this.stderr)) resolve(); };
      this.child.stderr.on('data', onData);
    });
    return withTimeout(seen, ms, what).finally(() => this.child.stderr.off('data', onData));
  }

  output() {
    return `--- switchboard stdout (tail) ---\n${this.stdout}\n--- switchboard stderr (tail) ---\n${this.stderr}`;
  }
}

export async function startServer({ bin = process.env.SWITCHBOARD_BIN, extraArgs = [], timeoutMs = 15000 } = {}) {
  if (!bin) throw new Error('SWITCHBOARD_BIN is not set: point it at the built switchboard executable');
  // SWITCHBOARD_WEBSOCKET_BACKEND=qt: the *_qt CTest variants run on Qt's QWebSocketServer.
  const backend = process.env.SWITCHBOARD_WEBSOCKET_BACKEND;
  const backendArgs = backend ? ['--websocket-backend', backend] : [];
  const args = ['--headless', '--host', '127.0.0.1', '--port', '0', ...backendArgs, ...extraArgs];
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' },
  });
  const server = new SwitchboardServer(child);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { server.stderr = tailAppend(server.stderr, chunk); });
  child.stdout.setEncoding('utf8');

  const firstLine = new Promise((resolve, reject) => {
    let pending = '';
    let done = false;
    child.stdout.on('data', (chunk) => {
      server.stdout = tailAppend(server.stdout, chunk);
      if (done) return; // keep draining so the pipe never fills up
      pending += chunk;
      const newline = pending.indexOf('\n');
      if (newline >= 0) {
        done = true;
        resolve(pending.slice(0, newline).replace(/\r$/, ''));
      }
    });
    child.once('error', (err) => { if (!done) { done = true; reject(err); } });
    child.once('exit', (code, signal) => {
      if (!done) {
        done = true;
        reject(new Error(`switchboard exited (code ${code}, signal ${signal}) before printing its URL\n${server.output()}`));
      }
    });
  });

  let line;
  try {
    line = await withTimeout(firstLine, timeoutMs, 'the "Listening on" line');
  } catch (err) {
    server.kill();
    throw err;
  }
  const match = LISTEN_LINE.exec(line);
  if (!match) {
    server.kill();
    throw new Error(`unexpected first stdout line: ${JSON.stringify(line)} (want "Listening on http(s)://127.0.0.1:PORT")`);
  }
  const secure = match[1] === 'https';
  server.port = Number(match[2]);
  server.httpUrl = `${match[1]}://127.0.0.1:${server.port}`;
  server.wsUrl = `${secure ? 'wss' : 'ws'}://127.0.0.1:${server.port}`;
  return server;
}

// A fresh development certificate from scripts/make-dev-cert.sh in a temporary folder:
// { certPath, keyPath, cert (PEM, to trust as a CA), tlsArgs (for startServer), remove() }.
export async function makeDevCert() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-cert-'));
  await promisify(execFile)(MAKE_DEV_CERT, [dir], { timeout: 30000 });
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  return {
    certPath,
    keyPath,
    cert: await readFile(certPath),
    tlsArgs: ['--tls-cert', certPath, '--tls-key', keyPath],
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// Resolves when `emitter` emits `event`; rejects on 'error' or after `ms`.
export function waitEvent(emitter, event, ms, what = event) {
  return withTimeout(once(emitter, event), ms, what);
}

// A `ws` client on baseUrl + path, open; ws.closed resolves with { code, reason } when it closes
// (errors surface through 'close'). options go to `ws` (e.g. { ca } over wss).
export async function openClient(baseUrl, path, ms, options = {}) {
  const ws = new WebSocket(`${baseUrl}${path}`, options);
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await waitEvent(ws, 'open', ms, `the handshake on ${path}`);
  return ws;
}

// Collects a `ws` client's messages (text as strings, binary as { binary: [bytes] }); next(n) resolves
// with the first n once they have come, waiting at most `ms` for each.
export function collectMessages(ws, ms) {
  const seen = [];
  ws.on('message', (data, isBinary) => seen.push(isBinary ? { binary: [...Buffer.from(data)] } : data.toString()));
  seen.next = async (n) => {
    while (seen.length < n) await waitEvent(ws, 'message', ms, `message ${seen.length + 1} of ${n}`);
    return seen.slice(0, n);
  };
  return seen;
}

// The server process's resident memory in bytes, from /proc/<pid>/status.
export async function rssBytes(server) {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(match[1]) * 1024;
}

// GET `path` from the server (trusting `cert.cert` over https), with `token` as the Bearer; the body.
export async function httpGet(server, path, { cert = null, token = null, ms = 10000 } = {}) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (!cert) {
    const response = await fetch(`${server.httpUrl}${path}`, { headers, signal: AbortSignal.timeout(ms) });
    return response.text();
  }
  const response = await withTimeout(new Promise((resolve, reject) => {
    https.get(`${server.httpUrl}${path}`, { ca: cert.cert, headers }, resolve).on('error', reject);
  }), ms, `GET ${path}`);
  let body = '';
  response.setEncoding('utf8');
  for await (const chunk of response) body += chunk;
  return body;
}

// Polls until `probe()` returns something truthy and returns it (like QTRY_VERIFY), or throws after `ms`.
export async function waitUntil(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(50);
  }
}
