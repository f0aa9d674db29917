"""Interactive explorers for the chapters: move a control, see the optimizers respond.

Two explorers, built on ipywidgets and plain matplotlib (no ipympl needed)::

    from rmslib.widgets import OptimizerExplorer, HistoryExplorer

    # chapters 3 and 5: paths on a contour plot, and one optimizer's g_t, v_t and step size
    OptimizerExplorer(problem="bowl", optimizers=("GD", "RMSProp"), lr=0.1, steps=60)

    # chapter 4: a gradient history in three phases; RMSProp's v_t against Adagrad's sum
    HistoryExplorer(grads=(1.0, 0.0, 1.0), lengths=(30, 40, 30), beta=0.9)

As the last expression of a cell, an explorer shows two outputs: its figure, a
PNG image, and below it its controls. Each change of a control re-runs rmslib and
replaces that image in place (a display update). So the stored notebook holds a
real picture of the initial state (what the static site shows), the image's
text/plain is a deterministic summary of the runs (what nbval compares), and the
figure never depends on a widget renderer. (In a book cell, give the image alt
text with ``mystnb: image: alt:`` metadata; ``figure:`` metadata would wrap both
outputs and name two targets, so put the caption in the text next to the cell.)

Without a notebook (tests, benchmarks), set values programmatically; the figure
is redrawn before the assignment returns::

    ex = OptimizerExplorer()
    ex.controls["lr"].value = 0.05        # or ex.set(lr=0.05, beta=0.99): one redraw
    ex.paths["RMSProp"].get_data()        # the path drawn for RMSProp
    ex.message.value                      # "" or why something was not drawn

An invalid setting (a typed eps < 0, a learning rate that makes a run diverge)
shows a message in the explorer, never a traceback.

Speed: the figure is drawn in full only when its frame (axes limits, legend,
titles) changes; otherwise the cached background is restored and only the data
lines are redrawn (blitting), and axis limits move in 1-2-5 steps so that most
changes keep the frame. ``tools/bench_widgets.py`` measures the latency.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
import uuid
from contextlib import contextmanager

import ipywidgets as w
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter
from PIL import Image

from . import plot, problems
from .optimizers import GD, Adagrad, Adam, Momentum, RMSProp
from .running import run

__all__ = ["OptimizerExplorer", "HistoryExplorer", "OPTIMIZERS"]

OPTIMIZERS = ("GD", "Momentum", "Adagrad", "RMSProp", "Adam")  # the names the optimizer explorer offers
_LINESTYLES = {"GD": "-", "Momentum": "--", "Adagrad": ":", "RMSProp": "-", "Adam": "-."}
# name -> (make the problem, x limits, y limits, default start, axis labels)
_PROBLEMS = {
    "bowl": (lambda: problems.Bowl((1.0, 20.0)), (-4.5, 1.0), (-1.5, 1.5), (-4.0, 1.0), ("θ₁", "θ₂")),
    "rotated bowl": (lambda: problems.Bowl((1.0, 20.0), angle=30.0), (-4.5, 1.5), (-2.5, 2.5), (-4.0, 0.5),
                     ("θ₁", "θ₂")),
    "Rosenbrock": (problems.Rosenbrock, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ("θ₁", "θ₂")),
    "sigmoid neuron": (problems.SigmoidNeuron, (-5.0, 5.0), (-5.0, 5.0), (-4.0, -4.0), ("w", "b")),
}


def _nice(x):
    """The smallest number 1, 2 or 5 times a power of ten that is >= x > 0."""
    power = 10.0 ** np.floor(np.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-9))


def _linear_limits(*arrays):
    """Y limits that include 0 and every value, moving in 1-2-5 steps (stable under small changes)."""
    data = np.concatenate([np.ravel(a) for a in arrays] + [[0.0]])
    data = data[np.isfinite(data)]
    top = _nice(data.max()) if data.max() > 0 else 0.0
    bottom = -_nice(-data.min()) if data.min() < 0 else 0.0
    if top == bottom:
        top = 1.0
    pad = 0.05 * (top - bottom)
    return bottom - pad, top + pad


def _log_limits(*arrays, span=1e8):
    """Y limits in whole decades around the positive values (at most ``span`` wide)."""
    data = np.concatenate([np.ravel(a) for a in arrays] + [[np.nan]])
    data = data[np.isfinite(data) & (data > 0)]
    if data.size == 0:
        return 1e-3, 1.0
    top = 10.0 ** np.ceil(np.log10(data.max()))
    bottom = max(10.0 ** np.floor(np.log10(data.min())), top / span)
    return bottom, top if top > bottom else 10 * bottom


def _fit(ax, steps, *arrays):
    """Set ``ax``'s limits to show steps 1..steps and the arrays; return them.

    The limits only change when the data leave them or fill much less of them
    (one 1-2-5 step, or two decades on a log axis), so most slider moves keep
    the frame and the figure can be blitted.
    """
    log = ax.get_yscale() == "log"
    new, old = (_log_limits if log else _linear_limits)(*arrays), ax.get_ylim()
    width = (lambda lim: np.log10(lim[1] / lim[0])) if log else (lambda lim: lim[1] - lim[0])
    keep = old[0] <= new[0] and new[1] <= old[1] and (width(old) <= width(new) + 2 if log
                                                      else width(old) <= 2.6 * width(new))
    quantum = max(1, 10 ** int(np.log10(steps)) // 2)
    xlim = (0, int(np.ceil(steps / quantum) * quantum) + 1)
    ax.set_xlim(xlim)
    ax.set_ylim(old if keep else new)
    return xlim + tuple(float(y) for y in ax.get_ylim())


def _log_axis(ax):
    """Log y scale with plain tick labels (1e-03): mathtext labels would make a full draw slow."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:.0e}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _view(widget):
    """The reference a notebook stores to show ``widget``: the same in ipywidgets 8 (its
    ``_repr_mimebundle_``) and 7 (Google Colab's, which has no ``_repr_mimebundle_``)."""
    return {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}


class _Explorer:
    """Controls + a blitted Agg figure shown as a PNG that display updates replace in place."""

    def __init__(self, controls, rows, figure):
        self.controls = controls
        self.message = w.HTML()
        self.widget = w.VBox([w.HBox([w.VBox(col) for col in rows]), self.message])
        self.figure = figure
        self._canvas = FigureCanvasAgg(figure)
        self._notice = figure.text(0.5, 0.5, "", ha="center", va="center", color="#D55E00", animated=True,
                                   bbox={"facecolor": "white", "edgecolor": "#D55E00"}, wrap=True)
        self._frame = None
        self._display_id = uuid.uuid4().hex
        self._shown = False
        self._hold = False
        for control in controls.values():
            control.observe(self._changed, names="value")
            if hasattr(control, "continuous_update"):  # sliders redraw on release, not at every pixel
                control.continuous_update = False
        self.redraw()

    def set(self, **values):
        """Set several controls at once (by name, as in ``controls``) with a single redraw."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control {sorted(unknown)[0]!r}; the controls are {', '.join(self.controls)}")
        with self._held():
            for name, value in values.items():
                self.controls[name].value = value
        self.redraw()

    @contextmanager
    def _held(self):
        """Inside the block, value changes do not redraw."""
        old, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = old

    def _changed(self, change):
        if not self._hold:
            self.redraw()

    def redraw(self):
        """Re-run with the current control values, redraw the figure and update the shown image."""
        with plot.style(), np.errstate(all="ignore"):
            errors, self.summary, frame, drew = self._update()
            self.message.value = "".join(f"<p style='color:#D55E00'>⚠ {html.escape(e)}</p>" for e in errors)
            self._notice.set_text("" if drew else "Nothing to draw:\n" + "\n".join(errors))
            if frame != self._frame:  # full draw of the static parts (data artists are animated: skipped)
                self._canvas.draw()
                self._background = self._canvas.copy_from_bbox(self.figure.bbox)
                self._frame = frame
            else:
                self._canvas.restore_region(self._background)
            for artist in self._dynamic + [self._notice]:
                self.figure.draw_artist(artist)
        buf = io.BytesIO()  # a 256-colour PNG: a third of the bytes, and faster to encode
        image = Image.fromarray(np.asarray(self._canvas.buffer_rgba())).convert("RGB")
        image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="png", compress_level=1)
        self.png = buf.getvalue()
        if self._shown:
            from IPython.display import update_display
            update_display(self._bundle(), raw=True, display_id=self._display_id)

    def _bundle(self):
        return {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.summary}

    def _ipython_display_(self):
        """Show the figure (a PNG, updated in place later), then the controls."""
        from IPython.display import display
        display(self._bundle(), raw=True, display_id=self._display_id)
        display({"text/plain": f"{type(self).__name__} controls (live when the notebook runs)",
                 "application/vnd.jupyter.widget-view+json": _view(self.widget)}, raw=True)
        self._shown = True

    def _lines(self, ax, lines):
        """Make ``lines`` (label -> (colour, linestyle)) animated Line2Ds on ``ax``."""
        return {k: ax.plot([], [], color=c, linestyle=ls, label=k, animated=True)[0] for k, (c, ls) in lines.items()}


def _optimizer(name, lr, beta, eps, mu):
    if name == "GD":
        return GD(lr)
    if name == "Momentum":
        return Momentum(lr, beta=mu)
    if name == "Adagrad":
        return Adagrad(lr, eps=eps)
    if name == "RMSProp":
        return RMSProp(lr, beta=beta, eps=eps)
    return Adam(lr, beta1=mu, beta2=beta, eps=eps)


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _check_number(name, value, low=-np.inf, high=np.inf, kind=numbers.Real):
    """A number (an integer if ``kind`` is numbers.Integral) in [low, high], the range of its control."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if kind is numbers.Integral else 'a number'}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}] (the range of its control), got {value!r}")


class OptimizerExplorer(_Explorer):
    """Paths of optimizers on a 2-D problem, with one optimizer's g_t, v_t and step size beside them.

    Parameters
    ----------
    problem : str
        "bowl", "rotated bowl", "Rosenbrock" or "sigmoid neuron".
    optimizers : tuple
        One or more of "GD", "Momentum", "Adagrad", "RMSProp", "Adam".
    lr, beta, eps : float
        Shared by all optimizers: eta (1e-4 to 10); beta, the decay of the
        squared-gradient average (RMSProp's beta, Adam's beta2; 0 to 0.999);
        eps (typed, so it can be invalid: the explorer then says why).
    start : tuple or None
        The start point (two numbers inside the plotted box); None takes the problem's default.
    steps : int
        Number of updates (1 to 500).
    mu : float
        Momentum's beta and Adam's beta1 (fixed, not a control).
    focus : str or None
        Whose g_t, v_t and step size are shown (RMSProp if selected, else the first).
    coordinate : int
        Which parameter's series are shown (0 or 1).

    Attributes
    ----------
    controls : dict
        Name -> widget: problem, optimizers, lr, beta, eps, x0, y0, steps, focus, coordinate.
    widget
        The box of controls (an ipywidgets VBox) with the message line at its foot.
    message
        The message line (an ipywidgets HTML): empty when all is well, else what was not drawn and why.
    figure
        The matplotlib Figure (drawn with the Agg canvas; no pyplot).
    png : bytes
        The latest rendering of the figure, the image that the notebook shows.
    summary : str
        The final loss and point of each run, or why nothing was drawn (the image's text/plain).
    paths : dict
        Optimizer name -> the Line2D of its path on the contour plot.
    series : dict
        "grad", "v", "step" -> the Line2D of g_t, v_t and the step size against t.
    traces : dict
        Optimizer name -> the Trace drawn (runs that failed are absent).
    """

    def __init__(self, problem="bowl", optimizers=("GD", "RMSProp"), lr=0.1, beta=0.9, eps=1e-8, start=None,
                 steps=60, mu=0.9, focus=None, coordinate=0):
        _check_choice("problem", problem, tuple(_PROBLEMS))
        optimizers = tuple(optimizers)
        if not optimizers:
            raise ValueError(f"optimizers must name at least one of {', '.join(OPTIMIZERS)}")
        for name in optimizers:
            _check_choice("optimizers", name, OPTIMIZERS)
        for name, value, low, high in (("lr", lr, 1e-4, 10), ("beta", beta, 0, 0.999), ("eps", eps, -np.inf, np.inf),
                                       ("mu", mu, 0, 0.999)):
            _check_number(name, value, low, high)
        _check_number("steps", steps, 1, 500, numbers.Integral)
        _check_choice("coordinate", coordinate, (0, 1))
        focus = focus or ("RMSProp" if "RMSProp" in optimizers else optimizers[0])
        _check_choice("focus", focus, optimizers)
        self.mu = mu
        self._problems, self._runs = {}, {}
        xlim, ylim, default = _PROBLEMS[problem][1:4]
        x0, y0 = default if start is None else start
        _check_number("start[0]", x0, *xlim)
        _check_number("start[1]", y0, *ylim)
        wide = {"style": {"description_width": "70px"}, "layout": w.Layout(width="290px")}
        controls = {
            "problem": w.Dropdown(options=list(_PROBLEMS), value=problem, description="problem", **wide),
            "optimizers": w.SelectMultiple(options=OPTIMIZERS, value=optimizers, rows=5,
                                           description="optimizers", **wide),
            "lr": w.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.01, description="η (lr)",
                                   readout_format=".3g", **wide),
            "beta": w.FloatSlider(value=beta, min=0.0, max=0.999, step=0.001, description="β",
                                  readout_format=".3f", **wide),
            "eps": w.FloatText(value=eps, description="ε", **wide),
            "steps": w.IntSlider(value=steps, min=1, max=500, description="steps", **wide),
            "x0": w.FloatSlider(value=x0, min=xlim[0], max=xlim[1], step=0.05, description="start θ₁", **wide),
            "y0": w.FloatSlider(value=y0, min=ylim[0], max=ylim[1], step=0.05, description="start θ₂", **wide),
            "focus": w.Dropdown(options=optimizers, value=focus, description="series of", **wide),
            "coordinate": w.ToggleButtons(options=[("θ₁", 0), ("θ₂", 1)], value=coordinate,
                                          description="parameter", style={"button_width": "60px"}),
        }
        c = controls
        rows = [[c["problem"], c["optimizers"]], [c["lr"], c["beta"], c["eps"], c["steps"]],
                [c["x0"], c["y0"], c["focus"], c["coordinate"]]]
        with plot.style():
            fig = Figure(figsize=(10.5, 4.4), layout="none")
            grid = fig.add_gridspec(2, 2, width_ratios=(1.15, 1), left=0.07, right=0.98, bottom=0.12, top=0.9,
                                    wspace=0.2, hspace=0.45)
            self._ax = fig.add_subplot(grid[:, 0])
            self._ax_gv = fig.add_subplot(grid[0, 1])
            self._ax_step = fig.add_subplot(grid[1, 1])
            self.series = self._lines(self._ax_gv, {"grad": (plot.color("grad"), "-"), "v": (plot.color("v"), "--")})
            self.series.update(self._lines(self._ax_step, {"step": (plot.color("step"), "-")}))
            # |g_t| and sqrt(v_t) share the gradient's units, so one (log) axis shows both honestly
            self._ax_gv.legend(handles=list(self.series.values())[:2], labels=["$|g_t|$", "$\\sqrt{v_t}$"],
                               loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=9, borderaxespad=0.1)
            _log_axis(self._ax_gv)
            _log_axis(self._ax_step)
            self._ax_gv.tick_params(labelbottom=False)
            self._ax_step.set_xlabel("step $t$")
            self._ax_step.set_title("step size $|\\Delta\\theta_t|$", fontsize=10, y=1.0)
        self._problem_drawn = None
        self.traces = {}
        super().__init__(controls, rows, fig)

    def _changed(self, change):
        c, owner = self.controls, change["owner"]
        if owner is c["problem"]:  # move the start sliders into the new problem's box
            xlim, ylim, start = _PROBLEMS[change["new"]][1:4]
            with self._held():
                for slider, (lo, hi), value in zip((c["x0"], c["y0"]), (xlim, ylim), start):
                    slider.min, slider.max = min(lo, slider.min), max(hi, slider.max)  # widen, then narrow
                    slider.value = value
                    slider.min, slider.max = lo, hi
        if owner is c["optimizers"]:  # "series of" offers the selected optimizers
            selected, old = tuple(change["new"]), c["focus"].value
            with self._held():
                c["focus"].options = selected
                if selected and old not in selected:
                    c["focus"].value = "RMSProp" if "RMSProp" in selected else selected[0]
        super()._changed(change)

    def _draw_problem(self, name):
        """Contours, minimum, start marker and one (animated) path line per optimizer."""
        make, xlim, ylim, _, labels = _PROBLEMS[name]
        if name not in self._problems:
            self._problems[name] = make()
        ax = self._ax
        ax.clear()
        plot.contour(self._problems[name], xlim, ylim, ax=ax, n=120)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(name, fontsize=10, y=1.0)
        # earlier optimizers are drawn wider, so a later path on the same route cannot hide them
        self.paths = {k: ax.plot([], [], color=plot.color(k), linestyle=_LINESTYLES[k], marker="o", markersize=3,
                                 linewidth=1.2 + 0.5 * (len(OPTIMIZERS) - 1 - j), label=k, animated=True)[0]
                      for j, k in enumerate(OPTIMIZERS)}
        self.ends = {k: ax.plot([], [], marker="X", color=plot.color(k), markeredgecolor="#000000", markersize=9,
                                linestyle="none", animated=True, zorder=5)[0] for k in OPTIMIZERS}
        self._start = ax.plot([], [], marker="s", color="#000000", linestyle="none", markersize=7,
                              label="start", animated=True)[0]
        self._problem_drawn, self._legend_for = name, None

    def _run(self, name, v, problem, x0):
        """The Trace of one optimizer with the settings ``v``, or a message saying why there is none.

        Results are kept by setting, so moving beta re-runs only the optimizers that use it.
        """
        try:
            opt = _optimizer(name, v["lr"], v["beta"], v["eps"], self.mu)
        except (ValueError, TypeError) as exc:
            return f"{name}: {exc}"
        key = (v["problem"], repr(opt), tuple(x0), v["steps"])
        if key not in self._runs:
            if len(self._runs) > 200:
                self._runs.clear()
            try:
                trace = run(opt, problem, x0, steps=v["steps"])
            except (ValueError, TypeError) as exc:
                trace = f"{name}: {exc}"
            else:
                peak = np.max(trace.loss)
                if not np.isfinite(peak) or peak > 1e6 * (1.0 + trace.loss[0]):
                    trace = (f"{name} diverged with lr={v['lr']:.3g} (the loss grew from "
                             f"{trace.loss[0]:.3g} to {peak:.3g}); lower η")
            self._runs[key] = trace
        return self._runs[key]

    def _update(self):
        v = {k: c.value for k, c in self.controls.items()}
        if v["problem"] != self._problem_drawn:
            self._draw_problem(v["problem"])
        problem = self._problems[v["problem"]]
        x0 = np.array([v["x0"], v["y0"]])
        errors, self.traces = [], {}
        if not v["optimizers"]:
            errors.append("optimizers: select at least one")
        for name in v["optimizers"]:
            result = self._run(name, v, problem, x0)
            if isinstance(result, str):
                errors.append(result)
            else:
                self.traces[name] = result
        for name, line in self.paths.items():
            tr = self.traces.get(name)
            line.set_data(*(tr.params.T if tr is not None else ([], [])))
            self.ends[name].set_data(*(tr.params[-1:].T if tr is not None else ([], [])))
        self._start.set_data([x0[0]], [x0[1]])
        if tuple(self.traces) != self._legend_for:
            self._ax.legend(handles=[self.paths[k] for k in self.traces] + [self._start], loc="upper right",
                            fontsize=9)
            self._legend_for = tuple(self.traces)

        i, focus = v["coordinate"], v["focus"]
        tr, t = self.traces.get(focus), np.arange(1, v["steps"] + 1)
        grad = np.abs(tr.grads[:, i]) if tr is not None else np.array([])
        vt = np.sqrt(tr.v[:, i]) if tr is not None and tr.v is not None else np.array([])
        step = np.abs(np.diff(tr.params[:, i])) if tr is not None else np.array([])
        for key, data in (("grad", grad), ("v", vt), ("step", step)):
            self.series[key].set_data(t[:len(data)], data)
        label = ("θ₁", "θ₂") if v["problem"] != "sigmoid neuron" else ("w", "b")
        no_v = "" if tr is None or tr.v is not None else f" (no $v_t$ for {focus})"
        self._ax_gv.set_title(f"{focus}, {label[i]}{no_v}" if tr is not None else "", fontsize=10, y=1.0, loc="left")
        limits = _fit(self._ax_gv, v["steps"], grad, vt), _fit(self._ax_step, v["steps"], step)
        self._dynamic = (list(self.paths.values()) + list(self.ends.values()) + [self._start]
                         + list(self.series.values()))

        head = (f"{v['problem']} from ({x0[0]:g}, {x0[1]:g}), {v['steps']} steps, "
                f"lr={v['lr']:.6g}, beta={v['beta']:.6g}, eps={v['eps']:.6g}")
        lines = [f"{k:9s} final loss {tr.loss[-1]:.6e} at ({tr.params[-1, 0]:.6g}, {tr.params[-1, 1]:.6g})"
                 for k, tr in self.traces.items()]
        summary = "\n".join([head] + lines + [f"not drawn: {e}" for e in errors] +
                            (["nothing drawn"] if not self.traces else []))
        frame = (v["problem"], tuple(self.traces), focus, i, no_v, limits)
        return errors, summary, frame, bool(self.traces)


class _Schedule(problems.Problem):
    """A 1-parameter 'problem' whose gradient at step t is ``grads[t]``, whatever the parameter."""

    dim, time_varying = 1, True

    def __init__(self, grads):
        self.grads = grads

    def grad(self, x, t=0):
        return np.full(np.shape(x), self.grads[t])

    def loss(self, x, t=0):
        return 0.0


class HistoryExplorer(_Explorer):
    """How beta and the gradient's history shape RMSProp's v_t, next to Adagrad's running sum.

    The gradient is ``grads[k]`` for ``lengths[k]`` steps, for the three phases
    k = 0, 1, 2 (for example large, then zero, then large again). The figure
    shows g_t; RMSProp's v_t (the decaying average, which falls whenever
    g_t^2 < v_{t-1}) against Adagrad's v_t (the sum, which never falls), on a
    log scale; and the effective learning rate 1/sqrt(v_t + eps) of each
    (per unit of eta).

    Parameters
    ----------
    grads : tuple
        The gradient in each of the 3 phases (numbers from -3 to 3).
    lengths : tuple
        The number of steps of each of the 3 phases (integers from 0 to 150; not all 0).
    beta, eps : float
        RMSProp's decay (0 to 0.999) and the eps of both (typed; may be invalid).

    Attributes
    ----------
    controls : dict
        Name -> widget: beta, eps, g1, g2, g3, n1, n2, n3.
    widget, message, figure, png, summary
        As for OptimizerExplorer.
    lines : dict
        "grad", "rmsprop_v", "adagrad_v", "rmsprop_lr", "adagrad_lr" -> the Line2D drawn.
    falls : int
        On how many steps RMSProp's v_t fell (v_t < v_{t-1}).
    """

    def __init__(self, grads=(1.0, 0.0, 1.0), lengths=(30, 40, 30), beta=0.9, eps=1e-8):
        grads, lengths = tuple(grads), tuple(lengths)
        if len(grads) != 3 or len(lengths) != 3:
            raise ValueError(f"grads and lengths must have 3 entries each (one per phase), got {grads!r}, {lengths!r}")
        for k in range(3):
            _check_number(f"grads[{k}]", grads[k], -3, 3)
            _check_number(f"lengths[{k}]", lengths[k], 0, 150, numbers.Integral)
        _check_number("beta", beta, 0, 0.999)
        _check_number("eps", eps)
        wide = {"style": {"description_width": "80px"}, "layout": w.Layout(width="300px")}
        controls = {"beta": w.FloatSlider(value=beta, min=0.0, max=0.999, step=0.001, description="β",
                                          readout_format=".3f", **wide),
                    "eps": w.FloatText(value=eps, description="ε", **wide)}
        for k in range(3):
            controls[f"g{k + 1}"] = w.FloatSlider(value=grads[k], min=-3, max=3, step=0.05,
                                                  description=f"phase {k + 1}: g", **wide)
            controls[f"n{k + 1}"] = w.IntSlider(value=lengths[k], min=0, max=150,
                                                description=f"phase {k + 1}: steps", **wide)
        c = controls
        rows = [[c["beta"], c["eps"]], [c["g1"], c["g2"], c["g3"]], [c["n1"], c["n2"], c["n3"]]]
        with plot.style():
            fig = Figure(figsize=(10.5, 5.2), layout="none")
            axes = fig.subplots(3, 1, gridspec_kw={"left": 0.09, "right": 0.8, "bottom": 0.1,
                                                                  "top": 0.9, "hspace": 0.35})
            self._panels = axes
            rms, ada = (plot.color("RMSProp"), "-"), (plot.color("Adagrad"), "--")
            self.lines = self._lines(axes[0], {"grad": (plot.color("grad"), "-")})
            self.lines.update(self._lines(axes[1], {"rmsprop_v": rms, "adagrad_v": ada}))
            self.lines.update(self._lines(axes[2], {"rmsprop_lr": rms, "adagrad_lr": ada}))
            axes[0].set_ylabel("$g_t$")
            axes[1].set_ylabel("$v_t$")
            axes[2].set_ylabel("$1/\\sqrt{v_t + \\epsilon}$")
            for ax in axes[1:]:
                _log_axis(ax)
            for ax in axes[:2]:
                ax.tick_params(labelbottom=False)
            axes[1].legend(handles=[self.lines["rmsprop_v"], self.lines["adagrad_v"]],
                           labels=["RMSProp: average", "Adagrad: sum"], loc="upper left",
                           bbox_to_anchor=(1.01, 1.0), fontsize=9)
            axes[2].set_xlabel("step $t$")
            self._headline = fig.text(0.45, 0.97, "", ha="center", va="top", animated=True)
        super().__init__(controls, rows, fig)

    def _update(self):
        v = {k: c.value for k, c in self.controls.items()}
        g = np.concatenate([np.full(v[f"n{k}"], float(v[f"g{k}"])) for k in (1, 2, 3)])
        self._dynamic = list(self.lines.values()) + [self._headline]
        errors, runs = [], {}
        if g.size == 0:
            errors.append("the gradient history is empty: give a phase at least one step")
        makers = (("RMSProp", lambda: RMSProp(1.0, beta=v["beta"], eps=v["eps"])),
                  ("Adagrad", lambda: Adagrad(1.0, eps=v["eps"])))
        for name, opt in makers if g.size else ():
            try:
                runs[name] = run(opt(), _Schedule(g), np.zeros(1), steps=g.size).v[:, 0]
            except (ValueError, TypeError) as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            runs = {}
        t = np.arange(1, g.size + 1)
        empty = np.array([])
        rv, av = runs.get("RMSProp", empty), runs.get("Adagrad", empty)
        rate = {k: 1.0 / np.sqrt(x + v["eps"]) for k, x in (("r", rv), ("a", av))}
        data = {"grad": g if runs else empty, "rmsprop_v": rv, "adagrad_v": av,
                "rmsprop_lr": rate["r"], "adagrad_lr": rate["a"]}
        for key, line in self.lines.items():
            line.set_data(t[:len(data[key])], data[key])
        self.falls = int(np.sum(np.diff(rv, prepend=0.0) < 0))
        if runs:
            self._headline.set_text(f"β = {v['beta']:.3g}: RMSProp's $v_t$ fell on {self.falls} of {g.size} steps; "
                                    "Adagrad's sum never falls")
            summary = (f"beta={v['beta']:.6g}, eps={v['eps']:.6g}, {g.size} steps: RMSProp's v_t fell on "
                       f"{self.falls} steps, ends at {rv[-1]:.6g} (max {rv.max():.6g}); "
                       f"Adagrad's sum ends at {av[-1]:.6g}")
        else:
            self._headline.set_text("")
            summary = "nothing drawn: " + "; ".join(errors)
        n = max(g.size, 1)
        limits = (_fit(self._panels[0], n, data["grad"]), _fit(self._panels[1], n, rv, av),
                  _fit(self._panels[2], n, rate["r"], rate["a"]))
        return errors, summary, limits, bool(runs)
