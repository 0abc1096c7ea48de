#!/bin/sh
# Runs each libFuzzer target for a bounded time over its corpus, without
# writing new inputs into the committed corpus (a scratch directory comes
# first). A crash leaves its input in build/fuzz/crash-* to be kept as a seed.
# Usage: tests/fuzz/run.sh SECONDS build/fuzz/fuzz_x ...
set -u
seconds=$1
shift
pass=0
fail=0
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    scratch=$(mktemp -d /tmp/sabaq-fuzz.XXXXXX)
    corpus=tests/fuzz/corpus/$name
    mkdir -p "$corpus"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build/fuzz/crash-"$name"- "$scratch" "$corpus" \
        >"$scratch.log" 2>&1; then
        echo "ok   fuzz_$name: $(grep -E '^Done|#[0-9]+.*DONE' "$scratch.log" | tail -n 1)"
        pass=$((pass + 1))
    else
        echo "FAIL fuzz_$name"
        tail -n 40 "$scratch.log"
        fail=$((fail + 1))
    fi
    rm -rf "$scratch" "$scratch.log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
