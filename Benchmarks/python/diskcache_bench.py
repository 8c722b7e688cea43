#!/usr/bin/env python3
"""Measures python-diskcache (the store behind Instructor's DiskCache) the way AdapterBenchmarks.swift
measures StructuredCache's DiskCache.

10,000 keys (SHA-256 hex digests) with 2 KiB and with 100 KiB values: set (overwriting, after a first
pass that creates every entry), get-hit in a shuffled order, get-miss. Default diskcache settings, as
Instructor uses them. Prints the figures, or one JSON object with --json.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time

try:
    import diskcache
except ImportError as error:  # the Swift side reports this and skips the comparison
    print(json.dumps({"error": f"diskcache is not installed: {error}"}))
    sys.exit(3)


def measure(run, rounds):
    samples = []
    for round_ in range(rounds + 1):
        start = time.perf_counter_ns()
        count = run()
        elapsed = time.perf_counter_ns() - start
        if round_ > 0:
            samples.append(elapsed / count)
    samples.sort()
    return 1e9 / samples[len(samples) // 2]


def bench(size_label, size, key_count, rounds, rows, parent):
    keys = [hashlib.sha256(f"key-{i}".encode()).hexdigest() for i in range(key_count)]
    missing = [hashlib.sha256(f"missing-{i}".encode()).hexdigest() for i in range(key_count)]
    shuffled = keys[:]
    random.Random(42).shuffle(shuffled)
    value = bytes((i * 31 + 7) & 0xFF for i in range(size))
    directory = tempfile.mkdtemp(prefix="diskcache-bench-", dir=parent)
    try:
        with diskcache.Cache(directory) as cache:
            put, get = cache.set, cache.get

            def set_all():
                for key in keys:
                    put(key, value)
                return len(keys)

            def get_hits():
                for key in shuffled:
                    if get(key) is None:
                        raise SystemExit("unexpected miss")
                return len(shuffled)

            def get_misses():
                for key in missing:
                    get(key)
                return len(missing)

            rows[f"disk.{size_label}.set"] = measure(set_all, rounds)
            rows[f"disk.{size_label}.get-hit"] = measure(get_hits, rounds)
            rows[f"disk.{size_label}.get-miss"] = measure(get_misses, rounds)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--dir", default=None, help="parent folder of the temporary cache folders")
    args = parser.parse_args()
    rows = {}
    bench("2k", 2048, args.keys, 3, rows, args.dir)
    bench("100k", 100 * 1024, args.keys, 1, rows, args.dir)
    if args.json:
        print(json.dumps(rows))
    else:
        for name, value in rows.items():
            print(f"{name:40} {value:14,.0f} ops/s")


if __name__ == "__main__":
    main()
