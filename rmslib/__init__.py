"""rmslib: the small, exact NumPy library behind the RMSProp course module.

Optimizers follow an init / update contract (pure functions of their inputs)::

    opt = rmslib.RMSProp(lr=0.01, beta=0.9)
    state = opt.init(params)
    params, state = opt.update(params, grads, state)

and :func:`run` records a whole optimisation in a :class:`Trace`.
"""

from . import animation, check, digits, plot, problems
from .optimizers import GD, Adagrad, Adam, Momentum, Optimizer, RMSProp, State
from .running import Trace, grid, run, score

__all__ = ["GD", "Momentum", "Adagrad", "RMSProp", "Adam", "Optimizer", "State",
           "Trace", "run", "grid", "score", "problems", "plot", "check", "animation", "digits"]
__version__ = "0.1.0"
