#!/usr/bin/env bash
# Reproduces docs/dashboard.png: starts the dashboard under Xvfb on 127.0.0.1 with a fresh settings
# directory, connects a few scripted clients (scripts/dashboard-demo-clients.mjs), selects a client
# and a JSON message, types a reply, captures the window, and stops everything. Bounded in time.
#
#   scripts/screenshot-dashboard.sh [output.png]
#
# Needs: xvfb-run, xauth, xdotool, imagemagick (import), fonts-dejavu-core, node, and the `ws`
# package (npm ci in tests/clients). SWITCHBOARD_BIN overrides the binary (default build/ui/bin/switchboard).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHBOARD_BIN:-$root/build/ui/bin/switchboard}
out=$(realpath -m "${1:-$root/docs/dashboard.png}")

if [[ "${SWITCHBOARD_INSIDE_XVFB:-}" != 1 ]]; then
    for tool in xvfb-run xauth xdotool import node; do
        command -v "$tool" >/dev/null || { echo "screenshot-dashboard: $tool is missing" >&2; exit 2; }
    done
    [[ -x "$bin" ]] || { echo "screenshot-dashboard: no binary at $bin (build first)" >&2; exit 2; }
    SWITCHBOARD_INSIDE_XVFB=1 exec timeout 120 xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$out"
fi

# ---- inside Xvfb from here ----
work=$(mktemp -d)
app_pid=
clients_pid=
cleanup() {
    [[ -n "$clients_pid" ]] && kill "$clients_pid" 2>/dev/null || true
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export XDG_CONFIG_HOME=$work/config # fresh window layout and filters, nothing of the user's
export XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")

# Recording on, so the status bar shows the recording indicator with the bytes written.
"$bin" --host 127.0.0.1 --port "$port" --record "$work/demo.jsonl" >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "screenshot-dashboard: server did not start" >&2; cat "$work/app.log" >&2; exit 1; }

node "$root/scripts/dashboard-demo-clients.mjs" "$port" 40000 >"$work/clients.log" 2>&1 &
clients_pid=$!

window=$(xdotool search --sync --name '^Switchboard$' | head -1)
click() { xdotool mousemove --window "$window" "$1" "$2" click 1; sleep 0.3; }

sleep ${SCREENSHOT_TRAFFIC_SECONDS:-24} # traffic enough for the rates chart to show a history
# Select client 1 (the /ws client sending JSON).
click 150 111
# Find one of its JSON messages through the log filter, show it in the detail pane, clear the filter.
xdotool key --window "$window" ctrl+f
xdotool type --window "$window" --delay 20 '"position"'
sleep 0.6
click 60 402
xdotool key --window "$window" ctrl+f ctrl+a BackSpace
sleep 0.4
# Write a reply in the compose panel.
click 1050 690
xdotool type --window "$window" --delay 10 '{"type":"notice","text":"maintenance at 18:00"}'
sleep 3
import -window "$window" "$out"
echo "screenshot-dashboard: wrote $out"
# Quit through the window (Ctrl+Q, then Quit in the question it asks) so the server closes every client with 1001.
xdotool key --window "$window" ctrl+q 2>/dev/null || true
sleep 0.5
xdotool key Return 2>/dev/null || true # clients are connected: confirm Quit
for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$app_pid" 2>/dev/null; then
    echo "screenshot-dashboard: the dashboard did not quit on Ctrl+Q; stopping it" >&2
else
    wait "$app_pid" && echo "screenshot-dashboard: the dashboard quit cleanly" || echo "screenshot-dashboard: the dashboard exited with $?" >&2
    app_pid=
fi
