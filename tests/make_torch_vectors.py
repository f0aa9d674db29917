"""Reference trajectories from PyTorch's own RMSprop and Adagrad, for tests/test_conformance.py.

Regenerate the committed file (needs ``pip install torch==2.13.0``, a test
oracle only, deliberately absent from the requirements files)::

    .venv/bin/python tests/make_torch_vectors.py

which writes ``rmslib/data/torch_vectors.npz`` (package data of rmslib, so that chapter 7
reads it wherever rmslib is installed, Colab included). Every case runs the real
``torch.optim`` class in float64 for ``STEPS`` steps on parameters of shape
``SHAPE``; the gradients are set directly through ``p.grad`` (no loss, no
autograd), so the file holds, for each case, the settings (as JSON), the
exact inputs (start point ``x0`` and gradient sequence) and torch's parameter
trajectory (start point included). Tests read the inputs from the file and
never regenerate them: the seeded inputs go through NumPy's SIMD ``power``,
whose last bits differ between CPUs, so a regeneration on another machine may
differ in the last bit. The zip members carry a fixed timestamp.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "rmslib" / "data" / "torch_vectors.npz"
TORCH_VERSION = "2.13.0"
STEPS = 50
SHAPE = (3, 4)

# name -> (torch class name, keyword arguments exactly as passed to torch.optim)
CASES = {
    "rmsprop_plain": ("RMSprop", dict(lr=0.01)),
    "rmsprop_centered": ("RMSprop", dict(lr=0.01, centered=True)),
    "rmsprop_momentum": ("RMSprop", dict(lr=0.01, momentum=0.9)),
    "rmsprop_centered_momentum": ("RMSprop", dict(lr=0.005, centered=True, momentum=0.9)),
    "rmsprop_alpha_eps": ("RMSprop", dict(lr=0.05, alpha=0.9, eps=1e-4)),
    "adagrad_default": ("Adagrad", dict(lr=0.01)),
    "adagrad_initial_accumulator": ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1)),
    "adagrad_lr_decay": ("Adagrad", dict(lr=0.1, lr_decay=0.05, eps=1e-6)),
}


def inputs(name):
    """The seeded start point and gradient sequence of one case (numpy float64).

    Gradient scales differ by coordinate (1e-3 to 10) and a few entries are
    exactly 0, so both the eps handling and the per-coordinate scaling matter.
    """
    seed = sorted(CASES).index(name)
    rng = np.random.default_rng(1000 + seed)
    x0 = rng.normal(size=SHAPE)
    scale = 10.0 ** rng.uniform(-3, 1, size=SHAPE)
    grads = rng.normal(size=(STEPS,) + SHAPE) * scale + 0.3 * scale
    grads[rng.random(grads.shape) < 0.05] = 0.0
    return x0, grads


def torch_trajectory(cls_name, kwargs, x0, grads):
    """Run ``torch.optim.<cls_name>(**kwargs)`` on the given gradients; return params, shape (steps+1, *shape)."""
    import torch

    p = torch.nn.Parameter(torch.tensor(x0, dtype=torch.float64))
    opt = getattr(torch.optim, cls_name)([p], foreach=False, **kwargs)
    out = [p.detach().clone().numpy()]
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().clone().numpy())
    return np.stack(out)


def make_vectors():
    """Compute every case with the installed torch: {name: dict(settings, x0, grads, params)}."""
    import torch

    if not torch.__version__.startswith(TORCH_VERSION):
        raise RuntimeError(f"the reference vectors are made with torch {TORCH_VERSION}, found {torch.__version__}")
    vectors = {}
    for name, (cls_name, kwargs) in CASES.items():
        x0, grads = inputs(name)
        vectors[name] = dict(settings=dict(optimizer=cls_name, kwargs=kwargs), x0=x0, grads=grads,
                             params=torch_trajectory(cls_name, kwargs, x0, grads))
    return vectors


def save(vectors, path=OUT):
    """Write the vectors as a compressed .npz with fixed timestamps (reproducible bytes)."""
    import torch

    arrays = {"meta": np.array(json.dumps(dict(torch=torch.__version__, steps=STEPS, shape=list(SHAPE),
                                               cases={k: v["settings"] for k, v in vectors.items()}),
                                          sort_keys=True))}
    for name, v in vectors.items():
        for key in ("x0", "grads", "params"):
            arrays[f"{name}.{key}"] = v[key]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def load(path=OUT):
    """Read the committed vectors back: {name: dict(settings, x0, grads, params)} and the metadata."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        vectors = {name: dict(settings=settings, x0=data[f"{name}.x0"], grads=data[f"{name}.grads"],
                              params=data[f"{name}.params"])
                   for name, settings in meta["cases"].items()}
    return vectors, meta


if __name__ == "__main__":
    save(make_vectors())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)", file=sys.stderr)
