// Enough of Engine.IO v4 / Socket.IO v5 over a WebSocket for the npm `socket.io-client` with
// { transports: ['websocket'], addTrailingSlash: false }: the open packet, ping/pong, connect to the
// main namespace, events with acknowledgements, rooms and broadcasts. Not: HTTP long-polling,
// other namespaces, binary attachments.
// Run: switchboard --script /socket.io=examples/socketio.js   (then io('http://127.0.0.1:8080', ...))
const PING_INTERVAL_MS = 1000
const PING_TIMEOUT_MS = 5000

// Engine.IO "4" (message) + Socket.IO type, optional ack id, JSON payload.
const packet = (type, data, ackId) => '4' + type + (ackId === undefined ? '' : ackId) + (data === undefined ? '' : JSON.stringify(data))
const event = (name, ...args) => packet(2, [name, ...args])

function parse(text) {
  // 4<type>[/nsp,][ackId][json]
  const m = /^4(\d)(\/[^,]*,)?(\d+)?([\s\S]*)$/.exec(text)
  if (!m) return null
  let data
  if (m[4]) { try { data = JSON.parse(m[4]) } catch (e) { return null } }
  return { type: Number(m[1]), nsp: m[2] ? m[2].slice(0, -1) : '/', ackId: m[3] === undefined ? undefined : Number(m[3]), data }
}

const handlers = {
  // socket.emit('join', room, ack): one room per socket here
  join(ws, [room], ack) {
    ws.join(room)
    ws.data.room = room
    ack && ack({ joined: room, members: server.clients({ room }).length })
  },
  // socket.emit('chat', text, ack?): to everyone in the sender's room (or on the route)
  chat(ws, [text], ack) {
    const target = ws.data.room ? { room: ws.data.room } : {}
    const fanout = server.broadcast(event('chat', { from: ws.data.sid, text }), target)
    ack && ack({ delivered: fanout })
  },
  // socket.emit('echo', ...args, ack?): the arguments back, as an ack or as an 'echo' event
  echo(ws, args, ack) {
    if (ack) ack(...args)
    else ws.send(event('echo', ...args))
  },
}

export default {
  onOpen(evt, ws) {
    ws.data.sid = `s${ws.id}`
    ws.send('0' + JSON.stringify({ sid: `e${ws.id}`, upgrades: [], pingInterval: PING_INTERVAL_MS,
                                    pingTimeout: PING_TIMEOUT_MS, maxPayload: 1000000 }))
    ws.setInterval(() => ws.send('2'), PING_INTERVAL_MS)
  },
  onMessage(evt, ws) {
    const text = evt.data
    if (typeof text !== 'string') return ws.close(1003, 'binary attachments are not supported')
    if (text === '3') return // pong
    if (text === '2') return ws.send('3') // a ping from the client
    if (text === '1') return ws.close(1000, 'client closed')
    const p = parse(text)
    if (!p) return ws.close(1002, 'not a Socket.IO packet')
    if (p.nsp !== '/') return ws.send('44' + p.nsp + ',' + JSON.stringify({ message: 'Invalid namespace' }))
    switch (p.type) {
      case 0: // CONNECT
        ws.data.connected = true
        return ws.send(packet(0, { sid: ws.data.sid }))
      case 1: // DISCONNECT
        return ws.close(1000, 'disconnected')
      case 2: { // EVENT
        if (!ws.data.connected || !Array.isArray(p.data)) return
        const [name, ...args] = p.data
        const ack = p.ackId === undefined ? null : (...reply) => ws.send(packet(3, reply, p.ackId))
        const handler = handlers[name]
        if (handler) handler(ws, args, ack)
        else console.warn('no handler for event', name)
        return
      }
      default:
        return // acks from the client (we never ask), binary events
    }
  },
}
