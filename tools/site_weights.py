"""The cold-load weight of every page of a built site, and the table of them on the Performance page.

A page's cold-load weight is what a first visit with an empty cache
downloads from this site, as sent by a server that gzips text (level 6, like
``tools/site_measure.py``'s server and nginx's default): the HTML, the
scripts and stylesheets it names, the fonts those stylesheets use on it, and
all its figures (those below the first screen are lazy and arrive as the reader
scrolls near them; a reader who scrolls to the end fetches them all, so all
count). Computed from the final files at the end of every build
(``tools/site_polish.py`` calls :func:`write_into_pages`), it is written into
the page that has ``<div id="site-weights">`` (the Performance page), so the
figures are never older than the site; ``tests/test_site_quality.py`` loads
every page in Chromium and fails if a figure and the bytes the browser
actually received disagree.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from pathlib import Path

try:
    from site_measure import gzip_size, site_pages
except ImportError:  # imported as tools.site_weights
    from tools.site_measure import gzip_size, site_pages

PLACEHOLDER = re.compile(r'(<div id="site-weights"[^>]*>).*?(</div><!-- /site-weights -->)', re.S)
SCRIPT = re.compile(r'<script\b[^>]*\bsrc="([^"]+)"', re.I)
STYLE = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"|<link\b[^>]*\bhref="([^"]+)"[^>]*\brel="stylesheet"', re.I)
IMAGE = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"', re.I)
ICON = re.compile(r'<link\b[^>]*\brel="(?:shortcut )?icon"[^>]*\bhref="([^"]+)"', re.I)
CSS_IMPORT = re.compile(r'@import\s+(?:url\(\s*["\']?([^"\')]+)["\']?\s*\)|["\']([^"\']+)["\'])')
BUDGET_KIB = 400


def _local(page, url, site):
    parts = urllib.parse.urlsplit(html.unescape(url))
    if parts.scheme or parts.netloc or url.startswith("data:"):
        return None
    path = (page.parent / urllib.parse.unquote(parts.path)).resolve()
    try:
        path.relative_to(site.resolve())
    except ValueError:
        return None
    return path if path.is_file() else None


def page_files(site, rel):
    """The files a cold load of ``rel`` fetches: {path: kind}."""
    site = Path(site)
    page = site / rel
    text = page.read_text(encoding="utf-8", errors="replace")
    files = {page.resolve(): "html"}
    # Not the favicon (0.2 KiB): browsers fetch it at their own pace, after the page or not at all.
    for rx, kind in ((SCRIPT, "script"), (STYLE, "css"), (IMAGE, "image")):
        for m in rx.finditer(text):
            url = next(g for g in m.groups() if g)
            f = _local(page, url, site)
            if f is not None:
                files.setdefault(f, kind)
    # Stylesheets imported by stylesheets (the theme's @import of basic.css).
    todo = [f for f, kind in files.items() if kind == "css"]
    while todo:
        css = todo.pop()
        for m in CSS_IMPORT.finditer(css.read_text(encoding="utf-8", errors="replace")):
            f = _local(css, m.group(1) or m.group(2), site)
            if f is not None and f not in files:
                files[f] = "css"
                todo.append(f)
    return files


def weight(site, rel):
    """{total, html, scripts+css, images} in bytes as sent gzipped, for one page."""
    out = {"html": 0, "scripts+css": 0, "images": 0}
    for f, kind in page_files(site, rel).items():
        key = "html" if kind == "html" else "images" if kind == "image" else "scripts+css"
        out[key] += gzip_size(f)
    out["total"] = sum(out.values())
    return out


def table_html(rows):
    head = ("<table class=\"table\"><caption>Cold-load weight of each page: bytes sent, gzipped, on a first "
            f"visit with an empty cache (budget {BUDGET_KIB} KiB). Computed from this build by "
            "tools/site_weights.py.</caption><thead><tr><th>page</th><th>total (KiB)</th>"
            "<th>HTML (KiB)</th><th>scripts and styles (KiB)</th><th>figures (KiB)</th></tr></thead><tbody>")
    body = "".join(
        f'<tr data-page="{html.escape(rel)}"><td><a href="{html.escape(href)}">{html.escape(rel)}</a></td>'
        f'<td class="site-weight-total">{w["total"] / 1024:.1f}</td><td>{w["html"] / 1024:.1f}</td>'
        f'<td>{w["scripts+css"] / 1024:.1f}</td><td>{w["images"] / 1024:.1f}</td></tr>'
        for rel, href, w in rows)
    return head + body + "</tbody></table>"


def write_into_pages(site, logger=None):
    """Fill every ``site-weights`` placeholder; iterate until the page holding it weighs what it says."""
    site = Path(site)
    hosts = [rel for rel in site_pages(site) if 'id="site-weights"' in (site / rel).read_text(errors="replace")]
    for host in hosts:
        depth = host.count("/")
        for _ in range(6):
            rows = [(rel, "../" * depth + rel, weight(site, rel)) for rel in site_pages(site)]
            text = (site / host).read_text(encoding="utf-8")
            new = PLACEHOLDER.sub(lambda m: m.group(1) + table_html(rows) + m.group(2), text, count=1)
            if new == text:
                break
            (site / host).write_text(new, encoding="utf-8")
        else:
            if logger:
                logger.warning(f"site_weights: the table in {host} did not settle")
    return hosts
