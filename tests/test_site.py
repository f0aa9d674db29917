"""Checks of the built website in a real browser (issue 5), generic over every page.

Serves the built site (``_build/html``, or ``$SITE_DIR``) over http on
127.0.0.1 from a thread, and drives Debian's chromium through playwright with
every request outside localhost aborted and recorded. Each page is visited
once, in a fresh browser context (empty cache, so the page's full weight is
seen), and these are checked:

- no console error, no failed request, no request outside the site;
- maths typeset at build time: every ``.math`` element holds MathJax's SVG
  output with its MathML for screen readers, no MathJax error, no raw ``$$``,
  ``\\(`` or ``\\[`` left in the text;
- every image loaded (natural width > 0) and has non-empty alt text;
- solutions (sphinx-exercise) collapsed by default and opened by a click;
- notebook pages have the Binder link built from ``_config.yml`` and the
  Thebe live-code button; Live Code loads Thebe from the site and, offline,
  says it could not start and links to Binder;
- animation players (``rmslib.animation``) change frame after Play.

Without a browser: every internal link and anchor resolves, and page weights
(HTML plus the page's own images and files; shared theme and vendor assets
are counted once, in the site total) stay within the budget. A full-page
screenshot of each page goes to ``_build/screenshots/`` (or
``$SCREENSHOT_DIR``).

With ``CI=true`` nothing here is skipped: a missing site or browser fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import IN_CI, _unavailable  # one definition for every site test

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "_build" / "screenshots")).resolve()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_PAGE_BYTES = 2_000_000
MAX_SITE_BYTES = 25_000_000
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TIMEOUT_MS = 20_000


def _site_pages():
    if not SITE.is_dir():
        return []
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not SKIP_DIRS & set(p.relative_to(SITE).parts[:-1]))


PAGES = _site_pages()
REDIRECT = re.compile(r'<meta\s+http-equiv="refresh"[^>]*url=([^"\s>]+)', re.I)


def _is_redirect(rel):
    return REDIRECT.search((SITE / rel).read_text(encoding="utf-8", errors="replace")[:2000]) is not None


BROWSER_PAGES = [p for p in PAGES if not _is_redirect(p)]


def _params(pages):
    # With no site there is still one test, which fails under CI and skips elsewhere.
    return pages or [pytest.param(None, id="no-site")]


def _need_site(rel):
    if rel is None:
        _unavailable(f"no built site at {SITE} (run `make book`, or set SITE_DIR)")


# --------------------------------------------------------------------------- static parsing


class _Collector(HTMLParser):
    """Collects element ids, links (a/area href) and resource URLs (src, link href) of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.resources = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag in ("a", "area") and a.get("href"):
            self.links.append(a["href"])
        if tag in ("img", "script", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "preload", "icon"):
            self.resources.append(a["href"])
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url=(.+)", a.get("content") or "", re.I)
            if m:
                self.links.append(m.group(1).strip())


@functools.lru_cache(maxsize=None)
def _parse(rel):
    c = _Collector()
    c.feed((SITE / rel).read_text(encoding="utf-8", errors="replace"))
    return c


def _local_target(page_rel, url):
    """(site-relative path, fragment) for a link inside the site, or None for an outside/special URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None
    path = urllib.parse.unquote(parts.path)
    if not path:
        target = page_rel
    else:
        base = Path(page_rel).parent
        target = os.path.normpath((base / path).as_posix()).replace(os.sep, "/")
        if path.endswith("/") or (SITE / target).is_dir():
            target = f"{target.rstrip('/')}/index.html"
    return target, urllib.parse.unquote(parts.fragment)


@pytest.mark.parametrize("rel", _params(PAGES))
def test_internal_links_and_anchors_resolve(rel):
    _need_site(rel)
    page = _parse(rel)
    broken = []
    for url in page.links + page.resources:
        target = _local_target(rel, url)
        if target is None:
            continue
        path, fragment = target
        if path.startswith("../"):
            broken.append(f"{url} (outside the site)")
        elif not (SITE / path).is_file():
            broken.append(f"{url} (no file {path})")
        elif fragment and path.endswith(".html") and fragment not in _parse(path).ids:
            broken.append(f"{url} (no anchor #{fragment} in {path})")
    assert not broken, f"{rel}: broken internal links:\n  " + "\n  ".join(sorted(set(broken)))


@pytest.mark.parametrize("rel", _params(PAGES))
def test_no_resource_from_outside_in_the_html(rel):
    _need_site(rel)
    outside = [u for u in _parse(rel).resources if urllib.parse.urlsplit(u).scheme in ("http", "https")
               or u.startswith("//")]
    assert not outside, f"{rel} loads resources from outside the site: {outside}"


def _page_weight(rel):
    """HTML bytes plus the bytes of the page's own local resources (not the shared _static)."""
    total = (SITE / rel).stat().st_size
    seen = set()
    for url in _parse(rel).resources:
        target = _local_target(rel, url)
        if target is None or target[0] in seen or target[0].startswith("_static/"):
            continue
        seen.add(target[0])
        if (SITE / target[0]).is_file():
            total += (SITE / target[0]).stat().st_size
    return total


def test_page_weight_and_site_size():
    if not PAGES:
        _unavailable(f"no built site at {SITE}")
    weights = sorted(((_page_weight(p), p) for p in PAGES), reverse=True)
    site = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    static = sum(p.stat().st_size for p in (SITE / "_static").rglob("*") if p.is_file())
    print(f"\nsite: {len(PAGES)} pages, {site / 1e6:.2f} MB in total ({static / 1e6:.2f} MB of shared "
          f"assets in _static); heaviest page {weights[0][1]} at {weights[0][0] / 1e6:.3f} MB")
    for w, p in weights[:5]:
        print(f"  {w / 1e6:7.3f} MB  {p}")
    heavy = [(p, w) for w, p in weights if w > MAX_PAGE_BYTES]
    assert not heavy, f"pages over {MAX_PAGE_BYTES / 1e6} MB: {heavy}"
    assert site <= MAX_SITE_BYTES, f"the site is {site / 1e6:.2f} MB, over {MAX_SITE_BYTES / 1e6} MB"


# --------------------------------------------------------------------------- browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server():
    if not PAGES:
        _unavailable(f"no built site at {SITE} (run `make book`, or set SITE_DIR)")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


# The browser fixture (one Chromium for every site test module) is in conftest.py.


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def binder_url(notebook_path):
    """The Binder launch URL of a notebook (path from the repository root, no suffix), from _config.yml."""
    cfg = _config()
    url = cfg["repository"]["url"].rstrip("/").removesuffix(".git")
    org, repo = url.split("github.com/")[-1].split("/")[:2]
    hub = cfg["launch_buttons"]["binderhub_url"].rstrip("/")
    branch = cfg["repository"].get("branch", "main")
    prefix = (cfg["repository"].get("path_to_book") or "").strip("/")
    path = f"{prefix}/{notebook_path}" if prefix else notebook_path
    ui = "lab/tree" if cfg["launch_buttons"].get("notebook_interface", "classic") == "jupyterlab" else "tree"
    return f"{hub}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}.ipynb"


_MATH_JS = """async () => {
  const mj = window.MathJax;
  const loaded = !!(mj && mj.startup && mj.startup.promise);
  if (loaded) { await mj.startup.promise; }
  const nodes = [...document.querySelectorAll('.math')];
  const untypeset = nodes.filter(n => !n.querySelector('mjx-container')).map(n => n.textContent.slice(0, 80));
  const errors = [...document.querySelectorAll('mjx-merror, [data-mml-node="merror"]')].map(n => n.textContent.slice(0, 80));
  // In headings and links (named by their content, where Chromium drops MathML) the hidden part is
  // the formula's readable text; everywhere else, its MathML.
  const named = n => n.closest('h1, h2, h3, h4, h5, h6, a');
  const withMathml = nodes.filter(n => named(n) ? (n.querySelector('mjx-assistive-mml')?.textContent
      === n.querySelector('mjx-container')?.dataset.text && !n.querySelector('math'))
    : n.querySelector('mjx-container mjx-assistive-mml math')).length;
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'TEXTAREA', 'MJX-CONTAINER', 'MJX-ASSISTIVE-MML']);
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    let el = t.parentElement, skipped = false;
    while (el) {
      if (skip.has(el.tagName) || el.classList.contains('highlight')) { skipped = true; break; }
      el = el.parentElement;
    }
    if (!skipped && /\\$\\$|\\\\\\(|\\\\\\[/.test(t.textContent)) raw.push(t.textContent.trim().slice(0, 80));
  }
  // Cross-references to a heading with maths show its readable text, not its TeX source.
  const refTex = [...document.querySelectorAll('span.doc, span.std-ref')].map(s => s.textContent)
    .filter(s => /\\\\[A-Za-z]+|[A-Za-z0-9]_[A-Za-z0-9{]|\\^[0-9{]/.test(s));
  return {loaded, count: nodes.length, typeset: document.querySelectorAll('mjx-container').length,
          untypeset, errors, raw, with_mathml: withMathml, ref_tex: refTex};
}"""

_IMAGES_JS = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });   // figures below the first screen are lazy: load them all now
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.map(i => ({src: i.currentSrc.slice(0, 100), alt: i.getAttribute('alt'), width: i.naturalWidth}));
}"""


def _check_solutions(page):
    """Each sphinx-exercise solution: content hidden at first, shown after a click on its toggle button."""
    problems, count = [], 0
    for sol in page.locator("div.solution").all():
        count += 1
        sid = sol.get_attribute("id") or f"solution {count}"
        body = sol.locator(":scope > :not(.admonition-title)")
        button = sol.locator(":scope > .admonition-title button.toggle-button")
        if body.count() == 0:
            problems.append(f"{sid}: has no content")
        elif button.count() != 1:
            problems.append(f"{sid}: no toggle button in its title (is it a dropdown?)")
        elif any(body.nth(i).is_visible() for i in range(body.count())):
            problems.append(f"{sid}: visible before any click (solutions must be collapsed)")
        elif button.get_attribute("aria-expanded") != "false":
            problems.append(f"{sid}: its button does not say it is collapsed (aria-expanded)")
        else:
            button.click()
            try:
                body.first.wait_for(state="visible", timeout=3000)
            except Exception:  # noqa: BLE001 - reported as a failure
                problems.append(f"{sid}: still hidden after clicking its toggle button")
    return count, problems


def _check_animations(page):
    """Each rmslib.animation player: pressing Play changes the frame shown."""
    problems, count = [], 0
    for anim in page.locator(".rmslib-anim").all():
        count += 1
        if anim.get_attribute("data-ready") != "1":
            problems.append(f"player {count}: its script did not start")
            continue
        if not (anim.get_attribute("aria-label") or "").strip():
            problems.append(f"player {count}: no aria-label")
        before = anim.get_attribute("data-frame")
        canvas_before = anim.locator("canvas").evaluate("c => c.toDataURL()")
        anim.locator("button").click()
        try:
            page.wait_for_function("([el, f]) => el.getAttribute('data-frame') !== f",
                                   arg=[anim.element_handle(), before], timeout=5000)
            page.wait_for_timeout(300)
        except Exception:  # noqa: BLE001
            problems.append(f"player {count}: frame still {before} after pressing Play")
            continue
        if anim.locator("button").get_attribute("aria-pressed") != "true":
            problems.append(f"player {count}: the button does not show it is playing (aria-pressed)")
        if anim.locator("canvas").evaluate("c => c.toDataURL()") == canvas_before:
            problems.append(f"player {count}: the frame number changed but the canvas did not")
        anim.locator("button").click()  # pause
    return count, problems


def _visit(browser, base, rel):
    result = {"console": [], "failed": [], "outside": [], "bytes": 0}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")

    def route(r):
        host = urllib.parse.urlsplit(r.request.url).hostname
        if host in LOCAL_HOSTS:
            r.continue_()
        else:
            result["outside"].append(r.request.url)
            r.abort("blockedbyclient")

    def on_response(resp):
        if resp.status >= 400:
            result["failed"].append(f"{resp.status} {resp.url}")
        path = urllib.parse.unquote(urllib.parse.urlsplit(resp.url).path).lstrip("/")
        if (SITE / path).is_file():
            result["bytes"] += (SITE / path).stat().st_size

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("console", lambda m: result["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: result["console"].append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: result["failed"].append(f"{r.failure} {r.url}"))
    page.on("response", on_response)
    try:
        page.goto(base + rel, wait_until="load")
        page.wait_for_load_state("networkidle")
        result["math"] = page.evaluate(_MATH_JS)
        result["images"] = page.evaluate(_IMAGES_JS)
        result["binder_links"] = page.eval_on_selector_all("a[href*='/v2/gh/']", "els => els.map(e => e.href)")
        result["thebe_button"] = page.locator(".btn-launch-thebe, .thebe-launch-button").count()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / (rel.removesuffix(".html").replace("/", "__") + ".png")), full_page=True)
        result["solutions"] = _check_solutions(page)
        result["animations"] = _check_animations(page)
        page.wait_for_load_state("networkidle")   # anything the clicks asked for
    finally:
        context.close()
    return result


@pytest.fixture(scope="session")
def visits(browser, server):
    cache = {}

    def get(rel):
        if rel not in cache:
            cache[rel] = _visit(browser, server, rel)
        return cache[rel]

    return get


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_page_loads_cleanly_and_offline(visits, rel):
    _need_site(rel)
    v = visits(rel)
    assert not v["outside"], f"{rel} asked for URLs outside the site (blocked): {sorted(set(v['outside']))}"
    assert not v["failed"], f"{rel}: failed requests: {v['failed']}"
    assert not v["console"], f"{rel}: console errors: {v['console']}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_maths_is_typeset(visits, rel):
    """Maths is rendered at build time (tools/site_polish.py): SVG for the eye, MathML for screen readers."""
    _need_site(rel)
    m = visits(rel)["math"]
    if m["count"]:
        assert not m["untypeset"], f"{rel}: maths left untypeset: {m['untypeset'][:5]}"
        assert m["typeset"] >= m["count"]
        assert m["with_mathml"] >= m["count"], f"{rel}: formulas without MathML (or, in headings and links, text) for screen readers"
    assert not m["errors"], f"{rel}: MathJax errors: {m['errors'][:5]}"
    assert not m["raw"], f"{rel}: raw TeX delimiters left in the text: {m['raw'][:5]}"
    assert not m["ref_tex"], f"{rel}: cross-references showing TeX source: {m['ref_tex'][:5]}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_images_load_and_have_alt_text(visits, rel):
    _need_site(rel)
    images = visits(rel)["images"]
    broken = [i["src"] for i in images if not i["width"]]
    no_alt = [i["src"] for i in images if not (i["alt"] or "").strip()]
    assert not broken, f"{rel}: images that did not load: {broken}"
    assert not no_alt, f"{rel}: images without alt text: {no_alt}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_solutions_are_collapsed_and_open_on_click(visits, rel):
    _need_site(rel)
    count, problems = visits(rel)["solutions"]
    assert not problems, f"{rel}: {count} solutions, problems: {problems}"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_notebook_pages_have_launch_buttons(visits, rel):
    _need_site(rel)
    stem = rel.removesuffix(".html")
    if not (SITE / "_sources" / f"{stem}.ipynb").is_file():
        return  # not a notebook page: no launch buttons expected
    v = visits(rel)
    expected = binder_url(stem)
    assert expected in v["binder_links"], f"{rel}: no Binder link {expected}; found {v['binder_links']}"
    assert v["thebe_button"] >= 1, f"{rel}: no Thebe live-code button"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(BROWSER_PAGES))
def test_animations_play(visits, rel):
    _need_site(rel)
    count, problems = visits(rel)["animations"]
    assert not problems, f"{rel}: {count} animation players, problems: {problems}"


@pytest.mark.browser
def test_site_has_the_two_animations_and_reports_figures(visits):
    """The tour's two players exist and play; prints each page's first-visit weight (all files it loads)."""
    if not BROWSER_PAGES:
        _unavailable(f"no built site at {SITE}")
    players = {p: visits(p)["animations"][0] for p in BROWSER_PAGES}
    assert sum(players.values()) >= 2, f"expected at least two animation players on the site, found {players}"
    print("\nfirst visit, every file loaded (MB): " + ", ".join(
        f"{p} {visits(p)['bytes'] / 1e6:.2f}" for p in BROWSER_PAGES))


@pytest.mark.browser
def test_live_code_loads_thebe_from_the_site_and_says_when_it_cannot_start(browser, server):
    """Thebe stays unloaded until a reader presses Live Code; then it comes from this site (never a CDN).

    Offline (every outside request is blocked here), the only outside requests are to the
    BinderHub of _config.yml, and the page says in plain words that Live Code could not
    start, with a link to the chapter in Binder (the script gives up after 5 s; the test
    only waits, generously, for the message).
    """
    notebooks = [p for p in BROWSER_PAGES if (SITE / "_sources" / f"{p.removesuffix('.html')}.ipynb").is_file()]
    if not notebooks:
        _unavailable(f"no notebook pages in {SITE}")
    rel = notebooks[0]
    outside, local = [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        if urllib.parse.urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            local.append(r.request.url)
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    hub = urllib.parse.urlsplit(_config()["launch_buttons"]["binderhub_url"]).hostname
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server + rel, wait_until="load")
        page.wait_for_load_state("networkidle")
        assert outside == [], f"{rel} contacted outside hosts before anything was pressed: {outside}"
        assert page.evaluate("typeof thebelab") == "undefined", "Thebe was loaded without being asked for"
        thebe_url = urllib.parse.urljoin(server + rel, page.evaluate("THEBE_JS_URL"))
        assert urllib.parse.urlsplit(thebe_url).hostname in LOCAL_HOSTS, f"Thebe is loaded from {thebe_url}"
        page.locator(".dropdown-launch-buttons .dropdown-toggle").first.click()
        with page.expect_request(lambda r: r.url == thebe_url):
            page.locator(".btn-launch-thebe").first.click()
        message = page.locator(".thebe-fallback")
        message.wait_for(state="visible", timeout=60_000)
        text = message.inner_text()
        links = message.locator("a").evaluate_all("els => els.map(e => e.href)")
    finally:
        context.close()
    assert "could not start" in text.lower(), text
    assert binder_url(rel.removesuffix(".html")) in links, f"no Binder link in the message: {links}"
    assert all(urllib.parse.urlsplit(u).hostname == hub for u in outside), \
        f"pressing Live Code asked for {outside}; only the BinderHub ({hub}) is expected"
