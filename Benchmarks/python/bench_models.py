"""The models and messages the Python reference benchmarks share with the Swift ones (Bench.User,
Bench.Person and realisticMessages() in KeyBenchmarks.swift)."""
from typing import Optional

from pydantic import BaseModel


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
    """Six messages of about 2 KB each."""
    roles = ["system", "user", "assistant", "user", "assistant", "user"]
    sentence = "The quick brown fox jumps over the lazy dog. Caf\u00e9 r\u00e9sum\u00e9 na\u00efve \u2014 ok. "
    return [{"role": role, "content": (f"Message {i}: " + sentence * 40)[:2000]} for i, role in enumerate(roles)]
