// The peer server of bench/run.sh: Switchboard's /ws (echo) and /chat/<room> (broadcast to the room,
// sender included) routes, written the way a Node user would with the `ws` package and nothing else
// (no native add-ons, no clustering, ws's defaults). Prints `Listening on http://127.0.0.1:PORT` as its
// first stdout line, like `switchboard --headless`, and exits on SIGINT/SIGTERM.
// With --deflate it negotiates permessage-deflate (ws's perMessageDeflate, threshold 1 KiB like Switchboard's).
//   node server.mjs [--host 127.0.0.1] [--port 0] [--deflate]
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

const args = process.argv.slice(2);
const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '0'));

const rooms = new Map(); // room name -> Set of sockets

const server = http.createServer((request, response) => {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('WebSocket routes: /ws, /chat/<room>\n');
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: args.includes('--deflate') ? { threshold: 1024 } : false });

server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url, 'http://localhost').pathname;
    const chat = /^\/chat\/([^/]+)$/.exec(path);
    if (path !== '/ws' && !chat) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
        // A client breaking the protocol: ws has failed its connection (1002, 1007, 1009) and says
        // so here; unhandled, the event would stop the whole server.
        ws.on('error', () => {});
        if (!chat) {
            ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
            return;
        }
        const name = decodeURIComponent(chat[1]);
        let room = rooms.get(name);
        if (!room) {
            room = new Set();
            rooms.set(name, room);
        }
        room.add(ws);
        ws.on('message', (data, isBinary) => {
            for (const client of room) {
                if (client.readyState === WebSocket.OPEN)
                    client.send(data, { binary: isBinary });
            }
        });
        ws.on('close', () => {
            room.delete(ws);
            if (room.size === 0 && rooms.get(name) === room)
                rooms.delete(name);
        });
    });
});

server.listen(port, host, () => {
    console.log(`Listening on http://${host}:${server.address().port}`);
});

const stop = () => {
    for (const client of wss.clients)
        client.close(1001, 'server stopping');
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
