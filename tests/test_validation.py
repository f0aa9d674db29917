"""Bad input gets a ValueError or TypeError whose message names the argument and the allowed range."""

import re

import numpy as np
import pytest

import rmslib
from rmslib import State, problems

LR_RANGE = re.escape("(0, inf)")
UNIT_RANGE = re.escape("[0, 1)")
NONNEG_RANGE = re.escape("[0, inf)")

CONSTRUCTORS = {
    "GD": lambda **kw: rmslib.GD(**{"lr": 0.1, **kw}),
    "Momentum": lambda **kw: rmslib.Momentum(**{"lr": 0.1, **kw}),
    "Adagrad": lambda **kw: rmslib.Adagrad(**{"lr": 0.1, **kw}),
    "RMSProp": lambda **kw: rmslib.RMSProp(**kw),
    "Adam": lambda **kw: rmslib.Adam(**kw),
    "RMSProp.like(torch)": lambda **kw: rmslib.RMSProp.like("torch", **kw),
    "RMSProp.like(tf1)": lambda **kw: rmslib.RMSProp.like("tf1", **{"lr": 0.1, **kw}),
    "Adagrad.like(keras)": lambda **kw: rmslib.Adagrad.like("keras", **kw),
    "Adagrad.like(optax)": lambda **kw: rmslib.Adagrad.like("optax", **{"lr": 0.1, **kw}),
}

# (constructors that have the argument, argument, bad values, allowed range in the message)
RANGE_CASES = [
    (list(CONSTRUCTORS), "lr", [0.0, -0.1, -np.inf], LR_RANGE),
    (["Momentum", "RMSProp", "RMSProp.like(torch)", "RMSProp.like(tf1)"], "beta", [1.0, -0.1, 1.5], UNIT_RANGE),
    (["Adam"], "beta1", [1.0, -0.5], UNIT_RANGE),
    (["Adam"], "beta2", [1.0, -1e-9], UNIT_RANGE),
    (["Adagrad", "RMSProp", "Adam", "RMSProp.like(torch)", "Adagrad.like(keras)"], "eps", [-1e-8, -1.0], NONNEG_RANGE),
    (["RMSProp", "RMSProp.like(torch)", "RMSProp.like(tf1)"], "momentum", [1.0, -0.1, 2.0], UNIT_RANGE),
    (["Adagrad", "RMSProp", "Adagrad.like(optax)"], "v0", [-0.1], NONNEG_RANGE),
    (["Adagrad", "Adagrad.like(keras)"], "lr_decay", [-0.01], NONNEG_RANGE),
]


@pytest.mark.parametrize(
    "ctor,arg,bad,allowed",
    [(c, a, b, r) for cs, a, bads, r in RANGE_CASES for c in cs for b in bads],
    ids=lambda x: x if isinstance(x, str) else repr(x))
def test_out_of_range_hyperparameters_name_argument_and_range(ctor, arg, bad, allowed):
    if bad == -np.inf:
        with pytest.raises(ValueError, match=rf"^{arg} must be finite"):
            CONSTRUCTORS[ctor](**{arg: bad})
        return
    with pytest.raises(ValueError, match=rf"^{arg} must be in {allowed}, got"):
        CONSTRUCTORS[ctor](**{arg: bad})


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("arg", ["lr", "beta", "eps", "momentum", "v0"])
def test_non_finite_hyperparameters(arg, bad):
    with pytest.raises(ValueError, match=rf"^{arg} must be finite"):
        rmslib.RMSProp(**{arg: bad})


@pytest.mark.parametrize("bad", ["0.1", None, True, [], 1j, {"a": 1}])
@pytest.mark.parametrize("arg", ["lr", "beta", "eps"])
def test_hyperparameters_of_the_wrong_kind_are_type_errors(arg, bad):
    with pytest.raises(TypeError, match=rf"^{arg} must be a real number"):
        rmslib.RMSProp(**{arg: bad})


@pytest.mark.parametrize("arg", ["eps_in_sqrt", "centered", "lr_in_buffer"])
@pytest.mark.parametrize("bad", [1, 0.0, "yes", None])
def test_flags_must_be_booleans(arg, bad):
    with pytest.raises(TypeError, match=rf"^{arg} must be True or False"):
        rmslib.RMSProp(**{arg: bad})


def test_boundary_values_are_accepted():
    rmslib.RMSProp(lr=1e-300, beta=0.0, eps=0.0, momentum=0.0, v0=0.0)
    rmslib.RMSProp(lr=1e6, beta=np.nextafter(1.0, 0.0), momentum=0.999999)
    rmslib.Adam(lr=1.0, beta1=0.0, beta2=0.0, eps=0.0)
    rmslib.Momentum(lr=2.0, beta=0.0)
    rmslib.RMSProp(lr=np.float32(0.5), beta=np.int64(0))


def test_huge_integers_are_rejected_as_not_finite():
    with pytest.raises(ValueError, match="^lr must be finite"):
        rmslib.GD(lr=10**400)


# ------------------------------------------------------------------ update()

ALL = [rmslib.GD(0.1), rmslib.Momentum(0.1), rmslib.Adagrad(0.1), rmslib.RMSProp(0.1),
       rmslib.RMSProp(0.1, centered=True, momentum=0.9), rmslib.Adam(0.1)]
ids = [repr(o) for o in ALL]


@pytest.mark.parametrize("opt", ALL, ids=ids)
def test_update_rejects_shape_mismatch(opt):
    params = np.zeros((2, 3))
    with pytest.raises(ValueError, match=re.escape("grads must have the shape of params (2, 3), got (3, 2)")):
        opt.update(params, np.zeros((3, 2)), opt.init(params))
    with pytest.raises(ValueError, match=re.escape("grads must have the shape of params (2, 3), got (3,)")):
        opt.update(params, np.zeros(3), opt.init(params))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("opt", ALL, ids=ids)
def test_update_rejects_non_finite_grads(opt, bad):
    params = np.zeros(3)
    g = np.array([1.0, bad, 0.0])
    with pytest.raises(ValueError, match="grads must contain only finite values"):
        opt.update(params, g, opt.init(params))
    with pytest.raises(ValueError, match="grads must contain only finite values"):
        opt.update(params, list(g), opt.init(params))


@pytest.mark.parametrize("opt", ALL, ids=ids)
def test_update_rejects_bad_params_and_state(opt):
    state = opt.init(np.zeros(3))
    with pytest.raises(ValueError, match="params must contain only finite values"):
        opt.update([0.0, np.nan, 0.0], np.zeros(3), state)
    with pytest.raises(TypeError, match="params must be a float array"):
        opt.update("abc", np.zeros(3), state)
    with pytest.raises(TypeError, match="grads must be a float array"):
        opt.update(np.zeros(3), np.array([1j, 0, 0]), state)  # not silently dropping the imaginary part
    with pytest.raises(TypeError, match="^state must be the State"):
        opt.update(np.zeros(3), np.zeros(3), {"t": 0})
    if not isinstance(opt, rmslib.GD):  # optimizers that keep arrays in their state
        with pytest.raises(ValueError, match=re.escape("state.") + ".* has shape"):
            opt.update(np.zeros(4), np.zeros(4), state)
        with pytest.raises(TypeError, match="^state has no"):
            opt.update(np.zeros(3), np.zeros(3), State(t=0))


def test_momentum_rmsprop_refuses_a_state_without_buffer():
    # Silently skipping the momentum buffer would give a different optimizer.
    plain = rmslib.RMSProp(0.1).init(np.zeros(2))
    with pytest.raises(TypeError, match="^state has no buf"):
        rmslib.RMSProp(0.1, momentum=0.9).update(np.zeros(2), np.ones(2), plain)


def test_init_rejects_bad_params():
    opt = rmslib.RMSProp(0.1)
    with pytest.raises(ValueError, match="params must contain only finite values"):
        opt.init(np.array([np.inf]))
    with pytest.raises(TypeError, match="params must be a float array"):
        opt.init(None)
    with pytest.raises(TypeError, match="params must be a float array"):
        opt.init([[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="params must contain only finite values"):
        opt.init([10**400])


def test_overflow_is_an_error_not_a_silent_inf():
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="the update overflowed"):
        rmslib.GD(lr=1e300).update(np.ones(2), np.full(2, 1e10), State(t=0))
    for opt in (rmslib.RMSProp(0.1), rmslib.Adagrad(0.1), rmslib.Adam(0.1)):
        with np.errstate(over="ignore"), pytest.raises(ValueError, match="^grads are too large"):
            opt.update(np.zeros(2), np.full(2, 1e200), opt.init(np.zeros(2)))


def test_hyperparameter_arrays_must_fit_params():
    opt = rmslib.GD(lr=np.array([[0.1], [0.2]]))
    with pytest.raises(ValueError, match="hyperparameter arrays must broadcast"):
        opt.update(np.zeros(3), np.ones(3), opt.init(np.zeros(3)))
    new, _ = opt.update(np.zeros((2, 3)), np.ones((2, 3)), opt.init(np.zeros((2, 3))))
    np.testing.assert_array_equal(new, [[-0.1] * 3, [-0.2] * 3])


# ------------------------------------------------------------------ presets

@pytest.mark.parametrize("cls,names", [(rmslib.RMSProp, "'torch', 'keras', 'tf1', 'optax', 'hinton'"),
                                       (rmslib.Adagrad, "'torch', 'keras', 'tf1', 'optax'")])
@pytest.mark.parametrize("library", ["pytorch", "Torch", "", None, 3, ["torch"]])
def test_unknown_preset_names_the_library_argument(cls, names, library):
    with pytest.raises(ValueError, match=rf"^library must be one of {re.escape(names)} for {cls.__name__}\.like"):
        cls.like(library)


def test_hinton_is_not_an_adagrad_preset():
    with pytest.raises(ValueError, match="^library must be one of"):
        rmslib.Adagrad.like("hinton")


@pytest.mark.parametrize("make", [lambda: rmslib.RMSProp.like("tf1"), lambda: rmslib.RMSProp.like("optax"),
                                  lambda: rmslib.RMSProp.like("hinton"), lambda: rmslib.Adagrad.like("tf1"),
                                  lambda: rmslib.Adagrad.like("optax")])
def test_presets_without_default_lr_require_lr(make):
    with pytest.raises(TypeError, match=r"^lr is required for .*that library has no default learning rate"):
        make()


@pytest.mark.parametrize("v0", [0.0, -0.1])
def test_tf1_adagrad_needs_positive_initial_accumulator(v0):
    with pytest.raises(ValueError, match=r"^v0 must be > 0 for Adagrad.like\('tf1'\)"):
        rmslib.Adagrad.like("tf1", lr=0.1, v0=v0)
    rmslib.Adagrad(lr=0.1, v0=v0 if v0 >= 0 else 0.0)  # a plain Adagrad may start from 0


def test_tf1_adagrad_v0_of_the_wrong_kind():
    with pytest.raises(TypeError, match="^v0 must be a real number"):
        rmslib.Adagrad.like("tf1", lr=0.1, v0="0.1")
    with pytest.raises(ValueError, match="^v0 must be finite"):
        rmslib.Adagrad.like("tf1", lr=0.1, v0=np.nan)


def test_preset_rejects_unknown_override():
    with pytest.raises(TypeError, match="rho"):
        rmslib.RMSProp.like("keras", rho=0.9)


# ------------------------------------------------------------------ run() and grid()

BOWL = problems.Bowl()


@pytest.mark.parametrize("steps,exc,msg", [(0, ValueError, "^steps must be >= 1"), (-5, ValueError, "^steps must be >= 1"),
                                           (1.5, TypeError, "^steps must be a positive integer"),
                                           (10.0, TypeError, "^steps must be a positive integer"),
                                           (True, TypeError, "^steps must be a positive integer"),
                                           ("10", TypeError, "^steps must be a positive integer")])
def test_run_steps(steps, exc, msg):
    with pytest.raises(exc, match=msg):
        rmslib.run(rmslib.GD(0.1), BOWL, [1.0, 1.0], steps=steps)


@pytest.mark.parametrize("x0", [[1.0], [1.0, 2.0, 3.0], [[1.0, 2.0]], 1.0, np.zeros((2, 2))])
def test_run_x0_shape(x0):
    with pytest.raises(ValueError, match=r"^x0 must be a 1-D array of 2 values for Bowl\(.*got shape"):
        rmslib.run(rmslib.GD(0.1), BOWL, x0, steps=3)


def test_run_x0_values_and_kind():
    with pytest.raises(ValueError, match="^x0 must contain only finite values"):
        rmslib.run(rmslib.GD(0.1), BOWL, [np.nan, 1.0], steps=3)
    with pytest.raises(TypeError, match="^x0 must be a float array"):
        rmslib.run(rmslib.GD(0.1), BOWL, "ab", steps=3)


def test_run_opt_and_problem_kinds():
    with pytest.raises(TypeError, match="^opt must be an rmslib optimizer"):
        rmslib.run("rmsprop", BOWL, [1.0, 1.0], steps=3)
    with pytest.raises(TypeError, match=r"^problem must have loss\(x\) and grad\(x\)"):
        rmslib.run(rmslib.GD(0.1), lambda x: x, [1.0, 1.0], steps=3)


@pytest.mark.parametrize("batch,exc,msg", [
    ([0.1, 0.2], TypeError, "^batch must be a non-empty dict"),
    ({}, TypeError, "^batch must be a non-empty dict"),
    ({"lr": []}, ValueError, re.escape("batch['lr'] must be a non-empty 1-D array, got shape (0,)")),
    ({"lr": [[0.1, 0.2]]}, ValueError, re.escape("batch['lr'] must be a non-empty 1-D array, got shape (1, 2)")),
    ({"lr": 0.1}, ValueError, re.escape("batch['lr'] must be a non-empty 1-D array, got shape ()")),
    ({"lr": [0.1, 0.2], "beta": [0.9]}, ValueError, r"^batch arrays must all have the same length, got \[1, 2\]"),
    ({"lr": ["a"]}, TypeError, re.escape("batch['lr'] must be real numbers")),
    ({1: [0.1]}, TypeError, "^batch keys must be hyperparameter names"),
    ({"rho": [0.9]}, TypeError, "has no hyperparameter 'rho'"),
    ({"lr": [0.1, -0.1]}, ValueError, re.escape("lr must be in (0, inf)")),
    ({"beta": [0.5, 1.0]}, ValueError, re.escape("beta must be in [0, 1)")),
    ({"centered": [0.0, 1.0]}, TypeError, "^centered must be True or False"),
])
def test_run_batch_shapes_and_values(batch, exc, msg):
    with pytest.raises(exc, match=msg):
        rmslib.run(rmslib.RMSProp(0.1), BOWL, [1.0, 1.0], steps=3, batch=batch)


def test_grid_arguments():
    with pytest.raises(ValueError, match="^grid needs at least one hyperparameter"):
        rmslib.grid()
    with pytest.raises(ValueError, match="^lr must be a number or a non-empty 1-D list"):
        rmslib.grid(lr=[])
    with pytest.raises(ValueError, match="^beta must be a number or a non-empty 1-D list"):
        rmslib.grid(lr=[0.1], beta=[[0.9, 0.99]])
    with pytest.raises(TypeError, match="^lr must be real numbers"):
        rmslib.grid(lr="0.1")
    with pytest.raises(TypeError, match="^lr must be real numbers"):
        rmslib.grid(lr=[[0.1, 0.2], [0.3]])


def test_run_reports_divergence_instead_of_returning_inf():
    # GD with a far too large step on a bowl: the loss overflows before the gradient does.
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="^the run diverged"):
        rmslib.run(rmslib.GD(lr=1.5), problems.Bowl(curvatures=(1.0, 20.0)), [1.0, 1.0], steps=2000)
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="^the run diverged"):
        rmslib.run(rmslib.GD(lr=1.0), problems.Rosenbrock(), [2.0, 2.0], steps=4)


# ------------------------------------------------------------------ problems

@pytest.mark.parametrize("make,exc,msg", [
    (lambda: problems.Bowl(curvatures=(1.0, 0.0)), ValueError, "^curvatures must be two positive numbers"),
    (lambda: problems.Bowl(curvatures=(1.0, 2.0, 3.0)), ValueError, "^curvatures must be two positive numbers"),
    (lambda: problems.Bowl(center=(0.0,)), ValueError, "^center must have 2 values"),
    (lambda: problems.Bowl(angle="30"), TypeError, "^angle must be a real number"),
    (lambda: problems.Rosenbrock(b=0.0), ValueError, re.escape("b must be in (0, inf)")),
    (lambda: problems.SigmoidNeuron(ys=(0.0, 0.5)), ValueError, "^ys must lie strictly between 0 and 1"),
    (lambda: problems.SigmoidNeuron(xs=(1.0, 2.0, 3.0)), ValueError, "^xs and ys must be 1-D and of equal length"),
    (lambda: problems.SparseRegression(frequencies=(0.5, 0.0)), ValueError, "^frequencies must be"),
    (lambda: problems.SparseRegression(n_samples=0), ValueError, "^n_samples must be >= 1"),
    (lambda: problems.SparseRegression(true_w=(1.0, 2.0, 3.0)), ValueError, "^true_w must have 2 values"),
    (lambda: problems.SparseRegression(seed="a"), TypeError, "^seed must be a non-negative integer"),
    (lambda: problems.SparseRegression(noise=-1.0), ValueError, re.escape("noise must be in [0, inf)")),
    (lambda: problems.Noisy(BOWL, sigma=-1.0), ValueError, re.escape("sigma must be in [0, inf)")),
    (lambda: problems.Noisy(BOWL, seed=-1), ValueError, "^seed must be a non-negative integer"),
    (lambda: problems.Noisy(BOWL, seed=0.5), TypeError, "^seed must be a non-negative integer"),
    (lambda: problems.Noisy("bowl"), TypeError, "^problem must be a problem"),
    (lambda: problems.MiniBatch(BOWL, 5), TypeError, "^problem must be a data problem"),
    (lambda: problems.MiniBatch(problems.SparseRegression(n_samples=10), 11), ValueError, r"^batch_size must be <= n_samples \(10\)"),
    (lambda: problems.MiniBatch(problems.SparseRegression(n_samples=10), 0), ValueError, "^batch_size must be >= 1"),
    (lambda: problems.Switching(BOWL, problems.SparseRegression(frequencies=(1.0,)), 5), ValueError, "^first and second must have the same dim"),
    (lambda: problems.Switching(BOWL, problems.Rosenbrock(), 0), ValueError, "^at must be >= 1"),
    (lambda: problems.Switching(BOWL, None, 3), TypeError, "^second must be a problem"),
])
def test_problem_constructors(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make()


@pytest.mark.parametrize("problem", [BOWL, problems.Rosenbrock(), problems.SigmoidNeuron(),
                                     problems.SparseRegression(), problems.Noisy(BOWL)], ids=repr)
def test_problem_evaluation_checks_x(problem):
    for method in (problem.loss, problem.grad):
        with pytest.raises(ValueError, match=r"^x must have 2 values on its last axis, got shape \(3,\)"):
            method(np.zeros(3))
        with pytest.raises(ValueError, match="^x must have 2 values"):
            method(1.0)
        with pytest.raises(ValueError, match="^x must contain only finite values"):
            method([np.nan, 0.0])
        with pytest.raises(TypeError, match="^x must be a float array"):
            method("xy")
        with pytest.raises(TypeError, match="^x must be a float array"):
            method([[0.0, 1.0], [2.0]])
        with pytest.raises(TypeError, match="^x must be a float array"):
            method(np.array([1j, 0.0]))
