"""Write a class of 50 submissions of the assignment, 35 ordinary and 15 hostile, to time ``make grade``.

    .venv/bin/python tests/make_grade_class.py /tmp/class50
    make grade SUBMISSIONS=/tmp/class50 OUT=/tmp/class50-out

The notebooks are built as tests/test_grade.py builds them (the student version
with the stubs filled in). Ordinary: right answers, answers typed from a
printout, slips in the answers, the classic mistakes of parts 1 and 2, part 4
left undone, a stub, a renamed function, a step that calls rmslib. Hostile:
three endless loops, exits, a memory hog, huge output, a deleted function,
escape attempts, hostile answer values, files that are not notebooks, a link.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_grade as t  # noqa: E402


def stub_source(part):
    nb = json.loads(t.ASSIGNMENT.read_text())
    return next("".join(c["source"]) for c in nb["cells"]
                if "stub" in c["metadata"].get("tags", []) and f"Part {part}" in "".join(c["source"]))


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    bad = t.hostile(out.parent, 9)            # port 9 (discard): the escape attempt finds no network anyway
    ordinary = {
        **{f"good_{k:02d}.ipynb": t.submission() for k in range(10)},
        **{f"typed_{k}.ipynb": t.submission(part3=t.ANSWERS3 + t.TYPED3) for k in range(4)},
        **{f"slips_{k}.ipynb": t.submission(part3=t.ANSWERS3 + t.SLIPS3, part4=t.ANSWERS4 + t.SLIPS4)
           for k in range(4)},
        **{f"forgot_one_minus_beta_{k}.ipynb": bad["forgot_one_minus_beta.ipynb"] for k in range(3)},
        **{f"eps_outside_{k}.ipynb": bad["eps_outside.ipynb"] for k in range(3)},
        **{f"in_place_{k}.ipynb": bad["in_place.ipynb"] for k in range(2)},
        **{f"part4_undone_{k}.ipynb": t.submission(part4=stub_source(4)) for k in range(3)},
        **{f"stub_{k}.ipynb": bad["stub.ipynb"] for k in range(2)},
        **{f"renamed_{k}.ipynb": bad["renamed_function.ipynb"] for k in range(2)},
        **{f"calls_rmslib_{k}.ipynb": bad["calls_rmslib.ipynb"] for k in range(2)},
    }
    hostile = {name: bad[name] for name in (
        "loops.ipynb", "ignores_alarm.ipynb", "step_never_returns.ipynb", "os_exit.ipynb",
        "sys_exit_then_memory_hog.ipynb", "raises_after_huge_output.ipynb", "deletes_function.ipynb",
        "escapes.ipynb", "answers_hostile.ipynb", "answers_then_exit.ipynb", "not_json.ipynb",
        "json_not_notebook.ipynb", "notes.txt")}
    hostile["answers_hostile_2.ipynb"] = bad["answers_hostile.ipynb"]
    assert len(ordinary) == 35 and len(hostile) == 14
    for name, text in {**ordinary, **hostile}.items():
        (out / name).write_text(text)
    link = out / "link.ipynb"
    if not link.is_symlink():
        link.symlink_to(t.ASSIGNMENT)
    print(f"wrote {len(ordinary) + len(hostile) + 1} submissions in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
