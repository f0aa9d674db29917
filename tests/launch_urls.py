"""The launch buttons a chapter page should have, computed independently of the theme, and the
ones a built page has. Used by tests/test_launch_buttons.py (the book) and tests/test_student.py
(the student edition)."""

import re
import urllib.parse
from pathlib import Path

import yaml

# Characters a URL-encoded query value may hold (RFC 3986 unreserved, '%' escapes and '/').
ENCODED_VALUE = re.compile(r"[A-Za-z0-9\-._~%/]*")


def config(book):
    return yaml.safe_load((Path(book) / "_config.yml").read_text())


def expected(cfg, chapter):
    """``{"Binder": url, "Colab": url, "JupyterHub": (hub url, nbgitpuller parameters) or None}``
    for the notebook ``chapters/<chapter>.ipynb`` of a book with configuration ``cfg``."""
    repo_url = cfg["repository"]["url"].rstrip("/").removesuffix(".git")
    org, repo = repo_url.split("github.com/")[1].split("/")[:2]
    branch = cfg["repository"].get("branch", "main")
    buttons = cfg["launch_buttons"]
    ui = {"jupyterlab": "lab/tree", "classic": "tree"}[buttons.get("notebook_interface", "classic")]
    path = f"chapters/{chapter}.ipynb"
    out = {"Binder": f"{buttons['binderhub_url'].rstrip('/')}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}",
           "Colab": f"{buttons['colab_url'].rstrip('/')}/github/{org}/{repo}/blob/{branch}/{path}",
           "JupyterHub": None}
    hub = (buttons.get("jupyterhub_url") or "").rstrip("/")
    if hub:   # nbgitpuller clones the repository into a folder named after it, then opens urlpath
        out["JupyterHub"] = (f"{hub}/hub/user-redirect/git-pull",
                             {"repo": repo_url, "branch": branch, "urlpath": f"{ui}/{repo}/{path}"})
    return out


def links(page):
    """``{button text: href}`` of the launch buttons of a built page."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(Path(page).read_text(encoding="utf-8"), "html.parser")
    menu = soup.select_one(".dropdown-launch-buttons")
    if menu is None:
        return {}
    return {a.get_text(" ", strip=True): a["href"] for a in menu.select("a[href]")}


def check_page(page, cfg, chapter):
    """Problems with the launch buttons of ``page`` (a list of messages; empty when right)."""
    want, got, problems = expected(cfg, chapter), links(page), []
    for name in ("Binder", "Colab"):
        if got.get(name) != want[name]:
            problems.append(f"{chapter}: {name} button {got.get(name)!r}, expected {want[name]!r}")
    if want["JupyterHub"] is None:
        if "JupyterHub" in got or "git-pull" in Path(page).read_text(encoding="utf-8"):
            problems.append(f"{chapter}: a JupyterHub button, but no jupyterhub_url is configured")
        return problems
    url = got.get("JupyterHub")
    if url is None:
        return problems + [f"{chapter}: no JupyterHub button"]
    base, _, query = url.partition("?")
    if base != want["JupyterHub"][0]:
        problems.append(f"{chapter}: JupyterHub button goes to {base}, expected {want['JupyterHub'][0]}")
    raw = dict(part.split("=", 1) for part in query.split("&"))
    if {k: urllib.parse.unquote(v) for k, v in raw.items()} != want["JupyterHub"][1]:
        problems.append(f"{chapter}: nbgitpuller parameters {raw}, expected {want['JupyterHub'][1]}")
    for key, value in raw.items():
        if not ENCODED_VALUE.fullmatch(value) or (":" in urllib.parse.unquote(value) and "%3A" not in value):
            problems.append(f"{chapter}: nbgitpuller parameter {key}={value} is not URL-encoded")
    return problems
