"""Shared fixtures: one Chromium (Debian's, through playwright) for every browser test of the site."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason):
    if IN_CI:
        pytest.fail(f"CI=true, so the site checks must run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("python playwright is not installed (requirements-dev.txt)")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as err:  # noqa: BLE001 - report why the browser would not start
        pw.stop()
        _unavailable(f"chromium at {CHROMIUM} did not start: {err}")
    yield b
    b.close()
    pw.stop()
