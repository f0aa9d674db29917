"""Binder check: the launch button leads to an environment where every chapter runs.

Does what Binder does, as closely as this machine allows: a fresh virtual
environment (in a temporary folder, new on every run) built ONLY from
``requirements.txt`` with ``runtime.txt``'s Python, then every chapter
notebook executed top to bottom in that environment's own kernel (nbclient,
from the same environment), with a fresh HOME so no user-level Jupyter or
Matplotlib settings leak in. pip's download cache is reused (that is only
speed, not state). A probe cell appended to each notebook proves that the
kernel really ran the fresh environment's Python and rmslib.

Runs in ``make test`` and in CI. Locally, ``RMSBOOK_SKIP_BINDER=1`` skips it
(with a visible reason); when ``CI=true`` it is never skipped: a missing
prerequisite is a failure there.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

RUNNER = r'''
import json, os, sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
probe = "import sys, json, rmslib\nprint(json.dumps({'prefix': sys.prefix, 'rmslib': rmslib.__file__}))"
nb.cells.append(nbformat.v4.new_code_cell(probe))
client = NotebookClient(nb, timeout=600, kernel_name="python3",
                        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
client.execute()
out = nb.cells[-1].outputs
print("PROBE " + "".join(o.get("text", "") for o in out if o.get("output_type") == "stream").strip())
'''


def unavailable(reason):
    """Skip locally with a reason; in CI a missing prerequisite fails."""
    if IN_CI:
        pytest.fail(f"Binder check cannot run in CI: {reason}")
    pytest.skip(reason)


def runtime_python():
    """The interpreter runtime.txt asks for (python-3.11 -> python3.11)."""
    wanted = (ROOT / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)(?:\.\d+)?", wanted)
    assert m, f"runtime.txt should read like 'python-3.11', got {wanted!r}"
    major_minor = f"{m.group(1)}.{m.group(2)}"
    candidates = [shutil.which(f"python{major_minor}")]
    if f"{sys.version_info.major}.{sys.version_info.minor}" == major_minor:
        candidates.append(sys.executable)
    for exe in filter(None, candidates):
        proc = subprocess.run([exe, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip() == major_minor:
            return exe, major_minor
    unavailable(f"no Python {major_minor} (runtime.txt) with the venv module on this machine")


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    if os.environ.get("RMSBOOK_SKIP_BINDER") and not IN_CI:
        pytest.skip("RMSBOOK_SKIP_BINDER is set")
    exe, version = runtime_python()
    tmp = tmp_path_factory.mktemp("binder")
    venv = tmp / "venv"
    home = tmp / "home"
    home.mkdir()
    subprocess.run([exe, "-m", "venv", str(venv)], check=True, capture_output=True, text=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "MPLBACKEND", "MPLCONFIGDIR")
           and not k.startswith("JUPYTER")}
    env.update(HOME=str(home), VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR") or
               str(Path.home() / ".cache" / "pip"))
    # Exactly what Binder runs for a requirements.txt repository, from the repository's root.
    # --no-compile: no up-front .pyc for every package (imports compile what they use); same files otherwise.
    proc = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-compile", "-r", "requirements.txt"],
                          cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        if re.search(r"(Could not|Failed to) (fetch|establish|connect)|NewConnectionError|Temporary failure",
                     proc.stderr) and not IN_CI:
            pytest.skip("no package registry reachable to build the Binder environment")
        pytest.fail(f"pip install -r requirements.txt failed in a fresh venv:\n{proc.stderr[-4000:]}")
    runner = tmp / "run_notebook.py"
    runner.write_text(RUNNER)
    return {"python": py, "venv": venv, "env": env, "runner": runner, "version": version}


def test_binder_environment_has_no_dev_tools(binder_env):
    """requirements.txt alone must suffice: the test tools are NOT in the Binder environment."""
    proc = subprocess.run([str(binder_env["python"]), "-c", "import pytest"], env=binder_env["env"],
                          capture_output=True, text=True)
    assert proc.returncode != 0, "pytest is importable in the Binder venv: it was not built from requirements.txt alone"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_runs_in_binder_environment(binder_env, path):
    proc = subprocess.run([str(binder_env["python"]), str(binder_env["runner"]), str(path)],
                          cwd=path.parent, env=binder_env["env"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (f"{path.name} fails in the Binder environment (Python {binder_env['version']}, "
                                  f"requirements.txt only):\n{proc.stderr[-5000:]}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("PROBE "))
    probe = json.loads(line.removeprefix("PROBE "))
    assert Path(probe["prefix"]).resolve() == binder_env["venv"].resolve(), (
        f"the kernel ran {probe['prefix']}, not the fresh Binder venv")
    assert Path(probe["rmslib"]).resolve().is_relative_to(ROOT.resolve()), probe
