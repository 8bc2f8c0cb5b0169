"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for the summary tests.

Deterministic answers (the first line names the paper's title, so tests can tell
which paper a summary belongs to) and modes that are slow, fail with 429/500,
return garbage, or return hostile HTML. `fail_titles` makes only some papers fail.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# How often serve_forever checks for shutdown(): the default 0.5 s made every stop() wait ~0.4 s.
POLL_S = 0.01


class LLMStub:
    def __init__(self, token: str = "test-key"):
        self.token = token
        self.mode = "ok"  # ok | slow | 429 | 500 | garbage | hostile | empty | filtered
        self.delay = 0.0
        self.fail_titles: set[str] = set()
        self.answer: str | None = None  # a fixed answer ("{title}" is replaced by the paper's)
        self.fail_once: list[int] = []  # statuses to answer before behaving normally
        self.prompts: list[str] = []
        self.models: list[str] = []
        self.embedded: list[str] = []  # every text sent to /embeddings
        self.embeddings_fail = False  # answer /embeddings with a 500
        self.dims = 64  # of the vectors /embeddings answers (bench.caches: 1536, as text-embedding-3-small)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.request_queue_size = 64
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def calls(self) -> int:
        return len(self.prompts)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer_for(self, prompt: str) -> str:
        title = re.search(r"^Title: (.*)$", prompt, re.M)
        name = title.group(1) if title else "?"
        if self.answer is not None:
            return self.answer.replace("{title}", name)
        if self.mode == "hostile":
            return (f"**{name}** <script>alert('x')</script> <img src=x onerror=alert(1)> "
                    "[click](javascript:alert(1)) <a href=\"javascript:alert(2)\">a</a>\n\n- point")
        return f"**Summary of {name}.**\n\n- It does one thing.\n- It measures 42%."

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    return self._json(401, {"error": {"message": "bad key"}})
                if self.path.endswith("/embeddings"):
                    return self._embeddings(body)
                prompt = body["messages"][-1]["content"]
                with stub._lock:
                    stub.prompts.append(prompt)
                    stub.models.append(body.get("model"))
                    forced = stub.fail_once.pop(0) if stub.fail_once else None
                if forced:
                    return self._json(forced, {"error": {"message": "forced"}}, {"Retry-After": "0"})
                if stub.delay or stub.mode == "slow":
                    time.sleep(stub.delay or 3.0)
                if any(t in prompt for t in stub.fail_titles):
                    return self._json(500, {"error": {"message": "boom"}})
                if stub.mode in ("429", "500"):
                    return self._json(int(stub.mode), {"error": {"message": stub.mode}}, {"Retry-After": "0"})
                if stub.mode == "garbage":
                    return self._send(200, b"<html>not json", "text/html")
                content = "" if stub.mode == "empty" else stub.answer_for(prompt)
                finish = "content_filter" if stub.mode == "filtered" else "stop"
                self._json(200, {"id": "x", "object": "chat.completion", "model": body.get("model"),
                                 "choices": [{"index": 0, "finish_reason": finish,
                                              "message": {"role": "assistant", "content": content}}]})

            def _embeddings(self, body: dict) -> None:
                """Deterministic stand-in vectors: hashed bags of lower-cased words, `dims` dimensions."""
                if stub.embeddings_fail:
                    return self._json(500, {"error": {"message": "embeddings down"}})
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                with stub._lock:
                    stub.embedded.extend(texts)
                data = []
                for index, text in enumerate(texts):
                    vector = [0.0] * stub.dims
                    for word in re.findall(r"[a-z]{4,}", text.lower()):
                        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % stub.dims] += 1.0
                    data.append({"object": "embedding", "index": index, "embedding": vector})
                self._json(200, {"object": "list", "model": body.get("model"), "data": data})

            def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
                self._send(status, json.dumps(data).encode(), "application/json", headers)

            def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        return Handler
