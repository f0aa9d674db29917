"""Test problems: each has ``loss(x)`` and ``grad(x)``.

``x`` holds the parameters on its last axis; leading axes are a batch (used by
batched sweeps), so ``grad`` of an array of shape ``(..., d)`` has the same
shape. Sums are written elementwise so a batched evaluation gives exactly the
same numbers as one evaluation at a time.
"""

from __future__ import annotations

import numpy as np

from . import _validate as check


class Problem:
    """Base class. ``dim`` is the number of parameters; ``minimum`` a minimiser (or None)."""

    dim: int = 2
    minimum = None
    time_varying = False

    def _x(self, x):
        try:
            if isinstance(x, (str, bytes)) or np.iscomplexobj(x):
                raise TypeError("not real numbers")
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"x must be a float array, got {type(x).__name__}") from exc
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValueError(f"x must have {self.dim} values on its last axis, got shape {x.shape}")
        if not check.all_finite(x):
            raise ValueError("x must contain only finite values")
        return x

    def __repr__(self):
        return f"{type(self).__name__}()"


def _rng(seed):
    """``np.random.default_rng(seed)``, with an error naming ``seed`` when numpy refuses it."""
    if isinstance(seed, (bool, np.bool_, float, str, bytes)):
        raise TypeError(f"seed must be a non-negative integer (or None), got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"seed must be a non-negative integer (or None), got {seed!r}") from exc


def _problem(name, value):
    """Check that ``value`` looks like a problem (has ``dim``, ``loss`` and ``grad``)."""
    if not all(hasattr(value, a) for a in ("dim", "loss", "grad")):
        raise TypeError(f"{name} must be a problem with dim, loss and grad (such as rmslib.problems.Bowl()), "
                        f"got {type(value).__name__}")
    return value


class Bowl(Problem):
    r"""Elongated quadratic bowl :math:`f(x) = \tfrac12 (x - c)^\top H (x - c)`.

    :math:`H = R(\phi)\, \mathrm{diag}(a_1, a_2)\, R(\phi)^\top` with curvatures
    ``curvatures = (a_1, a_2)`` and rotation angle ``angle`` (degrees). With
    ``angle = 0`` the axes are the coordinate axes, so each coordinate's
    gradient is :math:`a_i (x_i - c_i)`.
    """

    def __init__(self, curvatures=(1.0, 20.0), angle=0.0, center=(0.0, 0.0)):
        curv = check.array("curvatures", curvatures)
        if curv.shape != (2,) or np.any(curv <= 0):
            raise ValueError(f"curvatures must be two positive numbers, got {curvatures!r}")
        self.angle = check.hyper("angle", angle)
        self.center = check.array("center", center)
        if self.center.shape != (2,):
            raise ValueError(f"center must have 2 values, got shape {self.center.shape}")
        self.curvatures = curv
        phi = np.deg2rad(self.angle)
        rot = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
        self.hessian = rot @ np.diag(curv) @ rot.T
        if not check.all_finite(self.hessian):
            raise ValueError(f"curvatures are too large for float64, got {curvatures!r}")
        self.minimum = self.center.copy()

    def grad(self, x):
        dx = self._x(x) - self.center
        return (self.hessian * dx[..., None, :]).sum(axis=-1)

    def loss(self, x):
        dx = self._x(x) - self.center
        return 0.5 * (dx * (self.hessian * dx[..., None, :]).sum(axis=-1)).sum(axis=-1)

    def __repr__(self):
        return f"Bowl(curvatures={tuple(self.curvatures.tolist())}, angle={self.angle})"


class Rosenbrock(Problem):
    r"""Rosenbrock's banana valley :math:`f(x, y) = (a - x)^2 + b\,(y - x^2)^2`, minimum at (a, a²)."""

    def __init__(self, a=1.0, b=100.0):
        self.a = check.hyper("a", a, low=-1e150, high=1e150, high_open=False)  # a**2 must not overflow
        self.b = check.hyper("b", b, low=0.0, low_open=True)
        self.minimum = np.array([self.a, self.a**2])

    def loss(self, x):
        x = self._x(x)
        return (self.a - x[..., 0]) ** 2 + self.b * (x[..., 1] - x[..., 0] ** 2) ** 2

    def grad(self, x):
        x = self._x(x)
        inner = x[..., 1] - x[..., 0] ** 2
        gx = -2.0 * (self.a - x[..., 0]) - 4.0 * self.b * x[..., 0] * inner
        gy = 2.0 * self.b * inner
        return np.stack([gx, gy], axis=-1)


class SigmoidNeuron(Problem):
    r"""Error surface of one sigmoid neuron with weight w and bias b (params ``(w, b)``).

    .. math:: L(w, b) = \sum_i \tfrac12 \big(\sigma(w x_i + b) - y_i\big)^2

    The default data, two points (0.5, 0.2) and (2.5, 0.9), are fitted exactly
    at the minimum (so the loss there is 0): the classic toy surface of the
    lecture notes, with a long flat plateau and a steep drop.
    """

    def __init__(self, xs=(0.5, 2.5), ys=(0.2, 0.9)):
        self.xs = check.array("xs", xs)
        self.ys = check.array("ys", ys)
        if self.xs.ndim != 1 or self.xs.shape != self.ys.shape:
            raise ValueError(f"xs and ys must be 1-D and of equal length, got {self.xs.shape} and {self.ys.shape}")
        if np.any((self.ys <= 0) | (self.ys >= 1)):
            raise ValueError("ys must lie strictly between 0 and 1 (sigmoid outputs)")
        if len(self.xs) == 2 and self.xs[0] != self.xs[1]:
            logits = np.log(self.ys / (1 - self.ys))
            w = (logits[1] - logits[0]) / (self.xs[1] - self.xs[0])
            minimum = np.array([w, logits[0] - w * self.xs[0]])
            self.minimum = minimum if check.all_finite(minimum) else None

    def _out(self, x):
        x = self._x(x)
        z = x[..., 0:1] * self.xs + x[..., 1:2]
        return 1.0 / (1.0 + np.exp(-z))

    def loss(self, x):
        return 0.5 * ((self._out(x) - self.ys) ** 2).sum(axis=-1)

    def grad(self, x):
        f = self._out(x)
        common = (f - self.ys) * f * (1.0 - f)
        return np.stack([(common * self.xs).sum(axis=-1), common.sum(axis=-1)], axis=-1)


class SparseRegression(Problem):
    r"""Least squares :math:`\tfrac{1}{2n}\lVert Xw - y\rVert^2` with features of different frequency.

    Feature ``j`` is non-zero in a fraction ``frequencies[j]`` of the
    ``n_samples`` rows (values drawn from N(1, 0.1²) where active), so a rare
    feature's parameter sees a non-zero gradient only now and then. The data
    are generated from ``true_w`` with a seeded generator; ``minimum`` is the
    exact least-squares solution.
    """

    def __init__(self, n_samples=200, frequencies=(1.0, 0.05), true_w=None, noise=0.0, seed=0):
        freq = check.array("frequencies", frequencies)
        if freq.ndim != 1 or np.any((freq <= 0) | (freq > 1)):
            raise ValueError(f"frequencies must be a 1-D list of fractions in (0, 1], got {frequencies!r}")
        self.n_samples = n_samples = check.positive_int("n_samples", n_samples)
        self.dim = len(freq)
        self.frequencies = freq
        rng = _rng(seed)
        active = rng.random((n_samples, self.dim)) < freq
        active[rng.integers(n_samples, size=self.dim), np.arange(self.dim)] = True  # every feature at least once
        self.X = np.where(active, rng.normal(1.0, 0.1, (n_samples, self.dim)), 0.0)
        w = np.ones(self.dim) if true_w is None else check.array("true_w", true_w)
        if w.shape != (self.dim,):
            raise ValueError(f"true_w must have {self.dim} values, got shape {w.shape}")
        self.true_w = w
        self.y = self.X @ w + check.hyper("noise", noise, low=0.0) * rng.standard_normal(n_samples)
        self.minimum = np.linalg.lstsq(self.X, self.y, rcond=None)[0]

    def residual(self, x, rows=None):
        X, y = (self.X, self.y) if rows is None else (self.X[rows], self.y[rows])
        return (X * self._x(x)[..., None, :]).sum(axis=-1) - y, X

    def loss(self, x):
        r, _ = self.residual(x)
        return 0.5 * (r * r).mean(axis=-1)

    def grad(self, x, rows=None):
        r, X = self.residual(x, rows)
        return (r[..., :, None] * X).sum(axis=-2) / X.shape[0]


class Noisy(Problem):
    r"""Stochastic gradients: ``grad(x) = problem.grad(x) + sigma * z`` with z ~ N(0, I).

    The noise comes from ``np.random.default_rng(seed)``; :func:`rmslib.run`
    calls ``reset()`` first, so every run sees the same noise sequence. In a
    batched run all settings share that sequence (common random numbers), which
    makes comparisons fair. ``loss`` is the noise-free loss.
    """

    def __init__(self, problem, sigma=1.0, seed=0):
        self.problem = _problem("problem", problem)
        self.sigma = check.hyper("sigma", sigma, low=0.0)
        self.seed = seed
        self.dim = problem.dim
        self.minimum = problem.minimum
        self.reset()

    def reset(self):
        self._rng = _rng(self.seed)
        if hasattr(self.problem, "reset"):
            self.problem.reset()

    def loss(self, x):
        return self.problem.loss(x)

    def grad(self, x):
        g = self.problem.grad(x)
        return g + self.sigma * self._rng.standard_normal(self.dim)

    def __repr__(self):
        return f"Noisy({self.problem!r}, sigma={self.sigma}, seed={self.seed})"


class MiniBatch(Problem):
    """Mini-batch gradients of a data problem (one with ``n_samples`` and ``grad(x, rows)``).

    Each call to ``grad`` uses ``batch_size`` rows drawn without replacement
    by a seeded generator; ``reset()`` (called by :func:`rmslib.run`) restarts it.
    """

    def __init__(self, problem, batch_size, seed=0):
        if not hasattr(problem, "n_samples"):
            raise TypeError("problem must be a data problem with n_samples, such as SparseRegression")
        self.problem = problem
        self.batch_size = check.positive_int("batch_size", batch_size)
        if self.batch_size > problem.n_samples:
            raise ValueError(f"batch_size must be <= n_samples ({problem.n_samples}), got {batch_size}")
        self.seed = seed
        self.dim = problem.dim
        self.minimum = problem.minimum
        self.reset()

    def reset(self):
        self._rng = _rng(self.seed)

    def loss(self, x):
        return self.problem.loss(x)

    def grad(self, x):
        rows = self._rng.choice(self.problem.n_samples, self.batch_size, replace=False)
        return self.problem.grad(x, rows)


class Switching(Problem):
    """A non-stationary objective: ``first`` until step ``at``, then ``second``.

    ``time_varying = True`` tells :func:`rmslib.run` to pass the step number:
    ``grad(x, t)`` and ``loss(x, t)``.
    """

    time_varying = True

    def __init__(self, first, second, at):
        _problem("first", first), _problem("second", second)
        if first.dim != second.dim:
            raise ValueError(f"first and second must have the same dim, got {first.dim} and {second.dim}")
        self.first, self.second = first, second
        self.at = check.positive_int("at", at)
        self.dim = first.dim
        self.minimum = second.minimum

    def _pick(self, t):
        return self.first if t < self.at else self.second

    def loss(self, x, t=0):
        return self._pick(t).loss(x)

    def grad(self, x, t=0):
        return self._pick(t).grad(x)


from .network import MLP, load_digits  # noqa: E402  (network.py builds on Problem above)
