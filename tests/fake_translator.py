"""A LibreTranslate-compatible translator on 127.0.0.1 for tests: ``POST /translate``.

It "translates" by a small phrase book, else by tagging the text with the target
(``[en] text``), detects the language of ``source=auto`` texts from the phrase
book, refuses (400) any text containing ``REFUSE`` as LibreTranslate refuses an
unsupported language, checks the API key when given one, and can be scripted to
fail the next requests (HTTP status, a hang, nonsense).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (source, target, text) -> translation
PHRASES = {
    ("sv", "en", "Leveransen var sen"): "The delivery was late",
    ("sv", "de", "Leveransen var sen"): "Die Lieferung kam spät",
    ("de", "en", "Schnelle Lieferung"): "Fast delivery",
    ("nl", "en", "Goed product"): "Good product",
}
#: What "auto" detects.
DETECT = {"Leveransen var sen": "sv", "Schnelle Lieferung": "de", "Goed product": "nl"}


class FakeTranslator:
    """The server, what it was asked, and what it should do with the next requests."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        #: Per coming request: an HTTP status, "hang" (sleep 3 s) or "nonsense" (wrong count).
        self.script: list[int | str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, body = fake.answer(self.path, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, raw: bytes) -> tuple[int, Any]:
        body = json.loads(raw)
        self.requests.append(body)
        if path != "/translate":
            return 404, {"error": "not found"}
        if self.script:
            step = self.script.pop(0)
            if step == "hang":
                time.sleep(3)
            elif step == "nonsense":
                return 200, {"translatedText": ["only one"] * (len(body["q"]) + 1)}
            elif isinstance(step, int):
                return step, {"error": f"scripted {step}"}
        if self.api_key is not None and body.get("api_key") != self.api_key:
            return 403, {"error": "Invalid API key"}
        texts = body["q"] if isinstance(body["q"], list) else [body["q"]]
        if any("REFUSE" in text for text in texts):
            return 400, {"error": "language not supported"}
        source, target = body["source"], body["target"]
        detected = [DETECT.get(text, "en") for text in texts]
        out = [
            PHRASES.get((DETECT.get(t, "en") if source == "auto" else source, target, t))
            or f"[{target}] {t}"
            for t in texts
        ]
        answer: dict[str, Any] = {"translatedText": out}
        if source == "auto":
            answer["detectedLanguage"] = [{"confidence": 90, "language": d} for d in detected]
        return 200, answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def translator(api_key: str | None = None) -> Iterator[FakeTranslator]:
    """A fake translator for the block."""
    fake = FakeTranslator(api_key)
    try:
        yield fake
    finally:
        fake.close()
