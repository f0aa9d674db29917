"""Library presets: each row reproduces one framework's defaults and formula.

Sources (read from each library's code; see the "Same name, different
formulas" chapter): torch.optim.RMSprop / Adagrad, keras.optimizers.RMSprop /
Adagrad (Keras 3), TensorFlow 1 RMSPropOptimizer / AdagradOptimizer
(ApplyRMSProp, ApplyAdagrad kernels), optax.rmsprop / adagrad, and Hinton's
lecture 6e. ``None`` as a learning rate means the library has no default.
"""

import numpy as np

from . import _validate as check

RMSPROP = {
    # PyTorch: alpha=0.99, eps outside the root, momentum buffers g/d.
    "torch": dict(lr=1e-2, beta=0.99, eps=1e-8, eps_in_sqrt=False, v0=0.0, lr_in_buffer=False),
    # Keras 3: rho=0.9, eps inside, momentum buffers lr*g/d.
    "keras": dict(lr=1e-3, beta=0.9, eps=1e-7, eps_in_sqrt=True, v0=0.0, lr_in_buffer=True),
    # TF1: the mean-square slot starts at ONES; eps=1e-10 inside; mom buffers lr*g/d.
    "tf1": dict(lr=None, beta=0.9, eps=1e-10, eps_in_sqrt=True, v0=1.0, lr_in_buffer=True),
    # optax: initial_scale=0, eps=1e-8 inside (eps_in_sqrt=True); trace after scaling by lr.
    "optax": dict(lr=None, beta=0.9, eps=1e-8, eps_in_sqrt=True, v0=0.0, lr_in_buffer=True),
    # Hinton's lecture 6e: decay 0.9, no epsilon.
    "hinton": dict(lr=None, beta=0.9, eps=0.0, eps_in_sqrt=True, v0=0.0, lr_in_buffer=False),
}

ADAGRAD = {
    # PyTorch: initial_accumulator_value=0, eps=1e-10 outside, optional lr_decay.
    "torch": dict(lr=1e-2, eps=1e-10, eps_in_sqrt=False, v0=0.0),
    # Keras 3: accumulator starts at 0.1, eps=1e-7 inside.
    "keras": dict(lr=1e-3, eps=1e-7, eps_in_sqrt=True, v0=0.1),
    # TF1: accumulator starts at 0.1 (must be > 0), no epsilon: lr * g * rsqrt(acc).
    "tf1": dict(lr=None, eps=0.0, eps_in_sqrt=True, v0=0.1),
    # optax scale_by_rss: initial_accumulator_value=0.1, eps=1e-7 inside.
    "optax": dict(lr=None, eps=1e-7, eps_in_sqrt=True, v0=0.1),
}

TABLES = {"RMSProp": RMSPROP, "Adagrad": ADAGRAD}


def build(cls, name, library, overrides):
    """Instantiate ``cls`` with ``library``'s defaults updated by ``overrides``."""
    table = TABLES[name]
    if not isinstance(library, str) or library not in table:
        raise ValueError(f"library must be one of {', '.join(map(repr, table))} for {name}.like, "
                         f"got {library!r}")
    kwargs = {**table[library], **overrides}
    if kwargs["lr"] is None:
        raise TypeError(f"lr is required for {name}.like({library!r}): that library has no default "
                        "learning rate")
    if name == "Adagrad" and library == "tf1" and not np.all(check.hyper("v0", kwargs["v0"]) > 0):
        raise ValueError(f"v0 must be > 0 for Adagrad.like('tf1') (TensorFlow 1 requires a positive "
                         f"initial accumulator), got {kwargs['v0']!r}")
    return cls(**kwargs)
