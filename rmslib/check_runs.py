"""The table of classic mistakes for a whole RMSProp run, with a constant rate or a schedule."""

from __future__ import annotations

import numpy as np

from .check_engine import _EPS, _Mistake, _Spec, _fmt


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
