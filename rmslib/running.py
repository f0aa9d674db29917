"""Run an optimizer on a problem and record everything: :func:`run` and :class:`Trace`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import _validate as check
from .optimizers import Optimizer


@dataclass(frozen=True)
class Trace:
    """The record of one run (or of a batch of runs, leading axis = setting).

    Attributes
    ----------
    params : ndarray
        Shape ``(steps + 1, *x0.shape)``. ``params[0]`` is the start point, ``params[t]`` the parameters after ``t`` updates.
    loss : ndarray
        Shape ``(steps + 1,)``. The loss at each ``params[t]``.
    grads : ndarray
        Shape ``(steps, *x0.shape)``. ``grads[t]`` is the gradient used by update ``t + 1`` (taken at ``params[t]``).
    v : ndarray or None
        Shape ``(steps, *x0.shape)``. The accumulator after each update (adaptive optimizers only).
    optimizer : str
        The optimizer's class name (plots use it to pick the colour).
    settings : dict or None
        For a batched run, the hyperparameter values of each setting.
    """

    params: np.ndarray
    loss: np.ndarray
    grads: np.ndarray
    v: Optional[np.ndarray]
    optimizer: str
    settings: Optional[dict] = field(default=None)

    @property
    def steps(self):
        """The number of updates recorded."""
        return self.loss.shape[-1] - 1


def grid(**axes):
    """All combinations of the given hyperparameter values, as a ``batch`` for :func:`run`.

    ``grid(lr=[0.1, 0.01], beta=[0.9, 0.99])`` gives four settings; the first
    name varies slowest (like ``np.meshgrid(..., indexing="ij")`` flattened).
    """
    if not axes:
        raise ValueError("grid needs at least one hyperparameter, e.g. grid(lr=[0.1, 0.01])")
    values = {k: np.atleast_1d(_floats(k, v)) for k, v in axes.items()}
    for k, v in values.items():
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"{k} must be a number or a non-empty 1-D list of numbers, got shape {v.shape}")
    combos = list(itertools.product(*values.values()))
    return {k: np.array([c[i] for c in combos]) for i, k in enumerate(values)}


def _floats(label, values):
    """``values`` as a float64 array, with an error naming ``label`` if they are not numbers."""
    try:
        if isinstance(values, (str, bytes)) or values is None or np.iscomplexobj(values):
            raise TypeError("not real numbers")
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{label} must be real numbers, got {values!r}") from exc


def _settings(batch):
    if not isinstance(batch, dict) or not batch:
        raise TypeError("batch must be a non-empty dict of hyperparameter arrays, e.g. {'lr': [0.1, 0.01]}")
    arrays = {}
    for name, values in batch.items():
        if not isinstance(name, str):
            raise TypeError(f"batch keys must be hyperparameter names (strings), got {name!r}")
        arr = _floats(f"batch[{name!r}]", values)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"batch[{name!r}] must be a non-empty 1-D array, got shape {arr.shape}")
        arrays[name] = arr
    sizes = {a.size for a in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"batch arrays must all have the same length, got {sorted(sizes)}; "
                         "use rmslib.grid(...) for all combinations")
    return arrays, sizes.pop()


def run(opt, problem, x0, steps=200, batch=None):
    """Run ``opt`` on ``problem`` from ``x0`` for ``steps`` updates and return a :class:`Trace`.

    ``problem`` is any object with ``loss(x)`` and ``grad(x)`` methods (a
    reader's own class included); if it also has ``dim``, ``x0`` must be a
    1-D array of that length, otherwise ``x0`` may have any shape.

    With ``batch={"lr": [...], "beta": [...]}`` (equal-length arrays, or
    :func:`grid`) all settings run at once in one vectorised pass; the trace's
    arrays then get a leading axis of one entry per setting, and each entry is
    exactly what a separate run with that setting gives.
    """
    if not isinstance(opt, Optimizer):
        raise TypeError(f"opt must be an rmslib optimizer such as rmslib.RMSProp(lr=0.01), got {type(opt).__name__}")
    if not all(callable(getattr(problem, a, None)) for a in ("loss", "grad")):
        raise TypeError("problem must have loss(x) and grad(x) methods (such as rmslib.problems.Bowl()), "
                        f"got {type(problem).__name__}")
    steps = check.positive_int("steps", steps)
    x = check.array("x0", x0)
    dim = getattr(problem, "dim", None)  # optional: a reader's own problem may leave it out
    if dim is not None and (x.ndim != 1 or x.shape[0] != dim):
        raise ValueError(f"x0 must be a 1-D array of {dim} values for {problem!r}, got shape {x.shape}")
    if x.size == 0:
        raise ValueError("x0 must hold at least one value, got an empty array")
    settings = None
    if batch is not None:
        settings, size = _settings(batch)
        shape = (size,) + (1,) * x.ndim
        opt = opt.replace(**{k: v.reshape(shape) for k, v in settings.items()})
        x = np.broadcast_to(x, (size,) + x.shape).copy()
    if hasattr(problem, "reset"):
        problem.reset()
    timed = getattr(problem, "time_varying", False)
    state = opt.init(x)
    params, grads, vs = [x], [], []
    losses = [problem.loss(x, 0) if timed else problem.loss(x)]
    for t in range(steps):
        with np.errstate(over="ignore", invalid="ignore"):
            g = problem.grad(x, t) if timed else problem.grad(x)
        if not check.all_finite(g):
            raise ValueError(f"the run diverged: the gradient became non-finite at step {t + 1} "
                             f"(lr={opt.lr!r} is too large for this problem)")
        x, state = opt.update(x, g, state)
        params.append(x)
        grads.append(g)
        vs.append(state.v)
        losses.append(problem.loss(x, t + 1) if timed else problem.loss(x))
    axis = 1 if settings is not None else 0

    def stack(arrs):
        # Broadcast only where needed (a state array may be smaller than x in a batched run).
        if any(a.shape != x.shape for a in arrs):
            arrs = [np.broadcast_to(a, x.shape) for a in arrs]
        return np.stack(arrs, axis=axis)

    loss = np.stack(losses, axis=-1)
    if not check.all_finite(loss):
        bad = int(np.argmin(np.isfinite(loss).reshape(-1, loss.shape[-1]).all(axis=0)))
        raise ValueError(f"the run diverged: the loss became non-finite at step {bad} "
                         f"(lr={opt.lr!r} is too large for this problem)")
    return Trace(params=stack(params), loss=loss, grads=stack(grads),
                 v=None if vs[0] is None else stack(vs), optimizer=type(opt).__name__,
                 settings=settings)


#: The share of the budget that :func:`score` looks at: the last fifth of the steps.
SCORE_WINDOW = 0.2


def score(trace, window=SCORE_WINDOW):
    """The book's one scoring rule: the worst loss over the final ``window`` of a run's budget.

    For a :class:`Trace` (or a loss array whose last axis is the step) of
    ``steps`` updates, returns ``max(loss[t])`` over the last
    ``ceil(window * steps)`` steps, one value per row of a batched run. Lower
    is better. A method that touches a tolerance once and then bounces away
    scores by where it bounces, not by where it passed; compare methods each
    at its own best learning rate over the same budget (and, with noise,
    average the score over several seeds; where one run's score hinges on the
    timing of its bounces, over several start points).
    """
    loss = trace.loss if isinstance(trace, Trace) else np.asarray(trace, dtype=np.float64)
    if loss.ndim == 0 or loss.shape[-1] < 2:
        raise ValueError(f"trace must hold a run of at least one step, got a loss of shape {loss.shape}")
    if isinstance(window, (bool, np.bool_)) or not isinstance(window, (int, float, np.floating)) \
            or not 0 < window <= 1:
        raise ValueError(f"window must be a fraction in (0, 1], got {window!r}")
    steps = loss.shape[-1] - 1
    last = max(1, int(np.ceil(window * steps - 1e-9)))
    return loss[..., -last:].max(axis=-1)
