"""Measure the built website as a reader's browser meets it: served with gzip, offline, cold cache.

Shared by the browser tests (``tests/test_site*.py``) and the benchmarks
(``make bench``: ``tools/bench.py`` calls :func:`lighthouse_all`):

- :func:`serve` serves a folder on 127.0.0.1 with gzip for text files (as
  any static host does), and remembers nothing between requests;
- :func:`cold_load` opens one page in a fresh browser context (empty cache),
  blocks every request outside the site, waits for the network to settle,
  and returns the bytes transferred (response bodies as sent, so gzipped)
  with the list of files;
- :func:`axe` runs axe-core (npm, ``tools/node_modules``) on an open page;
- :func:`lighthouse` runs Lighthouse (npm, mobile defaults) on one URL and
  returns its four category scores and the bytes it saw transferred.

``python tools/site_measure.py [--lighthouse] [--axe] [--out FILE] [SITE]``
prints a table of every page (for before/after comparisons by hand).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / "tools" / "node_modules"
CHROMIUM = os.environ.get("CHROMIUM", os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
GZIP_TYPES = (".html", ".js", ".css", ".json", ".svg", ".txt", ".inv", ".map", ".xml", ".ttf", ".eot", ".otf")
REDIRECT = re.compile(r'<meta\s+http-equiv="refresh"[^>]*url=([^"\s>]+)', re.I)


def site_pages(site, redirects=False):
    """The site's HTML pages (relative paths), without Sphinx's asset folders (and redirects unless asked)."""
    site = Path(site)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not SKIP_DIRS & set(p.relative_to(site).parts[:-1]))
    if not redirects:
        pages = [p for p in pages if not REDIRECT.search((site / p).read_text(errors="replace")[:2000])]
    return pages


# --------------------------------------------------------------------------- server


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; text types gzipped (level 6, as nginx's default) when the client accepts it."""

    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) or not path.endswith(GZIP_TYPES) \
                or "gzip" not in (self.headers.get("Accept-Encoding") or ""):
            return super().send_head()
        try:
            raw = Path(path).read_bytes()
        except OSError:
            self.send_error(404, "File not found")
            return None
        body = _gzipped(path, len(raw), os.stat(path).st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        import io
        return io.BytesIO(body)


@functools.lru_cache(maxsize=4096)
def _gzipped(path, size, mtime):
    return gzip.compress(Path(path).read_bytes(), compresslevel=6, mtime=0)


def gzip_size(path):
    """Bytes the server above sends for one file (gzipped if it is a text type)."""
    path = str(path)
    if path.endswith(GZIP_TYPES):
        return len(_gzipped(path, os.path.getsize(path), os.stat(path).st_mtime_ns))
    return os.path.getsize(path)


class Server:
    """``with Server(site) as base:`` serves ``site`` at ``base`` (``http://127.0.0.1:PORT/``)."""

    def __init__(self, site):
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(site)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- browser


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def new_context(browser, width=1280, height=900, outside=None, dark=False):
    """A fresh context (empty cache) that aborts every request outside 127.0.0.1, recording it."""
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block",
                                  color_scheme="dark" if dark else "light")

    def route(r):
        if urllib.parse.urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            if outside is not None:
                outside.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    return context


def body_bytes(resp):
    """Bytes of one response body as sent (Content-Length: gzipped where the server gzipped).

    The favicon counts 0: browsers fetch it at their own pace (see tools/site_weights.py).
    """
    if urllib.parse.urlsplit(resp.url).path.endswith("/favicon.svg"):
        return 0
    try:
        return int(resp.headers.get("content-length") or 0)
    except ValueError:
        return 0


# Figures below the first screen are lazy (tools/site_speed.py): this asks for all of them now.
LOAD_LAZY_JS = """() => Promise.all([...document.images].filter(i => i.loading === 'lazy').map(i => {
  i.loading = 'eager';
  return i.complete ? null : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); });
}))"""


def cold_load(browser, url, width=1280, timeout_ms=60_000):
    """Open ``url`` in an empty-cache context; return {bytes, files, outside} once the network is idle.

    Every figure is counted, those below the first screen (lazy) included.
    """
    outside, responses = [], []
    context = new_context(browser, width=width, outside=outside)
    try:
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        page.on("response", lambda r: responses.append((urllib.parse.urlsplit(r.url).path, body_bytes(r))))
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.evaluate(LOAD_LAZY_JS)
        page.wait_for_load_state("networkidle")
        return {"bytes": sum(b for _, b in responses), "files": sorted(responses), "outside": outside}
    finally:
        context.close()


AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"


def axe(page, exclude_rules=()):
    """axe-core's violations on an open page: [{id, impact, nodes: [target, ...]}]."""
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci --prefix tools`")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text())
    result = page.evaluate("""async (skip) => {
      const rules = {};
      for (const id of skip) rules[id] = {enabled: false};
      const r = await axe.run(document, {rules, resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact,
                                     nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 10)}));
    }""", list(exclude_rules))
    return result


# --------------------------------------------------------------------------- lighthouse


LIGHTHOUSE = NODE_MODULES / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse(url, timeout_s=240):
    """Lighthouse's mobile defaults on ``url``: the four scores (0-100) and bytes transferred."""
    node = shutil.which("node")
    if node is None or not LIGHTHOUSE.is_file():
        raise FileNotFoundError("Lighthouse needs node and `npm ci --prefix tools`")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    proc = subprocess.run(
        [node, str(LIGHTHOUSE), url, "--output=json", "--quiet",
         f"--only-categories={','.join(CATEGORIES)}",
         "--chrome-flags=" + " ".join(CHROMIUM_ARGS)],
        capture_output=True, text=True, env=env, timeout=timeout_s)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"lighthouse failed on {url}: {proc.stderr[-1500:]}")
    report = json.loads(proc.stdout)
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    audits = report["audits"]
    metrics = {k: audits[k].get("numericValue") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "cumulative-layout-shift", "speed-index", "total-byte-weight")}
    failing = sorted(k for c in CATEGORIES for ref in report["categories"][c]["auditRefs"]
                     if ref.get("weight") and (audits[(k := ref["id"])].get("score") is not None)
                     and audits[k]["score"] < 1 and c != "performance")
    return {"scores": scores, "metrics": metrics, "failing": failing}


def lighthouse_all(site, pages=None, log=print):
    """Lighthouse on every page of ``site`` (served with gzip); {page: result}."""
    pages = pages or site_pages(site)
    out = {}
    with Server(site) as base:
        for rel in pages:
            try:
                out[rel] = lighthouse(base + rel)
            except Exception as err:  # noqa: BLE001 - a failed page is reported, not fatal
                out[rel] = {"error": str(err)[-500:]}
            log(f"lighthouse {rel}: {out[rel].get('scores', out[rel].get('error'))}")
    return out


# --------------------------------------------------------------------------- CLI


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    ap.add_argument("--lighthouse", action="store_true")
    ap.add_argument("--axe", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    site = Path(args.site)
    pages = site_pages(site)
    results = {}
    with Server(site) as base, sync_playwright() as pw:
        browser = launch(pw)
        for rel in pages:
            r = cold_load(browser, base + rel)
            results[rel] = {"cold_kib": round(r["bytes"] / 1024, 1), "outside": r["outside"]}
            if args.axe:
                counts = {}
                for width in (1280, 390):
                    for dark in (False, True):
                        ctx = new_context(browser, width=width, dark=dark)
                        page = ctx.new_page()
                        page.set_default_timeout(60_000)
                        page.goto(base + rel, wait_until="load")
                        page.wait_for_load_state("networkidle")
                        if dark:
                            page.evaluate("document.documentElement.dataset.theme = 'dark'")
                        v = axe(page)
                        counts[f"{width}{'-dark' if dark else ''}"] = {x["id"]: len(x["nodes"]) for x in v}
                        ctx.close()
                results[rel]["axe"] = counts
            print(rel, json.dumps(results[rel])[:400], flush=True)
        browser.close()
    if args.lighthouse:
        for rel, r in lighthouse_all(site, pages).items():
            results[rel]["lighthouse"] = r
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
