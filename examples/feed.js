// A price feed: /feed/:symbol. Send {"op":"subscribe"} for a tick every 250 ms, {"op":"crash"} to be
// closed with 4002. Run: switchboard --script /feed/:symbol=examples/feed.js
export default {
  onOpen(evt, ws) {
    ws.data.n = 0
    ws.send(JSON.stringify({ hello: ws.params.symbol }))
  },
  onMessage(evt, ws) {
    const msg = JSON.parse(evt.data)
    if (msg.op === 'subscribe') ws.setInterval(() => ws.send(JSON.stringify({ px: 100 + ws.data.n++ })), 250)
    if (msg.op === 'crash') ws.close(4002, 'asked to fail')
  },
  onClose(evt, ws) { console.log('closed', evt.code, evt.reason) },
  onError(evt, ws) { console.error(evt.message) },
}
