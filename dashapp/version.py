"""The running build's identity, which wall screens compare to know when to reload."""

from __future__ import annotations

import time
from importlib.metadata import PackageNotFoundError, version

try:
    PACKAGE_VERSION = version("feedbackwall")
except PackageNotFoundError:  # running from a checkout that was never installed
    PACKAGE_VERSION = "0+unknown"

#: Package version plus this process's start: a restart or an upgrade changes it,
#: and a screen that sees it change reloads once to pick up new front-end code.
BUILD = f"{PACKAGE_VERSION}+{int(time.time())}"
