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

The engine is in ``rmslib/check_engine.py``; the tables of mistakes each check
recognises are in ``check_steps.py``, ``check_sequences.py`` and ``check_runs.py``.
"""

from __future__ import annotations

from . import check_engine
from .check_engine import Verdict, _run_check, compare
from .check_runs import _RUN
from .check_sequences import _EMA_WEIGHTS, _UNROLLED_V3, _V_SEQUENCE
from .check_steps import _ADAGRAD, _RMSPROP

__all__ = ["compare", "Verdict", "rmsprop_step", "adagrad_step", "ema_weights", "unrolled_v3", "v_sequence",
           "rmsprop_run", "CHECKS", "diagnoses"]

RTOL, ATOL = check_engine.RTOL, check_engine.ATOL
# compare and Verdict are documented (and pickled) as part of this module, their public home
compare.__module__ = Verdict.__module__ = __name__


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


def adagrad_step(fn, n=40, seed=0, quiet=False, name=None):
    """Check ``fn(theta, g, v, lr, eps) -> (theta_new, v_new)``, one Adagrad step.

    The reference (:class:`rmslib.Adagrad`) computes
    :math:`v_{new} = v + g^2,\\ \\theta_{new} = \\theta - \\eta g / \\sqrt{v_{new} + \\epsilon}`.
    Prints one line and returns True when every case is right.
    """
    return _run_check(_ADAGRAD, fn, n, seed, quiet, name)


def ema_weights(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(beta, t) -> w``: the weights of :math:`g_1^2, \\dots, g_t^2` in :math:`v_t`.

    With :math:`v_0 = 0`, :math:`v_t = \\sum_{k=1}^t (1-\\beta)\\beta^{t-k} g_k^2`, so
    ``w`` has shape ``(t,)`` and ``w[k - 1] = (1 - beta) * beta**(t - k)`` (oldest first).
    The reference reads the weights off :class:`rmslib.RMSProp`'s own recursion.
    """
    return _run_check(_EMA_WEIGHTS, fn, n, seed, quiet, name)


def unrolled_v3(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(g1, g2, g3, beta) -> v3``, RMSProp's accumulator after three gradients from :math:`v_0 = 0`.

    .. math:: v_3 = (1-\\beta)\\,(\\beta^2 g_1^2 + \\beta g_2^2 + g_3^2)

    The gradients are floats or arrays (elementwise). The reference runs three
    :class:`rmslib.RMSProp` updates.
    """
    return _run_check(_UNROLLED_V3, fn, n, seed, quiet, name)


def v_sequence(fn, n=30, seed=0, quiet=False, name=None):
    """Check ``fn(grads, beta) -> v``: RMSProp's accumulator after each gradient, from :math:`v_0 = 0`.

    ``grads`` has shape ``(T, ...)`` (``grads[t - 1]`` is :math:`g_t`); ``v``
    has the same shape with ``v[t - 1]`` :math:`= v_t = \\beta v_{t-1} + (1-\\beta) g_t^2`.
    """
    return _run_check(_V_SEQUENCE, fn, n, seed, quiet, name)


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
