"""Local fake Slack and Teams receivers (real HTTP servers on 127.0.0.1) and their formats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

#: What a receiver answers: status, body, headers.
Answer = tuple[int, str, dict[str, str]]
SCHEMAS = Path(__file__).parent / "schemas"
SLACK_SCHEMA = json.loads((SCHEMAS / "slack_message.schema.json").read_text(encoding="utf-8"))
TEAMS_SCHEMA = json.loads(
    (SCHEMAS / "teams_adaptive_card_1_4.schema.json").read_text(encoding="utf-8")
)


def check_slack(body: dict[str, Any]) -> None:
    """Raise unless *body* is a Block Kit incoming-webhook message."""
    jsonschema.Draft202012Validator(SLACK_SCHEMA).validate(body)


def check_teams(body: dict[str, Any]) -> None:
    """Raise unless *body* is a Teams workflow message carrying an Adaptive Card 1.4."""
    jsonschema.Draft202012Validator(TEAMS_SCHEMA).validate(body)


class Receiver:
    """A webhook endpoint answering from a script: (status, body, headers) per request, then 2xx.

    Slack answers 200 "ok" (400 "invalid_blocks" for a body off its format); Teams'
    workflow answers 202. Each body is checked against its format as it arrives.
    """

    def __init__(self, flavour: str, script: Sequence[Answer] = ()) -> None:
        self.flavour = flavour
        self.script = list(script)
        self.bodies: list[dict[str, Any]] = []
        self.invalid: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status, text, headers = receiver.answer(raw)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(text.encode())))
                self.end_headers()
                self.wfile.write(text.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/{flavour}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, raw: bytes) -> Answer:
        body = json.loads(raw)
        try:
            (check_slack if self.flavour == "slack" else check_teams)(body)
        except jsonschema.ValidationError as exc:
            self.invalid.append(exc.message)
            return 400, "invalid_blocks", {}
        if self.script:
            return self.script.pop(0)
        self.bodies.append(body)
        return (200, "ok", {}) if self.flavour == "slack" else (202, "", {})


@contextmanager
def receiving(flavour: str, script: Sequence[Answer] = ()) -> Iterator[Receiver]:
    """A :class:`Receiver` for the block."""
    hook = Receiver(flavour, script)
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()
