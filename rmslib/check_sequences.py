"""Tables of classic mistakes for the weights of the average, v_3 unrolled and the sequence v_t."""

from __future__ import annotations

import numpy as np

from .check_engine import _SHAPES, _Mistake, _Spec


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
