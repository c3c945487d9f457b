// A GraphQL-over-WebSocket mock speaking the graphql-transport-ws subprotocol, enough for the npm
// `graphql-ws` client: connection_init/ack, subscribe -> next... -> complete, ping/pong, complete
// from the client. Operations are answered from MOCKS by their first field, not by a GraphQL engine.
// Run: switchboard --script /graphql=examples/graphql-ws.js
export const protocols = ['graphql-transport-ws']

// field -> the results a subscription or query yields, in order
const MOCKS = {
  greetings: [{ greetings: 'Hi' }, { greetings: 'Bonjour' }, { greetings: 'Hola' }],
  hello: [{ hello: 'world' }],
  prices: Array.from({ length: 5 }, (_, i) => ({ prices: { symbol: 'ACME', px: 100 + i } })),
}
const INTERVAL_MS = 20

const firstField = (query) => {
  const body = String(query || '').replace(/#[^\n]*/g, '')
  const open = body.indexOf('{')
  const match = open >= 0 ? /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(body.slice(open + 1)) : null
  return match ? match[1] : null
}

export default {
  onOpen(evt, ws) {
    ws.data.acknowledged = false
    ws.data.operations = {} // id -> timer id
    // The protocol's connectionInitWaitTimeout: 4408 when no connection_init comes.
    ws.data.initTimer = ws.setTimeout(() => ws.close(4408, 'Connection initialisation timeout'), 3000)
  },
  onMessage(evt, ws) {
    let msg
    try { msg = JSON.parse(evt.data) } catch (e) { return ws.close(4400, 'Invalid message received') }
    const send = (m) => ws.send(JSON.stringify(m))
    switch (msg.type) {
      case 'connection_init':
        if (ws.data.initSeen) return ws.close(4429, 'Too many initialisation requests')
        ws.data.initSeen = true
        ws.clearTimeout(ws.data.initTimer)
        ws.data.acknowledged = true
        return send({ type: 'connection_ack' })
      case 'ping':
        return send({ type: 'pong' })
      case 'pong':
        return
      case 'subscribe': {
        if (!ws.data.acknowledged) return ws.close(4401, 'Unauthorized')
        if (ws.data.operations[msg.id] !== undefined) return ws.close(4409, `Subscriber for ${msg.id} already exists`)
        const field = firstField(msg.payload && msg.payload.query)
        const results = MOCKS[field]
        if (!results) return send({ id: msg.id, type: 'error', payload: [{ message: `Cannot query field "${field}"` }] })
        let i = 0
        ws.data.operations[msg.id] = ws.setInterval(() => {
          if (i < results.length) return send({ id: msg.id, type: 'next', payload: { data: results[i++] } })
          ws.clearInterval(ws.data.operations[msg.id])
          delete ws.data.operations[msg.id]
          send({ id: msg.id, type: 'complete' })
        }, INTERVAL_MS)
        return
      }
      case 'complete':
        if (ws.data.operations[msg.id] !== undefined) {
          ws.clearInterval(ws.data.operations[msg.id])
          delete ws.data.operations[msg.id]
        }
        return
      default:
        return ws.close(4400, `Invalid message type '${msg.type}'`)
    }
  },
}
