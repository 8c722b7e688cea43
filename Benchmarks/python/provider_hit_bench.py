"""Times Instructor 1.16's whole cached-call hit path per provider (Mode.TOOLS, AutoCache, one message,
a one-field model), each provider's own client pointed at a local stub that answers the priming miss in
that provider's format: OpenAI's chat completions and Responses API, Anthropic's Messages API and Gemini's
generateContent (through google-genai). Prints the figures
(microseconds per cached call), or one JSON object with --json.

    python3 Benchmarks/python/provider_hit_bench.py [--json]
"""
import json
import sys
import threading
import timeit
from http.server import BaseHTTPRequestHandler, HTTPServer

try:
    import anthropic
    import instructor
    import openai
    from google import genai
    from google.genai import types as genai_types
    from instructor.cache import AutoCache

    from bench_models import User
except ImportError as error:  # the Swift side reports this and skips the comparison
    print(json.dumps({"error": f"instructor, openai, anthropic or google-genai is not installed: {error}"}))
    sys.exit(3)


class Stub(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if ":generateContent" in self.path:
            reply = {
                "candidates": [{"content": {"role": "model", "parts": [
                    {"functionCall": {"name": "User", "args": {"name": "Jason"}}}]}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 7, "totalTokenCount": 18},
                "modelVersion": body.get("model", "bench-model"), "responseId": "resp_stub",
            }
        elif self.path.endswith("/responses"):
            reply = {
                "id": "resp_stub", "object": "response", "created_at": 1700000000, "status": "completed",
                "model": body["model"], "output": [{"type": "function_call", "id": "fc_stub", "call_id": "call_1",
                                                    "name": "User", "arguments": "{\"name\": \"Jason\"}",
                                                    "status": "completed"}],
                "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18},
                "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
            }
        elif self.path.endswith("/messages"):
            reply = {
                "id": "msg_stub", "type": "message", "role": "assistant", "model": body["model"],
                "content": [{"type": "tool_use", "id": "toolu_stub", "name": "User", "input": {"name": "Jason"}}],
                "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 11, "output_tokens": 7},
            }
        else:
            reply = {
                "id": "chatcmpl-stub", "object": "chat.completion", "created": 1700000000, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                    "role": "assistant", "content": None,
                    "tool_calls": [{"id": "call_1", "type": "function",
                                    "function": {"name": "User", "arguments": "{\"name\": \"Jason\"}"}}]}}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    server = HTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    messages = [{"role": "user", "content": "Extract: Jason"}]
    openai_client = instructor.from_openai(openai.OpenAI(base_url=base + "/v1", api_key="sk-stub"))
    anthropic_client = instructor.from_anthropic(anthropic.Anthropic(base_url=base, api_key="sk-ant-stub"))
    responses_client = instructor.from_openai(
        openai.OpenAI(base_url=base + "/v1", api_key="sk-stub"), mode=instructor.Mode.RESPONSES_TOOLS)
    gemini_client = instructor.from_genai(
        genai.Client(api_key="stub", http_options=genai_types.HttpOptions(base_url=base)))
    calls = {
        "instructor hit, openai": lambda cache: openai_client.chat.completions.create(
            model="bench-model", messages=messages, response_model=User, cache=cache),
        "instructor hit, anthropic": lambda cache: anthropic_client.messages.create(
            model="bench-model", max_tokens=1024, messages=messages, response_model=User, cache=cache),
        "instructor hit, openai responses": lambda cache: responses_client.responses.create(
            model="bench-model", input=messages, response_model=User, cache=cache),
        "instructor hit, gemini": lambda cache: gemini_client.chat.completions.create(
            model="bench-model", messages=messages, response_model=User, cache=cache),
    }
    rows = {}
    for label, call in calls.items():
        cache = AutoCache(maxsize=1000)
        call(cache)  # the miss, answered by the stub
        best = min(timeit.repeat(lambda: call(cache), number=2000, repeat=5))
        rows[label] = best / 2000 * 1e6
    server.shutdown()
    about = (f"instructor {instructor.__version__}, openai {openai.__version__}, anthropic {anthropic.__version__}, "
             f"google-genai {genai.__version__}, Python {sys.version.split()[0]}")
    if "--json" in sys.argv:
        print(json.dumps({"about": about, **rows}))
    else:
        for name, value in rows.items():
            print(f"{name:40} {value:10.1f} µs")
        print(about)


if __name__ == "__main__":
    main()
