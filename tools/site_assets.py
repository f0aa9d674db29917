"""Fetch the browser assets the website needs and stage them so the site is offline-complete.

The pages need MathJax 3 (maths), require.js and the ipywidgets HTML manager
(pages that embed widget state). None of them is committed: this script gets
each one from the npm registry with ``npm pack`` at build time, checks the
tarball against the integrity hash pinned below, and unpacks only the files a
page can request into ``_build/assets/static/vendor/``. The tarballs stay in
``_build/assets/npm/``, so a second build fetches nothing.

Two ways in:

- ``python tools/site_assets.py`` (the Makefile's ``book`` target runs it
  before ``jupyter-book build``) fetches and stages, and prints what it did;
- as a Sphinx extension (``_config.yml``: ``sphinx.local_extensions``), it
  stages the assets if they are missing and adds the staged folder to
  ``html_static_path``, so every build, whatever its output folder, copies
  them to ``<site>/_static/vendor/``. ``_config.yml`` points ``mathjax_path``
  and ``nb_ipywidgets_js`` at those copies; the extension warns (a strict
  build fails) if a configured local asset is not there.

The theme's own files (CSS, fonts, Font Awesome) already ship inside the
pip-installed theme packages and are copied by Sphinx.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "_build" / "assets"
TARBALLS = ASSETS / "npm"
STATIC = ASSETS / "static"          # added to html_static_path
VENDOR = STATIC / "vendor"          # served as <site>/_static/vendor/
OWN_STATIC = ROOT / "tools" / "static"   # the site's own CSS and JS (site-polish.*), also in _static/

# name -> npm spec, pinned integrity (from the registry's metadata), and the files
# to keep: (pattern inside the tarball's package/ folder, prefix to strip).
PACKAGES = {
    "mathjax": {
        "spec": "mathjax@3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "keep": [
            ("LICENSE", ""),
            ("es5/tex-mml-chtml.js", "es5/"),           # the component the pages load
            ("es5/input/tex/extensions/*", "es5/"),     # TeX packages loaded on demand
            ("es5/output/chtml/fonts/woff-v2/*", "es5/"),  # CHTML fonts
            ("es5/ui/*", "es5/"),                       # contextual menu (lazy parts)
            ("es5/a11y/*", "es5/"),                     # accessibility: explorer, speech
            ("es5/sre/mathmaps/base.json", "es5/"),     # speech rules, English only
            ("es5/sre/mathmaps/en.json", "es5/"),
            ("es5/sre/mathmaps/nemeth.json", "es5/"),   # braille
        ],
    },
    "requirejs": {
        "spec": "requirejs@2.3.8",
        "integrity": "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "keep": [("require.js", ""), ("LICENSE", "")],
    },
    "html-manager": {
        "spec": "@jupyter-widgets/html-manager@1.0.7",
        "integrity": "sha512-2xGwS7vVd2RGlKMiSqj1vYv2X59V73ygefUodhzy9Bho0mswWT/yo3Cg7MaYOqwozQjNo5k3rbJ3cETXWUwJ/g==",
        # embed-amd.js bundles @jupyter-widgets/base, controls and output; its CSS
        # asks for Font Awesome by URL, and browsers take the first format they
        # support (woff2), so the eot/ttf/svg copies and source maps are dropped.
        "keep": [("dist/embed-amd.js", "dist/"), ("dist/*.woff2", "dist/"), ("dist/*.woff", "dist/"),
                 ("LICENSE", "")],
    },
    # Live Code (sphinx-thebe) loads Thebe only when pressed; the registry's 0.9.3 keeps the
    # thebelab API sphinx-thebe calls (bootstrap, on("status")). Its chunks are loaded next to it.
    "thebe": {
        "spec": "thebe@0.9.3",
        "integrity": "sha512-Rb/7kVhtlffXra3kIe7OuIGE7awsm2/fGWxw21DiNfnWLnUQiDl9AWqYdshPwZPG/5DzLpsJRPix2xtCPtJmQQ==",
        "keep": [("lib/*.js", "lib/"), ("lib/thebe.css", "lib/"), ("LICENSE", "")],
    },
}

# What _config.yml is expected to point at (relative to <site>/_static/).
MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
REQUIREJS = "vendor/requirejs/require.js"
WIDGETS_CONFIG = "vendor/widgets-config.js"
WIDGETS = "vendor/html-manager/embed-amd.js"
THEBE = "vendor/thebe/index.js"

# Loaded between require.js and embed-amd.js. (1) The widget manager finds the files
# it asks for by URL (its Font Awesome fonts) next to its AMD module's URL, which
# require.js would otherwise place under the page's own folder. (2) The widgets
# typeset their labels through MathJax 2's ``MathJax.Hub.Queue``; the site runs
# MathJax 3, so a small bridge maps that call onto ``MathJax.typesetPromise``.
WIDGETS_CONFIG_JS = """// Written by tools/site_assets.py: serve the widget manager's files from this site,
// and let the widgets typeset maths with MathJax 3.
(function () {
  var src = document.currentScript && document.currentScript.src;
  if (src && typeof require !== "undefined") {
    var base = src.slice(0, src.lastIndexOf("/") + 1);
    require.config({paths: {"@jupyter-widgets/html-manager/dist": base + "html-manager"}});
  }
  function bridge() {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub) return;
    MJ.Hub = {Queue: function () {
      var els = [];
      for (var i = 0; i < arguments.length; i++) {
        var a = arguments[i];
        if (a && a[0] === "Typeset" && a[2]) els.push(a[2]);
      }
      var go = function () { return MJ.typesetPromise ? MJ.typesetPromise(els) : null; };
      if (MJ.startup && MJ.startup.promise) MJ.startup.promise.then(go); else go();
    }};
  }
  // The page loads MathJax, then this file, then the widget manager, on request
  // (tools/static/site-polish.js), so the bridge is in place when widgets render.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bridge); else bridge();
})();
"""


class AssetError(RuntimeError):
    """An asset could not be fetched or checked."""


def _stamp():
    return json.dumps({"packages": {k: [v["spec"], v["integrity"], v["keep"]] for k, v in PACKAGES.items()},
                       "widgets-config": WIDGETS_CONFIG_JS}, sort_keys=True)


def _tarball(name, pkg, log):
    """The cached tarball of one package, fetched with ``npm pack`` if missing."""
    TARBALLS.mkdir(parents=True, exist_ok=True)
    meta = TARBALLS / f"{name}.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        path = TARBALLS / info["filename"]
        if info.get("integrity") == pkg["integrity"] and path.exists():
            return path
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("npm is needed to fetch the site's assets (MathJax, require.js, the widget "
                         "manager) from the npm registry; install Node.js/npm (Debian: apt-get install npm)")
    log(f"site_assets: npm pack {pkg['spec']}")
    proc = subprocess.run([npm, "pack", pkg["spec"], "--json", "--pack-destination", str(TARBALLS)],
                          capture_output=True, text=True, cwd=TARBALLS)
    if proc.returncode != 0:
        raise AssetError(f"npm pack {pkg['spec']} failed:\n{proc.stderr.strip()[-2000:]}")
    info = json.loads(proc.stdout)[0]
    if info.get("integrity") != pkg["integrity"]:
        raise AssetError(f"{pkg['spec']}: integrity {info.get('integrity')} does not match the pinned "
                         f"{pkg['integrity']}")
    meta.write_text(json.dumps({"filename": info["filename"], "integrity": info["integrity"]}))
    return TARBALLS / info["filename"]


def _match(path, pattern):
    """Shell-style match where "*" stays inside one folder level."""
    parts, pats = path.split("/"), pattern.split("/")
    return len(parts) == len(pats) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, pats))


def _unpack(name, pkg, tarball):
    dest = VENDOR / name
    if dest.exists():
        shutil.rmtree(dest)
    kept = 0
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            inner = member.name[len("package/"):]
            for pattern, strip in pkg["keep"]:
                if _match(inner, pattern):
                    target = dest / inner[len(strip):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(member) as src:
                        target.write_bytes(src.read())
                    kept += 1
                    break
    if kept == 0:
        raise AssetError(f"{pkg['spec']}: none of the expected files were in the tarball")
    return kept


def stage(log=print, force=False):
    """Fetch (if needed) and unpack every package; return the staged folder (html_static_path entry)."""
    stamp_file = ASSETS / "static.stamp"
    if not force and stamp_file.exists() and stamp_file.read_text() == _stamp() and missing() == []:
        return STATIC
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, pkg in PACKAGES.items():
        tarball = _tarball(name, pkg, log)
        kept = _unpack(name, pkg, tarball)
        log(f"site_assets: {pkg['spec']}: {kept} files -> {(VENDOR / name).relative_to(ROOT)}")
    (STATIC / WIDGETS_CONFIG).write_text(WIDGETS_CONFIG_JS)
    stamp_file.write_text(_stamp())
    bad = missing()
    if bad:
        raise AssetError(f"staged assets are missing files: {bad}")
    return STATIC


def missing():
    """The configured entry points that are not staged yet."""
    return [p for p in (MATHJAX, REQUIREJS, WIDGETS_CONFIG, WIDGETS, THEBE) if not (STATIC / p).is_file()]


def size_of(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


# --- Sphinx extension -------------------------------------------------------

def _builder_inited(app):
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    if app.builder.format != "html":
        return
    try:
        static = stage(log=logger.info)
    except AssetError as err:
        logger.warning(f"site_assets: {err}")
        return
    for folder in (static, OWN_STATIC):   # the fetched assets, and the site's own CSS/JS (tools/static)
        if str(folder) not in map(str, app.config.html_static_path):
            app.config.html_static_path.append(str(folder))
    # Every local asset the configuration names must be one this extension staged.
    local = [app.config.mathjax_path] + list(getattr(app.config, "nb_ipywidgets_js", {}) or {})
    for path in local:
        if "://" in path or path.startswith("//"):
            logger.warning(f"site_assets: {path} is loaded from outside the site; point it at _static/vendor/")
        elif not (static / path).is_file():
            logger.warning(f"site_assets: configured asset {path} is not in {static}")


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated scripts from a page's head.

    Inline scripts that extensions add with ``app.add_js_file(None, body=...)``
    once the builder exists (sphinx-thebe's ``const THEBE_JS_URL = ...``) reach
    the head twice, and the second ``const`` throws "Identifier 'THEBE_JS_URL'
    has already been declared" in every page's console.
    """
    files = context.get("script_files")
    if not files:
        return
    seen, kept = set(), []
    for asset in files:
        key = (str(getattr(asset, "filename", asset) or ""),
               tuple(sorted((getattr(asset, "attributes", None) or {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    files[:] = kept


def _drop_source_maps(app, exception):
    """Remove the theme's source maps (``*.map``) from the built ``_static``.

    Browsers fetch them only with developer tools open; no page needs them, and
    they are 3.5 MB of the site's 25 MB budget.
    """
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir, "_static").rglob("*.map"):
        path.unlink()


def setup(app):
    app.connect("build-finished", _drop_source_maps)
    # MathJax on every page, not only on pages with maths in their body: chapter titles
    # with maths ("Why $v_t$ falls") appear in every page's navigation.
    app.set_html_assets_policy("always")
    app.connect("builder-inited", _builder_inited)
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after the extensions adding scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv):
    force = "--force" in argv
    try:
        static = stage(force=force)
    except AssetError as err:
        sys.exit(f"site_assets: {err}")
    print(f"site_assets: {size_of(VENDOR) / 1e6:.1f} MB staged in {static.relative_to(ROOT)}/vendor "
          f"(tarballs cached in {TARBALLS.relative_to(ROOT)})")


if __name__ == "__main__":
    main(sys.argv[1:])
