"""Numbers that every machine agrees on: what a chapter prints and glues.

Two machines running the same code can disagree in the last bits of a float:
NumPy picks its SIMD loops for ``exp``, ``log``, ``power`` and friends by CPU
feature, and OpenBLAS picks its ``dot``/``matmul`` kernels by CPU. A printed
or stored number may therefore carry only the digits that survive such a
difference (``AUTHORING.md``, "Numbers that hold on every machine"):

- :func:`sig` rounds a well-conditioned value to ``digits`` significant digits
  (at most :data:`MAX_DIGITS`);
- :func:`magnitude` keeps only the order of magnitude of an ill-conditioned
  one (a difference of nearly equal numbers, a closest approach, the end of a
  long chaotic run), whose leading digits themselves may differ.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: The most significant digits a stored output may carry for a well-conditioned value.
MAX_DIGITS = 8


def _digits(digits):
    if isinstance(digits, (bool, np.bool_)) or not isinstance(digits, numbers.Integral):
        raise TypeError(f"digits must be an integer in [1, {MAX_DIGITS}], got {digits!r}")
    if not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be in [1, {MAX_DIGITS}], got {digits!r}")
    return int(digits)


def _real(name, x):
    if isinstance(x, (bool, np.bool_, str, bytes)) or x is None or np.iscomplexobj(x):
        raise TypeError(f"{name} must be a real number or an array of them, got {x!r}")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real number or an array of them, got {x!r}") from exc


def sig(x, digits=MAX_DIGITS):
    """``x`` rounded to ``digits`` significant digits (a float, or a float array of x's shape).

    ``sig(0.029402368926017552) == 0.029402369``; zeros, infinities and NaN are
    returned unchanged. Use it on every value a chapter glues or prints whose
    leading digits are stable (a well-conditioned result).
    """
    digits = _digits(digits)
    arr = _real("x", x)
    flat = [float(f"{v:.{digits - 1}e}") if math.isfinite(v) else v for v in arr.ravel().tolist()]
    out = np.array(flat, dtype=np.float64).reshape(arr.shape)
    return float(out) if out.ndim == 0 else out


def magnitude(x):
    """The order of magnitude of ``|x|``, as the power of ten ``10**floor(log10(|x|))``.

    ``magnitude(3.47e-19) == 1e-19``; ``magnitude(0) == 0``. For ill-conditioned
    values, where only the scale is the same on every machine (write "below
    1e-18" in prose, never the digits).
    """
    arr = _real("x", x)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"x must be finite, got {x!r}")
    a = np.abs(arr).ravel().tolist()
    # Decide the exponent on the decimal text of |x| (exact), not on a rounded log10.
    flat = [0.0 if v == 0 else float(f"1e{int(f'{v:.16e}'.split('e')[1])}") for v in a]
    out = np.array(flat, dtype=np.float64).reshape(arr.shape)
    return float(out) if out.ndim == 0 else out


def _stable_text(x, digits):
    text = f"{x:.{digits}g}"
    return text if any(c in text for c in ".eni") else text + "."  # 1.0 prints "1.", as NumPy does


def print_stable(digits=MAX_DIGITS):
    """Make NumPy print every float with at most ``digits`` significant digits.

    Sets ``np.set_printoptions`` for this interpreter (a chapter calls it once,
    in its first cell): ``print(np.array([1/3, 2.0]))`` then shows
    ``[0.33333333 2.]``. Formatting in f-strings is untouched: give
    those at most ``digits`` significant digits yourself (``{x:.6g}``, ``{x:.7e}``).
    """
    digits = _digits(digits)
    np.set_printoptions(formatter={"float_kind": lambda x: _stable_text(float(x), digits)})
