"""Benchmarks (``make bench``): print one table and write it as data for the Performance page.

Measures, on this machine:

- a recorded 2-D trajectory of 1,000 RMSProp steps, rmslib vs a PyTorch loop;
- one RMSProp update of 10^6 and 10^7 float64 parameters, rmslib vs
  ``torch.optim.RMSprop(foreach=True)`` and vs the memory-bandwidth bound;
- a 100-setting sweep of 1,000 steps, batched ``rmslib.run(..., batch=...)``
  vs 100 separate runs;
- the widgets' redraw latency (``tools/bench_widgets.py``, when present), and the static
  site's explorers' input-to-redraw time in Chromium (``tools/bench_explorers.py``);
  what showing the blocks skipped during the load costs a 4x slower CPU
  (``tools/bench_reveal.py``);
- nbval time per chapter notebook and in total, and the strict book build time;
- Lighthouse's four scores on every page of the built site (``_build/html``,
  served with gzip; ``tools/site_measure.py``), written to ``bench/lighthouse.csv``.
  Page weights are not measured here: every build computes them into the
  Performance page (``tools/site_weights.py``) and ``make test`` checks them.

Timing: every measurement is repeated and the table shows the best (minimum)
time, the least disturbed by other work on a shared machine, with the median
beside it in the data file. Competing variants are interleaved (A, B, A, B, ...)
so that a burst of load hits both. Ratios are computed from the best times.

Outputs: ``bench/results.json`` (everything, with the machine description and
the raw samples), ``bench/results.csv`` (the table) and ``bench/machine.csv``;
``performance.md`` renders the two CSV files. Nothing is typed by hand.

Usage: ``python tools/bench.py [--quick] [--skip-notebooks] [--skip-book] [--skip-lighthouse]``.
PyTorch is an oracle here only: ``make bench`` installs it into the venv if
it is missing; without it the torch rows say "torch not installed".
"""

from __future__ import annotations

import argparse
import csv
import datetime
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import rmslib  # noqa: E402

OUT = ROOT / "bench"
NBVAL = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]

try:
    import torch
except ImportError:  # torch is a benchmark oracle only, never a runtime dependency
    torch = None


# ---------------------------------------------------------------- timing


def timings(funcs, repeat):
    """Run each function in ``funcs`` (a dict) ``repeat`` times, interleaved; return samples (s)."""
    samples = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, fn in funcs.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


def summary(samples):
    return {"best_s": min(samples), "median_s": statistics.median(samples), "n": len(samples),
            "samples_s": samples}


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


# ---------------------------------------------------------------- machine


def machine():
    cpu = platform.processor() or "unknown"
    try:
        fields = {}
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
        cpu = fields.get("model name", cpu)
        if "cpu family" in fields:
            cpu += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    info = {
        "cpu": cpu,
        "logical cores": os.cpu_count(),
        "cores usable by this process": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory (GiB)": round(mem, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "torch threads (default)": torch.get_num_threads() if torch is not None else None,
        "load average at start (1, 5, 15 min)": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE": (f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')} / "
                                                 f"{os.environ.get('OPENBLAS_L2_SIZE', 'unset')}"),
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }
    try:
        import threadpoolctl
        blas = [f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')} kernels, "
                f"{p.get('num_threads')} threads)"
                for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        info["BLAS (threadpoolctl)"] = "; ".join(blas) or "none loaded"
    except ImportError:
        info["BLAS (threadpoolctl)"] = "threadpoolctl not installed"
    return info


# ---------------------------------------------------------------- benchmarks

BOWL = dict(curvatures=(1.0, 20.0), angle=30.0)
X0 = np.array([-4.0, 2.0])


def bench_trajectory(repeat, steps=1000):
    """rmslib.run vs an idiomatic torch loop on the same rotated bowl, every step recorded."""
    problem = rmslib.problems.Bowl(**BOWL)
    opt = rmslib.RMSProp.like("torch", lr=0.01)  # torch's formula and defaults: same numbers
    funcs = {"rmslib": lambda: rmslib.run(opt, problem, X0, steps=steps)}
    result = {"steps": steps, "problem": repr(problem), "optimizer": repr(opt)}
    if torch is not None:
        H = torch.tensor(problem.hessian)

        def torch_autograd():
            p = torch.tensor(X0, requires_grad=True)
            o = torch.optim.RMSprop([p], lr=0.01)
            params, losses = [p.detach().clone()], []
            for _ in range(steps):
                o.zero_grad()
                loss = 0.5 * (p @ (H @ p))
                loss.backward()
                o.step()
                losses.append(loss.detach())
                params.append(p.detach().clone())
            with torch.no_grad():
                losses.append(0.5 * (p @ (H @ p)))
            return torch.stack(params), torch.stack(losses)

        def torch_manual_grad():
            p = torch.tensor(X0, requires_grad=True)
            o = torch.optim.RMSprop([p], lr=0.01)
            params = [p.detach().clone()]
            for _ in range(steps):
                with torch.no_grad():
                    p.grad = H @ p
                o.step()
                params.append(p.detach().clone())
            return torch.stack(params)

        funcs["torch loop (autograd)"] = torch_autograd
        funcs["torch loop (hand-written gradient)"] = torch_manual_grad
        trace = rmslib.run(opt, problem, X0, steps=steps)
        result["max |rmslib - torch| over the trajectory"] = float(
            np.abs(trace.params - torch_autograd()[0].numpy()).max())
    for fn in funcs.values():  # warm up
        fn()
    result.update({k: summary(v) for k, v in timings(funcs, repeat).items()})
    return result


def bench_update(n, repeat):
    """One RMSProp update of n float64 parameters: rmslib (pure) vs torch foreach vs bandwidth."""
    rng = np.random.default_rng(0)
    params, grads = rng.standard_normal(n), rng.standard_normal(n)
    opt = rmslib.RMSProp.like("torch", lr=0.01)
    params, state = opt.update(params, grads, opt.init(params))  # a non-trivial v
    funcs = {"rmslib": lambda: opt.update(params, grads, state)}
    # Memory bandwidth: c = a + b streams 3 arrays (2 reads, 1 write).
    a, b, c = np.ones(n), np.ones(n), np.empty(n)
    funcs["stream"] = lambda: np.add(a, b, out=c)
    # What purity costs: the two fresh output arrays (theta_t, v_t) are new pages.
    funcs["fresh outputs"] = lambda: (np.empty(n).fill(0.0), np.empty(n).fill(0.0))
    result = {"n": n}
    if torch is not None:
        default_threads = torch.get_num_threads()
        tp = torch.tensor(params)
        tp.grad = torch.tensor(grads)
        topt = torch.optim.RMSprop([tp], lr=0.01, foreach=True)
        topt.step()

        def torch_step(threads):
            def step():
                torch.set_num_threads(threads)
                topt.step()
            return step

        for threads in sorted({1, default_threads}):
            funcs[f"torch foreach, {threads} thread{'s' if threads > 1 else ''}"] = torch_step(threads)
    for fn in funcs.values():
        fn()
    samples = timings(funcs, repeat)
    if torch is not None:
        torch.set_num_threads(default_threads)
    result.update({k: summary(v) for k, v in samples.items()})
    per_pass = result["stream"]["best_s"] / 3
    result["passes needed"] = 5  # read theta, g, v_{t-1}; write theta_t, v_t
    result["bandwidth bound_s"] = 5 * per_pass
    result["bandwidth (GB/s)"] = 3 * 8 * n / result["stream"]["best_s"] / 1e9
    return result


def bench_sweep(repeat, steps=1000):
    """100 settings (10 learning rates x 10 betas): one batched run vs 100 separate runs."""
    problem = rmslib.problems.Bowl(**BOWL)
    batch = rmslib.grid(lr=np.geomspace(1e-3, 1e-1, 10), beta=np.linspace(0.5, 0.99, 10))
    base = rmslib.RMSProp()
    out = {}

    def batched():
        out["batched"] = rmslib.run(base, problem, X0, steps=steps, batch=batch)

    def separate():
        out["separate"] = [rmslib.run(base.replace(lr=lr, beta=beta), problem, X0, steps=steps)
                           for lr, beta in zip(batch["lr"], batch["beta"])]

    samples = timings({"batched": batched, "separate": separate}, repeat)
    same = all(np.array_equal(out["batched"].params[i], one.params) and np.array_equal(out["batched"].loss[i], one.loss)
               for i, one in enumerate(out["separate"]))
    return {"settings": len(batch["lr"]), "steps": steps, "identical results": same,
            **{k: summary(v) for k, v in samples.items()}}


def bench_widgets():
    """The widget helper's latency measurement, if tools/bench_widgets.py exists."""
    path = ROOT / "tools" / "bench_widgets.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("bench_widgets", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        result = module.measure()
        if isinstance(result, dict) and getattr(module, "METHOD", None):
            result["method"] = module.METHOD
        return result
    except Exception as exc:  # report, don't hide: the row says what went wrong
        return {"error": f"{type(exc).__name__}: {exc}"}


def _measure_with(name):
    """``tools/<name>.py``'s ``measure()``, with its ``METHOD``; a failure becomes the row's error."""
    try:
        sys.path.insert(0, str(ROOT / "tools"))
        module = importlib.import_module(name)
        result = module.measure()
        result["method"] = module.METHOD
        return result
    except Exception as exc:  # report, don't hide: the row says what went wrong
        return {"error": f"{type(exc).__name__}: {exc}"}


def bench_static_explorers():
    """Input-to-redraw time of the static site's explorers (tools/bench_explorers.py), in Chromium."""
    return _measure_with("bench_explorers")


def bench_reveal():
    """What showing the skipped blocks after the load costs a 4x slower CPU (tools/bench_reveal.py)."""
    return _measure_with("bench_reveal")


def bench_notebooks():
    """nbval (strict, as in make test) on each chapter notebook, one pytest process each."""
    rows = {}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, *NBVAL, str(path.relative_to(ROOT))], cwd=ROOT,
                              capture_output=True, text=True)
        rows[path.name] = {"seconds": time.perf_counter() - start,
                           "passed": proc.returncode == 0,
                           "summary": (proc.stdout.strip().splitlines() or [""])[-1]}
    return rows


def bench_book():
    """A clean strict build (as make book) into a temporary folder; its time and page weights."""
    assets = ROOT / "tools" / "site_assets.py"
    if assets.exists():  # as make book does; fetched once and cached, so not part of the timed build
        subprocess.run([sys.executable, str(assets)], cwd=ROOT, capture_output=True, text=True)
    with tempfile.TemporaryDirectory(prefix="rmsbench-book-") as tmp:
        start = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                               "-W", "-n", "--keep-going", "--path-output", tmp],
                              cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        html = Path(tmp) / "_build" / "html"
        source = "this build"
        if not (html / "index.html").exists():
            html, source = ROOT / "_build" / "html", "_build/html"
        weights = page_weights(html) if (html / "index.html").exists() else {}
    warnings = len(re.findall(r"WARNING", proc.stdout + proc.stderr))
    return {"seconds": seconds, "passed": proc.returncode == 0, "warnings": warnings,
            "page weights from": source, "pages": weights}


ASSET = re.compile(r"""<(?:img|script)\b[^>]*\bsrc=["']([^"']+)["']|<link\b[^>]*\bhref=["']([^"']+\.css[^"']*)["']""",
                   re.I)


def page_weights(html):
    """Bytes of each page's HTML and of the local files it loads (images, scripts, stylesheets).

    Assets loaded from other sites and files loaded later by scripts or CSS
    (fonts, MathJax's extra parts) are not counted.
    """
    pages = {}
    for page in sorted(html.rglob("*.html")):
        rel = page.relative_to(html).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")) or rel in ("genindex.html", "search.html"):
            continue
        text = page.read_text(errors="replace")
        images = assets = 0
        seen = set()
        for m in ASSET.finditer(text):
            url = (m.group(1) or m.group(2)).split("?")[0].split("#")[0]
            if re.match(r"^[a-z]+:|^//", url) or url in seen:
                continue
            seen.add(url)
            f = (page.parent / url).resolve()
            if f.is_file():
                if m.group(0).lower().startswith("<img"):
                    images += f.stat().st_size
                else:
                    assets += f.stat().st_size
        # Images inlined as data: URIs count as part of the HTML itself.
        pages[rel] = {"html": len(text.encode()), "images": images, "scripts+css": assets,
                      "total": len(text.encode()) + images + assets}
    return pages


# ---------------------------------------------------------------- table


def cache_sizes():
    """CPU cache sizes in bytes by level, from sysfs (empty where unavailable)."""
    sizes = {}
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size = ((index / f).read_text().strip() for f in ("level", "type", "size"))
        except OSError:
            continue
        if kind in ("Unified", "Data"):
            sizes[int(level)] = int(size.rstrip("K")) * 1024 if size.endswith("K") else int(size)
    return sizes


def bounds(results):
    """What bounds each benchmark, in words, with the numbers taken from the measurements."""
    us = lambda s: f"{s * 1e6:.1f} µs"  # noqa: E731
    out = {}
    tr = results["trajectory"]
    text = (f"Python and NumPy call overhead: rmslib spends {us(tr['rmslib']['best_s'] / tr['steps'])} per step "
            "on the gradient, the loss, the finiteness checks and the update, all on 2-element arrays, "
            "where the arithmetic itself is negligible.")
    if "torch loop (autograd)" in tr:
        text += (f" The torch loop spends {us(tr['torch loop (autograd)']['best_s'] / tr['steps'])} per step "
                 "in PyTorch's per-operation dispatch, autograd and optimizer bookkeeping "
                 f"({us(tr['torch loop (hand-written gradient)']['best_s'] / tr['steps'])} without autograd). "
                 f"Same problem, same formula: the two trajectories differ by at most "
                 f"{tr['max |rmslib - torch| over the trajectory']:.1e}.")
    out["trajectory"] = text
    l3 = cache_sizes().get(3)
    for key in ("update_1e6", "update_1e7"):
        up = results.get(key)
        if not up:
            continue
        mib = 8 * up["n"] / 2**20
        where = ("fit in" if l3 and 5 * 8 * up["n"] <= l3 else "do not fit in") + (
            f" the {l3 / 2**20:.0f} MiB L3 cache" if l3 else " the cache")
        out[key] = (f"The five arrays involved ({mib:.0f} MiB each) {where}. rmslib reads theta, g and v once "
                    f"and writes the new theta and v once (the {up['passes needed']} passes of the bound), doing "
                    f"its nine elementwise operations block by block ({results['block']:,} values) in cache; "
                    f"allocating and first touching the two new arrays a pure update returns costs "
                    f"{fmt_time(up['fresh outputs']['best_s'])} of its time, and the in-cache arithmetic most "
                    "of the rest. torch's foreach step updates in place, one pass over memory per operation.")
    sw = results["sweep"]
    per = sw["steps"] * sw["settings"]
    out["sweep"] = (f"Separate runs pay the per-step call overhead once per setting "
                    f"({us(sw['separate']['best_s'] / per)} per setting and step); the batched run makes the "
                    f"same NumPy calls once per step on ({sw['settings']}, 2) arrays "
                    f"({us(sw['batched']['best_s'] / per)} per setting and step), so it is overhead-bound too, "
                    "with the overhead shared by all settings.")
    widgets = results.get("widgets")
    if isinstance(widgets, dict) and widgets.get("method"):
        out["widgets"] = "Matplotlib redrawing the figure. Method: " + widgets["method"]
    static = results.get("static_explorers")
    if isinstance(static, dict) and static.get("method"):
        out["static_explorers"] = "The page's own JavaScript recomputing the runs and drawing. Method: " + static["method"]
    if results.get("notebooks"):
        out["notebooks"] = ("Kernel start-up and executing the notebook's cells (mostly Matplotlib drawing); "
                            "each notebook runs in its own pytest process.")
    book = results.get("book")
    if book:
        out["book"] = "Sphinx reading and writing every page in one process; notebooks are not executed."
    return out


def tables(results):
    """The rows of the speed, notebook and page tables, and the bounds table."""
    b = bounds(results)
    speed, notebooks, pages, bound_rows = [], [], [], []

    def add(name, measured, reference="", ratio="", target="", met="", bound_key=None):
        speed.append({"benchmark": name, "measured": measured, "compared with": reference, "ratio": ratio,
                      "target": target, "met": met})
        if bound_key in b and not any(r["what bounds it"] == b[bound_key] for r in bound_rows):
            bound_rows.append({"benchmark": name, "what bounds it": b[bound_key]})

    tr = results["trajectory"]
    mine = tr["rmslib"]["best_s"]
    name = f"2-D trajectory, {tr['steps']:,} RMSProp steps, every step recorded"
    if "torch loop (autograd)" in tr:
        other = tr["torch loop (autograd)"]["best_s"]
        add(name, f"rmslib.run: {fmt_time(mine)}", f"torch loop (autograd): {fmt_time(other)}",
            f"{other / mine:.1f}x faster", "≥ 5x faster", "yes" if other / mine >= 5 else "no", "trajectory")
        other = tr["torch loop (hand-written gradient)"]["best_s"]
        add(name, f"rmslib.run: {fmt_time(mine)}", f"torch loop (hand-written gradient): {fmt_time(other)}",
            f"{other / mine:.1f}x faster")
    else:
        add(name, f"rmslib.run: {fmt_time(mine)}", "torch not installed", bound_key="trajectory")

    for key in ("update_1e6", "update_1e7"):
        up = results.get(key)
        if not up:
            continue
        mine = up["rmslib"]["best_s"]
        name = f"one RMSProp update, 10^{int(round(np.log10(up['n'])))} float64 parameters"
        big = up["n"] >= 10**7
        torch_keys = [k for k in up if k.startswith("torch")]
        if torch_keys:
            best_key = min(torch_keys, key=lambda k: up[k]["best_s"])
            other = up[best_key]["best_s"]
            add(name, f"rmslib: {fmt_time(mine)}", f"{best_key} (the faster setting): {fmt_time(other)}",
                f"{mine / other:.2f}x torch's time", "≤ 1.5x torch's time" if big else "",
                ("yes" if mine / other <= 1.5 else "no") if big else "", key)
        add(name, f"rmslib: {fmt_time(mine)}",
            f"bandwidth bound, {up['passes needed']} passes at {up['bandwidth (GB/s)']:.1f} GB/s: "
            f"{fmt_time(up['bandwidth bound_s'])}", f"{mine / up['bandwidth bound_s']:.1f}x the bound",
            bound_key=key)

    sw = results["sweep"]
    ratio = sw["separate"]["best_s"] / sw["batched"]["best_s"]
    add(f"sweep of {sw['settings']} settings x {sw['steps']:,} steps",
        f"one batched rmslib.run: {fmt_time(sw['batched']['best_s'])}",
        f"{sw['settings']} separate runs: {fmt_time(sw['separate']['best_s'])}", f"{ratio:.0f}x faster",
        "≥ 20x faster, same results",
        "yes" if ratio >= 20 and sw["identical results"] else ("no" if sw["identical results"]
                                                                 else "no: RESULTS DIFFER"), "sweep")

    widgets = results.get("widgets")
    if isinstance(widgets, dict) and "error" in widgets:
        add("widget redraw latency", "failed", widgets["error"])
    elif isinstance(widgets, dict):
        target = widgets.get("target_ms", 100.0)
        for wname, value in widgets.items():
            if not (isinstance(value, dict) and "median_ms" in value):
                continue
            slider = "switch" not in wname  # the target is for moving a value, not switching problems
            add(f"explorer widgets: {wname}, value change to redrawn figure", f"median {value['median_ms']:.0f} ms",
                f"90th percentile {value['p90_ms']:.0f} ms, n = {value['n']}", "",
                f"median ≤ {target:.0f} ms" if slider else "",
                ("yes" if value["median_ms"] <= target else "no") if slider else "", "widgets")

    static = results.get("static_explorers")
    if isinstance(static, dict) and "error" in static:
        add("static explorers (site) input to redraw", "failed", static["error"])
    elif isinstance(static, dict):
        target = static.get("target_ms", 50.0)
        for wname, value in static.items():
            if isinstance(value, dict) and "redraw" in value:
                r, f = value["redraw"], value["frame"]
                add(f"static explorer {wname}, input to redrawn figure", f"median {r['median_ms']:.1f} ms",
                    f"90th percentile {r['p90_ms']:.1f} ms, max {r['max_ms']:.1f} ms; to the next frame: median "
                    f"{f['median_ms']:.1f} ms, 90th percentile {f['p90_ms']:.1f} ms; n = {r['n']}", "",
                    f"90th percentile < {target:.0f} ms", "yes" if r["p90_ms"] < target else "no", "static_explorers")

    reveal = results.get("reveal")
    if isinstance(reveal, dict) and "error" in reveal:
        add("skipped blocks shown after the load", "failed", reveal["error"])
    elif isinstance(reveal, dict):
        for page, r in reveal.items():
            if isinstance(r, dict):
                add(f"skipped blocks shown after the load, {page}, CPU {reveal['cpu_slowdown']}x slower",
                    f"all shown {r['shown_ms'] / 1000:.1f} s after navigation",
                    f"{r['frames']:.0f} frames over 50 ms after the load, longest {r['longest_ms']:.0f} ms, "
                    f"{r['blocking_ms']:.0f} ms beyond 50 ms in all (median of {reveal['visits']})")

    nbs = results.get("notebooks")
    if nbs:
        for nb, row in nbs.items():
            notebooks.append({"what": f"nbval {nb}", "seconds": f"{row['seconds']:.1f}",
                              "result": "passed" if row["passed"] else "FAILED"})
        notebooks.append({"what": "nbval, all chapters", "seconds": f"{sum(r['seconds'] for r in nbs.values()):.1f}",
                          "result": f"{sum(r['passed'] for r in nbs.values())} of {len(nbs)} passed"})
        bound_rows.append({"benchmark": "nbval", "what bounds it": b["notebooks"]})
    book = results.get("book")
    if book:
        notebooks.append({"what": "strict book build, clean (-W -n --keep-going)", "seconds": f"{book['seconds']:.1f}",
                          "result": "passed" if book["passed"] else f"FAILED ({book['warnings']} warnings)"})
        bound_rows.append({"benchmark": "book build", "what bounds it": b["book"]})
    # Page weights are not here: every build computes them (tools/site_weights.py) into the Performance page.
    return {"speed": speed, "notebooks": notebooks, "bounds": bound_rows}


def print_table(tabs):
    """One table on the terminal: every row of every section."""
    rows = [{"section": "speed", **r} for r in tabs["speed"]]
    rows += [{"section": "checks", "benchmark": r["what"], "measured": f"{r['seconds']} s", "met": r["result"]}
             for r in tabs["notebooks"]]
    rows += [{"section": "lighthouse", "benchmark": str(r.get("page")),
              "measured": " / ".join(str(r.get(k, "")) for k in ("performance", "accessibility", "best practices", "SEO")),
              "compared with": f"{r.get('transferred (KiB)', '')} KiB"} for r in tabs.get("lighthouse", [])]
    rows += [{"section": "pages", "benchmark": r["page"], "measured": f"{r['total (KiB)']} KiB",
              "compared with": f"html {r['html (KiB)']}, images {r['images (KiB)']}, "
                               f"scripts+css {r['scripts and css (KiB)']} KiB"} for r in tabs.get("pages", [])]
    cols = ["section", "benchmark", "measured", "compared with", "ratio", "target", "met"]
    width = {c: min(58, max(len(c), *(len(r.get(c, "")) for r in rows))) for c in cols}
    line = " | ".join(c.ljust(width[c]) for c in cols)
    print(line)
    print("-" * len(line))
    for r in rows:
        print(" | ".join(r.get(c, "")[:width[c]].ljust(width[c]) for c in cols))


def write_csv(path, rows):
    rows = rows or [{"note": "not measured in this run (tools/bench.py --quick or --skip-...)"}]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def bench_site(site=ROOT / "_build" / "html"):
    """Lighthouse (npm, mobile defaults) on every page of the built site, served with gzip."""
    sys.path.insert(0, str(ROOT / "tools"))
    import site_measure

    if not (Path(site) / "intro.html").is_file():
        return {"error": f"no built site at {site} (run make book)"}
    try:
        return {"pages": site_measure.lighthouse_all(site)}
    except Exception as err:  # noqa: BLE001 - reported in the table
        return {"error": str(err)[-300:]}


def lighthouse_rows(site_results):
    if not site_results:
        return []
    if "error" in site_results:
        return [{"page": "not measured", "performance": site_results["error"]}]
    rows = []
    for page, r in site_results["pages"].items():
        if "error" in r:
            rows.append({"page": page, "performance": "failed: " + r["error"][:80]})
            continue
        sc, m = r["scores"], r["metrics"]
        rows.append({"page": page, "performance": sc["performance"], "accessibility": sc["accessibility"],
                     "best practices": sc["best-practices"], "SEO": sc["seo"],
                     "first paint (s)": f"{m['first-contentful-paint'] / 1000:.1f}",
                     "largest paint (s)": f"{m['largest-contentful-paint'] / 1000:.1f}",
                     "blocking time (ms)": f"{m['total-blocking-time']:.0f}",
                     "transferred (KiB)": f"{m['total-byte-weight'] / 1024:.0f}"})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; skip notebooks and book")
    ap.add_argument("--skip-notebooks", action="store_true")
    ap.add_argument("--skip-book", action="store_true")
    ap.add_argument("--skip-lighthouse", action="store_true", help="skip Lighthouse on the built site")
    ap.add_argument("--out", default=str(OUT), help="folder for the data files")
    args = ap.parse_args(argv)
    rep = 3 if args.quick else 15
    sweep_rep, big_rep = (2 if args.quick else 3), max(3, rep // 2)

    results = {"machine": machine()}
    caches = cache_sizes()
    if caches:
        results["machine"]["caches per core / shared"] = ", ".join(
            f"L{lvl} {size // 1024} KiB" for lvl, size in sorted(caches.items()))
    results["machine"]["repeats (best of)"] = (f"trajectory and 10^6 update: {rep}; 10^7 update: {big_rep}; "
                                               f"sweep: {sweep_rep}; nbval and book build: 1")
    results["block"] = rmslib.optimizers._BLOCK
    print("machine:", json.dumps(results["machine"], indent=1), flush=True)
    print("timing the 2-D trajectory ...", flush=True)
    results["trajectory"] = bench_trajectory(rep)
    for n, key in ((10**6, "update_1e6"), (10**7, "update_1e7")):
        print(f"timing one update of {n:,} parameters ...", flush=True)
        results[key] = bench_update(n, rep if n < 10**7 else big_rep)
    print("timing the 100-setting sweep ...", flush=True)
    results["sweep"] = bench_sweep(sweep_rep)
    print("timing the widgets ...", flush=True)
    results["widgets"] = bench_widgets()
    if not args.quick:
        print("timing the static site's explorers in Chromium ...", flush=True)
        results["static_explorers"] = bench_static_explorers()
        print("timing how the site shows its skipped blocks after the load (4x slower CPU) ...", flush=True)
        results["reveal"] = bench_reveal()
    if not (args.quick or args.skip_notebooks):
        print("timing nbval on each chapter ...", flush=True)
        results["notebooks"] = bench_notebooks()
    if not (args.quick or args.skip_book):
        print("timing a clean strict book build ...", flush=True)
        results["book"] = bench_book()
    if not (args.quick or args.skip_lighthouse):
        print("Lighthouse on every page of _build/html (mobile defaults, gzip) ...", flush=True)
        results["site"] = bench_site()
    results["machine"]["load average at end (1, 5, 15 min)"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    tabs = tables(results)
    tabs["lighthouse"] = lighthouse_rows(results.get("site"))
    print()
    print_table(tabs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({**results, "tables": tabs}, indent=1, default=str) + "\n")
    for name, rows in tabs.items():
        write_csv(out / f"{name}.csv", rows)
    write_csv(out / "machine.csv", [{"property": k, "value": "" if v is None else str(v)}
                                    for k, v in results["machine"].items()])
    print(f"\nwrote {out}/results.json and {', '.join(f'{n}.csv' for n in tabs)}, machine.csv")


if __name__ == "__main__":
    main()
