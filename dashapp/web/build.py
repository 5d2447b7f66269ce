"""The running build's identity, which wall screens compare to know when to reload.

Every page carries the build id it was served with (``data-version`` on
``#fw-settings``, see layouts/shell.py); assets/wall.js compares it with
``GET /api/v1/version`` on each heartbeat and reloads once when they differ.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from flask import Flask, current_app, has_app_context

try:
    PACKAGE_VERSION = version("feedbackwall")
except PackageNotFoundError:  # running from a checkout that was never installed
    PACKAGE_VERSION = "0+unknown"

#: What a screen runs: the browser's files and the Python that draws and answers the pages.
#: The folder holding the packages: the checkout, or site-packages when installed.
_ROOT = Path(__file__).resolve().parents[2]
_CODE = {"dashapp": (".py", ".js", ".css"), "layouts": (".py",), "callbacks": (".py",)}
#: Where an app keeps the build id it reports and renders (tests set another to act an upgrade).
CONFIG_KEY = "FEEDBACKWALL_BUILD"


def code_digest(root: Path = _ROOT) -> str:
    """A short digest of the code a screen runs (pure over the files' names and bytes).

    Derived from the code rather than from the start time: every worker and host
    serving the same code reports the same build (a time-based id differed per
    gunicorn worker, and a screen polling several would reload on every beat),
    and new code changes it.
    """
    digest = hashlib.blake2b(digest_size=6)
    for folder, suffixes in _CODE.items():
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in suffixes and path.is_file():
                digest.update(path.relative_to(root).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


#: Package version plus the code's digest: an upgrade (or any change of the code) changes
#: it, and a screen that sees it change reloads once to pick up the new front-end code.
BUILD = f"{PACKAGE_VERSION}+{code_digest()}"


def build_of(app: Flask | None = None) -> str:
    """The build id *app* (default: the current one) reports and renders into its pages."""
    if app is None:
        if not has_app_context():
            return BUILD
        app = current_app
    return str(app.config.get(CONFIG_KEY, BUILD))
