"""Strict nbval with NumPy's SIMD dispatch off, and AVX2 only simulated (the cases are described in tests/test_other_cpus.py)."""

import pytest

from cpu_sims import GROUPS, run_strict_nbval


@pytest.mark.slow
@pytest.mark.parametrize("name", GROUPS["simd"])
def test_strict_nbval_passes_on_a_simulated_cpu(name, tmp_path):
    run_strict_nbval(name, tmp_path)
