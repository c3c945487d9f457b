// A proxied conversation for the intercept screenshot (scripts/screenshot-intercept.sh): a `ws`
// upstream on a free loopback port that answers orders and pushes prices, and an app client on
// Switchboard's /live proxy route that places orders. Loopback only; exits after DURATION_MS.
//   node scripts/intercept-demo.mjs upstream <portFile> [durationMs]
//   node scripts/intercept-demo.mjs client <switchboardPort> [durationMs]

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'clients', 'package.json'));
const WebSocket = require('ws');

const [mode, arg, duration] = process.argv.slice(2);
const durationMs = Number(duration ?? 30000);
setTimeout(() => process.exit(0), durationMs).unref();

if (mode === 'upstream') {
  const server = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () => writeFileSync(arg, String(server.address().port)));
  server.on('connection', (socket) => {
    let price = 101.25;
    const tick = setInterval(() => {
      price += 0.05;
      socket.send(JSON.stringify({ type: 'price', symbol: 'ACME', bid: Number(price.toFixed(2)) }));
    }, 1500);
    socket.on('message', (data) => {
      const order = JSON.parse(String(data));
      socket.send(JSON.stringify({ type: 'filled', id: order.id, qty: order.qty }));
    });
    socket.on('close', () => clearInterval(tick));
  });
  setTimeout(() => server.close(), durationMs).unref();
} else {
  const ws = new WebSocket(`ws://127.0.0.1:${arg}/live?user=ada`);
  let id = 1;
  ws.on('open', () => {
    const order = () => ws.send(JSON.stringify({ type: 'order', id: id++, symbol: 'ACME', side: 'buy', qty: 10 * id }));
    order();
    setInterval(order, 1200).unref();
  });
  ws.on('error', (error) => console.error(error.message));
}
