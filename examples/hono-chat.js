// The seeds' chat as Hono handlers: /chat/:room, every message to everyone in the room.
// Run: switchboard --script /room/:room=examples/hono-chat.js
export default {
  onUpgrade(req) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(req.params.room)) return { status: 400, body: 'room names are letters, digits, _ and -' }
  },
  onOpen(evt, ws) {
    ws.join(ws.params.room)
    ws.data.name = ws.query.name || `guest-${ws.id}`
    server.broadcast(JSON.stringify({ system: `${ws.data.name} joined`, online: server.clients({ room: ws.params.room }).length }),
                     { room: ws.params.room })
  },
  onMessage(evt, ws) {
    if (typeof evt.data !== 'string') return ws.close(1003, 'text only')
    server.broadcast(JSON.stringify({ from: ws.data.name, text: evt.data }), { room: ws.params.room })
  },
  onClose(evt, ws) {
    server.broadcast(JSON.stringify({ system: `${ws.data.name} left` }), { room: ws.params.room })
  },
}
