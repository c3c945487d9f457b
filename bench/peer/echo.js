// The echo handler of bench/peer/server.mjs's /ws, as a Switchboard script route (bench/run.sh's
// "script echo" row): every message back to its sender, text as text, binary as binary.
export default {
  onMessage(evt, ws) { ws.send(evt.data) },
}
