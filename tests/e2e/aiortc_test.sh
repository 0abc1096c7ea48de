#!/bin/sh
# The aiortc test of run.sh (which sets SABAQ_URL and E2E_TMP): a lesson is
# made through the real flow (make_lesson.mjs), a Chromium teacher
# (teacher.mjs) joins with its teacher link and publishes in the background,
# then aiortc_viewer.py joins with its student link and must decode the
# teacher's video.
set -u
cd "$(dirname "$0")/../.." || exit 1

server_log_tail() {
    [ -n "${SABAQ_LOG:-}" ] || return 0
    echo "--- server log (tail) ---"
    tail -n 40 "$SABAQ_LOG"
    echo "---"
}

if ! tokens=$(node tests/e2e/make_lesson.mjs '{"title":"aiortc"}'); then
    echo "aiortc_test: cannot make a lesson"
    server_log_tail
    exit 1
fi
field() { echo "$tokens" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
echo "aiortc_test: lesson $(field id)"

tlog="${E2E_TMP:-/tmp}/teacher-$$.log"
node tests/e2e/teacher.mjs "$(field teacher)" >"$tlog" 2>&1 &
tpid=$!

i=0
until grep -q "teacher ready" "$tlog"; do
    if ! kill -0 "$tpid" 2>/dev/null || [ $i -ge 300 ]; then
        echo "aiortc_test: the Chromium teacher did not get ready:"
        sed 's/^/  teacher: /' "$tlog"
        kill -TERM "$tpid" 2>/dev/null
        server_log_tail
        exit 1
    fi
    sleep 0.1
    i=$((i + 1))
done
sed 's/^/  teacher: /' "$tlog"

ws_url="$(echo "${SABAQ_URL:-http://127.0.0.1:18080}" | sed 's/^http/ws/')/ws"
/usr/bin/python3 tests/e2e/aiortc_viewer.py --url "$ws_url" --token "$(field student)"
rc=$?

kill -TERM "$tpid" 2>/dev/null
wait "$tpid"
[ $rc -ne 0 ] && server_log_tail
exit $rc
