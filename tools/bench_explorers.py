"""Input-to-redraw time of the static site's explorers (tools/site_explorers.py, explorers.js), in Chromium.

Method (printed with the results): serve the built site (127.0.0.1, gzip), open
each page with an explorer at 1280 and at 390 px, and move its controls with the
keyboard, one arrow press at a time, as a reader would: eta, beta, the number
of steps and the start point (chapters 3 and 5), beta, each phase's gradient
and length (chapter 4), plus typed eps values and, for the optimizer explorer,
switching optimizers on and off. The page records, for each input event, the
time from the event's timestamp to the end of the redraw (runs recomputed,
canvas drawn: ``timings``) and to the next animation frame (the frame that
shows it: ``frameTimings``), with performance.now(). Five warm-up inputs per
page are not counted. Reported: median, 90th percentile and maximum of each,
per explorer and width. Target: under 50 ms from input to redrawn figure.

``measure()`` returns the numbers as a dict; ``make bench`` (tools/bench.py)
calls it. Run alone: ``.venv/bin/python tools/bench_explorers.py``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import site_measure  # noqa: E402

TARGET_MS = 50.0
METHOD = __doc__.split("\n\n")[1].replace("\n", " ").replace("Method (printed with the results): ", "")
SITE = Path(os.environ.get("SITE_DIR", TOOLS.parent / "_build" / "html"))
MOVES = {"optimizer": ["lr", "beta", "steps", "x0", "y0"], "history": ["beta", "g1", "g2", "n1", "n2", "n3"]}


def _stats(values):
    a = np.asarray(values, dtype=float)
    return {"n": int(a.size), "median_ms": float(np.median(a)), "p90_ms": float(np.percentile(a, 90)),
            "max_ms": float(a.max())}


def _pages(site):
    out = {}
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "rx-explorer" in text:
            out[path.relative_to(site).as_posix()] = text
    return out


def measure(site=SITE, presses=12):
    """{"<page> at <width> px": {"redraw": stats, "frame": stats}, ...} (milliseconds)."""
    from playwright.sync_api import sync_playwright

    site = Path(site)
    pages = _pages(site)
    if not pages:
        return {"error": f"no page with an explorer in {site} (run make book)"}
    results = {"target_ms": TARGET_MS}
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
    try:
        with site_measure.Server(site) as url:
            for rel in pages:
                for width in (1280, 390):
                    ctx = site_measure.new_context(browser, width=width, height=900)
                    try:
                        page = ctx.new_page()
                        page.goto(url + rel, wait_until="load")
                        root = page.locator(".rx-explorer").first
                        root.scroll_into_view_if_needed()   # an explorer is built as it nears the screen
                        page.wait_for_function("window.RMSExplorers && RMSExplorers.list.length > 0")
                        kind = page.evaluate("RMSExplorers.list[0].spec.kind")
                        for name in MOVES[kind]:
                            field = root.locator(f"input[type=range][id$='-{name}']")
                            field.focus()
                            for key in ["ArrowRight"] * presses + ["ArrowLeft"] * presses:
                                field.press(key)
                        eps = root.locator("input[type=text][id$='-eps']")
                        for text in ("1e-6", "0", "1e-8"):
                            eps.fill(text)
                        if kind == "optimizer":
                            for i in range(5):
                                box = root.locator(f".rx-multi input[value='{i}']")
                                box.click()
                                box.click()
                        page.wait_for_timeout(100)
                        t = page.evaluate("({r: RMSExplorers.list[0].timings, f: RMSExplorers.list[0].frameTimings})")
                        results[f"{rel} ({kind}) at {width} px"] = {"redraw": _stats(t["r"][5:]),
                                                                    "frame": _stats(t["f"][5:])}
                    finally:
                        ctx.close()
    finally:
        browser.close()
        pw.stop()
    return results


def main():
    res = measure()
    print("Method:", METHOD)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
