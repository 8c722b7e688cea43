"""Times Instructor 1.16's make_cache_key, and its JSON-writing-plus-hashing stage alone, on the same
inputs as the Swift key benchmark. Prints the figures (microseconds per call), or one JSON object with
--json (read by the Swift benchmark for its comparison).

    python3 Benchmarks/python/key_bench.py [--json]
"""
import hashlib
import json
import sys
import timeit

try:
    from instructor.cache import make_cache_key

    from bench_models import Person, User, realistic_messages
except ImportError as error:  # the Swift side reports this and skips the comparison
    print(json.dumps({"error": f"instructor is not installed (pip install instructor==1.16.0): {error}"}))
    sys.exit(3)


def per_call_us(fn, number):
    best = min(timeit.repeat(fn, number=number, repeat=7))
    return best / number * 1e6


def main():
    one = [{"role": "user", "content": "hello"}]
    six = realistic_messages()
    user_schema = User.model_json_schema()
    person_schema = Person.model_json_schema()

    def stage(messages, schema):
        payload = {"model": "gpt-4.1-mini", "messages": messages, "mode": "TOOLS", "schema": schema}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    rows = [
        ("make_cache_key one message (User)",
         per_call_us(lambda: make_cache_key(messages=one, model="gpt-4.1-mini", response_model=User, mode="TOOLS"), 2000)),
        ("make_cache_key six 2KB messages (Person, 8 fields)",
         per_call_us(lambda: make_cache_key(messages=six, model="gpt-4.1-mini", response_model=Person, mode="TOOLS"), 500)),
        ("json.dumps+sha256 one message (ready schema)", per_call_us(lambda: stage(one, user_schema), 20000)),
        ("json.dumps+sha256 six 2KB messages (ready schema)", per_call_us(lambda: stage(six, person_schema), 2000)),
        ("model_json_schema Person (pydantic)", per_call_us(lambda: Person.model_json_schema(), 500)),
    ]
    data = bytes(1 << 20)
    seconds = min(timeit.repeat(lambda: hashlib.sha256(data).digest(), number=50, repeat=5)) / 50
    rows.append(("hashlib.sha256 1 MiB (OpenSSL) MB/s", (1 << 20) / seconds / 1e6))
    about = (f"instructor {__import__('instructor').__version__}, pydantic {__import__('pydantic').__version__}, "
             f"Python {sys.version.split()[0]}")
    if "--json" in sys.argv:
        print(json.dumps({"about": about, **dict(rows)}))
    else:
        for name, value in rows:
            print(f"{name:55} {value:12.3f}")
        print(about)


main()
