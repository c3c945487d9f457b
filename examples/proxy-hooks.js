// Hooks for a proxy route: tag what the app sends, answer its pings here, hide the server's heartbeats.
// Run: switchboard --proxy /live=ws://127.0.0.1:9000/socket --script /live=examples/proxy-hooks.js
export default {
  onClientMessage(evt, ws) {                 // app -> server
    if (typeof evt.data !== 'string') return  // binary: forwarded as it came
    if (evt.data === 'ping') {                // answered here, never forwarded
      ws.send('pong')
      return null
    }
    let msg
    try { msg = JSON.parse(evt.data) } catch (e) { return } // not JSON: as it came
    return JSON.stringify(Object.assign({}, msg, { via: 'switchboard' })) // forwarded in its place
  },
  onUpstreamMessage(evt, ws) {               // server -> app; no return: forwarded as it came
    if (evt.data === '{"type":"heartbeat"}') return null // dropped
  },
}
