"""Kernel-free explorers on the static site: the ipywidgets explorers become pages that compute.

In a notebook (Jupyter, Binder, Colab) ``rmslib.widgets.OptimizerExplorer`` and
``HistoryExplorer`` run rmslib at every change. A static page has no kernel, so
``tools/site_polish.py`` calls :func:`convert_page` on every built page with
stored widget state, which

- finds each explorer cell (its source is ``OptimizerExplorer(...)`` or
  ``HistoryExplorer(...)`` with literal arguments), builds that same explorer
  with rmslib.widgets and reads its controls (names, labels, kinds, ranges,
  steps, defaults, options): the spec of the page's controls is generated from
  the widgets, never written twice;
- adds the problems' constants (Hessians as rmslib computed them, Rosenbrock's
  a and b, the sigmoid neuron's data), the colours and line styles of
  rmslib.plot, and for the optimizer explorer one background picture per
  problem: the contour panel (contours, minimum, axes, ticks, labels) drawn
  by matplotlib in the book's style (``rmslib.plot``), written to
  ``_static/explorers/``;
- replaces the stored PNG and the widget view with ``<div class="rx-explorer"
  data-spec=...>`` (the stored picture's alt text stays as a ``<noscript>``
  description), drops the widget state and the ipywidgets manager's scripts,
  and adds ``_static/explorers.js`` (which recomputes the runs in the page
  at each input, see its header) and ``explorers.css``.

Once no page needs it, the ipywidgets HTML manager (4.4 MB) and its
configuration are removed from the site (:func:`drop_widget_manager`).
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = Path(__file__).resolve().parent / "static"
JS_NAME, CSS_NAME = "explorers.js", "explorers.css"
EXPLORERS = ("OptimizerExplorer", "HistoryExplorer")
BACKGROUND_SIZE = (4.2, 3.6)   # inches, the contour panel (shown about this size)
BACKGROUND_DPI = 160   # 2 pixels per CSS pixel at 80 dpi (the book style), sharp on phones

WIDGET_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">.*?</script>\s*', re.S)
OUTPUT = re.compile(r'(?P<img><img\b(?P<attrs>[^>]*)>\s*)?'
                    r'<script type="application/vnd.jupyter.widget-view\+json">[^<]*</script>', re.S)
MANAGER = ("vendor/requirejs/require.js", "vendor/widgets-config.js", "vendor/html-manager/embed-amd.js")


class ExplorerError(RuntimeError):
    """A page's explorer cell could not be turned into a static explorer."""


def _import_rmslib():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import rmslib.widgets as widgets
    from rmslib import plot
    return widgets, plot


def explorer_call(source):
    """(class name, keyword arguments) of the explorer built by a cell's ``source``, or None.

    Only literal arguments are accepted (``ast.literal_eval``): nothing of the page is executed.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in EXPLORERS]
    if len(calls) != 1:
        return None
    call = calls[0]
    if call.args:
        raise ExplorerError(f"{call.func.id}(...) in a book cell must use keyword arguments only")
    try:
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except ValueError as err:
        raise ExplorerError(f"{call.func.id}(...) arguments must be literals for the static site: {err}") from None
    return call.func.id, kwargs


def _control(name, widget):
    """A control of the spec, read from the ipywidgets control itself."""
    kind = type(widget).__name__
    out = {"name": name, "label": widget.description, "value": widget.value}
    if kind in ("FloatSlider", "IntSlider", "FloatLogSlider"):
        out.update(type={"FloatSlider": "slider", "IntSlider": "intslider", "FloatLogSlider": "logslider"}[kind],
                   min=widget.min, max=widget.max, step=widget.step,
                   format=getattr(widget, "readout_format", None))
        if kind == "FloatLogSlider":
            out["base"] = widget.base
    elif kind == "Dropdown":
        out.update(type="select", options=list(widget.options))
    elif kind == "SelectMultiple":
        out.update(type="multi", options=[[o, o] for o in widget.options], value=list(widget.value))
    elif kind == "ToggleButtons":
        out.update(type="toggle", options=[list(o) for o in widget.options])
    elif kind == "FloatText":
        out.update(type="text")
    else:
        raise ExplorerError(f"control {name!r} is an ipywidgets {kind}, which the static explorer does not know")
    return out


def _problem_data(name, entry, background):
    """The constants of one problem of rmslib.widgets._PROBLEMS (as rmslib built them)."""
    make, xlim, ylim, start, labels = entry
    problem = make()
    kind = type(problem).__name__
    data = {"xlim": list(xlim), "ylim": list(ylim), "start": list(start), "labels": list(labels)}
    if kind == "Bowl":
        data.update(kind="bowl", hessian=problem.hessian.tolist(), center=problem.center.tolist())
    elif kind == "Rosenbrock":
        data.update(kind="rosenbrock", a=problem.a, b=problem.b)
    elif kind == "SigmoidNeuron":
        if problem.xs.shape != (2,):
            raise ExplorerError("the static sigmoid neuron handles two data points")
        data.update(kind="sigmoid", xs=problem.xs.tolist(), ys=problem.ys.tolist())
    else:
        raise ExplorerError(f"problem {name!r} ({kind}) has no static version")
    data.update(background)
    data["alt"] = (f"Contour lines of the {name} loss over {labels[0]} from {xlim[0]:g} to {xlim[1]:g} and "
                   f"{labels[1]} from {ylim[0]:g} to {ylim[1]:g}, darker towards the minimum"
                   + (", marked by a star" if problem.minimum is not None else "") + "; the paths are drawn over it.")
    return data


def _render_background(name, entry, folder):
    """The contour panel of one problem, drawn by matplotlib in the book's style; returns its spec part."""
    widgets, plot = _import_rmslib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image
    import io

    make, xlim, ylim, _, labels = entry
    with plot.style():
        fig = Figure(figsize=BACKGROUND_SIZE, layout="none")
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.16, 0.13, 0.8, 0.79))
        plot.contour(make(), xlim, ylim, ax=ax, n=120)
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
        ax.set_title(name, fontsize=10, y=1.0)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=BACKGROUND_DPI, facecolor="white")
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="webp", quality=80, method=6)
    data = out.getvalue()
    file = f"explorer-{hashlib.sha256(data).hexdigest()[:16]}.webp"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_bytes(data)
    pos = ax.get_position().bounds
    return {"file": file, "size": [image.width, image.height], "axes": [float(p) for p in pos],
            "xlim": [float(v) for v in ax.get_xlim()], "ylim": [float(v) for v in ax.get_ylim()]}


_BACKGROUNDS: dict = {}


def spec(cls_name, kwargs, static_dir=None, prefix="_static/explorers/"):
    """The JSON-able spec of an explorer built as ``cls_name(**kwargs)`` by rmslib.widgets.

    ``static_dir`` (the site's ``_static/explorers``) receives the background pictures;
    their URLs in the spec start with ``prefix``.
    """
    widgets, plot = _import_rmslib()
    explorer = getattr(widgets, cls_name)(**kwargs)
    controls = [_control(k, c) for k, c in explorer.controls.items()]
    if cls_name == "HistoryExplorer":
        return {"kind": "history", "controls": controls,
                "colors": {"grad": plot.color("grad"), "RMSProp": plot.color("RMSProp"),
                           "Adagrad": plot.color("Adagrad")}}
    problems = {}
    for name, entry in widgets._PROBLEMS.items():
        key = (str(static_dir), name)   # one rendering per problem and site folder
        if static_dir is not None and key not in _BACKGROUNDS:
            _BACKGROUNDS[key] = _render_background(name, entry, Path(static_dir))
        bg = dict(_BACKGROUNDS.get(key, {}))
        file = bg.pop("file", None)
        bg.pop("xlim", None), bg.pop("ylim", None)
        bg["background"] = prefix + file if file else ""
        problems[name] = _problem_data(name, entry, bg)
    return {"kind": "optimizer", "controls": controls, "mu": explorer.mu, "optimizers": list(widgets.OPTIMIZERS),
            "colors": {k: plot.color(k) for k in widgets.OPTIMIZERS},
            "linestyles": dict(widgets._LINESTYLES), "seriesColors": dict(plot.SERIES_COLORS),
            "problems": problems}


def _cell_source(body):
    """The Python source shown in a cell's input block (highlighted HTML back to text)."""
    m = re.search(r"<pre>(.*?)</pre>", body, re.S)
    if not m:
        return ""
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))


def convert_page(text, depth, outdir):
    """Replace each explorer's stored output in a built page by a static explorer; return the new text.

    ``depth`` is the page's folder depth below the site root (for relative URLs);
    ``outdir`` the site's root folder (backgrounds go to ``_static/explorers/``).
    """
    if "application/vnd.jupyter.widget-view+json" not in text:
        return text
    up = "../" * depth
    static_dir = Path(outdir) / "_static" / "explorers"
    count = 0

    def output(o):
        nonlocal count
        cell_start = text.rfind('<div class="cell docutils container">', 0, o.start())
        found = explorer_call(_cell_source(text[cell_start:o.start()])) if cell_start >= 0 else None
        if found is None:
            raise ExplorerError("a cell with a widget view is not an OptimizerExplorer or HistoryExplorer call")
        data = spec(*found, static_dir=static_dir, prefix=up + "_static/explorers/")
        alt = re.search(r'\balt="([^"]*)"', o.group("attrs") or "")
        alt = alt.group(1) if alt else ""
        first = ""
        if data["kind"] == "optimizer":
            problem = data["problems"][found[1].get("problem", "bowl")]
            w, h = problem["size"]
            first = (f'<img class="rx-background" src="{problem["background"]}" alt="{html.escape(problem["alt"])}" '
                     f'width="{w}" height="{h}" decoding="async">')
        note = ("<noscript><p class=\"rx-noscript\">This explorer computes in the page and needs JavaScript; "
                "the notebook runs it live (Binder, Colab or Jupyter)."
                + (f" Its initial state: {alt}" if alt else "") + "</p></noscript>")
        label = "Optimizer explorer" if data["kind"] == "optimizer" else "History explorer"
        count += 1
        return (f'<div class="rx-explorer" role="group" aria-label="{label}" '
                f'data-spec="{html.escape(json.dumps(data, ensure_ascii=False), quote=True)}">'
                f"{first}{note}</div>")

    text = OUTPUT.sub(output, text)
    if "application/vnd.jupyter.widget-view+json" in text:
        raise ExplorerError("a widget view was left on the page (its cell was not recognised)")
    text = WIDGET_STATE.sub("", text)
    for needle in MANAGER:
        text = re.sub(r'<script\b[^>]*\bsrc="[^"]*' + re.escape(needle) + r'[^"]*"[^>]*>\s*</script>\s*', "", text)
    if count:
        tags = (f'<link rel="stylesheet" href="{up}_static/{CSS_NAME}">'
                f'<script defer src="{up}_static/{JS_NAME}"></script>')
        text = text.replace("</head>", tags + "</head>", 1)
    return text


def install(outdir, pages):
    """Copy explorers.js and explorers.css into the site's _static; drop backgrounds no page uses (old builds)."""
    for name in (JS_NAME, CSS_NAME):
        shutil.copyfile(STATIC / name, Path(outdir) / "_static" / name)
    folder = Path(outdir) / "_static" / "explorers"
    if folder.is_dir():
        for path in folder.glob("explorer-*.webp"):
            if not any(path.name in text for text in pages.values()):
                path.unlink()


def drop_widget_manager(outdir, pages):
    """Remove the ipywidgets manager's files from the site when no page refers to them; return what went."""
    gone = []
    vendor = Path(outdir) / "_static" / "vendor"
    for needle, path in (("html-manager", vendor / "html-manager"), ("widgets-config", vendor / "widgets-config.js"),
                         ("widget-modules", vendor / "widget-modules")):
        if path.exists() and not any(needle in t for t in pages.values()):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            gone.append(path.name)
    return gone
