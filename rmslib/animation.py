"""Animations that play in a static web page, with no kernel: :func:`animate_trajectories`, :func:`animate_series`.

Each function draws the still parts of a figure once with matplotlib (contours,
axes, legend) into a small PNG, and records the moving parts (paths, curves) as
pixel coordinates. The result, an :class:`Animation`, displays in a notebook
and on the website as one self-contained HTML block: the PNG, a canvas on top
of it, a Play/Pause button and a step slider, and a few lines of JavaScript
that draw frame ``k`` by drawing every path up to its ``k``-th point.

The HTML is deterministic (no random ids, no timestamps, fixed PNG metadata),
so nbval can compare it byte for byte, and small (a few tens of kB). Before
any button is pressed the player shows the last frame, the whole story.
"""

from __future__ import annotations

import base64
import html
import io
import json

import matplotlib.pyplot as plt
import numpy as np

from . import _validate as check
from . import plot as _plot

__all__ = ["Animation", "animate_trajectories", "animate_series"]

_DASHES = {"-": [], "--": [7, 4], ":": [2, 3], "-.": [7, 3, 2, 3]}
_STYLES = ["-", "--", ":", "-."]

# The player. It finds its own <div> through document.currentScript (pages,
# JupyterLab) or, failing that, as the last player not yet started.
_SCRIPT = """(function () {
  var s = document.currentScript, root = s && s.parentNode;
  if (!root || !root.classList || !root.classList.contains("rmslib-anim")) {
    var all = document.querySelectorAll(".rmslib-anim:not([data-ready])");
    root = all[all.length - 1];
  }
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var d = JSON.parse(root.querySelector(".rmslib-anim-data").textContent);
  var cv = root.querySelector("canvas"), cx = cv.getContext("2d");
  var btn = root.querySelector("button"), rng = root.querySelector("input"), out = root.querySelector("output");
  var n = d.frames, f = n - 1, timer = null;
  function draw() {
    cx.clearRect(0, 0, cv.width, cv.height);
    cx.save();
    cx.beginPath(); cx.rect(d.clip[0], d.clip[1], d.clip[2], d.clip[3]); cx.clip();
    d.layers.forEach(function (L) {
      var p = L.xy, k = Math.min(f, p.length / 2 - 1), i;
      cx.strokeStyle = L.color; cx.fillStyle = L.color; cx.lineWidth = L.width;
      cx.setLineDash(L.dash); cx.beginPath();
      for (i = 0; i <= k; i++) { if (i) cx.lineTo(p[2 * i], p[2 * i + 1]); else cx.moveTo(p[0], p[1]); }
      cx.stroke(); cx.setLineDash([]);
      cx.beginPath(); cx.arc(p[2 * k], p[2 * k + 1], L.dot, 0, 2 * Math.PI); cx.fill();
    });
    cx.restore();
    rng.value = f;
    out.textContent = d.unit + " " + d.steps[f] + " of " + d.steps[n - 1];
    root.setAttribute("data-frame", f);
  }
  function stop() {
    clearInterval(timer); timer = null;
    btn.textContent = "\\u25B6 Play"; btn.setAttribute("aria-pressed", "false");
  }
  function play() {
    if (f >= n - 1) f = 0;
    draw();
    btn.textContent = "\\u275A\\u275A Pause"; btn.setAttribute("aria-pressed", "true");
    timer = setInterval(function () { if (f >= n - 1) { stop(); return; } f += 1; draw(); }, d.interval);
  }
  btn.addEventListener("click", function () { if (timer) stop(); else play(); });
  rng.addEventListener("input", function () { stop(); f = +rng.value; draw(); });
  draw();
})();"""


class Animation:
    """A self-contained HTML/JavaScript player (what the ``animate_*`` functions return).

    Displays itself in Jupyter (``_repr_html_``) and on the website. ``html``
    is the markup, ``frames`` the number of frames, ``steps`` the optimisation
    step each frame shows, ``alt`` the text description of the figure.
    """

    def __init__(self, html_text, frames, steps, alt):
        self.html = html_text
        self.frames = frames
        self.steps = steps
        self.alt = alt

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return f"<Animation: {self.frames} frames, steps {self.steps[0]} to {self.steps[-1]}>"

    def save(self, path):
        """Write a standalone HTML page holding the animation."""
        page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.alt[:60])}</title></head><body>\n{self.html}\n</body></html>\n")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)


def _frame_steps(steps, frames):
    """Which step each frame shows: every step if ``frames`` is None, else ``frames`` evenly spread."""
    if frames is None:
        return np.arange(steps + 1)
    frames = check.positive_int("frames", frames)
    if frames < 2:
        raise ValueError(f"frames must be at least 2, got {frames}")
    return np.unique(np.round(np.linspace(0, steps, min(frames, steps + 1))).astype(int))


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _pixels(ax, fig, xy):
    """Data coordinates -> canvas pixels (origin top left), rounded to 0.1 px and flattened."""
    height = fig.bbox.height
    with np.errstate(all="ignore"):
        px = ax.transData.transform(np.asarray(xy, dtype=np.float64))
    px[:, 1] = height - px[:, 1]
    px = np.clip(np.nan_to_num(px, nan=-1e4, posinf=1e4, neginf=-1e4), -1e4, 1e4)
    return [round(float(v), 1) for v in px.ravel()]


def _clip(ax, fig):
    b = ax.get_window_extent()
    return [round(float(b.x0), 1), round(float(fig.bbox.height - b.y1), 1),
            round(float(b.width), 1), round(float(b.height), 1)]


def _build(fig, ax, layers, steps, alt, title, unit, interval):
    interval = check.positive_int("interval", interval)
    fig.canvas.draw()
    png = _png(fig)
    width, height = int(round(fig.bbox.width)), int(round(fig.bbox.height))
    data = {"frames": len(steps), "steps": [int(s) for s in steps], "interval": interval, "unit": unit,
            "clip": _clip(ax, fig),
            "layers": [{**layer, "xy": _pixels(ax, fig, layer["xy"])} for layer in layers]}
    plt.close(fig)
    label = title if title else alt
    blob = json.dumps(data, separators=(",", ":"), sort_keys=True).replace("</", "<\\/")
    last = len(steps) - 1
    markup = (
        f'<div class="rmslib-anim" role="group" aria-label="{html.escape(label)}" data-frame="{last}" '
        f'data-frames="{len(steps)}" style="max-width:{width}px;margin:0.5em 0;font-family:sans-serif">\n'
        f'<div style="position:relative">'
        f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}" width="{width}" height="{height}" '
        f'style="display:block;width:100%;height:auto;max-width:none;margin:0">'
        f'<canvas width="{width}" height="{height}" aria-hidden="true" '
        f'style="position:absolute;left:0;top:0;width:100%;height:100%"></canvas></div>\n'
        f'<div style="display:flex;align-items:center;gap:0.6em;margin-top:0.3em">'
        f'<button type="button" aria-pressed="false" style="min-width:6.5em;padding:0.2em 0.6em;'
        f'border:1px solid #666;border-radius:4px;background:#f4f4f4;color:#000;cursor:pointer">'
        f'&#9654; Play</button>'
        f'<input type="range" min="0" max="{last}" value="{last}" step="1" aria-label="{html.escape(unit)} shown" '
        f'style="flex:1">'
        f'<output aria-live="off" style="min-width:8em">{html.escape(unit)} {int(steps[-1])} of {int(steps[-1])}'
        f'</output></div>\n'
        f'<script type="application/json" class="rmslib-anim-data">{blob}</script>\n'
        f'<script>{_SCRIPT}</script>\n</div>'
    )
    return Animation(markup, len(steps), [int(s) for s in steps], alt)


def _items(traces, labels):
    if isinstance(traces, dict):
        items = list(traces.items())
    elif isinstance(traces, (list, tuple)):
        items = [(t.optimizer, t) for t in traces]
    else:
        raise TypeError("traces must be a dict label -> Trace or a list of Traces")
    if not items:
        raise ValueError("traces must hold at least one Trace")
    if labels is not None:
        if len(labels) != len(items):
            raise ValueError(f"labels must have one entry per trace ({len(items)}), got {len(labels)}")
        items = [(lab, tr) for lab, (_, tr) in zip(labels, items)]
    return items


def _limits(name, lim):
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (low, high), got {lim!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be two finite numbers with low < high, got {lim!r}")
    return lo, hi


def animate_trajectories(problem, traces, xlim, ylim, *, labels=None, alt=None, title=None, frames=None,
                         interval=80, xlabel="$x_1$", ylabel="$x_2$", **contour_kw):
    """Animate the paths of several runs over the contour plot of a 2-D ``problem``.

    Parameters
    ----------
    problem
        A two-parameter problem (from :mod:`rmslib.problems`); its contours are the background.
    traces : dict or list
        ``label -> Trace`` (or a list of traces, labelled by optimizer), each an unbatched run
        on ``problem``. Each path takes its optimizer's colour, as in :func:`rmslib.plot.trajectories`.
    xlim, ylim : (float, float)
        The plotted box.
    alt : str, optional
        Text description of the figure for readers who cannot see it; a plain default is generated.
    frames : int, optional
        Number of frames (default: one per step); frames are spread evenly over the steps.
    interval : int
        Milliseconds between frames when playing.
    """
    items = _items(traces, labels)
    xlim, ylim = _limits("xlim", xlim), _limits("ylim", ylim)
    steps = None
    for name, tr in items:
        if tr.params.ndim != 2 or tr.params.shape[1] != 2:
            raise ValueError(f"traces[{name!r}] must be an unbatched run of a 2-D problem, "
                             f"got params of shape {tr.params.shape}")
        steps = tr.steps if steps is None else max(steps, tr.steps)
    shown = _frame_steps(steps, frames)
    with _plot.style():
        fig, ax = plt.subplots()
        _plot.contour(problem, xlim, ylim, ax=ax, **contour_kw)
        layers = []
        for i, (name, tr) in enumerate(items):
            style = _STYLES[i % len(_STYLES)]
            colour = _plot.color(tr.optimizer)
            ax.plot([], [], color=colour, linestyle=style, label=name)
            idx = np.minimum(shown, tr.steps)
            layers.append({"color": colour, "dash": _DASHES[style], "width": 2, "dot": 4,
                           "xy": tr.params[idx]})
        ax.plot(*items[0][1].params[0], marker="s", color="#000000", linestyle="none", markersize=7, label="start")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=9)
        if title:
            ax.set_title(title)
    if alt is None:
        alt = (f"Animation on the contour plot of {problem!r}: the paths of "
               f"{', '.join(str(n) for n, _ in items)} grow step by step from the square start marker "
               f"over {steps} steps.")
    return _build(fig, ax, layers, shown, _text("alt", alt), title, "step", interval)


def animate_series(trace, index=0, *, show=("grad", "v"), alt=None, title=None, frames=None, interval=80,
                   ylim=None):
    """Animate the gradient :math:`g_t` and the accumulator :math:`v_t` of one parameter against the step.

    The background shows both curves faintly; playing draws them step by step
    in the book's colours (gradient vermillion, :math:`v_t` blue and dashed).

    Parameters
    ----------
    trace : Trace
        An unbatched run of an adaptive optimizer (one that records ``v``) if ``"v"`` is shown.
    index : int
        Which parameter (flat index) to follow.
    show : tuple
        Any of ``"grad"`` and ``"v"``.
    alt, title, frames, interval
        As in :func:`animate_trajectories`.
    """
    if not hasattr(trace, "grads") or not hasattr(trace, "v"):
        raise TypeError(f"trace must be an rmslib Trace, got {type(trace).__name__}")
    if trace.params.ndim != 2:
        raise ValueError(f"trace must be an unbatched run, got params of shape {trace.params.shape}")
    n = trace.params.shape[1]
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise ValueError(f"index must be an integer in [0, {n}), got {index!r}")
    show = tuple(show)
    names = {"grad": "gradient $g_t$", "v": "$v_t$"}
    if not show or any(k not in names for k in show):
        raise ValueError(f"show must hold 'grad' and/or 'v', got {show!r}")
    if "v" in show and trace.v is None:
        raise ValueError(f"trace of {trace.optimizer} has no v_t to show")
    steps = np.arange(1, trace.steps + 1)
    shown = _frame_steps(trace.steps - 1, frames) + 1       # step numbers 1..steps
    with _plot.style():
        fig, ax = plt.subplots()
        layers = []
        for key in show:
            data = (trace.grads if key == "grad" else trace.v)[:, index]
            style = "-" if key == "grad" else "--"
            colour = _plot.color(key)
            ax.plot(steps, data, color=colour, alpha=0.2, linestyle=style)
            ax.plot([], [], color=colour, linestyle=style, label=names[key])
            layers.append({"color": colour, "dash": _DASHES[style], "width": 2, "dot": 4,
                           "xy": np.column_stack([shown, data[shown - 1]])})
        ax.axhline(0.0, color="#000000", linewidth=0.8)
        if ylim is not None:
            ax.set_ylim(_limits("ylim", ylim))
        ax.set_xlabel("step $t$")
        ax.legend(loc="best")
        ax.set_title(title if title else trace.optimizer)
    if alt is None:
        alt = (f"Animation of {' and '.join(names[k].replace('$', '') for k in show)} for parameter {index} "
               f"of a {trace.optimizer} run, drawn step by step over {trace.steps} steps.")
    return _build(fig, ax, layers, shown, _text("alt", alt), title, "step", interval)


def _text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty description, got {value!r}")
    return value.strip()
