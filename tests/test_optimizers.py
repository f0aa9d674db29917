"""Hand-checked values: the accumulators unrolled as in the notes, and first steps of every optimizer.

Every expected number here is computed in the test from the update rule
written out by hand (or is a small exact number), never taken from rmslib.
"""

import math

import numpy as np
import pytest

import rmslib
from rmslib import State


def steps(opt, params, grads):
    """Apply ``opt`` to the gradient sequence; return the list of (params, state) after each update."""
    state = opt.init(params)
    out = []
    for g in grads:
        params, state = opt.update(params, g, state)
        out.append((params, state))
    return out


# ------------------------------------------------------------ the notes' unrolled accumulators

@pytest.mark.parametrize("beta", [0.9, 0.5, 0.99])
def test_rmsprop_first_three_accumulators_unrolled_scalar(beta):
    g0, g1, g2 = 3.0, -0.5, 2.0
    out = steps(rmslib.RMSProp(lr=0.1, beta=beta), 0.0, [g0, g1, g2])
    v1, v2, v3 = (float(s.v) for _, s in out)
    # The notes' step 2 says "beta_1 = 0": a typo; from v_0 = 0 it is (1 - beta) g0^2.
    assert v1 == pytest.approx((1 - beta) * g0**2, rel=1e-15)
    assert v2 == pytest.approx((1 - beta) * (beta * g0**2 + g1**2), rel=1e-15)
    assert v3 == pytest.approx((1 - beta) * (beta**2 * g0**2 + beta * g1**2 + g2**2), rel=1e-15)


def test_rmsprop_first_three_accumulators_unrolled_array():
    beta = 0.9
    g = np.array([[1.0, -2.0, 0.0], [0.5, 0.5, -0.5], [4.0, 0.0, 1e-3]])  # rows g0, g1, g2; 3 params
    out = steps(rmslib.RMSProp(lr=0.1, beta=beta), np.zeros(3), list(g))
    g0, g1, g2 = g
    np.testing.assert_allclose(out[0][1].v, (1 - beta) * g0**2, rtol=1e-15)
    np.testing.assert_allclose(out[1][1].v, (1 - beta) * (beta * g0**2 + g1**2), rtol=1e-15)
    np.testing.assert_allclose(out[2][1].v, (1 - beta) * (beta**2 * g0**2 + beta * g1**2 + g2**2), rtol=1e-15)
    # Each parameter has its own accumulator: the third one saw 0, 0.25, 1e-6 only.
    assert out[2][1].v[2] == pytest.approx(0.1 * (0.9 * 0.25 + 1e-6), rel=1e-15)


def test_adagrad_accumulator_is_the_plain_sum_and_dominates_rmsprop():
    g = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0]])
    ada = steps(rmslib.Adagrad(lr=0.1), np.zeros(2), list(g))
    rms = steps(rmslib.RMSProp(lr=0.1, beta=0.9), np.zeros(2), list(g))
    np.testing.assert_array_equal(ada[2][1].v, np.array([1 + 9 + 1, 4 + 0.25 + 1]))
    for (_, sa), (_, sr) in zip(ada, rms):  # the notes' inequality: each weight (1-beta)beta^k <= 1
        assert np.all(sa.v >= sr.v)


# ------------------------------------------------------------ first steps, written out by hand

def test_gd_first_steps():
    out = steps(rmslib.GD(lr=0.1), np.array([1.0, -1.0]), [np.array([2.0, 4.0]), np.array([-1.0, 0.0])])
    np.testing.assert_allclose(out[0][0], [1.0 - 0.2, -1.0 - 0.4], rtol=1e-15)
    np.testing.assert_allclose(out[1][0], [0.8 + 0.1, -1.4], rtol=1e-15)
    assert out[1][1] == State(t=2)


def test_momentum_first_steps():
    # b1 = g1 = 2; theta1 = 1 - 0.1*2 = 0.8;  b2 = 0.9*2 + 1 = 2.8; theta2 = 0.8 - 0.28 = 0.52
    out = steps(rmslib.Momentum(lr=0.1, beta=0.9), np.array([1.0]), [np.array([2.0]), np.array([1.0])])
    assert out[0][0][0] == pytest.approx(0.8, rel=1e-15)
    assert out[1][1].buf[0] == pytest.approx(2.8, rel=1e-15)
    assert out[1][0][0] == pytest.approx(0.52, rel=1e-14)


def test_adagrad_first_steps():
    # v1 = 4, step = 0.1*2/sqrt(4 + 1e-8); v2 = 4 + 1 = 5, step = 0.1*(-1)/sqrt(5 + 1e-8)
    out = steps(rmslib.Adagrad(lr=0.1), np.array([0.0]), [np.array([2.0]), np.array([-1.0])])
    x1 = -0.1 * 2 / math.sqrt(4 + 1e-8)
    assert out[0][0][0] == pytest.approx(x1, rel=1e-15)
    assert out[1][0][0] == pytest.approx(x1 + 0.1 / math.sqrt(5 + 1e-8), rel=1e-14)
    # First step from v0 = 0 with negligible eps is exactly lr*sign(g), whatever |g|.
    (x, _), = steps(rmslib.Adagrad(lr=0.1, eps=0.0), np.zeros(3), [np.array([1e-4, -7.0, 1e3])])
    np.testing.assert_array_equal(x, [-0.1, 0.1, -0.1])


def test_adagrad_eps_outside_and_lr_decay():
    # torch-style: v1 = 9, step lr*3/(3 + 1e-3); second step lr/(1 + 1*0.5) * 1/(sqrt(10) + 1e-3)
    opt = rmslib.Adagrad(lr=0.2, eps=1e-3, eps_in_sqrt=False, lr_decay=0.5)
    out = steps(opt, np.array([0.0]), [np.array([3.0]), np.array([1.0])])
    x1 = -0.2 * 3 / (3 + 1e-3)
    assert out[0][0][0] == pytest.approx(x1, rel=1e-15)
    assert out[1][0][0] == pytest.approx(x1 - (0.2 / 1.5) / (math.sqrt(10) + 1e-3), rel=1e-14)


def test_rmsprop_first_steps_plain():
    # v1 = 0.1*4 = 0.4, x1 = -0.01*2/sqrt(0.4 + 1e-8); v2 = 0.36 + 0.1*1 = 0.46
    out = steps(rmslib.RMSProp(lr=0.01), np.array([0.0]), [np.array([2.0]), np.array([-1.0])])
    x1 = -0.01 * 2 / math.sqrt(0.4 + 1e-8)
    assert out[0][0][0] == pytest.approx(x1, rel=1e-15)
    assert out[1][1].v[0] == pytest.approx(0.46, rel=1e-15)
    assert out[1][0][0] == pytest.approx(x1 + 0.01 / math.sqrt(0.46 + 1e-8), rel=1e-14)


def test_rmsprop_first_steps_eps_outside_and_v0():
    # v0 = 1 (TF1-like start): v1 = 0.9 + 0.1*0.25 = 0.925, eps outside the root.
    opt = rmslib.RMSProp(lr=0.5, beta=0.9, eps=1e-4, eps_in_sqrt=False, v0=1.0)
    (x, s), = steps(opt, np.array([2.0]), [np.array([0.5])])
    assert s.v[0] == pytest.approx(0.925, rel=1e-15)
    assert x[0] == pytest.approx(2.0 - 0.5 * 0.5 / (math.sqrt(0.925) + 1e-4), rel=1e-15)


def test_rmsprop_first_steps_centered():
    # m1 = 0.1*2 = 0.2, v1 = 0.4, var = 0.4 - 0.04 = 0.36, step = 0.01*2/sqrt(0.36 + eps)
    # m2 = 0.18 + 0.1*(-1) = 0.08, v2 = 0.46, var = 0.46 - 0.0064 = 0.4536
    out = steps(rmslib.RMSProp(lr=0.01, centered=True, eps=1e-8), np.array([0.0]),
                [np.array([2.0]), np.array([-1.0])])
    x1 = -0.01 * 2 / math.sqrt(0.36 + 1e-8)
    assert out[0][1].m[0] == pytest.approx(0.2, rel=1e-15)
    assert out[0][0][0] == pytest.approx(x1, rel=1e-14)
    assert out[1][0][0] == pytest.approx(x1 + 0.01 / math.sqrt(0.4536 + 1e-8), rel=1e-13)


@pytest.mark.parametrize("lr_in_buffer", [False, True])
def test_rmsprop_first_steps_momentum(lr_in_buffer):
    # d1 = sqrt(0.4 + eps), b1 = 2/d1; d2 = sqrt(0.46 + eps), b2 = 0.5*b1 - 1/d2
    out = steps(rmslib.RMSProp(lr=0.01, momentum=0.5, lr_in_buffer=lr_in_buffer), np.array([0.0]),
                [np.array([2.0]), np.array([-1.0])])
    d1, d2 = math.sqrt(0.4 + 1e-8), math.sqrt(0.46 + 1e-8)
    b1, b2 = 2 / d1, 0.5 * (2 / d1) - 1 / d2
    scale = 0.01 if lr_in_buffer else 1.0  # Keras/TF1/optax buffer lr*g/d, PyTorch buffers g/d
    assert out[0][1].buf[0] == pytest.approx(scale * b1, rel=1e-14)
    assert out[0][0][0] == pytest.approx(-0.01 * b1, rel=1e-14)
    assert out[1][0][0] == pytest.approx(-0.01 * b1 - 0.01 * b2, rel=1e-13)


def test_adam_first_steps():
    # m1 = 0.1*2, v1 = 0.001*4: bias-corrected m_hat = 2, v_hat = 4 -> step lr*2/(2 + eps)
    # m2 = 0.9*0.2 + 0.1*(-1) = 0.08, v2 = 0.999*0.004 + 0.001 = 0.004996
    out = steps(rmslib.Adam(lr=0.001), np.array([0.0]), [np.array([2.0]), np.array([-1.0])])
    x1 = -0.001 * 2 / (2 + 1e-8)
    assert out[0][0][0] == pytest.approx(x1, rel=1e-14)
    m_hat, v_hat = 0.08 / (1 - 0.81), 0.004996 / (1 - 0.999**2)
    assert out[1][0][0] == pytest.approx(x1 - 0.001 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-12)


def test_first_rmsprop_step_is_lr_over_sqrt_one_minus_beta():
    # |step| = lr/sqrt(1-beta) for any gradient: 3.16 lr at beta 0.9, 10 lr at 0.99.
    for beta, factor in [(0.9, math.sqrt(10)), (0.99, 10.0)]:
        (x, _), = steps(rmslib.RMSProp(lr=0.01, beta=beta, eps=0.0), np.zeros(3), [np.array([1e-3, -5.0, 40.0])])
        np.testing.assert_allclose(x, [-0.01 * factor, 0.01 * factor, -0.01 * factor], rtol=1e-14)


def test_large_rmsprop_update_equals_the_update_of_its_pieces():
    # Large arrays take a different (blocked) code path; it must give the very same numbers.
    rng = np.random.default_rng(0)
    n = 70_001
    params, grads = rng.normal(size=n), rng.normal(size=n) * 10.0 ** rng.uniform(-3, 2, size=n)
    for opt in (rmslib.RMSProp(lr=0.01), rmslib.RMSProp.like("torch")):
        state = opt.init(params)._replace(v=rng.random(n))
        new_p, new_s = opt.update(params, grads, state)
        cuts = [0, 1000, 31_000, 50_000, n]
        pieces = [opt.update(params[a:b], grads[a:b], State(t=0, v=state.v[a:b])) for a, b in zip(cuts, cuts[1:])]
        np.testing.assert_array_equal(new_p, np.concatenate([p for p, _ in pieces]))
        np.testing.assert_array_equal(new_s.v, np.concatenate([s.v for _, s in pieces]))
        v = opt.beta * state.v + (1 - opt.beta) * grads**2
        d = np.sqrt(v + opt.eps) if opt.eps_in_sqrt else np.sqrt(v) + opt.eps
        np.testing.assert_allclose(new_p, params - opt.lr * grads / d, rtol=1e-14, atol=1e-16)


# ------------------------------------------------------------ the Optimizer / State surface

def test_state_fields_after_init():
    p = np.zeros((2, 3))
    assert rmslib.GD(0.1).init(p) == State(t=0)
    s = rmslib.RMSProp(lr=0.1, centered=True, momentum=0.9).init(p)
    assert s.t == 0 and s.v.shape == s.m.shape == s.buf.shape == (2, 3)
    assert rmslib.RMSProp(lr=0.1).init(p).m is None and rmslib.RMSProp(lr=0.1).init(p).buf is None
    np.testing.assert_array_equal(rmslib.Adagrad(0.1, v0=0.1).init(p).v, np.full((2, 3), 0.1))
    assert isinstance(rmslib.Adam(0.1).init(p), State)


def test_optimizer_replace_repr_and_hyperparameters():
    opt = rmslib.RMSProp(lr=0.1, beta=0.8)
    other = opt.replace(lr=0.2)
    assert (other.lr, other.beta, opt.lr) == (0.2, 0.8, 0.1)
    assert isinstance(other, rmslib.Optimizer) and type(other) is rmslib.RMSProp
    assert opt.hyperparameters["beta"] == 0.8 and set(opt.hyperparameters) >= {"lr", "beta", "eps", "v0"}
    assert repr(rmslib.GD(0.5)) == "GD(lr=0.5)"
    assert "beta=0.8" in repr(opt)
    with pytest.raises(TypeError, match="rho"):
        opt.replace(rho=0.9)
    with pytest.raises(ValueError, match="lr"):
        opt.replace(lr=-1.0)
