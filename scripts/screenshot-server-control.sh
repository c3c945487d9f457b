#!/usr/bin/env bash
# Screenshots of the server bar's refusals and the config error dialog (issue 19 items 3, 4, 13):
#   docs/restart-failed.png   a restart onto a busy port: still serving, the reason in the bar
#   docs/port-refused.png     70000 typed in Port: red, refused, the reason in the bar
#   docs/config-error.png     --config with a broken file: line and column, Start with Defaults / Quit
# Under Xvfb, on 127.0.0.1, with a fresh settings directory; bounded in time; stops what it starts.
# Needs xvfb-run, xauth, xdotool, imagemagick (import), node. SWITCHBOARD_BIN overrides the binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHBOARD_BIN:-$root/build/bin/switchboard}
outdir=$(realpath -m "${1:-$root/docs}")

if [[ "${SWITCHBOARD_INSIDE_XVFB:-}" != 1 ]]; then
    [[ -x "$bin" ]] || { echo "screenshot-server-control: no binary at $bin (build first)" >&2; exit 2; }
    SWITCHBOARD_INSIDE_XVFB=1 exec timeout 90 xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$outdir"
fi

work=$(mktemp -d)
app_pid=
squatter_pid=
cleanup() {
    [[ -n "$squatter_pid" ]] && kill "$squatter_pid" 2>/dev/null || true
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export XDG_CONFIG_HOME=$work/config XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

# The config error dialog.
printf '{\n  "port": 9000,\n  "limits": {"maxHeadBytes": "big"}\n}\n' >"$work/broken.json"
"$bin" --config "$work/broken.json" >"$work/config.log" 2>&1 &
app_pid=$!
dialog=$(xdotool search --sync --name 'config file not loaded' | head -1)
sleep 1
import -window "$dialog" "$outdir/config-error.png"
xdotool windowactivate --sync "$dialog" 2>/dev/null || true
xdotool key Escape # Quit: exit 2
wait "$app_pid" || echo "screenshot-server-control: the dashboard exited with $? after Quit"
app_pid=

# A busy port to restart onto.
busy=$(free_port)
node -e "require('net').createServer().listen($busy,'127.0.0.1')" &
squatter_pid=$!
port=$(free_port)
"$bin" --host 127.0.0.1 --port "$port" >"$work/app.log" 2>&1 &
app_pid=$!
window=$(xdotool search --sync --name '^Switchboard$' | head -1)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
xdotool mousemove --window "$window" 633 34 click --repeat 3 1 # the Port field (where it is before and after the bar shows an error)
sleep 0.3
xdotool key --window "$window" ctrl+a BackSpace
xdotool type --window "$window" --delay 20 "$busy"
xdotool key --window "$window" Return
sleep 1.5
import -window "$window" "$outdir/restart-failed.png"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && echo "screenshot-server-control: still serving on $port"
xdotool mousemove --window "$window" 785 34 click --repeat 3 1 # the Port field (where it is before and after the bar shows an error)
sleep 0.3
xdotool key --window "$window" ctrl+a BackSpace
xdotool type --window "$window" --delay 20 70000
xdotool key --window "$window" Return
sleep 1
import -window "$window" "$outdir/port-refused.png"
xdotool key --window "$window" ctrl+q
for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
echo "screenshot-server-control: wrote $outdir/{config-error,restart-failed,port-refused}.png"
