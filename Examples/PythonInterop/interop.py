"""The Python half of the PythonInterop example: Instructor 1.16 with a Redis cache that shares the
Swift client's entries. It asks question A (which the Swift client stored: a hit, no endpoint call) and
question B (a miss it stores for the Swift client to read), and prints one JSON line of what it saw.

    python3 interop.py --redis URL --prefix P --base-url URL --api-key K --model M --a TEXT --b TEXT
"""
import argparse
import json
import sys
from typing import Optional

try:
    import instructor
    import redis
    from instructor.cache import BaseCache
    from openai import OpenAI
    from pydantic import BaseModel, Field
except ImportError as error:
    print(json.dumps({"error": f"needs instructor==1.16.0 and redis from pip: {error}"}))
    sys.exit(3)


class Contact(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's full name")
    email: Optional[str] = Field(None, description="Their email address, if the text gives one")
    company: Optional[str] = Field(None, description="Where they work, if the text says")


class RedisCache(BaseCache):
    """Instructor documents a RedisCache but ships none; this one keeps the Swift RedisCache's layout:
    the same key under the same prefix, the envelope as the value."""

    def __init__(self, url, prefix):
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.keys = []
        self.hits = 0

    def get(self, key):
        self.keys.append(key)
        value = self.redis.get(self.prefix + key)
        if value is not None:
            self.hits += 1
            return value.decode()
        return None

    def set(self, key, value, ttl=None):
        self.redis.set(self.prefix + key, value, px=ttl * 1000 if ttl else None)


def main():
    parser = argparse.ArgumentParser()
    for name in ("redis", "prefix", "base-url", "api-key", "model", "a", "b"):
        parser.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    cache = RedisCache(args.redis, args.prefix)
    client = instructor.from_openai(OpenAI(base_url=args.base_url, api_key=args.api_key), mode=instructor.Mode.TOOLS)
    answers = {}
    for label, question in (("a", args.a), ("b", args.b)):
        hits_before = cache.hits
        contact = client.chat.completions.create(
            model=args.model, response_model=Contact, cache=cache,
            messages=[{"role": "system", "content": "Extract the contact the user mentions."},
                      {"role": "user", "content": question}])
        answers[label] = {"key": cache.keys[-1], "hit": cache.hits > hits_before, "contact": contact.model_dump()}
    print(json.dumps({"instructor": instructor.__version__, **answers}))


main()
