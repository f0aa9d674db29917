"""Simulate another machine's libm: every inexact transcendental result moves by one ulp.

Put this folder on PYTHONPATH with RMSBOOK_ULP=1 and every Python started
with it (nbval's kernels included) replaces NumPy's transcendental functions
(``np.exp``, ``np.log``, ``np.power``, ``np.tanh``, ...) by wrappers that return
the OTHER faithful rounding of the true result: where the float64 result
differs from the same function evaluated in long double (so the result is
inexact), it moves one ulp towards the long-double value. Another CPU's SIMD
loop may return exactly that neighbour, so a stored output that survives this
survives such a machine. Exact results (``exp(0)``, ``log(1)``, ``2.0**3``)
are left alone, as every machine gets them right.

Used by ``tests/test_other_cpus.py``; by hand:
``RMSBOOK_ULP=1 PYTHONPATH=tests/other_cpu pytest --nbval ... chapters/``.
Limits: the ``**`` operator on arrays and ``math.*`` do not go through these
module attributes and are not perturbed; rmslib and the chapters call the
NumPy functions by name.
"""

import os

if os.environ.get("RMSBOOK_ULP") == "1":
    import numpy as np

    NAMES = ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
             "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
             "arccosh", "arctanh", "power", "float_power", "cbrt", "hypot", "logaddexp")

    class OneUlp:
        """Calls the ufunc, then moves each inexact float64 result one ulp toward the long-double value."""

        def __init__(self, ufunc):
            self._ufunc = ufunc
            self.__name__ = ufunc.__name__
            self.__doc__ = ufunc.__doc__

        def __getattr__(self, name):  # .reduce, .outer, .nin, ... of the real ufunc
            return getattr(self._ufunc, name)

        def __call__(self, *args, **kwargs):
            out = self._ufunc(*args, **kwargs)
            if kwargs or not isinstance(out, (np.ndarray, np.floating)) or out.dtype != np.float64:
                return out
            try:
                with np.errstate(all="ignore"):
                    ref = self._ufunc(*(np.asarray(a, dtype=np.longdouble) for a in args))
                    up = np.nextafter(out, np.inf)
                    down = np.nextafter(out, -np.inf)
                    moved = np.where(ref > out, up, np.where(ref < out, down, out))
                    moved = np.where(np.isfinite(out) & np.isfinite(moved), moved, out)
            except (TypeError, ValueError):
                return out
            return moved if isinstance(out, np.ndarray) else np.float64(moved)

    for _name in NAMES:
        if isinstance(getattr(np, _name, None), np.ufunc):
            setattr(np, _name, OneUlp(getattr(np, _name)))
    np._rmsbook_one_ulp = True  # lets the test see that the hook ran in the kernel
