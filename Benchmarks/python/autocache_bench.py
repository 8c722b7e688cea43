#!/usr/bin/env python3
"""Measures Instructor's in-process AutoCache the way AdapterBenchmarks.swift measures StructuredCache's.

Same keys (SHA-256 hex digests), same 1 KiB value, same loops: get-hit, get-miss and set-with-eviction,
from one thread and from two threads at once (total ops/s, and per-operation latency percentiles).
Prints the figures, or one JSON object with --json (read by the Swift benchmark for its ratio table).
"""

import argparse
import hashlib
import json
import sys
import threading
import time

try:
    from instructor.cache import AutoCache
except ImportError as error:  # the Swift side reports this and skips the comparison
    print(json.dumps({"error": f"instructor is not installed: {error}"}))
    sys.exit(3)

KEY_COUNT = 8192  # a power of two, so the loops index with a mask as the Swift side does
MASK = KEY_COUNT - 1
VALUE = b"v" * 1024


def make_keys(prefix):
    return [hashlib.sha256(f"{prefix}-{i}".encode()).hexdigest() for i in range(KEY_COUNT)]


HIT_KEYS = make_keys("hit")
MISS_KEYS = make_keys("miss")


def filled(maxsize):
    cache = AutoCache(maxsize=maxsize)
    for key in HIT_KEYS[:maxsize]:
        cache.set(key, VALUE)
    return cache


def get_hit(cache):
    get, keys = cache.get, HIT_KEYS

    def run(n, offset=0):
        for i in range(offset, offset + n):
            get(keys[i & MASK])

    return run


def get_miss(cache):
    get, keys = cache.get, MISS_KEYS

    def run(n, offset=0):
        for i in range(offset, offset + n):
            get(keys[i & MASK])

    return run


def set_evict(cache):
    put, keys = cache.set, HIT_KEYS

    def run(n, offset=0):
        for i in range(offset, offset + n):
            put(keys[i & MASK], VALUE)

    return run


def one_thread(run, iterations, rounds=5):
    samples = []
    for round_ in range(rounds + 1):
        start = time.perf_counter_ns()
        run(iterations)
        elapsed = time.perf_counter_ns() - start
        if round_ > 0:
            samples.append(elapsed / iterations)
    samples.sort()
    return 1e9 / samples[len(samples) // 2]


def two_threads(run, iterations, rounds=3):
    samples = []
    for round_ in range(rounds + 1):
        barrier = threading.Barrier(3)

        def worker(thread):
            barrier.wait()
            run(iterations, thread * 4099)

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(2)]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter_ns()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter_ns() - start
        if round_ > 0:
            samples.append(elapsed / (2 * iterations))
    samples.sort()
    return 1e9 / samples[len(samples) // 2]


def two_thread_latencies(make_op, iterations):
    results = [None, None]
    barrier = threading.Barrier(2)

    def worker(thread):
        op = make_op()
        clock = time.perf_counter_ns
        samples = [0] * iterations
        barrier.wait()
        for i in range(iterations):
            start = clock()
            op(i + thread * 4099)
            samples[i] = clock() - start
        results[thread] = samples

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = sorted(results[0] + results[1])
    return {p: float(merged[min(len(merged) - 1, int(len(merged) * f))]) for p, f in (("p50", 0.5), ("p99", 0.99))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--iterations", type=int, default=400_000)
    args = parser.parse_args()
    n = args.iterations
    rows = {}

    hit_cache = filled(KEY_COUNT)
    miss_cache = filled(KEY_COUNT)
    rows["autocache.get-hit.1t"] = one_thread(get_hit(hit_cache), n)
    rows["autocache.get-miss.1t"] = one_thread(get_miss(miss_cache), n)
    rows["autocache.set-evict.1t"] = one_thread(set_evict(filled(1000)), n)
    rows["autocache.get-hit.2t"] = two_threads(get_hit(hit_cache), n // 2)
    rows["autocache.get-miss.2t"] = two_threads(get_miss(miss_cache), n // 2)
    rows["autocache.set-evict.2t"] = two_threads(set_evict(filled(1000)), n // 2)

    evicting = filled(1000)
    for name, make_op in (
        ("get-hit", lambda: (lambda i, g=hit_cache.get: g(HIT_KEYS[i & MASK]))),
        ("get-miss", lambda: (lambda i, g=miss_cache.get: g(MISS_KEYS[i & MASK]))),
        ("set-evict", lambda: (lambda i, s=evicting.set: s(HIT_KEYS[i & MASK], VALUE))),
    ):
        for percentile, value in two_thread_latencies(make_op, n // 4).items():
            rows[f"autocache.{name}.2t.{percentile}_ns"] = value

    if args.json:
        print(json.dumps(rows))
    else:
        for name, value in rows.items():
            unit = "ns" if name.endswith("_ns") else "ops/s"
            print(f"{name:40} {value:14,.0f} {unit}")


if __name__ == "__main__":
    main()
