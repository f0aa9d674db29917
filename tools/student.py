"""Build the student edition (``make student``): notebooks, website and a zip, without solutions.

What it writes, under ``_build/student/`` (or ``--out``):

- ``chapters/*.ipynb``: every chapter notebook with each cell tagged
  ``solution`` removed and each ``stub`` cell un-hidden (its ``remove-cell``
  tag dropped), then RE-EXECUTED top to bottom (nbclient, errors not allowed).
- ``html/``: the student website, ``jupyter-book build`` of a copy of the book
  source in which ``chapters/`` holds the student notebooks, strict
  (``-W -n --keep-going``), like ``make book``.
- ``branch/``: the tree of the **student branch** (``student`` by default): the student
  notebooks in ``chapters/`` with ``rmslib``, ``requirements.txt``, ``runtime.txt``,
  ``pyproject.toml``, the data files and a README, the layout Binder, Colab and
  nbgitpuller need. The student site's launch buttons (Binder, Colab, JupyterHub)
  open the notebooks of that branch, never the instructor's; ``--commit`` commits
  the tree to the local branch (then ``git push origin student`` publishes it).
- ``rmsprop-student.zip``: the same files as ``branch/``: the notebooks plus ``rmslib``, ``requirements.txt``,
  ``runtime.txt``, ``pyproject.toml``, the data files the notebooks read
  (``rmslib/data/``) and a short README, for a learning management system
  (``pip install -r requirements.txt`` works inside it).
- ``_src/`` (the book source the site is built from) and ``build.log``.

Why re-execute instead of clearing outputs: the book is built with
``execute_notebooks: "off"``, so every figure and every ``{glue}`` number on
the student site comes from the stored outputs; cleared notebooks would give a
site without figures and a strict build that fails on every glued number.
Re-running also makes every output exactly what the student's first run
shows (the checks print "not implemented yet" for a stub), guarantees that no
output computed by a solution survives, and proves that each student notebook
runs top to bottom without a solution. It costs one run of each notebook.

Before anything runs, the notebooks are linted: a cell containing a
``{solution}``/``{solution-start}``/``{solution-end}`` directive must be tagged
``solution`` (otherwise the solution would ship), and a kept markdown cell
must not quote a glued number that only a solution cell computes.

Usage: ``python tools/student.py [--out DIR] [--no-site] [--branch BRANCH] [--jupyterhub-url URL] [--commit]``
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION, STUB, HIDE = "solution", "stub", "remove-cell"
INSTRUCTOR_ONLY_PAGES = ("instructor_guide.md",)
ZIP_NAME = "rmsprop-student.zip"
BRANCH = "student"   # the branch that holds the student notebooks (make student STUDENT_BRANCH=...)
# Not part of the book source: never copied into the student build. (tests/ is copied: a
# chapter may read data from tests/data/.)
SKIP = {".git", ".venv", "venv", "_build", "__pycache__", ".ipynb_checkpoints", "node_modules",
        ".hypothesis", ".pytest_cache", "tools", ".ci", ".github"}
# Data folders the notebooks read (relative to the repository); shipped in the zip too.
DATA_DIRS = ("tests/data", "data", "chapters/data", "rmslib/data")  # rmslib/data: load_digits (ch8), torch vectors (ch7)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip


def tags(cell):
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell):
    return SOLUTION in tags(cell)


# --------------------------------------------------------------------------
# Stripping
# --------------------------------------------------------------------------

def strip(nb):
    """Return the student version of ``nb`` (a new notebook; ``nb`` is not changed).

    Cells tagged ``solution`` are removed; ``stub`` cells lose ``remove-cell``
    so they show in the student site; code outputs are cleared (``build``
    re-executes the notebook).
    """
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if is_solution(cell):
            continue
        t = tags(cell)
        if STUB in t and HIDE in t:
            cell.metadata["tags"] = [x for x in t if x != HIDE]
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    out.cells = cells
    return out


DIRECTIVE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{(solution|solution-start|solution-end)\}", re.M)
EXERCISE = re.compile(r"^\s*(`{3,}|:{3,})\s*\{exercise(-start)?\}", re.M)
HEADING = re.compile(r"^#{1,6} ", re.M)
GLUE_DEF = re.compile(r"""\bglue\(\s*(?:name\s*=\s*)?["']([^"']+)["']""")
GLUE_USE = re.compile(r"\{glue(?::[a-z]+)?\}\s*`([^`:<]+)|\{glue:(?:figure|math|md)\}\s+([\w.-]+)")


def lint(nb, name):
    """Problems that would leak a solution or break the student edition (a list of messages)."""
    problems = []
    kept_defs, solution_defs = set(), set()
    for i, cell in enumerate(nb.cells):
        src = cell.source
        if STUB in tags(cell) and is_solution(cell):
            problems.append(f"{name}: cell {i} is tagged both `stub` and `solution`; a stub must be kept")
        if DIRECTIVE.search(src) and not is_solution(cell):
            problems.append(f"{name}: cell {i} holds a solution directive but is not tagged `solution`, "
                            "so the solution would ship to students")
        if is_solution(cell) and cell.cell_type == "markdown" and (EXERCISE.search(src) or HEADING.search(src)):
            problems.append(f"{name}: solution cell {i} also holds an exercise or a heading, which the "
                            "student edition would lose (a missing cell break, `+++` in MyST?)")
        if cell.cell_type == "code":
            (solution_defs if is_solution(cell) else kept_defs).update(GLUE_DEF.findall(src))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or is_solution(cell):
            continue
        for m in GLUE_USE.finditer(cell.source):
            key = (m.group(1) or m.group(2)).strip()
            if key in solution_defs and key not in kept_defs:
                problems.append(f"{name}: markdown cell {i} quotes the glued value `{key}`, which only a "
                                "solution cell computes; the student edition cannot show it")
    starts = sum(bool(re.search(r"\{solution-start\}", c.source)) for c in nb.cells if is_solution(c))
    ends = sum(bool(re.search(r"\{solution-end\}", c.source)) for c in nb.cells if is_solution(c))
    if starts != ends:
        problems.append(f"{name}: {starts} solution-start but {ends} solution-end cells")
    return problems


# --------------------------------------------------------------------------
# Solution text, for the leak checks
# --------------------------------------------------------------------------

INLINE_MARKUP = re.compile(r"\{[\w:-]+\}`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|`[^`]*`")


def normalize(text):
    """Lower case, every run of non-alphanumeric characters turned into one space."""
    return " " + " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split()) + " "


def _pieces(source):
    for line in source.splitlines():
        s = line.strip()
        if not s or s.startswith(("```", ":::", "(")) or re.match(r"^:[\w-]+:", s):
            continue  # directive fences and options, MyST targets: markup shared with the exercise
        for piece in INLINE_MARKUP.split(s):
            yield piece


def solution_fragments(notebooks, min_words=3, min_chars=16):
    """Meaningful solution text of each notebook: ``{name: [normalized fragment, ...]}``.

    A fragment is a line of a solution cell (markdown split at roles and inline
    maths, whose rendering differs from the source), normalized, with at least
    ``min_words`` words and ``min_chars`` characters, that does NOT also occur
    in a non-solution cell of any notebook (text shared with an exercise, a
    stub or a chapter is not solution text).
    """
    shared = normalize(" \n ".join(c.source for nb in notebooks.values() for c in nb.cells
                                   if not is_solution(c)))
    out = {}
    for name, nb in notebooks.items():
        frags = []
        for cell in nb.cells:
            if not is_solution(cell):
                continue
            for piece in _pieces(cell.source):
                norm = normalize(piece)
                words = norm.split()
                if len(words) >= min_words and len(norm.strip()) >= min_chars and norm not in shared \
                        and norm not in frags:
                    frags.append(norm)
        out[name] = frags
    return out


def notebook_text(nb):
    """Everything a reader of ``nb`` can see: cell sources and text outputs (not images)."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") if isinstance(output.get("text", ""), str) else "")
            parts += [output.get("ename", ""), output.get("evalue", "")]
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    parts.append(data if isinstance(data, str) else json.dumps(data))
    return "\n".join(parts)


def html_text(path):
    """Visible text of a page (tags dropped; code tokens rejoined by normalize)."""
    from bs4 import BeautifulSoup
    return BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser").get_text(" ")


def site_texts(html_dir):
    """``{relative path: text}`` of every text file of a built site."""
    out = {}
    for path in sorted(Path(html_dir).rglob("*")):
        if not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            out[str(path.relative_to(html_dir))] = html_text(path)
        elif suffix == ".ipynb":
            out[str(path.relative_to(html_dir))] = notebook_text(nbformat.read(path, as_version=4))
        elif suffix in (".txt", ".md", ".js", ".json", ".xml", ".py"):
            out[str(path.relative_to(html_dir))] = path.read_text(encoding="utf-8", errors="replace")
    return out


def leaks(fragments, texts):
    """``[(fragment, where)]`` for every solution fragment found in ``texts`` ({where: text})."""
    found = []
    normalized = {where: normalize(text) for where, text in texts.items()}
    for frag in fragments:
        for where, text in normalized.items():
            if frag in text:
                found.append((frag.strip(), where))
    return found


# --------------------------------------------------------------------------
# Execution, site, zip
# --------------------------------------------------------------------------

def execute(nb, cwd, timeout=300):
    """Run ``nb`` top to bottom in ``cwd`` (nbclient; any error raises) and tidy its metadata."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=True, allow_errors=False,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata.get("language_info", {}).pop("version", None)
    return nb


def _ignore(directory, names):
    return [n for n in names if n in SKIP or n.endswith(".egg-info")]


def copy_book_source(src, dest):
    """Copy the book source (no venv, builds, tests, tools or git) to ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=_ignore)
    for nb in (dest / "chapters").glob("*.ipynb"):
        nb.unlink()


def instructor_stub_page(text):
    """A short replacement for an instructor-only page: its title and section headings with
    their MyST targets (so links to them still resolve), and no content."""
    lines, out = text.splitlines(), []
    for i, line in enumerate(lines):
        if re.fullmatch(r"\([\w.:-]+\)=", line.strip()):
            heading = next((ln for ln in lines[i + 1:] if ln.strip()), "")
            if heading.startswith("#"):
                out += [line.strip(), heading, ""]
                out += ["This page is part of the instructor edition of the book.", ""] \
                    if heading.startswith("# ") else ["In the instructor edition.", ""]
        elif line.startswith("# ") and line not in out:
            out += [line, "", "This page is part of the instructor edition of the book.", ""]
    return "\n".join(out) + "\n"


def adapt_config(config_path, root, branch=None, jupyterhub_url=None):
    """Point the copy's local Sphinx extensions at the repository (tools/ is not copied), set
    the branch the launch buttons open (the student branch) and, if given, the JupyterHub."""
    import yaml
    cfg = yaml.safe_load(config_path.read_text())
    changed = False
    local = (cfg.get("sphinx") or {}).get("local_extensions") or {}
    for ext, path in local.items():
        if not (config_path.parent / path).exists() and (root / path).exists():
            local[ext] = str((root / path).resolve())
            changed = True
    if branch:
        cfg.setdefault("repository", {})["branch"] = branch
        changed = True
    if jupyterhub_url is not None:
        cfg.setdefault("launch_buttons", {})["jupyterhub_url"] = jupyterhub_url
        changed = True
    if changed:
        config_path.write_text(yaml.safe_dump(cfg, sort_keys=False))


def build_site(book, html_out, log):
    """Strict jupyter-book build of ``book`` into ``html_out``; raises with the log tail on failure."""
    jb = Path(sys.executable).with_name("jupyter-book")
    work = book.parent / "_jb"
    if work.exists():
        shutil.rmtree(work)
    cmd = [str(jb), "build", str(book), "-W", "-n", "--keep-going", "--path-output", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log.write_text(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise SystemExit(f"student site build failed (strict); full log: {log}\n{tail}")
    if html_out.exists():
        shutil.rmtree(html_out)
    shutil.move(str(work / "_build" / "html"), str(html_out))
    shutil.rmtree(work)


STUDENT_README = """# RMSProp, from the ground up: student edition

The chapter notebooks of the course, with the exercises and without their
solutions, plus `rmslib`, the small library they use.

## Run the notebooks

```bash
python3 -m venv .venv
.venv/bin/pip install -r requirements.txt   # installs rmslib too (-e .)
.venv/bin/jupyter lab chapters/
```

Coding exercises come with a check cell: run it after writing your function
and it prints one line, "correct", "not implemented yet", or what is wrong.
"""


def edition_files(student_chapters, root=ROOT):
    """``[(source path or None for the README, path in the edition)]``: the student branch's
    files, which the zip holds too."""
    entries = [(p, f"chapters/{p.name}") for p in sorted(student_chapters.glob("*.ipynb"))]
    entries += [(p, f"rmslib/{p.name}") for p in sorted((root / "rmslib").glob("*.py"))]
    entries += [(root / n, n) for n in ("requirements.txt", "runtime.txt", "pyproject.toml")
                if (root / n).exists()]
    for folder in DATA_DIRS:
        entries += [(p, str(p.relative_to(root))) for p in sorted((root / folder).rglob("*"))
                    if p.is_file() and "__pycache__" not in p.parts]
    return entries + [(None, "README.md")]


def _content(path):
    return STUDENT_README.encode() if path is None else path.read_bytes()


def make_zip(student_chapters, zip_path, root=ROOT):
    """Zip the student notebooks with rmslib and what installs it; returns the list of entries."""
    prefix = "rmsprop-student/"
    names = []
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, arc in edition_files(student_chapters, root):
            info = zipfile.ZipInfo(prefix + arc, ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            zf.writestr(info, _content(path))
            names.append(prefix + arc)
    return names


def write_branch_tree(student_chapters, dest, root=ROOT):
    """Write the student branch's files (:func:`edition_files`) into ``dest`` (emptied first)."""
    if dest.exists():
        shutil.rmtree(dest)
    for path, arc in edition_files(student_chapters, root):
        (dest / arc).parent.mkdir(parents=True, exist_ok=True)
        (dest / arc).write_bytes(_content(path))
    return dest


def _git(repo, *args, env=None):
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def commit_branch(tree, branch=BRANCH, repo=ROOT, message="Student edition (tools/student.py)"):
    """Commit the folder ``tree`` as the whole content of the local branch ``branch`` of ``repo``
    (created if missing, its previous tip as parent), without touching the checkout or its index.
    Returns the branch's new tip; nothing is committed when the content is unchanged."""
    parent = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=str(Path(tmp) / "index"))
        _git(repo, f"--work-tree={tree}", "add", "-A", ".", env=env)
        tree_id = _git(repo, "write-tree", env=env)
    if parent and _git(repo, "rev-parse", f"{parent}^{{tree}}") == tree_id:
        return parent
    commit = _git(repo, "commit-tree", tree_id, *(["-p", parent] if parent else []), "-m", message)
    _git(repo, "update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else []))
    return commit


def build(out=ROOT / "_build" / "student", site=True, branch=BRANCH, root=ROOT, say=print, verify=True,
          jupyterhub_url=None):
    """Build the student edition into ``out``; returns a summary dict.

    The site's launch buttons open the notebooks of ``branch`` (the student
    branch); ``jupyterhub_url`` replaces the JupyterHub of _config.yml.

    With ``verify`` (the default) the build fails if any solution fragment
    (:func:`solution_fragments`) is found in the student notebooks or site.
    """
    out = Path(out)
    sources = sorted((root / "chapters").glob("*.ipynb"))
    if not sources:
        raise SystemExit("no notebooks in chapters/")
    instructor = {p.name: nbformat.read(p, as_version=4) for p in sources}
    problems = [msg for name, nb in instructor.items() for msg in lint(nb, name)]
    if problems:
        raise SystemExit("cannot build the student edition:\n  " + "\n  ".join(problems))

    out.mkdir(parents=True, exist_ok=True)
    book = out / "_src"
    copy_book_source(root, book)
    for page in INSTRUCTOR_ONLY_PAGES:
        if (book / page).exists():
            (book / page).write_text(instructor_stub_page((book / page).read_text()))
    adapt_config(book / "_config.yml", root, branch, jupyterhub_url)

    chapters = out / "chapters"
    if chapters.exists():
        shutil.rmtree(chapters)
    chapters.mkdir()
    counts, failed = {}, []
    for name, nb in instructor.items():
        student = strip(nb)
        start = time.perf_counter()
        try:
            execute(student, book / "chapters")
        except Exception as exc:  # report every notebook that fails, then stop
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
            failed.append(f"{name}: the student version does not run top to bottom "
                          f"({type(exc).__name__}):\n    " + "\n    ".join(text[-12:]))
            say(f"{name}: FAILED")
            continue
        nbformat.write(student, book / "chapters" / name)
        nbformat.write(student, chapters / name)
        counts[name] = sum(map(is_solution, nb.cells))
        say(f"{name}: {counts[name]} solution cells removed, executed in {time.perf_counter() - start:.1f} s")
    if failed:
        raise SystemExit("\n".join(failed) + "\n(does the instructor version run? "
                         "`make notebooks NB=chapters/<name>`; if it does, a kept cell uses a solution)")

    fragments = solution_fragments(instructor)
    every = [f for fs in fragments.values() for f in fs]
    texts = {f"chapters/{p.name}": notebook_text(nbformat.read(p, as_version=4))
             for p in sorted(chapters.glob("*.ipynb"))}
    if site:
        say("building the student site (strict) ...")
        build_site(book, out / "html", out / "build.log")
        texts.update({f"html/{k}": v for k, v in site_texts(out / "html").items()} if verify else {})
    found = leaks(every, texts) if verify else []
    if found:
        raise SystemExit("solution text found in the student edition:\n  " +
                         "\n  ".join(f"{w}: {f!r}" for f, w in found[:20]))

    zip_path = out / ZIP_NAME
    make_zip(chapters, zip_path, root)
    write_branch_tree(chapters, out / "branch", root)
    summary = {"notebooks": len(instructor), "solution_cells": counts,
               "fragments": sum(map(len, fragments.values())), "zip": zip_path,
               "zip_bytes": zip_path.stat().st_size, "html": out / "html" if site else None,
               "branch": branch, "tree": out / "branch"}
    say(f"student notebooks: {chapters}")
    if site:
        say(f"student site: {(out / 'html' / 'index.html').resolve()}")
    say(f"zip: {zip_path} ({summary['zip_bytes'] / 1024:.0f} KiB)")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    parser.add_argument("--no-site", action="store_true", help="skip the website build")
    parser.add_argument("--branch", "--binder-branch", default=BRANCH,
                        help=f"the branch holding the student notebooks, which the student site's Binder, Colab "
                        f"and JupyterHub buttons open (default: {BRANCH})")
    parser.add_argument("--jupyterhub-url", help="the JupyterHub of the student site's JupyterHub button "
                        "(default: launch_buttons.jupyterhub_url of _config.yml; empty: no button)")
    parser.add_argument("--commit", action="store_true", help="commit the student branch's files to the local "
                        "branch (then `git push origin <branch>` publishes it)")
    args = parser.parse_args(argv)
    summary = build(args.out, site=not args.no_site, branch=args.branch, jupyterhub_url=args.jupyterhub_url)
    if args.commit:
        tip = commit_branch(summary["tree"], args.branch)
        print(f"branch {args.branch} at {tip[:12]}: publish it with `git push origin {args.branch}`")


if __name__ == "__main__":
    main()
