#!/usr/bin/env bash
# Fuzzes the RESP decoder with libFuzzer for a bounded time.
#
#     Benchmarks/Fuzz/run.sh [seconds]        (default 60)
#
# Compiles the decoder's three source files (they use only the standard library) with an entry point
# under `swiftc -sanitize=fuzzer,address`, seeds the corpus with the regression corpus of the unit tests,
# and runs. Inputs that crash, hang or trip the sanitizer are copied into the regression corpus as
# Tests/StructuredCacheTests/Fixtures/resp-corpus/fuzz-*.resp, so that the unit tests keep decoding them
# (commit them); the script then exits with status 1.
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sources="$root/Sources/StructuredCache/Redis"
fixtures="$root/Tests/StructuredCacheTests/Fixtures/resp-corpus"
work="$here/.build"
mkdir -p "$work/corpus" "$work/artifacts"
rm -f "$work"/artifacts/*

cp "$fixtures"/*.resp "$work/corpus/"

echo "building the fuzz target…"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    "$sources/RESPValue.swift" "$sources/RESPDecodingError.swift" "$sources/RESPDecoder.swift" \
    "$here/FuzzRESPDecoder.swift" -o "$work/fuzz-resp-decoder" 2>&1 | grep -v "Cannot export local symbol" || true
test -x "$work/fuzz-resp-decoder"

echo "fuzzing for ${seconds} s…"
status=0
"$work/fuzz-resp-decoder" "$work/corpus" \
    -max_total_time="$seconds" -max_len=8192 -dict="$here/resp.dict" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 || status=$?

found=0
for artifact in "$work"/artifacts/*; do
    [ -e "$artifact" ] || continue
    name="fuzz-$(basename "$artifact").resp"
    cp "$artifact" "$fixtures/$name"
    echo "kept $(basename "$artifact") as a regression case: $fixtures/$name"
    found=1
done
if [ "$found" -ne 0 ] || [ "$status" -ne 0 ]; then
    echo "the fuzzer found a problem (exit status $status)"
    exit 1
fi
echo "no crash, hang or sanitizer report in ${seconds} s; corpus: $(ls "$work/corpus" | wc -l) inputs"
