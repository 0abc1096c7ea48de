#!/bin/sh
# Every test of `make test`, stage by stage: unit tests, the same under
# AddressSanitizer + UndefinedBehaviorSanitizer, a short libFuzzer run of
# every fuzz target over its corpus, then the end-to-end tests with real peers
# (Chromium, aiortc) in a private network namespace. Each stage prints its own
# "N passed, N failed"; the last line adds them up.
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
log_dir=$(mktemp -d /tmp/sabaq-test.XXXXXX)
total_pass=0
total_fail=0

# Runs a stage, shows its output, adds its closing counts to the totals.
# A stage that exits non-zero without a count line counts as one failure.
stage() {
    name=$1
    shift
    echo "== $name"
    "$@" >"$log_dir/$name.log" 2>&1
    rc=$?
    cat "$log_dir/$name.log"
    line=$(grep -E '^[A-Za-z]*:? ?[0-9]+ passed, [0-9]+ failed' "$log_dir/$name.log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/^[^0-9]*([0-9]+) passed.*/\1/')
        f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    else
        p=0
        f=$([ "$rc" -eq 0 ] && echo 0 || echo 1)
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    echo "== $name: $p passed, $f failed"
}

stage unit ./build/unit_tests
stage asan sh -c "$MAKE --no-print-directory build/unit_tests_asan >/dev/null && \
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./build/unit_tests_asan"
if command -v clang >/dev/null 2>&1; then
    stage fuzz $MAKE --no-print-directory fuzz FUZZ_SECONDS=${FUZZ_SECONDS:-15}
else
    echo "== fuzz: skipped (clang not installed)"
fi
stage e2e sh tests/e2e/run.sh

rm -rf "$log_dir"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
