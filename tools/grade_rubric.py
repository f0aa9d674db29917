"""The rubric of an assignment, read from the assignment notebook itself, and the scoring rules.

The notebook is the one place where the parts and their points are written:

- the code cell that assigns ``POINTS = {"1. one RMSProp step": 4, ...}`` gives
  the parts, in order, and their points;
- each ``## Part N: ...`` heading opens part N (the rubric key that starts with
  ``"N."``);
- each untagged check cell, such as ``rmslib.check.rmsprop_step(rmsprop_step)``,
  makes the part it sits in a part scored automatically, by that named check of
  ``rmslib.check`` on the function of that name (keyword arguments such as
  ``eps_in_sqrt=False`` are passed on). A part without a check cell is graded by
  the instructor;
- a part numbered in ``grade_answers.ANSWERS`` (parts 3 and 4) is scored
  automatically from the named variables the student assigns; its stub cell
  must assign each of them, and their points must add up to the part's.

The scoring rules below follow the grading notes of the assignment's solutions.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grade_answers import ANSWERS, read_settings, score_answer

# -- scoring: what a check's verdict is worth ---------------------------------------------------
# A correct function earns the part's full points; a stub or a missing function 0. A mistake the
# check names (see rmslib.check.diagnoses(), plus an in-place update) costs NAMED_MISTAKE points;
# any other wrong answer (an exception, wrong numbers without a name) earns ATTEMPT points, "a
# real attempt". FIXED overrides both for one check's mistake: (check, mistake key) -> points.
NAMED_MISTAKE = 1
ATTEMPT = 1
FIXED = {("rmsprop_run", "reset-v"): 1}          # "1 point for a run that forgets to carry v"
# A graded function that should call another graded function (by name), and what not doing so
# costs: "3 points when the check prints correct and the loop calls rmsprop_step".
MUST_CALL = {"rmsprop_run": ("rmsprop_step", 1)}
NOTHING = {"not-implemented", "missing", "not-callable"}


@dataclass
class Check:
    check: str                   # a name in rmslib.check.CHECKS
    function: str                # the student's function it is called on
    kwargs: dict = field(default_factory=dict)


@dataclass
class Part:
    name: str                    # as in the rubric, e.g. "1. one RMSProp step"
    points: float
    checks: list = field(default_factory=list)
    answers: list = field(default_factory=list)   # grade_answers.Answer, read from named variables

    @property
    def automatic(self):
        return bool(self.checks or self.answers)


def _source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _check_calls(tree, known):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if owner_name != "check" or node.func.attr not in known or not node.args:
            continue
        if isinstance(node.args[0], ast.Name):
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords
                      if k.arg and isinstance(k.value, ast.Constant)}
            yield Check(node.func.attr, node.args[0].id, kwargs)


def read_rubric(path: Path, known_checks, with_settings=False):
    """The parts of the assignment at ``path``, in rubric order, with their checks and answers.

    With ``with_settings``, also the settings of part 3 (``grade_answers.read_settings``).
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    points = None
    current, found, stubs, plain = None, [], {}, []
    for cell in nb["cells"]:
        src, tags = _source(cell), cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown":
            for line in src.splitlines():
                m = re.match(r"#{1,6}\s+Part\s+(\d+)\b", line)
                if m:
                    current = int(m.group(1))
            continue
        if cell["cell_type"] == "code" and "stub" in tags:
            stubs[current] = stubs.get(current, "") + "\n" + src
        if cell["cell_type"] != "code" or "solution" in tags or "stub" in tags:
            continue
        plain.append(src)
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and getattr(node.targets[0], "id", None) == "POINTS"):
                points = ast.literal_eval(node.value)
        for c in _check_calls(tree, known_checks):
            found.append((current, c))
    if not points:
        raise ValueError(f"{path}: no `POINTS = {{part: points, ...}}` cell, so no rubric")
    parts = [Part(name, float(p)) for name, p in points.items()]
    by_number = {}
    for part in parts:
        m = re.match(r"(\d+)\.", part.name)
        if m:
            by_number[int(m.group(1))] = part
    for number, c in found:
        if number not in by_number:
            raise ValueError(f"{path}: check of {c.function} is in part {number}, which the rubric does not list")
        by_number[number].checks.append(c)
    for a in ANSWERS:
        part = by_number.get(a.part)
        if part is None:
            raise ValueError(f"{path}: answer {a.name} belongs to part {a.part}, which the rubric does not list")
        if not re.search(rf"^\s*{a.name}\s*=", stubs.get(a.part, ""), re.M):
            raise ValueError(f"{path}: the stub cell of part {a.part} does not assign {a.name}, the answer the "
                             f"grader reads (tools/grade_answers.py)")
        part.answers.append(a)
    for part in parts:
        if part.answers and (part.checks or abs(sum(a.points for a in part.answers) - part.points) > 1e-9):
            raise ValueError(f"{path}: the answers of {part.name!r} are worth "
                             f"{sum(a.points for a in part.answers):g} points (tools/grade_answers.py), "
                             f"the rubric gives {part.points:g}" + (", and it also has a check" if part.checks else ""))
    return (parts, read_settings(plain)) if with_settings else parts


def score_part(part: Part, verdicts: dict, answers: dict | None = None,
               refs: dict | None = None) -> tuple[float, list[str]]:
    """Points for an automatic part from the verdicts of its checks, and the reasons, one per line.

    ``verdicts`` maps a function name to the worker's verdict (ok, mistake, message,
    uses_rmslib, calls_helper); a missing entry means the function was not defined.
    Several checks in one part share its points equally. A part of named answers
    adds up the points of each answer (``answers``: name -> what the worker read;
    ``refs``: the grader's values, ``grade_answers.references``).
    """
    if part.answers:
        total, why = 0.0, []
        for a in part.answers:
            pts, line = score_answer(a, (answers or {}).get(a.name), refs)
            total += pts
            why.append(line)
        return round(total, 3), why
    share = part.points / len(part.checks)
    total, why = 0.0, []
    for c in part.checks:
        v = verdicts.get(c.function) or {"ok": False, "mistake": "missing",
                                         "message": f"{c.function} is not defined at the end of the notebook "
                                                    f"(deleted, renamed, or its cell failed)."}
        key = v.get("mistake")
        if v.get("uses_rmslib"):
            pts = 0.0
            why.append(f"{c.function} calls {', '.join(v['uses_rmslib'])} instead of implementing the update "
                       f"itself: 0 points until the instructor has looked at it.")
        elif v.get("ok"):
            pts = share
        elif key in NOTHING:
            pts = 0.0
        elif (c.check, key) in FIXED:
            pts = min(share, FIXED[(c.check, key)])
        elif key not in (None, "exception", "wrong", "wrong-shape", "no-return", "wrong-count",
                         "not-numbers", "timeout", "memory"):
            pts = max(min(share, ATTEMPT), share - NAMED_MISTAKE)
            why.append(f"named mistake ({key}): -{NAMED_MISTAKE} point.")
        else:
            pts = min(share, ATTEMPT)
            why.append(f"not correct yet: {ATTEMPT} point for a real attempt.")
        if c.function in MUST_CALL and v.get("ok") and not v.get("calls_helper", True):
            helper, cost = MUST_CALL[c.function]
            pts = max(pts - cost, 0.0)
            why.append(f"{c.function} does not call your {helper}: -{cost} point.")
        total += pts
    return round(total, 2), why
