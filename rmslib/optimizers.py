"""Optimizers as pure init / update pairs.

Each optimizer is a small immutable object holding its hyperparameters.
``init(params)`` returns a fresh :class:`State`; ``update(params, grads, state)``
returns ``(new_params, new_state)`` and never modifies its inputs.

Notation (used in every docstring and chapter): ``theta`` the parameters,
``g_t`` the gradient at step ``t``, ``eta`` the learning rate (``lr``),
``beta`` the decay of a running average, ``v_t`` the accumulator of squared
gradients, ``m_t`` a running average of gradients, ``b_t`` a momentum buffer.
All operations are elementwise: every parameter gets its own ``v_t``.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

from . import _validate as check


class State(NamedTuple):
    """Optimizer state after ``t`` updates.

    Attributes
    ----------
    t : int
        Number of updates applied so far.
    v : ndarray or None
        Accumulator of squared gradients (a running average for RMSProp and
        Adam, a running sum for Adagrad).
    m : ndarray or None
        Running average of gradients (Adam's first moment, centered RMSProp's mean).
    buf : ndarray or None
        Momentum buffer.
    """

    t: int
    v: Optional[np.ndarray] = None
    m: Optional[np.ndarray] = None
    buf: Optional[np.ndarray] = None


def _scale(g, d, safe):
    """Return g / d, with 0 wherever d == 0 (only possible when eps == 0)."""
    if safe:
        return g / d
    return np.divide(g, d, out=np.zeros(np.broadcast_shapes(g.shape, np.shape(d))), where=d > 0)


class Optimizer:
    """Base class: stores validated hyperparameters, checks arrays, copies with ``replace``."""

    _names: tuple = ()

    def __repr__(self):
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._names)
        return f"{type(self).__name__}({args})"

    @property
    def hyperparameters(self):
        """The constructor arguments as a dict."""
        return {k: getattr(self, k) for k in self._names}

    def replace(self, **changes):
        """Return a copy with some hyperparameters changed (validated again)."""
        unknown = set(changes) - set(self._names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no hyperparameter {sorted(unknown)[0]!r}; "
                            f"it has {', '.join(self._names)}")
        return type(self)(**{**self.hyperparameters, **changes})

    def init(self, params):
        """Return the initial state for ``params`` (a float array of any shape)."""
        params = check.array("params", params)
        return self._init(params)

    def update(self, params, grads, state):
        """Apply one step: return ``(new_params, new_state)``; the inputs are not modified."""
        if not isinstance(params, np.ndarray) or params.dtype != np.float64:
            params = check.array("params", params)
        grads = check.grads_like(params, grads)
        if not isinstance(state, State):
            raise TypeError(f"state must be the State returned by init or update, got {type(state).__name__}")
        for name in ("v", "m", "buf"):
            arr = getattr(state, name)
            if arr is not None and arr.shape != params.shape:
                raise ValueError(f"state.{name} has shape {arr.shape} but params has shape {params.shape}; "
                                 "was the state made for other params?")
        for name in self._needs():
            if getattr(state, name) is None:
                raise TypeError(f"state has no {name}: it was not made by this {type(self).__name__}'s init; "
                                "start from opt.init(params)")
        new_params, new_state = self._update(params, grads, state)
        if np.shape(new_params) != params.shape:
            raise ValueError(f"hyperparameter arrays must broadcast to the shape of params {params.shape}, "
                             f"but the update has shape {np.shape(new_params)}")
        if not check.all_finite(new_params):
            raise ValueError("the update overflowed (params became non-finite); lower lr or check grads")
        if new_state.v is not None and not check.all_finite(new_state.v):
            raise ValueError("grads are too large: their squares overflow float64 (state.v became inf); "
                             "rescale the problem or check grads")
        return new_params, new_state

    def _needs(self):
        """The state fields this optimizer's update reads (so they must not be None)."""
        return ()

    def _zeros(self, params, fill=0.0):
        return np.full(np.broadcast_shapes(params.shape, np.shape(fill)), fill, dtype=np.float64)


class GD(Optimizer):
    r"""Plain gradient descent.

    .. math:: \theta_t = \theta_{t-1} - \eta\, g_t
    """

    _names = ("lr",)

    def __init__(self, lr):
        self.lr = check.hyper("lr", lr, low=0.0, low_open=True, high=None)

    def _init(self, params):
        return State(t=0)

    def _update(self, params, grads, state):
        return params - self.lr * grads, State(t=state.t + 1)


class Momentum(Optimizer):
    r"""Gradient descent with heavy-ball momentum (PyTorch's form).

    .. math::
        b_t = \beta\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t,
        \qquad b_0 = 0.
    """

    _names = ("lr", "beta")

    def __init__(self, lr, beta=0.9):
        self.lr = check.hyper("lr", lr, low=0.0, low_open=True)
        self.beta = check.hyper("beta", beta, low=0.0, high=1.0)

    def _init(self, params):
        return State(t=0, buf=self._zeros(params))

    def _needs(self):
        return ("buf",)

    def _update(self, params, grads, state):
        buf = self.beta * state.buf + grads
        return params - self.lr * buf, State(t=state.t + 1, buf=buf)


def _denominator(v, eps, eps_in_sqrt):
    """sqrt(v + eps) if eps_in_sqrt else sqrt(v) + eps."""
    return np.sqrt(v + eps) if eps_in_sqrt else np.sqrt(v) + eps


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): divide by the root of the running *sum* of squares.

    .. math::
        v_t = v_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta_t\, g_t}{\sqrt{v_t + \epsilon}},
        \qquad v_0 = \texttt{v0},

    with :math:`\sqrt{v_t} + \epsilon` instead when ``eps_in_sqrt=False`` and
    :math:`\eta_t = \eta / (1 + (t - 1)\,\texttt{lr\_decay})` (PyTorch's ``lr_decay``;
    0 keeps :math:`\eta` constant). :math:`v_t` never decreases. Where the
    denominator is exactly 0 (``eps = 0`` and nothing accumulated) the step is 0.
    """

    _names = ("lr", "eps", "eps_in_sqrt", "v0", "lr_decay")

    def __init__(self, lr, eps=1e-8, eps_in_sqrt=True, v0=0.0, lr_decay=0.0):
        self.lr = check.hyper("lr", lr, low=0.0, low_open=True)
        self.eps = check.hyper("eps", eps, low=0.0)
        self.eps_in_sqrt = check.flag("eps_in_sqrt", eps_in_sqrt)
        self.v0 = check.hyper("v0", v0, low=0.0)
        self.lr_decay = check.hyper("lr_decay", lr_decay, low=0.0)
        self._safe = bool(np.all(np.asarray(self.eps) > 0))

    @classmethod
    def like(cls, library, **overrides):
        """Adagrad exactly as ``library`` defines it: "torch", "keras", "tf1" or "optax".

        ``overrides`` replace the library's defaults (``lr`` is required for
        libraries without a default learning rate).
        """
        from .presets import build
        return build(cls, "Adagrad", library, overrides)

    def _init(self, params):
        return State(t=0, v=self._zeros(params, self.v0))

    def _needs(self):
        return ("v",)

    def _update(self, params, grads, state):
        t = state.t + 1
        v = state.v + grads * grads
        lr = self.lr / (1.0 + (t - 1) * self.lr_decay) if np.any(self.lr_decay) else self.lr
        step = _scale(grads, _denominator(v, self.eps, self.eps_in_sqrt), self._safe)
        return params - lr * step, State(t=t, v=v)


# Large RMSProp updates run block by block: each block's temporaries (about
# 256 KiB per array) stay in the CPU cache, so memory sees only the five
# unavoidable streams (read theta, g, v_{t-1}; write the new theta and v_t)
# instead of one full-size temporary per operation. Same operations in the same
# order on each element, so the result is bit-for-bit that of the plain code.
_BLOCK = 1 << 15


def _rmsprop_blocked(params, grads, v_prev, lr, beta, eps, eps_in_sqrt):
    """Plain RMSProp (scalar hyperparameters, no centering, no momentum), blocked.

    Returns ``(new_params, v)`` as new arrays; the inputs are only read.
    """
    new_params, new_v = np.empty(params.shape), np.empty(params.shape)
    theta, g, v_old = params.reshape(-1), grads.reshape(-1), v_prev.reshape(-1)
    theta_out, v_out = new_params.reshape(-1), new_v.reshape(-1)
    scratch = np.empty(min(_BLOCK, theta.size))
    for lo in range(0, theta.size, _BLOCK):
        hi = min(lo + _BLOCK, theta.size)
        gb, v, d = g[lo:hi], v_out[lo:hi], scratch[:hi - lo]
        np.multiply(gb, gb, out=v)                # g_t^2
        np.multiply(1.0 - beta, v, out=v)         # (1 - beta) g_t^2
        np.multiply(beta, v_old[lo:hi], out=d)    # beta v_{t-1}
        np.add(d, v, out=v)                       # v_t = beta v_{t-1} + (1 - beta) g_t^2
        if eps_in_sqrt:
            np.add(v, eps, out=d)                 # v_t + eps
            np.sqrt(d, out=d)                     # d_t = sqrt(v_t + eps)
        else:
            np.sqrt(v, out=d)                     # sqrt(v_t)
            np.add(d, eps, out=d)                 # d_t = sqrt(v_t) + eps
        np.divide(gb, d, out=d)                   # g_t / d_t
        np.multiply(lr, d, out=d)                 # eta g_t / d_t
        np.subtract(theta[lo:hi], d, out=theta_out[lo:hi])  # theta_t = theta_{t-1} - eta g_t / d_t
    return new_params, new_v


class RMSProp(Optimizer):
    r"""RMSProp (Tieleman and Hinton, 2012): divide by the root of a decaying *average* of squares.

    .. math::
        v_t = \beta\, v_{t-1} + (1 - \beta)\, g_t^2, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta\, g_t}{\sqrt{v_t + \epsilon}},
        \qquad v_0 = \texttt{v0},

    with :math:`\sqrt{v_t} + \epsilon` instead when ``eps_in_sqrt=False``.

    ``centered=True`` also keeps :math:`m_t = \beta\, m_{t-1} + (1-\beta)\, g_t`
    and uses :math:`v_t - m_t^2` (an estimate of the variance) in place of
    :math:`v_t` in the denominator :math:`d_t`.

    ``momentum`` :math:`= \mu > 0` adds a buffer. With ``lr_in_buffer=False``
    (PyTorch): :math:`b_t = \mu b_{t-1} + g_t/d_t,\ \theta_t = \theta_{t-1} - \eta b_t`.
    With ``lr_in_buffer=True`` (Keras, TF1, optax):
    :math:`b_t = \mu b_{t-1} + \eta g_t/d_t,\ \theta_t = \theta_{t-1} - b_t`.
    The two agree while :math:`\eta` is constant.

    Where the denominator is exactly 0 (``eps = 0`` and nothing accumulated)
    the step is 0, never NaN.
    """

    _names = ("lr", "beta", "eps", "eps_in_sqrt", "v0", "centered", "momentum", "lr_in_buffer")

    def __init__(self, lr=0.01, beta=0.9, eps=1e-8, eps_in_sqrt=True, v0=0.0,
                 centered=False, momentum=0.0, lr_in_buffer=False):
        self.lr = check.hyper("lr", lr, low=0.0, low_open=True)
        self.beta = check.hyper("beta", beta, low=0.0, high=1.0)
        self.eps = check.hyper("eps", eps, low=0.0)
        self.eps_in_sqrt = check.flag("eps_in_sqrt", eps_in_sqrt)
        self.v0 = check.hyper("v0", v0, low=0.0)
        self.centered = check.flag("centered", centered)
        self.momentum = check.hyper("momentum", momentum, low=0.0, high=1.0)
        self.lr_in_buffer = check.flag("lr_in_buffer", lr_in_buffer)
        self._safe = bool(np.all(np.asarray(self.eps) > 0))
        # Fixed with the hyperparameters, so update's checks need not recompute it every step.
        self._has_buffer = bool(np.any(self.momentum)) or self.lr_in_buffer
        # The blocked kernel handles the plain case with one setting (not a batched sweep).
        self._blockable = (all(isinstance(h, float) for h in (self.lr, self.beta, self.eps, self.momentum))
                           and self._safe and not self.centered and not self.lr_in_buffer
                           and self.momentum == 0.0)

    @classmethod
    def like(cls, library, **overrides):
        """RMSProp exactly as ``library`` defines it: "torch", "keras", "tf1", "optax" or "hinton".

        ``overrides`` replace the library's defaults (``lr`` is required for
        libraries without a default learning rate).
        """
        from .presets import build
        return build(cls, "RMSProp", library, overrides)

    def _init(self, params):
        return State(t=0, v=self._zeros(params, self.v0),
                     m=self._zeros(params) if self.centered else None,
                     buf=self._zeros(params) if np.any(self.momentum) or self.lr_in_buffer else None)

    def _needs(self):
        return ("v",) + (("m",) if self.centered else ()) + (("buf",) if self._has_buffer else ())

    def _update(self, params, grads, state):
        if (self._blockable and params.size >= _BLOCK and state.buf is None
                and state.v is not None and state.v.dtype == np.float64):
            new_params, v = _rmsprop_blocked(params, grads, state.v, self.lr, self.beta,
                                             self.eps, self.eps_in_sqrt)
            return new_params, State(t=state.t + 1, v=v)
        beta = self.beta
        v = beta * state.v + (1.0 - beta) * (grads * grads)
        m = None
        if self.centered:
            m = beta * state.m + (1.0 - beta) * grads
            var = np.maximum(v - m * m, 0.0)  # >= 0 in exact arithmetic; clip rounding
            d = _denominator(var, self.eps, self.eps_in_sqrt)
        else:
            d = _denominator(v, self.eps, self.eps_in_sqrt)
        step = _scale(grads, d, self._safe)
        if state.buf is None:
            return params - self.lr * step, State(t=state.t + 1, v=v, m=m)
        if self.lr_in_buffer:
            buf = self.momentum * state.buf + self.lr * step
            new_params = params - buf
        else:
            buf = self.momentum * state.buf + step
            new_params = params - self.lr * buf
        return new_params, State(t=state.t + 1, v=v, m=m, buf=buf)


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015): RMSProp's denominator plus momentum, both bias-corrected.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \eta\,
        \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon},

    with :math:`m_0 = v_0 = 0`. Dividing by :math:`1-\beta^t` undoes the
    zero-start bias that RMSProp leaves in place.
    """

    _names = ("lr", "beta1", "beta2", "eps")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = check.hyper("lr", lr, low=0.0, low_open=True)
        self.beta1 = check.hyper("beta1", beta1, low=0.0, high=1.0)
        self.beta2 = check.hyper("beta2", beta2, low=0.0, high=1.0)
        self.eps = check.hyper("eps", eps, low=0.0)
        self._safe = bool(np.all(np.asarray(self.eps) > 0))

    def _init(self, params):
        return State(t=0, v=self._zeros(params), m=self._zeros(params))

    def _needs(self):
        return ("v", "m")

    def _update(self, params, grads, state):
        t = state.t + 1
        m = self.beta1 * state.m + (1.0 - self.beta1) * grads
        v = self.beta2 * state.v + (1.0 - self.beta2) * (grads * grads)
        m_hat = m / (1.0 - np.power(self.beta1, t))
        v_hat = v / (1.0 - np.power(self.beta2, t))
        step = _scale(m_hat, np.sqrt(v_hat) + self.eps, self._safe)
        return params - self.lr * step, State(t=t, v=v, m=m)
