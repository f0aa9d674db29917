"""What showing the skipped blocks after the load costs a slow phone (tools/site_speed.py, site-polish.js).

Method (printed with the results): serve the built site (127.0.0.1, gzip),
open the longest chapters at 412 px with Chromium's CPU slowed 4x (DevTools
throttling, as Lighthouse's phone), and wait until the page marks itself
``data-blocks-shown``. From the page's long-animation-frame entries (frames
over 50 ms) after the load event: how many there were, the longest, and the
sum of their time beyond 50 ms (blocking time, as Lighthouse counts it), and
when every block was shown (ms after navigation). Median of three visits per
page. No target: scrolling does not wait for these frames, a tap may.

``measure()`` returns the numbers as a dict; ``make bench`` (tools/bench.py)
calls it. Run alone: ``.venv/bin/python tools/bench_reveal.py``.
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

METHOD = __doc__.split("\n\n")[1].replace("\n", " ").replace("Method (printed with the results): ", "")
SITE = Path(os.environ.get("SITE_DIR", TOOLS.parent / "_build" / "html"))
PAGES = ("chapters/03_rmsprop.html", "chapters/05_oscillation.html")
VISITS = 3
CPU_SLOWDOWN = 4
RECORD = """window.__frames = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__frames.push([e.startTime, e.duration]); })
  .observe({type: 'long-animation-frame', buffered: true});"""


def visit(browser, url):
    """One visit: {shown_ms, frames, longest_ms, blocking_ms} for the frames after the load event."""
    ctx = site_measure.new_context(browser, width=412, height=823)
    try:
        page = ctx.new_page()
        page.add_init_script(RECORD)
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_selector("html[data-blocks-shown]", state="attached", timeout=120_000)
        shown = page.evaluate("performance.now()")
        page.wait_for_timeout(500)   # the last frame's entry
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        after = [d for s, d in page.evaluate("window.__frames") if s >= load]
        return {"shown_ms": shown, "frames": len(after), "longest_ms": max(after, default=0.0),
                "blocking_ms": sum(d - 50 for d in after)}
    finally:
        ctx.close()


def measure(site=SITE, pages=PAGES, visits=VISITS):
    from playwright.sync_api import sync_playwright

    out = {"cpu_slowdown": CPU_SLOWDOWN, "visits": visits}
    with site_measure.Server(site) as base, sync_playwright() as pw:
        browser = site_measure.launch(pw)
        try:
            for rel in pages:
                runs = [visit(browser, base + rel) for _ in range(visits)]
                out[rel] = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
        finally:
            browser.close()
    return out


if __name__ == "__main__":
    print(METHOD)
    print(json.dumps(measure(), indent=1))
