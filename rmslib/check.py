"""Immediate feedback for coding exercises.

``compare`` runs a student's function and the reference on many seeded
cases and prints one short, specific message instead of a traceback. The
named checks for the chapters' exercises build on it.
"""

from __future__ import annotations

import numpy as np


def _copy(args):
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def _same(a, b, rtol, atol):
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(
            _same(x, y, rtol, atol) for x, y in zip(a, b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def compare(student, reference, cases, name=None, rtol=1e-9, atol=1e-12, quiet=False):
    """Compare ``student(*args)`` with ``reference(*args)`` for every ``args`` in ``cases``.

    Prints one line of feedback and returns True when every case agrees.
    A student function that raises ``NotImplementedError`` gets "not
    implemented yet"; any other exception is reported in one line; a function
    that modifies its array arguments in place is told so.
    """
    name = name or getattr(student, "__name__", "your function")
    cases = [tuple(c) for c in cases]
    for k, args in enumerate(cases):
        before = _copy(args)
        try:
            got = student(*args)
        except NotImplementedError:
            return _say(f"{name}: not implemented yet. Replace the `raise NotImplementedError` line.", False, quiet)
        except Exception as exc:  # the student sees one line, not a traceback
            return _say(f"{name} raised {type(exc).__name__}: {exc} (case {k + 1} of {len(cases)})", False, quiet)
        for a, b in zip(args, before):
            if isinstance(a, np.ndarray) and not np.array_equal(a, b):
                return _say(f"{name} modified its input arrays in place; return new arrays instead.", False, quiet)
        want = reference(*args)
        if not _same(got, want, rtol, atol):
            return _say(f"{name} differs from the reference on case {k + 1} of {len(cases)}:\n"
                        f"  input    {args}\n  expected {want}\n  got      {got}", False, quiet)
    return _say(f"{name}: correct on all {len(cases)} cases.", True, quiet)


def _say(message, ok, quiet):
    if not quiet:
        print(("✓ " if ok else "✗ ") + message)
    return ok
