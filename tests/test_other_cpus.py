"""The stored outputs hold on other machines: strict nbval with another CPU's numerics simulated.

CI, a reader's laptop and Binder can have different CPUs: NumPy picks its
SIMD loops for exp/log/power/sin by CPU feature, and OpenBLAS picks its
dot/gemm kernels by CPU, so the last bits of a float differ between machines.
Each case below re-runs strict nbval over every chapter (the same options as
``make test``) in a fresh process whose numerics are those of another machine,
and requires every validated cell to pass there too:

- ``openblas-nehalem``: OpenBLAS forced to its Nehalem kernels, one thread;
- ``numpy-baseline``: NumPy's SIMD dispatch switched off (every dispatched
  feature this CPU has, e.g. ``X86_V3 X86_V4``), so the baseline loops run;
- ``numpy-avx2`` (only on a machine with AVX-512): ``X86_V4`` and the AVX-512
  groups switched off, i.e. an AVX2-only machine;
- ``libm-one-ulp``: NumPy's transcendental functions return the other faithful
  rounding wherever their result is inexact (``tests/other_cpu/sitecustomize.py``).

Each case also checks that its simulation really took effect.
"""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBVAL = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
PROBE = """
import json, numpy as np, threadpoolctl
from numpy._core._multiarray_umath import __cpu_features__ as f, __cpu_dispatch__ as d
blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
print(json.dumps({"on": [k for k in d if f.get(k)], "blas": blas[0].get("architecture") if blas else None,
                  "ulp": bool(getattr(np, "_rmsbook_one_ulp", False))}))
"""


def probe(env=None):
    """What a Python started with ``env`` sees: enabled SIMD groups, OpenBLAS kernel, the ulp hook."""
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **(env or {})}, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


HERE = probe()
SIMULATIONS = {
    "openblas-nehalem": {"OPENBLAS_CORETYPE": "Nehalem", "OPENBLAS_NUM_THREADS": "1"},
    "numpy-baseline": {"NPY_DISABLE_CPU_FEATURES": " ".join(HERE["on"])},
    "libm-one-ulp": {"RMSBOOK_ULP": "1", "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "tests" / "other_cpu"), os.environ.get("PYTHONPATH")]))},
}
if "X86_V4" in HERE["on"]:
    SIMULATIONS["numpy-avx2"] = {"NPY_DISABLE_CPU_FEATURES": " ".join(k for k in HERE["on"]
                                                                     if k == "X86_V4" or k.startswith("AVX512"))}


def test_simulations_take_effect():
    nehalem = probe(SIMULATIONS["openblas-nehalem"])
    assert nehalem["blas"] and nehalem["blas"].lower() == "nehalem", nehalem
    if HERE["on"]:
        assert probe(SIMULATIONS["numpy-baseline"])["on"] == [], "NPY_DISABLE_CPU_FEATURES did not take effect"
    if "numpy-avx2" in SIMULATIONS:
        on = probe(SIMULATIONS["numpy-avx2"])["on"]
        assert "X86_V3" in on and "X86_V4" not in on, on
    assert probe(SIMULATIONS["libm-one-ulp"])["ulp"], "the one-ulp hook did not load"
    assert not HERE["ulp"], "the one-ulp hook is active in the test process itself"


def junit_counts(path):
    failed, passed, names = 0, 0, []
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            names.append(f"{case.get('classname')}::{case.get('name')}")
        else:
            passed += 1
    return failed, passed, names


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SIMULATIONS))
def test_strict_nbval_passes_on_a_simulated_cpu(name, tmp_path):
    junit = tmp_path / "nbval.xml"
    env = {**os.environ, **SIMULATIONS[name]}
    proc = subprocess.run([sys.executable, *NBVAL, f"--junitxml={junit}", "chapters/"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert junit.exists(), f"nbval did not run:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    failed, passed, names = junit_counts(junit)
    assert passed > 0, f"nbval validated no cell:\n{proc.stdout[-3000:]}"
    assert failed == 0, (f"{name}: {failed} cells differ from their stored outputs on this simulated CPU "
                         f"({', '.join(names)}): store only the digits every machine agrees on "
                         f"(AUTHORING.md, 'Numbers that hold on every machine').\n{proc.stdout[-6000:]}")
