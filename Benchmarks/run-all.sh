#!/usr/bin/env bash
# Runs every benchmark suite beside its references (Instructor 1.16, python-diskcache, redis-benchmark)
# in one run, then regenerates docs/benchmarks.{txt,json,md,svg} and the README's benchmark table.
#
#     pip install instructor==1.16.0 anthropic google-genai diskcache redis   # the Python references (optional)
#     Benchmarks/run-all.sh [suite ...]                   # suites: key sha adapters client providers streaming redis …
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs
swift build -c release --product StructuredCacheBenchmarks
STRUCTUREDCACHE_BENCH_SUMMARY=docs/benchmarks.json .build/release/StructuredCacheBenchmarks "$@" \
    | tee docs/benchmarks.txt
python3 Benchmarks/python/render_summary.py docs/benchmarks.json docs/benchmarks.md docs/benchmarks.svg README.md
echo "wrote docs/benchmarks.txt, docs/benchmarks.json, docs/benchmarks.md, docs/benchmarks.svg and the README's table"
