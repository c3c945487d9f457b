#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest: Qt Test units with real
# sockets on 127.0.0.1, plus Node ws, Python websockets and headless Chromium against the real binary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/test
ctest --test-dir build/test --output-on-failure --timeout 300 -j2
