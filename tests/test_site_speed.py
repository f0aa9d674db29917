"""tools/site_speed.py: each rewrite of the built pages on its own (no browser; the browser
checks of the whole site are in tests/test_site_quality.py and tests/test_site.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_speed  # noqa: E402

PYGMENTS = """
html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .n { color: #080808 } /* Name */
html[data-theme="light"] .highlight .p { color: #080808 }
html[data-theme="light"] .highlight .k { color: #8045E5 }
html[data-theme="light"] .highlight .nb { color: #080808; font-weight: bold }
html[data-theme="light"] .highlight .w { color: #080808 }
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .n { color: #F8F8F2 }
html[data-theme="dark"] .highlight .p { color: #f8f8f2 }
html[data-theme="dark"] .highlight .k { color: #DCC6E0 }
html[data-theme="dark"] .highlight .nb { color: #F8F8F2 }
html[data-theme="dark"] .highlight .w { color: #AAAAAA }
"""


def test_plain_classes_are_those_drawn_in_the_block_colour_in_both_themes():
    # k has its own colour; nb is bold in light; w differs in dark; colour case does not matter.
    assert site_speed.plain_code_classes(PYGMENTS) == {"n", "p"}


def test_plain_classes_need_both_themes():
    light_only = "\n".join(line for line in PYGMENTS.splitlines() if "dark" not in line)
    assert site_speed.plain_code_classes(light_only) == set()


def test_unwrap_touches_code_blocks_only_and_keeps_the_text():
    page = ('<p><span class="n">prose</span></p><div class="highlight"><pre><span></span>'
            '<span class="n">x</span><span class="p">=</span><span class="k">def</span>'
            '<span class="n">a&lt;b</span>\n</pre></div>')
    out = site_speed.unwrap_plain_code(page, {"n", "p"})
    assert out == ('<p><span class="n">prose</span></p><div class="highlight"><pre><span></span>'
                   'x=<span class="k">def</span>a&lt;b\n</pre></div>')
    assert site_speed.unwrap_plain_code(page, set()) == page


def test_boxes_that_may_scroll_on_a_phone_are_tab_stops():
    short = "x" * site_speed.PHONE_CHARS
    long = "y" * (site_speed.PHONE_CHARS + 1)
    page = ('<pre>outside main ' + long + '</pre><main id="main-content">'
            f'<pre>{short}\n{short}</pre><pre><span class="k">{long}</span></pre>'
            f'<pre tabindex="-1">{long}</pre><pre>{"&lt;" * site_speed.PHONE_CHARS}</pre>'
            '<div class="pst-scrollable-table-container"><table></table></div></main>')
    out = site_speed.scroll_tabindex(page)
    assert out.count('tabindex="0"') == 2
    assert f'<pre tabindex="0"><span class="k">{long}</span></pre>' in out
    assert '<div class="pst-scrollable-table-container" tabindex="0">' in out
    assert out.startswith('<pre>outside main')          # only the article's boxes
    assert f'<pre tabindex="-1">{long}</pre>' in out       # an explicit choice is kept
    assert f'<pre>{"&lt;" * site_speed.PHONE_CHARS}</pre>' in out   # entities count as one character


def test_theme_script_is_patched_once_and_a_changed_theme_is_an_error(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    js = scripts / "pydata-sphinx-theme.js"
    js.write_text("function I(){" + site_speed.THEME_MEASURE + ",t=1}")
    site_speed.patch_theme_js(tmp_path)
    text = js.read_text()
    assert site_speed.THEME_MEASURE not in text and "IntersectionObserver" in text
    site_speed.patch_theme_js(tmp_path)
    assert js.read_text() == text
    js.write_text("function I(){something else}")
    with pytest.raises(site_speed.SpeedError, match="THEME_MEASURE"):
        site_speed.patch_theme_js(tmp_path)
    js.unlink()
    with pytest.raises(site_speed.SpeedError, match="missing"):
        site_speed.patch_theme_js(tmp_path)


def test_documentation_options_are_inlined():
    page = '<head><script src="../_static/documentation_options.js?v=9eb32ce0"></script><script>X</script>'
    out = site_speed.inline_documentation_options(page, "const DOCUMENTATION_OPTIONS = {};\n")
    assert out == "<head><script>const DOCUMENTATION_OPTIONS = {};</script><script>X</script>"
    with pytest.raises(site_speed.SpeedError):
        site_speed.inline_documentation_options(page, "a = '</script>'")


def test_only_rules_made_of_icon_selectors_are_dropped():
    css = (".fa-bars:before{content:\"\\f0c9\"}.fa-a:before,.fa-b::after{content:\"x\"}"
           ".fa-bars:before,.other{content:\"y\"}@media (min-width:1px){.fa-c:before{content:\"z\"}.keep{color:red}}"
           ".fa-spin{animation:x}:root{--pst-icon-check:\"\\f00c\"}")
    out = site_speed.drop_icon_rules(css)
    assert out == (".fa-bars:before,.other{content:\"y\"}@media (min-width:1px){.keep{color:red}}"
                   ".fa-spin{animation:x}:root{--pst-icon-check:\"\\f00c\"}")


def test_section_height_grows_with_each_kind_of_content():
    base = site_speed.section_height("<p>" + "word " * 20 + "</p>")
    assert site_speed.section_height("<p>" + "word " * 200 + "</p>") > base
    assert site_speed.section_height("<p>" + "word " * 20 + '</p><img src="a.webp">') >= base + 800
    code = "<pre>" + "\n".join(["x = 1"] * 30) + "</pre>"
    assert site_speed.section_height("<p>" + "word " * 20 + "</p>" + code) >= base + 30 * 20
    # Hidden MathML and the SVG drawing of a formula are not prose.
    maths = '<mjx-assistive-mml>' + "m" * 5000 + '</mjx-assistive-mml><svg>' + "s" * 5000 + '</svg>'
    assert site_speed.section_height("<p>" + "word " * 20 + maths + "</p>") < base + 100


def test_content_below_the_title_is_skippable_and_headings_never_are():
    page = ('<section id="outside"><section id="o2"><p>x</p></section></section>'
            '<article class="bd-article"><section id="title"><h1>T</h1><p>intro</p>'
            '<section id="a">\n<h2>A</h2><p>text</p><div class="exercise"><section id="ex"><p>q</p></section></div>'
            '<section id="a1"><h3>A1</h3><p>deeper</p></section><p>after a1</p></section>'
            '<section id="w"><h2>W</h2><div id="site-weights"></div></section>'
            '<section id="e"><h2>Empty</h2></section>'
            '</section></article><section id="after"><p>y</p></section>')
    out = site_speed.skip_blocks(page)
    block = r'<div class="cv-block" style="contain-intrinsic-size: auto \d+px">'
    # The run after A's heading, with the exercise's inner section kept inside it.
    assert re.search('<section id="a">\n<h2>A</h2>' + block + '<p>text</p><div class="exercise"><section id="ex">'
                     '<p>q</p></section></div></div><section id="a1"><h3>A1</h3>' + block + '<p>deeper</p></div>'
                     '</section>' + block + '<p>after a1</p></div></section>', out), out
    assert '<section id="w"><h2>W</h2><div id="site-weights"></div></section>' in out   # filled in later
    assert '<section id="e"><h2>Empty</h2></section>' in out
    assert '<h1>T</h1><p>intro</p><section id="a">' in out                            # the first screen
    assert out.count("cv-block") == 3
    assert out.count("</div>") - page.count("</div>") == 3          # each block closed once
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", page)  # the text is untouched
    with pytest.raises(site_speed.SpeedError):
        site_speed.skip_blocks('<article class="bd-article"><section><h1>T</h1><section><h2>A</h2>'
                               '<p>x</div></section></section></article>')


def test_images_of_skipped_sections_are_lazy_and_every_figure_has_its_size(tmp_path):
    from PIL import Image

    (tmp_path / "_images").mkdir()
    Image.new("RGB", (30, 20)).save(tmp_path / "_images" / "a.webp")
    page = ('<img src="_static/logo.svg"><article class="bd-article"><section id="title"><h1>T</h1>'
            '<img alt="first" src="_images/a.webp">'
            '<section id="a"><p>text</p><img alt="later" src="_images/a.webp">'
            '<img alt="sized" width="5" height="6" src="_images/a.webp"></section></section></article>')
    out = site_speed.lazy_images(page, tmp_path)
    assert '<img src="_static/logo.svg">' in out                       # not a figure: untouched
    assert '<img width="30" height="20" alt="first"' in out             # first screen: eager
    assert '<img loading="lazy" width="30" height="20" alt="later"' in out
    assert '<img loading="lazy" alt="sized" width="5" height="6"' in out  # its own size is kept
    with pytest.raises(site_speed.SpeedError, match="missing"):
        site_speed.lazy_images(page.replace("a.webp", "gone.webp"), tmp_path)


MJX = ('<mjx-container class="MathJax" jax="SVG"><svg style="vertical-align: -0.357ex;" '
       'xmlns="http://www.w3.org/2000/svg" width="1.863ex" height="1.359ex" role="img" focusable="false" '
       'viewBox="0 -443 823.3 600.8" xmlns:xlink="http://www.w3.org/1999/xlink" aria-hidden="true">'
       '<g stroke="currentColor" fill="currentColor" stroke-width="0" transform="scale(1,-1)">'
       '<g data-mml-node="math"><g data-mml-node="msub"><g data-mml-node="mi">'
       '<use data-c="1D463" xlink:href="#MJX-TEX-I-1D463"></use></g>'
       '<g data-mml-node="mi" transform="translate(518,-150) scale(0.707)">'
       '<use data-c="1D461" xlink:href="#MJX-TEX-I-1D461"></use></g></g></g></g></svg>'
       '<mjx-assistive-mml unselectable="on" display="inline"><math xmlns="http://www.w3.org/1998/Math/MathML">'
       '<msub><mi>v</mi><mi>t</mi></msub></math></mjx-assistive-mml></mjx-container>')


def test_formulas_lose_only_what_mathjax_scripts_read():
    out = site_speed.slim_maths("<p>" + MJX + "</p>")
    svg = re.search(r"<svg.*</svg>", out).group(0)
    assert svg == ('<svg style="vertical-align: -0.357ex;" width="1.863ex" height="1.359ex" role="img" '
                   'focusable="false" viewBox="0 -443 823.3 600.8" aria-hidden="true">'
                   '<g transform="scale(1,-1)"><use href="#MJX-TEX-I-1D463"></use>'
                   '<g transform="translate(518,-150) scale(0.707)"><use href="#MJX-TEX-I-1D461"></use></g>'
                   '</g></svg>')
    # The MathML read by screen readers is untouched.
    assert out.endswith('<math xmlns="http://www.w3.org/1998/Math/MathML"><msub><mi>v</mi><mi>t</mi></msub>'
                        '</math></mjx-assistive-mml></mjx-container></p>')
    table = MJX.replace('data-mml-node="msub"', 'data-mml-node="mtable"')
    assert site_speed.slim_maths(table) == table          # CSS selects inside tables: kept whole
    with pytest.raises(site_speed.SpeedError):
        site_speed.slim_svg("<svg><g></svg>")
    with pytest.raises(site_speed.SpeedError):
        site_speed.slim_svg("<svg></g></svg>")


SAMPLE_TEX = [
    (r"v_t = \beta v_{t-1} + (1-\beta)\, g_t^2", False),
    (r"\theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{v_t} + \epsilon}\, g_t", True),
    (r"\hat{m}_t = \frac{m_t}{1-\beta_1^t}", False),
    (r"\sum_{s=1}^{t} g_s^2 \ge t\, \min_s g_s^2", True),
    (r"\left\lVert \nabla f(\mathbf{x}) \right\rVert \approx 10^{-8}", False),
    (r"\operatorname{sign}(g_t)\quad\text{and}\quad \tfrac{1}{2}\,\eta", False),
    (r"\begin{aligned} v_1 &= (1-\beta) g_1^2 \\ v_2 &= \beta v_1 + (1-\beta) g_2^2 \end{aligned}", True),
    (r"\color{red}{x}^2 + \sqrt[3]{y}", False),
]


@pytest.mark.browser
def test_slimmed_formulas_draw_the_same_pixels(browser):
    """Each formula, as MathJax wrote it and slimmed, screenshotted in Chromium: identical, light and dark."""
    import site_polish

    try:
        pages = {"a.html": "<html><head></head><body>" + "".join(
            f'<div class="math notranslate nohighlight">\\[{t}\\]</div>' if d else
            f'<p>x <span class="math notranslate nohighlight">\\({t}\\)</span> y</p>' for t, d in SAMPLE_TEX)
            + "</body></html>"}
        css = site_polish._maths(pages)
    except site_polish.PolishError as err:
        pytest.skip(str(err))
    css += (ROOT / "tools" / "static" / "site-speed.css").read_text(encoding="utf-8")
    original = pages["a.html"]
    slim = site_speed.slim_maths(original)
    assert len(slim) < 0.9 * len(original)
    assert slim.count("<mjx-container") == len(SAMPLE_TEX)
    page = browser.new_page(viewport={"width": 900, "height": 700}, device_scale_factor=2)
    try:
        for colours in ("color: #222; background: #fff", "color: #ddd; background: #121212"):
            shots = []
            for text in (original, slim):
                page.set_content(text.replace("<head>", f"<head><style>{css} body {{ {colours} }}</style>"))
                formulas = page.locator("mjx-container")
                shots.append([formulas.nth(i).screenshot() for i in range(formulas.count())])
            assert len(shots[0]) == len(SAMPLE_TEX)
            differ = [SAMPLE_TEX[i][0] for i, (a, b) in enumerate(zip(*shots)) if a != b]
            assert not differ, f"drawn differently once slimmed ({colours}): {differ}"
    finally:
        page.close()


def test_long_runs_are_cut_between_elements():
    run = "".join(f"<p>paragraph {i} <em>with</em> a <br>break<img src='x.webp' /></p>\n" for i in range(300))
    run += "<pre>a < b\n</pre><script>if (a < b) {}</script><!-- < -->"
    pieces = site_speed._chunks(run, limit=1000)
    assert "".join(pieces) == run and len(pieces) > 10
    assert all(p.lstrip().startswith("<p>") or p.lstrip().startswith("<pre>") for p in pieces)
    assert all(len(p) < 1100 for p in pieces[:-1])
    assert site_speed._chunks("<p>short</p>", limit=1000) == ["<p>short</p>"]
    assert site_speed._chunks("<p>a longer one</p>\n", limit=5) == ["<p>a longer one</p>\n"]   # no empty piece
    with pytest.raises(site_speed.SpeedError):
        site_speed._chunks("<div><p>x</p>", limit=1)
