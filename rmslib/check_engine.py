"""The engine behind :mod:`rmslib.check`: run a student's function on seeded cases,
compare with the reference, and name the first classic mistake whose numbers match.

A check is a :class:`_Spec` (argument and output names, the reference, the case
generator, the table of :class:`_Mistake` it recognises); the tables live in
``check_steps``, ``check_sequences`` and ``check_runs``, the public checks in
:mod:`rmslib.check`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

RTOL, ATOL = 1e-7, 1e-12

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


# --------------------------------------------------------------------------
# The engine behind the named checks
# --------------------------------------------------------------------------

class Verdict:
    """What a named check returns: true when the student's function passed.

    ``bool(verdict)`` and ``verdict.ok`` give the result, ``verdict.message``
    the line that was printed, ``verdict.mistake`` the key of what was found
    (one of :func:`diagnoses`, or "not-implemented", "exception", "in-place",
    "no-return", "wrong-count", "not-numbers", "wrong-shape", "not-callable",
    "wrong"; None when correct). In a notebook a check cell shows only the
    printed line: the verdict itself displays nothing (no stray ``True``).
    """

    __slots__ = ("ok", "message", "mistake")

    def __init__(self, ok, message, mistake=None):
        self.ok, self.message, self.mistake = bool(ok), message, mistake

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"Verdict(ok={self.ok}, mistake={self.mistake!r}, message={self.message!r})"

    def _ipython_display_(self):
        pass


@dataclass
class _Mistake:
    key: str          # short id, used by tests and the instructor guide
    message: str      # what the student is told
    compute: Callable  # the mistaken formula: same arguments, same outputs as the reference


@dataclass
class _Spec:
    name: str                 # the function name students use
    argnames: tuple
    outputs: tuple            # names of the returned values
    reference: Callable       # (*args) -> tuple of arrays, one per output
    cases: Callable           # (rng, n) -> list of argument tuples
    mistakes: list = field(default_factory=list)
    shape_hint: str = ""      # appended to a wrong-shape message


class _Feedback(Exception):
    """A one-line verdict found while running the student's function."""

    def __init__(self, message, key):
        super().__init__(message)
        self.key = key


def _quietly(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _as_outputs(got, spec):
    k = len(spec.outputs)
    if got is None:
        raise _Feedback("returned None: is the `return` line missing?", "no-return")
    if k > 1:
        if not isinstance(got, (tuple, list)) or len(got) != k:
            what = (f"a {type(got).__name__} of length {len(got)}" if isinstance(got, (tuple, list))
                    else f"a single {type(got).__name__}")
            raise _Feedback(f"should return {k} values, ({', '.join(spec.outputs)}), but returned {what}.",
                            "wrong-count")
        items = got
    else:
        items = (got,)
    out = []
    for name, item in zip(spec.outputs, items):
        if item is None:
            raise _Feedback(f"returned None for {name}.", "no-return")
        try:
            arr = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            raise _Feedback(f"{name} should be a float array, but it is a {type(item).__name__}.",
                            "not-numbers") from None
        out.append(arr)
    return tuple(out)


def _exception_line(exc, k, n):
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    hint = ""
    if isinstance(exc, TypeError) and ("size-1" in text or "length-1" in text or "0-dimensional" in text
                                        or "only 0-d" in text):
        hint = " Hint: math.sqrt works on one number only; use np.sqrt, which works elementwise on arrays."
    elif isinstance(exc, TypeError) and "argument" in text:
        hint = " Hint: keep the signature given in the exercise."
    return f"raised {type(exc).__name__}: {text} (case {k + 1} of {n}).{hint}"


def _fmt(x):
    if isinstance(x, np.ndarray):
        return " ".join(np.array2string(x, precision=5, separator=", ", threshold=8).split())
    if isinstance(x, float):
        return f"{x:.5g}"
    return repr(x) if not callable(x) else getattr(x, "__name__", "function")


def _close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def _run_check(spec, fn, n, seed, quiet, name):
    ok, message, key = _verdict(spec, fn, n, seed, name or spec.name)
    _say(message, ok, quiet)
    return Verdict(ok, message, key)


def _verdict(spec, fn, n, seed, name):
    """Run the check; return (ok, the one-line message, the mistake's key or None)."""
    if not callable(fn):
        return False, (f"{name}: expected a function, got {type(fn).__name__}. Pass the function itself, "
                       f"without calling it: check.{spec.name}({spec.name})."), "not-callable"
    cases = spec.cases(np.random.default_rng(seed), n)
    got_all, mutated = [], []
    try:
        for k, args in enumerate(cases):
            live = _copy(args)
            try:
                got = _quietly(fn, *live)
            except NotImplementedError:
                raise _Feedback("not implemented yet. Replace the `raise NotImplementedError` line "
                                "with your code, then run this cell again.", "not-implemented") from None
            except RecursionError:
                raise _Feedback("calls itself forever (RecursionError). Did you name a helper like "
                                "the function itself?", "exception") from None
            except Exception as exc:  # the student sees one line, not a traceback
                raise _Feedback(_exception_line(exc, k, len(cases)), "exception") from None
            for argname, a, b in zip(spec.argnames, live, args):
                if isinstance(b, np.ndarray) and not np.array_equal(a, b) and argname not in mutated:
                    mutated.append(argname)
            got_all.append(_as_outputs(got, spec))
    except _Feedback as fb:
        return False, f"{name}: {fb}", fb.key

    inplace = ""
    if mutated:
        names = " and ".join(f"`{m}`" for m in mutated)
        inplace = (f"it modified its input {names} in place (for example with `-=`, `*=` or `x[...] =`); "
                   f"the caller's arrays must not change: compute new arrays instead "
                   f"(`v_new = ...`, not `v *= ...`).")

    want_all = [_quietly(spec.reference, *_copy(args)) for args in cases]
    if all(_close(g, w) for gs, ws in zip(got_all, want_all) for g, w in zip(gs, ws)):
        if inplace:
            return False, f"{name}: the values are right, but {inplace}", "in-place"
        return True, f"{name}: correct on all {len(cases)} random cases.", None

    suffix = f" Also, {inplace}" if inplace else ""
    for mistake in spec.mistakes:
        try:
            alt = [_quietly(mistake.compute, *_copy(args)) for args in cases]
        except Exception:  # pragma: no cover - a mistake that cannot be evaluated on these cases
            continue
        if all(_close(g, w) for gs, ws in zip(got_all, alt) for g, w in zip(gs, ws)):
            return False, f"{name}: {mistake.message}{suffix}", mistake.key

    for k, (gs, ws) in enumerate(zip(got_all, want_all)):
        for out, g, w in zip(spec.outputs, gs, ws):
            if g.shape != w.shape:
                return False, (f"{name}: wrong shape: {out} has shape {g.shape} but should have shape "
                               f"{w.shape} (case {k + 1}: {_case_text(spec, cases[k])}).{spec.shape_hint}{suffix}"), "wrong-shape"

    ok = [all(_close(gs[j], ws[j]) for gs, ws in zip(got_all, want_all)) for j in range(len(spec.outputs))]
    good = [out for out, fine in zip(spec.outputs, ok) if fine]
    bad = [out for out, fine in zip(spec.outputs, ok) if not fine]
    j = ok.index(False)
    failing = [k for k, (gs, ws) in enumerate(zip(got_all, want_all)) if not _close(gs[j], ws[j])]
    k = min(failing, key=lambda i: (want_all[i][j].size, i))
    g, w = got_all[k][j], want_all[k][j]
    lead = f"{' and '.join(good)} {'is' if len(good) == 1 else 'are'} right but " if good else ""
    verb = "is" if len(bad) == 1 else "are"
    nan = " (yours contains NaN: a square root of a negative number?)" if np.isnan(g).any() else ""
    return False, (f"{name}: {lead}{' and '.join(bad)} {verb} wrong on {len(failing)} of {len(cases)} cases; "
                   f"for example with {_case_text(spec, cases[k])}, {spec.outputs[j]} should be {_fmt(w)}, "
                   f"yours is {_fmt(g)}{nan}.{suffix}"), "wrong"


def _case_text(spec, args):
    return ", ".join(f"{a}={_fmt(x)}" for a, x in zip(spec.argnames, args))


# --------------------------------------------------------------------------
# Cases shared by the tables
# --------------------------------------------------------------------------

_SHAPES = [(), (3,), (2, 3), (1,)]
_EPS = [1e-8, 1e-6, 1e-3, 0.1]


def _arrays(rng, k):
    """theta, g, v of one shape; gradients from 1e-3 to 1e2, v sometimes 0."""
    shape = _SHAPES[k % len(_SHAPES)]
    scale = 10.0 ** rng.uniform(-3, 2)
    theta = rng.normal(size=shape)
    g = rng.normal(size=shape) * scale
    v = rng.exponential(size=shape) * scale**2 * [0.0, 0.3, 1.0, 5.0][(k // 4) % 4]
    return np.asarray(theta, dtype=float), np.asarray(g, dtype=float), np.asarray(v, dtype=float)


def _step_cases(rng, n, with_beta=True):
    cases = []
    for k in range(n):
        theta, g, v = _arrays(rng, k)
        lr = float(10.0 ** rng.uniform(-3, 0))
        eps = float(_EPS[(k // 2) % len(_EPS)])
        if with_beta:
            beta = float(rng.choice([0.5, 0.8, 0.9, 0.99, 0.999])) if k % 3 else float(rng.uniform(0.3, 0.999))
            cases.append((theta, g, v, lr, beta, eps))
        else:
            cases.append((theta, g, v, lr, eps))
    return cases
