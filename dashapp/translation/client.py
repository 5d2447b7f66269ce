"""What the translation job asks of a translator, and a client of a LibreTranslate-compatible one.

LibreTranslate's ``POST /translate`` takes ``q`` (a list of texts), ``source``
(an ISO 639-1 code, or ``auto``), ``target``, ``format`` and ``api_key``, and
answers ``translatedText`` as a list in the same order, with a
``detectedLanguage`` per text when the source was ``auto``. Self-hosted
instances and compatible services speak the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

#: Longest translation kept: a translator answering more than this is not trusted.
MAX_TRANSLATION_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Translated:
    """One text's translation (None: the translator cannot translate it) and its language."""

    text: str | None
    source: str | None


class TranslatorUnavailable(Exception):
    """The translator cannot answer now (unreachable, busy, refused the key, answered
    nonsense): nothing is stored, and the job asks again on its next run."""


class Untranslatable(Exception):
    """The translator refuses this request as such (e.g. a language it does not know)."""


class Translator(Protocol):
    """Translates texts of one source language (None: let the translator detect it)."""

    def translate(
        self, texts: Sequence[str], source: str | None, target: str
    ) -> list[Translated]: ...


class LibreTranslate:
    """A client of ``POST {url}/translate``, one request per call."""

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/translate"
        self.api_key = api_key
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def translate(self, texts: Sequence[str], source: str | None, target: str) -> list[Translated]:
        """*texts* in *target*, in order (Untranslatable on a 400, TranslatorUnavailable else)."""
        body: dict[str, Any] = {
            "q": list(texts),
            "source": source or "auto",
            "target": target,
            "format": "text",
        }
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            response = self._client.post(self.endpoint, json=body)
        except httpx.HTTPError as exc:
            raise TranslatorUnavailable(f"{self.endpoint}: {type(exc).__name__}") from None
        if response.status_code == 400:
            raise Untranslatable(_error(response))
        if response.status_code != 200:
            raise TranslatorUnavailable(
                f"{self.endpoint}: HTTP {response.status_code} {_error(response)}"
            )
        return _parse(response, len(texts), source)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _error(response: httpx.Response) -> str:
    try:
        found = response.json()
    except ValueError:
        return ""
    return str(found.get("error", ""))[:200] if isinstance(found, dict) else ""


def _parse(response: httpx.Response, count: int, source: str | None) -> list[Translated]:
    """The answer's translations, checked: as many strings as texts, each of sane length."""
    try:
        found = response.json()
    except ValueError:
        raise TranslatorUnavailable("the translator's answer is not JSON") from None
    texts = found.get("translatedText") if isinstance(found, dict) else None
    if count == 1 and isinstance(texts, str):
        texts = [texts]
    if (
        not isinstance(texts, list)
        or len(texts) != count
        or not all(isinstance(t, str) and len(t) <= MAX_TRANSLATION_CHARS for t in texts)
    ):
        raise TranslatorUnavailable("the translator's answer does not match the texts sent")
    detected = found.get("detectedLanguage")
    if count == 1 and isinstance(detected, dict):
        detected = [detected]
    languages: list[str | None] = [source] * count
    if source is None and isinstance(detected, list) and len(detected) == count:
        languages = [_language(item) for item in detected]
    return [Translated(text, language) for text, language in zip(texts, languages, strict=True)]


def _language(item: object) -> str | None:
    code = item.get("language") if isinstance(item, dict) else None
    return code[:8] if isinstance(code, str) and code.isascii() and code.isalpha() else None
