"""Tables of classic mistakes for one RMSProp step and one Adagrad step (used by :mod:`rmslib.check`)."""

from __future__ import annotations

import numpy as np

from .check_engine import _Mistake, _Spec, _step_cases


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
