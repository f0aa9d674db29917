"""The numeric answers of the assignment's parts 3 and 4: the names the grader reads, the values
it computes itself with rmslib, and how one answer is scored.

The student assigns each answer to a named variable (the stub cells of parts 3
and 4 list them). The grader never trusts a number written here or in the
notebook: it reads the settings of part 3 (``x0``, ``LR``, ``BETA``, ``EPS``,
``STEPS``) from the assignment and runs ``rmslib.RMSProp`` on
:math:`f(x) = x^2/2` (gradient :math:`x`) with the constant rate and with the
schedules :math:`\\eta_t = \\eta\\,\\gamma^t`, :math:`t = 1, \\dots, T`:

- ``t_star`` :math:`= \\arg\\min_t |x_t|`, ``eff_before`` and ``eff_after``
  :math:`= \\eta/\\sqrt{v_t + \\epsilon}` for updates :math:`t^*` and :math:`t^*+1`;
- ``amplitude`` :math:`= \\max |x_t|` and ``mean_step`` :math:`=` mean of
  :math:`|x_t - x_{t-1}|` over the last 100 steps;
- ``final_*`` :math:`= |x_T|`, ``travel_*`` :math:`= \\sum_t |x_t - x_{t-1}|`,
  ``budget_*`` :math:`= \\sum_t \\eta_t`; ``xs_*`` the whole run.

Scoring (stated in the assignment's rubric): a number within a relative
``RTOL`` of the grader's value, and a run within ``RTOL`` (or ``ATOL``) at every
step, earn the answer's points; a named mistake (``t_star`` off by one, the two
rates swapped, the prediction instead of the measurement, ...) earns the
fraction it names; a number within ``CLOSE`` earns ``CLOSE_CREDIT`` of its
points; anything else 0. A missing, unanswered, wrongly typed, NaN or absurd
value (outside the range the quantity can lie in) earns 0 with a diagnosis.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import numpy as np

RTOL = 1e-6            # relative: the computed value, not one typed from a printout
ATOL = 1e-9            # absolute, for the steps of a run near the minimum (|x_t| down to 1e-32)
CLOSE = 1e-2           # within 1%: half the points (rounded by hand, or a slightly different window)
CLOSE_CREDIT = 0.5
GAMMAS = {"098": 0.98, "095": 0.95}


@dataclass(frozen=True)
class Answer:
    name: str            # the variable the student assigns
    part: int            # the rubric part it belongs to
    points: float
    kind: str            # "integer", "number" or "run"
    what: str            # for the feedback: what it is


ANSWERS = [
    Answer("xs_const", 3, 1.0, "run", "the run with the constant rate LR, from your rmsprop_run"),
    Answer("t_star", 3, 0.5, "integer", "the step t* at which |x_t| is smallest"),
    Answer("eff_before", 3, 0.25, "number", "the effective learning rate of update t*"),
    Answer("eff_after", 3, 0.25, "number", "the effective learning rate of update t* + 1"),
    Answer("amplitude", 3, 0.5, "number", "max |x_t| over the last 100 steps"),
    Answer("mean_step", 3, 0.5, "number", "the mean |x_t - x_(t-1)| over the last 100 steps"),
    Answer("xs_098", 4, 0.5, "run", "the run with the schedule gamma = 0.98"),
    Answer("xs_095", 4, 0.5, "run", "the run with the schedule gamma = 0.95"),
    Answer("final_098", 4, 0.5, "number", "the final distance |x_T| with gamma = 0.98"),
    Answer("amplitude_098", 4, 0.5, "number", "max |x_t| over the last 100 steps with gamma = 0.98"),
    Answer("final_095", 4, 0.5, "number", "the final distance |x_T| with gamma = 0.95"),
    Answer("travel_095", 4, 0.25, "number", "the distance travelled, sum of |x_t - x_(t-1)|, with gamma = 0.95"),
    Answer("budget_095", 4, 0.25, "number", "the total learning rate, sum of eta_t, with gamma = 0.95"),
]


# ----------------------------------------------------------------------------- settings and references

def _literal(node):
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "array" and len(node.args) == 1:
        return np.array(ast.literal_eval(node.args[0]), dtype=float)
    return ast.literal_eval(node)


def read_settings(cells) -> dict:
    """``x0, LR, BETA, EPS, STEPS`` as assigned (literally) in the assignment's untagged code cells."""
    found = {}
    for src in cells:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            names = ([getattr(e, "id", None) for e in target.elts] if isinstance(target, ast.Tuple)
                     else [getattr(target, "id", None)])
            wanted = [n for n in names if n in ("x0", "LR", "BETA", "EPS", "STEPS")]
            if not wanted:
                continue
            try:
                value = _literal(node.value)
            except (ValueError, TypeError, SyntaxError):
                continue
            values = list(value) if isinstance(target, ast.Tuple) else [value]
            found.update({n: v for n, v in zip(names, values) if n in wanted})
    missing = {"x0", "LR", "BETA", "EPS", "STEPS"} - set(found)
    if missing:
        raise ValueError(f"the assignment does not assign {', '.join(sorted(missing))} literally in an untagged "
                         f"code cell, so the grader cannot compute the answers of parts 3 and 4")
    return {"x0": np.asarray(found["x0"], dtype=float), "lr": float(found["LR"]), "beta": float(found["BETA"]),
            "eps": float(found["EPS"]), "steps": int(found["STEPS"])}


def rmslib_run(settings, gamma=None):
    """rmslib.RMSProp on f(x) = x**2/2 from x0: the iterates (T+1, *x0.shape), v_t (T, ...) and the rates."""
    import rmslib
    s = settings
    lrs = [s["lr"] * (gamma ** t if gamma is not None else 1.0) for t in range(1, s["steps"] + 1)]
    x = s["x0"].copy()
    state = rmslib.RMSProp(lr=s["lr"], beta=s["beta"], eps=s["eps"]).init(x)
    xs, vs = [x], []
    for lr_t in lrs:
        x, state = rmslib.RMSProp(lr=lr_t, beta=s["beta"], eps=s["eps"]).update(x, x, state)
        xs.append(x)
        vs.append(state.v)
    return np.stack(xs), np.stack(vs), np.array(lrs)


def references(settings) -> dict:
    """The grader's value of every answer, the alternatives that name a mistake, and the plausible ranges."""
    s = settings
    xs, vs, _ = rmslib_run(s)
    d = np.abs(xs[:, 0])
    eff = s["lr"] / np.sqrt(vs[:, 0] + s["eps"])          # eff[t - 1]: rate of update t
    t = int(np.argmin(d))
    far = float(np.abs(s["x0"]).max()) + s["steps"] * s["lr"] / math.sqrt(1 - s["beta"])
    refs = {"xs_const": xs, "t_star": t, "eff_before": float(eff[t - 1]), "eff_after": float(eff[t]),
            "amplitude": float(d[-100:].max()), "mean_step": float(np.abs(np.diff(xs[-101:, 0])).mean())}
    for key, gamma in GAMMAS.items():
        xs_g, _, lrs = rmslib_run(s, gamma)
        refs.update({f"xs_{key}": xs_g, f"final_{key}": float(abs(xs_g[-1, 0])),
                     f"amplitude_{key}": float(np.abs(xs_g[-100:, 0]).max()),
                     f"travel_{key}": float(np.abs(np.diff(xs_g[:, 0])).sum()), f"budget_{key}": float(lrs.sum())})
    from_zero = float(sum(s["lr"] * GAMMAS["095"] ** k for k in range(s["steps"])))
    # named mistakes: name -> [(alternative value, fraction of the points, what it means)]
    refs["named"] = {
        "t_star": [(t - 1, 0.5, "off by one step: xs[0] is x0, so the index into xs is t itself"),
                   (t + 1, 0.5, "off by one step: xs[0] is x0, so the index into xs is t itself")],
        "eff_before": [(float(eff[t]), 0.5, "this is the rate of update t* + 1: the two are swapped"),
                       (float(eff[t - 2]), 0.5, "this is the rate of update t* - 1: the rate of update t "
                                                "uses v_t, the state after t updates")],
        "eff_after": [(float(eff[t - 1]), 0.5, "this is the rate of update t*: the two are swapped"),
                      (float(eff[t + 1]), 0.5, "this is the rate of update t* + 2: the rate of update t "
                                               "uses v_t, the state after t updates")],
        "amplitude": [(s["lr"] / 2, 0.0, "this is the prediction eta/2, not your measurement")],
        "mean_step": [(s["lr"], 0.0, "this is the prediction eta, not your measurement")],
        "budget_095": [(from_zero, 0.5, "the schedule is numbered from 0 here: the updates are t = 1, ..., STEPS")],
    }
    distance = (0.0, far, f"a distance |x_t|, and RMSProp moves at most eta/sqrt(1 - beta) per step, "
                          f"so |x_t| stays below {far:.4g}")
    refs["bounds"] = {
        "t_star": (0, s["steps"], f"a step of the run, 0 to STEPS = {s['steps']}"),
        "eff_before": (0.0, s["lr"] / math.sqrt(s["eps"]), "eta/sqrt(v + eps) lies between 0 and eta/sqrt(eps)"),
        "mean_step": (0.0, s["lr"] / math.sqrt(1 - s["beta"]), "RMSProp moves at most eta/sqrt(1 - beta) per step"),
        "travel_095": (0.0, s["steps"] * s["lr"] / math.sqrt(1 - s["beta"]),
                       "RMSProp moves at most eta/sqrt(1 - beta) per step"),
        "budget_095": (0.0, s["steps"] * s["lr"], "a sum of STEPS rates, each at most eta"),
    }
    refs["bounds"]["eff_after"] = refs["bounds"]["eff_before"]
    for name in ("amplitude", "final_098", "amplitude_098", "final_095"):
        refs["bounds"][name] = distance
    return refs


# ----------------------------------------------------------------------------- scoring

def _show(x):
    return f"{x:.8g}"


def _unusable(a: Answer, got) -> str | None:
    """Why the payload is no answer at all (None when there is a value to compare)."""
    if got is None or got.get("state") == "missing":
        return (f"`{a.name}` is not defined at the end of the notebook (its cell was deleted, renamed, or "
                f"failed before assigning it): 0 points.")
    state = got.get("state")
    if state == "unanswered":
        placeholder = "..." if got.get("type") == "ellipsis" else "None"
        return f"`{a.name}` is still {placeholder}: assign your result to it ({a.what}). 0 points."
    if state in ("wrong-type", "unreadable"):
        how = "int(...)" if a.kind == "integer" else "float(...)" if a.kind == "number" else "np.array(...)"
        return (f"`{a.name}` holds {got.get('why', 'something else')} (type {got.get('type')}), so it cannot be "
                f"graded: assign the value itself, for example `{a.name} = {how}`. 0 points.")
    if got.get("too_large"):
        return f"`{a.name}` is an array of shape {tuple(got.get('shape') or ())}, far too large: 0 points."
    if state != "value":
        return f"`{a.name}` could not be read: 0 points."
    return None


def _score_number(a: Answer, got, refs):
    values, shape = got.get("value"), got.get("shape") or []
    if isinstance(values, list):
        if len(values) != 1:
            return 0.0, (f"`{a.name}` is an array of shape {tuple(shape)}, not one number "
                         f"({a.what}): 0 points.")
        values = values[0]
    x = float(values)
    if not math.isfinite(x):
        return 0.0, f"`{a.name}` is {x}, not a finite number: 0 points."
    if a.kind == "integer" and x != int(x):
        return 0.0, f"`{a.name}` = {_show(x)} is not a whole step number: 0 points."
    lo, hi, reason = refs["bounds"].get(a.name, (-math.inf, math.inf, ""))
    if not lo <= x <= hi:
        return 0.0, f"`{a.name}` = {_show(x)} cannot be right: it must lie in [{lo:.4g}, {hi:.4g}] ({reason}). 0 points."
    want = refs[a.name]
    rel = abs(x - want) / abs(want) if want else abs(x)
    if a.kind == "integer" and x == want:
        return a.points, f"`{a.name}` = {int(x)}: correct."
    if a.kind != "integer" and rel <= RTOL:
        return a.points, f"`{a.name}` = {_show(x)}: correct (within {RTOL:g} relative of the grader's value)."
    for alt, frac, meaning in refs["named"].get(a.name, []):
        if (a.kind == "integer" and x == alt) or (a.kind != "integer" and abs(x - alt) <= RTOL * abs(alt)):
            return a.points * frac, f"`{a.name}` = {_show(x)}: {meaning}. {a.points * frac:g} of {a.points:g} points."
    if a.kind != "integer" and rel <= CLOSE:
        return (a.points * CLOSE_CREDIT, f"`{a.name}` = {_show(x)} is {rel:.1e} (relative) from the grader's value: "
                                         f"close, but outside the tolerance {RTOL:g}. Assign the computed value, not "
                                         f"one copied from a printout, and check which steps you used. "
                                         f"{a.points * CLOSE_CREDIT:g} of {a.points:g} points.")
    return 0.0, (f"`{a.name}` = {_show(x)} is not {a.what} of this run (it differs from the grader's value by "
                 f"{rel:.0%}): 0 points.")


def _score_run(a: Answer, got, refs):
    want = refs[a.name][:, 0]
    shape = tuple(got.get("shape") or ())
    x = np.asarray(got.get("value"), dtype=float)
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
        return 0.0, (f"`{a.name}` has shape {shape}; it should be the array returned by rmsprop_run, of shape "
                     f"({len(want)}, 1): 0 points.")
    if not np.all(np.isfinite(x)):
        return 0.0, f"`{a.name}` holds NaN or infinite values: 0 points."
    if x.size == len(want) - 1 and np.allclose(x, want[1:], rtol=RTOL, atol=ATOL):
        return a.points * 0.5, (f"`{a.name}` starts at x_1: xs[0] must be x0, so it has {len(want)} rows. "
                                f"{a.points * 0.5:g} of {a.points:g} points.")
    if x.size != len(want):
        return 0.0, f"`{a.name}` has {x.size} steps, not {len(want)} (x0 and {len(want) - 1} updates): 0 points."
    bad = ~np.isclose(x, want, rtol=RTOL, atol=ATOL)
    if not bad.any():
        return a.points, f"`{a.name}`: correct, it agrees with rmslib's run at every step."
    first = int(np.argmax(bad))
    return 0.0, (f"`{a.name}` ({a.what}) agrees with rmslib's run up to step {first - 1} and differs from step "
                 f"{first} on (your x_{first} = {_show(x[first])}): 0 points.")


def score_answer(a: Answer, got: dict | None, refs: dict) -> tuple[float, str]:
    """(points, one line for the feedback) for the payload the worker read for answer ``a``."""
    why = _unusable(a, got)
    if why:
        return 0.0, why
    try:
        if a.kind == "run":
            return _score_run(a, got, refs)
        return _score_number(a, got, refs)
    except (TypeError, ValueError, OverflowError) as exc:    # a payload of an unexpected form
        return 0.0, f"`{a.name}` could not be compared ({type(exc).__name__}): 0 points."
