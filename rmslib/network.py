"""A small neural network on real data: :class:`MLP` and :func:`load_digits`.

Both are exposed as ``rmslib.problems.MLP`` and ``rmslib.problems.load_digits``.
The network's weights live in ONE flat float vector, so every rmslib optimizer
trains it unchanged, and like the other problems it accepts a batch of
parameter vectors on leading axes (one per setting of a batched run).
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

from . import _validate as check
from .problems import Problem, _rng


def load_digits():
    """The UCI optical handwritten digits: ``(X, y)`` with ``X`` of shape (1797, 64), ``y`` of shape (1797,).

    ``X`` holds 8x8 images row by row as floats 0..16 (pixel counts), ``y``
    the integer labels 0..9. Source and licence (CC BY 4.0):
    ``rmslib/data/README.md``.
    """
    with resources.files("rmslib").joinpath("data", "digits.csv.gz").open("rb") as raw, \
            gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.float64), table[:, -1].copy()


class MLP(Problem):
    r"""A one-hidden-layer network with tanh units and a softmax output, mean cross-entropy loss.

    .. math:: h = \tanh(x W_1 + b_1), \quad p = \mathrm{softmax}(h W_2 + b_2), \quad
              L = -\tfrac1n \textstyle\sum_i \log p_{i, y_i}

    ``X`` has one example per row, ``y`` integer labels ``0 .. classes - 1``.
    The parameters are one flat vector of length ``dim`` holding ``W_1``
    (features x hidden, row-major), ``b_1``, ``W_2`` (hidden x classes) and
    ``b_2`` in that order (:meth:`unpack` splits it). ``loss(x, rows)`` and
    ``grad(x, rows)`` use the rows ``rows`` of the data (all rows by default),
    so :class:`MiniBatch` gives mini-batch gradients. :meth:`start` draws a
    seeded starting point.
    """

    def __init__(self, X, y, hidden=16, classes=None):
        X = check.array("X", X)
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (examples x features), got shape {X.shape}")
        if not check.all_finite(X):
            raise ValueError("X must contain only finite values")
        labels = np.asarray(y)
        if labels.shape != (X.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"y must be {X.shape[0]} integer labels (one per row of X), "
                             f"got shape {labels.shape} of {labels.dtype}")
        self.hidden = check.positive_int("hidden", hidden)
        self.classes = int(labels.max()) + 1 if classes is None else check.positive_int("classes", classes)
        if labels.min() < 0 or labels.max() >= self.classes:
            raise ValueError(f"y must lie in 0 .. {self.classes - 1} (classes={self.classes}), "
                             f"got {labels.min()} .. {labels.max()}")
        self.X, self.y = X, labels.astype(np.int64)
        self.n_samples, self.features = X.shape
        f, h, c = self.features, self.hidden, self.classes
        self._sizes = (f * h, h, h * c, c)
        self.dim = sum(self._sizes)

    def unpack(self, x):
        """Split parameters of shape ``(..., dim)`` into ``W1 (..., f, h)``, ``b1``, ``W2 (..., h, c)``, ``b2``."""
        x = self._x(x)
        w1, b1, w2, b2 = np.split(x, np.cumsum(self._sizes)[:-1], axis=-1)
        lead = x.shape[:-1]
        return (w1.reshape(lead + (self.features, self.hidden)), b1,
                w2.reshape(lead + (self.hidden, self.classes)), b2)

    def start(self, seed=0):
        """A seeded starting point: weights N(0, 1/fan-in), biases zero."""
        rng = _rng(seed)
        w1 = rng.standard_normal((self.features, self.hidden)) / np.sqrt(self.features)
        w2 = rng.standard_normal((self.hidden, self.classes)) / np.sqrt(self.hidden)
        return np.concatenate([w1.ravel(), np.zeros(self.hidden), w2.ravel(), np.zeros(self.classes)])

    def _forward(self, x, X):
        w1, b1, w2, b2 = self.unpack(x)
        hid = np.tanh(X @ w1 + b1[..., None, :])
        logits = hid @ w2 + b2[..., None, :]
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return w2, hid, log_p

    def _data(self, rows):
        return (self.X, self.y) if rows is None else (self.X[rows], self.y[rows])

    def loss(self, x, rows=None):
        X, y = self._data(rows)
        picked = self._forward(x, X)[2][..., np.arange(len(y)), y]
        return -np.ascontiguousarray(picked).mean(axis=-1)  # contiguous: the same sum order batched or not

    def grad(self, x, rows=None):
        X, y = self._data(rows)
        w2, hid, log_p = self._forward(x, X)
        d_logits = np.exp(log_p)
        d_logits[..., np.arange(len(y)), y] -= 1.0
        d_logits /= len(y)
        d_hid = (d_logits @ np.swapaxes(w2, -1, -2)) * (1.0 - hid * hid)
        parts = [X.T @ d_hid, d_hid.sum(axis=-2), np.swapaxes(hid, -1, -2) @ d_logits, d_logits.sum(axis=-2)]
        lead = hid.shape[:-2]
        return np.concatenate([p.reshape(lead + (-1,)) for p in parts], axis=-1)

    def accuracy(self, x, X=None, y=None):
        """The fraction of rows of ``X`` (default: the training data) whose most probable class is ``y``."""
        if (X is None) != (y is None):
            raise ValueError("X and y must be given together (or neither, for the training data)")
        if X is None:
            X, y = self.X, self.y
        else:
            X, y = check.array("X", X), np.asarray(y)
            if X.ndim != 2 or X.shape[1] != self.features or y.shape != (X.shape[0],):
                raise ValueError(f"X must have shape (n, {self.features}) and y shape (n,), "
                                 f"got {X.shape} and {y.shape}")
        return (self._forward(x, X)[2].argmax(axis=-1) == y).mean(axis=-1)

    def __repr__(self):
        return f"MLP({self.features}-{self.hidden}-{self.classes}, n_samples={self.n_samples})"
