"""rmslib.run, Trace and grid: shapes as in design.md, faithful records, batched runs exact."""

import re
from pathlib import Path

import numpy as np
import pytest

import rmslib
from rmslib import problems

BOWL = problems.Bowl(curvatures=(1.0, 20.0), angle=20.0)


def manual_run(opt, problem, x0, steps):
    """The loop run() is documented to perform, written out again."""
    problem.reset() if hasattr(problem, "reset") else None
    timed = problem.time_varying
    x, state = np.array(x0, dtype=float), opt.init(np.array(x0, dtype=float))
    xs, gs, vs, ls = [x], [], [], [problem.loss(x, 0) if timed else problem.loss(x)]
    for t in range(steps):
        g = problem.grad(x, t) if timed else problem.grad(x)
        x, state = opt.update(x, g, state)
        xs.append(x), gs.append(g), vs.append(state.v)
        ls.append(problem.loss(x, t + 1) if timed else problem.loss(x))
    return np.array(xs), np.array(gs), (None if vs[0] is None else np.array(vs)), np.array(ls)


@pytest.mark.parametrize("opt,adaptive", [(rmslib.GD(0.02), False), (rmslib.Momentum(0.01), False),
                                          (rmslib.Adagrad(0.3), True), (rmslib.RMSProp(0.05), True),
                                          (rmslib.Adam(0.05), True)], ids=lambda o: type(o).__name__)
def test_trace_shapes_and_contents(opt, adaptive):
    steps = 30
    tr = rmslib.run(opt, BOWL, [1.5, -1.0], steps=steps)
    assert isinstance(tr, rmslib.Trace)
    assert tr.params.shape == (steps + 1, 2)
    assert tr.loss.shape == (steps + 1,)
    assert tr.grads.shape == (steps, 2)
    assert tr.steps == steps
    assert tr.optimizer == type(opt).__name__
    assert tr.settings is None
    if adaptive:
        assert tr.v.shape == (steps, 2)
    else:
        assert tr.v is None
    xs, gs, vs, ls = manual_run(opt, BOWL, [1.5, -1.0], steps)
    np.testing.assert_array_equal(tr.params, xs)
    np.testing.assert_array_equal(tr.grads, gs)
    np.testing.assert_array_equal(tr.loss, ls)
    if adaptive:
        np.testing.assert_array_equal(tr.v, vs)
    np.testing.assert_array_equal(tr.params[0], [1.5, -1.0])
    assert tr.loss[-1] < tr.loss[0]  # each of them makes progress on the bowl


def test_run_does_not_modify_x0_and_is_repeatable():
    x0 = np.array([0.5, 0.5])
    noisy = problems.Noisy(problems.Rosenbrock(), sigma=0.3, seed=1)
    a = rmslib.run(rmslib.RMSProp(0.01), noisy, x0, steps=40)
    b = rmslib.run(rmslib.RMSProp(0.01), noisy, x0, steps=40)  # run() resets the noise
    np.testing.assert_array_equal(x0, [0.5, 0.5])
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.grads, b.grads)


def test_run_passes_the_step_to_time_varying_problems():
    sw = problems.Switching(problems.Bowl(center=(1.0, 1.0)), problems.Bowl(center=(-1.0, -1.0)), at=15)
    tr = rmslib.run(rmslib.GD(0.1), sw, [0.0, 0.0], steps=30)
    xs, gs, _, ls = manual_run(rmslib.GD(0.1), sw, [0.0, 0.0], 30)
    np.testing.assert_array_equal(tr.params, xs)
    np.testing.assert_array_equal(tr.loss, ls)
    assert tr.params[15, 0] > 0.5 and tr.params[30, 0] < 0.0  # heads for the first centre, then the second


OPTIMIZERS = {
    "GD": (rmslib.GD(0.01), dict(lr=[0.0002, 0.001, 0.0005])),
    "Momentum": (rmslib.Momentum(0.01), dict(lr=[0.0005, 0.0002, 0.0001], beta=[0.0, 0.5, 0.9])),
    "Adagrad": (rmslib.Adagrad(0.1), dict(lr=[0.05, 0.1, 0.3], v0=[0.0, 0.1, 1.0], eps=[0.0, 1e-8, 1e-3])),
    "Adagrad-torch": (rmslib.Adagrad.like("torch"), dict(lr_decay=[0.0, 0.1, 1.0], lr=[0.1, 0.2, 0.05])),
    "RMSProp": (rmslib.RMSProp(0.01), dict(lr=[0.001, 0.01, 0.05], beta=[0.0, 0.9, 0.99], eps=[0.0, 1e-8, 1e-4])),
    "RMSProp-centered-momentum": (rmslib.RMSProp(0.01, centered=True), dict(momentum=[0.0, 0.5, 0.9], lr=[0.01, 0.003, 0.001])),
    "RMSProp-torch-momentum": (rmslib.RMSProp.like("torch"), dict(momentum=[0.0, 0.9, 0.5], v0=[0.0, 0.5, 1.0])),
    "RMSProp-tf1": (rmslib.RMSProp.like("tf1", lr=0.01), dict(momentum=[0.0, 0.9, 0.5], beta=[0.8, 0.9, 0.95])),
    "Adam": (rmslib.Adam(0.01), dict(lr=[0.01, 0.001, 0.05], beta1=[0.0, 0.9, 0.5], beta2=[0.9, 0.999, 0.0])),
}

RUN_PROBLEMS = {
    "bowl": (BOWL, [1.0, 1.0]),
    "rosenbrock": (problems.Rosenbrock(), [-1.0, 1.5]),
    "sigmoid": (problems.SigmoidNeuron(), [-2.0, 2.0]),
    "sparse": (problems.SparseRegression(frequencies=(1.0, 0.2, 0.05)), [0.0, 0.0, 0.0]),
    "noisy-bowl": (problems.Noisy(BOWL, sigma=1.0, seed=3), [1.0, 1.0]),
    "minibatch": (problems.MiniBatch(problems.SparseRegression(), batch_size=10, seed=1), [0.0, 0.0]),
    "switching": (problems.Switching(BOWL, problems.Bowl(center=(1.0, -1.0)), at=10), [1.0, 1.0]),
}


@pytest.mark.parametrize("prob", RUN_PROBLEMS)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_batched_run_equals_separate_runs_exactly(name, prob):
    opt, batch = OPTIMIZERS[name]
    problem, x0 = RUN_PROBLEMS[prob]
    steps = 25
    tr = rmslib.run(opt, problem, x0, steps=steps, batch=batch)
    size = len(next(iter(batch.values())))
    assert tr.params.shape == (size, steps + 1, len(x0))
    assert tr.loss.shape == (size, steps + 1)
    assert tr.grads.shape == (size, steps, len(x0))
    assert tr.steps == steps and tr.optimizer == type(opt).__name__
    assert set(tr.settings) == set(batch)
    for i in range(size):
        one = rmslib.run(opt.replace(**{k: v[i] for k, v in batch.items()}), problem, x0, steps=steps)
        np.testing.assert_array_equal(tr.params[i], one.params)
        np.testing.assert_array_equal(tr.loss[i], one.loss)
        np.testing.assert_array_equal(tr.grads[i], one.grads)
        if one.v is None:
            assert tr.v is None
        else:
            np.testing.assert_array_equal(tr.v[i], one.v)
        for k, v in batch.items():
            assert tr.settings[k][i] == v[i]


def test_grid_order_and_batched_grid_run():
    g = rmslib.grid(lr=[0.1, 0.01], beta=[0.9, 0.99, 0.5])
    np.testing.assert_array_equal(g["lr"], [0.1, 0.1, 0.1, 0.01, 0.01, 0.01])  # first name varies slowest
    np.testing.assert_array_equal(g["beta"], [0.9, 0.99, 0.5, 0.9, 0.99, 0.5])
    np.testing.assert_array_equal(rmslib.grid(lr=0.5)["lr"], [0.5])
    problem = problems.Noisy(problems.Rosenbrock(), sigma=0.5, seed=2)
    tr = rmslib.run(rmslib.RMSProp(0.01), problem, [-1.0, 1.0], steps=20, batch=g)
    assert tr.params.shape == (6, 21, 2)
    for i in range(6):
        one = rmslib.run(rmslib.RMSProp(lr=g["lr"][i], beta=g["beta"][i]), problem, [-1.0, 1.0], steps=20)
        np.testing.assert_array_equal(tr.params[i], one.params)
        np.testing.assert_array_equal(tr.v[i], one.v)


def test_trace_is_frozen():
    tr = rmslib.run(rmslib.GD(0.1), BOWL, [1.0, 1.0], steps=2)
    with pytest.raises(Exception):
        tr.params = None


def test_rmsprop_bounces_near_the_minimum_of_a_parabola():
    # The notes: with constant lr, RMSProp does not settle; on x^2/2 the iterates end up within about lr/2.
    tr = rmslib.run(rmslib.RMSProp(lr=0.01, eps=0.0), problems.Bowl(curvatures=(1.0, 1.0)), [1.0, 1.0], steps=3000)
    tail = tr.params[-200:, 0]
    assert np.abs(tail).max() < 0.02 and np.abs(tail).max() > 0.002
    steps = np.abs(np.diff(tail))
    assert np.median(steps) == pytest.approx(0.01, rel=0.3)


# ------------------------------------------------------------------ rmslib.check

def test_check_compare_gives_one_line_of_feedback(capsys):
    def ref(a, b):
        return a * b

    cases = [(np.array([1.0, 2.0]), 3.0), (np.array([0.5]), -1.0)]
    assert rmslib.check.compare(ref, ref, cases, name="mul") is True
    assert "mul: correct on all 2 cases" in capsys.readouterr().out

    assert rmslib.check.compare(lambda a, b: a + b, ref, cases, name="mul") is False
    assert "differs from the reference on case 1 of 2" in capsys.readouterr().out

    def todo(a, b):
        raise NotImplementedError

    assert rmslib.check.compare(todo, ref, cases, name="mul") is False
    assert "not implemented yet" in capsys.readouterr().out

    def in_place(a, b):
        a *= b
        return a

    assert rmslib.check.compare(in_place, ref, cases, name="mul") is False
    assert "modified its input arrays in place" in capsys.readouterr().out
    assert rmslib.check.compare(lambda a, b: 1 / 0, ref, cases, quiet=True) is False
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------ every public name is tested

def public_names():
    """Names exported by rmslib, the problem classes and the plot module's own functions and constants."""
    import inspect
    import types

    names = set(rmslib.__all__)
    for module in (problems, rmslib.plot):
        for n, obj in vars(module).items():
            if n.startswith("_") or isinstance(obj, types.ModuleType):
                continue
            if getattr(obj, "__module__", module.__name__) == module.__name__ or not callable(obj):
                if not inspect.isclass(obj) or obj.__module__ == module.__name__:
                    names.add(n)
    names.discard("annotations")  # from __future__
    # submodules owned by other parts of the book (animations, widgets) have their own tests
    return sorted(names - {"animation", "widgets"})


def test_every_public_name_appears_in_a_test():
    import inspect

    here = Path(__file__).resolve().parent
    text = "\n".join(p.read_text() for p in here.glob("test_*.py")).replace(inspect.getsource(public_names), "")
    names = public_names()
    assert {"RMSProp", "Bowl", "trajectories", "OKABE_ITO"} <= set(names)
    missing = [n for n in names if not re.search(rf"\b{n}\b", text)]
    assert not missing, f"public names without a test: {missing}"


class _OwnParabola:
    """A reader's own problem: loss and grad only, no dim."""

    def loss(self, x):
        return float(np.sum(x**2))

    def grad(self, x):
        return 2 * x


def test_run_accepts_a_problem_without_dim():
    tr = rmslib.run(rmslib.RMSProp(lr=0.1), _OwnParabola(), np.array([[1.0, -2.0], [0.5, 3.0]]), steps=5)
    assert tr.params.shape == (6, 2, 2) and tr.v.shape == (5, 2, 2)
    same = rmslib.run(rmslib.RMSProp(lr=0.1), rmslib.problems.Bowl(curvatures=(2.0, 2.0)), [1.0, -2.0], steps=5)
    np.testing.assert_array_equal(tr.params[:, 0, :], same.params)  # the same update as on a library problem
    with pytest.raises(ValueError, match="^x0 must hold at least one value"):
        rmslib.run(rmslib.GD(0.1), _OwnParabola(), [], steps=2)
    with pytest.raises(ValueError, match="^x0 must be a 1-D array of 2 values"):
        rmslib.run(rmslib.GD(0.1), rmslib.problems.Bowl(), [1.0, 2.0, 3.0], steps=2)


def test_score_is_the_worst_loss_over_the_final_fifth():
    loss = np.array([5.0, 1.0, 0.0, 3.0, 0.5, 0.2, 0.1, 0.4, 0.05, 0.01, 0.02])   # 10 steps: window = 2 steps
    assert rmslib.score(loss) == 0.02 and rmslib.score(loss, 0.5) == 0.4 and rmslib.score(loss, 1.0) == 3.0   # the start is not a step
    tr = rmslib.run(rmslib.RMSProp(lr=0.1), rmslib.problems.Bowl(), [1.0, 1.0], steps=50,
                    batch={"lr": [0.1, 0.01]})
    np.testing.assert_array_equal(rmslib.score(tr), tr.loss[:, -10:].max(axis=1))
    with pytest.raises(ValueError, match=r"^window must be a fraction in \(0, 1\], got 0"):
        rmslib.score(loss, 0)
    with pytest.raises(ValueError, match="^trace must hold a run of at least one step"):
        rmslib.score(np.array([1.0]))
    assert rmslib.running.SCORE_WINDOW == 0.2
