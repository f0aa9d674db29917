"""The explorers of rmslib.widgets, driven without a browser.

Widget values are set programmatically (ipywidgets calls the observers
synchronously), and the data of the drawn artists are compared with
independent rmslib runs or with the update rules computed here by hand.
"""

import base64
import json

import numpy as np
import pytest

import rmslib
from rmslib import problems, widgets
from rmslib.widgets import OPTIMIZERS, HistoryExplorer, OptimizerExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make(name, lr, beta=0.9, eps=1e-8, mu=0.9):
    """The optimizer the explorer documents for each name (beta is the squared-gradient decay)."""
    return {"GD": lambda: rmslib.GD(lr), "Momentum": lambda: rmslib.Momentum(lr, beta=mu),
            "Adagrad": lambda: rmslib.Adagrad(lr, eps=eps), "RMSProp": lambda: rmslib.RMSProp(lr, beta=beta, eps=eps),
            "Adam": lambda: rmslib.Adam(lr, beta1=mu, beta2=beta, eps=eps)}[name]()


def drawn_path(ex, name):
    x, y = ex.paths[name].get_data()
    return np.column_stack([x, y])


def assert_paths_match(ex, problem, names):
    c = {k: w.value for k, w in ex.controls.items()}
    x0 = np.array([c["x0"], c["y0"]])
    for name in names:
        want = rmslib.run(make(name, c["lr"], c["beta"], c["eps"], ex.mu), problem, x0, steps=c["steps"])
        got = drawn_path(ex, name)
        assert got.shape == (c["steps"] + 1, 2)
        np.testing.assert_array_equal(got[-1], want.params[-1])   # the endpoint, exactly
        np.testing.assert_array_equal(got, want.params)           # and the whole path


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizer_path_equals_an_independent_run(name):
    ex = OptimizerExplorer(problem="bowl", optimizers=(name,), lr=0.03, beta=0.8, eps=1e-6, steps=40)
    assert ex.message.value == ""
    assert tuple(ex.controls["optimizers"].options) == OPTIMIZERS
    assert_paths_match(ex, problems.Bowl((1.0, 20.0)), [name])
    others = [k for k in OPTIMIZERS if k != name]
    assert all(len(ex.paths[k].get_xdata()) == 0 for k in others)


def test_value_changes_redraw_paths_and_series():
    ex = OptimizerExplorer(problem="bowl", optimizers=("GD", "RMSProp"), lr=0.05, steps=30)
    bowl = problems.Bowl((1.0, 20.0))
    before, png_before = drawn_path(ex, "RMSProp").copy(), ex.png
    ex.controls["lr"].value = 0.02
    assert not np.array_equal(drawn_path(ex, "RMSProp")[-1], before[-1])
    assert ex.png != png_before and ex.png.startswith(PNG_SIGNATURE)
    assert_paths_match(ex, bowl, ["GD", "RMSProp"])
    ex.controls["beta"].value = 0.99
    assert_paths_match(ex, bowl, ["GD", "RMSProp"])
    ex.set(x0=-2.0, y0=-1.0, steps=77)
    assert drawn_path(ex, "GD")[0].tolist() == [-2.0, -1.0]
    assert_paths_match(ex, bowl, ["GD", "RMSProp"])
    # the series show the focus optimizer's |g_t|, sqrt(v_t) (same units) and step size, one point per step
    trace = rmslib.run(make("RMSProp", 0.02, beta=0.99), bowl, np.array([-2.0, -1.0]), steps=77)
    for name in ("GD", "RMSProp"):   # each path's end is marked
        np.testing.assert_array_equal(np.ravel(ex.ends[name].get_xydata()), drawn_path(ex, name)[-1])
    assert len(ex.ends["Adam"].get_xdata()) == 0
    for i in (0, 1):
        ex.controls["coordinate"].value = i
        for key, want in (("grad", np.abs(trace.grads[:, i])), ("v", np.sqrt(trace.v[:, i])),
                          ("step", np.abs(np.diff(trace.params[:, i])))):
            t, data = ex.series[key].get_data()
            assert len(t) == len(data) == 77
            np.testing.assert_array_equal(t, np.arange(1, 78))
            np.testing.assert_array_equal(data, want)
    assert "RMSProp" in ex.summary and f"{trace.loss[-1]:.6e}" in ex.summary


def test_focus_follows_the_selection_and_gd_has_no_v():
    ex = OptimizerExplorer(optimizers=("GD", "Adam"), focus="Adam", lr=0.05, steps=20)
    assert tuple(ex.controls["focus"].options) == ("GD", "Adam")
    assert len(ex.series["v"].get_ydata()) == 20
    ex.controls["optimizers"].value = ("GD", "Adagrad")
    assert tuple(ex.controls["focus"].options) == ("GD", "Adagrad")
    assert ex.controls["focus"].value == "GD"
    assert len(ex.series["grad"].get_ydata()) == 20 and len(ex.series["v"].get_ydata()) == 0
    assert len(ex.paths["Adam"].get_xdata()) == 0 and len(ex.paths["Adagrad"].get_xdata()) == 21
    ex.controls["focus"].value = "Adagrad"
    trace = rmslib.run(make("Adagrad", 0.05), problems.Bowl((1.0, 20.0)), np.array([-4.0, 1.0]), steps=20)
    np.testing.assert_array_equal(ex.series["v"].get_ydata(), np.sqrt(trace.v[:, 0]))


def test_switching_problem_moves_the_start_into_its_box():
    ex = OptimizerExplorer(problem="bowl", optimizers=("Adagrad", "RMSProp"), lr=0.05, steps=25)
    cases = {"rotated bowl": problems.Bowl((1.0, 20.0), angle=30.0), "Rosenbrock": problems.Rosenbrock(),
             "sigmoid neuron": problems.SigmoidNeuron()}
    for name, problem in cases.items():
        ex.controls["problem"].value = name
        for key in ("x0", "y0"):
            s = ex.controls[key]
            assert s.min <= s.value <= s.max
        xlim = ex._ax.get_xlim()
        assert xlim == (ex.controls["x0"].min, ex.controls["x0"].max)
        assert_paths_match(ex, problem, ["Adagrad", "RMSProp"])


def test_redraw_uses_attributes_that_are_not_controls():
    ex = OptimizerExplorer(optimizers=("Momentum",), lr=0.01, steps=15)
    ex.mu = 0.5
    ex.redraw()
    assert_paths_match(ex, problems.Bowl((1.0, 20.0)), ["Momentum"])


def test_typed_negative_eps_shows_a_message_not_a_traceback():
    ex = OptimizerExplorer(optimizers=("GD", "RMSProp"), lr=0.05, steps=20)
    ex.controls["eps"].value = -1e-3
    assert "RMSProp" in ex.message.value and "eps must be in [0, inf)" in ex.message.value
    assert len(ex.paths["RMSProp"].get_xdata()) == 0          # not drawn
    assert len(ex.paths["GD"].get_xdata()) == 21               # GD has no eps: still drawn
    assert "eps must be in" in ex.summary
    ex.controls["eps"].value = 1e-8
    assert ex.message.value == "" and len(ex.paths["RMSProp"].get_xdata()) == 21


def test_diverging_lr_shows_a_message():
    ex = OptimizerExplorer(problem="bowl", optimizers=("GD", "RMSProp"), lr=0.05, steps=60)
    ex.controls["lr"].value = 0.2   # GD on curvature 20 diverges for lr > 0.1
    assert "GD diverged" in ex.message.value and len(ex.paths["GD"].get_xdata()) == 0
    assert len(ex.paths["RMSProp"].get_xdata()) == 61
    ex.set(problem="Rosenbrock", lr=0.1)  # GD's gradients overflow: rmslib.run itself stops
    assert "GD: the run diverged" in ex.message.value and "RMSProp" not in ex.message.value
    assert len(ex.paths["GD"].get_xdata()) == 0 and len(ex.paths["RMSProp"].get_xdata()) == 61
    ex.controls["lr"].value = 10.0  # now RMSProp's loss explodes too: nothing left to draw
    assert "RMSProp diverged" in ex.message.value and "nothing drawn" in ex.summary
    assert "Nothing to draw" in ex._notice.get_text()
    ex.set(optimizers=(), lr=0.01)
    assert "select at least one" in ex.message.value
    assert "nothing drawn" in ex.summary and ex.png.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("kwargs, name", [
    ({"problem": "ellipse"}, "problem"), ({"optimizers": ("SGD",)}, "optimizers"), ({"optimizers": ()}, "optimizers"),
    ({"lr": 100.0}, "lr"), ({"beta": 1.0}, "beta"), ({"mu": 1.0}, "mu"), ({"steps": 0}, "steps"),
    ({"start": (50.0, 0.0)}, r"start\[0\]"), ({"start": (0.0, -9.0)}, r"start\[1\]"),
    ({"coordinate": 2}, "coordinate"), ({"optimizers": ("GD",), "focus": "Adam"}, "focus"),
])
def test_optimizer_explorer_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        OptimizerExplorer(**kwargs)


@pytest.mark.parametrize("kwargs, name", [({"lr": "0.1"}, "lr"), ({"eps": None}, "eps"), ({"steps": 2.5}, "steps"),
                                          ({"steps": True}, "steps")])
def test_optimizer_explorer_rejects_wrong_types(kwargs, name):
    with pytest.raises(TypeError, match=name):
        OptimizerExplorer(**kwargs)


def test_set_rejects_unknown_controls():
    ex = OptimizerExplorer(steps=5)
    with pytest.raises(ValueError, match="unknown control 'gamma'"):
        ex.set(gamma=0.5)


def rmsprop_v(g, beta):
    v, out = 0.0, []
    for gt in g:
        v = beta * v + (1 - beta) * gt * gt
        out.append(v)
    return np.array(out)


def test_history_explorer_shows_the_update_rules():
    ex = HistoryExplorer(grads=(1.0, 0.0, 2.0), lengths=(20, 30, 10), beta=0.9, eps=1e-8)
    g = np.array([1.0] * 20 + [0.0] * 30 + [2.0] * 10)
    lines = {k: line.get_data() for k, line in ex.lines.items()}
    assert all(len(t) == len(y) == 60 for t, y in lines.values())
    np.testing.assert_array_equal(lines["grad"][1], g)
    v = rmsprop_v(g, 0.9)
    np.testing.assert_allclose(lines["rmsprop_v"][1], v, rtol=1e-13)
    np.testing.assert_allclose(lines["adagrad_v"][1], np.cumsum(g * g), rtol=1e-13)
    np.testing.assert_allclose(lines["rmsprop_lr"][1], 1 / np.sqrt(v + 1e-8), rtol=1e-13)
    # v_t falls exactly when g_t^2 < v_{t-1}; the sum never falls
    assert ex.falls == np.sum(g[1:] ** 2 < v[:-1]) > 0
    assert np.all(np.diff(lines["adagrad_v"][1]) >= 0)
    assert f"fell on {ex.falls} steps" in ex.summary
    # a zero gradient from a zero start leaves v_t at 0: it stays, it does not fall
    ex.set(g1=0.0, g2=1.0, g3=0.0, n1=5, n2=5, n3=5)
    g = np.array([0.0] * 5 + [1.0] * 5 + [0.0] * 5)
    v_before = np.concatenate([[0.0], rmsprop_v(g, 0.9)[:-1]])
    assert ex.falls == np.sum(g ** 2 < v_before) == 5


def test_history_explorer_follows_its_controls():
    ex = HistoryExplorer()
    ex.set(beta=0.5, g2=0.25, n1=5, n2=7, n3=3)
    g = np.array([1.0] * 5 + [0.25] * 7 + [1.0] * 3)
    assert len(ex.lines["rmsprop_v"].get_ydata()) == 15
    np.testing.assert_allclose(ex.lines["rmsprop_v"].get_ydata(), rmsprop_v(g, 0.5), rtol=1e-13)
    before = ex.lines["rmsprop_v"].get_ydata().copy()
    ex.controls["beta"].value = 0.99
    assert not np.allclose(ex.lines["rmsprop_v"].get_ydata(), before)
    np.testing.assert_allclose(ex.lines["rmsprop_v"].get_ydata(), rmsprop_v(g, 0.99), rtol=1e-13)


def test_history_explorer_invalid_settings_show_messages():
    ex = HistoryExplorer()
    ex.controls["eps"].value = -0.5
    assert "eps must be in [0, inf)" in ex.message.value
    assert all(len(line.get_xdata()) == 0 for line in ex.lines.values())
    ex.set(eps=1e-8, n1=0, n2=0, n3=0)
    assert "empty" in ex.message.value and ex.png.startswith(PNG_SIGNATURE)
    ex.controls["n2"].value = 4
    assert ex.message.value == "" and len(ex.lines["adagrad_v"].get_xdata()) == 4


@pytest.mark.parametrize("kwargs, name", [
    ({"grads": (1.0, 0.0)}, "grads"), ({"grads": (1.0, 9.0, 1.0)}, r"grads\[1\]"),
    ({"lengths": (10, -1, 3)}, r"lengths\[1\]"), ({"beta": 1.5}, "beta"),
])
def test_history_explorer_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        HistoryExplorer(**kwargs)


def test_history_explorer_rejects_wrong_types():
    with pytest.raises(TypeError, match=r"lengths\[1\]"):
        HistoryExplorer(lengths=(10, 2.5, 3))
    with pytest.raises(TypeError, match="eps"):
        HistoryExplorer(eps="tiny")


@pytest.mark.parametrize("cls", [OptimizerExplorer, HistoryExplorer])
def test_display_shows_controls_and_a_png_that_updates_in_place(cls, monkeypatch):
    import IPython.display
    shown, updated = [], []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    monkeypatch.setattr(IPython.display, "update_display", lambda obj, **kw: updated.append((obj, kw)))
    ex = cls()
    ex._ipython_display_()
    (figure, kw), (controls, _) = shown
    assert controls["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert controls["text/plain"] == f"{cls.__name__} controls (live when the notebook runs)"
    assert base64.b64decode(figure["image/png"]) == ex.png and figure["text/plain"] == ex.summary
    assert kw["raw"] and kw["display_id"]
    ex.controls["beta"].value = 0.5
    (new, new_kw), = updated
    assert new_kw["display_id"] == kw["display_id"]
    assert base64.b64decode(new["image/png"]) == ex.png != base64.b64decode(figure["image/png"])


@pytest.mark.slow
def test_a_notebook_stores_a_png_and_the_widget_state(tmp_path):
    """Executed as `make notebooks` does, the cell keeps a real image for static readers."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    source = "from rmslib.widgets import HistoryExplorer\nex = HistoryExplorer(beta=0.8)\nex"
    nb.cells = [nbformat.v4.new_code_cell(source)]
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True)
    client.execute()
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data", "display_data"]
    assert base64.b64decode(outputs[0].data["image/png"]).startswith(PNG_SIGNATURE)
    assert outputs[0].data["text/plain"] == HistoryExplorer(beta=0.8).summary
    model_id = outputs[1].data["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert state[model_id]["model_name"] == "VBoxModel"
    json.dumps(nb)  # storable
    # a later value change replaces the image in place (the display update a slider move sends)
    nb.cells.append(nbformat.v4.new_code_cell("ex.controls['beta'].value = 0.5"))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3")
    client.execute()
    assert len(nb.cells[0].outputs) == 2 and nb.cells[1].outputs == []
    assert nb.cells[0].outputs[0].data["text/plain"] == HistoryExplorer(beta=0.5).summary


def docstring_code(doc):
    """The indented literal blocks that follow '::' lines."""
    code, inside = [], False
    for line in doc.splitlines():
        if line.rstrip().endswith("::"):
            inside = True
        elif inside and line.strip() and not line.startswith("    "):
            inside = False
        elif inside:
            code.append(line[4:])
    return "\n".join(code)


def test_module_docstring_demo_runs():
    code = docstring_code(widgets.__doc__)
    assert "OptimizerExplorer(" in code and 'ex.controls["lr"].value = 0.05' in code
    namespace = {}
    exec(code, namespace)
    assert namespace["ex"].controls["lr"].value == 0.05 and namespace["ex"].message.value == ""


def test_controls_are_shown_by_the_reference_ipywidgets_itself_stores():
    """The stored widget-view reference is ipywidgets 8's own (and is built the same way for
    ipywidgets 7, Colab's, which has no _repr_mimebundle_: tests/test_colab.py runs it there)."""
    import ipywidgets
    ex = HistoryExplorer()
    assert ipywidgets.__version__.startswith("8.")
    own = ex.widget._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]
    assert widgets._view(ex.widget) == own and own["model_id"] == ex.widget.model_id
