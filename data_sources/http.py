"""Poll a paginated JSON API: by cursor token or by "since" timestamp, with retries and backoff.

The API answers ``GET url?limit=N[&cursor=T | &since=S]`` with a JSON object
holding a list of records in the canonical schema under ``items_key``.

* ``mode="cursor"``: the answer's ``next_key`` is the token for the next page;
  null or missing means no more pages for now, and the next poll asks for the
  last page again (dedupe drops what was already stored).
* ``mode="since"``: the API returns records whose ``timestamp_field`` is at or
  after ``since``, oldest first; the cursor keeps the newest timestamp seen
  and the ids seen at exactly that instant, which are not handed on again.
  Fewer records than ``page_size`` may share one instant: a full page at the
  mark cannot be got past (the poll stops and says so in its notes and log).

Retries (tenacity, exponential backoff) cover connection errors, timeouts, 429
and 5xx, honouring Retry-After up to a cap; every poll gives up within
``max_elapsed`` seconds so it cannot hold the scheduler, and the poller's own
backoff takes over. Other 4xx fail at once. Redirects are not followed. A page
that is not JSON, or whose items are not a list, is refused whole ("garbage");
an item that is not an object becomes a rejected record with its page and
index, so one bad item never blocks the rest.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import math
import time
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
)

from data_sources.base import Batch, Cursor, Located, SourceError
from data_sources.files import Malformed

log = logging.getLogger(__name__)

#: Longest wait honoured from a Retry-After header, in seconds.
MAX_RETRY_AFTER = 30.0
#: Longest exponential wait between two attempts, in seconds.
MAX_WAIT = 15.0
#: Most ids kept in a "since" cursor for the boundary instant; beyond that dedupe copes.
MAX_SEEN_IDS = 1000
MODES = ("cursor", "since")


class _Retryable(Exception):
    """A failure worth another try (network, timeout, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None if unusable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def instant(value: Any) -> dt.datetime | None:
    """A record's timestamp as an aware UTC datetime (ISO text, naive = UTC, or epoch seconds)."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def display_url(url: str) -> str:
    """*url* without credentials or query string, fit for messages and logs."""
    try:
        parsed = httpx.URL(url)
        return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))
    except (httpx.InvalidURL, TypeError, ValueError):
        return "<invalid URL>"


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class HttpSource:
    """A JSON API that pages through responses, polled with retries inside a time budget.

    ``timeout`` and ``max_elapsed`` are seconds; ``backoff`` is the first wait
    between attempts in seconds, doubled per attempt. Timestamps without a zone
    are taken as UTC when comparing them in ``since`` mode.
    """

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
        max_elapsed: float = 60.0,
    ) -> None:
        prefix = f"source {name!r}"
        try:
            parsed = httpx.URL(url) if isinstance(url, str) else None
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise SourceError(f"{prefix}: option 'url' must be an http(s) URL")
        if mode not in MODES:
            raise SourceError(f"{prefix}: option 'mode' must be 'cursor' or 'since', not {mode!r}")
        if token is not None and (not isinstance(token, str) or not token.strip()):
            raise SourceError(f"{prefix}: option 'token' must be non-empty text")
        for option, value in (
            ("items_key", items_key),
            ("cursor_param", cursor_param),
            ("next_key", next_key),
            ("since_param", since_param),
            ("timestamp_field", timestamp_field),
        ):
            if not isinstance(value, str) or not value:
                raise SourceError(f"{prefix}: option {option!r} must be non-empty text")
        if not isinstance(page_size_param, str):
            raise SourceError(f"{prefix}: option 'page_size_param' must be text ('' to omit)")
        for option, count, least in (("page_size", page_size, 1), ("retries", retries, 0)):
            if isinstance(count, bool) or not isinstance(count, int) or count < least:
                raise SourceError(f"{prefix}: option {option!r} must be a whole number >= {least}")
        for option, seconds in (
            ("timeout", timeout),
            ("backoff", backoff),
            ("max_elapsed", max_elapsed),
        ):
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or not math.isfinite(seconds)
                or seconds < 0
                or (seconds == 0 and option != "backoff")
            ):
                raise SourceError(
                    f"{prefix}: option {option!r} must be a positive number of seconds"
                )
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
        self.timeout = float(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_elapsed = float(max_elapsed)
        self._where = display_url(url)
        headers = {"Accept": "application/json", "User-Agent": "feedbackwall"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # A redirect could carry the bearer token to another host: never follow one.
        self._client = httpx.Client(headers=headers, timeout=self.timeout, follow_redirects=False)

    def poll(self, cursor: Cursor | None) -> Batch:
        """One page after *cursor* (None: the first page); gives up within ``max_elapsed`` s."""
        state = dict(cursor or {})
        page = state.get("page", 0)
        page = (page if isinstance(page, int) and not isinstance(page, bool) else 0) + 1
        params: dict[str, Any] = {}
        if self.page_size_param:
            params[self.page_size_param] = self.page_size
        key = "cursor" if self.mode == "cursor" else "since"
        sent = state.get(key)
        if sent not in (None, ""):
            params[self.cursor_param if self.mode == "cursor" else self.since_param] = sent
        body = self._fetch(params)
        items = body.get(self.items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourceError(
                f"{self._where}: no list under {self.items_key!r} in the answer (garbage)"
            )
        if self.mode == "cursor":
            return self._after_cursor(body, items, sent, page)
        return self._after_since(items, state, page)

    def close(self) -> None:
        """Close the HTTP connections; the source cannot poll afterwards."""
        self._client.close()

    def _located(self, item: Any, page: int, index: int) -> Located:
        location = f"{self.name} page {page} index {index}"
        if isinstance(item, dict):
            return location, item
        return location, Malformed(_excerpt(json.dumps(item), 80), "is not a JSON object")

    def _after_cursor(self, body: dict[str, Any], items: list[Any], sent: Any, page: int) -> Batch:
        records = [self._located(item, page, index) for index, item in enumerate(items)]
        token = body.get(self.next_key)
        if token in (None, ""):
            # The end for now. Keep the token that led here, so the next poll
            # asks for this last page again and sees what was added to it.
            return Batch(records, {"cursor": sent, "page": page}, more=False)
        if not isinstance(token, str | int) or isinstance(token, bool):
            raise SourceError(
                f"{self._where}: {self.next_key!r} is {_excerpt(json.dumps(token), 40)}, "
                "not a cursor (garbage)"
            )
        notes: list[str] = []
        if token == sent:
            # The API handed back the cursor it was given: asking again now
            # would only repeat this page, so wait for the next poll.
            notes.append(f"{self._where} returned the cursor it was sent ({token!r})")
            log.warning("source %s: %s", self.name, notes[-1])
        more = bool(items) and token != sent
        return Batch(records, {"cursor": token, "page": page}, more=more, notes=notes)

    def _after_since(self, items: list[Any], state: dict[str, Any], page: int) -> Batch:
        since = state.get("since")
        since_at = instant(since)
        seen = {str(i) for i in state.get("seen") or () if i is not None}
        newest_at, newest, at_newest = since_at, since, set(seen) if since_at else set()
        records: list[Located] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                records.append(self._located(item, page, index))
                continue
            at = instant(item.get(self.timestamp_field))
            ident = None if item.get("id") is None else str(item.get("id"))
            if at is not None and at == since_at and ident in seen:
                continue  # read last time at the boundary instant
            records.append(self._located(item, page, index))
            if at is None:
                continue  # validation rejects it; it cannot move the mark
            if newest_at is None or at > newest_at:
                newest_at, newest, at_newest = at, item[self.timestamp_field], set()
            if at == newest_at and ident is not None:
                at_newest.add(ident)
        notes: list[str] = []
        full = len(items) >= self.page_size
        moved = newest_at is not None and (since_at is None or newest_at > since_at)
        if full and not moved:
            # The API would send this same page again: more records share one
            # instant than a page holds. Stop rather than spin; dedupe keeps it exact.
            notes.append(
                f"{self._where}: a full page of {len(items)} items all at or before {since!r}; "
                "raise page_size to get past them"
            )
            log.warning("source %s: %s", self.name, notes[-1])
        next_cursor = {"since": newest, "seen": sorted(at_newest)[:MAX_SEEN_IDS], "page": page}
        return Batch(records, next_cursor, more=full and moved, notes=notes)

    def _wait(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: Retry-After when given (capped), else exponential."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        return float(wait_exponential(multiplier=self.backoff, max=MAX_WAIT)(state))

    def _get(self, params: dict[str, Any], deadline: float) -> Any:
        """One request: the decoded JSON, or _Retryable / SourceError saying why not."""
        # The last attempt may not run past the poll's time budget either.
        timeout = min(self.timeout, max(0.5, deadline - time.monotonic()))
        try:
            # Merged by hand: httpx would replace the URL's own query (?region=eu) with params.
            url = httpx.URL(self.url).copy_merge_params(params)
            response = self._client.get(url, timeout=timeout)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        except httpx.HTTPError as exc:
            raise SourceError(f"{self._where}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(
                f"HTTP {status}", retry_after_seconds(response.headers.get("Retry-After"))
            )
        if 300 <= status < 400:
            try:
                target = response.headers.get("Location")
                to = f" to {display_url(str(response.url.join(target)))}" if target else ""
            except (httpx.InvalidURL, TypeError, ValueError):
                to = " to an invalid URL"
            raise SourceError(
                f"{self._where}: HTTP {status} redirect{to} not followed; configure the final URL"
            )
        if status >= 400:
            raise SourceError(f"{self._where}: HTTP {status}: {_excerpt(response.text)}")
        try:
            return json.loads(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
            raise SourceError(
                f"{self._where}: the answer is not JSON (garbage): {_excerpt(response.text, 80)!r}"
            ) from None

    def _fetch(self, params: dict[str, Any]) -> Any:
        """The decoded answer, retrying what may pass, within ``max_elapsed`` seconds."""
        started = time.monotonic()
        deadline = started + self.max_elapsed
        try:
            for attempt in Retrying(
                retry=retry_if_exception_type(_Retryable),
                stop=stop_after_attempt(self.retries + 1) | stop_before_delay(self.max_elapsed),
                wait=self._wait,
                reraise=True,
            ):
                with attempt:
                    return self._get(params, deadline)
        except _Retryable as exc:
            tries = attempt.retry_state.attempt_number
            wanted = f", asked to wait {exc.retry_after:.0f} s" if exc.retry_after else ""
            raise SourceError(
                f"{self._where}: {exc}{wanted}; gave up after {tries} attempt(s) "
                f"in {time.monotonic() - started:.1f} s"
            ) from None
        raise AssertionError("unreachable: tenacity returns or raises")
