"""Writes two fixtures for the Responses API provider:

- Fixtures/responses-strict-schemas.json: what the openai package's `to_strict_json_schema` makes of each
  schema of pydantic-schema.md (the schema Instructor 1.16's RESPONSES_TOOLS handler sends).
- Fixtures/instructor-responses-requests.json: what Instructor 1.16 in RESPONSES_TOOLS mode, over the
  openai package, POSTs to `/responses` for several models and conversations, and the cache key its
  request path looks up, recorded by a local HTTP server that answers in the Responses format and by
  a cache that records the keys it is asked for.

Run from the repository root:  python3 Tests/FixtureGenerators/generate_instructor_responses.py
"""
import json
import re
from pathlib import Path
from typing import Optional

import instructor
import openai
from instructor.mode import Mode
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

from generate_instructor_requests import Defaults, Documented, Fr, Person, User
from recording_stub import RecordingCache, start

here = Path(__file__).resolve().parent
fixtures = here.parent / "StructuredCacheTests" / "Fixtures"

# The strict form of every documented pydantic schema.
text = (here / "pydantic-schema.md").read_text()
blocks = re.findall(r"#### (\S+)\n```python\n(.*?)```\n```json\n(.*?)\n```", text, re.S)
header = ("from typing import Optional, Literal, Union\nfrom enum import Enum, IntEnum\n"
          "from datetime import datetime, date\nfrom uuid import UUID\nfrom pydantic import BaseModel, Field\n")
strict_rows = []
for name, source, _ in blocks:
    namespace = {}
    exec(header + source, namespace)
    last = re.findall(r"^class (\w+)\(BaseModel\)", source, re.M)[-1]
    strict_rows.append({"name": name, "strict": to_strict_json_schema(namespace[last])})
(fixtures / "responses-strict-schemas.json").write_text(json.dumps(strict_rows, indent=1) + "\n")


class OptDefaultNone(BaseModel):
    nickname: Optional[str] = None


MODELS = {
    "User": (User, {"name": "Jason"}),
    "Person": (Person, {"name": "Jason", "address": {"city": "Paris", "country": "FR"}}),
    "Documented": (Documented, {"name": "Jason"}),
    "Fr": (Fr, {"nom": "Jean"}),
    "Defaults": (Defaults, {"count": 1, "label": "y", "ratio": 0.25, "enabled": False, "tags": []}),
    "OptDefaultNone": (OptDefaultNone, {"nickname": None}),
}
CONVERSATIONS = {
    "system_user": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Extract: Jason"}],
    "user_only": [{"role": "user", "content": "Extract: Jason"}],
    "developer_parts": [
        {"role": "developer", "content": [{"type": "input_text", "text": "Be terse."}]},
        {"role": "user", "content": "Extract: Jason"},
    ],
    "multi_turn": [
        {"role": "system", "content": "You are a precise extractor."},
        {"role": "user", "content": "Jason is 25."},
        {"role": "assistant", "content": "{\"name\": \"Jason\"}"},
        {"role": "user", "content": "Now do Sarah, caf\u00e9 owner."},
    ],
    # Chat-format tool turns: Instructor hashes (and sends) them as they are, with a null content as [].
    "tool_turn": [
        {"role": "user", "content": "Look it up."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Jason"},
    ],
}


def response(path, body):
    """A Responses API answer: a call of the function the request offers, with that model's sample."""
    name = body["tools"][0]["name"]
    arguments = json.dumps(next(sample for model, sample in MODELS.values() if model.__name__ == name))
    answer = {
        "id": "resp_test", "object": "response", "created_at": 1_700_000_000, "status": "completed",
        "error": None, "incomplete_details": None, "instructions": None, "max_output_tokens": None,
        "model": body["model"], "parallel_tool_calls": True, "previous_response_id": None,
        "output": [{"id": "fc_test", "type": "function_call", "status": "completed", "arguments": arguments,
                    "call_id": "call_test", "name": name}],
        "temperature": 1.0, "text": body.get("text", {"format": {"type": "text"}}), "tool_choice": "auto",
        "tools": [], "top_p": 1.0, "truncation": "disabled",
        "usage": {"input_tokens": 11, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 7,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 18},
        "metadata": {},
    }
    return answer


server, base_url, received = start(response)
client = instructor.from_openai(
    openai.OpenAI(base_url=base_url + "/v1", api_key="sk-test", max_retries=0),
    mode=Mode.RESPONSES_TOOLS)

cases = []
for model_name, (model, _) in MODELS.items():
    for conversation_name, messages in CONVERSATIONS.items():
        if model_name != "User" and conversation_name not in ("system_user", "user_only"):
            continue
        cache = RecordingCache()
        received.clear()
        client.create(
            model="gpt-4.1-mini", messages=json.loads(json.dumps(messages)), response_model=model, cache=cache,
            max_retries=1)
        if len(received) != 1 or len(set(cache.keys)) != 1 or len(cache.keys) != 2:
            raise SystemExit(f"{model_name} {conversation_name}: {len(received)} requests, keys {cache.keys}")
        cases.append({
            "model": model_name, "conversation": conversation_name, "messages": messages,
            "path": received[0]["path"], "body": received[0]["body"], "key": cache.keys[0],
        })
server.shutdown()
(fixtures / "instructor-responses-requests.json").write_text(json.dumps(cases, indent=1) + "\n")
print(f"wrote {len(strict_rows)} strict schemas and {len(cases)} requests "
      f"(instructor {instructor.__version__}, openai {openai.__version__})")
