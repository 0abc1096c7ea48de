#!/bin/sh
# Installs what Sabaq needs from Debian (and, for tests, playwright-core from
# npm). As root it runs apt-get itself; otherwise it prints the exact command
# and stops. Usage: scripts/setup.sh run|test
set -eu
mode=${1:-run}

# Build and run: compiler, pkg-config and the libraries of the stack.
RUN_PKGS="build-essential pkg-config libwebsockets-dev libssl-dev libsrtp2-dev libopus-dev
libvpx-dev libjansson-dev libsqlite3-dev libavformat-dev libavcodec-dev libavutil-dev"
# Tests: a real browser, an independent WebRTC stack, media tools, fuzzing,
# network namespaces and Node for playwright-core.
TEST_PKGS="chromium python3-aiortc ffmpeg clang libclang-rt-14-dev iproute2 nftables
util-linux python3-websockets"

pkgs=$RUN_PKGS
[ "$mode" = test ] && pkgs="$RUN_PKGS $TEST_PKGS"
# Node may come from elsewhere than Debian (with npm inside it): only ask
# Debian for it when the commands are missing.
if [ "$mode" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    pkgs="$pkgs nodejs npm"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "setup: installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "setup: missing Debian packages. Run this, then try again:"
        echo "  sudo apt-get update && sudo apt-get install -y$missing"
        exit 1
    fi
fi

if [ "$mode" = test ] && [ ! -d node_modules/playwright-core ]; then
    echo "setup: installing playwright-core from npm (no browser download: tests use Debian's chromium)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
fi
exit 0
