"""Simulated CPUs for the strict nbval re-runs (tests/test_other_cpus*.py): what each one sets,
a probe that checks it took effect, and the run itself. See tests/test_other_cpus.py."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


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


# Each test file runs some of the simulations, so that pytest-xdist (--dist loadfile) can put them
# on different workers: each one is a full strict nbval pass over every chapter.
GROUPS = {"ulp": ["libm-one-ulp"], "blas": ["openblas-nehalem"],
          "simd": [n for n in ("numpy-baseline", "numpy-avx2") if n in SIMULATIONS]}


def run_strict_nbval(name, tmp_path):
    """Strict nbval over every chapter with simulation ``name``; fails unless every validated cell passes."""
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
