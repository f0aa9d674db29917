"""rmslib's library presets against the libraries themselves.

* PyTorch: ``RMSProp.like("torch")`` and ``Adagrad.like("torch")`` against
  trajectories produced by torch.optim itself (committed vectors made by
  tests/make_torch_vectors.py, and regenerated live when torch is installed).
* Every preset's defaults against the table of ../shared/reference/conventions.md.
* Keras, TF1, optax, Hinton and PyTorch update rules written out here again,
  independently of rmslib, following each library's source as summarised in
  that table, compared over random gradient sequences.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import rmslib

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("make_torch_vectors", HERE / "make_torch_vectors.py")
vectors_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vectors_module)

RTOL = 1e-12


def assert_rel(ours, theirs, rtol=RTOL):
    """Agreement to ``rtol`` relative to the size of the reference values."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.max(np.abs(theirs)))


def rmslib_from_torch(settings):
    """The rmslib preset matching a torch.optim constructor call."""
    kw = dict(settings["kwargs"])
    if settings["optimizer"] == "RMSprop":
        if "alpha" in kw:
            kw["beta"] = kw.pop("alpha")
        return rmslib.RMSProp.like("torch", **kw)
    if "initial_accumulator_value" in kw:
        kw["v0"] = kw.pop("initial_accumulator_value")
    return rmslib.Adagrad.like("torch", **kw)


def rmslib_trajectory(opt, x0, grads):
    x, state = np.array(x0), opt.init(x0)
    out = [x]
    for g in grads:
        x, state = opt.update(x, g, state)
        out.append(x)
    return np.stack(out)


# ---------------------------------------------------------------- PyTorch

def test_committed_vectors_are_complete_and_small():
    vectors, meta = vectors_module.load()
    assert meta["torch"].startswith(vectors_module.TORCH_VERSION)
    assert set(vectors) == set(vectors_module.CASES)
    for v in vectors.values():
        assert v["params"].shape == (vectors_module.STEPS + 1,) + vectors_module.SHAPE
        assert v["grads"].shape == (vectors_module.STEPS,) + vectors_module.SHAPE
        # The trajectory really moves (a frozen trajectory would make the comparison empty).
        assert np.all(np.abs(v["params"][-1] - v["params"][0]) > 0)
    assert vectors_module.OUT.stat().st_size < 200_000


@pytest.mark.parametrize("name", sorted(vectors_module.CASES))
def test_torch_presets_match_committed_torch_vectors(name):
    """rmslib replays torch's trajectory from the exact inputs stored in the file (never regenerated)."""
    vectors, _ = vectors_module.load()
    v = vectors[name]
    np.testing.assert_array_equal(v["params"][0], v["x0"])  # the trajectory starts at the stored x0
    ours = rmslib_trajectory(rmslib_from_torch(v["settings"]), v["x0"], v["grads"])
    assert_rel(ours, v["params"])


# Live torch against the committed file: the same inputs through torch.optim today. Torch's own kernels
# (its vectorised sqrt/div loops, picked by CPU) may round differently from the machine that wrote the
# file, so the two trajectories must agree to LIVE_RTOL relative to the largest parameter, not bit for bit.
LIVE_RTOL = 1e-12


@pytest.mark.slow  # importing torch takes several seconds
def test_torch_presets_match_live_torch():
    torch = pytest.importorskip("torch")
    if not torch.__version__.startswith(vectors_module.TORCH_VERSION):
        pytest.skip(f"the vectors are defined for torch {vectors_module.TORCH_VERSION}")
    committed, _ = vectors_module.load()
    for name, v in committed.items():
        cls_name, kwargs = vectors_module.CASES[name]
        assert v["settings"] == dict(optimizer=cls_name, kwargs=kwargs), f"{name}: the file's settings changed"
        live = vectors_module.torch_trajectory(cls_name, kwargs, v["x0"], v["grads"])
        assert_rel(live, v["params"], rtol=LIVE_RTOL)  # today's torch reproduces the file
        ours = rmslib_trajectory(rmslib_from_torch(v["settings"]), v["x0"], v["grads"])
        assert_rel(ours, live)  # and rmslib reproduces today's torch


# ---------------------------------------------------------------- the table of conventions.md

# (v0, beta, eps, eps_in_sqrt, lr default, lr_in_buffer) per library, read from the table.
RMSPROP_ROWS = {
    "torch": (0.0, 0.99, 1e-8, False, 1e-2, False),
    "keras": (0.0, 0.9, 1e-7, True, 1e-3, True),
    "tf1": (1.0, 0.9, 1e-10, True, None, True),
    "optax": (0.0, 0.9, 1e-8, True, None, True),
    "hinton": (0.0, 0.9, 0.0, True, None, False),
}
# (v0, eps, eps_in_sqrt, lr default) per library.
ADAGRAD_ROWS = {
    "torch": (0.0, 1e-10, False, 1e-2),
    "keras": (0.1, 1e-7, True, 1e-3),
    "tf1": (0.1, 0.0, True, None),
    "optax": (0.1, 1e-7, True, None),
}


@pytest.mark.parametrize("library", sorted(RMSPROP_ROWS))
def test_rmsprop_preset_defaults_follow_the_table(library):
    v0, beta, eps, inside, lr, lr_in_buffer = RMSPROP_ROWS[library]
    if lr is None:
        with pytest.raises(TypeError, match="lr"):
            rmslib.RMSProp.like(library)
        opt = rmslib.RMSProp.like(library, lr=0.05)
        lr = 0.05
    else:
        opt = rmslib.RMSProp.like(library)
    hp = opt.hyperparameters
    assert (hp["v0"], hp["beta"], hp["eps"], hp["eps_in_sqrt"], hp["lr"]) == (v0, beta, eps, inside, lr)
    assert hp["centered"] is False and hp["momentum"] == 0.0
    if library != "hinton":  # Hinton's lecture has no momentum variant to place
        assert hp["lr_in_buffer"] is lr_in_buffer


@pytest.mark.parametrize("library", sorted(ADAGRAD_ROWS))
def test_adagrad_preset_defaults_follow_the_table(library):
    v0, eps, inside, lr = ADAGRAD_ROWS[library]
    if lr is None:
        with pytest.raises(TypeError, match="lr"):
            rmslib.Adagrad.like(library)
        opt = rmslib.Adagrad.like(library, lr=0.05)
        lr = 0.05
    else:
        opt = rmslib.Adagrad.like(library)
    hp = opt.hyperparameters
    assert (hp["v0"], hp["eps"], hp["eps_in_sqrt"], hp["lr"], hp["lr_decay"]) == (v0, eps, inside, lr, 0.0)


def test_overrides_replace_preset_defaults():
    opt = rmslib.RMSProp.like("torch", lr=0.3, centered=True, momentum=0.5)
    assert (opt.lr, opt.centered, opt.momentum, opt.beta, opt.eps_in_sqrt) == (0.3, True, 0.5, 0.99, False)
    assert rmslib.Adagrad.like("keras", v0=0.5).v0 == 0.5


# ---------------------------------------------------------------- each library's rule, written out again

def gradient_sequence(seed, steps=40, shape=(5,)):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-2, 1, size=shape)
    g = rng.normal(size=(steps,) + shape) * scale + 0.5 * scale
    g[rng.random(g.shape) < 0.1] = 0.0
    return rng.normal(size=shape), g


def torch_rmsprop(x, grads, lr=1e-2, alpha=0.99, eps=1e-8, centered=False, momentum=0.0):
    """torch/optim/rmsprop.py, _single_tensor_rmsprop (no weight decay, no maximize)."""
    square_avg, grad_avg, buf, out = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x), [x]
    for g in grads:
        square_avg = square_avg * alpha + (1 - alpha) * g * g
        if centered:
            grad_avg = grad_avg + (g - grad_avg) * (1 - alpha)  # lerp_
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = buf * momentum + g / avg
            x = x - lr * buf
        else:
            x = x - lr * g / avg
        out.append(x)
    return np.stack(out)


def keras_rmsprop(x, grads, lr=1e-3, rho=0.9, epsilon=1e-7, centered=False, momentum=0.0):
    """keras/src/optimizers/rmsprop.py, update_step."""
    velocity, average_grad, mom, out = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x), [x]
    for g in grads:
        velocity = rho * velocity + (1 - rho) * np.square(g)
        if centered:
            average_grad = rho * average_grad + (1 - rho) * g
            denominator = velocity - np.square(average_grad) + epsilon
        else:
            denominator = velocity + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            mom = momentum * mom + increment
            x = x - mom
        else:
            x = x - increment
        out.append(x)
    return np.stack(out)


def tf1_rmsprop(x, grads, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, centered=False):
    """TF1 kernels ApplyRMSProp / ApplyCenteredRMSProp (training_ops.cc); the ms slot starts at ones."""
    ms, mg, mom, out = np.ones_like(x), np.zeros_like(x), np.zeros_like(x), [x]
    for g in grads:
        ms = ms + (np.square(g) - ms) * (1 - decay)
        if centered:
            mg = mg + (g - mg) * (1 - decay)
            denom = ms - np.square(mg) + epsilon
        else:
            denom = ms + epsilon
        mom = mom * momentum + learning_rate * g / np.sqrt(denom)
        x = x - mom
        out.append(x)
    return np.stack(out)


def optax_rmsprop(x, grads, learning_rate, decay=0.9, eps=1e-8, initial_scale=0.0, centered=False,
                  momentum=None):
    """optax.rmsprop: scale_by_rms / scale_by_stddev, then scale_by_learning_rate, then trace."""
    nu, mu, trace, out = np.full_like(x, initial_scale), np.zeros_like(x), np.zeros_like(x), [x]
    for g in grads:
        nu = (1 - decay) * (g ** 2) + decay * nu
        if centered:
            mu = (1 - decay) * g + decay * mu
            updates = g / np.sqrt(nu - mu ** 2 + eps)
        else:
            updates = g / np.sqrt(nu + eps)
        updates = -learning_rate * updates
        if momentum is not None:
            trace = updates + momentum * trace
            updates = trace
        x = x + updates
        out.append(x)
    return np.stack(out)


def hinton_rmsprop(x, grads, lr):
    """Lecture 6e: MeanSquare = 0.9 MeanSquare + 0.1 g^2; w -= lr g / sqrt(MeanSquare) (0 where 0/0)."""
    ms, out = np.zeros_like(x), [x]
    for g in grads:
        ms = 0.9 * ms + 0.1 * g * g
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(ms > 0, g / np.sqrt(ms), 0.0)
        x = x - lr * step
        out.append(x)
    return np.stack(out)


def torch_adagrad(x, grads, lr=1e-2, lr_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    """torch/optim/adagrad.py, _single_tensor_adagrad."""
    state_sum, out = np.full_like(x, initial_accumulator_value), [x]
    for step, g in enumerate(grads, start=1):
        clr = lr / (1 + (step - 1) * lr_decay)
        state_sum = state_sum + g * g
        std = np.sqrt(state_sum) + eps
        x = x - clr * g / std
        out.append(x)
    return np.stack(out)


def keras_adagrad(x, grads, lr=1e-3, initial_accumulator_value=0.1, epsilon=1e-7):
    """keras/src/optimizers/adagrad.py, update_step."""
    acc, out = np.full_like(x, initial_accumulator_value), [x]
    for g in grads:
        acc = acc + np.square(g)
        x = x - lr * g / np.sqrt(acc + epsilon)
        out.append(x)
    return np.stack(out)


def tf1_adagrad(x, grads, learning_rate, initial_accumulator_value=0.1):
    """TF1 kernel ApplyAdagrad: accum += g^2; var -= lr * g * rsqrt(accum)."""
    acc, out = np.full_like(x, initial_accumulator_value), [x]
    for g in grads:
        acc = acc + g * g
        x = x - learning_rate * g * (1.0 / np.sqrt(acc))
        out.append(x)
    return np.stack(out)


def optax_adagrad(x, grads, learning_rate, initial_accumulator_value=0.1, eps=1e-7):
    """optax.adagrad (scale_by_rss): the update is exactly 0 where the sum of squares is 0."""
    ssq, out = np.full_like(x, initial_accumulator_value), [x]
    for g in grads:
        ssq = g ** 2 + ssq
        with np.errstate(divide="ignore"):
            inv_sqrt = np.where(ssq > 0, 1.0 / np.sqrt(ssq + eps), 0.0)
        x = x - learning_rate * inv_sqrt * g
        out.append(x)
    return np.stack(out)


PAIRS = [
    # (id, rmslib optimizer, independent reference as a function of (x0, grads))
    ("torch-rmsprop", rmslib.RMSProp.like("torch"), lambda x, g: torch_rmsprop(x, g)),
    ("torch-rmsprop-centered-momentum", rmslib.RMSProp.like("torch", centered=True, momentum=0.8, lr=0.003),
     lambda x, g: torch_rmsprop(x, g, lr=0.003, centered=True, momentum=0.8)),
    ("keras-rmsprop", rmslib.RMSProp.like("keras"), lambda x, g: keras_rmsprop(x, g)),
    ("keras-rmsprop-centered", rmslib.RMSProp.like("keras", centered=True), lambda x, g: keras_rmsprop(x, g, centered=True)),
    ("keras-rmsprop-momentum", rmslib.RMSProp.like("keras", momentum=0.9, lr=0.01),
     lambda x, g: keras_rmsprop(x, g, lr=0.01, momentum=0.9)),
    ("tf1-rmsprop", rmslib.RMSProp.like("tf1", lr=0.01), lambda x, g: tf1_rmsprop(x, g, 0.01)),
    ("tf1-rmsprop-centered-momentum", rmslib.RMSProp.like("tf1", lr=0.01, centered=True, momentum=0.5),
     lambda x, g: tf1_rmsprop(x, g, 0.01, centered=True, momentum=0.5)),
    ("optax-rmsprop", rmslib.RMSProp.like("optax", lr=0.01), lambda x, g: optax_rmsprop(x, g, 0.01)),
    ("optax-rmsprop-centered-momentum", rmslib.RMSProp.like("optax", lr=0.01, centered=True, momentum=0.9),
     lambda x, g: optax_rmsprop(x, g, 0.01, centered=True, momentum=0.9)),
    ("hinton-rmsprop", rmslib.RMSProp.like("hinton", lr=0.01), lambda x, g: hinton_rmsprop(x, g, 0.01)),
    ("torch-adagrad", rmslib.Adagrad.like("torch"), lambda x, g: torch_adagrad(x, g)),
    ("torch-adagrad-lr-decay", rmslib.Adagrad.like("torch", lr_decay=0.1, v0=0.2),
     lambda x, g: torch_adagrad(x, g, lr_decay=0.1, initial_accumulator_value=0.2)),
    ("keras-adagrad", rmslib.Adagrad.like("keras"), lambda x, g: keras_adagrad(x, g)),
    ("tf1-adagrad", rmslib.Adagrad.like("tf1", lr=0.1), lambda x, g: tf1_adagrad(x, g, 0.1)),
    ("optax-adagrad", rmslib.Adagrad.like("optax", lr=0.1), lambda x, g: optax_adagrad(x, g, 0.1)),
    ("optax-adagrad-zero-start", rmslib.Adagrad.like("optax", lr=0.1, v0=0.0, eps=0.0),
     lambda x, g: optax_adagrad(x, g, 0.1, initial_accumulator_value=0.0, eps=0.0)),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name,opt,reference", PAIRS, ids=[p[0] for p in PAIRS])
def test_preset_matches_the_library_formula(name, opt, reference, seed):
    x0, grads = gradient_sequence(seed)
    assert_rel(rmslib_trajectory(opt, x0, grads), reference(x0, grads))


def test_optax_adagrad_zero_sum_gives_zero_update():
    # A coordinate that has only seen zero gradients stays exactly where it is, never NaN.
    opt = rmslib.Adagrad.like("optax", lr=0.1, v0=0.0, eps=0.0)
    x0 = np.array([1.0, -2.0])
    grads = np.array([[0.0, 1.0], [0.0, -3.0], [0.0, 0.5]])
    traj = rmslib_trajectory(opt, x0, grads)
    assert np.all(traj[:, 0] == 1.0)
    assert_rel(traj, optax_adagrad(x0, grads, 0.1, initial_accumulator_value=0.0, eps=0.0))


def test_tf1_ones_start_makes_first_steps_sgd_like():
    # v_1 = beta + (1 - beta) g^2 ~ 0.9 for a tiny gradient, so the step is about lr g / sqrt(0.9).
    opt = rmslib.RMSProp.like("tf1", lr=0.1)
    g = np.array([1e-3])
    x, state = opt.update(np.zeros(1), g, opt.init(np.zeros(1)))
    assert state.v[0] == pytest.approx(0.9 + 0.1 * 1e-6, rel=1e-14)
    assert x[0] == pytest.approx(-0.1 * 1e-3 / np.sqrt(0.9 + 1e-7 + 1e-10), rel=1e-14)
