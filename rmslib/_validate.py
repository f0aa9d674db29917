"""Argument checks shared by the optimizers, problems and runner.

Every check raises ``TypeError`` (wrong kind of value) or ``ValueError``
(right kind, wrong range) with a message that names the argument and the
allowed range, so a bad setting never turns into a silent NaN later.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def hyper(name, value, *, low=None, high=None, low_open=False, high_open=True):
    """Check a hyperparameter (a real number, or an array of them for sweeps).

    Returns a float for a scalar and a float64 ndarray for an array.
    """
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, numbers.Real):
        try:
            arr = np.float64(value)
        except OverflowError:  # an integer too large for a float
            raise ValueError(f"{name} must be finite, got {value!r}") from None
    else:
        try:
            arr = np.asarray(value)
        except Exception as exc:  # pragma: no cover - exotic objects
            raise TypeError(f"{name} must be a real number, got {value!r}") from exc
        if arr.dtype.kind not in "iuf" or arr.size == 0:
            raise TypeError(f"{name} must be a real number or a non-empty array of them, got {value!r}")
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    rng = _describe(low, high, low_open, high_open)
    if low is not None and (np.any(arr <= low) if low_open else np.any(arr < low)):
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    if high is not None and (np.any(arr >= high) if high_open else np.any(arr > high)):
        raise ValueError(f"{name} must be in {rng}, got {value!r}")
    return float(arr) if arr.ndim == 0 else arr


def _describe(low, high, low_open, high_open):
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


# Finiteness checks run on every update, so they are made cheap for each size:
# a handful of values are checked by Python's math.isfinite (quicker than any
# NumPy call on tiny arrays), arrays at least _SUM_CHECK_SIZE large with one
# summation (no boolean temporary), the rest with np.isfinite.
_TINY = 16
_SUM_CHECK_SIZE = 4096
_all_true = np.logical_and.reduce


def all_finite(arr):
    """True if every entry of the float array ``arr`` is finite (no inf, no nan).

    Cheap: a sum is finite only if every entry is (an inf or nan entry makes
    the sum inf or nan), so one summation settles the common case. A
    non-finite sum can also come from overflow of finite entries, so only
    then are the entries checked one by one.
    """
    if arr.size <= _TINY:
        return all(map(math.isfinite, arr.ravel().tolist()))
    if arr.size < _SUM_CHECK_SIZE:
        return bool(_all_true(np.isfinite(arr), axis=None))
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(arr, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(arr).all())


def flag(name, value):
    """Check a boolean switch."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def array(name, value):
    """Convert params or a start point to a float64 array (never a view of the input)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a float array, got {type(value).__name__}")
    try:
        if np.iscomplexobj(value):  # float64 conversion would silently drop the imaginary part
            raise TypeError(f"{name} must be real, got complex values")
        arr = np.array(value, dtype=np.float64)  # np.array copies: the caller's data is never shared
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{name} must contain only finite values") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a float array, got {type(value).__name__}") from exc
    if not all_finite(arr):
        raise ValueError(f"{name} must contain only finite values")
    return arr


def grads_like(params, grads):
    """Check that grads matches params in shape and is finite."""
    g = array("grads", grads) if not isinstance(grads, np.ndarray) or grads.dtype != np.float64 else grads
    if g.shape != params.shape:
        raise ValueError(f"grads must have the shape of params {params.shape}, got {g.shape}")
    if not all_finite(g):
        raise ValueError("grads must contain only finite values (got inf or nan)")
    return g


def positive_int(name, value):
    """Check a count such as steps or batch_size (an integer >= 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)
