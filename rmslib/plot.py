"""Figures with one colour-blind-safe style shared by the whole book.

Colours come from the Okabe-Ito palette and always mean the same thing:
one colour per optimizer (``OPTIMIZER_COLORS``), and in time series the
gradient is vermillion and v_t is blue (``SERIES_COLORS``), as in the
lecture notes' red-derivative / blue-v_t plots.
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]

OPTIMIZER_COLORS = {
    "GD": "#000000",
    "Momentum": "#CC79A7",
    "Adagrad": "#E69F00",
    "RMSProp": "#009E73",
    "Adam": "#56B4E9",
}
SERIES_COLORS = {"grad": "#D55E00", "v": "#0072B2", "step": "#666666"}

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.autolayout": True,
    "axes.prop_cycle": mpl.cycler(color=OKABE_ITO[1:] + OKABE_ITO[:1]),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 11,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "image.cmap": "cividis",
    "svg.hashsalt": "rmslib",
}


def use_style():
    """Apply the book's style to every later figure (chapters call this once)."""
    mpl.rcParams.update(STYLE)


@contextmanager
def style():
    """Context manager: the book's style inside the ``with`` block only."""
    with mpl.rc_context(STYLE):
        yield


def color(name):
    """The colour of an optimizer (by class name) or series ("grad", "v", "step")."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'RMSProp' or 'grad', got {type(name).__name__}")
    if name in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[name]
    if name in SERIES_COLORS:
        return SERIES_COLORS[name]
    raise ValueError(f"name must be an optimizer ({', '.join(OPTIMIZER_COLORS)}) or a series "
                     f"({', '.join(SERIES_COLORS)}), got {name!r}")


def _ax(ax):
    return plt.subplots()[1] if ax is None else ax


def contour(problem, xlim, ylim, ax=None, levels=20, log=True, n=200):
    """Contour lines of ``problem.loss`` over a box; marks ``problem.minimum`` with a star."""
    ax = _ax(ax)
    xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = problem.loss(np.stack([X, Y], axis=-1))
    if log:
        Z = np.log10(Z - Z.min() + 1e-3)
    ax.contour(X, Y, Z, levels=levels, cmap="cividis", linewidths=0.8, alpha=0.8)
    if problem.minimum is not None:
        ax.plot(*problem.minimum[:2], marker="*", color="#000000", markersize=14, linestyle="none",
                label="minimum")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return ax


def trajectories(problem, traces, xlim, ylim, ax=None, labels=None, markers=True, **contour_kw):
    """Contour plot of ``problem`` with the path of each trace (a dict label -> Trace, or a list).

    Each path takes its optimizer's colour; pass ``labels`` to rename the legend entries.
    Paths drawn first are drawn wider, so a later path that runs along the same
    route cannot hide an earlier one, and each path's end point is marked by a
    cross in its colour.
    """
    ax = contour(problem, xlim, ylim, ax=ax, **contour_kw)
    items = list(traces.items() if isinstance(traces, dict) else [(t.optimizer, t) for t in traces])
    for i, (label, tr) in enumerate(items):
        if tr.params.ndim != 2 or tr.params.shape[1] < 2:
            raise ValueError("trajectories needs unbatched traces of 2-D problems; index a batched trace first")
        path = tr.params[:, :2]
        width = 1.2 + 1.2 * (len(items) - 1 - i)
        ax.plot(path[:, 0], path[:, 1], color=color(tr.optimizer), label=label if labels is None else labels[i],
                marker="o" if markers else None, markersize=3, linewidth=width, linestyle=["-", "--", ":", "-."][i % 4])
        ax.plot(*path[-1], marker="X", color=color(tr.optimizer), markeredgecolor="#000000", markersize=9,
                linestyle="none", label="end" if i == len(items) - 1 else None, zorder=5)
    ax.plot(*path[0], marker="s", color="#000000", linestyle="none", markersize=7, label="start")
    ax.legend(loc="best", fontsize=9)
    return ax


def series(trace, index=0, ax=None, show=("grad", "v"), title=None, log=True):
    """The gradient size ``|g_t|`` (vermillion) and ``sqrt(v_t)`` (blue) of parameter ``index`` against the step.

    Both curves are in the units of the gradient, so they share one axis, and
    the accumulator falls at step ``t`` exactly when the vermillion curve is
    below the blue one at ``t - 1`` (RMSProp: ``v_t < v_{t-1}`` iff
    ``|g_t| < sqrt(v_{t-1})``). ``log=True`` (the default) puts them on a log
    axis, where gradients that span several orders of magnitude stay visible;
    steps with ``g_t = 0`` are then not drawn.
    """
    ax = _ax(ax)
    t = np.arange(1, trace.steps + 1)
    names = {"grad": "$|g_t|$", "v": r"$\sqrt{v_t}$"}
    for key in show:
        if key not in names:
            raise ValueError(f"show must contain 'grad' and/or 'v', got {key!r}")
        data = trace.grads if key == "grad" else trace.v
        if data is None:
            raise ValueError(f"trace of {trace.optimizer} has no v_t to plot")
        column = data.reshape(trace.steps, -1)[:, index]
        values = np.abs(column) if key == "grad" else np.sqrt(column)
        ax.plot(t, values, color=color(key), label=names[key], linestyle="-" if key == "grad" else "--")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("gradient units")
    ax.legend(loc="best")
    ax.set_title(title if title is not None else trace.optimizer)
    return ax


def loss_curves(traces, ax=None, log=True):
    """Loss against step for each trace (dict label -> Trace), coloured by optimizer."""
    ax = _ax(ax)
    for i, (label, tr) in enumerate(traces.items()):
        ax.plot(tr.loss, color=color(tr.optimizer), label=label, linestyle=["-", "--", ":", "-."][i % 4])
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("loss")
    ax.legend(loc="best")
    return ax
