"""The student edition (``make student``, tools/student.py).

Fast tests run the stripping, linting and leak-detection logic on the real
chapters as they are now. The slow ones build the whole edition ONCE per
session (a module fixture: execute every student notebook, build the site
strictly, zip) into a temporary folder and check the result: no solution
text anywhere in the student notebooks or site, every student notebook ran
top to bottom without an error, the site built without a warning, the zip
holds what an LMS upload needs.
"""

import copy
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student as tool  # noqa: E402

import launch_urls  # noqa: E402  (tests/launch_urls.py)

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def read(path):
    return nbformat.read(path, as_version=4)


def cell(kind, source, tags=()):
    c = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


# --------------------------------------------------------------------------
# Stripping logic on the real chapters (fast)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_strip_removes_solutions_keeps_the_rest_and_unhides_stubs(path):
    nb = read(path)
    before = copy.deepcopy(nb)
    student = tool.strip(nb)
    assert nb == before, "strip must not modify the instructor notebook"
    kept = [c for c in nb.cells if "solution" not in c.metadata.get("tags", [])]
    assert [c.source for c in student.cells] == [c.source for c in kept]
    for c in student.cells:
        tags = c.metadata.get("tags", [])
        assert "solution" not in tags
        if "stub" in tags:
            assert "remove-cell" not in tags
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    # every exercise survives, only solutions go
    exercises = re.compile(r"\{exercise(?:-start)?\}[^\n]*\n:label: (\S+)")
    assert exercises.findall("\n".join(c.source for c in student.cells)) == \
        exercises.findall("\n".join(c.source for c in nb.cells))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_chapters_follow_the_solution_conventions(path):
    assert tool.lint(read(path), path.name) == []


def test_lint_catches_what_would_leak_or_break():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        cell("markdown", "```{solution} ex-a\n:class: dropdown\nThe answer is 42.\n```"),  # untagged!
        cell("code", "glue('x_answer', 42, display=False)", ["solution"]),
        cell("markdown", "The answer is {glue:text}`x_answer`."),
        cell("code", "def f():\n    raise NotImplementedError", ["stub", "solution"]),
        cell("markdown", "```{solution-start} ex-b\n```", ["solution"]),
        cell("markdown", "```{solution-end}\n```\n\n## Part 2\n\n```{exercise} Next\n:label: ex-c\n```",
             ["solution"]),
    ]
    problems = "\n".join(tool.lint(nb, "demo.ipynb"))
    assert "cell 0 holds a solution directive but is not tagged" in problems
    assert "quotes the glued value `x_answer`" in problems
    assert "tagged both `stub` and `solution`" in problems
    assert "solution cell 5 also holds an exercise or a heading" in problems
    nb.cells = nb.cells[:5]
    assert "1 solution-start but 0 solution-end" in "\n".join(tool.lint(nb, "demo.ipynb"))


def test_solution_fragments_skip_shared_markup_and_find_real_solution_text():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        cell("markdown", "```{exercise} Step\n:label: ex-s\nWrite `step(theta, g, v, lr)`.\n```"),
        cell("code", "def step(theta, g, v, lr):\n    raise NotImplementedError", ["stub", "remove-cell"]),
        cell("markdown", "```{solution-start} ex-s\n:class: dropdown\n```", ["solution"]),
        cell("code", "def step(theta, g, v, lr):\n    v_new = 0.9 * v + 0.1 * g**2\n"
                     "    return theta - lr * g / np.sqrt(v_new), v_new", ["solution"]),
        cell("markdown", "Divide by the root of the {glue:text}`new_avg` running average, not the old one.",
             ["solution"]),
        cell("markdown", "```{solution-end}\n```", ["solution"]),
    ]
    frags = tool.solution_fragments({"demo": nb})["demo"]
    assert " v new 0 9 v 0 1 g 2 " in frags
    assert " divide by the root of the " in frags and " running average not the old one " in frags
    assert not any("solution" in f or "class dropdown" in f for f in frags)   # directive markup
    assert not any(f == " def step theta g v lr " for f in frags)              # shared with the stub
    student = tool.strip(nb)
    assert tool.leaks(frags, {"student": tool.notebook_text(student)}) == []
    assert len(tool.leaks(frags, {"instructor": tool.notebook_text(nb)})) == len(frags)


def test_html_text_rejoins_highlighted_code(tmp_path):
    page = tmp_path / "p.html"
    page.write_text('<div class="highlight"><pre><span class="n">v_new</span> <span class="o">=</span> '
                    '<span class="mf">0.9</span><span class="o">*</span><span class="n">v</span></pre></div>')
    assert tool.leaks([tool.normalize("v_new = 0.9 * v")], {"p": tool.html_text(page)})


def test_real_chapters_have_solution_text_to_look_for():
    frags = tool.solution_fragments({p.name: read(p) for p in NOTEBOOKS})
    assert len(frags["assignment_rmsprop.ipynb"]) >= 20
    # the detector is not vacuous: every fragment is found in its own instructor notebook
    for path in NOTEBOOKS:
        text = {path.name: tool.notebook_text(read(path))}
        assert len(tool.leaks(frags[path.name], text)) == len(frags[path.name])


def test_instructor_page_replacement_keeps_title_and_targets():
    text = (ROOT / "instructor_guide.md").read_text()
    stub = tool.instructor_stub_page(text)
    assert "# Instructor guide" in stub.splitlines()[:2]
    targets = re.findall(r"^\(([\w.:-]+)\)=$", text, re.M)
    for target in targets:
        if re.search(rf"^\({re.escape(target)}\)=\n+#", text, re.M):
            assert f"({target})=" in stub
    assert stub.count("# Instructor guide") == 1 and "Restart and run all" not in stub


# --------------------------------------------------------------------------
# The instructor guide: Binder links from _config.yml, every check documented
# --------------------------------------------------------------------------

def test_guide_binder_links_follow_config_for_every_chapter():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    org_repo = cfg["repository"]["url"].rstrip("/").split("github.com/")[1]
    base = f"{cfg['launch_buttons']['binderhub_url'].rstrip('/')}/v2/gh/{org_repo}/{cfg['repository']['branch']}"
    guide = (ROOT / "instructor_guide.md").read_text()
    links = re.findall(r"\((https://[^)\s]*/v2/gh/[^)\s]+)\)", guide)
    assert links, "no Binder links in the guide"
    for link in links:
        assert link.startswith(base + "?urlpath=lab/tree/chapters/"), link
    toc = (ROOT / "_toc.yml").read_text()
    colab = re.findall(r"\((https://colab\.research\.google\.com/[^)\s]+)\)", guide)
    for name in re.findall(r"file:\s*chapters/(\S+)", toc):
        assert f"{base}?urlpath=lab/tree/chapters/{name}.ipynb" in links, f"no Binder link for {name}"
        want = launch_urls.expected(cfg, name)["Colab"]
        assert want in colab, f"no Colab link {want} in the guide"
    assert len(colab) == len(links)


def test_guide_documents_every_check():
    from rmslib import check
    guide = (ROOT / "instructor_guide.md").read_text()
    for name in check.CHECKS:
        assert f"rmslib.check.{name}(" in guide


# --------------------------------------------------------------------------
# The whole edition, built once (slow: about two minutes on a loaded machine)
# --------------------------------------------------------------------------

HUB = "https://hub.example.edu"   # an instructor's hub, as `--jupyterhub-url` gives it


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student-edition")
    try:
        summary = tool.build(out, site=True, say=lambda *a: None, verify=False, jupyterhub_url=HUB)
    except SystemExit as exc:  # the tool reports failures with SystemExit; make them test failures
        pytest.fail(f"make student failed: {exc}", pytrace=False)
    return out, summary


@pytest.fixture(scope="module")
def fragments():
    return tool.solution_fragments({p.name: read(p) for p in NOTEBOOKS})


@pytest.mark.slow
def test_no_solution_text_in_student_notebooks(edition, fragments):
    out, _ = edition
    texts = {p.name: tool.notebook_text(read(p)) for p in sorted((out / "chapters").glob("*.ipynb"))}
    assert sorted(texts) == IDS
    every = [f for fs in fragments.values() for f in fs]
    assert tool.leaks(every, texts) == []


@pytest.mark.slow
def test_no_solution_text_in_student_site(edition, fragments):
    out, _ = edition
    html = out / "html"
    for path in NOTEBOOKS:
        assert (html / "chapters" / f"{path.stem}.html").exists()
    texts = tool.site_texts(html)
    every = [f for fs in fragments.values() for f in fs]
    assert tool.leaks(every, texts) == []
    guide = tool.html_text(html / "instructor_guide.html").lower()
    assert "instructor edition" in guide and "restart and run all" not in guide


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_student_notebook_ran_top_to_bottom(edition, name):
    out, _ = edition
    nb = read(out / "chapters" / name)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "not every cell ran, in order"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells)
    # every check cell that follows a stub gives feedback instead of crashing
    instructor = read(ROOT / "chapters" / name)
    stubs = sum("stub" in c.metadata.get("tags", []) and "NotImplementedError" in c.source
                for c in instructor.cells)
    if stubs:   # AUTHORING.md: each stub is followed by a check cell, which must say so
        assert "not implemented yet" in tool.notebook_text(nb)


@pytest.mark.slow
def test_assignment_student_version_gives_feedback(edition):
    out, _ = edition
    nb = read(out / "chapters" / "assignment_rmsprop.ipynb")
    lines = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    feedback = [ln for ln in "".join(lines).splitlines() if ln.startswith(("✓", "✗"))]
    assert len(feedback) == 2 and all("not implemented yet" in ln for ln in feedback)
    assert not [c for c in nb.cells if "stub" in c.metadata.get("tags", [])
                and "remove-cell" in c.metadata.get("tags", [])]


@pytest.mark.slow
def test_student_site_built_strictly(edition):
    out, _ = edition
    log = (out / "build.log").read_text()
    assert (out / "html" / "index.html").exists()
    assert "build succeeded" in log and "WARNING" not in log


@pytest.mark.slow
def test_zip_holds_notebooks_library_and_requirements(edition):
    out, summary = edition
    with zipfile.ZipFile(out / tool.ZIP_NAME) as zf:
        names = set(zf.namelist())
        assert {f"rmsprop-student/chapters/{n}" for n in IDS} <= names
        for need in ("rmslib/__init__.py", "rmslib/check.py", "requirements.txt", "pyproject.toml",
                     "runtime.txt", "README.md"):
            assert f"rmsprop-student/{need}" in names
        for data in sorted((ROOT / "rmslib" / "data").glob("*")):   # data files chapters read
            if data.is_file():
                assert f"rmsprop-student/rmslib/data/{data.name}" in names
        for n in IDS:
            zipped = nbformat.reads(zf.read(f"rmsprop-student/chapters/{n}").decode(), as_version=4)
            assert zipped == read(out / "chapters" / n)
    assert summary["zip_bytes"] == (out / tool.ZIP_NAME).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_student_launch_buttons_open_the_student_branch(edition, name):
    """Binder, Colab and JupyterHub open the student notebook of the student branch, never main's."""
    out, summary = edition
    cfg = launch_urls.config(ROOT)
    assert summary["branch"] == tool.BRANCH != cfg["repository"]["branch"]
    cfg["repository"]["branch"] = tool.BRANCH
    cfg["launch_buttons"]["jupyterhub_url"] = HUB
    chapter = name.removesuffix(".ipynb")
    page = out / "html" / "chapters" / f"{chapter}.html"
    assert launch_urls.check_page(page, cfg, chapter) == []
    found = launch_urls.links(page)
    assert set(found) >= {"Binder", "Colab", "JupyterHub"}
    assert not any("/main/" in url or "branch=main" in url or "/main?" in url for url in found.values())
    # what the buttons open is the student notebook, in the student branch's tree
    assert read(out / "branch" / "chapters" / name) == read(out / "chapters" / name)


@pytest.mark.slow
def test_student_branch_tree_is_the_zip(edition):
    out, _ = edition
    tree = sorted(p.relative_to(out / "branch").as_posix() for p in (out / "branch").rglob("*") if p.is_file())
    with zipfile.ZipFile(out / tool.ZIP_NAME) as zf:
        assert tree == sorted(n.removeprefix("rmsprop-student/") for n in zf.namelist())
        for rel in tree:
            assert zf.read(f"rmsprop-student/{rel}") == (out / "branch" / rel).read_bytes()
    for need in ("requirements.txt", "runtime.txt", "pyproject.toml", "rmslib/__init__.py"):
        assert (out / "branch" / need).is_file()   # Binder and the install lines build from these


def test_commit_branch_commits_a_tree_without_touching_the_checkout(tmp_path, monkeypatch):
    repo, tree = tmp_path / "repo", tmp_path / "tree"
    for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        monkeypatch.setenv(key, "t")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(key, "t@example.edu")

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "solution.py").write_text("answer = 42\n")
    git("add", ".")
    git("commit", "-qm", "instructor")
    (tree / "chapters").mkdir(parents=True)
    (tree / "chapters" / "a.ipynb").write_text("{}")
    first = tool.commit_branch(tree, "student", repo)
    assert git("ls-tree", "-r", "--name-only", "student").split() == ["chapters/a.ipynb"]  # no instructor file
    assert tool.commit_branch(tree, "student", repo) == first   # unchanged content: no new commit
    (tree / "chapters" / "b.ipynb").write_text("{}")
    second = tool.commit_branch(tree, "student", repo)
    assert second != first and git("rev-parse", f"{second}^") == first
    assert git("status", "--porcelain") == "" and git("symbolic-ref", "HEAD") == "refs/heads/main"
