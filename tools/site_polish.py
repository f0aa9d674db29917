"""Make the built pages light, fast and accessible (a Sphinx extension; runs at the end of every HTML build).

What a page costs a reader on a phone is mostly what the theme and the
extensions load by default; this extension rewrites the built HTML so that:

- **Maths is rendered at build time** (MathJax 3 from npm ``mathjax-full``, run
  by ``node tools/render_maths.js``): each formula becomes an SVG picture
  (hidden from screen readers) beside its MathML (read by them), so no maths
  script or font is downloaded and no formula is a tab stop. In headings and
  links, whose accessible name Chromium computes without MathML, a formula's
  hidden text is its readable form instead ("Why vₜ can fall"). Glyph outlines
  are shared by all the formulas of a page (one hidden ``<svg>`` of
  definitions). The MathJax script is dropped from pages.
- **Icons are inline SVG**: the theme's Font Awesome script (1.5 MB, it swaps
  ``<i class="fa-...">`` for SVGs in the browser) is replaced by those same
  SVGs, taken from that script at build time.
- **Explorers compute in the page**: the ipywidgets explorers' stored outputs
  become static explorers (``tools/site_explorers.py``, ``explorers.js``) whose
  controls recompute the runs without a kernel; the ipywidgets manager (4.4 MB)
  is no longer loaded, nor shipped.
- **Accessibility**: buttons whose visible text and accessible name differ,
  the bibliography's list roles, scrollable regions reachable by keyboard,
  content outside landmarks.
- **Layout**: wide tables scroll inside their own box (at any width); display
  maths shrinks to the column; one search box in the header.
- **Search**: titles in the search index show maths as readable text
  ("Why vₜ can fall"), result summaries too, and the symbol "ε" finds
  what "epsilon" finds.
- **Speed** on long pages (``tools/site_speed.py``): off-screen sections are
  not laid out, the theme's scripts do not force a layout of the whole page,
  code cells have fewer elements, no render-blocking script request.
- **Weights**: each page's cold-load weight (bytes sent gzipped: HTML, its
  scripts, stylesheets, fonts, figures) is computed from the final files and
  written into the Performance page (``site-weights`` table), so that page
  is never stale; ``tests/test_site_budget.py`` checks the figures against a
  real browser's cold load.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

try:
    import site_speed
    import site_weights
except ImportError:  # imported as tools.site_polish
    from tools import site_speed, site_weights

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
NODE_MODULES = TOOLS / "node_modules"
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}
CSS_NAME = "site-polish.css"
JS_NAME = "site-polish.js"

# --------------------------------------------------------------------------- maths

MATH_SPAN = re.compile(r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>', re.S)
MATH_DIV = re.compile(r'(<div class="math notranslate nohighlight"[^>]*>)\s*\\\[(.*?)\\\]\s*</div>', re.S)
GLYPH_DEF = re.compile(r'<path id="MJX-\d+-(TEX-[A-Z0-9]+-[0-9A-F]+)" d="([^"]*)"></path>')
DEFS = re.compile(r"<defs>(?:<path [^>]*></path>)*</defs>")
GLYPH_REF = re.compile(r'xlink:href="#MJX-\d+-(TEX-[A-Z0-9]+-[0-9A-F]+)"')


class PolishError(RuntimeError):
    pass


def render_tex(items):
    """[(tex, display)] -> ([html], css) through node and mathjax-full."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "mathjax-full").is_dir():
        raise PolishError("maths is rendered at build time by node with npm mathjax-full: "
                          "install Node.js and run `npm ci --prefix tools` (make book does)")
    payload = json.dumps({"items": [{"tex": t, "display": d} for t, d in items]})
    proc = subprocess.run([node, str(TOOLS / "render_maths.js")], input=payload, capture_output=True,
                          text=True, cwd=TOOLS)
    if proc.returncode != 0:
        raise PolishError(f"render_maths.js failed: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    bad = [(items[i][0], msg) for i, msg in out["errors"]]
    bad += [(items[i][0], "MathJax error (merror)") for i, h in enumerate(out["html"])
            if h and 'data-mml-node="merror"' in h]
    if bad:
        raise PolishError("TeX that MathJax cannot render: " + "; ".join(f"{t!r}: {m}" for t, m in bad[:5]))
    return out["html"], out["css"]


def readable(tex):
    """TeX -> plain readable text with Unicode symbols (for search titles and summaries)."""
    s = tex.strip()
    words = {
        "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
        "theta": "θ", "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "nabla": "∇",
        "sum": "∑", "cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "approx": "≈",
        "ne": "≠", "neq": "≠", "to": "→", "rightarrow": "→", "infty": "∞", "pm": "±", "ln": "ln", "log": "log",
        "odot": "⊙", "partial": "∂", "quad": " ", "qquad": " ", "ldots": "…", "dots": "…", "cdots": "⋯",
        "mid": "|", "lvert": "|", "rvert": "|", "sqrt": "√", "Delta": "Δ", "Sigma": "Σ", "operatorname": "",
        "mathrm": "", "text": "", "mathbf": "", "boldsymbol": "", "left": "", "right": "", "big": "", "Big": "",
        "displaystyle": "", "min": "min", "max": "max", "sign": "sign", "hat": "", "bar": "", "tilde": "",
    }
    sub = str.maketrans("0123456789+-=()aeijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
    sup = str.maketrans("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ")

    def script(m):
        mark, body = m.group(1), m.group(2) or m.group(3)
        table, allowed = (sub, "0123456789+-=()aeijklmnoprstuvx") if mark == "_" else \
            (sup, "0123456789+-=()in")
        if all(c in allowed for c in body):
            return body.translate(table)
        return f"{mark}({body})" if len(body) > 1 else f"{mark}{body}"

    s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", s)
    s = re.sub(r"\\sqrt\{([^{}]*)\}", lambda m: "√" + (m.group(1) if len(m.group(1)) == 1 else f"({m.group(1)})"), s)
    s = re.sub(r"\\([A-Za-z]+)", lambda m: words.get(m.group(1), m.group(1)), s)
    s = re.sub(r"\\[,;:! ]", " ", s)
    s = re.sub(r"([_^])(?:\{([^{}]*)\}|([A-Za-z0-9]))", script, s)
    s = s.replace("{", "").replace("}", "").replace("&", "").replace("\\\\", ";")
    return re.sub(r"\s+", " ", s).strip()


def _maths(pages):
    """Replace every \\(...\\) and \\[...\\] of every page with MathJax's SVG + MathML; return the CSS."""
    wanted = {}
    for text in pages.values():
        for m in MATH_SPAN.finditer(text):
            wanted.setdefault((html.unescape(m.group(1)), False), None)
        for m in MATH_DIV.finditer(text):
            wanted.setdefault((html.unescape(m.group(2)), True), None)
    if not wanted:
        return ""
    items = list(wanted)
    rendered, css = render_tex(items)
    done = dict(zip(items, rendered))

    def tag(container, tex):
        # The readable text is for search summaries (site-polish.js on search.html), not for display.
        return container.replace("<mjx-container ", f'<mjx-container data-text="{html.escape(readable(tex))}" ', 1)

    titles = _titles_as_text(pages)
    for rel, text in pages.items():
        text = REF_TEXT.sub(lambda m: m.group(1) + _readable_ref(m.group(2), titles) + m.group(3), text)
        text = MATH_SPAN.sub(lambda m: '<span class="math notranslate nohighlight">'
                             + tag(done[(html.unescape(m.group(1)), False)], html.unescape(m.group(1)))
                             + "</span>", text)
        text = MATH_DIV.sub(lambda m: m.group(1) + tag(done[(html.unescape(m.group(2)), True)],
                                                         html.unescape(m.group(2))) + "</div>", text)
        text = NAMED_BY_CONTENT.sub(_maths_as_text, text)
        glyphs = dict(GLYPH_DEF.findall(text))
        if glyphs:
            text = DEFS.sub("", text)
            text = GLYPH_REF.sub(r'xlink:href="#MJX-\1"', text)
            defs = "".join(f'<path id="MJX-{k}" d="{d}"></path>' for k, d in sorted(glyphs.items()))
            hidden = (f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">'
                      f"<defs>{defs}</defs></svg>")
            text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + hidden, text, count=1)
        pages[rel] = text
    return css


# A cross-reference to a heading with maths ({doc}, {ref}) is written by Sphinx with the heading's TeX
# source as text ("Why v_t can fall"); it shows the heading's readable text instead ("Why vₜ can fall").
HEADING = re.compile(r"<h[1-6]\b[^>]*>(.*?)</h[1-6]>", re.S)
REF_TEXT = re.compile(r'(<span class="(?:doc|std std-ref)">)([^<]*)(</span>)')


def _titles_as_text(pages):
    """{heading as Sphinx's references write it (TeX source): heading with its maths readable}."""
    titles = {}
    for text in pages.values():
        for h in HEADING.finditer(text):
            inner = h.group(1)
            if not MATH_SPAN.search(inner):
                continue
            inner = re.sub(r'<span class="section-number">.*?</span>|<a class="headerlink".*?</a>', "", inner, flags=re.S)

            def plain(with_maths):
                return " ".join(html.unescape(re.sub(r"<[^>]+>", "", MATH_SPAN.sub(with_maths, inner))).split())
            titles[plain(lambda m: html.unescape(m.group(1)))] = plain(lambda m: html.escape(readable(html.unescape(m.group(1)))))
    return titles


def _readable_ref(text, titles):
    """A reference's (escaped) text, with the readable title if it names a heading with maths."""
    plain = html.unescape(text)
    return html.escape(titles[plain], quote=False) if plain in titles else text


# Headings and links are named by their content; Chromium (156) leaves MathML out of that name
# ("4. Why can fall"), so in them a formula's hidden MathML becomes its readable text ("vₜ").
NAMED_BY_CONTENT = re.compile(r"<(h[1-6]|a)\b[^>]*>.*?</\1>", re.S)
ASSISTIVE = re.compile(r'(<mjx-container data-text="([^"]*)".*?<mjx-assistive-mml\b[^>]*>).*?(</mjx-assistive-mml>)', re.S)


def _maths_as_text(m):
    """A heading or link whose formulas are read as their text: the name screen readers give it."""
    return ASSISTIVE.sub(lambda k: k.group(1) + k.group(2) + k.group(3), m.group(0))


# --------------------------------------------------------------------------- icons

FA_ICON = re.compile(r'[,{]"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]+",("[^"]*"|\["[^"]*","[^"]*"\])\]')
FA_SET = re.compile(r'\(function\(\)\{\w+\("(fa[bsr])",\w+\)')
ICON_TAG = re.compile(r'<(i|span) class="([^"]*\bfa[bsr]?\b[^"]*|[^"]*\bfa-(?:solid|brands|regular)\b[^"]*)"([^>]*)>\s*</\1>')
SETS = {"fas": "fas", "fa-solid": "fas", "fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far"}


def font_awesome_icons(script):
    """{(set, name): (width, height, path)} from the theme's fontawesome.js (Font Awesome's own data)."""
    sets = [(m.start(), m.group(1)) for m in FA_SET.finditer(script)]
    icons = {}
    for m in FA_ICON.finditer(script):
        owner = next((s for pos, s in sets if pos > m.start()), None)
        if owner is None:
            continue
        try:
            path = json.loads(m.group(4))
        except ValueError:
            continue
        if isinstance(path, list):
            path = " ".join(path)
        icons.setdefault((owner, m.group(1)), (int(m.group(2)), int(m.group(3)), path))
    return icons


def _icons(pages, icons):
    missing = set()

    def svg(m):
        classes = m.group(2).split()
        kind = next((SETS[c] for c in classes if c in SETS), "fas")
        names = [c[3:] for c in classes if c.startswith("fa-") and c not in SETS
                 and c[3:] not in ("lg", "sm", "xs", "fw", "2x", "3x")]
        found = next(((n, icons[(kind, n)]) for n in names if (kind, n) in icons), None)
        if found is None:
            missing.add(m.group(0)[:120])
            return m.group(0)
        w, h, path = found[1]
        attrs = re.sub(r'\s+title="[^"]*"', "", m.group(3))   # a title would give a label that no one sees
        return (f'<svg class="{" ".join(classes)} svg-inline--fa"{attrs} aria-hidden="true" focusable="false" '
                f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path fill="currentColor" d="{path}"/>'
                "</svg>")

    for rel, text in pages.items():
        pages[rel] = ICON_TAG.sub(svg, text)
    return sorted(missing)


# --------------------------------------------------------------------------- scripts and markup

def _drop_script(text, needle):
    return re.sub(r'<script\b[^>]*\bsrc="[^"]*' + re.escape(needle) + r'[^"]*"[^>]*>\s*</script>\s*', "", text)


WIDGET_STATE = 'type="application/vnd.jupyter.widget-state+json"'
WIDGET_VIEW = re.compile(r'(<script type="application/vnd.jupyter.widget-view\+json">)')


def _widgets(rel, text, depth, out):
    """Pages with stored explorers: static explorers that compute in the page (tools/site_explorers.py)."""
    if WIDGET_STATE not in text and "widget-view+json" not in text:
        return text
    try:
        import site_explorers
    except ImportError:
        from tools import site_explorers
    return site_explorers.convert_page(text, depth, out)


def _explorers_done(out, pages, logger):
    try:
        import site_explorers
    except ImportError:
        from tools import site_explorers
    site_explorers.install(out, pages)
    site_explorers.drop_widget_manager(out, pages)


def _markup(text):
    # Buttons whose visible text is more than their aria-label (search: "Search Ctrl+K"): the
    # visible text is the name, so that speech users can say what they see.
    text = re.sub(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"', r"\1", text)
    # The theme switch's aria-label and title differ from its icons' titles (removed with the icons).
    # Bibliography: DPUB's doc-biblioentry is deprecated and not a list item; use a plain list.
    text = text.replace('role="doc-biblioentry"', 'role="listitem"')
    # A header cell that holds only a formula gets the formula's text as its name (axe does not
    # count MathML as the cell's text).
    text = re.sub(r'<th class="head">(.*?)</th>', _name_math_header, text, flags=re.S)
    # An empty header cell (a corner) is a data cell with nothing in it, not a header.
    text = re.sub(r'<th class="head">(?:<p></p>)?</th>', '<td class="head"></td>', text)
    # The sidebar's brand link and search button sit outside any landmark: the sidebar's top
    # section becomes part of the book's navigation landmark.
    text = text.replace('<div class="sidebar-primary-items__start sidebar-primary__section">',
                        '<div class="sidebar-primary-items__start sidebar-primary__section" role="navigation" '
                        'aria-label="Book">', 1)
    return text


def _name_math_header(m):
    inner = m.group(1)
    if "<mjx-container" not in inner:
        return m.group(0)
    outside = re.sub(r"<[^>]+>", "", re.sub(r"<mjx-container.*?</mjx-container>", "", inner, flags=re.S)).strip()
    if outside:
        return m.group(0)
    # A column named by a symbol ("ε", "β"): the symbol as text, visible and read alike.
    inner = re.sub(r'<span class="math notranslate nohighlight"><mjx-container data-text="([^"]*)".*?</mjx-container></span>',
                   lambda t: f'<span class="math-text">{t.group(1)}</span>', inner, flags=re.S)
    return f'<th class="head">{inner}</th>'


THEBE_CDN = re.compile(r'"https://unpkg\.com/thebe@[^"/]+/lib/index\.js"')


def _thebe(text, depth):
    """Live Code loads Thebe from this site (tools/site_assets.py stages it), never from a CDN."""
    text = THEBE_CDN.sub(lambda m: f'"{"../" * depth}_static/vendor/thebe/index.js"', text)
    # Thebe would fetch MathJax 2 from cdnjs for its outputs; the page's maths is already rendered.
    return text.replace("        requestKernel: true,\n", "        requestKernel: true,\n        mathjaxUrl: false,\n", 1)


# --------------------------------------------------------------------------- figures and fonts

PNG_SRC = re.compile(r'(<img\b[^>]*\bsrc=")([^"]*_images/[^"]+)\.png(")')


def _webp_figures(out, pages):
    """Figures as lossless WebP (the same pixels, about half the bytes of Matplotlib's PNG)."""
    from PIL import Image

    cache = ROOT / "_build" / "assets" / "webp"
    cache.mkdir(parents=True, exist_ok=True)
    done = {}

    def convert(m, rel):
        src = (out / rel).parent / (m.group(2) + ".png")
        key = src.resolve()
        if key not in done:
            done[key] = False
            if src.is_file():
                import hashlib
                digest = hashlib.sha256(src.read_bytes()).hexdigest()[:32]
                cached = cache / f"{digest}.webp"
                if not cached.is_file():
                    with Image.open(src) as im:
                        im.save(cached, "WEBP", lossless=True, method=5)
                if cached.stat().st_size < src.stat().st_size:
                    shutil.copyfile(cached, src.with_suffix(".webp"))
                    done[key] = True
        return m.group(1) + m.group(2) + (".webp" if done[key] else ".png") + m.group(3)

    for rel, text in pages.items():
        pages[rel] = PNG_SRC.sub(lambda m: convert(m, rel), text)


FONT_URL = re.compile(r'url\(([^)]*?webfonts/(fa-[a-z]+-\d+))\.woff2\)\s*format\("woff2"\)')


def _subset_icon_fonts(out):
    """Font Awesome's CSS icons (admonitions, toggles) keep working from a subset of its fonts.

    The theme's stylesheet asks for the whole font (156 KB for the solid set) for a
    handful of icons; only the code points that the site's stylesheets name are kept.
    """
    from fontTools import subset

    static = out / "_static"
    css_files = list(static.rglob("*.css"))
    points = set()
    for css in css_files:
        # Every icon's own ".fa-NAME:before" rule is there for <i class="fa-NAME">, which the
        # pages no longer use (inline SVG); the code points that matter are in the other rules
        # (the theme's --pst-icon-* variables, admonition and toggle icons).
        for m in re.finditer(r"([^{}]*)\{([^{}]*)\}", css.read_text(encoding="utf-8", errors="replace")):
            selectors = [x.strip() for x in m.group(1).split(",")]
            if all(re.fullmatch(r"\.fa-[a-z0-9-]+:+(?:before|after)", x) for x in selectors if x):
                continue
            for c in re.finditer(r'\\([ef][0-9a-fA-F]{3})\b', m.group(2)):
                points.add(int(c.group(1), 16))
    made = {}
    for css in css_files:
        text = css.read_text(encoding="utf-8", errors="replace")
        if "webfonts/fa-" not in text:
            continue

        def swap(m):
            rel_base, name = m.group(1), m.group(2)
            ttf = (css.parent / (rel_base + ".ttf")).resolve()
            if not ttf.is_file():
                return m.group(0)
            if ttf not in made:
                target = ttf.with_name(f"{name}.subset.woff")
                opts = subset.Options()
                opts.flavor = "woff"
                opts.layout_features = ["*"]
                font = subset.load_font(str(ttf), opts)
                sub = subset.Subsetter(opts)
                sub.populate(unicodes=sorted(points))
                sub.subset(font)
                subset.save_font(font, str(target), opts)
                made[ttf] = target
            # About 1 KB: inlined, so that it costs no request and is counted with the stylesheet.
            import base64
            data = base64.b64encode(made[ttf].read_bytes()).decode()
            return f'url(data:font/woff;base64,{data}) format("woff")'

        new = FONT_URL.sub(swap, text)
        # The truetype fallbacks are for browsers without woff; drop them so nothing asks for 400 KB.
        new = re.sub(r',\s*url\([^)]*webfonts/fa-[a-z]+-\d+\.ttf\)\s*format\("truetype"\)', "", new)
        if new != text:
            css.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------------- head: one stylesheet, no blocking script

HEAD = re.compile(r"<head>.*?</head>", re.S)
STYLE_LINK = re.compile(r'\s*<link\b(?=[^>]*\brel="stylesheet")[^>]*\bhref="([^"]+)"[^>]*/?>')
CSS_URL = re.compile(r'url\(\s*(["\']?)([^"\')]+)\1\s*\)')
CSS_IMPORT_RULE = re.compile(r'@import\s+(?:url\()?\s*["\']([^"\']+)["\']\s*\)?\s*;')


def _css_for_bundle(path, static, seen=None):
    """A stylesheet's text with its @imports inlined and its url()s made relative to _static/."""
    import os
    seen = seen if seen is not None else set()
    if path in seen:
        return ""
    seen.add(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    text = CSS_IMPORT_RULE.sub(lambda m: _css_for_bundle((path.parent / m.group(1)).resolve(), static, seen), text)

    def fix(m):
        url = m.group(2)
        if re.match(r"^(data:|[a-z]+:|/|#)", url):
            return m.group(0)
        target = (path.parent / url.split("?")[0].split("#")[0]).resolve()
        rel = os.path.relpath(target, static).replace(os.sep, "/")
        return f'url("{rel}")'

    return CSS_URL.sub(fix, text)


def _bundle_styles(out, rel, text, bundles):
    """Replace the head's dozen stylesheets by one file (same order, same rules): one request, one RTT."""
    import hashlib

    head = HEAD.search(text)
    if not head:
        return text
    links = STYLE_LINK.findall(head.group(0))
    files = []
    for href in links:
        f = ((out / rel).parent / html.unescape(href).split("?")[0]).resolve()
        if not f.is_file():
            return text
        files.append(f)
    if len(files) < 2:
        return text
    key = tuple(files)
    if key not in bundles:
        static = out / "_static"
        body = "\n".join(f"/* {f.relative_to(out).as_posix()} */\n" + _css_for_bundle(f, static) for f in files)
        name = f"bundle-{hashlib.sha256(body.encode()).hexdigest()[:16]}.css"
        (static / name).write_text(body, encoding="utf-8")
        bundles[key] = name
    link = f'<link rel="stylesheet" href="{"../" * rel.count("/")}_static/{bundles[key]}" />'
    new_head = STYLE_LINK.sub("", head.group(0))
    new_head = new_head.replace("<head>", "<head>", 1)
    new_head = re.sub(r"(<title>.*?</title>)", lambda m: m.group(1) + "\n  " + link, new_head, count=1, flags=re.S)
    return text[:head.start()] + new_head + text[head.end():]


def _unblock_scripts(text):
    """Scripts in the head run deferred (in order, after parsing), so they no longer hold up the first paint.

    documentation_options.js stays as it is: inline scripts right after it use DOCUMENTATION_OPTIONS.
    The theme's preloads of its deferred scripts are dropped: on a slow link they compete with
    the stylesheet that the first paint waits for.
    """
    head = HEAD.search(text)
    if not head:
        return text
    h = head.group(0)
    h = re.sub(r'<script(?![^>]*\b(?:defer|async)\b)(?=[^>]*\bsrc=")(?![^>]*documentation_options\.js)',
               '<script defer', h)
    h = re.sub(r'\s*<link rel="preload" as="script"[^>]*/>', "", h)
    return text[:head.start()] + h + text[head.end():]


def _description(text):
    """<meta name="description">: the page's first paragraph, as plain text (search engines show it)."""
    if 'name="description"' in text:
        return text
    main = text.find('<article class="bd-article"')
    for m in re.finditer(r"<p>(.*?)</p>", text[main if main >= 0 else 0:], re.S):
        inner = re.sub(r'<mjx-container data-text="([^"]*)".*?</mjx-container>', lambda t: t.group(1), m.group(1),
                       flags=re.S)
        plain = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", inner))).strip()
        if len(plain) >= 40:
            if len(plain) > 160:
                plain = plain[:157].rsplit(" ", 1)[0] + "..."
            return text.replace("</title>", f'</title>\n  <meta name="description" content="{html.escape(plain)}" />',
                                1)
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    desc = re.sub(r"<[^>]+>", "", html.unescape(title.group(1))) if title else "RMSProp, from the ground up"
    return text.replace("</title>", f'</title>\n  <meta name="description" content="{html.escape(desc)}" />', 1)


# --------------------------------------------------------------------------- search index

def _search_index(outdir):
    path = Path(outdir) / "searchindex.js"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.index("(") + 1, text.rindex(")")
    index = json.loads(text[start:end])

    def plain(title):
        title = re.sub(r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>',
                       lambda m: readable(html.unescape(m.group(1))), title)
        return re.sub(r"\\\((.*?)\\\)", lambda m: readable(m.group(1)), title)

    index["titles"] = [plain(t) for t in index["titles"]]
    index["alltitles"] = {readable(k) if "\\" in k else k: v for k, v in index["alltitles"].items()}
    for key in ("terms", "titleterms"):
        terms = index[key]
        for word, symbols in (("epsilon", ("ε", "ϵ")), ("beta", ("β",)), ("eta", ("η",)), ("theta", ("θ",)),
                              ("mu", ("μ",))):
            if word in terms:
                for sym in symbols:
                    terms[sym] = terms[word]
    path.write_text(text[:start] + json.dumps(index, ensure_ascii=False, separators=(",", ":"))
                    + text[end:], encoding="utf-8")


# --------------------------------------------------------------------------- Sphinx


def _page_context(app, pagename, templatename, context, doctree):
    """Drop MathJax from every page's scripts (maths is pre-rendered)."""
    files = context.get("script_files")
    if files:
        files[:] = [f for f in files if "mathjax" not in str(getattr(f, "filename", f) or "")
                    and "window.MathJax" not in str((getattr(f, "attributes", None) or {}).get("body", ""))]


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    out = Path(app.outdir)
    rels = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")
                  if not SKIP_DIRS & set(p.relative_to(out).parts[:-1]))
    pages = {rel: (out / rel).read_text(encoding="utf-8") for rel in rels}
    try:
        css = _maths(pages)
    except PolishError as err:
        logger.warning(f"site_polish: {err}")
        return
    fa = out / "_static" / "scripts" / "fontawesome.js"
    if fa.is_file():
        missing = _icons(pages, font_awesome_icons(fa.read_text(encoding="utf-8")))
        if missing:
            logger.warning(f"site_polish: icons not found in Font Awesome's data: {missing[:5]}")
        fa.unlink()   # 1.5 MB: its icons are inlined above and every page's script tag is dropped below
    _webp_figures(out, pages)
    _subset_icon_fonts(out)
    for rel, text in pages.items():
        depth = rel.count("/")
        text = _drop_script(text, "_static/scripts/fontawesome.js")
        text = _drop_script(text, "vendor/mathjax/")
        if rel != "search.html":
            # The theme loads Sphinx's search (and its 90 KB index) on every page for an inline
            # search that this site does not enable; the search page loads them itself.
            for needle in ("_static/searchtools.js", "_static/language_data.js", "searchindex.js"):
                text = _drop_script(text, needle)
        text = _widgets(rel, text, depth, out)
        text = _thebe(text, depth)
        text = _markup(text)
        text = _unblock_scripts(text)
        text = _description(text)
        pages[rel] = text
    (out / "_static" / "mathjax-svg.css").write_text(css + "\n")
    _explorers_done(out, pages, logger)
    site_speed.apply(out, pages, logger)
    bundles = {}
    for rel, text in pages.items():
        (out / rel).write_text(_bundle_styles(out, rel, text, bundles), encoding="utf-8")
    _search_index(out)
    site_weights.write_into_pages(out, logger)


def _favicon(app):
    # Without a favicon every first visit logs a 404 for /favicon.ico (Lighthouse: console errors).
    # Set here, by absolute path, so that builds of a copy of the book (the student edition) find it.
    if not app.config.html_favicon:
        app.config.html_favicon = str(TOOLS / "static" / "favicon.svg")


def setup(app):
    app.connect("builder-inited", _favicon)
    app.add_css_file(CSS_NAME)
    app.add_css_file("mathjax-svg.css")
    app.add_css_file(site_speed.CSS_NAME)
    app.add_js_file(JS_NAME, loading_method="defer")
    app.connect("html-page-context", _page_context, priority=950)
    app.connect("build-finished", _build_finished, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
