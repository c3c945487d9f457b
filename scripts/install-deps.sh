#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs that are not installed yet.
#   scripts/install-deps.sh run    build and launch the dashboard
#   scripts/install-deps.sh test   build and run every test (adds the third-party test clients)
#   scripts/install-deps.sh bench  bench/run.sh (adds redis-server and Node for the ws peer)
set -euo pipefail

purpose=${1:-run}
# openssl: scripts/make-dev-cert.sh (TLS certificates for --tls-cert, also made by the tests)
packages=(build-essential cmake ninja-build pkg-config qt6-base-dev qt6-websockets-dev qt6-declarative-dev qt6-declarative-private-dev liburing-dev qt6-qpa-plugins libgl-dev
          fonts-dejavu-core libhiredis-dev openssl zlib1g-dev)
if [ "$purpose" = test ]; then
    # Third-party clients the tests drive: Python websockets (Debian's python3), headless Chromium.
    packages+=(python3 python3-websockets chromium curl)
    # libFuzzer (tests/fuzz): clang++ and its runtime libraries (libclang_rt.fuzzer, asan, ubsan).
    packages+=(clang libclang-rt-14-dev)
    # The cluster tests start their own Redis on a free loopback port.
    packages+=(redis-server)
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

if [ "$purpose" = bench ]; then
    packages+=(redis-server)
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
