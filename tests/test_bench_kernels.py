"""The fast paths behind the benchmarks give bit-for-bit the plain results.

rmslib updates large RMSProp parameter arrays block by block (to keep
temporaries in cache), checks finiteness with one summation, and stacks a
run's records without needless broadcasting. Stored chapter outputs depend on
every bit, so each fast path is compared here with ``np.array_equal`` against
a straightforward reference written from the update equations.
"""

import numpy as np
import pytest

import rmslib
from rmslib import _validate
from rmslib import optimizers as opt_mod

BLOCK = opt_mod._BLOCK


def reference_rmsprop(params, grads, v_prev, lr, beta, eps, eps_in_sqrt):
    """RMSProp written out plainly, one full-size temporary per operation."""
    v = beta * v_prev + (1.0 - beta) * (grads * grads)
    d = np.sqrt(v + eps) if eps_in_sqrt else np.sqrt(v) + eps
    return params - lr * (grads / d), v


def random_case(rng, shape):
    scale = 10.0 ** rng.uniform(-6, 3)
    params = rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 2)
    grads = rng.standard_normal(shape) * scale
    v_prev = rng.random(shape) * scale**2 * rng.choice([0.0, 1.0, 3.0])
    hyper = dict(lr=float(10.0 ** rng.uniform(-4, 0)), beta=float(rng.choice([0.0, 0.5, 0.9, 0.99, rng.random()])),
                 eps=float(rng.choice([1e-8, 1e-10, 1e-7, 10.0 ** rng.uniform(-12, -1)])),
                 eps_in_sqrt=bool(rng.integers(2)))
    return params, grads, v_prev, hyper


SHAPES = [(3,), (BLOCK - 1,), (BLOCK,), (BLOCK + 1,), (3 * BLOCK + 17,), (257, 301), (2, BLOCK // 2 + 5, 3)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_rmsprop_update_bit_identical_to_reference(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(4):
        params, grads, v_prev, hyper = random_case(rng, shape)
        opt = rmslib.RMSProp(**hyper)
        state = rmslib.State(t=3, v=v_prev)
        copies = [a.copy() for a in (params, grads, v_prev)]
        new_params, new_state = opt.update(params, grads, state)
        ref_params, ref_v = reference_rmsprop(params, grads, v_prev, **hyper)
        assert np.array_equal(new_params, ref_params), hyper
        assert np.array_equal(new_state.v, ref_v), hyper
        assert new_state.t == 4 and new_state.m is None and new_state.buf is None
        # pure at its interface: inputs untouched, outputs are new arrays
        for before, after in zip(copies, (params, grads, v_prev)):
            assert np.array_equal(before, after)
        assert not np.shares_memory(new_params, params) and not np.shares_memory(new_state.v, v_prev)


def test_blocked_kernel_is_used_and_matches_on_odd_layouts():
    """Fortran-ordered params and strided (non-contiguous) grads give the same bits."""
    rng = np.random.default_rng(7)
    n = 2 * BLOCK + 3
    params = np.asfortranarray(rng.standard_normal((n // 3 + 1, 3)))
    grads = rng.standard_normal((n // 3 + 1, 6))[:, ::2]
    v_prev = rng.random(params.shape)
    assert not grads.flags.c_contiguous and not params.flags.c_contiguous
    hyper = dict(lr=0.003, beta=0.95, eps=1e-8, eps_in_sqrt=False)
    opt = rmslib.RMSProp(**hyper)
    assert opt._blockable
    new_params, state = opt.update(params, grads, rmslib.State(t=0, v=v_prev))
    ref_params, ref_v = reference_rmsprop(params, grads, v_prev, **hyper)
    assert np.array_equal(new_params, ref_params) and np.array_equal(state.v, ref_v)
    direct = opt_mod._rmsprop_blocked(params, grads, v_prev, 0.003, 0.95, 1e-8, False)
    assert np.array_equal(direct[0], ref_params) and np.array_equal(direct[1], ref_v)


@pytest.mark.parametrize("kwargs", [dict(momentum=0.9), dict(centered=True), dict(lr_in_buffer=True),
                                    dict(eps=0.0)], ids=str)
def test_other_rmsprop_variants_do_not_take_the_blocked_path(kwargs):
    assert not rmslib.RMSProp(**kwargs)._blockable
    assert not rmslib.RMSProp(lr=np.array([[0.1], [0.01]]))._blockable  # a batched sweep


def test_eps_zero_large_array_keeps_zero_step_where_nothing_accumulated():
    n = BLOCK + 5
    grads = np.zeros(n)
    grads[::7] = 1.0
    opt = rmslib.RMSProp(eps=0.0)
    params, state = opt.update(np.ones(n), grads, opt.init(np.ones(n)))
    assert np.all(np.isfinite(params)) and np.array_equal(params[1::7], np.ones(len(params[1::7])))


@pytest.mark.parametrize("size", [1, 5, _validate._TINY, _validate._TINY + 1, _validate._SUM_CHECK_SIZE - 1,
                                  _validate._SUM_CHECK_SIZE, 50_000])
def test_all_finite_agrees_with_isfinite(size):
    rng = np.random.default_rng(size)
    base = rng.standard_normal(size)
    cases = [base, base * 1e300]  # the second overflows its sum while every entry is finite
    for bad in (np.inf, -np.inf, np.nan):
        for _ in range(3):
            a = base.copy()
            a[rng.integers(size)] = bad
            cases.append(a)
    big = np.full(size, 1.5e308)
    big[::2] *= -1
    cases.append(big)
    cases += [a.reshape(-1, 1) for a in cases[:3]] + [np.array(v) for v in (0.5, np.inf, np.nan, -1e308)]
    for a in cases:
        with np.errstate(all="raise"):  # the check itself must not warn on overflow
            assert _validate.all_finite(a) == bool(np.isfinite(a).all())


def test_run_trace_equals_a_plain_loop():
    """run's records (after the stacking shortcut) are exactly the updates one by one."""
    problem = rmslib.problems.Bowl((1.0, 20.0), angle=30.0)
    x0 = np.array([-4.0, 2.0])
    opt = rmslib.RMSProp(lr=0.05, beta=0.9)
    trace = rmslib.run(opt, problem, x0, steps=60)
    x, state = x0.copy(), opt.init(x0)
    xs, gs, vs = [x], [], []
    for _ in range(60):
        g = problem.grad(x)
        x, state = opt.update(x, g, state)
        xs.append(x), gs.append(g), vs.append(state.v)
    assert np.array_equal(trace.params, np.array(xs))
    assert np.array_equal(trace.grads, np.array(gs))
    assert np.array_equal(trace.v, np.array(vs))
    assert np.array_equal(trace.loss, np.array([problem.loss(p) for p in xs]))


def test_batched_run_equals_separate_runs():
    problem = rmslib.problems.Rosenbrock()
    x0 = np.array([-1.0, 1.5])
    batch = rmslib.grid(lr=[1e-3, 3e-3], beta=[0.5, 0.9, 0.99])
    trace = rmslib.run(rmslib.RMSProp(), problem, x0, steps=80, batch=batch)
    for i, (lr, beta) in enumerate(zip(batch["lr"], batch["beta"])):
        one = rmslib.run(rmslib.RMSProp(lr=lr, beta=beta), problem, x0, steps=80)
        assert np.array_equal(trace.params[i], one.params)
        assert np.array_equal(trace.v[i], one.v)
        assert np.array_equal(trace.loss[i], one.loss)
