#!/usr/bin/env bash
# Reproduces docs/replay.png: the replay window on a small recording, replaying it in a loop with
# its recorded spacing to a live client. Starts the dashboard under Xvfb on 127.0.0.1 with a fresh
# settings directory, opens the recording through File > Open Recording, presses Play, captures the
# replay window, and stops everything. Bounded in time.
#
#   scripts/screenshot-replay.sh [output.png]
#
# Needs what scripts/screenshot-dashboard.sh needs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHBOARD_BIN:-$root/build/ui/bin/switchboard}
out=$(realpath -m "${1:-$root/docs/replay.png}")

if [[ "${SWITCHBOARD_INSIDE_XVFB:-}" != 1 ]]; then
    for tool in xvfb-run xauth xdotool import node; do
        command -v "$tool" >/dev/null || { echo "screenshot-replay: $tool is missing" >&2; exit 2; }
    done
    [[ -x "$bin" ]] || { echo "screenshot-replay: no binary at $bin (build first)" >&2; exit 2; }
    SWITCHBOARD_INSIDE_XVFB=1 exec timeout 90 xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$out"
fi

# ---- inside Xvfb from here ----
work=$(mktemp -d)
app_pid=
client_pid=
cleanup() {
    [[ -n "$client_pid" ]] && kill "$client_pid" 2>/dev/null || true
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export XDG_CONFIG_HOME=$work/config
export XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")

# A feed recorded at a few messages a second: what the server sent to a client, with its pings.
node -e '
const lines = [];
let t = Date.parse("2026-05-01T12:00:00Z"), seq = 1;
const rec = (o) => lines.push(JSON.stringify({sequence: seq++, timestampMs: t, clientId: 4, route: "/feed/ACME",
  fanout: 0, closeCode: 0, detail: "", encoding: "utf8", ...o}));
rec({direction: "in", kind: "open", size: 0, payload: "", detail: "from 127.0.0.1"});
for (let i = 0; i < 24; ++i) {
  t += [180, 220, 90, 400][i % 4];
  const body = JSON.stringify({symbol: "ACME", px: +(101.5 + Math.sin(i / 3) * 2).toFixed(2), seq: i});
  rec({direction: "out", kind: "text", size: body.length, payload: body});
  if (i % 6 === 5) rec({direction: "in", kind: "pong", size: 0, payload: "", detail: "heartbeat, round trip 1 ms"});
}
require("fs").writeFileSync(process.argv[1], lines.join("\n") + "\n");
' "$work/feed.jsonl"

"$bin" --host 127.0.0.1 --port "$port" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "screenshot-replay: server did not start" >&2; cat "$work/app.log" >&2; exit 1; }

# One live client to replay to.
node -e "const W=require('$root/tests/clients/node_modules/ws');const w=new W('ws://127.0.0.1:$port/operator');setTimeout(()=>w.close(),60000)" &
client_pid=$!

window=$(xdotool search --sync --name '^Switchboard$' | head -1)
sleep 2
xdotool mousemove --window "$window" 700 20 click 1 # focus the window (no window manager here)
sleep 0.3
xdotool key --window "$window" ctrl+o
dialog=$(xdotool search --sync --name '^Open Recording' | head -1)
sleep 1
xdotool type --window "$dialog" --delay 10 "$work/feed.jsonl"
xdotool key --window "$dialog" Return
replay=$(xdotool search --sync --name 'feed.jsonl' | head -1)
xdotool windowactivate --sync "$replay" 2>/dev/null || true
sleep 1.5
# The window is 1200x700 at its default size: tick Loop, press Play.
xdotool mousemove --window "$replay" 1052 614 click 1
sleep 0.3
xdotool mousemove --window "$replay" 770 642 click 1
sleep 3.2
import -window "$replay" "$out"
echo "screenshot-replay: wrote $out"
