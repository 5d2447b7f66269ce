"""Take the README's screenshots: every kiosk page at 1920x1080 and 3840x2160 with demo data.

Run against a server started with `make run` (or any URL):

    python docs/screenshots/make.py [http://127.0.0.1:8050]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options

HERE = Path(__file__).resolve().parent
SIZES = ((1920, 1080), (3840, 2160))
PAGES = ("overview", "feed", "labels")


def main() -> None:
    """Open each kiosk page at each size in headless Chromium and save a PNG."""
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8050"
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    flags = "--headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run"
    for flag in (*flags.split(), "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    try:
        for width, height in SIZES:
            # Exactly this viewport, as a wall screen has it.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            for page in PAGES:
                driver.get(f"{base}/kiosk?pages={page}&interval=300")
                time.sleep(4)
                out = HERE / f"kiosk-{page}-{width}x{height}.png"
                driver.save_screenshot(str(out))
                print(out)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
