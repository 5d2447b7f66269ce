"""Poll a paginated JSON API: by cursor token or by "since" timestamp, with retries and backoff.

Retries (tenacity, exponential backoff) cover connection errors, timeouts, 429
and 5xx, honouring Retry-After up to a cap; other 4xx fail at once. Redirects
are not followed. A page that is not JSON, or whose items are not a list, is
refused whole ("garbage"); an item that is not an object becomes a rejected
record with its page and index, so one bad item never blocks the rest.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from data_sources.base import Batch, Cursor, Located, SourceError
from data_sources.files import Malformed

#: Longest wait honoured from a Retry-After header, in seconds.
MAX_RETRY_AFTER = 30.0


class _Retryable(Exception):
    """A failure worth another try (network, timeout, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class HttpSource:
    """A JSON API that pages through responses."""

    def __init__(
        self,
        name: str,
        *,
        url: str,
        token: str | None = None,
        mode: str = "cursor",
        items_key: str = "items",
        cursor_param: str = "cursor",
        next_key: str = "next_cursor",
        since_param: str = "since",
        timestamp_field: str = "submitted_at",
        page_size: int = 500,
        page_size_param: str = "limit",
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 1.0,
    ) -> None:
        if mode not in ("cursor", "since"):
            raise SourceError(f"source {name!r}: option 'mode' must be 'cursor' or 'since'")
        if not url.startswith(("http://", "https://")):
            raise SourceError(f"source {name!r}: option 'url' must be an http(s) URL")
        self.name = name
        self.url = url
        self.mode = mode
        self.items_key = items_key
        self.cursor_param = cursor_param
        self.next_key = next_key
        self.since_param = since_param
        self.timestamp_field = timestamp_field
        self.page_size = page_size
        self.page_size_param = page_size_param
        self.retries = retries
        self.backoff = backoff
        headers = {"Accept": "application/json", "User-Agent": "feedbackwall"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(headers=headers, timeout=timeout, follow_redirects=False)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return wait_exponential(multiplier=self.backoff, max=30)(state)

    def _get(self, params: dict[str, Any]) -> Any:
        response = self._client.get(self.url, params=params)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After", "")
            raise _Retryable(
                f"HTTP {response.status_code}",
                float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None,
            )
        if response.is_redirect:
            raise SourceError(f"{self.url}: HTTP {response.status_code} redirect (not followed)")
        if response.status_code >= 400:
            raise SourceError(f"{self.url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(
                f"{self.url}: the answer is not JSON (garbage): {response.text[:80]!r}"
            ) from None

    def _fetch(self, params: dict[str, Any]) -> Any:
        def attempt() -> Any:
            try:
                return self._get(params)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                raise _Retryable(f"{type(exc).__name__}: {exc}") from None

        try:
            for call in Retrying(
                retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
                stop=stop_after_attempt(self.retries + 1),
                wait=self._wait,
                reraise=True,
            ):
                with call:
                    return attempt()
        except _Retryable as exc:
            raise SourceError(f"{self.url}: {exc} after {self.retries + 1} attempts") from None
        raise AssertionError("unreachable")

    def poll(self, cursor: Cursor | None) -> Batch:
        """One page after *cursor*: ``{"cursor": token}`` or ``{"since": timestamp}``."""
        params: dict[str, Any] = {self.page_size_param: self.page_size}
        if cursor and self.mode == "cursor" and cursor.get("cursor") is not None:
            params[self.cursor_param] = cursor["cursor"]
        if cursor and self.mode == "since" and cursor.get("since") is not None:
            params[self.since_param] = cursor["since"]
        body = self._fetch(params)
        items = body.get(self.items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourceError(
                f"{self.url}: no list under {self.items_key!r} in the answer (garbage)"
            )
        page = (cursor or {}).get("page", 0) + 1
        records: list[Located] = []
        for index, item in enumerate(items):
            location = f"{self.name} page {page} index {index}"
            if isinstance(item, dict):
                records.append((location, item))
            else:
                records.append((location, Malformed(repr(item)[:80], "is not a JSON object")))
        if self.mode == "cursor":
            token = body.get(self.next_key)
            if token is None:
                # The end for now: keep the last token so the next poll asks after it.
                return Batch(records, {**(cursor or {}), "page": page}, more=False)
            return Batch(records, {"cursor": token, "page": page}, more=bool(items))
        stamps = [i.get(self.timestamp_field) for i in items if isinstance(i, dict)]
        newest = max((s for s in stamps if isinstance(s, str)), default=None)
        since = max(filter(None, [newest, (cursor or {}).get("since")]), default=None)
        # Items at exactly `since` come again next time; dedupe makes that harmless.
        return Batch(records, {"since": since, "page": page}, more=len(items) >= self.page_size)
