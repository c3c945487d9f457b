#!/usr/bin/env bash
# Builds Switchboard (Release) and launches the dashboard with a server on 127.0.0.1:8080.
# Extra arguments go to switchboard, e.g. scripts/run.sh --port 9000
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh run
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build/release --target switchboard

binary=build/release/bin/switchboard
for arg in "$@"; do
    [ "$arg" = "--headless" ] && exec "$binary" "$@"
done
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "No display found, so the dashboard cannot open. Run the server without a window:"
    echo "    $binary --headless $*"
    exit 2
fi
exec "$binary" "$@"
