"""Writes Fixtures/instructor-openai-request-path.json: the cache key Instructor 1.16's whole request path
computes for OpenAI (its mode handlers, then its message converter, which turns a null or empty content
into []) and the messages it sends, for conversations with tool calls and empty contents in every mode.
Instructor runs for real, against a local server that answers in OpenAI's format.

Run from the repository root (pip install instructor==1.16.0 openai):
    python3 Tests/FixtureGenerators/generate_instructor_openai_path.py
"""
import json
from pathlib import Path

import instructor
import openai
from instructor.v2.core.mode import Mode

from generate_instructor_requests import User
from recording_stub import RecordingCache, start


def completion(path, body):
    """A chat completion: the tool call the request forces, or the answer as content."""
    arguments = json.dumps({"name": "Jason"})
    if body.get("tools"):
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "User", "arguments": arguments}}]}
    else:
        message = {"role": "assistant", "content": arguments}
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


CONVERSATIONS = {
    "tool_turn": [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Look Jason up."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\": \"Jason\"}"}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "Jason, 25"},
        {"role": "user", "content": "Extract him."},
    ],
    "empty_content": [
        {"role": "user", "content": ""},
        {"role": "user", "content": "Extract: Jason"},
    ],
    "parts": [
        {"role": "user", "content": [{"type": "text", "text": "Extract: "}, {"type": "text", "text": "Jason"}]},
    ],
}

server, base_url, received = start(completion)
cases = []
for mode in (Mode.TOOLS, Mode.JSON, Mode.JSON_SCHEMA, Mode.MD_JSON):
    client = instructor.from_openai(
        openai.OpenAI(base_url=base_url + "/v1", api_key="sk-test"), mode=mode)
    for name, messages in CONVERSATIONS.items():
        cache = RecordingCache()
        received.clear()
        client.chat.completions.create(
            model="gpt-4.1-mini", messages=json.loads(json.dumps(messages)), response_model=User, cache=cache,
            max_retries=0)
        cases.append({"mode": mode.value, "conversation": name, "messages": messages,
                      "sent": received[0]["body"]["messages"], "key": cache.keys[0]})
server.shutdown()
out = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures" / "instructor-openai-request-path.json"
out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(cases)} cases to {out} (instructor {instructor.__version__}, openai {openai.__version__})")
