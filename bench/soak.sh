#!/usr/bin/env bash
# A soak run (issue 21), never run by ctest: mixed traffic for --minutes (default 30) against one plain
# and one TLS switchboard, each recording: echo clients, two chat rooms, clocks, slow readers that stop
# reading, clients that vanish without a close frame, pingers, and a bystander whose echo round trip is
# timed. Every minute it prints each server's RSS, open descriptors, CPU and the bystander's p99; at the
# end it checks that every message the clients sent is in the recording (exit 1 if not).
#
#   bench/soak.sh [--minutes N] [--bin path/to/switchboard]
#
# Without --bin it builds the Release tree of bench/run.sh (build/bench). Talks to 127.0.0.1 only;
# every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=30
BIN=""
while [ $# -gt 0 ]; do
    case "$1" in
    --minutes) MINUTES=$2; shift ;;
    --bin) BIN=$2; shift ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "soak: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$BIN" ]; then
    cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
    cmake --build build/bench -j2 --target switchboard >/dev/null
    BIN=build/bench/bin/switchboard
fi
[ -d tests/clients/node_modules/ws ] || (cd tests/clients && npm ci --no-audit --no-fund --silent)
exec node bench/soak.mjs --minutes "$MINUTES" --bin "$BIN"
