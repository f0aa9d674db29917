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


def test_only_top_level_sections_of_the_article_are_sized():
    page = ('<section id="outside"><section id="o2"></section></section>'
            '<article class="bd-article"><section id="title"><h1>T</h1>'
            '<section id="a"><p>text</p><section id="a1"><p>deeper</p></section></section>'
            '<section id="w"><div id="site-weights"></div></section>'
            '<section id="s" style="color: red"></section>'
            '</section></article><section id="after"><section id="after2"></section></section>')
    out = site_speed.size_sections(page)
    assert re.search(r'<section id="a" style="contain-intrinsic-size: auto \d+px">', out)
    assert '<section id="w" style="content-visibility: visible">' in out
    assert '<section id="s" style="color: red">' in out
    for untouched in ("outside", "o2", "title", "a1", "after", "after2"):
        assert f'<section id="{untouched}">' in out
