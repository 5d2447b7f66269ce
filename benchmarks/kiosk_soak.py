"""Kiosk soak: a wall screen left alone, its JS heap recorded every minute.

Starts `feedbackwall run --demo` on 127.0.0.1 with a store of its own, opens
`/kiosk?pages=overview,feed,labels&interval=5` in headless Chromium, and every
minute forces a garbage collection (DevTools protocol) and records the used JS
heap and the DOM node count. Bounded: stops by itself after --minutes.

    python -m benchmarks.kiosk_soak --minutes 60

Target: after the first 10 minutes the heap grows by less than 20 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.options import Options

from benchmarks.common import save
from tests.servers import free_port, wait_for

URL = "/kiosk?pages=overview,feed,labels&interval=5"


def browser() -> webdriver.Chrome:
    """Headless Chromium as a wall screen runs it (1920x1080)."""
    options = Options()
    options.binary_location = os.environ.get("BROWSER_PATH", "/usr/bin/chromium")
    flags = "--headless=new --no-sandbox --disable-gpu --no-first-run --window-size=1920,1080"
    for flag in (*flags.split(), "--disable-background-networking", "--disable-component-update"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def sample(driver: webdriver.Chrome) -> dict[str, float]:
    """Used JS heap (MB) after a forced garbage collection, and DOM nodes."""
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    heap = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})
    nodes = driver.execute_script("return document.getElementsByTagName('*').length")
    return {"heap_mb": round(heap["usedSize"] / 1e6, 2), "dom_nodes": nodes}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": f"sqlite:///{Path(tmp) / 'soak.db'}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "dashapp.cli", "run", "--demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        driver = None
        try:
            wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 60)
            time.sleep(20)  # let the demo history seed
            driver = browser()
            driver.get(base + URL)
            started = time.monotonic()
            samples = []
            for minute in range(args.minutes + 1):
                while time.monotonic() < started + 60 * minute:
                    time.sleep(1)
                samples.append({"minute": minute, **sample(driver)})
                print(samples[-1], flush=True)
        finally:
            if driver is not None:
                driver.quit()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    at10 = next(s for s in samples if s["minute"] == min(10, args.minutes))
    last = samples[-1]
    result = {
        "minutes": args.minutes,
        "url": URL,
        "samples": samples,
        "heap_mb_at_10": at10["heap_mb"],
        "heap_mb_at_end": last["heap_mb"],
        "growth_after_10_mb": round(last["heap_mb"] - at10["heap_mb"], 2),
        "ratio_end_to_10": round(last["heap_mb"] / at10["heap_mb"], 3),
        "max_heap_mb": max(s["heap_mb"] for s in samples),
        "target_growth_mb": 20,
    }
    print(save("kiosk-soak", result))


if __name__ == "__main__":
    main()
