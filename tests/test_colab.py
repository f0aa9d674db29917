"""Colab check: every chapter runs top to bottom on a runtime with Google Colab's packages.

Colab opens a chapter alone (no repository around it) on a runtime that lacks
rmslib and myst-nb; the chapter's install lines (first code cell,
tools/colab_cell.py) must install them and every cell must run. This does the
same, as closely as this machine allows:

- The **Colab venv** holds exactly the packages of ``tests/colab/requirements.txt``
  (Colab's versions; the file says where they come from), installed with
  ``--no-deps``. It is cached in ``_build/colab-venv`` (``RMSBOOK_COLAB_VENV``
  to move it) and rebuilt only when the pins of that file or the Python version
  change (a stamp holds their hash); building it needs PyPI and takes about a minute.
  Colab's Python is 3.13 (3.12 until August 2026); this machine has 3.11, so the venv uses 3.11.
- Each test session adds a fresh, empty **overlay venv** on top of it (its
  site-packages first, the Colab venv's after it): a bare Colab runtime where
  pip installs into a new place, so the install lines really install every time.
  ``RMSBOOK_RMSLIB`` points them at a snapshot of this checkout (``pyproject.toml``,
  ``README.md``, ``rmslib/``, as in the GitHub archive of a release), because
  the release tag is not reachable from here.
- Each chapter is copied alone into an empty folder and run with nbclient by
  the overlay's Python and kernel, with a fresh HOME. Any error fails the test.
  A probe cell appended to the copy proves that the kernel ran the overlay,
  with rmslib and myst-nb from the overlay (installed by the install lines), and
  ipywidgets 7.
- The explorers of ``rmslib.widgets`` are built there and a control driven.

Runs in ``make test``. ``RMSBOOK_SKIP_COLAB=1`` skips it locally; with ``CI=true``
it is never skipped.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
REQUIREMENTS = ROOT / "tests" / "colab" / "requirements.txt"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
VENV = Path(os.environ.get("RMSBOOK_COLAB_VENV") or ROOT / "_build" / "colab-venv")
PYVER = f"{sys.version_info.major}.{sys.version_info.minor}"

RUNNER = r'''
import json, os, sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
probe = ("import sys, json, rmslib, myst_nb, ipywidgets\n"
         "print(json.dumps({'prefix': sys.prefix, 'rmslib': rmslib.__file__, 'myst_nb': myst_nb.__file__,"
         " 'ipywidgets': ipywidgets.__version__}))")
nb.cells.append(nbformat.v4.new_code_cell(probe))
client = NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
client.execute()
first = next(c for c in nb.cells if c.cell_type == "code")
text = lambda c: "".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream").strip()
print("FIRST " + json.dumps(text(first)))
print("PROBE " + text(nb.cells[-1]))
'''

EXPLORERS = r'''
import ipywidgets, numpy as np, rmslib
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from rmslib.widgets import HistoryExplorer, OptimizerExplorer
assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
InteractiveShell.instance()
ex = OptimizerExplorer(problem="bowl", optimizers=("GD", "RMSProp"), lr=0.05, steps=30)
with capture_output() as shown:      # what a notebook cell showing the explorer displays
    ex._ipython_display_()
views = [o.data for o in shown.outputs if "application/vnd.jupyter.widget-view+json" in o.data]
assert views and views[0]["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
png = ex.png
ex.controls["lr"].value = 0.02       # drive a control: the explorer re-runs rmslib and redraws
want = rmslib.run(rmslib.RMSProp(0.02, beta=ex.controls["beta"].value, eps=ex.controls["eps"].value),
                  rmslib.problems.Bowl((1.0, 20.0)), np.array([ex.controls["x0"].value, ex.controls["y0"].value]),
                  steps=30)
x, y = ex.paths["RMSProp"].get_data()
assert np.array_equal(np.column_stack([x, y]), want.params) and ex.png != png and ex.message.value == ""
h = HistoryExplorer()
png = h.png
h.controls["beta"].value = 0.5
assert h.png != png and h.message.value == ""
print("explorers ok with ipywidgets", ipywidgets.__version__)
'''


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"Colab check cannot run in CI: {reason}")
    pytest.skip(reason)


def clean_env(home):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "MPLBACKEND", "MPLCONFIGDIR", "RMSBOOK_RMSLIB")
           and not k.startswith("JUPYTER")}
    env.update(HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip"))
    return env


def stamp():
    """What the cached venv was built from: the pins (comments aside) and the Python."""
    pins = [ln.strip() for ln in REQUIREMENTS.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return hashlib.sha256("\n".join(pins + [sys.version]).encode()).hexdigest()


def colab_venv(tmp):
    """The cached Colab venv, (re)built under a lock when its stamp does not match."""
    import fcntl
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp_file = VENV / "colab-stamp"
        if stamp_file.is_file() and stamp_file.read_text() == stamp():
            return VENV
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
        proc = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                               "-r", str(REQUIREMENTS)], env=clean_env(tmp), capture_output=True, text=True,
                              timeout=1800)
        if proc.returncode != 0:
            shutil.rmtree(VENV, ignore_errors=True)
            if "NewConnectionError" in proc.stderr or "Temporary failure" in proc.stderr:
                unavailable("no package registry reachable to build the Colab venv")
            pytest.fail(f"building the Colab venv failed:\n{proc.stderr[-4000:]}")
        stamp_file.write_text(stamp())
        return VENV


def site_packages(prefix):
    return Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    if os.environ.get("RMSBOOK_SKIP_COLAB") and not IN_CI:
        pytest.skip("RMSBOOK_SKIP_COLAB is set")
    tmp = tmp_path_factory.mktemp("colab")
    home = tmp / "home"
    home.mkdir()
    base = colab_venv(home)
    overlay = tmp / "runtime"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(overlay)], check=True, capture_output=True)
    # the Colab venv's packages (and its .pth files) after the overlay's own, empty, site-packages
    (site_packages(overlay) / "colab_base.pth").write_text(
        f"import site; site.addsitedir({str(site_packages(base))!r})\n")
    source = tmp / "rmslib-source"   # what the GitHub archive of a release holds, for rmslib
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "rmslib", source / "rmslib", ignore=shutil.ignore_patterns("__pycache__"))
    env = clean_env(home)
    env.update(VIRTUAL_ENV=str(overlay), PATH=f"{overlay / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               RMSBOOK_RMSLIB=str(source))
    runner = tmp / "run_notebook.py"
    runner.write_text(RUNNER)
    return {"python": overlay / "bin" / "python", "overlay": overlay, "env": env, "runner": runner, "tmp": tmp}


def test_colab_venv_is_bare_colab(colab):
    """The runtime starts without rmslib and myst-nb, and with Colab's ipywidgets 7."""
    code = ("import importlib.util as u, ipywidgets, numpy, matplotlib, IPython; "
            "print(u.find_spec('rmslib') is None, u.find_spec('myst_nb') is None, ipywidgets.__version__, "
            "numpy.__version__, matplotlib.__version__, IPython.__version__)")
    proc = subprocess.run([str(colab["python"]), "-c", code], env=colab["env"], capture_output=True, text=True,
                          cwd=colab["tmp"])
    assert proc.returncode == 0, proc.stderr
    pins = dict(line.split("==") for line in REQUIREMENTS.read_text().splitlines() if "==" in line)
    no_rmslib, no_myst, widgets, numpy, mpl, ipython = proc.stdout.split()
    assert no_rmslib == "True" and no_myst == "True", "the Colab runtime already has rmslib or myst-nb"
    assert (widgets, numpy, mpl, ipython) == (pins["ipywidgets"], pins["numpy"], pins["matplotlib"], pins["ipython"])
    assert widgets.startswith("7.")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_runs_on_colab(colab, path):
    work = colab["tmp"] / "content" / path.stem     # like Colab's /content: the notebook and nothing else
    work.mkdir(parents=True)
    shutil.copy2(path, work / path.name)
    proc = subprocess.run([str(colab["python"]), str(colab["runner"]), str(work / path.name)], cwd=work,
                          env=colab["env"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"{path.name} fails on the Colab runtime:\n{proc.stderr[-5000:]}"
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.startswith(("FIRST ", "PROBE ")))
    probe = json.loads(lines["PROBE"])
    site = site_packages(colab["overlay"]).resolve()
    assert Path(probe["prefix"]).resolve() == colab["overlay"].resolve(), f"the kernel ran {probe['prefix']}"
    for module in ("rmslib", "myst_nb"):   # installed by the install lines, into the bare runtime
        assert Path(probe[module]).resolve().is_relative_to(site), f"{module} came from {probe[module]}"
    assert probe["ipywidgets"].startswith("7.")
    first = json.loads(lines["FIRST"])     # quiet: nothing, or the one line saying what it installs
    assert first == "" or (first.startswith("installing ") and "\n" not in first), first


def test_explorers_work_with_colab_ipywidgets(colab):
    """rmslib.widgets with ipywidgets 7: both explorers build, display, and redraw when a control moves."""
    install = subprocess.run([str(colab["python"]), "-c", colab_cell.install_lines()], env=colab["env"],
                             capture_output=True, text=True, cwd=colab["tmp"])  # a no-op once a chapter ran
    assert install.returncode == 0, install.stderr[-4000:]
    proc = subprocess.run([str(colab["python"]), "-c", EXPLORERS], env=colab["env"], capture_output=True,
                          text=True, cwd=colab["tmp"])
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "explorers ok with ipywidgets 7." in proc.stdout


# --------------------------------------------------------------------------
# The install lines: one canonical version, in every chapter and in the student edition (fast)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_starts_with_the_canonical_install_lines(path):
    nb = nbformat.read(path, as_version=4)
    assert colab_cell.problems(nb, path.name) == []
    import student
    assert colab_cell.problems(student.strip(nb), path.name) == [], "the student edition loses the install lines"


def test_install_lines_pin_the_release_of_pyproject_and_the_repository_of_config():
    import tomllib
    import yaml
    lines = colab_cell.install_lines()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    assert f'"rmslib @ {repo}/archive/refs/tags/v{version}.zip"' in lines
    myst = next(ln for ln in (ROOT / "requirements.txt").read_text().splitlines() if ln.startswith("myst-nb=="))
    assert f'"{myst}"' in lines
    compile(lines, "<install lines>", "exec")


def test_lint_finds_changed_or_missing_install_lines(tmp_path):
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    cell = colab_cell.first_code_cell(nb)
    rest = colab_cell.split(cell.source)[1]
    assert rest and not rest.startswith(colab_cell.FIRST)
    cell.source = rest
    assert "does not start with the install lines" in colab_cell.problems(nb, "x")[0]
    cell.source = colab_cell.with_install(rest).replace("myst-nb==", "myst-nb>=")
    assert "differ" in colab_cell.problems(nb, "x")[0]
    cell.source = colab_cell.with_install(cell.source)   # --fix replaces, never stacks
    assert colab_cell.problems(nb, "x") == [] and cell.source.count(colab_cell.FIRST) == 1
    assert colab_cell.split(cell.source)[1] == rest


def test_install_lines_run_quietly_where_everything_is_installed():
    proc = subprocess.run([sys.executable, "-c", colab_cell.install_lines() + "\nprint(_missing)"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout == "[]\n" and proc.stderr == "", proc.stderr
