"""A stand-in LLM server on 127.0.0.1: OpenAI chat completions and Ollama's /api/chat, streaming.

No model weights can be downloaded here, so the real client libraries talk to this server, whose
"model" is a script: `server.reply` maps the request's messages to the reply text, and `server.mode`
makes it misbehave ("hang", "error", "reject-schema").
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
PASSAGE = re.compile(r"<<<PASSAGE (\d+):[^\n]*>>>\n(.*?)\n<<<END OF PASSAGE \1>>>", re.DOTALL)


def passages(messages: Messages) -> dict[int, str]:
    """The numbered passages of an answer request, as the model sees them."""
    return {int(n): text for n, text in PASSAGE.findall(messages[-1]["content"])}


def cite(word: str, claim: str) -> Callable[[Messages], str]:
    """A model that answers `claim`, quoting the first sentence of the first passage holding `word`."""

    def reply(messages: Messages) -> str:
        for n, text in passages(messages).items():
            for sentence in re.split(r"(?<=[.!?”])\s+", text):
                if word in sentence:
                    return json.dumps(
                        {
                            "answerable": True,
                            "claims": [{"text": claim, "citations": [{"passage": n, "quote": sentence}]}],
                        }
                    )
        return json.dumps({"answerable": False, "claims": []})

    return reply


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply: Callable[[Messages], str] = lambda messages: "{}"
        self.mode = "ok"
        self.rewritten = ""
        self.translated = ""
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []

    def respond(self, messages: Messages) -> str:
        """Rewrite and translate requests get `rewritten` / `translated`; answers come from `reply`."""
        system, user = messages[0]["content"], messages[-1]["content"]
        if system.startswith("Rewrite"):
            return self.rewritten or user.rsplit("Last question: ", 1)[-1]
        if system.startswith("Translate"):
            return self.translated or user
        return self.reply(messages)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if passages(r["messages"])]

    def system_prompts(self) -> list[str]:
        return [r["messages"][0]["content"] for r in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append(body)
        self.server.headers_seen.append(dict(self.headers))
        if self.server.mode == "hang":
            time.sleep(30)
            return
        if self.server.mode == "error":
            self._send(500, "application/json", b'{"error": {"message": "model crashed"}}')
            return
        constrained = "response_format" in body or "format" in body
        if self.server.mode == "reject-schema" and constrained:
            self._send(400, "application/json", b'{"error": {"message": "response_format is not supported"}}')
            return
        text = self.server.respond(body["messages"])
        if self.path.endswith("/chat/completions"):
            self._openai(body, text)
        elif self.path == "/api/chat":
            self._ollama(body, text)
        else:
            self._send(404, "text/plain", b"unknown path")

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _openai(self, body: dict[str, Any], text: str) -> None:
        base = {"id": "chatcmpl-1", "created": 0, "model": body.get("model", "m")}
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
            data = {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            self._send(200, "application/json", json.dumps(data).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in _pieces(text):
            delta = {"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}
            self._event({**base, "object": "chat.completion.chunk", "choices": [delta]})
        self._event(
            {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        )
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()

    def _ollama(self, body: dict[str, Any], text: str) -> None:
        model = body.get("model", "m")
        lines = [
            {
                "model": model,
                "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": p},
                "done": False,
            }
            for p in _pieces(text)
        ]
        lines.append(
            {
                "model": model,
                "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
            }
        )
        if body.get("stream", True):
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            for line in lines:
                self.wfile.write(json.dumps(line).encode() + b"\n")
                self.wfile.flush()
        else:
            whole = {**lines[-1], "message": {"role": "assistant", "content": text}}
            self._send(200, "application/json", json.dumps(whole).encode())


def _pieces(text: str, size: int = 12) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]


@contextmanager
def fake_llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
