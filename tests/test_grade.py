"""tools/grade.py: a class of realistic and hostile submissions, each with its row and status.

The submissions are the assignment's student version (solution cells dropped)
with the stubs filled in, written by these tests. One grading run covers them
all (limits 20 s and 512 MiB; five at a time, as the endless loops sleep);
other tests use one or two notebooks. No timings are asserted.
"""

import copy
import csv
import json
import socket
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402
import grade_rubric  # noqa: E402
from rmslib import check  # noqa: E402

ASSIGNMENT = ROOT / "chapters" / "assignment_rmsprop.ipynb"
# --kill-after 40: more than the 20 s of the cells plus one 8 s check, so that a check that the notebook's
# deadline interrupted (first cells slow on a loaded machine) is re-run before the process is killed
LIMITS = ["--timeout", "20", "--memory", "512MiB", "--check-timeout", "8", "--kill-after", "40", "--jobs", "5"]
PART1, PART2 = "1. one RMSProp step", "2. a whole run, with a schedule"
COL3, COL4, COL5 = "3. reproduce the oscillation", "4. repair it with a schedule", "5. figures and explanations"

STEP = """\
def rmsprop_step(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new
"""
RUN = """\
def rmsprop_run(grad, x0, lr, beta, eps, steps):
    x = np.array(x0, dtype=float)
    v = np.zeros_like(x)
    xs = [x]
    for t in range(1, steps + 1):
        x, v = rmsprop_step(x, grad(x), v, lr(t) if callable(lr) else lr, beta, eps)
        xs.append(x)
    return np.stack(xs)
"""
# parts 3 and 4 as a student writes them: own run, rmslib's state for v_t, the answers assigned
ANSWERS3 = """\
xs_const = rmsprop_run(grad_parabola, x0, LR, BETA, EPS, STEPS)
opt = rmslib.RMSProp(lr=LR, beta=BETA, eps=EPS)
x, state, v = x0, opt.init(x0), []
for _ in range(STEPS):
    x, state = opt.update(x, grad_parabola(x), state)
    v.append(state.v[0])
v = np.array(v)
dist = np.abs(xs_const[:, 0])
t_star = int(np.argmin(dist))
eff_before = LR / np.sqrt(v[t_star - 1] + EPS)
eff_after = LR / np.sqrt(v[t_star] + EPS)
amplitude = dist[-100:].max()
mean_step = np.abs(np.diff(xs_const[-101:, 0])).mean()
print(f"amplitude {amplitude:.6f}")
"""
ANSWERS4 = """\
def schedule(gamma):
    return lambda t: LR * gamma**t

xs_098 = rmsprop_run(grad_parabola, x0, schedule(0.98), BETA, EPS, STEPS)
xs_095 = rmsprop_run(grad_parabola, x0, schedule(0.95), BETA, EPS, STEPS)
final_098 = abs(xs_098[-1, 0])
amplitude_098 = np.abs(xs_098[-100:, 0]).max()
final_095 = abs(xs_095[-1, 0])
travel_095 = np.abs(np.diff(xs_095[:, 0])).sum()
budget_095 = sum(LR * 0.95**t for t in range(1, STEPS + 1))
"""
PART3, PART4_CODE = ANSWERS3, ANSWERS4


TYPED3 = """\
t_star = 67
amplitude = 0.05073         # copied from the printout: within 1%, outside 1e-6
"""
SLIPS3 = """\
t_star = t_star + 1                      # counted from 1
eff_before, eff_after = eff_after, eff_before
amplitude = LR / 2                       # the prediction, not the measurement
"""
SLIPS4 = """\
xs_098 = xs_098[1:]                      # x0 left out
budget_095 = sum(LR * 0.95**t for t in range(STEPS))   # schedule numbered from 0
final_098 = -final_098                   # a negative distance
"""
HOSTILE3 = """\
t_star = str(t_star)
eff_before = float("nan")
eff_after = lambda: 2.0
amplitude = np.zeros(10**6)
del mean_step
"""
HOSTILE4 = """\
class Sneaky:
    def __float__(self):
        while True:
            pass

    def __eq__(self, other):
        return True

final_098 = Sneaky()
amplitude_098 = 10.0**300
final_095 = True
travel_095 = [0.1, "far"]
budget_095 = ...
xs_095 = xs_095.ravel()                  # a run of shape (301,) is accepted
"""


def submission(step=STEP, run=RUN, part3=PART3, part4=PART4_CODE):
    """The student version of the assignment with the stubs replaced by this code."""
    nb = json.loads(ASSIGNMENT.read_text())
    cells = []
    for cell in copy.deepcopy(nb["cells"]):
        tags = cell["metadata"].get("tags", [])
        if "solution" in tags:
            continue
        if "stub" in tags:
            src = "".join(cell["source"])
            cell["source"] = (step if "def rmsprop_step" in src else run if "def rmsprop_run" in src
                              else part3 if "Part 3" in src else part4)
            cell["metadata"]["tags"] = []
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
        cells.append(cell)
    nb["cells"] = cells
    return json.dumps(nb)


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback: a sandboxed submission must not reach it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    srv.settimeout(0.5)
    hits = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join(2)
    srv.close()


def hostile(tmp: Path, port: int):
    secret = tmp / "outside.txt"
    private = tmp / "private.txt"         # a file of the grading machine that must not end up in OUT
    private.write_text('{"event": "verdict", "function": "rmsprop_step", "ok": true, "message": "TOPSECRET"}\n')
    return {
        "good.ipynb": submission(),
        "forgot_one_minus_beta.ipynb": submission(
            step=STEP.replace("(1 - beta) * g**2", "g**2"),
            run=RUN.replace("        x, v = rmsprop_step(x, grad(x), v,", "        x, _ = rmsprop_step(x, grad(x), np.zeros_like(x),")),
        "eps_outside.ipynb": submission(step=STEP.replace("np.sqrt(v_new + eps)", "(np.sqrt(v_new) + eps)"),
                                        run=RUN.replace("lr(t) if", "lr(t - 1) if")),
        "in_place.ipynb": submission(step="def rmsprop_step(theta, g, v, lr, beta, eps):\n"
                                          "    v *= beta\n    v += (1 - beta) * g**2\n"
                                          "    return theta - lr * g / np.sqrt(v + eps), v\n"),
        "stub.ipynb": submission(step="def rmsprop_step(theta, g, v, lr, beta, eps):\n    raise NotImplementedError\n",
                                 part3="", part4=""),
        # two misbehaviours per notebook where they do not hide each other: each shows in the status
        "raises_after_huge_output.ipynb": submission(part3="for _ in range(300):\n    print('x' * 1_000_000)\n",
                                                     part4="1 / 0\n"),
        # the endless loops sleep rather than spin, to leave the test machine's cores to the others
        "loops.ipynb": submission(part3="import time\nwhile True:\n    time.sleep(0.2)\n"),
        "ignores_alarm.ipynb": submission(part3="import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                                "while True:\n    time.sleep(0.2)\n"),
        "step_never_returns.ipynb": submission(step="def rmsprop_step(theta, g, v, lr, beta, eps):\n"
                                                   "    import time\n    while True:\n        time.sleep(0.2)\n",
                                              part3="", part4=""),
        "sys_exit_then_memory_hog.ipynb": submission(part3="import sys\nsys.exit(1)\n", part4="big = np.ones(10**10)\n"),
        "os_exit.ipynb": submission(part3="import os\nos._exit(0)\n"),
        "deletes_function.ipynb": submission(part3="del rmsprop_step\n"),
        "renamed_function.ipynb": submission(step=STEP.replace("def rmsprop_step", "def my_rmsprop_step")),
        "calls_rmslib.ipynb": submission(step="def rmsprop_step(theta, g, v, lr, beta, eps):\n"
                                              "    opt = rmslib.RMSProp(lr=lr, beta=beta, eps=eps)\n"
                                              "    new, state = opt.update(theta, g, rmslib.State(t=0, v=v))\n"
                                              "    return new, state.v\n"),
        "escapes.ipynb": submission(part3=f"""\
import socket
leaks = []
for path in [{str(ASSIGNMENT)!r}, {str(ROOT / 'tools' / 'grade.py')!r}, '/root/.bashrc', '/etc/passwd']:
    try:
        open(path).read(10)
        leaks.append(path)
    except OSError:
        pass
try:
    open({str(secret)!r}, 'w').write('escaped')
    leaks.append('write')
except OSError:
    pass
try:
    socket.create_connection(('127.0.0.1', {port}), timeout=3)
    leaks.append('network')
except OSError:
    pass
import os
for name in ('.grade/output.log', '.grade/events.jsonl'):   # the grader's files, swapped for links
    try:
        os.remove(name)
        os.symlink({str(private)!r}, name)
    except OSError:
        pass
assert not leaks, leaks
"""),
        # parts 3 and 4: answers typed from a printout, classic slips, hostile values
        "answers_typed.ipynb": submission(part3=ANSWERS3 + TYPED3),
        "answers_slips.ipynb": submission(part3=ANSWERS3 + SLIPS3, part4=ANSWERS4 + SLIPS4),
        "answers_hostile.ipynb": submission(part3=ANSWERS3 + HOSTILE3, part4=ANSWERS4 + HOSTILE4),
        "answers_then_exit.ipynb": submission(part4="import os\nos._exit(0)\n"),
        "not_json.ipynb": "this is my essay, not a notebook",
        "json_not_notebook.ipynb": json.dumps({"answer": 42}),
        "notes.txt": "\x00\x01binary",
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    port, hits = listener
    tmp = tmp_path_factory.mktemp("class")
    subs, out = tmp / "submissions", tmp / "out"
    subs.mkdir()
    for name, text in hostile(tmp, port).items():
        (subs / name).write_text(text)
    (subs / "link.ipynb").symlink_to(ASSIGNMENT)        # the instructor's notebook, through a link
    assert grade.main([str(subs), str(out), *LIMITS]) == 0
    with open(out / "gradebook.csv", newline="") as fh:
        rows = {r["submission"]: r for r in csv.DictReader(fh)}
    return {"rows": rows, "out": out, "subs": subs, "tmp": tmp, "hits": hits}


def test_rubric_comes_from_the_assignment_notebook():
    parts = grade_rubric.read_rubric(ASSIGNMENT, set(check.CHECKS))
    assert [p.name for p in parts][:2] == [PART1, PART2]
    assert sum(p.points for p in parts) == 20
    auto = {p.name: [(c.check, c.function) for c in p.checks] for p in parts if p.checks}
    assert auto == {PART1: [("rmsprop_step", "rmsprop_step")], PART2: [("rmsprop_run", "rmsprop_run")]}
    answers = {p.name: {a.name for a in p.answers} for p in parts if p.answers}
    assert answers == {COL3: {"xs_const", "t_star", "eff_before", "eff_after", "amplitude", "mean_step"},
                       COL4: {"xs_098", "xs_095", "final_098", "amplitude_098", "final_095", "travel_095",
                              "budget_095"}}
    assert [p.name for p in parts if not p.automatic] == [COL5]


def test_every_file_gets_a_row_and_the_columns(graded):
    rows, subs = graded["rows"], graded["subs"]
    assert set(rows) == {p.name for p in subs.iterdir()}
    header = list(next(iter(rows.values())))
    assert header[0] == "submission" and PART1 in header and COL5 in header
    for col in ("automatic", "left to grade by hand", "status"):
        assert col in header
    for name in rows:
        assert (graded["out"] / "feedback" / f"{Path(name).stem}.md").exists()
        assert json.loads((graded["out"] / "gradescope" / f"{Path(name).stem}.json").read_text())["tests"]


def _row(graded, name):
    return graded["rows"][name]


def test_correct_submission_gets_the_automatic_points(graded):
    r = _row(graded, "good.ipynb")
    assert (r[PART1], r[PART2], r[COL3], r[COL4]) == ("4", "3", "3", "3"), r
    assert (r["automatic"], r["left to grade by hand"], r["status"]) == ("13", "7", "ok")
    text = (graded["out"] / "feedback" / "good.md").read_text()
    assert "correct on all 40 random cases" in text and "by the instructor" in text
    assert text.count(": correct (within 1e-06 relative") == 9 and text.count("agrees with rmslib's run") == 3
    assert "`t_star` = " in text and text.count(": correct.") == 1


@pytest.mark.parametrize("name, part, points, words", [
    ("forgot_one_minus_beta.ipynb", PART1, "3", "forgot the (1 - beta) factor"),
    ("eps_outside.ipynb", PART1, "3", "eps is outside the square root"),
    ("in_place.ipynb", PART1, "3", "in place"),
    ("eps_outside.ipynb", PART2, "2", "called with t = 0"),
    ("forgot_one_minus_beta.ipynb", PART2, "1", "v starts again from 0"),
    ("stub.ipynb", PART1, "0", "not implemented yet"),
])
def test_classic_mistakes_are_named_and_scored(graded, name, part, points, words):
    r = _row(graded, name)
    assert r[part] == points and r["status"] == "ok"
    assert words in (graded["out"] / "feedback" / f"{Path(name).stem}.md").read_text()


def test_a_wrong_step_is_not_counted_twice_in_the_run(graded):
    assert _row(graded, "in_place.ipynb")[PART2] == "3"
    assert "in place of yours" in (graded["out"] / "feedback" / "in_place.md").read_text()


@pytest.mark.parametrize("name, status", [
    ("raises_after_huge_output.ipynb", "error"), ("raises_after_huge_output.ipynb", "output capped"),
    ("loops.ipynb", "timeout"), ("ignores_alarm.ipynb", "timeout"), ("os_exit.ipynb", "exited"),
    ("sys_exit_then_memory_hog.ipynb", "exited"), ("sys_exit_then_memory_hog.ipynb", "memory"),
])
def test_a_notebook_that_misbehaves_keeps_its_part_1_and_2_points(graded, name, status):
    r = _row(graded, name)
    assert status in r["status"]
    assert (r[PART1], r[PART2]) == ("4", "3"), r


def test_a_graded_function_that_never_returns_is_stopped(graded):
    r = _row(graded, "step_never_returns.ipynb")
    # its check gets 1 point (an attempt); the notebook's own check cell then hangs until the
    # notebook's time is up, so rmsprop_run, defined after it, is never reached
    assert "timeout" in r["status"] and r[PART1] == "1", r
    assert "did not finish" in (graded["out"] / "feedback" / "step_never_returns.md").read_text()


@pytest.mark.parametrize("name", ["not_json.ipynb", "json_not_notebook.ipynb", "notes.txt", "link.ipynb"])
def test_not_a_notebook(graded, name):
    r = _row(graded, name)
    assert r["status"] == "invalid notebook" and r["automatic"] == "0"


@pytest.mark.parametrize("name", ["deletes_function.ipynb", "renamed_function.ipynb"])
def test_missing_graded_function(graded, name):
    r = _row(graded, name)
    assert "missing function" in r["status"] and r[PART1] == "0"
    assert "not defined" in (graded["out"] / "feedback" / f"{Path(name).stem}.md").read_text()


def test_calling_rmslibs_optimizer_is_flagged(graded):
    r = _row(graded, "calls_rmslib.ipynb")
    assert "flagged" in r["status"] and r[PART1] == "0" and "rmslib.RMSProp" in r["notes"]
    assert _row(graded, "good.ipynb")["notes"] == ""     # the reference calls inside the check do not count


def _bwrap_here():
    return grade.pick_sandbox("auto") == "bwrap"


@pytest.mark.skipif(not _bwrap_here(), reason="bubblewrap is not available: no sandbox to test")
def test_sandbox_blocks_files_outside_scratch_and_the_network(graded):
    r = _row(graded, "escapes.ipynb")
    assert r["status"] == "ok" and r["sandbox"] == "bwrap", r
    assert not (graded["tmp"] / "outside.txt").exists()
    for path in graded["out"].rglob("*"):
        assert not path.is_file() or "TOPSECRET" not in path.read_text(errors="replace"), path
    assert graded["hits"] == []


def test_no_scratch_or_temporary_files_left(graded):
    names = {p.name for p in graded["out"].iterdir()}
    assert names == {"gradebook.csv", "feedback", "gradescope", "output"}


def test_output_is_kept_for_the_instructor_and_capped(graded):
    out = graded["out"] / "output"
    assert "amplitude 0.0" in (out / "good.txt").read_text()
    text = (out / "raises_after_huge_output.txt").read_text()
    assert len(text) <= 65 << 10 and "output cut" in text and "ZeroDivisionError" not in text
    trace = (out / "renamed_function.txt").read_text()
    assert "NameError" in trace and "\x1b[" not in trace


def _grade(subs, out, *extra):
    assert grade.main([str(subs), str(out), *LIMITS, *extra]) == 0
    with open(out / "gradebook.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_runs_are_idempotent(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "ada.ipynb").write_text(submission(step=STEP.replace("np.sqrt(v_new + eps)", "(np.sqrt(v_new) + eps)")))
    (subs / "bob.ipynb").write_text("{")
    _grade(subs, out)
    first = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _grade(subs, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first


def test_hand_points_are_merged_never_overwritten(tmp_path):
    # the merge does not depend on running anything: files that are not notebooks keep it fast
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "ada.ipynb").write_text("{")
    (subs / "bob.ipynb").write_text("{")
    rows = _grade(subs, out)
    for r in rows:          # the instructor fills in part 3, an adjustment and a note for ada only
        if r["submission"] == "ada.ipynb":
            r[COL5], r["instructor notes"] = "3.5", "Good figure; label the axes."
            r["adjustment"] = "-0.5"
    with open(out / "gradebook.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (subs / "bob.ipynb").unlink()        # bob's file disappears: his row stays

    rows = {r["submission"]: r for r in _grade(subs, out)}
    ada = rows["ada.ipynb"]
    assert ada[COL5] == "3.5" and ada["instructor notes"].startswith("Good figure")
    assert (ada["automatic"], ada["left to grade by hand"], ada["adjustment"], ada["total"]) == ("0", "0", "-0.5", "3")
    assert "bob.ipynb" in rows and "no longer" in rows["bob.ipynb"]["status"]
    fb = (out / "feedback" / "ada.md").read_text()
    assert "3.5 / 7" in fb and "label the axes" in fb and "Adjusted by the instructor: -0.5" in fb


def test_without_a_sandbox_it_says_so_loudly(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "ada.ipynb").write_text(submission())
    rows = _grade(subs, out, "--sandbox", "none")
    printed = capsys.readouterr().out
    assert "NO SANDBOX" in printed
    assert rows[0]["sandbox"] == "none" and rows[0]["status"] == "ok"
    assert "NO SANDBOX" in (out / "feedback" / "ada.md").read_text()


# ----------------------------------------------------------------------------- parts 3 and 4: named answers

def _feedback(graded, name):
    return (graded["out"] / "feedback" / f"{Path(name).stem}.md").read_text()


def test_answers_typed_from_a_printout_get_half_their_points(graded):
    r = _row(graded, "answers_typed.ipynb")
    # amplitude within 1% but not within 1e-6: half of its 0.5 point; the typed t_star is exact
    assert (r[COL3], r[COL4], r["status"]) == ("2.75", "3", "ok"), r
    text = _feedback(graded, "answers_typed.ipynb")
    assert "`t_star` = 67: correct" in text and "outside the tolerance 1e-06" in text


def test_classic_slips_in_the_answers_are_named(graded):
    r = _row(graded, "answers_slips.ipynb")
    # part 3: t_star off by one (half of 0.5), the rates swapped (half of 0.25 each), the prediction for
    # the amplitude (0); part 4: a run without x0 (half of 0.5), a schedule numbered from 0 (half of
    # 0.25), a negative distance (0 of 0.5)
    assert float(r[COL3]) == 3 - 0.25 - 0.25 - 0.5 and r["status"] == "ok", r
    assert r[COL4] == "2.125", r
    text = _feedback(graded, "answers_slips.ipynb")
    for words in ("off by one step", "the two are swapped", "the prediction eta/2", "xs[0] must be x0",
                  "numbered from 0"):
        assert words in text, words
    line = next(ln for ln in text.splitlines() if ln.startswith("- `final_098` = "))
    assert line.startswith("- `final_098` = -") and "cannot be right" in line and "a distance" in line


def test_hostile_answers_are_diagnosed_never_crash(graded):
    r = _row(graded, "answers_hostile.ipynb")
    # only the two runs and xs_const (computed normally) count; every bad value gets 0 and a reason
    assert (r[COL3], r[COL4], r["status"]) == ("1", "1", "ok"), r
    text = _feedback(graded, "answers_hostile.ipynb")
    for words in ("`t_star` holds a string", "`eff_before` is nan, not a finite number",
                  "`eff_after` holds a function, not its result", "`amplitude` is an array of shape (1000000,)",
                  "`mean_step` is not defined", "object of type Sneaky", "`amplitude_098` = 1e+300 cannot be right",
                  "`final_095` holds a True/False value", "`travel_095` holds a list", "`budget_095` is still ...",
                  "`xs_095`: correct"):
        assert words in text, words
    scores = {t["name"]: t for t in json.loads((graded["out"] / "gradescope" / "answers_hostile.json").read_text())["tests"]}
    assert scores[COL3]["score"] == 1 and "not a finite number" in scores[COL3]["output"]


def test_answers_given_before_the_notebook_exits_are_kept(graded):
    r = _row(graded, "answers_then_exit.ipynb")
    assert "exited" in r["status"] and (r[COL3], r[COL4]) == ("3", "0"), r
    assert "`final_098` is not defined" in _feedback(graded, "answers_then_exit.ipynb")


def _namespace(extra3="", extra4=""):
    """The assignment's settings cell and a student's parts 1 to 4 run here, as a notebook would."""
    import numpy as np
    import rmslib
    nb = json.loads(ASSIGNMENT.read_text())
    settings = next("".join(c["source"]) for c in nb["cells"]
                    if c["cell_type"] == "code" and "def grad_parabola" in "".join(c["source"]))
    ns = {"np": np, "rmslib": rmslib}
    for src in (STEP, RUN, settings, ANSWERS3 + extra3, ANSWERS4 + extra4):
        exec(src, ns)
    return ns


def _score(ns):
    import numpy as np
    import grade_answers
    import grade_worker
    parts, settings = grade_rubric.read_rubric(ASSIGNMENT, set(check.CHECKS), with_settings=True)
    refs = grade_answers.references(settings)
    got = {a.name: (grade_worker.read_answer(ns[a.name], np) if a.name in ns else {"state": "missing"})
           for p in parts for a in p.answers}
    return {p.name: grade_rubric.score_part(p, {}, got, refs) for p in parts if p.answers}


def test_the_grader_agrees_with_an_independent_numpy_solution():
    # the answers come from this file's own NumPy RMSProp (STEP, RUN), not from rmslib's optimizer
    scores = _score(_namespace())
    assert scores[COL3] == (3, scores[COL3][1]) and scores[COL4] == (3, scores[COL4][1])
    assert all(": correct" in line for lines in (scores[COL3][1], scores[COL4][1]) for line in lines)


@pytest.mark.parametrize("code, name, points, words", [
    ("amplitude *= 1 + 5e-7", "amplitude", 0.5, "correct"),               # inside the tolerance
    ("amplitude *= 1 + 5e-6", "amplitude", 0.25, "outside the tolerance"),  # just outside: close
    ("amplitude *= 1.05", "amplitude", 0.0, "differs from the grader's value by 5%"),
    ("mean_step = LR", "mean_step", 0.0, "the prediction eta, not your measurement"),
    ("t_star = float(t_star)", "t_star", 0.5, "correct"),
    ("t_star = t_star + 0.5", "t_star", 0.0, "not a whole step number"),
    ("t_star = np.array([t_star])", "t_star", 0.5, "correct"),
    ("eff_before = np.array([eff_before, eff_after])", "eff_before", 0.0, "not one number"),
    ("eff_before = -1.0", "eff_before", 0.0, "cannot be right"),
    ("eff_after = 10**400", "eff_after", 0.0, "not a finite number"),
    ("eff_after = float(\"inf\")", "eff_after", 0.0, "not a finite number"),
    ("mean_step = print", "mean_step", 0.0, "a function, not its result"),
    ("amplitude = str(amplitude)", "amplitude", 0.0, "holds a string"),
    ("amplitude = complex(amplitude)", "amplitude", 0.0, "an object of type complex"),
    ("amplitude = [amplitude] * 5000", "amplitude", 0.0, "shape (5000,), far too large"),
    ("amplitude = np.array([amplitude], dtype=object)", "amplitude", 0.0, "array of object values"),
    ("class F(float):\n    def __float__(self):\n        raise RuntimeError\namplitude = F(amplitude)",
     "amplitude", 0.0, "an object of type F"),
    ("xs_const = xs_const[:, 0]", "xs_const", 1.0, "correct"),
    ("xs_const = xs_const.copy(); xs_const[200] += 1e-3", "xs_const", 0.0, "up to step 199"),
    ("xs_const = np.vstack([xs_const, xs_const])", "xs_const", 0.0, "has 602 steps"),
    ("xs_const = xs_const.T", "xs_const", 0.0, "has shape (1, 301)"),
])
def test_one_answer_scored_with_its_tolerance(code, name, points, words):
    scores = _score(_namespace(extra3=code + "\n"))
    pts, lines = scores[COL3]
    line = next(ln for ln in lines if ln.startswith(f"`{name}`"))
    assert words in line, line
    assert pts == pytest.approx(3 - 0.5 * (name in ("amplitude", "mean_step", "t_star"))
                                - 0.25 * name.startswith("eff") - 1.0 * (name == "xs_const") + points), lines


def test_rubric_refuses_an_assignment_whose_stub_lacks_an_answer(tmp_path):
    nb = json.loads(ASSIGNMENT.read_text())
    for cell in nb["cells"]:
        if "stub" in cell["metadata"].get("tags", []):
            cell["source"] = "".join(cell["source"]).replace("mean_step = None", "mean = None")
    bad = tmp_path / "a.ipynb"
    bad.write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="does not assign mean_step"):
        grade_rubric.read_rubric(bad, set(check.CHECKS))


def test_rubric_text_states_the_tolerances_the_grader_uses():
    import grade_answers
    text = "".join("".join(c["source"]) for c in json.loads(ASSIGNMENT.read_text())["cells"])
    assert grade_answers.RTOL == 1e-6 and "relative tolerance of $10^{-6}$" in text
    assert grade_answers.ATOL == 1e-9 and "$10^{-9}$ absolute" in text
    assert grade_answers.CLOSE == 1e-2 and grade_answers.CLOSE_CREDIT == 0.5 and "within 1% it earns half" in text
    for a in grade_answers.ANSWERS:
        assert f"`{a.name}`" in text, a.name
