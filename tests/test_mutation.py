"""Mutation test: nbval must notice a tiny numerical change in rmslib.

The kernel that nbval starts gets a ``sitecustomize.py`` (on PYTHONPATH, from a
temporary folder) that wraps ``rmslib.Optimizer.update``, the method every
optimizer's step goes through, so that each step's change of the parameters
is scaled by 1 + 1e-3. Every chapter prints tables of computed numbers, so
strict nbval (the same options as ``make test``) must then FAIL on every
chapter notebook: this proves the stored outputs really depend on the library
and that nothing important is ignored or rounded away. The unperturbed run is
``make test``'s own nbval run over the same notebooks.

The hook also logs every perturbed update, and the test requires that the
notebook's kernel really ran it (a notebook that never calls an optimizer
cannot be protected by this test, and is reported). A notebook that already
fails unperturbed also fails here; ``make test``'s main nbval run is the
control that catches that. nbval stops at a notebook's first failing cell
(-x): one failure is all this test needs, and it keeps the test quick.
"""

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
# 1e-3 by default; RMSBOOK_MUTATION_SCALE measures how small a change the stored outputs still catch.
SCALE = float(os.environ.get("RMSBOOK_MUTATION_SCALE", "1e-3"))

SITECUSTOMIZE = textwrap.dedent(f"""
    # Written by tests/test_mutation.py: perturb rmslib in this interpreter only.
    import os
    if os.environ.get("RMSLIB_MUTATION_LOG"):
        import numpy as np
        import rmslib.optimizers as _opt

        _original = _opt.Optimizer.update
        _logged = []

        def update(self, params, grads, state):
            new_params, new_state = _original(self, params, grads, state)
            old = np.asarray(params, dtype=np.float64)
            if not _logged:  # once per kernel: the mutation reached this notebook
                _logged.append(True)
                with open(os.environ["RMSLIB_MUTATION_LOG"], "a") as log:
                    log.write(str(os.getpid()) + "\\n")
            return old + (new_params - old) * (1 + {SCALE!r}), new_state

        _opt.Optimizer.update = update
""")


@pytest.fixture(scope="module")
def hook(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mutation")
    (tmp / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return tmp


def run_mutated_nbval(hook, path):
    """Strict nbval on one notebook with the mutation; returns (failed, passed, update calls, output)."""
    log, junit = hook / f"{path.stem}.calls", hook / f"{path.stem}.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
           "RMSLIB_MUTATION_LOG": str(log)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-x", f"--junitxml={junit}",
         str(path.relative_to(ROOT))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert junit.exists(), f"nbval did not run on {path.name}:\n{output}"
    failed = passed = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    calls = len(log.read_text().splitlines()) if log.exists() else 0
    return failed, passed, calls, output


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_fails_when_rmslib_is_perturbed(hook, path):
    failed, passed, calls, output = run_mutated_nbval(hook, path)
    assert failed + passed > 0, f"nbval validated no cells of {path.name}:\n{output}"
    assert calls > 0, (f"{path.name} never called an rmslib optimizer's update, so the mutation could not "
                       "reach it; its outputs do not exercise the library")
    assert failed > 0, (
        f"{path.name}: nbval still PASSES with every rmslib update scaled by 1 + {SCALE:g} "
        "(the perturbed update ran in its kernel): its stored outputs do not depend on the library's numbers "
        "(print a table of computed values with 6+ significant digits)")
