"""A stand-in for Upstash's Redis REST API, on top of a real Redis.

Speaks the protocol `UpstashKV` uses: POST a JSON array command to `/`, answer
`{"result": ...}` (bytes as text) or `{"error": "..."}` with HTTP 400; POST a
JSON array of commands to `/pipeline`, answer an array of those objects; a
missing or wrong `Authorization: Bearer <token>` gets HTTP 401
`{"error": "Unauthorized"}`. Commands go to Redis unchanged (`execute_command`
with redis-py's reply parsing turned off, so `SET` answers "OK" as Upstash does).

`mode` makes it misbehave for fault tests: "garbage" (HTTP 200, not JSON),
"500" (HTTP 500, an HTML page), "echo" (HTTP 400 quoting the Authorization
header), "slow" (answers after `delay` seconds).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

# How often serve_forever checks for shutdown(): the default 0.5 s made every stop() wait ~0.4 s.
POLL_S = 0.01


def _plain(value: object) -> object:
    """A Redis reply as JSON: bytes to text, lists element by element."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when 20 requests arrive at once


class UpstashServer:
    def __init__(self, redis_url: str, token: str = "test-token"):
        self.token = token
        self.mode = "ok"
        self.delay = 1.0
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=5)
        self.redis.response_callbacks.clear()  # raw replies: b"OK", b"PONG", not True
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> UpstashServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
        self.redis.close()

    def run(self, command: object) -> dict:
        if not isinstance(command, list) or not command or not all(isinstance(a, (str, int, float)) for a in command):
            return {"error": "ERR command must be a non-empty JSON array of strings and numbers"}
        try:
            return {"result": _plain(self.redis.execute_command(*command))}
        except redis.ResponseError as exc:
            return {"error": str(exc)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return None

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test)

            def _json(self, status: int, payload: object) -> None:
                self._send(status, json.dumps(payload).encode())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    return self._json(401, {"error": "Unauthorized"})
                if server.mode == "garbage":
                    return self._send(200, b"<html>surprise</html>", "text/html")
                if server.mode == "500":
                    return self._send(500, b"<html><h1>500 Internal Server Error</h1></html>", "text/html")
                if server.mode == "echo":  # a proxy that repeats the request in its error
                    return self._json(400, {"error": f"bad request with {self.headers.get('Authorization')}"})
                if server.mode == "slow":
                    time.sleep(server.delay)
                try:
                    request = json.loads(body)
                except ValueError:
                    return self._json(400, {"error": "ERR failed to parse the command"})
                path = self.path.rstrip("/")
                if path == "":
                    answer = server.run(request)
                    return self._json(400 if "error" in answer else 200, answer)
                if path == "/pipeline":
                    if not isinstance(request, list):
                        return self._json(400, {"error": "ERR pipeline must be a JSON array of commands"})
                    return self._json(200, [server.run(command) for command in request])
                return self._json(404, {"error": "ERR unknown endpoint"})

        return Handler
