"""Writes Fixtures/instructor-prepared-requests.json: what Instructor 1.16's OpenAI mode handlers make of
a request (the prepared messages, tools, tool_choice, response_format) and the cache key its request
path computes from them, for several models, modes and conversations.

Run from the repository root:  python3 Tests/FixtureGenerators/generate_instructor_requests.py
"""
import json
from pathlib import Path
from typing import Optional

import instructor
from instructor.cache import make_cache_key
from instructor.mode import Mode
from instructor.v2.providers.openai.handlers import (
    OpenAIJSONHandler, OpenAIJSONSchemaHandler, OpenAIMDJSONHandler, OpenAIToolsHandler)
from pydantic import BaseModel, Field


class User(BaseModel):
    name: str


class Address(BaseModel):
    city: str
    country: str


class Person(BaseModel):
    name: str
    address: Address


class Documented(BaseModel):
    """A documented model."""

    name: str


class Fr(BaseModel):
    """Modèle d'utilisateur — résumé ✓"""

    nom: str = Field(description="Nom complet de l'utilisateur (é, ü, 😀)")


class Defaults(BaseModel):
    count: int = 5
    label: str = "x"
    ratio: float = 0.5
    enabled: bool = True
    tags: list[str] = Field(default_factory=list)


MODELS = {"User": User, "Person": Person, "Documented": Documented, "Fr": Fr, "Defaults": Defaults}
HANDLERS = {
    Mode.TOOLS: OpenAIToolsHandler(), Mode.JSON: OpenAIJSONHandler(), Mode.MD_JSON: OpenAIMDJSONHandler(),
    Mode.JSON_SCHEMA: OpenAIJSONSchemaHandler(),
}
CONVERSATIONS = {
    "system_user": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Extract: Jason"}],
    "user_only": [{"role": "user", "content": "Extract: Jason"}],
    "two_users": [{"role": "user", "content": "Extract:"}, {"role": "user", "content": "Jason is 25."}],
    "system_parts": [
        {"role": "system", "content": [{"type": "text", "text": "Be terse."}]},
        {"role": "user", "content": "Extract: Jason"},
    ],
    "multi_turn": [
        {"role": "system", "content": "You are a precise extractor."},
        {"role": "user", "content": "Jason is 25."},
        {"role": "assistant", "content": "{\"name\": \"Jason\"}"},
        {"role": "user", "content": "Now do Sarah, caf\u00e9 owner."},
    ],
}

if __name__ == "__main__":
    cases = []
    for model_name, model in MODELS.items():
        for mode, handler in HANDLERS.items():
            for conversation_name, messages in CONVERSATIONS.items():
                if model_name != "User" and conversation_name not in ("system_user", "user_only"):
                    continue
                kwargs = {"model": "gpt-4.1-mini", "messages": json.loads(json.dumps(messages))}
                _, prepared = handler.prepare_request(model, kwargs)
                key = make_cache_key(
                    messages=prepared["messages"], model=prepared["model"], response_model=model, mode=str(mode.value))
                cases.append({
                    "model": model_name, "mode": mode.value, "conversation": conversation_name, "messages": messages,
                    "prepared": {k: prepared[k] for k in ("messages", "tools", "tool_choice", "response_format") if k in prepared},
                    "key": key,
                })
    out = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures" / "instructor-prepared-requests.json"
    out.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out} (instructor {instructor.__version__})")
