"""What the fixture generators that run Instructor for real share: a local HTTP server that records each
request and answers it in a provider's format, and a cache that records the keys Instructor asks for.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from instructor.cache import BaseCache


class RecordingCache(BaseCache):
    """Misses every read; `keys` holds each key asked for and each key stored, in order."""

    def __init__(self):
        self.keys = []

    def get(self, key):
        self.keys.append(key)
        return None

    def set(self, key, value, ttl=None):
        self.keys.append(key)


def start(answer):
    """Starts a server on a free loopback port whose POSTs are answered with `answer(path, body)`, a JSON
    value. Returns the server, its base URL and the list each request is appended to as
    `{"path", "body"}`."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "body": body})
            data = json.dumps(answer(self.path, body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", received
