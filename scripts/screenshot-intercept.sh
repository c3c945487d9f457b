#!/usr/bin/env bash
# Reproduces docs/intercept.png: the dashboard under Xvfb with a proxy route /live to a `ws` upstream
# (scripts/intercept-demo.mjs), one app client on it; the client's orders are held through the admin
# API, the client is selected, its intercept dock lists what it holds and one order is being edited
# in the compose panel. Bounded in time; stops everything it starts.
#
#   scripts/screenshot-intercept.sh [output.png]
#
# Needs what scripts/screenshot-dashboard.sh needs. SWITCHBOARD_BIN overrides the binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHBOARD_BIN:-$root/build/bin/switchboard}
out=$(realpath -m "${1:-$root/docs/intercept.png}")

if [[ "${SWITCHBOARD_INSIDE_XVFB:-}" != 1 ]]; then
    for tool in xvfb-run xauth xdotool import node curl; do
        command -v "$tool" >/dev/null || { echo "screenshot-intercept: $tool is missing" >&2; exit 2; }
    done
    [[ -x "$bin" ]] || { echo "screenshot-intercept: no binary at $bin (build first)" >&2; exit 2; }
    SWITCHBOARD_INSIDE_XVFB=1 exec timeout 120 xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$out"
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
token=screenshot

node "$root/scripts/intercept-demo.mjs" upstream "$work/upstream.port" 60000 >"$work/upstream.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s "$work/upstream.port" ]] && break; sleep 0.1; done
upstream=$(cat "$work/upstream.port")

"$bin" --host 127.0.0.1 --port "$port" --proxy "/live=ws://127.0.0.1:$upstream/socket" \
    --admin-token "$token" >"$work/app.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }

node "$root/scripts/intercept-demo.mjs" client "$port" 60000 >"$work/client.log" 2>&1 &
pids+=($!)
window=$(xdotool search --sync --name '^Switchboard$' | head -1)
click() { xdotool mousemove --window "$window" "$1" "$2" click 1; sleep 0.4; }
sleep 3
# Hold the client's orders (client -> upstream), let a few queue up, and select the client.
api -d '{"direction":"toUpstream"}' "http://127.0.0.1:$port/api/clients/1/hold" >/dev/null
sleep ${SCREENSHOT_HOLD_SECONDS:-5}
click 150 111
sleep 1
# Select the second held order and edit it in the compose panel.
click ${SCREENSHOT_HELD_X:-300} ${SCREENSHOT_HELD_Y:-688}
xdotool key --window "$window" alt+e
sleep 0.5
# Change its quantity (the text ends with "qty":80}) to 500.
xdotool key --window "$window" ctrl+End Left BackSpace BackSpace
xdotool type --window "$window" --delay 20 '500'
sleep 1.5
import -window "$window" "$out"
echo "screenshot-intercept: wrote $out"
xdotool key --window "$window" ctrl+q 2>/dev/null || true
sleep 0.5
xdotool key Return 2>/dev/null || true
