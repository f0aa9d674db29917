"""The neural-network problem (rmslib/network.py): backpropagation, data, batching, errors."""

import numpy as np
import pytest

import rmslib
from rmslib import problems
from rmslib.network import MLP, load_digits


def small_net(seed=0, n=12, features=5, hidden=4, classes=3):
    rng = np.random.default_rng(seed)
    return problems.MLP(rng.normal(size=(n, features)), rng.integers(classes, size=n), hidden=hidden,
                        classes=classes)


def numeric_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backpropagation_matches_finite_differences(seed):
    net = small_net(seed)
    x = net.start(seed) + np.random.default_rng(seed + 10).normal(scale=0.3, size=net.dim)  # non-zero biases
    np.testing.assert_allclose(net.grad(x), numeric_grad(net.loss, x), rtol=1e-6, atol=1e-9)
    rows = np.array([3, 0, 7])
    np.testing.assert_allclose(net.grad(x, rows), numeric_grad(lambda z: net.loss(z, rows), x),
                               rtol=1e-6, atol=1e-9)


def test_dim_layout_unpack_and_start():
    net = small_net()
    assert net.dim == 5 * 4 + 4 + 4 * 3 + 3 and net.n_samples == 12
    x = np.arange(net.dim, dtype=float)
    w1, b1, w2, b2 = net.unpack(x)
    assert w1.shape == (5, 4) and b1.shape == (4,) and w2.shape == (4, 3) and b2.shape == (3,)
    assert w1[0, 1] == 1 and b1[0] == 20 and w2[0, 0] == 24 and b2[-1] == net.dim - 1
    assert np.array_equal(net.start(3), net.start(3)) and not np.array_equal(net.start(3), net.start(4))
    assert np.all(net.unpack(net.start(0))[1] == 0)
    assert repr(net) == "MLP(5-4-3, n_samples=12)"


def test_loss_at_zero_is_log_classes_and_accuracy():
    net = small_net()
    assert net.loss(np.zeros(net.dim)) == pytest.approx(np.log(3))
    x = net.start(0)
    acc = net.accuracy(x)
    assert 0 <= acc <= 1
    assert net.accuracy(x, net.X, net.y) == acc
    assert net.accuracy(x, net.X[:2], net.y[:2]) in (0.0, 0.5, 1.0)


def test_batched_parameters_give_exactly_the_separate_results():
    net = small_net()
    xs = np.stack([net.start(s) for s in range(3)])
    for i in range(3):
        assert net.loss(xs)[i] == net.loss(xs[i])
        np.testing.assert_array_equal(net.grad(xs)[i], net.grad(xs[i]))
        np.testing.assert_array_equal(net.grad(xs, [1, 2])[i], net.grad(xs[i], [1, 2]))
    assert net.accuracy(xs).shape == (3,)


def test_minibatch_training_batched_equals_separate_runs():
    net = small_net(n=30)
    mb = problems.MiniBatch(net, 5, seed=1)
    lrs = [0.01, 0.1]
    tr = rmslib.run(rmslib.RMSProp(), mb, net.start(0), steps=20, batch={"lr": lrs})
    for i, lr in enumerate(lrs):
        one = rmslib.run(rmslib.RMSProp(lr=lr), mb, net.start(0), steps=20)
        np.testing.assert_array_equal(tr.params[i], one.params)
        np.testing.assert_array_equal(tr.loss[i], one.loss)
    assert tr.loss[1, -1] < tr.loss[1, 0]  # it learns


def test_load_digits_from_the_package_data():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and X.min() == 0 and X.max() == 16
    assert np.array_equal(np.unique(y), np.arange(10)) and np.bincount(y).min() > 170
    assert problems.load_digits is load_digits and problems.MLP is MLP
    net = problems.MLP(X / 16, y)
    assert net.classes == 10 and net.dim == 64 * 16 + 16 + 16 * 10 + 10


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(X=np.ones(4), y=[0, 1, 0, 1]), ValueError, "X must"),
    (dict(X=np.ones((0, 3)), y=[]), ValueError, "X must"),
    (dict(X=[[1.0, np.nan]], y=[0]), ValueError, "X must"),
    (dict(X="abc", y=[0]), TypeError, "X must"),
    (dict(X=np.ones((3, 2)), y=[0, 1]), ValueError, "y must"),
    (dict(X=np.ones((2, 2)), y=[0.0, 1.0]), ValueError, "y must"),
    (dict(X=np.ones((2, 2)), y=[0, -1]), ValueError, "y must"),
    (dict(X=np.ones((2, 2)), y=[0, 3], classes=2), ValueError, "y must"),
    (dict(X=np.ones((2, 2)), y=[0, 1], hidden=0), ValueError, "hidden must"),
    (dict(X=np.ones((2, 2)), y=[0, 1], hidden=2.5), TypeError, "hidden must"),
    (dict(X=np.ones((2, 2)), y=[0, 1], classes=0), ValueError, "classes must"),
])
def test_bad_input_names_the_argument(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        problems.MLP(**kwargs)


def test_bad_parameters_seed_and_test_data_are_refused():
    net = small_net()
    with pytest.raises(ValueError, match="x must have"):
        net.loss(np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        net.grad(np.full(net.dim, np.inf))
    with pytest.raises(TypeError, match="seed"):
        net.start(1.5)
    with pytest.raises(ValueError, match="X and y"):
        net.accuracy(net.start(0), X=net.X)
    with pytest.raises(ValueError, match="X must have shape"):
        net.accuracy(net.start(0), np.ones((2, 3)), [0, 1])
