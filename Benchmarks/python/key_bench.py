"""Times Instructor 1.16's make_cache_key, and its JSON-writing-plus-hashing stage alone, on the same
inputs as the Swift key benchmark. Prints one line per figure: `name<TAB>microseconds per call`.

    python3 Benchmarks/python/key_bench.py
"""
import hashlib
import json
import sys
import timeit
from typing import Optional

from pydantic import BaseModel

try:
    from instructor.cache import make_cache_key
except ImportError:  # pragma: no cover
    print("instructor is not installed (pip install instructor==1.16.0)", file=sys.stderr)
    sys.exit(3)


class User(BaseModel):
    name: str


class Address(BaseModel):
    street: str
    city: str
    country: str


class Person(BaseModel):
    name: str
    age: int
    email: Optional[str] = None
    tags: list[str]
    address: Address
    score: float
    active: bool
    nickname: Optional[str] = None


def realistic_messages():
    """Six messages of about 2 KB each; the Swift benchmark builds the same ones."""
    roles = ["system", "user", "assistant", "user", "assistant", "user"]
    sentence = "The quick brown fox jumps over the lazy dog. Caf\u00e9 r\u00e9sum\u00e9 na\u00efve \u2014 ok. "
    return [{"role": role, "content": (f"Message {i}: " + sentence * 40)[:2000]} for i, role in enumerate(roles)]


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
    for name, value in rows:
        print(f"{name}\t{value:.3f}")
    print(f"# instructor {__import__('instructor').__version__}, pydantic {__import__('pydantic').__version__}, "
          f"Python {sys.version.split()[0]}")


main()
