#!/usr/bin/env bash
# Switchboard against Node's ws, side by side, on this machine (issue 6), plus the two-instance fan-out
# through Redis (issue 8). One command:
#
#   bench/run.sh            full run (~8 min): echo 100/1,000/10,000 connections x 32 B/4 KiB, echo of 4 KiB JSON
#                           with permessage-deflate, fan-out to 1,000 receivers at 1,000 msg/s, 10,000 idle
#                           connections (without and with deflate negotiated), the dashboard bench; echo at 32 B
#                           and idle connections again on the qt backend (--websocket-backend qt); echo through a
#                           proxy route to a ws upstream against straight to it; the RFC 6455 conformance cases
#                           (bench/conformance.mjs) on both backends and ws
#   bench/run.sh --quick    smoke run (~1.5 min): short windows, at most 1,000 connections
#   bench/run.sh --backends only what compares the two backends with ws (~4 min): echo 32 B at every
#                           connection count, idle connections, conformance (combines with --quick)
#   options: --seconds S (measurement window per run), --out DIR (default build/bench/results/<time>)
#
# Builds a Release tree of its own (build/bench), installs what is missing (redis-server through apt,
# the peer's `ws` through npm ci), raises `ulimit -n`, starts each server on 127.0.0.1 with port 0,
# runs bench's switchboard_loadgen against it, reads the server's CPU time (utime+stime) and peak RSS
# (VmHWM) from /proc before stopping it, and prints one Markdown table. Every wait is bounded and every
# process it starts is stopped on exit, Ctrl+C included. Talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
BACKENDS_ONLY=0
SECONDS_OVERRIDE=""
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 ;;
    --seconds) SECONDS_OVERRIDE=$2; shift ;;
    --out) OUT=$2; shift ;;
    --backends) BACKENDS_ONLY=1 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    WINDOW=2; WARMUP=0.5; ECHO_CONNS=(100 1000); FAN_RECEIVERS=200; FAN_RATE=200; FAN_LOW_RATE=""; IDLE_CONNS=1000; DASH_SECONDS=3
else
    WINDOW=10; WARMUP=1; ECHO_CONNS=(100 1000 10000); FAN_RECEIVERS=1000; FAN_RATE=1000; FAN_LOW_RATE=20; IDLE_CONNS=10000; DASH_SECONDS=10
fi
[ -n "$SECONDS_OVERRIDE" ] && WINDOW=$SECONDS_OVERRIDE
PAYLOADS=(32 4096)
[ "$BACKENDS_ONLY" = 1 ] && PAYLOADS=(32) # the size the qt backend's rows use
RECORD_ECHO_CONNS=${ECHO_CONNS[1]} # the --record row: echo at 1,000 connections (quick: 1,000 too), 32 B

# ---------------------------------------------------------------- dependencies and build
scripts/install-deps.sh bench

BUILD=build/bench
echo "bench: building Release in $BUILD (-j2)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target switchboard switchboard_loadgen switchboard_logbench >/dev/null
SB=$ROOT/$BUILD/bin/switchboard
LG=$ROOT/$BUILD/bin/switchboard_loadgen
LOGBENCH=$ROOT/$BUILD/bin/switchboard_logbench
(cd bench/peer && npm ci --no-audit --no-fund --silent)

# 10,000 connections need 10,000 descriptors in the load generator and in the server.
ulimit -Hn 65536 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [ "$FD_LIMIT" != unlimited ] && [ "$FD_LIMIT" -lt 10100 ]; then
    echo "bench: ulimit -n is $FD_LIMIT (hard limit $(ulimit -Hn)): runs over $((FD_LIMIT - 100)) connections are skipped" >&2
fi
fits() { [ "$FD_LIMIT" = unlimited ] || [ "$1" -le $((FD_LIMIT - 100)) ]; }

# ---------------------------------------------------------------- processes (all ours, all stopped on exit)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
[ -n "$OUT" ] || OUT=$BUILD/results/$STAMP
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
SB_FLAGS=(--max-connections-per-ip 20000 --rate-limit 1000000 --rate-burst 1000000)
RUN=0

# cpu_seconds PID: utime + stime from /proc/PID/stat (fields 14 and 15, counted after the ')' of comm)
cpu_seconds() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "?"; return; }
    echo "${stat##*) }" | awk -v tck="$CLK_TCK" '{ printf "%.2f", ($12 + $13) / tck }'
}
status_mb() { # status_mb PID VmHWM|VmRSS
    awk -v key="$2:" '$1 == key { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_server NAME COMMAND...: sets SERVER_PID and SERVER_PORT from its `Listening on http://127.0.0.1:PORT`.
start_server() {
    local name=$1; shift
    RUN=$((RUN + 1))
    local out=$OUT/$RUN-$name.server.out
    : >"$out" # exists before the server's shell opens it, so the first read below cannot fail
    "$@" >"$out" 2>"$OUT/$RUN-$name.server.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    SERVER_PORT=""
    for _ in $(seq 100); do
        SERVER_PORT=$(sed -n '1s#^Listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$out" 2>/dev/null || true)
        [ -n "$SERVER_PORT" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: $name did not start listening within 10 s:" >&2
    cat "$out" "$OUT/$RUN-$name.server.err" >&2
    exit 1
}
# stop_server PID: sets SERVER_CPU and SERVER_HWM (MB), then SIGTERM (SIGKILL after 5 s).
stop_server() {
    local pid=$1
    SERVER_CPU=$(cpu_seconds "$pid")
    SERVER_HWM=$(status_mb "$pid" VmHWM)
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
sb_server() { start_server "$1" "$SB" --headless --host 127.0.0.1 --port 0 "${SB_FLAGS[@]}" "${@:2}"; }
WS_ARGS=() # --deflate for the permessage-deflate rows
ws_server() { start_server "$1" node "$ROOT/bench/peer/server.mjs" --host 127.0.0.1 --port 0 "${WS_ARGS[@]}"; }

# loadgen NAME ARGS...: runs the load generator (bounded), sets RESULT to its RESULT line.
loadgen() {
    local name=$1; shift
    local out=$OUT/$RUN-$name.loadgen.out rc=0
    timeout -k 5 "$LOADGEN_LIMIT" "$LG" "$@" >"$out" 2>"$OUT/$RUN-$name.loadgen.err" || rc=$?
    RESULT=$(grep '^RESULT ' "$out" | tail -1 || true)
    [ -n "$RESULT" ] || RESULT="RESULT error=no_result rc=$rc"
    echo "$name: $RESULT" >>"$OUT/results.txt"
}
field() { # field KEY [RESULT line]
    local line=${2:-$RESULT}
    local value
    value=$(echo " $line " | sed -n "s/.* $1=\([^ ]*\) .*/\1/p")
    echo "${value:-?}"
}
num() { case "$1" in '' | *[!0-9]*) echo 0 ;; *) echo "$1" ;; esac; }
ms() { awk -v us="$1" 'BEGIN { if (us == "?") print "?"; else printf "%.2f", us / 1000 }'; }
# Health of one load-generator run: failures, server closes, and whether the generator itself was busy.
health() {
    local notes=""
    local failed=$(( $(num "$(field connect_failed)") + $(num "$(field handshake_failed)") ))
    [ "$failed" -gt 0 ] && notes+=" $failed failed to connect;"
    [ "$(field dropped)" != 0 ] && notes+=" $(field dropped) dropped (codes $(field close_codes));"
    [ "$(field mismatched)" != "?" ] && [ "$(field mismatched)" != 0 ] && notes+=" $(field mismatched) wrong echoes;"
    [ "$(field error)" != "?" ] && notes+=" error $(field error);"
    local expected=$(num "$(field expected)") delivered=$(num "$(field delivered)")
    [ "$delivered" -lt "$expected" ] && notes+=" $delivered of $expected deliveries arrived ($(field sender_copies) of $(field sent) messages came back to the sender): the server fell behind and the rest was still queued when the 3 s drain ended;"
    local busy=$(field loadgen_window_cpu_pct)
    [ "$(num "$busy")" -ge 90 ] && notes+=" loadgen busy ${busy}% (may be the bottleneck);"
    echo "$notes"
}

ROWS=$OUT/rows.tsv
NOTES=$OUT/notes.txt
: >"$ROWS"; : >"$NOTES"
# row SCENARIO METRIC SB WS HIGHER_IS_BETTER(unused, for the reader) SB_CPU WS_CPU SB_HWM WS_HWM
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }
note() { echo "$*" >>"$NOTES"; echo "  note: $*"; }

LOADGEN_LIMIT=60
echo "bench: results in $OUT"

# ---------------------------------------------------------------- echo
# side_by_side NAME LABEL LOADGEN_ARGS...: the same load against a fresh Switchboard, then a fresh ws.
# Sets SB_RESULT, SB_CPU, SB_HWM and WS_RESULT, WS_CPU, WS_HWM.
side_by_side() {
    local name=$1 label=$2
    shift 2
    echo "bench: $label"
    sb_server "sb-$name"; local pid=$SERVER_PID
    loadgen "sb-$name" --url "ws://127.0.0.1:$SERVER_PORT" "$@"; SB_RESULT=$RESULT
    stop_server "$pid"; SB_CPU=$SERVER_CPU; SB_HWM=$SERVER_HWM
    if [ -n "$(health)" ]; then note "switchboard $label:$(health)"; fi
    ws_server "ws-$name"; pid=$SERVER_PID
    loadgen "ws-$name" --url "ws://127.0.0.1:$SERVER_PORT" "$@"; WS_RESULT=$RESULT
    stop_server "$pid"; WS_CPU=$SERVER_CPU; WS_HWM=$SERVER_HWM
    if [ -n "$(health)" ]; then note "ws $label:$(health)"; fi
}
echo_pair() { # echo_pair CONNECTIONS PAYLOAD
    local n=$1 p=$2 label="echo ${1} conns × ${2} B"
    LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
    side_by_side "echo-$n-$p" "$label" --scenario echo --connections "$n" --payload "$p" --seconds "$WINDOW" \
        --warmup "$WARMUP" --connect-timeout 120
    row "$label" "msg/s" "$(field msgs_per_s "$SB_RESULT")" "$(field msgs_per_s "$WS_RESULT")" "$SB_CPU" "$WS_CPU" "$SB_HWM" "$WS_HWM"
    row "$label" "RTT p50 ms" "$(ms "$(field p50_us "$SB_RESULT")")" "$(ms "$(field p50_us "$WS_RESULT")")" "" "" "" ""
    row "$label" "RTT p99 ms" "$(ms "$(field p99_us "$SB_RESULT")")" "$(ms "$(field p99_us "$WS_RESULT")")" "" "" "" ""
}
for n in "${ECHO_CONNS[@]}"; do
    fits $((n + 10)) || { note "echo with $n connections skipped: ulimit -n $FD_LIMIT"; continue; }
    for p in "${PAYLOADS[@]}"; do echo_pair "$n" "$p"; done
done

if [ "$BACKENDS_ONLY" = 0 ]; then
# permessage-deflate (issue 20): 4 KiB of compressible JSON, the load generator offering
# permessage-deflate without context takeover and compressing every message; ws with perMessageDeflate.
DEFLATE_CONNS=${ECHO_CONNS[0]}
deflate_label="echo ${DEFLATE_CONNS} conns × 4 KiB JSON, permessage-deflate"
LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
WS_ARGS=(--deflate)
side_by_side "echo-deflate" "$deflate_label" --scenario echo --connections "$DEFLATE_CONNS" --payload 4096 --deflate \
    --seconds "$WINDOW" --warmup "$WARMUP" --connect-timeout 120
WS_ARGS=()
row "$deflate_label" "msg/s" "$(field msgs_per_s "$SB_RESULT")" "$(field msgs_per_s "$WS_RESULT")" "$SB_CPU" "$WS_CPU" "$SB_HWM" "$WS_HWM"
row "$deflate_label" "RTT p99 ms" "$(ms "$(field p99_us "$SB_RESULT")")" "$(ms "$(field p99_us "$WS_RESULT")")" "" "" "" ""

# Switchboard recording every record to disk (--record): the same echo run.
RECORD_LABEL="echo ${RECORD_ECHO_CONNS} conns × 32 B"
echo "bench: $RECORD_LABEL, Switchboard with --record"
LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
sb_server "sbrec-echo" --record "$TMP/record-echo.jsonl"; pid=$SERVER_PID
loadgen "sbrec-echo" --url "ws://127.0.0.1:$SERVER_PORT" --scenario echo --connections "$RECORD_ECHO_CONNS" --payload 32 \
    --seconds "$WINDOW" --warmup "$WARMUP" --connect-timeout 120
stop_server "$pid"
[ -n "$(health)" ] && note "switchboard --record $RECORD_LABEL:$(health)"
REC_BYTES=$(cat "$TMP"/record-echo*.jsonl 2>/dev/null | wc -c)
note "--record echo run wrote $((REC_BYTES / 1048576)) MiB of JSON Lines (rotating at 100 MiB, 5 kept)"
WS_REF=$(awk -F'\t' -v l="$RECORD_LABEL" '$1 == l && $2 == "msg/s" { print $4 }' "$ROWS")
WS_REF_P99=$(awk -F'\t' -v l="$RECORD_LABEL" '$1 == l && $2 == "RTT p99 ms" { print $4 }' "$ROWS")
row "$RECORD_LABEL, Switchboard --record" "msg/s" "$(field msgs_per_s)" "${WS_REF:-?}" "$SERVER_CPU" "" "$SERVER_HWM" ""
row "$RECORD_LABEL, Switchboard --record" "RTT p99 ms" "$(ms "$(field p99_us)")" "${WS_REF_P99:-?}" "" "" "" ""
rm -f "$TMP"/record-echo*.jsonl

# A script route (issue 17) running the same echo handler as the ws peer (bench/peer/echo.js), every
# message logged as on any route: the ws column is the echo row of the same size from this run.
echo "bench: $RECORD_LABEL, Switchboard script route"
LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
sb_server "sbjs-echo" --script "/js=$ROOT/bench/peer/echo.js"; pid=$SERVER_PID
loadgen "sbjs-echo" --url "ws://127.0.0.1:$SERVER_PORT/js" --scenario echo --connections "$RECORD_ECHO_CONNS" --payload 32 \
    --seconds "$WINDOW" --warmup "$WARMUP" --connect-timeout 120
stop_server "$pid"
[ -n "$(health)" ] && note "switchboard script echo $RECORD_LABEL:$(health)"
row "$RECORD_LABEL, Switchboard script route (JS handler)" "msg/s" "$(field msgs_per_s)" "${WS_REF:-?}" "$SERVER_CPU" "" "$SERVER_HWM" ""
row "$RECORD_LABEL, Switchboard script route (JS handler)" "RTT p99 ms" "$(ms "$(field p99_us)")" "${WS_REF_P99:-?}" "" "" "" ""

# A proxy route (issue 18): echo through `--proxy` to a ws upstream (bench/peer/server.mjs) against the
# same load straight to that upstream, one upstream process for both runs. The ws column is the direct run;
# a note gives the latency the proxy added.
PROXY_CONNS=${ECHO_CONNS[0]}
proxy_echo() { # proxy_echo PAYLOAD
    local p=$1 label="echo ${PROXY_CONNS} conns × ${1} B, through a proxy route to ws (ws: straight to it)"
    echo "bench: $label"
    LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
    local args=(--scenario echo --connections "$PROXY_CONNS" --payload "$p" --seconds "$WINDOW" --warmup "$WARMUP"
                --connect-timeout 120)
    ws_server "ws-upstream-$p"; local upstream_pid=$SERVER_PID upstream_port=$SERVER_PORT
    loadgen "ws-direct-$p" --url "ws://127.0.0.1:$upstream_port" "${args[@]}"; local direct=$RESULT
    [ -n "$(health)" ] && note "ws straight $label:$(health)"
    sb_server "sb-proxy-$p" --proxy "/p=ws://127.0.0.1:$upstream_port/ws"; local pid=$SERVER_PID
    loadgen "sb-proxy-$p" --url "ws://127.0.0.1:$SERVER_PORT/p" "${args[@]}"
    stop_server "$pid"
    [ -n "$(health)" ] && note "switchboard proxy $label:$(health)"
    local sb_cpu=$SERVER_CPU sb_hwm=$SERVER_HWM
    stop_server "$upstream_pid"
    row "$label" "msg/s" "$(field msgs_per_s)" "$(field msgs_per_s "$direct")" "$sb_cpu" "" "$sb_hwm" ""
    row "$label" "RTT p50 ms" "$(ms "$(field p50_us)")" "$(ms "$(field p50_us "$direct")")" "" "" "" ""
    row "$label" "RTT p99 ms" "$(ms "$(field p99_us)")" "$(ms "$(field p99_us "$direct")")" "" "" "" ""
    note "proxy echo at $p B: the proxy added $(awk -v a="$(field p50_us)" -v b="$(field p50_us "$direct")" \
        'BEGIN { printf "%.2f", (a - b) / 1000 }') ms at p50 and $(awk -v a="$(field p99_us)" -v b="$(field p99_us "$direct")" \
        'BEGIN { printf "%.2f", (a - b) / 1000 }') ms at p99 (its CPU column: Switchboard only; the upstream ran both runs)"
}
for p in "${PAYLOADS[@]}"; do proxy_echo "$p"; done
fi # BACKENDS_ONLY

# The qt backend (issue 20, --websocket-backend qt): the same echo at 32 B on every connection count, Qt's
# QWebSocketServer under the same engine; the ws column is the echo row of the same size from this run, the
# native backend's is the row above it.
qt_echo() { # qt_echo CONNECTIONS
    local n=$1 label="echo ${1} conns × 32 B"
    echo "bench: $label, Switchboard --websocket-backend qt"
    LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 150 }')
    sb_server "sbqt-echo-$n" --websocket-backend qt; local pid=$SERVER_PID
    loadgen "sbqt-echo-$n" --url "ws://127.0.0.1:$SERVER_PORT" --scenario echo --connections "$n" --payload 32 \
        --seconds "$WINDOW" --warmup "$WARMUP" --connect-timeout 120
    stop_server "$pid"
    [ -n "$(health)" ] && note "switchboard qt backend $label:$(health)"
    local ws_ref=$(awk -F'\t' -v l="$label" '$1 == l && $2 == "msg/s" { print $4 }' "$ROWS")
    local ws_p99=$(awk -F'\t' -v l="$label" '$1 == l && $2 == "RTT p99 ms" { print $4 }' "$ROWS")
    row "$label, Switchboard qt backend" "msg/s" "$(field msgs_per_s)" "${ws_ref:-?}" "$SERVER_CPU" "" "$SERVER_HWM" ""
    row "$label, Switchboard qt backend" "RTT p99 ms" "$(ms "$(field p99_us)")" "${ws_p99:-?}" "" "" "" ""
}
for n in "${ECHO_CONNS[@]}"; do
    fits $((n + 10)) || { note "qt backend echo with $n connections skipped: ulimit -n $FD_LIMIT"; continue; }
    qt_echo "$n"
done

# ---------------------------------------------------------------- fan-out, one server and two through Redis
if [ "$BACKENDS_ONLY" = 0 ]; then
LOADGEN_LIMIT=$(awk -v w="$WINDOW" 'BEGIN { printf "%d", w + 90 }')
fan_args() { # fan_args RATE
    FAN_ARGS=(--scenario fanout --receivers "$FAN_RECEIVERS" --rate "$1" --payload 64 --seconds "$WINDOW"
              --warmup "$WARMUP" --connect-timeout 60)
}
fan_pair() { # fan_pair RATE: Switchboard then ws; sets WS_FAN
    local rate=$1 label="fan-out ${FAN_RECEIVERS} receivers, $1 msg/s"
    fan_args "$rate"
    side_by_side "fanout-$rate" "$label" "${FAN_ARGS[@]}"
    WS_FAN=$WS_RESULT
    row "$label" "delivered/s (offered $((FAN_RECEIVERS * rate)))" "$(field delivered_per_s "$SB_RESULT")" \
        "$(field delivered_per_s "$WS_FAN")" "$SB_CPU" "$WS_CPU" "$SB_HWM" "$WS_HWM"
    row "$label" "latency p50 ms" "$(ms "$(field p50_us "$SB_RESULT")")" "$(ms "$(field p50_us "$WS_FAN")")" "" "" "" ""
    row "$label" "latency p99 ms" "$(ms "$(field p99_us "$SB_RESULT")")" "$(ms "$(field p99_us "$WS_FAN")")" "" "" "" ""
}
fan_record() { # fan_record RATE: Switchboard with --record; the ws column is the last fan_pair's
    local rate=$1 label="fan-out ${FAN_RECEIVERS} receivers, $1 msg/s, Switchboard --record"
    fan_args "$rate"
    echo "bench: $label"
    sb_server "sbrec-fanout-$rate" --record "$TMP/record-fanout.jsonl"; local pid=$SERVER_PID
    loadgen "sbrec-fanout-$rate" --url "ws://127.0.0.1:$SERVER_PORT" "${FAN_ARGS[@]}"
    stop_server "$pid"
    [ -n "$(health)" ] && note "switchboard $label:$(health)"
    row "$label" "delivered/s" "$(field delivered_per_s)" "$(field delivered_per_s "$WS_FAN")" "$SERVER_CPU" "" "$SERVER_HWM" ""
    row "$label" "latency p99 ms" "$(ms "$(field p99_us)")" "$(ms "$(field p99_us "$WS_FAN")")" "" "" "" ""
    rm -f "$TMP"/record-fanout*.jsonl
}
# Issue 8: the same fan-out over two Switchboard instances joined through a redis-server of our own: the sender
# and half the receivers on A, the other half on B. ws has no cluster here: its column repeats the last fan_pair's.
start_redis() {
    REDIS_PORT=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize no \
        >"$OUT/redis.out" 2>&1 &
    REDIS_PID=$!
    PIDS+=("$REDIS_PID")
    for _ in $(seq 50); do
        [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    echo "bench: redis-server did not start" >&2; cat "$OUT/redis.out" >&2; exit 1
}
cluster_run() { # cluster_run RATE
    local rate=$1 label="fan-out ${FAN_RECEIVERS} receivers, $1 msg/s, 2 Switchboards + Redis (issue 8)"
    fan_args "$rate"
    echo "bench: $label"
    local cluster=(--redis "redis://127.0.0.1:$REDIS_PORT" --cluster "bench$$-$rate")
    sb_server "sb-cluster-a-$rate" "${cluster[@]}"; local pid_a=$SERVER_PID port_a=$SERVER_PORT
    sb_server "sb-cluster-b-$rate" "${cluster[@]}"; local pid_b=$SERVER_PID port_b=$SERVER_PORT
    for _ in $(seq 50); do # both instances see each other (bounded: 5 s)
        curl -s --max-time 1 "http://127.0.0.1:$port_a/healthz" | grep -q '"instances":2' \
            && curl -s --max-time 1 "http://127.0.0.1:$port_b/healthz" | grep -q '"instances":2' && break
        sleep 0.1
    done
    local redis_before=$(cpu_seconds "$REDIS_PID")
    loadgen "sb-cluster-$rate" --url "ws://127.0.0.1:$port_a" --url2 "ws://127.0.0.1:$port_b" --settle 1 "${FAN_ARGS[@]}"
    stop_server "$pid_a"; local cpu_a=$SERVER_CPU hwm_a=$SERVER_HWM
    stop_server "$pid_b"; local cpu_b=$SERVER_CPU hwm_b=$SERVER_HWM
    local redis_cpu=$(awk -v a="$redis_before" -v b="$(cpu_seconds "$REDIS_PID")" 'BEGIN { printf "%.2f", b - a }')
    [ -n "$(health)" ] && note "switchboard $label:$(health)"
    row "$label" "delivered/s" "$(field delivered_per_s)" "$(field delivered_per_s "$WS_FAN")" \
        "$(awk -v a="$cpu_a" -v b="$cpu_b" 'BEGIN { printf "%.2f", a + b }')" "" "$hwm_a + $hwm_b" ""
    row "$label" "latency p50 ms" "$(ms "$(field p50_us)")" "$(ms "$(field p50_us "$WS_FAN")")" "" "" "" ""
    row "$label" "latency p99 ms" "$(ms "$(field p99_us)")" "$(ms "$(field p99_us "$WS_FAN")")" "" "" "" ""
    note "two instances at $rate msg/s: A $cpu_a s CPU, B $cpu_b s, redis-server $redis_cpu s; the ws column repeats the single ws server's (no cluster)"
}
start_redis
# First a rate both servers sustain here (full run only), so its latency is the servers' own and not a queue
# growing for the whole window; then the issue's rate (a million deliveries a second in the full run).
if [ -n "$FAN_LOW_RATE" ]; then
    fan_pair "$FAN_LOW_RATE"
    cluster_run "$FAN_LOW_RATE"
fi
fan_pair "$FAN_RATE"
fan_record "$FAN_RATE"
cluster_run "$FAN_RATE"
kill -TERM "$REDIS_PID" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$REDIS_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$REDIS_PID" 2>/dev/null || true
wait "$REDIS_PID" 2>/dev/null || true
fi # BACKENDS_ONLY

# ---------------------------------------------------------------- idle connections
idle_run() { # idle_run NAME START_FN: sets IDLE_KB (KiB per held connection) and IDLE_HELD
    local name=$1
    "$2" "$name"; local pid=$SERVER_PID
    sleep 0.5
    local base=$(status_kb "$pid" VmRSS)
    local out=$OUT/$RUN-$name.loadgen.out
    timeout -k 5 300 "$LG" --url "ws://127.0.0.1:$SERVER_PORT" --scenario idle --connections "$IDLE_CONNS" --hold 120 \
        --connect-timeout 120 "${IDLE_ARGS[@]}" >"$out" 2>"$OUT/$RUN-$name.loadgen.err" &
    local lg=$!
    PIDS+=("$lg")
    for _ in $(seq 1300); do # up to 130 s for every connection to open
        grep -q '^READY' "$out" && break
        kill -0 "$lg" 2>/dev/null || break
        sleep 0.1
    done
    sleep 1 # let the server finish its per-connection work (log records, timers)
    local held=$(status_kb "$pid" VmRSS)
    IDLE_HELD=$(sed -n 's/^READY open=\([0-9]*\).*/\1/p' "$out")
    kill -TERM "$lg" 2>/dev/null || true # timeout(1) passes TERM on to the load generator, which then closes politely
    wait "$lg" 2>/dev/null || true
    RESULT=$(grep '^RESULT ' "$out" | tail -1 || true)
    echo "$name: $RESULT base_rss_kb=$base held_rss_kb=$held" >>"$OUT/results.txt"
    stop_server "$pid"
    IDLE_KB=$(awk -v b="$base" -v h="$held" -v n="${IDLE_HELD:-0}" 'BEGIN { if (n > 0) printf "%.1f", (h - b) / n; else print "?" }')
    IDLE_RSS=$(awk -v h="$held" 'BEGIN { printf "%.1f", h / 1024 }')
    IDLE_CONNECT=$(field connect_s)
}
IDLE_ARGS=()
if fits $((IDLE_CONNS + 10)); then
    echo "bench: idle $IDLE_CONNS connections"
    idle_run "sb-idle" sb_server; SB_IDLE=$IDLE_KB; SB_IDLE_HELD=$IDLE_HELD; SB_IDLE_CPU=$SERVER_CPU; SB_IDLE_HWM=$SERVER_HWM; SB_IDLE_RSS=$IDLE_RSS; SB_IDLE_CONNECT=$IDLE_CONNECT
    [ -n "$(health)" ] && note "switchboard idle:$(health)"
    idle_run "ws-idle" ws_server; WS_IDLE_KB=$IDLE_KB; WS_IDLE_HELD=$IDLE_HELD
    [ -n "$(health)" ] && note "ws idle:$(health)"
    row "idle ${IDLE_CONNS} conns held (${SB_IDLE_HELD:-?} / ${IDLE_HELD:-?})" "RSS KiB per connection" "$SB_IDLE" "$IDLE_KB" \
        "$SB_IDLE_CPU" "$SERVER_CPU" "$SB_IDLE_HWM" "$SERVER_HWM"
    row "idle ${IDLE_CONNS} conns held" "RSS MB while held" "$SB_IDLE_RSS" "$IDLE_RSS" "" "" "" ""
    row "idle ${IDLE_CONNS} conns held" "seconds to open all (32 connects in flight)" "$SB_IDLE_CONNECT" "$IDLE_CONNECT" "" "" "" ""
    # The same with permessage-deflate negotiated (issue 20: within 10 % of the row above for Switchboard).
    if [ "$BACKENDS_ONLY" = 0 ]; then
    echo "bench: idle $IDLE_CONNS connections, permessage-deflate negotiated"
    IDLE_ARGS=(--deflate); WS_ARGS=(--deflate)
    idle_run "sb-idle-deflate" sb_server; SB_IDLE_D=$IDLE_KB; SB_IDLE_D_HELD=$IDLE_HELD; SB_IDLE_D_CPU=$SERVER_CPU; SB_IDLE_D_HWM=$SERVER_HWM
    [ -n "$(health)" ] && note "switchboard idle with deflate:$(health)"
    idle_run "ws-idle-deflate" ws_server
    [ -n "$(health)" ] && note "ws idle with deflate:$(health)"
    IDLE_ARGS=(); WS_ARGS=()
    row "idle ${IDLE_CONNS} conns held, permessage-deflate (${SB_IDLE_D_HELD:-?} / ${IDLE_HELD:-?})" "RSS KiB per connection" \
        "$SB_IDLE_D" "$IDLE_KB" "$SB_IDLE_D_CPU" "$SERVER_CPU" "$SB_IDLE_D_HWM" "$SERVER_HWM"
    note "idle with permessage-deflate: Switchboard $SB_IDLE_D KiB per connection against $SB_IDLE KiB without"
    fi # BACKENDS_ONLY
    # The qt backend (issue 20): a QWebSocket per client; the ws column is the plain idle run's.
    echo "bench: idle $IDLE_CONNS connections, Switchboard --websocket-backend qt"
    SB_FLAGS_SAVED=("${SB_FLAGS[@]}"); SB_FLAGS+=(--websocket-backend qt)
    idle_run "sbqt-idle" sb_server
    SB_FLAGS=("${SB_FLAGS_SAVED[@]}")
    [ -n "$(health)" ] && note "switchboard qt backend idle:$(health)"
    row "idle ${IDLE_CONNS} conns held, Switchboard qt backend (${IDLE_HELD:-?} / ${WS_IDLE_HELD:-?})" "RSS KiB per connection" \
        "$IDLE_KB" "$WS_IDLE_KB" "$SERVER_CPU" "" "$SERVER_HWM" ""
    note "idle per connection: native backend $SB_IDLE KiB, qt backend $IDLE_KB KiB"
else
    note "idle run skipped: ulimit -n $FD_LIMIT"
fi

# ---------------------------------------------------------------- conformance (issue 20)
# bench/conformance.mjs: RFC 6455 cases from raw TCP against each server's echo route, the qt backend's
# row next to the native layer's; the ws column is the same cases against the ws peer.
conformance() { # conformance NAME START_FN [SWITCHBOARD FLAGS]: sets CONFORMANCE to its result line
    local name=$1 start=$2
    shift 2
    "$start" "$name" "$@"; local pid=$SERVER_PID
    RUN_OUT=$OUT/$RUN-$name.conformance.out
    timeout -k 5 600 node "$ROOT/bench/conformance.mjs" --url "ws://127.0.0.1:$SERVER_PORT/ws" >"$RUN_OUT" 2>&1 || true
    stop_server "$pid"
    CONFORMANCE=$(grep '^CONFORMANCE ' "$RUN_OUT" | tail -1 || true)
    echo "$name: ${CONFORMANCE:-no result}" >>"$OUT/results.txt"
    grep '^FAILED ' "$RUN_OUT" | sed "s/^FAILED /$name: /" >>"$OUT/conformance-failures.txt" || true
}
echo "bench: RFC 6455 conformance cases (bench/conformance.mjs)"
conformance "ws-conformance" ws_server; WS_CONF=$CONFORMANCE
conformance "sb-conformance" sb_server; SB_CONF=$CONFORMANCE
conformance "sbqt-conformance" sb_server --websocket-backend qt; QT_CONF=$CONFORMANCE
passed_of() { echo "$(field passed "$1") of $(field total "$1")"; }
row "RFC 6455 conformance cases (bench/conformance.mjs)" "cases as the RFC requires" "$(passed_of "$SB_CONF")" "$(passed_of "$WS_CONF")" "" "" "" ""
row "RFC 6455 conformance cases, Switchboard qt backend" "cases as the RFC requires" "$(passed_of "$QT_CONF")" "$(passed_of "$WS_CONF")" "" "" "" ""
note "conformance by category: native $(field categories "$SB_CONF"); qt backend $(field categories "$QT_CONF"); ws $(field categories "$WS_CONF")"
[ -s "$OUT/conformance-failures.txt" ] && note "conformance cases failed: $(paste -sd';' "$OUT/conformance-failures.txt")"

# ---------------------------------------------------------------- dashboard (issue 5's switchboard_logbench)
if [ "$BACKENDS_ONLY" = 0 ]; then
echo "bench: dashboard at 20,000 msg/s (switchboard_logbench, ${DASH_SECONDS} s, offscreen)"
RUN=$((RUN + 1))
QT_QPA_PLATFORM=offscreen timeout -k 5 $((DASH_SECONDS + 90)) "$LOGBENCH" --seconds "$DASH_SECONDS" \
    >"$OUT/$RUN-logbench.out" 2>"$OUT/$RUN-logbench.err" || true
DASH_P99=$(sed -n 's/^GUI event-loop delay.* p99 \([0-9.]*\) ms.*/\1/p' "$OUT/$RUN-logbench.out")
DASH_HWM=$(sed -n 's/.*VmHWM \([0-9]*\) MB.*/\1/p' "$OUT/$RUN-logbench.out")
DASH_RATE=$(sed -n 's/^generator: sent .*(\([0-9]*\)\/s).*/\1/p' "$OUT/$RUN-logbench.out")
row "dashboard (GUI offscreen), 20,000 msg/s in (generator sent ${DASH_RATE:-?}/s)" "GUI event-loop delay p99 ms" "${DASH_P99:-?}" "—" "" "" "${DASH_HWM:-?}" ""
fi # BACKENDS_ONLY

# ---------------------------------------------------------------- the table
{
    echo "Switchboard $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "(no git: $ROOT)") vs Node $(node --version) + ws $(node -p 'require("./bench/peer/node_modules/ws/package.json").version'), $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Window ${WINDOW} s per run after ${WARMUP} s warm-up$([ "$QUICK" = 1 ] && echo ' (--quick)')$([ "$BACKENDS_ONLY" = 1 ] && echo ' (--backends)'); Switchboard ${SB_FLAGS[*]}, every other setting default (log records created)"
    echo
    echo "| scenario | metric | Switchboard | ws | Switchboard / ws | CPU s (SB / ws) | peak RSS MB (SB / ws) |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function commas(v,    s, out) { if (v !~ /^[0-9]+$/) return v; s = v; out = ""; while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) } return s out }
        {
            ratio = "—"
            if ($3 ~ /^[0-9.]+$/ && $4 ~ /^[0-9.]+$/ && $4 + 0 > 0) ratio = sprintf("%.2f", $3 / $4)
            cpu = ($5 == "" && $6 == "") ? "" : $5 " / " ($6 == "" ? "—" : $6)
            rss = ($7 == "" && $8 == "") ? "" : $7 " / " ($8 == "" ? "—" : $8)
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, commas($3), commas($4), ratio, cpu, rss
        }' "$ROWS"
    echo
    echo "Ratios: above 1 means Switchboard is higher — better for msg/s and delivered/s, worse for latency, time and memory."
    echo "The load generator (one thread) used at most $(sed -n 's/.* loadgen_window_cpu_pct=\([0-9]*\).*/\1/p' "$OUT/results.txt" | sort -n | tail -1)% of a core during any measurement window."
    if [ -s "$NOTES" ]; then
        echo
        echo "Notes:"
        sed 's/^/- /' "$NOTES"
    fi
    echo
    echo "Raw RESULT lines: $OUT/results.txt"
} | tee "$OUT/table.md"
