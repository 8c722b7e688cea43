#!/usr/bin/env bash
# Fuzzes the RESP decoder and the JSON readers with libFuzzer for a bounded time.
#
#     Benchmarks/Fuzz/run.sh [resp|json|all] [seconds]     (default: all, 60 s for each target)
#     Benchmarks/Fuzz/run.sh 60                             (the same as `all 60`)
#
# Each target compiles the few source files it needs (they use only the standard library) with an entry
# point under `swiftc -sanitize=fuzzer,address`, seeds its corpus with the regression corpus of the unit
# tests, and runs:
#
# - resp: the RESP decoder, whole and in pieces (FuzzRESPDecoder.swift). Regression corpus:
#   Tests/StructuredCacheTests/Fixtures/resp-corpus.
# - json: the JSON parser (bytes and text), the writer reading back what parses, and the partial reader
#   (FuzzJSONParser.swift). Regression corpus: Tests/StructuredCacheTests/Fixtures/json-corpus; the
#   other JSON fixtures seed the corpus too.
#
# Inputs that crash, hang or trip the sanitizer are copied into the target's regression corpus as
# fuzz-*, so that the unit tests keep reading them (commit them); the script then exits with status 1.
set -euo pipefail

target=all
case "${1:-}" in
    resp | json | all)
        target="$1"
        shift
        ;;
esac
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 [resp|json|all] [seconds]" >&2
    exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/Tests/StructuredCacheTests/Fixtures"
support="$root/Sources/StructuredCacheSupport"
found=0

# fuzz NAME EXTENSION MAX_LEN SOURCE... : builds and runs one target, keeping what it finds.
fuzz() {
    local name="$1" extension="$2" max_len="$3"
    shift 3
    local work="$here/.build/$name"
    local regressions="$fixtures/$name-corpus"
    mkdir -p "$work/corpus" "$work/artifacts"
    rm -f "$work"/artifacts/*
    cp "$regressions"/*."$extension" "$work/corpus/"
    if [ "$name" = json ]; then
        cp "$fixtures"/*.json "$work/corpus/"
        # Each line of the CPython table is a JSON document itself.
        split -l 1 -a 4 "$fixtures/python-json-dumps.jsonl" "$work/corpus/python-json-dumps-"
    fi

    # The sources compile into one module here, so imports of the package's other targets go.
    rm -rf "$work/sources"
    mkdir -p "$work/sources"
    local sources=()
    for source in "$@"; do
        sed -E '/^(@_exported )?(public |package |internal )?import StructuredCache/d' "$source" \
            > "$work/sources/$(basename "$source")"
        sources+=("$work/sources/$(basename "$source")")
    done

    echo "building the $name fuzz target…"
    swiftc -sanitize=fuzzer,address -parse-as-library -package-name StructuredCache -O -g "${sources[@]}" \
        -o "$work/fuzz-$name" 2>&1 \
        | grep -v "Cannot export local symbol" || true
    test -x "$work/fuzz-$name"

    echo "fuzzing $name for ${seconds} s…"
    local status=0
    "$work/fuzz-$name" "$work/corpus" \
        -max_total_time="$seconds" -max_len="$max_len" -dict="$here/$name.dict" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/" -print_final_stats=1 2>&1 | tee "$work/log" || status=$?

    local kept=0
    for artifact in "$work"/artifacts/*; do
        [ -e "$artifact" ] || continue
        local file="$regressions/fuzz-$(basename "$artifact").$extension"
        cp "$artifact" "$file"
        echo "kept $(basename "$artifact") as a regression case: $file"
        kept=1
    done
    local runs
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)"
    if [ "$kept" -ne 0 ] || [ "$status" -ne 0 ]; then
        echo "$name: the fuzzer found a problem (exit status $status)"
        found=1
    else
        echo "$name: no crash, hang or sanitizer report in ${seconds} s, ${runs:-?} inputs;" \
            "corpus: $(ls "$work/corpus" | wc -l) inputs"
    fi
}

if [ "$target" = resp ] || [ "$target" = all ]; then
    redis="$root/Sources/StructuredCacheStorage/Redis"
    fuzz resp resp 8192 \
        "$redis/RESPValue.swift" "$redis/RESPDecodingError.swift" "$redis/RESPDecoder.swift" \
        "$here/FuzzRESPDecoder.swift"
fi
if [ "$target" = json ] || [ "$target" = all ]; then
    json="$root/Sources/StructuredCacheCore/JSON"
    fuzz json json 8192 \
        "$json/JSONParser.swift" "$json/JSONParseError.swift" "$json/JSONValue.swift" "$json/JSONObject.swift" \
        "$json/JSONBigInt.swift" "$json/JSONWriter.swift" "$json/JSONWritingOptions.swift" \
        "$json/PythonFloatFormatter.swift" "$json/PartialJSONParser.swift" \
        "$support/ExactString.swift" "$support/CodedError.swift" "$support/Redactor.swift" \
        "$here/FuzzJSONParser.swift"
fi
exit "$found"
