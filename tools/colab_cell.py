"""The install lines at the top of every chapter's first code cell: the one place they come from.

A chapter opened in Google Colab (or on a JupyterHub, or in any Python) lacks
``rmslib`` and ``myst-nb`` (``glue``). The first code cell of every chapter
therefore starts with the lines :func:`install_lines` returns: they install
whatever of the two is missing with pip, quietly (one line saying what is
installed; pip's own output only if it fails), and do nothing where both are
importable (Binder, ``make install``, the book's build), so the stored outputs
do not change.

What they install, all derived here from the repository's own files:

- ``rmslib`` from the repository of ``_config.yml`` (``repository.url``), at the
  tag ``v<version>`` where ``<version>`` is ``project.version`` in
  ``pyproject.toml`` (a GitHub archive of that tag: no git needed). To release,
  bump the version there, run ``make notebooks`` (which rewrites the lines), commit,
  and push the tag: ``git tag v<version> && git push origin v<version>``.
- ``myst-nb`` at the version pinned in ``requirements.txt``.

``RMSBOOK_RMSLIB`` (an environment variable: a path or a pip requirement)
replaces where rmslib comes from; the Colab check (tests/test_colab.py) uses it
to install the local checkout.

Usage: ``python tools/colab_cell.py [--fix] [NOTEBOOK ...]`` (default: every
chapter). Without ``--fix`` it lists the chapters whose lines differ and exits 1;
with ``--fix`` it rewrites them (``make notebooks`` does this before executing).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
FIRST = "# Colab, JupyterHub or a bare Python: install rmslib (this book's release) and myst-nb if missing."
LAST = "# (end of the install lines)"
ENV = "RMSBOOK_RMSLIB"


def release(root=ROOT):
    """The tag the chapters install rmslib from: ``v`` + ``project.version`` of pyproject.toml."""
    with open(root / "pyproject.toml", "rb") as f:
        return "v" + tomllib.load(f)["project"]["version"]


def repository(root=ROOT):
    """``https://github.com/<org>/<repo>`` from ``repository.url`` in _config.yml."""
    url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"_config.yml repository.url must be https://github.com/<org>/<repo>, got {url!r}")
    return url.removesuffix(".git")


def pinned(package, root=ROOT):
    """``package==version`` as pinned in requirements.txt."""
    for line in (root / "requirements.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if re.sub(r"[-_.]+", "-", name.strip().lower()) == package:
            return f"{package}=={version.strip()}"
    raise ValueError(f"requirements.txt pins no {package}")


def rmslib_requirement(root=ROOT):
    """pip's requirement for rmslib at the book's release (a GitHub archive of the tag)."""
    return f"rmslib @ {repository(root)}/archive/refs/tags/{release(root)}.zip"


def install_lines(root=ROOT):
    """The canonical install lines (no trailing newline)."""
    return "\n".join([
        FIRST,
        f"# Written by tools/colab_cell.py; {ENV}=<path or requirement> installs rmslib from elsewhere.",
        "import importlib, importlib.util, os, site, subprocess, sys",
        "_missing = [pkg for module, pkg in [",
        f'    ("rmslib", os.environ.get("{ENV}", "{rmslib_requirement(root)}")),',
        f'    ("myst_nb", "{pinned("myst-nb", root)}")] if importlib.util.find_spec(module) is None]',
        "if _missing:",
        '    print("installing", ", ".join(_missing), "...", flush=True)',
        '    _pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", *_missing],',
        "                          capture_output=True, text=True)",
        "    if _pip.returncode:",
        '        raise RuntimeError("pip could not install " + ", ".join(_missing) + ":\\n" + _pip.stderr[-3000:])',
        "    if site.ENABLE_USER_SITE:  # a read-only Python: pip installed into the user's site-packages",
        "        site.addsitedir(site.getusersitepackages())",
        "    importlib.invalidate_caches()",
        LAST,
    ])


def first_code_cell(nb):
    return next((c for c in nb.cells if c.cell_type == "code"), None)


def split(source):
    """``(install lines or None, the rest of the cell)``."""
    lines = source.split("\n")
    if lines and lines[0] == FIRST and LAST in lines:
        end = lines.index(LAST)
        return "\n".join(lines[:end + 1]), "\n".join(lines[end + 1:]).lstrip("\n")
    return None, source


def with_install(source, root=ROOT):
    """``source`` with its install lines replaced by (or prefixed with) the canonical ones."""
    return install_lines(root) + "\n\n" + split(source)[1]


def problems(nb, name, root=ROOT):
    """Why ``nb``'s first code cell does not start with the canonical install lines ([] if it does)."""
    cell = first_code_cell(nb)
    if cell is None:
        return [f"{name}: no code cell"]
    found, _ = split(cell.source)
    if found is None:
        return [f"{name}: the first code cell does not start with the install lines (tools/colab_cell.py --fix)"]
    if found != install_lines(root):
        return [f"{name}: the install lines differ from tools/colab_cell.py's (run it with --fix)"]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--fix", action="store_true", help="rewrite the first code cells")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    bad = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        found = problems(nb, path.name)
        if found and args.fix:
            cell = first_code_cell(nb)
            cell.source = with_install(cell.source)
            nbformat.write(nb, path)
            print(f"{path}: install lines written")
        elif found:
            bad += found
    if bad:
        sys.exit("\n".join(bad))


if __name__ == "__main__":
    main()
