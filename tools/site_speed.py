"""Long pages that a phone lays out quickly (called by ``tools/site_polish.py`` at the end of a build).

Lighthouse's mobile run (a 4x slower CPU) found chapter pages of 11,000-15,000
elements spending most of their blocking time in style and layout, forced by
the theme's scripts on the whole page. What this module changes, and why:

- **Off-screen content is not laid out during the load, headings never skipped**:
  below the page's title, each run of content between a heading and the next
  subsection is cut, between elements, into pieces of about 6 KB of HTML,
  each wrapped in a ``<div class="cv-block">`` with
  ``content-visibility: auto`` (:func:`skip_blocks`, ``site-speed.css``), so the
  load's layouts cover what is on screen only. The headings stay outside the
  blocks: Chromium (156, measured with its accessibility tree over CDP) leaves
  the contents of a skipped block out of the accessibility tree (its text too)
  until the block is rendered, so whole skipped sections would hide their
  headings from a screen reader's list of headings (the first version of this
  module did that).
  After the load, ``site-polish.js`` shows the blocks one per idle moment
  (``requestIdleCallback``; class ``cv-shown``), in page order, and marks the
  page ``data-blocks-shown`` when all are: from then on every paragraph,
  figure and formula is in the accessibility tree, as on a page without
  skipping. Each block costs one frame of style and layout (a few ms here,
  about four times that on Lighthouse's phone), which is why the blocks are
  small: a 12 KB block could make a frame that blocks input for a phone.
  Until it is shown a block takes the height :func:`section_height` gives it, an
  upper bound of its height on a 360 px phone (wider screens need less): a
  skipped block smaller than its content would let that content, when a
  script measures it, overlap the next one (axe-core's contrast check then
  blends the two and reports false failures; axe-core issue 2768). Once shown,
  a block keeps its real height (``contain-intrinsic-size: auto``).
- **The theme's keyboard-scrolling helper no longer lays out the whole page**:
  pydata-sphinx-theme measures every ``pre``, output and table at load (and on
  every resize and DOM change) to make the ones that scroll horizontally
  focusable (``tabindex=0``). That read of ``scrollWidth`` forces the layout
  that ``content-visibility`` skips. :func:`patch_theme_js` makes it measure
  only the boxes within two screens of the viewport (an ``IntersectionObserver``),
  and :func:`scroll_tabindex` gives, at build time, ``tabindex="0"`` to every
  box that may scroll on a phone (a code line longer than 35 characters, which
  is what 390 px fits; every wide-table container), so a box not measured yet
  is still reachable by keyboard. A box that is measured and does not scroll
  goes back to ``tabindex=-1``, as the theme does.
- **Fewer elements in code cells**: Pygments wraps every token in a ``<span>``;
  the tokens whose colour is the code block's own colour in both themes
  (names, punctuation, whitespace: about 4,000 spans in chapter 3) are written
  as plain text (:func:`plain_code_classes`, :func:`unwrap_plain_code`), and
  ``div.highlight pre`` takes the block's colour, so nothing changes on screen.
- **Figures below the first screen load as they near it**: every figure after
  the page's introduction gets ``loading="lazy"`` (:func:`lazy_images`), and every figure
  its pixel ``width`` and ``height`` (no layout shift when it arrives). Lighthouse
  counts every request made before the first screen is painted, and chapter 5
  started five figures (100 KB) there.
- **Lighter formulas** (:func:`slim_maths`): MathJax's SVG carries, for its own
  scripts (none run here), a ``data-mml-node`` and ``data-c`` on every node and
  an attribute-less ``<g>`` around most glyphs; without them chapter 5 is
  21 % smaller and has 2,000 fewer elements to parse, and draws the same
  pixels (checked formula by formula in screenshots). The colour attributes of
  each formula's outer group, and MathJax's glyph stroke (its CSS selects
  ``use[data-c]``), move to two CSS rules. Formulas with tables, errors or
  actions keep everything (CSS selects on their ``data-mml-node``).
- **No render-blocking request for 0.4 KB**: ``documentation_options.js`` is
  inlined (:func:`inline_documentation_options`).
- **Less CSS to parse**: the icon font's 1,900 ``.fa-NAME:before`` rules are
  dropped (:func:`drop_icon_rules`): pages draw icons as inline SVG and the
  font is subset to the code points the other rules use, so those rules could
  not draw anything.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

CSS_NAME = "site-speed.css"


class SpeedError(RuntimeError):
    pass


# --------------------------------------------------------------------------- code cells

THEME_RULE = re.compile(r'html\[data-theme="(light|dark)"\]\s+\.highlight(?:\s+\.([A-Za-z0-9_-]+))?\s*\{([^}]*)\}')


def _declarations(body):
    return {k.strip().lower(): v.strip().lower() for k, v in
            (d.split(":", 1) for d in body.split(";") if ":" in d)}


def plain_code_classes(pygments_css):
    """Token classes drawn exactly as the code block's own text, in the light and the dark theme.

    A class is plain when, in each theme, its only declaration is ``color`` and that colour
    is the ``.highlight`` block's colour.
    """
    block, rules = {}, {}
    for theme, cls, body in THEME_RULE.findall(pygments_css):
        decl = _declarations(body)
        if cls:
            rules.setdefault(cls, {})[theme] = decl
        else:
            block[theme] = decl.get("color")
    if set(block) != {"light", "dark"} or None in block.values():
        return set()
    return {cls for cls, themes in rules.items()
            if set(themes) == {"light", "dark"}
            and all(set(d) == {"color"} and d["color"] == block[t] for t, d in themes.items())}


HIGHLIGHT_PRE = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre>)', re.S)


def unwrap_plain_code(text, classes):
    """Inside code blocks, ``<span class="n">x</span>`` -> ``x`` for every plain class."""
    if not classes:
        return text
    span = re.compile(r'<span class="(?:' + "|".join(map(re.escape, sorted(classes))) + r')">([^<]*)</span>')
    return HIGHLIGHT_PRE.sub(lambda m: m.group(1) + span.sub(r"\1", m.group(2)) + m.group(3), text)


# --------------------------------------------------------------------------- boxes that scroll

PHONE_CHARS = 35     # a 390 px screen shows about 36 characters of a code line (measured: 36-39)
PRE_OPEN = re.compile(r"<pre(?=[\s>])([^>]*)>(.*?)</pre>", re.S)
TABLE_BOX = re.compile(r'<div class="pst-scrollable-table-container"(?![^>]*tabindex)')


def scroll_tabindex(text):
    """``tabindex="0"`` on each box that may scroll sideways on a phone (see the module's docstring)."""
    def pre(m):
        attrs, body = m.group(1), m.group(2)
        if "tabindex" in attrs:
            return m.group(0)
        longest = max((len(html.unescape(re.sub(r"<[^>]+>", "", line))) for line in body.split("\n")), default=0)
        if longest <= PHONE_CHARS:
            return m.group(0)
        return f'<pre{attrs} tabindex="0">{body}</pre>'

    main = text.find('id="main-content"')
    if main < 0:
        return text
    head, body = text[:main], text[main:]
    body = PRE_OPEN.sub(pre, body)
    body = TABLE_BOX.sub('<div class="pst-scrollable-table-container" tabindex="0"', body)
    return head + body


# The theme's function, as pydata-sphinx-theme 0.17 ships it (minified), and its replacement:
# the same selector and the same rule, applied to boxes near the viewport only.
THEME_MEASURE = ('const e=()=>{document.querySelectorAll(["pre",".nboutput > .output_area",".cell_output > .output",'
                 '".jp-RenderedHTMLCommon",".pst-scrollable-table-container"].join(", ")).forEach(e=>{e.tabIndex='
                 'e.scrollWidth>e.clientWidth||e.scrollHeight>e.clientHeight?0:-1})}')
LAZY_MEASURE = ('const S=["pre",".nboutput > .output_area",".cell_output > .output",".jp-RenderedHTMLCommon",'
                '".pst-scrollable-table-container"].join(", "),'
                'M=e=>{e.tabIndex=e.scrollWidth>e.clientWidth||e.scrollHeight>e.clientHeight?0:-1},'
                'N=new Set,W=new WeakSet,'
                'O=new IntersectionObserver(x=>{x.forEach(x=>{x.isIntersecting?(N.add(x.target),M(x.target))'
                ':N.delete(x.target)})},{rootMargin:"200% 0px"}),'
                'e=()=>{document.querySelectorAll(S).forEach(x=>{W.has(x)||(W.add(x),O.observe(x))}),N.forEach(M)}'
                '/*site_speed: measured near the viewport only*/')


def patch_theme_js(static):
    """Rewrite the theme's scroll-box measurement in ``_static/scripts/pydata-sphinx-theme.js``."""
    path = Path(static) / "scripts" / "pydata-sphinx-theme.js"
    if not path.is_file():
        raise SpeedError(f"{path} is missing (pydata-sphinx-theme changed its files?)")
    text = path.read_text(encoding="utf-8")
    if LAZY_MEASURE in text:
        return
    if text.count(THEME_MEASURE) != 1:
        raise SpeedError("pydata-sphinx-theme.js: the scroll-box measurement to replace was not found "
                         "(a new theme version?): update THEME_MEASURE in tools/site_speed.py")
    path.write_text(text.replace(THEME_MEASURE, LAZY_MEASURE), encoding="utf-8")


# --------------------------------------------------------------------------- skipped sections

SECTION_TAG = re.compile(r"<section\b[^>]*>|</section>")
ARTICLE = re.compile(r'<article class="bd-article"[^>]*>')


def section_height(body):
    """An upper bound (px) of a section's height in a 358 px column, from its HTML.

    Prose at 28 characters a line (a phone shows about 40) of 27 px; code and
    printed output at 20 px a line; 800 px a figure (a full-width figure on a
    phone is at most about 540 px tall); 160 px a display formula; 60 px of
    margins for every block, 30 px more for every table cell (narrow cells wrap); then 30 % more.
    """
    def strip(pattern, text):
        return re.sub(pattern, " ", text, flags=re.S)

    code_lines = sum(m.count("\n") + 1 for m in re.findall(r"<pre\b.*?</pre>", body, re.S))
    code_blocks = len(re.findall(r"<pre\b", body))
    prose = strip(r"<pre\b.*?</pre>", body)
    prose = strip(r"<mjx-assistive-mml.*?</mjx-assistive-mml>", prose)
    prose = strip(r"<svg\b.*?</svg>", prose)
    prose = strip(r"<script\b.*?</script>", prose)
    chars = len(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", prose))))
    blocks = len(re.findall(r"<(?:p|li|h[1-6]|div|tr|dt|dd|figure|table|details)\b", body))
    figures = len(re.findall(r"<img\b", body))
    displays = len(re.findall(r'<div class="math', body))
    cells = len(re.findall(r"<t[dh]\b", body))
    px = (chars / 28 * 27 + code_lines * 20 + code_blocks * 40 + figures * 800 + displays * 160 + blocks * 60
          + cells * 30)
    return int(px * 1.3) + 200


# A section's heading, after the empty anchors that cross-reference labels put before it.
HEADING = re.compile(r'\s*(?:<span id="[^"]*"></span>\s*)*<h([1-6])\b[^>]*>.*?</h\1>', re.S)


def _section_end(text, start):
    """(start, end) of the ``</section>`` that closes the section whose body starts at ``start``."""
    depth = 1
    for m in SECTION_TAG.finditer(text, start):
        depth += -1 if m.group(0) == "</section>" else 1
        if depth == 0:
            return m.start(), m.end()
    raise SpeedError("a <section> is never closed")


BLOCK_BYTES = 6_000   # a block ends at the first element boundary after this much HTML
TOKEN = re.compile(r"<!--.*?-->|<(script|style|pre|textarea)\b.*?</\1>|<(/?)([a-zA-Z][\w:-]*)\b[^>]*?(/?)>", re.S)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _step(m, open_tags):
    """Update the list of open elements for the token ``m`` of :data:`TOKEN` (comments and
    raw-text elements leave it as it is); a closing tag must close the innermost open element."""
    if m.group(3) is not None:
        name = m.group(3).lower()
        if m.group(2):
            if not open_tags or open_tags[-1] != name:
                raise SpeedError(f"a section's body closes <{name}> where "
                                 f"{'<' + open_tags[-1] + '>' if open_tags else 'nothing'} is open")
            open_tags.pop()
        elif not m.group(4) and name not in VOID:
            open_tags.append(name)


def _chunks(run, limit=BLOCK_BYTES):
    """``run`` cut between its top-level elements into pieces of about ``limit`` characters or more."""
    pieces, start, open_tags = [], 0, []
    for m in TOKEN.finditer(run):
        _step(m, open_tags)
        if not open_tags and m.end() - start >= limit:
            pieces.append(run[start:m.end()])
            start = m.end()
    if open_tags:
        raise SpeedError(f"a section's body leaves <{open_tags[-1]}> open")
    pieces.append(run[start:])
    if len(pieces) > 1 and not pieces[-1].strip():
        tail = pieces.pop()
        pieces[-1] += tail
    return pieces


def _skippable(run):
    if not run.strip() or 'id="site-weights"' in run:
        # Nothing to skip, or the Performance page's table (filled in later: its height is unknown).
        return run
    return "".join(f'<div class="cv-block" style="contain-intrinsic-size: auto {section_height(piece)}px">{piece}</div>'
                   for piece in _chunks(run))


def _wrap_section_body(body):
    """A section's body with its heading kept and every run of other content made skippable."""
    out, pos = [], 0
    h = HEADING.match(body)
    if h:
        out.append(body[:h.end()])
        pos = h.end()
    run_start, open_tags, i = pos, [], pos
    while (m := TOKEN.search(body, i)) is not None:
        if not open_tags and m.group(3) == "section" and not m.group(2):
            # A subsection (not one nested in a block of the run): its own heading and runs.
            close_start, close_end = _section_end(body, m.end())
            out.append(_skippable(body[run_start:m.start()]))
            out.append(m.group(0) + _wrap_section_body(body[m.end():close_start]) + "</section>")
            run_start = i = close_end
            continue
        _step(m, open_tags)
        i = m.end()
    out.append(_skippable(body[run_start:]))
    return "".join(out)


def skip_blocks(text):
    """Wrap the content of each top-level section of the article (see the module's docstring)."""
    spans = top_sections(text)
    for a, b in reversed(spans):
        text = text[:a] + _wrap_section_body(text[a:b]) + text[b:]
    return text


def top_sections(text):
    """[(start, end)] of the body of each top-level section below the article's title."""
    art = ARTICLE.search(text)
    if not art:
        return []
    spans, depth, opened = [], 0, None
    for m in SECTION_TAG.finditer(text, art.end()):
        if m.group(0) == "</section>":
            if depth == 2 and opened is not None:
                spans.append((opened, m.start()))
                opened = None
            depth -= 1
            if depth == 0:
                break
        else:
            depth += 1
            if depth == 2:
                opened = m.end()
    return spans


# --------------------------------------------------------------------------- figures

IMG = re.compile(r"<img\b[^>]*>")
IMG_SRC = re.compile(r'\ssrc="([^"]+)"')


def _image_size(path):
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def lazy_images(text, page_dir):
    """``loading="lazy"`` on the figures after the page's introduction; pixel width and height on every figure.

    ``page_dir`` is the page's folder in the built site (figure sources are relative to it).
    A figure in the page's introduction (before its first top-level section) stays eager: it
    may be in the first screen, even its largest paint.
    """
    spans = top_sections(text)

    def fix(m):
        tag = m.group(0)
        src = IMG_SRC.search(tag)
        if not src or "_images/" not in src.group(1) and "_static/explorers/" not in src.group(1):
            return tag
        new = tag
        if not re.search(r"\s(?:width|height)=", tag):
            path = Path(page_dir) / html.unescape(src.group(1))
            if not path.is_file():
                raise SpeedError(f"a figure's file is missing: {path}")
            w, h = _image_size(path)
            new = new.replace("<img ", f'<img width="{w}" height="{h}" ', 1)
        if "loading=" not in tag and any(a <= m.start() < b for a, b in spans):
            new = new.replace("<img ", '<img loading="lazy" ', 1)
        return new

    return IMG.sub(fix, text)


# --------------------------------------------------------------------------- formulas

MJX_SVG = re.compile(r'(<mjx-container\b[^>]*>)(<svg\b.*?</svg>)(<mjx-assistive-mml)', re.S)
G_TAG = re.compile(r"<(/?)g(\s[^>]*)?>")
MJX_KEEP = re.compile(r'data-mml-node="(?:mtable|merror|maction)"')
MJX_COLOUR = '<g stroke="currentColor" fill="currentColor" stroke-width="0" '
SVG_NS = (' xmlns="http://www.w3.org/2000/svg"', ' xmlns:xlink="http://www.w3.org/1999/xlink"')


def _unwrap_bare_groups(svg):
    """Drop every ``<g>`` that has no attribute, keeping its children in place."""
    out, stack, pos = [], [], 0
    for m in G_TAG.finditer(svg):
        out.append(svg[pos:m.start()])
        pos = m.end()
        if m.group(1):
            if not stack:
                raise SpeedError("a formula's SVG closes a <g> it never opened")
            if stack.pop():
                out.append(m.group(0))
        else:
            keep = bool((m.group(2) or "").strip())
            stack.append(keep)
            if keep:
                out.append(m.group(0))
    if stack:
        raise SpeedError("a formula's SVG leaves a <g> open")
    out.append(svg[pos:])
    return "".join(out)


def slim_svg(svg):
    """One formula's SVG without what only MathJax's scripts read (see the module's docstring)."""
    if MJX_KEEP.search(svg):
        return svg
    svg = re.sub(r' data-(?:mml-node|c)="[^"]*"', "", svg)
    for ns in SVG_NS:
        svg = svg.replace(ns, "")
    svg = svg.replace(" xlink:href=", " href=").replace(MJX_COLOUR, "<g ")
    return _unwrap_bare_groups(svg)


def slim_maths(text):
    """:func:`slim_svg` on every build-time formula of a page (its MathML is left alone)."""
    return MJX_SVG.sub(lambda m: m.group(1) + slim_svg(m.group(2)) + m.group(3), text)


# --------------------------------------------------------------------------- head and CSS

DOC_OPTIONS = re.compile(r'<script src="[^"]*_static/documentation_options\.js(?:\?[^"]*)?"></script>')


def inline_documentation_options(text, source):
    """The small script that later inline scripts need, inlined (no request before the first paint)."""
    if "</script" in source:
        raise SpeedError("documentation_options.js contains </script>: it cannot be inlined")
    return DOC_OPTIONS.sub(lambda m: "<script>" + source.strip() + "</script>", text, count=1)


CSS_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")
ICON_RULE = re.compile(r"\.fa-[a-z0-9-]+:+(?:before|after)")


def drop_icon_rules(css):
    """Remove the rules whose every selector is ``.fa-NAME:before`` (or ``:after``)."""
    def keep(m):
        selectors = [s.strip() for s in m.group(1).split(",")]
        # Inside "@media ... {" blocks too: such a rule is as unable to draw as a top-level one.
        if selectors and all(ICON_RULE.fullmatch(s) for s in selectors):
            return ""
        return m.group(0)

    return CSS_RULE.sub(keep, css)


def apply(out, pages, logger):
    """Rewrite ``pages`` ({rel: html}) in place and the theme's files under ``out/_static``."""
    static = Path(out) / "_static"
    try:
        patch_theme_js(static)
    except SpeedError as err:
        logger.warning(f"site_speed: {err}")
    pygments = static / "pygments.css"
    classes = plain_code_classes(pygments.read_text(encoding="utf-8")) if pygments.is_file() else set()
    if not {"n", "p"} <= classes:
        logger.warning(f"site_speed: Pygments' names and punctuation are not plain text any more ({sorted(classes)})")
    options = static / "documentation_options.js"
    source = options.read_text(encoding="utf-8") if options.is_file() else None
    for rel, text in pages.items():
        text = slim_maths(text)
        text = lazy_images(text, (Path(out) / rel).parent)
        text = unwrap_plain_code(text, classes)
        text = scroll_tabindex(text)
        text = skip_blocks(text)
        if source is not None:
            text = inline_documentation_options(text, source)
        pages[rel] = text
    css = static / "styles" / "pydata-sphinx-theme.css"
    if css.is_file():
        css.write_text(drop_icon_rules(css.read_text(encoding="utf-8")), encoding="utf-8")
