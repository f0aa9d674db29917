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

Each case also checks that its simulation really took effect. The cases are split over
``test_other_cpus.py`` (one ulp), ``test_other_cpus_blas.py`` and ``test_other_cpus_simd.py`` so that
parallel workers can run them side by side; the helpers are in ``tests/cpu_sims.py``.
"""


import pytest

from cpu_sims import GROUPS, HERE, SIMULATIONS, probe, run_strict_nbval


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
    assert sorted(n for g in GROUPS.values() for n in g) == sorted(SIMULATIONS), "a simulation is in no file"


@pytest.mark.slow
@pytest.mark.parametrize("name", GROUPS["ulp"])
def test_strict_nbval_passes_on_a_simulated_cpu(name, tmp_path):
    run_strict_nbval(name, tmp_path)
