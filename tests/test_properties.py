"""Properties that follow from the update rules, checked with hypothesis on many inputs.

Deterministic (derandomize=True: the same examples every run, no example
database) and small (a few dozen examples per property).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rmslib

SETTINGS = settings(derandomize=True, max_examples=40, deadline=None, database=None)

betas = st.floats(0.0, 0.999)
lrs = st.floats(1e-4, 1.0)
shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)
grad_values = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def grad_sequences(shape, max_steps=12):
    return st.lists(hnp.arrays(np.float64, shape, elements=grad_values), min_size=1, max_size=max_steps)


@st.composite
def shape_and_grads(draw, max_steps=12):
    shape = draw(shapes)
    return shape, draw(grad_sequences(shape, max_steps))


def run_states(opt, shape, grads):
    params = np.zeros(shape)
    state = opt.init(params)
    states = []
    for g in grads:
        params, state = opt.update(params, g, state)
        states.append(state)
    return params, states


@SETTINGS
@given(shape_and_grads(), lrs, st.floats(0.0, 1.0), st.sampled_from([0.0, 1e-8, 1e-3]))
def test_adagrad_v_never_decreases(sg, lr, v0, eps):
    shape, grads = sg
    _, states = run_states(rmslib.Adagrad(lr=lr, v0=v0, eps=eps), shape, grads)
    previous = np.full(shape, v0)
    for s in states:
        assert np.all(s.v >= previous)
        previous = s.v


@SETTINGS
@given(betas, st.integers(1, 60))
def test_constant_unit_gradient_gives_v_equal_to_the_weight_sum(beta, t):
    # The weights (1 - beta) beta^k, k = 0..t-1, sum to 1 - beta^t.
    _, states = run_states(rmslib.RMSProp(lr=0.01, beta=beta), (2,), [np.ones(2)] * t)
    weight_sum = sum((1 - beta) * beta**k for k in range(t))
    assert weight_sum == pytest.approx(1 - beta**t, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(states[-1].v, 1 - beta**t, rtol=1e-12, atol=1e-15)


@SETTINGS
@given(shape_and_grads(max_steps=20), betas)
def test_v_lies_between_weighted_min_and_max_of_squared_gradients(sg, beta):
    shape, grads = sg
    _, states = run_states(rmslib.RMSProp(lr=0.01, beta=beta), shape, grads)
    sq = np.stack(grads) ** 2
    for t, s in enumerate(states, start=1):
        w = 1 - beta**t
        lo, hi = w * sq[:t].min(axis=0), w * sq[:t].max(axis=0)
        # relative slack 1e-12 for rounding; an absolute 1e-300 only for underflowing squares
        assert np.all(s.v >= lo * (1 - 1e-12) - 1e-300)
        assert np.all(s.v <= hi * (1 + 1e-12) + 1e-300)


@SETTINGS
@given(shapes.flatmap(lambda sh: hnp.arrays(np.float64, sh, elements=st.floats(1e-3, 1e3).flatmap(
    lambda m: st.sampled_from([m, -m])))), betas, lrs)
def test_first_step_from_zero_is_lr_over_sqrt_one_minus_beta(g, beta, lr):
    # eps is negligible next to (1 - beta) g^2 >= 1e-9 here.
    opt = rmslib.RMSProp(lr=lr, beta=beta, eps=1e-30)
    params, _ = run_states(opt, g.shape, [g])
    np.testing.assert_allclose(np.abs(params), lr / math.sqrt(1 - beta), rtol=1e-12)
    assert np.all(np.sign(params) == -np.sign(g))


@settings(SETTINGS, max_examples=15)
@given(st.floats(1e-3, 1e3).flatmap(lambda m: st.sampled_from([m, -m])), st.floats(0.5, 0.95), lrs)
def test_constant_gradient_step_tends_to_lr_sign_g(g, beta, lr):
    opt = rmslib.RMSProp(lr=lr, beta=beta, eps=0.0)
    params, state = np.zeros(1), opt.init(np.zeros(1))
    grad = np.array([g])
    for t in range(1, 301):
        new, state = opt.update(params, grad, state)
        step = new[0] - params[0]
        # Exactly lr / sqrt(1 - beta^t) in size (up to the rounding of the subtraction), against g.
        assert math.isclose(abs(step), lr / math.sqrt(1 - beta**t), rel_tol=1e-9)
        assert math.copysign(1.0, step) == -math.copysign(1.0, g)
        params = new
    # beta^300 < 2e-7: the step has become lr sign(g), independent of |g|.
    assert step == pytest.approx(-lr * math.copysign(1.0, g), rel=1e-6)


OPTIMIZERS = [
    lambda: rmslib.GD(lr=0.1),
    lambda: rmslib.Momentum(lr=0.1, beta=0.9),
    lambda: rmslib.Adagrad(lr=0.1),
    lambda: rmslib.Adagrad.like("torch", lr_decay=0.1),
    lambda: rmslib.RMSProp(lr=0.1),
    lambda: rmslib.RMSProp(lr=0.1, centered=True, momentum=0.9),
    lambda: rmslib.RMSProp.like("tf1", lr=0.1, momentum=0.5),
    lambda: rmslib.RMSProp.like("hinton", lr=0.1),
    lambda: rmslib.Adam(lr=0.1),
]


@SETTINGS
@given(st.sampled_from(range(len(OPTIMIZERS))), shape_and_grads(max_steps=4), st.data())
def test_updates_are_pure(k, sg, data):
    opt = OPTIMIZERS[k]()
    shape, grads = sg
    params = data.draw(hnp.arrays(np.float64, shape, elements=grad_values))
    state = opt.init(params)
    for g in grads:
        before = (params.copy(), g.copy(), [None if a is None else a.copy() for a in state[1:]], state.t)
        new_params, new_state = opt.update(params, g, state)
        # Nothing the caller passed in was modified ...
        np.testing.assert_array_equal(params, before[0])
        np.testing.assert_array_equal(g, before[1])
        for a, b in zip(state[1:], before[2]):
            if a is not None:
                np.testing.assert_array_equal(a, b)
        assert state.t == before[3]
        # ... and the results share no memory with the inputs.
        for new in (new_params, *[a for a in new_state[1:] if a is not None]):
            for old in (params, g, *[a for a in state[1:] if a is not None]):
                assert not np.shares_memory(new, old)
        # Same inputs, same outputs.
        again_params, again_state = opt.update(params, g, state)
        np.testing.assert_array_equal(again_params, new_params)
        params, state = new_params, new_state


@SETTINGS
@given(shapes, st.sampled_from(["rms", "rms-centered", "rms-momentum", "rms-outside", "adagrad",
                                "adagrad-outside", "adam", "hinton"]), st.integers(1, 5))
def test_eps_zero_with_zero_accumulator_and_zero_gradient_gives_zero_update(shape, kind, n):
    opt = {
        "rms": rmslib.RMSProp(lr=0.1, eps=0.0),
        "rms-centered": rmslib.RMSProp(lr=0.1, eps=0.0, centered=True),
        "rms-momentum": rmslib.RMSProp(lr=0.1, eps=0.0, momentum=0.9),
        "rms-outside": rmslib.RMSProp(lr=0.1, eps=0.0, eps_in_sqrt=False),
        "adagrad": rmslib.Adagrad(lr=0.1, eps=0.0),
        "adagrad-outside": rmslib.Adagrad(lr=0.1, eps=0.0, eps_in_sqrt=False),
        "adam": rmslib.Adam(lr=0.1, eps=0.0),
        "hinton": rmslib.RMSProp.like("hinton", lr=0.1),
    }[kind]
    params = np.full(shape, 1.5)
    state = opt.init(params)
    with np.errstate(all="raise"):  # not even a 0/0 warning on the way
        for _ in range(n):
            new_params, state = opt.update(params, np.zeros(shape), state)
            np.testing.assert_array_equal(new_params, params)
    assert np.all(np.isfinite(state.v))


@SETTINGS
@given(shape_and_grads(max_steps=8), betas)
def test_rmsprop_v_decreases_exactly_when_g_squared_is_below_it(sg, beta):
    # v_t - v_{t-1} = (1 - beta)(g_t^2 - v_{t-1}): the sign of the change is the sign of g^2 - v.
    shape, grads = sg
    if beta == 0.0:
        beta = 0.5
    _, states = run_states(rmslib.RMSProp(lr=0.01, beta=beta), shape, grads)
    prev = np.zeros(shape)
    for g, s in zip(grads, states):
        below = g * g < prev * (1 - 1e-9)
        above = g * g > prev * (1 + 1e-9)
        assert np.all(s.v[below] < prev[below])
        assert np.all(s.v[above] > prev[above])
        prev = s.v
