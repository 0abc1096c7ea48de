#!/bin/sh
# Sabaq's end-to-end tests: real Chromium pages and an aiortc client against
# ./build/sabaq. Run from the repo root after the build:  sh tests/e2e/run.sh
# It re-executes itself in a private network namespace (unshare -n) where only
# loopback exists, so no packet leaves the machine; starts the server there,
# runs each test file with a time limit and prints "N passed, N failed".
# Set E2E_ONLY to a substring to run only the matching tests, SABAQ_BIN to
# test another build of the server (e.g. one with sanitizers).
set -u

if [ "${SABAQ_E2E_NS:-}" != 1 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        exec unshare -n env SABAQ_E2E_NS=1 sh "$0" "$@"
    fi
    # Without root, a user namespace grants the network namespace.
    exec unshare -r -n env SABAQ_E2E_NS=1 sh "$0" "$@"
fi
ip link set lo up || { echo "e2e: cannot bring up lo in the namespace"; exit 1; }

cd "$(dirname "$0")/../.." || exit 1
BIN=${SABAQ_BIN:-./build/sabaq}
PORT=18080
MEDIA_PORT=41000
TEST_TIMEOUT=180
if [ ! -x "$BIN" ]; then
    echo "e2e: $BIN is missing: build it first (make build/sabaq)"
    exit 1
fi

TMP=$(mktemp -d /tmp/sabaq-e2e.XXXXXX)
DATA=$(mktemp -d /tmp/sabaq-e2e-data.XXXXXX)
LOG=$TMP/server.log
SERVER_PID=""
TEST_PID=""

cleanup() {
    [ -n "$TEST_PID" ] && kill -TERM -- "-$TEST_PID" 2>/dev/null
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null
        i=0
        while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP" "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_log_tail() {
    echo "--- server log (last ${1:-60} lines of $LOG) ---"
    tail -n "${1:-60}" "$LOG"
    echo "---"
}

# Fake camera and microphone for every Chromium page (TESTING.md).
echo "e2e: making fake media in $TMP"
ffmpeg -v error -f lavfi -i testsrc2=size=320x240:rate=15 -t 10 -pix_fmt yuv420p "$TMP/fake.y4m" &&
ffmpeg -v error -f lavfi -i sine=frequency=440:sample_rate=48000 -t 10 -ac 1 -c:a pcm_s16le "$TMP/fake.wav" ||
    { echo "e2e: ffmpeg failed"; exit 1; }

# Line-buffered, so a failing test's log tail is up to date.
# SABAQ_WORKERS=N runs the server with N media workers (default: one per core).
stdbuf -oL -eL "$BIN" --bind 127.0.0.1 --port "$PORT" --media-port "$MEDIA_PORT" --data-dir "$DATA" \
    ${SABAQ_WORKERS:+--workers "$SABAQ_WORKERS"} >"$LOG" 2>&1 &
SERVER_PID=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $i -ge 100 ]; then
        echo "e2e: the server did not come up on port $PORT"
        server_log_tail
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
echo "e2e: server up (pid $SERVER_PID) on 127.0.0.1:$PORT, media udp $MEDIA_PORT"

export SABAQ_URL="http://127.0.0.1:$PORT" SABAQ_LOG="$LOG" SABAQ_MEDIA_PORT="$MEDIA_PORT"
export FAKE_VIDEO="$TMP/fake.y4m" FAKE_AUDIO="$TMP/fake.wav" E2E_TMP="$TMP"
export SABAQ_DATA="$DATA" SABAQ_BIN_PATH="$BIN"
mkdir -p tests/e2e/screenshots
rm -f tests/e2e/screenshots/*.png

passed=0
failed=0
failures=""

# Runs one test in its own process group (so whatever it starts, Chromium
# included, ends with it) under a time limit.
run_test() {
    name=$1
    shift
    case "$name" in *"${E2E_ONLY:-}"*) ;; *) return ;; esac
    echo
    echo "=== $name"
    start=$(date +%s)
    setsid timeout -k 10 "$TEST_TIMEOUT" "$@" &
    TEST_PID=$!
    wait "$TEST_PID"
    rc=$?
    kill -TERM -- "-$TEST_PID" 2>/dev/null
    TEST_PID=""
    secs=$(($(date +%s) - start))
    # A failing test prints the server log's tail itself, unless it was cut
    # short or the server is gone.
    show_log=0
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "e2e: $name timed out after $TEST_TIMEOUT s"
        show_log=1
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "e2e: the server died during $name"
        rc=1
        show_log=1
    fi
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "=== $name: PASS (${secs} s)"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        echo "=== $name: FAIL (exit $rc, ${secs} s)"
        [ $show_log -eq 1 ] && server_log_tail
    fi
}

run_test browser_media node tests/e2e/browser_media.test.mjs
run_test aiortc_viewer sh tests/e2e/aiortc_test.sh
run_test bad_input node tests/e2e/bad_input.test.mjs
run_test access /usr/bin/python3 tests/e2e/access.test.py
run_test classroom node tests/e2e/classroom.test.mjs
run_test classroom_data /usr/bin/python3 tests/e2e/classroom_data.test.py
run_test whip /usr/bin/python3 tests/e2e/whip.test.py
run_test whep /usr/bin/python3 tests/e2e/whep.test.py
run_test whip_h264 /usr/bin/python3 tests/e2e/whip_h264.test.py
run_test http_keepalive /usr/bin/python3 tests/e2e/http_keepalive.test.py
run_test simulcast node tests/e2e/simulcast.test.mjs
run_test lastn node tests/e2e/lastn.test.mjs
run_test layers node tests/e2e/layers.test.mjs
run_test recording_lesson node tests/e2e/recording.test.mjs
run_test recording_crash node tests/e2e/recording_crash.test.mjs
run_test recording_loss node tests/e2e/recording_loss.test.mjs
run_test recording_delete node tests/e2e/recording_delete.test.mjs
run_test client_i18n node tests/e2e/client_i18n.test.mjs
run_test client_ui node tests/e2e/client_ui.test.mjs
run_test client_phone node tests/e2e/client_phone.test.mjs
run_test client_stage node tests/e2e/client_stage.test.mjs
run_test ice_restart node tests/e2e/ice_restart.test.mjs
run_test ice_restart_fallback node tests/e2e/ice_restart.test.mjs fallback

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: the server is not running at the end"
    server_log_tail
fi
echo
[ -n "$failures" ] && echo "e2e: failed:$failures"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
