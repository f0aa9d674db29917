"""Latency of the explorers in rmslib.widgets: from a value change to the redrawn figure.

Method (printed with the results): build each explorer as a chapter does, then
move its controls programmatically in small steps, one slider position at a
time (eta, beta, the start point, the number of steps, the gradient phases),
and type a few eps values; in a notebook a slider sends its value when it is
released (continuous_update=False). Each change is one assignment
``control.value = x``; ipywidgets calls the explorer's observer synchronously,
so the time until the assignment returns covers re-running rmslib, updating
the artists, drawing the canvas (a full Agg draw when the frame changes,
otherwise a blit of the data lines) and encoding the PNG. Not included: sending
the PNG to the browser (a display update, done only inside a kernel) and the
browser decoding it. Three warm-up changes per explorer are not counted.
Reported: median and 90th percentile of the wall-clock time over all timed
changes, per explorer and overall (the target applies to the wall-clock
median), the same for the process CPU time (less sensitive to other jobs on
the machine), and how many changes needed a full draw. Switching the problem
(contours recomputed) is timed separately: it is rare and not a slider move.

``measure()`` returns the numbers as a dict; ``make bench`` (tools/bench.py)
calls it. Run alone: ``.venv/bin/python tools/bench_widgets.py``.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from rmslib.widgets import HistoryExplorer, OptimizerExplorer  # noqa: E402

TARGET_MS = 100.0
METHOD = __doc__.split("\n\n")[1].replace("\n", " ").replace("Method (printed with the results): ", "")


def _drags(ex, moves):
    """Apply (control, value) moves; return wall and CPU milliseconds per change and the number of full draws."""
    times, cpu, full = [], [], 0
    for name, value in moves:
        frame = ex._frame
        start, start_cpu = time.perf_counter(), time.process_time()
        ex.controls[name].value = value
        times.append(1e3 * (time.perf_counter() - start))
        cpu.append(1e3 * (time.process_time() - start_cpu))
        full += ex._frame != frame
    return times, cpu, full


def _optimizer_moves():
    lrs = 10 ** np.arange(-1.5, -1.0, 0.01)  # the slider's step is 0.01 in log10(eta)
    return ([("lr", float(x)) for x in lrs] + [("beta", round(b, 3)) for b in np.arange(0.80, 0.99, 0.01)]
            + [("x0", round(x, 2)) for x in np.arange(-4.0, -3.0, 0.05)]
            + [("steps", int(n)) for n in range(100, 150, 5)]
            + [("eps", e) for e in (1e-6, 1e-4, 1e-2, 1e-8)] + [("coordinate", 1), ("coordinate", 0)])


def _history_moves():
    return ([("beta", round(b, 3)) for b in np.arange(0.80, 0.99, 0.01)]
            + [("g2", round(g, 2)) for g in np.arange(0.0, 0.5, 0.05)]
            + [("n2", int(n)) for n in range(40, 60, 2)] + [("eps", e) for e in (1e-6, 1e-4, 1e-8)])


def _stats(times, cpu):
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90)), "n": len(times),
            "cpu_median_ms": float(np.median(cpu)), "cpu_p90_ms": float(np.percentile(cpu, 90))}


def measure():
    """Time value changes of both explorers; return a dict of medians and 90th percentiles (ms) and the method."""
    results = {}
    opt = OptimizerExplorer(problem="bowl", optimizers=("GD", "Adagrad", "RMSProp"), lr=0.03, steps=100)
    hist = HistoryExplorer()
    all_times, all_cpu = [], []
    for name, ex, moves, warm in (("optimizer explorer", opt, _optimizer_moves(), [("lr", 0.02), ("lr", 0.025)]),
                                  ("history explorer", hist, _history_moves(), [("beta", 0.7), ("beta", 0.75)])):
        _drags(ex, warm + [moves[0]])
        times, cpu, full = _drags(ex, moves[1:])
        results[name] = {**_stats(times, cpu), "full_draws": full}
        all_times += times
        all_cpu += cpu
    results["overall"] = _stats(all_times, all_cpu)
    switch, cpu, _ = _drags(opt, [("problem", p) for p in ("rotated bowl", "Rosenbrock", "sigmoid neuron", "bowl")])
    results["problem switch (not a slider move)"] = _stats(switch, cpu)
    results["method"] = METHOD
    results["target_ms"] = TARGET_MS
    results["load_average_1min"] = os.getloadavg()[0]
    results["cpus"] = os.cpu_count()
    return results



def main():
    print("Explorer latency, value change -> redrawn figure")
    print("Method:", METHOD)
    res = measure()
    for key, val in res.items():
        if isinstance(val, dict):
            extra = f", {val['full_draws']} full draws" if "full_draws" in val else ""
            print(f"  {key:36s} median {val['median_ms']:6.1f} ms   p90 {val['p90_ms']:6.1f} ms   "
                  f"(CPU: median {val['cpu_median_ms']:5.1f}, p90 {val['cpu_p90_ms']:5.1f}; n={val['n']}{extra})")
    print(f"  target: median <= {res['target_ms']:.0f} ms; machine: {res['cpus']} CPUs, "
          f"1-min load average {res['load_average_1min']:.2f}")
    ok = res["overall"]["median_ms"] <= res["target_ms"]
    print("  overall median", "meets" if ok else "MISSES", "the target")
    return res


if __name__ == "__main__":
    main()
