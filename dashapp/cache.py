"""Flask-Caching configuration from FEEDBACKWALL_CACHE_URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Flask
from flask_caching import Cache


def cache_config(url: str) -> dict[str, Any]:
    """Flask-Caching settings for a cache URL.

    ``simple`` (default) is per process; ``redis://`` is shared by every worker
    and host; ``filesystem:///dir`` is shared by the workers of one host.
    """
    if url in ("", "simple"):
        return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
    if url == "null":
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if url.startswith(("redis://", "rediss://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": "fw:"}
    if url.startswith("filesystem://"):
        return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": urlparse(url).path}
    raise ValueError(f"unsupported cache URL {url!r}")


def make_cache(server: Flask, url: str) -> Cache:
    """A Cache bound to *server*; usable outside a request (the engine calls it from jobs)."""
    return Cache(server, config=cache_config(url))
