"""Immediate feedback for coding exercises.

Each check runs a student's function and the reference on many seeded random
cases (scalars and arrays of several shapes, gradients from 1e-3 to 1e2,
eps from 1e-8 to 0.1) and prints ONE short line: "correct", "not implemented
yet", or what is wrong. When the answers differ, the check recomputes the
cases with each classic mistake and, if the student's numbers match one of
them on every case, names that mistake (forgot the (1 - beta) factor, did not
square the gradient, summed instead of averaging, eps on the wrong side of the
root, ...). Changed inputs, wrong shapes, a missing ``return`` and exceptions
are reported in one line too; nothing a student writes can make a check raise.

Every named check returns a :class:`Verdict` (true exactly when the function
passed; it displays nothing, so a check cell shows only the printed line) and
never raises because of the student's code. The signatures the student functions must have (all operations
elementwise, inputs never modified; ``theta``, ``g``, ``v`` are float arrays
of one shape, possibly 0-d; ``lr``, ``beta``, ``eps`` are floats):

==========================  ======================================================
check                       student function
==========================  ======================================================
:func:`rmsprop_step`        ``rmsprop_step(theta, g, v, lr, beta, eps) -> (theta_new, v_new)``
                            with ``v_new = beta v + (1 - beta) g**2`` and
                            ``theta_new = theta - lr g / sqrt(v_new + eps)``
                            (``sqrt(v_new) + eps`` with ``eps_in_sqrt=False``)
:func:`adagrad_step`        ``adagrad_step(theta, g, v, lr, eps) -> (theta_new, v_new)``
                            with ``v_new = v + g**2``
:func:`ema_weights`         ``ema_weights(beta, t) -> w`` of shape ``(t,)``: ``w[k-1]`` is
                            the weight of ``g_k**2`` in ``v_t`` (``v_0 = 0``), oldest first
:func:`unrolled_v3`         ``unrolled_v3(g1, g2, g3, beta) -> v3``: ``v_3`` from ``v_0 = 0``
:func:`v_sequence`          ``v_sequence(grads, beta) -> v`` with ``v[t-1] = v_t`` for the
                            gradients ``grads[0] = g_1, grads[1] = g_2, ...``
:func:`rmsprop_run`         ``rmsprop_run(grad, x0, lr, beta, eps, steps) -> xs`` of shape
                            ``(steps + 1, *x0.shape)``, ``xs[0] = x0``; ``lr`` is a float
                            or a schedule ``lr(t)`` for the step ``t = 1, 2, ...``
==========================  ======================================================

:func:`compare` is the generic form: any student function against any
reference on cases you give.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["compare", "Verdict", "rmsprop_step", "adagrad_step", "ema_weights", "unrolled_v3", "v_sequence",
           "rmsprop_run", "CHECKS", "diagnoses"]

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
# Cases
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


# --------------------------------------------------------------------------
# RMSProp step
# --------------------------------------------------------------------------

def _root(v, eps, inside):
    return np.sqrt(v + eps) if inside else np.sqrt(v) + eps


def _rms_ref(inside):
    def ref(theta, g, v, lr, beta, eps):
        from .optimizers import RMSProp, State
        opt = RMSProp(lr=lr, beta=beta, eps=eps, eps_in_sqrt=inside)
        new_theta, state = opt.update(theta, g, State(t=0, v=v))
        return new_theta, state.v
    return ref


def _rms_v(theta, g, v, lr, beta, eps, v_new, inside, sign=-1.0, lr_used=None, denom_v=None, root=None):
    lr_used = lr if lr_used is None else lr_used
    denom = (root or (lambda w: _root(w, eps, inside)))(v_new if denom_v is None else denom_v)
    return theta + sign * lr_used * g / denom, v_new


def _rmsprop_mistakes(inside):
    where = "inside" if inside else "outside"
    wrong = "outside" if inside else "inside"
    right_formula = "sqrt(v_new + eps)" if inside else "(sqrt(v_new) + eps)"
    wrong_formula = "(sqrt(v_new) + eps)" if inside else "sqrt(v_new + eps)"

    def with_v(vfun):
        return lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, vfun(g, v, b), inside)

    return [
        _Mistake("no-one-minus-beta",
                 "forgot the (1 - beta) factor: v_new must be beta*v + (1 - beta)*g**2; yours is beta*v + g**2, "
                 "so v grows far beyond the mean square of the gradients.",
                 with_v(lambda g, v, b: b * v + g * g)),
        _Mistake("swapped-beta",
                 "swapped beta and 1 - beta: v_new must be beta*v + (1 - beta)*g**2 (the OLD average keeps "
                 "the large weight beta); yours is (1 - beta)*v + beta*g**2.",
                 with_v(lambda g, v, b: (1 - b) * v + b * g * g)),
        _Mistake("not-squared",
                 "did not square the gradient: v averages g**2, the squared gradient; yours averages g itself "
                 "(so v can go negative and its root is NaN).",
                 with_v(lambda g, v, b: b * v + (1 - b) * g)),
        _Mistake("abs-not-squared",
                 "averaged |g| instead of the squared gradient g**2: v_new = beta*v + (1 - beta)*g**2.",
                 with_v(lambda g, v, b: b * v + (1 - b) * np.abs(g))),
        _Mistake("summed",
                 "summed instead of averaging: v_new = v + g**2 is Adagrad's running sum; RMSProp keeps the "
                 "decaying average v_new = beta*v + (1 - beta)*g**2.",
                 with_v(lambda g, v, b: v + g * g)),
        _Mistake("pooled-sum",
                 "added up g**2 over all the parameters (np.sum): every parameter keeps its OWN average, "
                 "v_new = beta*v + (1 - beta)*g**2 elementwise.",
                 with_v(lambda g, v, b: b * v + (1 - b) * np.sum(g * g))),
        _Mistake("pooled-mean",
                 "averaged g**2 over all the parameters (np.mean): every parameter keeps its OWN average, "
                 "v_new = beta*v + (1 - beta)*g**2 elementwise.",
                 with_v(lambda g, v, b: b * v + (1 - b) * np.mean(g * g))),
        _Mistake("eps-" + wrong,
                 f"eps is {wrong} the square root: this exercise puts it {where}, "
                 f"lr*g / {right_formula}; yours divides by {wrong_formula}.",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, not inside)),
        _Mistake("no-eps",
                 f"left out eps: the denominator is {right_formula}, which also keeps it away from 0.",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, inside,
                                                   root=np.sqrt)),
        _Mistake("no-sqrt",
                 f"forgot the square root: divide by {right_formula}, not by v_new + eps "
                 "(v is a mean SQUARE; its root has the units of g).",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, inside,
                                                   root=lambda w: w + e)),
        _Mistake("old-v",
                 "v_new is right, but theta_new divides by the OLD v: update v first, then use v_new in "
                 "the step.",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, inside,
                                                   denom_v=v)),
        _Mistake("ascent",
                 "moved uphill: the step is theta - lr*g/..., with a minus sign.",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, inside,
                                                   sign=1.0)),
        _Mistake("no-lr",
                 "forgot the learning rate: theta_new = theta - lr*g / ...",
                 lambda th, g, v, lr, b, e: _rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g, inside,
                                                   lr_used=1.0)),
        _Mistake("order",
                 "returned the values in the wrong order: return (theta_new, v_new).",
                 lambda th, g, v, lr, b, e: tuple(reversed(_rms_v(th, g, v, lr, b, e, b * v + (1 - b) * g * g,
                                                                  inside)))),
    ]


_SHAPE_HINT = (" Keep one v per parameter: use elementwise operations (g**2, np.sqrt), no sum, mean or "
               "dot over the coordinates.")

_RMSPROP = {inside: _Spec(
    name="rmsprop_step", argnames=("theta", "g", "v", "lr", "beta", "eps"), outputs=("theta_new", "v_new"),
    reference=_rms_ref(inside), cases=_step_cases, mistakes=_rmsprop_mistakes(inside),
    shape_hint=_SHAPE_HINT) for inside in (True, False)}


def rmsprop_step(fn, eps_in_sqrt=True, n=40, seed=0, quiet=False, name=None):
    """Check ``fn(theta, g, v, lr, beta, eps) -> (theta_new, v_new)``, one RMSProp step.

    The reference (:class:`rmslib.RMSProp`) computes

    .. math::
        v_{new} = \\beta v + (1-\\beta) g^2, \\qquad
        \\theta_{new} = \\theta - \\frac{\\eta\\, g}{\\sqrt{v_{new} + \\epsilon}}

    (:math:`\\sqrt{v_{new}} + \\epsilon` with ``eps_in_sqrt=False``, PyTorch's
    placement). Runs ``n`` seeded random cases, prints one line and returns
    True when every case is right and no input was modified.
    """
    return _run_check(_RMSPROP[bool(eps_in_sqrt)], fn, n, seed, quiet, name)


# --------------------------------------------------------------------------
# Adagrad step
# --------------------------------------------------------------------------

def _ada_ref(theta, g, v, lr, eps):
    from .optimizers import Adagrad, State
    new_theta, state = Adagrad(lr=lr, eps=eps).update(theta, g, State(t=0, v=v))
    return new_theta, state.v


def _ada(theta, g, v, lr, eps, v_new, sign=-1.0, lr_used=None, denom_v=None, root=None):
    lr_used = lr if lr_used is None else lr_used
    denom = (root or (lambda w: np.sqrt(w + eps)))(v_new if denom_v is None else denom_v)
    return theta + sign * lr_used * g / denom, v_new


def _ema_variant(beta):
    return lambda th, g, v, lr, e: _ada(th, g, v, lr, e, beta * v + (1 - beta) * g * g)


_ADA_AVERAGE = ("averaged instead of summing: a decaying average beta*v + (1 - beta)*g**2 is RMSProp; "
                "Adagrad keeps the whole sum, v_new = v + g**2.")

_ADAGRAD = _Spec(
    name="adagrad_step", argnames=("theta", "g", "v", "lr", "eps"), outputs=("theta_new", "v_new"),
    reference=_ada_ref, cases=lambda rng, n: _step_cases(rng, n, with_beta=False), shape_hint=_SHAPE_HINT,
    mistakes=[
        *[_Mistake("averaged", _ADA_AVERAGE, _ema_variant(b)) for b in (0.9, 0.99, 0.999, 0.5)],
        _Mistake("not-squared",
                 "did not square the gradient: Adagrad sums g**2, the squared gradient; yours adds g itself "
                 "(so v can go negative and its root is NaN).",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g)),
        _Mistake("abs-not-squared",
                 "added |g| instead of the squared gradient: v_new = v + g**2.",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + np.abs(g))),
        _Mistake("eps-outside",
                 "eps is outside the square root: this exercise puts it inside, lr*g / sqrt(v_new + eps); "
                 "yours divides by (sqrt(v_new) + eps).",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, root=lambda w: np.sqrt(w) + e)),
        _Mistake("no-eps", "left out eps: the denominator is sqrt(v_new + eps).",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, root=np.sqrt)),
        _Mistake("no-sqrt", "forgot the square root: divide by sqrt(v_new + eps), not by v_new + eps.",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, root=lambda w: w + e)),
        _Mistake("old-v",
                 "v_new is right, but theta_new divides by the OLD v: add g**2 first, then use v_new.",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, denom_v=v)),
        _Mistake("ascent", "moved uphill: the step is theta - lr*g/..., with a minus sign.",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, sign=1.0)),
        _Mistake("no-lr", "forgot the learning rate: theta_new = theta - lr*g / ...",
                 lambda th, g, v, lr, e: _ada(th, g, v, lr, e, v + g * g, lr_used=1.0)),
        _Mistake("order", "returned the values in the wrong order: return (theta_new, v_new).",
                 lambda th, g, v, lr, e: tuple(reversed(_ada(th, g, v, lr, e, v + g * g)))),
    ])


def adagrad_step(fn, n=40, seed=0, quiet=False, name=None):
    """Check ``fn(theta, g, v, lr, eps) -> (theta_new, v_new)``, one Adagrad step.

    The reference (:class:`rmslib.Adagrad`) computes
    :math:`v_{new} = v + g^2,\\ \\theta_{new} = \\theta - \\eta g / \\sqrt{v_{new} + \\epsilon}`.
    Prints one line and returns True when every case is right.
    """
    return _run_check(_ADAGRAD, fn, n, seed, quiet, name)


# --------------------------------------------------------------------------
# The weights of the exponential average, v_3 unrolled, the whole sequence v_t
# --------------------------------------------------------------------------

def _weights_ref(beta, t):
    """Weights read off the library's own recursion: feed g_k^2 = 1 at one step only."""
    from .optimizers import RMSProp
    opt = RMSProp(lr=1.0, beta=beta)
    out = np.zeros(t)
    for k in range(t):
        state = opt.init(np.zeros(1))
        for s in range(t):
            _, state = opt.update(np.zeros(1), np.array([1.0 if s == k else 0.0]), state)
        out[k] = state.v[0]
    return (out,)


def _weights_cases(rng, n):
    cases = []
    for k in range(n):
        beta = float(rng.choice([0.5, 0.9, 0.99])) if k % 2 else float(rng.uniform(0.2, 0.95))
        cases.append((beta, int(rng.integers(2, 13)) if k else 1))
    cases.sort(key=lambda c: c[1] == 1)  # the t = 1 case last, so examples show a real sequence
    return cases


def _w(beta, t, f):
    k = np.arange(1, t + 1)
    return (np.asarray(f(beta, t, k), dtype=float),)


_EMA_WEIGHTS = _Spec(
    name="ema_weights", argnames=("beta", "t"), outputs=("w",), reference=_weights_ref, cases=_weights_cases,
    shape_hint=" There is one weight per gradient g_1, ..., g_t, so w has t entries (v_0 = 0 adds none).",
    mistakes=[
        _Mistake("no-one-minus-beta",
                 "forgot the (1 - beta) factor: the weight of g_k**2 in v_t is (1 - beta)*beta**(t - k); "
                 "yours are beta**(t - k), which sum to far more than 1.",
                 lambda b, t: _w(b, t, lambda b, t, k: b ** (t - k))),
        _Mistake("reversed",
                 "the weights are in reverse order: w[0] belongs to the OLDEST gradient g_1, which has the "
                 "smallest weight (1 - beta)*beta**(t - 1); the newest, g_t, gets 1 - beta.",
                 lambda b, t: _w(b, t, lambda b, t, k: (1 - b) * b ** (k - 1))),
        _Mistake("off-by-one",
                 "the exponents are off by one: g_k**2 enters v_t with (1 - beta)*beta**(t - k), so the "
                 "newest gradient g_t gets exactly 1 - beta.",
                 lambda b, t: _w(b, t, lambda b, t, k: (1 - b) * b ** (t - k + 1))),
        _Mistake("off-by-one-up",
                 "the exponents are off by one: g_k**2 enters v_t with (1 - beta)*beta**(t - k), so the "
                 "newest gradient g_t gets exactly 1 - beta.",
                 lambda b, t: _w(b, t, lambda b, t, k: (1 - b) * b ** (t - k - 1.0))),
        _Mistake("summed",
                 "all weights are 1: that is Adagrad's sum. RMSProp averages, with weights "
                 "(1 - beta)*beta**(t - k) that shrink for older gradients.",
                 lambda b, t: _w(b, t, lambda b, t, k: np.ones(t))),
        _Mistake("swapped-beta",
                 "swapped beta and 1 - beta: the weight of g_k**2 is (1 - beta)*beta**(t - k); yours is "
                 "beta*(1 - beta)**(t - k).",
                 lambda b, t: _w(b, t, lambda b, t, k: b * (1 - b) ** (t - k))),
    ])


def ema_weights(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(beta, t) -> w``: the weights of :math:`g_1^2, \\dots, g_t^2` in :math:`v_t`.

    With :math:`v_0 = 0`, :math:`v_t = \\sum_{k=1}^t (1-\\beta)\\beta^{t-k} g_k^2`, so
    ``w`` has shape ``(t,)`` and ``w[k - 1] = (1 - beta) * beta**(t - k)`` (oldest first).
    The reference reads the weights off :class:`rmslib.RMSProp`'s own recursion.
    """
    return _run_check(_EMA_WEIGHTS, fn, n, seed, quiet, name)


def _v3_ref(g1, g2, g3, beta):
    from .optimizers import RMSProp
    opt = RMSProp(lr=1.0, beta=beta)
    shape = np.shape(g1)
    x = np.zeros(shape)
    state = opt.init(x)
    for g in (g1, g2, g3):
        _, state = opt.update(x, np.asarray(g, dtype=float), state)
    return (state.v,)


def _v3_cases(rng, n):
    cases = []
    for k in range(n):
        shape = _SHAPES[k % len(_SHAPES)]
        scale = 10.0 ** rng.uniform(-2, 2)
        gs = [np.asarray(rng.normal(size=shape) * scale, dtype=float) for _ in range(3)]
        beta = float(rng.choice([0.5, 0.9, 0.99])) if k % 2 else float(rng.uniform(0.2, 0.95))
        cases.append((*gs, beta))
    return cases


_UNROLLED_V3 = _Spec(
    name="unrolled_v3", argnames=("g1", "g2", "g3", "beta"), outputs=("v3",), reference=_v3_ref,
    cases=_v3_cases, shape_hint=" v3 is elementwise: it has the shape of each gradient.",
    mistakes=[
        _Mistake("no-one-minus-beta",
                 "forgot the (1 - beta) factor: v_3 = (1 - beta)*(beta**2*g1**2 + beta*g2**2 + g3**2); "
                 "yours is beta**2*g1**2 + beta*g2**2 + g3**2.",
                 lambda a, b, c, be: (be**2 * a * a + be * b * b + c * c,)),
        _Mistake("not-squared",
                 "did not square the gradients: v_3 averages g**2, so "
                 "v_3 = (1 - beta)*(beta**2*g1**2 + beta*g2**2 + g3**2).",
                 lambda a, b, c, be: ((1 - be) * (be**2 * a + be * b + c),)),
        _Mistake("abs-not-squared",
                 "averaged |g| instead of the squared gradients g**2.",
                 lambda a, b, c, be: ((1 - be) * (be**2 * np.abs(a) + be * np.abs(b) + np.abs(c)),)),
        _Mistake("summed",
                 "summed instead of averaging: g1**2 + g2**2 + g3**2 is Adagrad's v_3; RMSProp's is "
                 "(1 - beta)*(beta**2*g1**2 + beta*g2**2 + g3**2).",
                 lambda a, b, c, be: (a * a + b * b + c * c,)),
        _Mistake("reversed",
                 "the powers of beta are reversed: the OLDEST gradient g1 is multiplied by beta the most "
                 "times, so v_3 = (1 - beta)*(beta**2*g1**2 + beta*g2**2 + g3**2).",
                 lambda a, b, c, be: ((1 - be) * (a * a + be * b * b + be**2 * c * c),)),
        _Mistake("started-at-g1",
                 "started the average at v_1 = g1**2: from v_0 = 0 the first step already gives "
                 "v_1 = (1 - beta)*g1**2.",
                 lambda a, b, c, be: (be**2 * a * a + (1 - be) * (be * b * b + c * c),)),
        _Mistake("swapped-beta",
                 "swapped beta and 1 - beta: each step is v = beta*v + (1 - beta)*g**2.",
                 lambda a, b, c, be: (be * ((1 - be)**2 * a * a + (1 - be) * b * b + c * c),)),
        _Mistake("bias-corrected",
                 "divided by 1 - beta**3: that is Adam's bias correction. RMSProp does not correct the zero "
                 "start: v_3 = (1 - beta)*(beta**2*g1**2 + beta*g2**2 + g3**2).",
                 lambda a, b, c, be: ((1 - be) * (be**2 * a * a + be * b * b + c * c) / (1 - be**3),)),
    ])


def unrolled_v3(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(g1, g2, g3, beta) -> v3``, RMSProp's accumulator after three gradients from :math:`v_0 = 0`.

    .. math:: v_3 = (1-\\beta)\\,(\\beta^2 g_1^2 + \\beta g_2^2 + g_3^2)

    The gradients are floats or arrays (elementwise). The reference runs three
    :class:`rmslib.RMSProp` updates.
    """
    return _run_check(_UNROLLED_V3, fn, n, seed, quiet, name)


def _vseq_ref(grads, beta):
    from .optimizers import RMSProp
    opt = RMSProp(lr=1.0, beta=beta)
    x = np.zeros(grads.shape[1:])
    state, out = opt.init(x), []
    for g in grads:
        _, state = opt.update(x, g, state)
        out.append(state.v)
    return (np.stack(out),)


def _vseq_cases(rng, n):
    cases = []
    for k in range(n):
        shape = [(), (2,), (2, 2)][k % 3]
        steps = int(rng.integers(2, 12))
        scale = 10.0 ** rng.uniform(-2, 2)
        grads = np.asarray(rng.normal(size=(steps, *shape)) * scale, dtype=float)
        beta = float(rng.choice([0.5, 0.9, 0.99])) if k % 2 else float(rng.uniform(0.2, 0.95))
        cases.append((grads, beta))
    return cases


def _from_first(grads, beta):
    v = grads[0] ** 2
    out = [v]
    for g in grads[1:]:
        v = beta * v + (1 - beta) * g * g
        out.append(v)
    return np.stack(out)


def _recur(grads, beta, f, v0=0.0):
    v, out = np.zeros(grads.shape[1:]) + v0, []
    for g in grads:
        v = f(v, g, beta)
        out.append(v)
    return np.stack(out)


_V_SEQUENCE = _Spec(
    name="v_sequence", argnames=("grads", "beta"), outputs=("v",), reference=_vseq_ref, cases=_vseq_cases,
    shape_hint=" v has one entry per gradient, v[t - 1] = v_t, so it has the shape of grads (v_0 is not included).",
    mistakes=[
        _Mistake("no-one-minus-beta",
                 "forgot the (1 - beta) factor: v_t = beta*v_{t-1} + (1 - beta)*g_t**2; yours is "
                 "beta*v_{t-1} + g_t**2.",
                 lambda gs, b: (_recur(gs, b, lambda v, g, b: b * v + g * g),)),
        _Mistake("not-squared",
                 "did not square the gradient: v_t = beta*v_{t-1} + (1 - beta)*g_t**2.",
                 lambda gs, b: (_recur(gs, b, lambda v, g, b: b * v + (1 - b) * g),)),
        _Mistake("abs-not-squared",
                 "averaged |g| instead of the squared gradient g**2.",
                 lambda gs, b: (_recur(gs, b, lambda v, g, b: b * v + (1 - b) * np.abs(g)),)),
        _Mistake("summed",
                 "summed instead of averaging: v_t = v_{t-1} + g_t**2 is Adagrad; RMSProp keeps "
                 "v_t = beta*v_{t-1} + (1 - beta)*g_t**2.",
                 lambda gs, b: (_recur(gs, b, lambda v, g, b: v + g * g),)),
        _Mistake("swapped-beta",
                 "swapped beta and 1 - beta: v_t = beta*v_{t-1} + (1 - beta)*g_t**2.",
                 lambda gs, b: (_recur(gs, b, lambda v, g, b: (1 - b) * v + b * g * g),)),
        _Mistake("bias-corrected",
                 "divided by 1 - beta**t: that is Adam's bias correction. RMSProp's v_t is the plain "
                 "average, v_t = beta*v_{t-1} + (1 - beta)*g_t**2 from v_0 = 0.",
                 lambda gs, b: (_vseq_ref(gs, b)[0] / (1 - b ** np.arange(1, len(gs) + 1)).reshape(
                     (-1,) + (1,) * (gs.ndim - 1)),)),
        _Mistake("started-at-g1",
                 "started at v_1 = g_1**2: from v_0 = 0 the first value is v_1 = (1 - beta)*g_1**2.",
                 lambda gs, b: (_from_first(gs, b),)),
        _Mistake("shifted",
                 "the values are shifted by one step: v[0] must be v_1 (after the first gradient), not v_0 = 0.",
                 lambda gs, b: (np.concatenate([np.zeros((1,) + gs.shape[1:]), _vseq_ref(gs, b)[0][:-1]]),)),
        _Mistake("with-v0",
                 "returned one value too many: leave out v_0 = 0; v[t - 1] = v_t for t = 1, ..., len(grads).",
                 lambda gs, b: (np.concatenate([np.zeros((1,) + gs.shape[1:]), _vseq_ref(gs, b)[0]]),)),
    ])


def v_sequence(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(grads, beta) -> v``: RMSProp's accumulator after each gradient, from :math:`v_0 = 0`.

    ``grads`` has shape ``(T, ...)`` (``grads[t - 1]`` is :math:`g_t`); ``v``
    has the same shape with ``v[t - 1]`` :math:`= v_t = \\beta v_{t-1} + (1-\\beta) g_t^2`.
    """
    return _run_check(_V_SEQUENCE, fn, n, seed, quiet, name)


# --------------------------------------------------------------------------
# A whole run, with a constant learning rate or a schedule
# --------------------------------------------------------------------------

class _Quadratic:
    """grad(x) = a * (x - c): a separable bowl with curvatures a (elementwise)."""

    def __init__(self, a, c):
        self.a, self.c = a, c
        self.__name__ = f"grad(x) = {_fmt(a)} * (x - {_fmt(c)})"

    def __call__(self, x):
        return self.a * (np.asarray(x, dtype=float) - self.c)


class _Schedule:
    """lr(t) = lr0 / (1 + t / tau), t = 1, 2, ... (a named callable, so messages can show it)."""

    def __init__(self, lr0, tau):
        self.lr0, self.tau = lr0, tau
        self.__name__ = f"lr(t) = {lr0:.3g} / (1 + t/{tau:.3g})"

    def __call__(self, t):
        return self.lr0 / (1.0 + t / self.tau)


def _lr_at(lr, t):
    return lr(t) if callable(lr) else lr


def _run_ref(grad, x0, lr, beta, eps, steps, t_offset=0, reset_v=False, keep_x0=True):
    from .optimizers import RMSProp, State
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs = [x] if keep_x0 else []
    for t in range(1, steps + 1):
        opt = RMSProp(lr=_lr_at(lr, t + t_offset), beta=beta, eps=eps)
        x, state = opt.update(x, grad(x), State(t=t - 1, v=np.zeros_like(x) if reset_v else v))
        v = state.v
        xs.append(x)
    return (np.stack(xs),)


def _run_cases(rng, n):
    cases = []
    for k in range(n):
        shape = [(1,), (2,), (3,)][k % 3]
        a = np.asarray(10.0 ** rng.uniform(-1, 1, size=shape), dtype=float)
        c = np.asarray(rng.normal(size=shape), dtype=float)
        x0 = np.asarray(c + rng.normal(size=shape) * 2.0, dtype=float)
        beta = float(rng.choice([0.5, 0.9, 0.99]))
        eps = float(_EPS[k % len(_EPS)])
        steps = int(rng.integers(3, 15))
        lr = float(10.0 ** rng.uniform(-2, -0.5))
        if k % 2:
            lr = _Schedule(lr, float(rng.uniform(2.0, 10.0)))
        cases.append((_Quadratic(a, c), x0, lr, beta, eps, steps))
    return cases


_RUN = _Spec(
    name="rmsprop_run", argnames=("grad", "x0", "lr", "beta", "eps", "steps"), outputs=("xs",),
    reference=_run_ref, cases=_run_cases,
    shape_hint=" xs holds x_0 (the start) and the point after each of the `steps` updates: "
               "shape (steps + 1, *x0.shape).",
    mistakes=[
        _Mistake("no-x0",
                 "left out the start point: xs[0] must be x0, so xs has steps + 1 rows.",
                 lambda *a: _run_ref(*a, keep_x0=False)),
        _Mistake("reset-v",
                 "v starts again from 0 at every step: create v once before the loop and carry v_new into "
                 "the next step.",
                 lambda *a: _run_ref(*a, reset_v=True)),
        _Mistake("schedule-from-0",
                 "the schedule is called with t = 0 for the first step: the steps are numbered "
                 "t = 1, 2, ..., steps, so call lr(t) with t starting at 1.",
                 lambda *a: _run_ref(*a, t_offset=-1)),
        _Mistake("schedule-off-by-one",
                 "the schedule is called with t + 1: the first step uses lr(1), the last lr(steps).",
                 lambda *a: _run_ref(*a, t_offset=1)),
    ])


def rmsprop_run(fn, n=24, seed=0, quiet=False, name=None):
    """Check ``fn(grad, x0, lr, beta, eps, steps) -> xs``: a whole RMSProp run.

    ``grad(x)`` returns the gradient at ``x``; ``lr`` is a float or a
    schedule, a function ``lr(t)`` giving the learning rate of step
    ``t = 1, ..., steps``; ``v`` starts at 0 and eps sits inside the root.
    ``xs`` has shape ``(steps + 1, *x0.shape)`` with ``xs[0] = x0``.
    Half of the cases use a schedule.
    """
    return _run_check(_RUN, fn, n, seed, quiet, name)


# --------------------------------------------------------------------------
# Catalogue (for the instructor guide and the tests)
# --------------------------------------------------------------------------

CHECKS = {
    "rmsprop_step": rmsprop_step,
    "adagrad_step": adagrad_step,
    "ema_weights": ema_weights,
    "unrolled_v3": unrolled_v3,
    "v_sequence": v_sequence,
    "rmsprop_run": rmsprop_run,
}

_SPECS = {"rmsprop_step": [_RMSPROP[True], _RMSPROP[False]], "adagrad_step": [_ADAGRAD],
          "ema_weights": [_EMA_WEIGHTS], "unrolled_v3": [_UNROLLED_V3], "v_sequence": [_V_SEQUENCE],
          "rmsprop_run": [_RUN]}


def diagnoses(check=None):
    """The named mistakes each check recognises: ``{check name: [mistake key, ...]}``.

    Besides these, every check reports "not implemented yet", an exception in
    one line, inputs modified in place, a missing ``return``, a wrong number of
    returned values and a wrong shape.
    """
    names = _SPECS if check is None else {check: _SPECS[_known(check)]}
    out = {}
    for name, specs in names.items():
        keys = []
        for spec in specs:
            for m in spec.mistakes:
                if m.key not in keys:
                    keys.append(m.key)
        out[name] = keys
    return out


def _known(check):
    if check not in _SPECS:
        raise ValueError(f"check must be one of {', '.join(map(repr, _SPECS))}, got {check!r}")
    return check
