"""Writes Fixtures/instructor-anthropic-requests.json: what Instructor 1.16 sends to Anthropic's Messages API
for a call (the request body its Anthropic client posts) and the cache key its request path computes, for
several models, modes and conversations. Instructor runs for real, against a local server that answers in
Anthropic's format.

Run from the repository root (pip install instructor==1.16.0 anthropic):
    python3 Tests/FixtureGenerators/generate_instructor_anthropic.py
"""
import json
from pathlib import Path

import anthropic
import instructor
from instructor.v2.core.mode import Mode

from generate_instructor_requests import CONVERSATIONS, MODELS
from recording_stub import RecordingCache, start

ANSWERS = {
    "User": {"name": "Jason"},
    "Person": {"name": "Jason", "address": {"city": "Paris", "country": "France"}},
    "Documented": {"name": "Jason"},
    "Fr": {"nom": "Jason"},
    "Defaults": {"count": 1, "label": "y", "ratio": 0.25, "enabled": False, "tags": ["a"]},
}
answer = {}


def message(path, body):
    """A Messages API answer: the tool call the request forces, or the answer as text."""
    if body.get("tools"):
        content = [{"type": "tool_use", "id": "toolu_01", "name": body["tools"][0]["name"], "input": answer["value"]}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": json.dumps(answer["value"])}]
        stop = "end_turn"
    return {
        "id": "msg_01", "type": "message", "role": "assistant", "model": body["model"], "content": content,
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0},
    }


server, base_url, received = start(message)
CALLS = {
    "plain": {},
    "sampling": {"stop_sequences": ["END"], "max_tokens": 256},
    "thinking": {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}},
}
cases = []
for mode in (Mode.TOOLS, Mode.JSON, Mode.JSON_SCHEMA):
    client = instructor.from_anthropic(anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test"), mode=mode)
    for model_name, model in MODELS.items():
        for conversation_name, messages in CONVERSATIONS.items():
            for call_name, extra in CALLS.items():
                if model_name != "User" and (conversation_name not in ("system_user", "user_only") or call_name != "plain"):
                    continue
                if call_name == "thinking" and mode != Mode.TOOLS:
                    continue
                answer["value"] = ANSWERS[model_name]
                cache = RecordingCache()
                kwargs = {"max_tokens": 1024, **extra}
                received.clear()
                client.messages.create(
                    model="claude-haiku-4-5", messages=json.loads(json.dumps(messages)), response_model=model,
                    cache=cache, max_retries=0, **kwargs)
                cases.append({
                    "model": model_name, "mode": mode.value, "conversation": conversation_name, "call": call_name,
                    "messages": messages, "options": kwargs, "sent": received[0]["body"], "key": cache.keys[0],
                })
server.shutdown()
out = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures" / "instructor-anthropic-requests.json"
out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(cases)} cases to {out} (instructor {instructor.__version__}, anthropic {anthropic.__version__})")

# The Anthropic SDK's transform_schema (what native structured outputs send) of every pydantic schema fixture.
fixtures = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures"
rows = json.loads((fixtures / "pydantic-schemas.json").read_text())
transformed = [
    {"name": row["name"], "schema": json.loads(row["natural"]),
     "transformed": anthropic.transform_schema(json.loads(row["natural"]))}
    for row in rows
]
(fixtures / "anthropic-transformed-schemas.json").write_text(json.dumps(transformed, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(transformed)} transformed schemas")
