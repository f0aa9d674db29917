"""rmslib.problems: gradients against finite differences, minima, batching, seeded noise."""

import numpy as np
import pytest

from rmslib import problems

PROBLEMS = {
    "bowl": problems.Bowl(),
    "bowl-rotated": problems.Bowl(curvatures=(0.5, 30.0), angle=35.0, center=(1.0, -2.0)),
    "rosenbrock": problems.Rosenbrock(),
    "rosenbrock-a": problems.Rosenbrock(a=-0.5, b=10.0),
    "sigmoid": problems.SigmoidNeuron(),
    "sigmoid-data": problems.SigmoidNeuron(xs=(-1.0, 0.3, 2.0, 4.0), ys=(0.1, 0.4, 0.5, 0.95)),
    "sparse": problems.SparseRegression(),
    "sparse-4": problems.SparseRegression(n_samples=300, frequencies=(1.0, 0.5, 0.1, 0.02), true_w=(1, -2, 3, 0.5),
                                          noise=0.1, seed=3),
    "noiseless": problems.Noisy(problems.Rosenbrock(), sigma=0.0),
}


def central_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[i] = h
        g[..., i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def points(problem, n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2.0, 2.0, size=(n, problem.dim))


@pytest.mark.parametrize("name", PROBLEMS)
def test_grad_matches_central_difference_of_loss(name):
    p = PROBLEMS[name]
    for x in points(p, 15, seed=1):
        fd = central_difference(p.loss, x)
        np.testing.assert_allclose(p.grad(x), fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max()))


@pytest.mark.parametrize("name", PROBLEMS)
def test_batched_evaluation_equals_one_at_a_time_exactly(name):
    p = PROBLEMS[name]
    xs = points(p, 24, seed=2).reshape(2, 3, 4, p.dim)
    g, f = p.grad(xs), p.loss(xs)
    assert g.shape == xs.shape and f.shape == xs.shape[:-1]
    for idx in np.ndindex(xs.shape[:-1]):
        np.testing.assert_array_equal(g[idx], p.grad(xs[idx]))
        assert f[idx] == p.loss(xs[idx])
    # and the batched finite difference agrees with the batched gradient
    np.testing.assert_allclose(g, central_difference(p.loss, xs), rtol=1e-5, atol=1e-5 * max(1.0, np.abs(g).max()))


@pytest.mark.parametrize("name", [n for n in PROBLEMS if PROBLEMS[n].minimum is not None])
def test_minimum_is_a_minimum(name):
    p = PROBLEMS[name]
    m = p.minimum
    assert m.shape == (p.dim,)
    scale = max(1.0, np.abs(p.grad(np.zeros(p.dim))).max())
    np.testing.assert_allclose(p.grad(m), 0.0, atol=1e-10 * scale)
    # no nearby point is lower
    rng = np.random.default_rng(4)
    for d in rng.normal(size=(50, p.dim)) * 1e-3:
        assert p.loss(m + d) >= p.loss(m) - 1e-15


def test_known_minima():
    np.testing.assert_array_equal(problems.Bowl(center=(3.0, -1.0)).minimum, [3.0, -1.0])
    np.testing.assert_array_equal(problems.Rosenbrock(a=2.0).minimum, [2.0, 4.0])
    assert problems.Rosenbrock().loss([1.0, 1.0]) == 0.0
    sig = problems.SigmoidNeuron()
    assert sig.loss(sig.minimum) == pytest.approx(0.0, abs=1e-28)  # the two points are fitted exactly
    assert problems.SigmoidNeuron(xs=(1.0, 1.0), ys=(0.2, 0.3)).minimum is None


def test_bowl_curvatures_and_rotation():
    b = problems.Bowl(curvatures=(1.0, 20.0))
    np.testing.assert_allclose(b.grad([1.0, 1.0]), [1.0, 20.0])  # each coordinate: a_i (x_i - c_i)
    r = problems.Bowl(curvatures=(1.0, 20.0), angle=90.0)
    np.testing.assert_allclose(r.grad([1.0, 1.0]), [20.0, 1.0], atol=1e-13)  # axes swapped
    np.testing.assert_allclose(np.linalg.eigvalsh(problems.Bowl(curvatures=(2.0, 5.0), angle=30.0).hessian), [2.0, 5.0])
    assert "angle=90.0" in repr(r)


def test_sparse_regression_structure():
    p = problems.SparseRegression(n_samples=400, frequencies=(1.0, 0.05), seed=0)
    active = (p.X != 0).mean(axis=0)
    assert active[0] == 1.0 and 0.0 < active[1] < 0.15  # the rare feature is rare, but present
    np.testing.assert_allclose(p.minimum, [1.0, 1.0], atol=1e-12)  # noise-free: recovers true_w
    full = p.grad(np.zeros(2))
    np.testing.assert_array_equal(p.grad(np.zeros(2), rows=np.arange(400)), full)
    # the same seed gives the same data, another seed other data
    np.testing.assert_array_equal(problems.SparseRegression(seed=5).X, problems.SparseRegression(seed=5).X)
    assert not np.array_equal(problems.SparseRegression(seed=5).X, problems.SparseRegression(seed=6).X)


def test_noisy_reset_is_deterministic_and_noise_has_the_right_size():
    base = problems.Bowl()
    p = problems.Noisy(base, sigma=0.5, seed=7)
    x = np.array([1.0, -1.0])
    first = np.array([p.grad(x) for _ in range(2000)])
    p.reset()
    again = np.array([p.grad(x) for _ in range(2000)])
    np.testing.assert_array_equal(first, again)
    noise = first - base.grad(x)
    assert abs(noise.mean()) < 5 * 0.5 / np.sqrt(4000)
    assert noise.std() == pytest.approx(0.5, rel=0.05)
    other = problems.Noisy(base, sigma=0.5, seed=8)
    assert not np.array_equal(other.grad(x), first[0])
    assert p.loss(x) == base.loss(x)  # the loss is the noise-free one
    assert p.dim == 2 and p.minimum is base.minimum
    np.testing.assert_array_equal(problems.Noisy(base, sigma=0.0).grad(x), base.grad(x))
    assert "sigma=0.5" in repr(p) and "seed=7" in repr(p)


def test_noisy_batched_rows_share_the_noise():
    p = problems.Noisy(problems.Bowl(), sigma=1.0, seed=0)
    xs = np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    g = p.grad(xs)
    np.testing.assert_array_equal(g[0], g[1])
    np.testing.assert_array_equal(g[0] - g[2], problems.Bowl().grad(xs[0]))


def test_minibatch_reset_and_unbiasedness():
    data = problems.SparseRegression(n_samples=60, frequencies=(1.0, 0.3), seed=1)
    mb = problems.MiniBatch(data, batch_size=6, seed=2)
    x = np.array([0.3, -0.2])
    first = np.array([mb.grad(x) for _ in range(500)])
    mb.reset()
    np.testing.assert_array_equal(first, np.array([mb.grad(x) for _ in range(500)]))
    assert len({tuple(r) for r in first}) > 100  # really different batches
    full = data.grad(x)
    np.testing.assert_allclose(first.mean(axis=0), full, atol=0.1 * np.abs(full).max())
    whole = problems.MiniBatch(data, batch_size=60)
    np.testing.assert_allclose(whole.grad(x), full, rtol=1e-13)  # all rows: the full gradient
    assert mb.loss(x) == data.loss(x) and mb.dim == 2
    np.testing.assert_array_equal(mb.minimum, data.minimum)
    # a noisy mini-batch problem resets both generators
    both = problems.Noisy(problems.MiniBatch(data, batch_size=6, seed=2), sigma=0.1, seed=3)
    a = [both.grad(x) for _ in range(5)]
    both.reset()
    np.testing.assert_array_equal(a, [both.grad(x) for _ in range(5)])


def test_switching_changes_objective_at_the_given_step():
    first, second = problems.Bowl(center=(1.0, 1.0)), problems.Bowl(center=(-1.0, 2.0))
    sw = problems.Switching(first, second, at=10)
    x = np.array([0.5, 0.5])
    assert sw.time_varying is True
    for t in (0, 5, 9):
        np.testing.assert_array_equal(sw.grad(x, t), first.grad(x))
        assert sw.loss(x, t) == first.loss(x)
    for t in (10, 11, 500):
        np.testing.assert_array_equal(sw.grad(x, t), second.grad(x))
        assert sw.loss(x, t) == second.loss(x)
    np.testing.assert_array_equal(sw.minimum, second.minimum)
    assert sw.dim == 2


def test_problem_base_class():
    assert issubclass(problems.Bowl, problems.Problem)
    assert problems.Problem.time_varying is False
    assert repr(problems.Rosenbrock()) == "Rosenbrock()"
