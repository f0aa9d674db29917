"""Weight, accessibility, layout, search and explorers of the built website, in Chromium (issue 14).

The site is served from 127.0.0.1 with gzip (``tools/site_measure.py``), every
request outside the site is blocked, and every page is checked:

- **weight**: a cold load (empty cache) transfers at most 400 KiB, and exactly
  what the Performance page's table (written at build time by
  ``tools/site_weights.py``) says, to the tenth of a KiB;
- **accessibility**: axe-core (npm, ``tools/node_modules``): no violation
  (``FALSE_POSITIVES`` would list any that is documented as one: none is),
  light theme at 1280 px and dark at 390 px (``SITE_AXE=full``: both themes
  at both widths, as ``make bench`` runs it);
- **maths**: no formula is a tab stop, and each has MathML for screen readers;
- **accessibility tree** (Chromium's, over CDP, at 390 px): every heading is in it
  at load, and, once the page has shown the blocks it skipped during the load,
  everything a page with nothing skipped has (text, figures, maths, links);
- **layout** at both widths: the page never scrolls sideways, nothing in the
  article sticks out of it unless it is inside a box that scrolls (wide
  tables, printed outputs), display maths fits its column, one search box (the header's at 390 px, the sidebar's from 960 px),
  and each section skipped off screen is given at least its real height (``tools/site_speed.py``);
- **search**: titles show maths as text, and "ε" finds what "epsilon" finds;
- **explorers**: see ``tests/test_static_explorers.py`` (they compute in the
  page; the ipywidgets manager is no longer part of the site).

No timing is checked here (Lighthouse's scores are measured by ``make bench``).
"""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_measure  # noqa: E402
import site_weights  # noqa: E402
from conftest import IN_CI, _unavailable  # one definition for every site test

SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
PAGES = site_measure.site_pages(SITE) if SITE.is_dir() else []
TIMEOUT_MS = 60_000
BUDGET_KIB = 400
WIDTHS = (1280, 390)
# axe rule id -> why it is a false positive on this site. Empty: every violation is a failure.
FALSE_POSITIVES: dict[str, str] = {}


def _params(pages):
    return pages or [pytest.param(None, id="no-site")]


@pytest.fixture(scope="module")
def base():
    if not PAGES:
        _unavailable(f"no built site at {SITE} (run `make book`, or set SITE_DIR)")
    with site_measure.Server(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def checked_browser(browser):
    """The shared Chromium (conftest.py), once axe-core is known to be installed."""
    if not site_measure.AXE_JS.is_file():
        _unavailable("axe-core is not installed: `npm ci --prefix tools` (make book does it)")
    return browser


def _shown_weights():
    """{page: KiB} as the Performance page shows them."""
    perf = SITE / "performance.html"
    text = perf.read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-page="([^"]+)">.*?<td class="site-weight-total">([\d.]+)</td>', text)
    return {page: float(kib) for page, kib in rows}


_LAYOUT_JS = """() => {
  const vis = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                     return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const scrolls = e => { for (let a = e; a && a.id !== 'main-content'; a = a.parentElement) {
                           const o = getComputedStyle(a).overflowX;
                           if ((o === 'auto' || o === 'scroll') && a !== e) return a; }
                         return null; };
  const main = document.querySelector('#main-content article') || document.querySelector('#main-content');
  const right = main.getBoundingClientRect().right;
  const out = [];
  for (const e of main.querySelectorAll('*')) {
    if (!vis(e) || e.closest('mjx-assistive-mml')) continue;
    if (e.getBoundingClientRect().right > right + 2 && !scrolls(e)) {
      out.push(e.tagName.toLowerCase() + '.' + String(e.className.baseVal ?? e.className).split(' ')[0]);
    }
  }
  const unreachable = [...main.querySelectorAll('*')].filter(e => vis(e) && e.scrollWidth > e.clientWidth + 2
      && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.tabIndex < 0
      && !e.querySelector('a, button, input, [tabindex]'))
    .map(e => e.tagName.toLowerCase() + '.' + e.className);
  const displays = [...document.querySelectorAll('mjx-container[display="true"] > svg')].filter(vis)
    .filter(s => s.getBoundingClientRect().width > s.parentElement.parentElement.getBoundingClientRect().width + 2).length;
  const search = [...document.querySelectorAll('input[type=search], .search-button-field, .search-button')]
    .filter(vis).filter(e => !e.closest('article, .bd-article-container form'));   // the search page's own field is content
  const mathStops = [...document.querySelectorAll('.math, .math *')].filter(e => e.tabIndex >= 0).length;
  // A block skipped off screen (content-visibility, tools/site_speed.py) must be given at least
  // its real height: smaller, its content would overlap the next one when measured.
  const undersized = [...document.querySelectorAll('.cv-block')]
    .filter(s => s.style.containIntrinsicSize).map(s => {
      const guess = parseFloat(s.style.containIntrinsicSize.split(' ').pop());
      s.style.contentVisibility = 'visible';
      const real = s.getBoundingClientRect().height;
      s.style.contentVisibility = '';
      return real > guess + 1 ? `${(s.closest('section') || s).id}: ${Math.round(real)} px > ${guess} px` : null; }).filter(Boolean);
  return {pageScroll: document.documentElement.scrollWidth - innerWidth, out: [...new Set(out)].slice(0, 8),
          unreachable: unreachable.slice(0, 5), displays, search: search.length, mathStops, undersized};
}"""


# Each page is opened once per width, in a fresh context (so the 1280 px visit is a cold load):
# axe runs in the light theme at 1280 px and in the dark theme at 390 px, which covers both
# widths and both themes in two runs (axe takes seconds on a page of 10,000 elements);
# SITE_AXE=full runs all four combinations.
FULL_AXE = os.environ.get("SITE_AXE", "").lower() == "full"
PLAN = {1280: ("light", "dark") if FULL_AXE else ("light",), 390: ("light", "dark") if FULL_AXE else ("dark",)}
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"


@pytest.fixture(scope="module")
def visit(checked_browser, base):
    browser = checked_browser
    cache = {}

    def get(rel):
        if rel in cache:
            return cache[rel]
        out = {"axe": [], "layout": {}}
        for width, themes in PLAN.items():
            outside, sizes = [], []
            ctx = site_measure.new_context(browser, width=width, height=900, outside=outside)
            try:
                page = ctx.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on("response", lambda r: sizes.append(site_measure.body_bytes(r)))
                page.goto(base + rel, wait_until="load")
                page.wait_for_load_state("networkidle")
                # Figures below the first screen load as they near it (loading="lazy"): the weight
                # counts every figure, as a reader who scrolls to the end downloads them all.
                page.evaluate(site_measure.LOAD_LAZY_JS)
                page.wait_for_load_state("networkidle")
                if width == 1280:
                    out["cold_bytes"], out["outside"] = sum(sizes), list(outside)
                # axe checks the whole page as it settles: every block skipped during the load shown.
                page.wait_for_selector("html[data-blocks-shown]", state="attached")
                # Colours are checked as they settle, not halfway through the theme's transitions.
                page.add_style_tag(content=NO_TRANSITIONS)
                for theme in themes:
                    page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
                    out["axe"] += [(width, theme, v) for v in site_measure.axe(page)]
                page.evaluate("document.documentElement.dataset.theme = 'light'")
                out["layout"][width] = page.evaluate(_LAYOUT_JS)
            finally:
                ctx.close()
        cache[rel] = out
        return out

    return get


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(PAGES))
def test_cold_load_within_budget_and_as_the_performance_page_says(visit, rel):
    if rel is None:
        _unavailable(f"no built site at {SITE}")
    shown = _shown_weights()
    v = visit(rel)
    kib = v["cold_bytes"] / 1024
    assert not v["outside"], f"{rel} asked for URLs outside the site: {v['outside']}"
    assert rel in shown, f"the Performance page has no weight for {rel}"
    assert abs(kib - shown[rel]) <= 0.1, (
        f"{rel}: the Performance page says {shown[rel]} KiB, a cold load transferred {kib:.1f} KiB; "
        f"computed from the files: {site_weights.weight(SITE, rel)}")
    assert kib <= BUDGET_KIB, f"{rel}: a cold load transferred {kib:.0f} KiB, over {BUDGET_KIB} KiB"


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(PAGES))
def test_no_accessibility_violations(visit, rel):
    if rel is None:
        _unavailable(f"no built site at {SITE}")
    found = [f"{w}px {theme}: {v['id']} ({v['impact']}): {v['nodes'][:3]}"
             for w, theme, v in visit(rel)["axe"] if v["id"] not in FALSE_POSITIVES]
    assert not found, f"{rel}: axe-core violations:\n  " + "\n  ".join(found)


@pytest.mark.browser
@pytest.mark.parametrize("rel", _params(PAGES))
def test_layout_at_both_widths(visit, rel):
    if rel is None:
        _unavailable(f"no built site at {SITE}")
    problems = []
    for width, lay in visit(rel)["layout"].items():
        if lay["pageScroll"] > 1:
            problems.append(f"{width}px: the page scrolls sideways by {lay['pageScroll']} px")
        if lay["out"]:
            problems.append(f"{width}px: cut or sticking out of the column: {lay['out']}")
        if lay["unreachable"]:
            problems.append(f"{width}px: scrolling boxes not reachable by keyboard: {lay['unreachable']}")
        if lay["displays"]:
            problems.append(f"{width}px: {lay['displays']} display formulas wider than their column")
        if lay["undersized"]:
            problems.append(f"{width}px: sections skipped with less than their height: {lay['undersized'][:3]}")
        if lay["search"] != 1:
            problems.append(f"{width}px: {lay['search']} search boxes (one expected)")
        if lay["mathStops"]:
            problems.append(f"{width}px: {lay['mathStops']} formulas are tab stops")
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


@pytest.mark.browser
def test_search_shows_maths_as_text_and_epsilon_as_a_word_or_a_symbol(browser, base):
    results = {}
    ctx = site_measure.new_context(browser)
    try:
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        for query in ("epsilon", "ε", "falls"):
            page.goto(base + "search.html?q=" + urllib.parse.quote(query), wait_until="load")
            page.wait_for_function("document.querySelector('#search-results')?.textContent.includes('Search finished')",
                                   timeout=TIMEOUT_MS)
            results[query] = page.evaluate("""() => [...document.querySelectorAll('#search-results li')].map(li => ({
                href: li.querySelector('a')?.getAttribute('href') || '', title: li.querySelector('a')?.textContent || '',
                text: li.textContent}))""")
    finally:
        ctx.close()
    pages = {q: {r["href"].split("#")[0].split("?")[0] for r in rs} for q, rs in results.items()}
    assert pages["epsilon"], "searching 'epsilon' found nothing"
    assert pages["ε"] == pages["epsilon"], f"'ε' and 'epsilon' find different pages: {pages}"
    for q, rs in results.items():
        raw = [r["text"][:100] for r in rs if re.search(r"\\\(|\\\[|\$\$", r["text"])
               or re.search(r"\\[a-zA-Z]+|\$|_\{", r["title"])]
        assert not raw, f"search '{q}': raw TeX in results: {raw[:3]}"
    assert any("vₜ" in r["title"] for r in results["falls"]), "the title 'Why v_t can fall' is not shown as text"


_HEADINGS_JS = """() => [...document.querySelectorAll('.bd-article :is(h1, h2, h3, h4, h5, h6)')]
  .filter(h => h.checkVisibility()).length"""
# The names that headings and links holding maths should have: their text, each formula read as its
# readable form (data-text), without the heading's "#" link. Compared as a listener hears them
# (_spoken): Chromium puts a space around the formula's hidden text, and the theme capitalises
# some labels with CSS ("next" reads "Next").
_MATH_NAMES_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, a')]
  .filter(e => e.querySelector('mjx-container') && e.checkVisibility({visibilityProperty: true}))
  .map(e => { const c = e.cloneNode(true);
              c.querySelectorAll('mjx-container').forEach(m => m.replaceWith(m.dataset.text));
              c.querySelectorAll('.headerlink').forEach(h => h.remove());
              return c.textContent.replace(/\\s+/g, ' ').trim(); })"""
# Roles whose count must match a page that skips nothing: text, figures, maths and structure.
_AX_ROLES = ("paragraph", "StaticText", "image", "figure", "MathMLMath", "heading", "link", "listitem", "table", "code")
_NO_SKIPPING_CSS = ".cv-block { content-visibility: visible !important; }"


def _spoken(name):
    """An accessible name as heard: case and the spaces around punctuation do not count."""
    name = re.sub(r"\s+([,.;:!?)])", r"\1", " ".join(name.split()))
    return re.sub(r"\(\s+", "(", name).lower()


def _ax_counts(cdp):
    """{role: count} of the nodes Chromium's accessibility tree exposes (not ignored), for _AX_ROLES."""
    cdp.send("DOM.getDocument", {"depth": 0})
    counts = {}
    for n in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        role = n.get("role", {}).get("value")
        if not n.get("ignored") and role in _AX_ROLES:
            counts[role] = counts.get(role, 0) + 1
    return counts


def _ax_visit(browser, url):
    """Chromium's accessibility tree (CDP) at 390 px: {headings, want_headings} right after the load;
    {roles} once the page has shown every block it skipped during the load (site-polish.js marks the
    page data-blocks-shown); {reference}: the roles once, on top of that, nothing is skipped at all
    (any block still skipped then adds its content); {unnamed_maths}: see _MATH_NAMES_JS."""
    ctx = site_measure.new_context(browser, width=390, height=800)
    out = {}
    try:
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url, wait_until="load")
        cdp = ctx.new_cdp_session(page)
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        found = cdp.send("Accessibility.queryAXTree", {"nodeId": root, "role": "heading"})["nodes"]
        out["headings"] = sum(1 for n in found if not n.get("ignored"))
        out["want_headings"] = page.evaluate(_HEADINGS_JS)
        try:
            page.wait_for_selector("html[data-blocks-shown]", state="attached", timeout=20_000)
        except Exception:   # playwright's TimeoutError
            shown, total = page.evaluate("""() => [document.querySelectorAll('.cv-block.cv-shown').length,
                                                   document.querySelectorAll('.cv-block').length]""")
            out["roles"] = f"20 s after the load, {shown} of {total} skipped blocks are shown"
            return out
        out["roles"] = _ax_counts(cdp)
        names = set()
        for role in ("heading", "link"):
            root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
            names |= {_spoken(n.get("name", {}).get("value", ""))
                      for n in cdp.send("Accessibility.queryAXTree", {"nodeId": root, "role": role})["nodes"]}
        out["unnamed_maths"] = [want for want in page.evaluate(_MATH_NAMES_JS) if _spoken(want) not in names]
        page.add_style_tag(content=_NO_SKIPPING_CSS)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        out["reference"] = _ax_counts(cdp)
        return out
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def ax_trees(checked_browser, base):
    """{page: _ax_visit} for every page with blocks skipped during the load."""
    pages = [p for p in PAGES if 'class="cv-block' in (SITE / p).read_text(encoding="utf-8")]
    assert any(p.startswith("chapters/") for p in pages), f"no chapter has skipped blocks: {pages}"
    return {rel: _ax_visit(checked_browser, base + rel) for rel in pages}


@pytest.mark.browser
def test_every_heading_is_in_the_accessibility_tree_at_load(ax_trees):
    """Right after the load at phone width, every visible heading of the article is in Chromium's
    accessibility tree, also those far below the first screen, whose content is skipped
    (content-visibility, tools/site_speed.py) until shown."""
    missing = {rel: f"{a['headings']} of {a['want_headings']} headings exposed"
               for rel, a in ax_trees.items() if a["headings"] < a["want_headings"]}
    assert not missing, missing


@pytest.mark.browser
def test_headings_and_links_with_maths_are_named_with_it(ax_trees):
    """A heading or link is named by its content; a formula in it is part of its name ("4. Why vₜ can
    fall", not "4. Why can fall"), in Chromium's accessibility tree once the page has shown every block."""
    unnamed = {rel: a["unnamed_maths"][:4] for rel, a in ax_trees.items() if a.get("unnamed_maths")}
    assert not unnamed, f"headings or links whose accessible name is not their text with its maths: {unnamed}"


@pytest.mark.browser
def test_all_content_reaches_the_accessibility_tree_after_the_load(ax_trees):
    """Text, figures and maths of blocks skipped during the load are not in Chromium's accessibility
    tree until shown; once the page has shown them (one per idle moment, site-polish.js), the tree
    has exactly what it has when, on top of that, nothing is skipped at all."""
    differ = {}
    for rel, a in ax_trees.items():
        got, want = a["roles"], a.get("reference", {})
        if got != want:
            differ[rel] = got if isinstance(got, str) else {
                r: f"{got.get(r, 0)} of {want.get(r, 0)}" for r in set(want) | set(got) if got.get(r, 0) != want.get(r, 0)}
    assert not differ, f"accessibility tree after the load, against the page with nothing skipped: {differ}"
