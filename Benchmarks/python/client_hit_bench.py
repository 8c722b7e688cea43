"""Times Instructor 1.16's whole cached-call hit path (from_openai, Mode.TOOLS, AutoCache), against a
local stub endpoint that answers the priming miss, for the same two requests as the Swift client
benchmark: one message with a one-field model, and six ~2 KB messages with an 8-field model.
Prints the figures (microseconds per cached call), or one JSON object with --json.

    python3 Benchmarks/python/client_hit_bench.py [--json]
"""
import json
import sys
import threading
import timeit
from http.server import BaseHTTPRequestHandler, HTTPServer

try:
    import instructor
    from instructor.cache import AutoCache
    from openai import OpenAI

    from bench_models import Person, User, realistic_messages
except ImportError as error:  # the Swift side reports this and skips the comparison
    print(json.dumps({"error": f"instructor is not installed (pip install instructor==1.16.0): {error}"}))
    sys.exit(3)


ARGUMENTS = {
    "User": {"name": "Jason"},
    "Person": {"name": "Jason", "age": 25, "email": None, "tags": ["a", "b"],
               "address": {"street": "1 Main St", "city": "Paris", "country": "FR"}, "score": 0.5, "active": True,
               "nickname": None},
}


class Stub(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = body["tool_choice"]["function"]["name"]
        reply = json.dumps({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1700000000, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None,
                "tool_calls": [{"id": "call_1", "type": "function",
                                "function": {"name": name, "arguments": json.dumps(ARGUMENTS[name])}}]}}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def main():
    server = HTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = instructor.from_openai(
        OpenAI(base_url=f"http://127.0.0.1:{server.server_port}/v1", api_key="sk-stub"), mode=instructor.Mode.TOOLS)
    cache = AutoCache(maxsize=1000)
    rows = {}
    for label, model, messages, number in [
        ("instructor hit, one message (User)", User, [{"role": "user", "content": "Extract: Jason"}], 2000),
        ("instructor hit, six 2 KB messages (Person)", Person, realistic_messages(), 500),
    ]:
        def call():
            return client.chat.completions.create(
                model="gpt-4.1-mini", messages=messages, response_model=model, cache=cache)
        call()  # the miss, answered by the stub
        best = min(timeit.repeat(call, number=number, repeat=5))
        rows[label] = best / number * 1e6
    server.shutdown()
    about = f"instructor {instructor.__version__}, Python {sys.version.split()[0]}"
    if "--json" in sys.argv:
        print(json.dumps({"about": about, **rows}))
    else:
        for name, value in rows.items():
            print(f"{name:50} {value:10.1f} µs")
        print(about)


main()
