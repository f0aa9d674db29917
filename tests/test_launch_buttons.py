"""The launch buttons of every chapter page of the built book (``_build/html``, or ``$SITE_DIR``).

Binder, Colab and (when ``launch_buttons.jupyterhub_url`` is set) JupyterHub
open ``chapters/<name>.ipynb`` of the repository and branch of ``_config.yml``;
the expected URLs are computed in tests/launch_urls.py from the configuration,
not taken from the theme. The student edition's buttons are checked in
tests/test_student.py (they open the student branch). Binder, Colab and hubs
are not reachable from the test machine: these tests check the URLs only.
"""

import os
import re
from pathlib import Path

import pytest

import launch_urls
from conftest import IN_CI  # one definition for every site test

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
CHAPTERS = re.findall(r"file:\s*chapters/(\S+)", (ROOT / "_toc.yml").read_text())


def page(chapter):
    path = SITE / "chapters" / f"{chapter}.html"
    if not path.is_file():
        if IN_CI:
            pytest.fail(f"CI=true, so the built book is needed: no {path}")
        pytest.skip(f"no built page {path} (run `make book`)")
    return path


def test_every_chapter_is_a_notebook():
    assert CHAPTERS and all((ROOT / "chapters" / f"{c}.ipynb").is_file() for c in CHAPTERS)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_launch_buttons_follow_config(chapter):
    assert launch_urls.check_page(page(chapter), launch_urls.config(ROOT), chapter) == []


def test_default_book_has_colab_and_no_pretend_hub():
    """Colab is on; no JupyterHub button unless an instructor names a hub (see the guide)."""
    cfg = launch_urls.config(ROOT)
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    found = launch_urls.links(page(CHAPTERS[0]))
    assert {"Binder", "Colab"} <= set(found)
    assert ("JupyterHub" in found) == bool(cfg["launch_buttons"].get("jupyterhub_url"))


def test_checker_rejects_wrong_urls(tmp_path):
    """check_page is not vacuous: a page with wrong or missing buttons is reported."""
    cfg = launch_urls.config(ROOT)
    cfg["launch_buttons"]["jupyterhub_url"] = "https://hub.example.edu"
    want = launch_urls.expected(cfg, "03_rmsprop")
    base, params = want["JupyterHub"]
    good_hub = base + "?" + "&".join(f"{k}={launch_urls.urllib.parse.quote(v, safe='/')}" for k, v in params.items())
    raw_hub = base + "?" + "&".join(f"{k}={v}" for k, v in params.items())

    def make(binder, colab, hub):
        items = "".join(f'<a href="{u}">{t}</a>' for t, u in (("Binder", binder), ("Colab", colab),
                                                              ("JupyterHub", hub)) if u)
        path = tmp_path / "p.html"
        path.write_text(f'<div class="dropdown-launch-buttons">{items}</div>')
        return path

    assert launch_urls.check_page(make(want["Binder"], want["Colab"], good_hub), cfg, "03_rmsprop") == []
    wrong_branch = want["Colab"].replace("/blob/main/", "/blob/student/")
    assert launch_urls.check_page(make(want["Binder"], wrong_branch, good_hub), cfg, "03_rmsprop")
    assert launch_urls.check_page(make(want["Binder"], want["Colab"], raw_hub), cfg, "03_rmsprop")
    assert launch_urls.check_page(make(want["Binder"], want["Colab"], None), cfg, "03_rmsprop")
    cfg["launch_buttons"]["jupyterhub_url"] = ""
    assert launch_urls.check_page(make(want["Binder"], want["Colab"], good_hub), cfg, "03_rmsprop")
