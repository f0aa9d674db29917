"""rmslib.plot: every function returns its axes, draws the expected lines in the documented colours."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rmslib  # noqa: E402
from rmslib import plot, problems  # noqa: E402

BOWL = problems.Bowl()

# The documented colours (module docstring: Okabe-Ito; gradient vermillion, v_t blue).
VERMILLION, BLUE = "#D55E00", "#0072B2"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def same_colour(a, b):
    return mcolors.to_hex(a).lower() == mcolors.to_hex(b).lower()


@pytest.fixture(scope="module")
def traces():
    x0 = [-1.5, 1.0]
    return {
        "RMSProp": rmslib.run(rmslib.RMSProp(0.05), BOWL, x0, steps=20),
        "Adagrad": rmslib.run(rmslib.Adagrad(0.3), BOWL, x0, steps=20),
        "GD": rmslib.run(rmslib.GD(0.04), BOWL, x0, steps=20),
    }


def test_color_knows_every_optimizer_and_series():
    for name in ("GD", "Momentum", "Adagrad", "RMSProp", "Adam"):
        c = plot.color(name)
        assert c == plot.OPTIMIZER_COLORS[name] and c.upper() in plot.OKABE_ITO
    assert plot.color("grad").upper() == VERMILLION and plot.color("v").upper() == BLUE
    assert plot.color("step") == plot.SERIES_COLORS["step"]
    assert len(set(plot.OPTIMIZER_COLORS.values())) == len(plot.OPTIMIZER_COLORS)  # one colour each


@pytest.mark.parametrize("name", ["rmsprop", "SGD", "", "Nadam"])
def test_color_rejects_unknown_names(name):
    with pytest.raises(ValueError, match=r"^name must be an optimizer \(GD, Momentum, Adagrad, RMSProp, Adam\) or a series"):
        plot.color(name)


@pytest.mark.parametrize("name", [3, None, ["RMSProp"]])
def test_color_rejects_non_strings_with_a_type_error(name):
    with pytest.raises(TypeError, match=r"^name must be a string"):
        plot.color(name)


def test_contour_returns_axes_and_marks_the_minimum():
    ax = plot.contour(BOWL, (-2, 2), (-1, 1), n=50)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1)
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1 and tuple(stars[0].get_xydata()[0]) == (0.0, 0.0)
    assert ax.collections  # the contour lines
    _, existing = plt.subplots()
    assert plot.contour(problems.Rosenbrock(), (-2, 2), (-1, 3), ax=existing, log=False, n=30) is existing


def test_trajectories_one_line_per_trace_in_optimizer_colours(traces):
    ax = plot.trajectories(BOWL, traces, (-2, 2), (-1.5, 1.5), n=40)
    lines = ax.get_lines()
    # one path and one end marker per trace, plus the minimum star and the start square
    assert len(lines) == 2 * len(traces) + 2
    paths = [ln for ln in lines if ln.get_label() in traces]
    assert [ln.get_label() for ln in paths] == list(traces)
    for ln in paths:
        assert same_colour(ln.get_color(), plot.color(traces[ln.get_label()].optimizer))
        np.testing.assert_array_equal(ln.get_xydata(), traces[ln.get_label()].params)
    # paths drawn first are wider, so a later path on the same route cannot hide them
    widths = [ln.get_linewidth() for ln in paths]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)
    ends = [ln for ln in lines if ln.get_marker() == "X"]
    assert len(ends) == len(traces)
    for end, (name, tr) in zip(ends, traces.items()):
        np.testing.assert_array_equal(end.get_xydata()[0], tr.params[-1])
        assert same_colour(end.get_color(), plot.color(tr.optimizer))
    assert ax.get_legend() is not None


def test_trajectories_list_and_labels(traces):
    ax = plot.trajectories(BOWL, list(traces.values()), (-2, 2), (-1.5, 1.5), labels=["a", "b", "c"],
                           markers=False, n=40)
    assert {"a", "b", "c"} <= {ln.get_label() for ln in ax.get_lines()}
    unlabelled = plot.trajectories(BOWL, list(traces.values())[:1], (-2, 2), (-1.5, 1.5), n=40)
    assert "RMSProp" in {ln.get_label() for ln in unlabelled.get_lines()}  # the optimizer's name by default


def test_trajectories_refuses_batched_traces():
    batched = rmslib.run(rmslib.RMSProp(0.05), BOWL, [1.0, 1.0], steps=5, batch={"lr": [0.1, 0.01]})
    with pytest.raises(ValueError, match="unbatched traces"):
        plot.trajectories(BOWL, [batched], (-2, 2), (-2, 2), n=20)


def test_series_draws_gradient_size_and_root_v_in_their_colours(traces):
    tr = traces["RMSProp"]
    ax = plot.series(tr, index=1)
    lines = ax.get_lines()
    assert len(lines) == 2  # |g_t| and sqrt(v_t), in the same units
    grad_line, v_line = lines
    assert same_colour(grad_line.get_color(), VERMILLION) and same_colour(v_line.get_color(), BLUE)
    np.testing.assert_array_equal(grad_line.get_xdata(), np.arange(1, tr.steps + 1))
    np.testing.assert_array_equal(grad_line.get_ydata(), np.abs(tr.grads[:, 1]))
    np.testing.assert_array_equal(v_line.get_ydata(), np.sqrt(tr.v[:, 1]))
    assert ax.get_title() == "RMSProp" and ax.get_yscale() == "log"
    only = plot.series(tr, show=("v",), title="only v", ax=plt.subplots()[1], log=False)
    assert len(only.get_lines()) == 1 and only.get_title() == "only v" and only.get_yscale() == "linear"


def test_series_errors(traces):
    with pytest.raises(ValueError, match="has no v_t"):
        plot.series(traces["GD"])
    with pytest.raises(ValueError, match="^show must contain 'grad' and/or 'v'"):
        plot.series(traces["RMSProp"], show=("loss",))


def test_loss_curves(traces):
    ax = plot.loss_curves(traces)
    lines = ax.get_lines()
    assert len(lines) == len(traces)
    for ln, (label, tr) in zip(lines, traces.items()):
        assert ln.get_label() == label
        assert same_colour(ln.get_color(), plot.color(tr.optimizer))
        np.testing.assert_array_equal(ln.get_ydata(), tr.loss)
    assert ax.get_yscale() == "log"
    assert plot.loss_curves(traces, ax=plt.subplots()[1], log=False).get_yscale() == "linear"


def test_style_context_and_use_style():
    before = matplotlib.rcParams["axes.prop_cycle"]
    with plot.style():
        assert matplotlib.rcParams["image.cmap"] == plot.STYLE["image.cmap"]
        cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert set(c.upper() for c in cycle) == set(plot.OKABE_ITO)
    assert matplotlib.rcParams["axes.prop_cycle"] == before  # restored after the block
    with matplotlib.rc_context():
        plot.use_style()
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["figure.dpi"] == plot.STYLE["figure.dpi"]
