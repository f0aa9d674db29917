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
LIMITS = ["--timeout", "20", "--memory", "512MiB", "--check-timeout", "8", "--kill-after", "25", "--jobs", "5"]
PART1, PART2 = "1. one RMSProp step", "2. a whole run, with a schedule"

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
PART3 = """\
xs = rmsprop_run(grad_parabola, x0, LR, BETA, EPS, STEPS)
print(f"amplitude {np.abs(xs[-100:, 0]).max():.6f}")
"""


def submission(step=STEP, run=RUN, part3=PART3, part4=""):
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
                                 part3=""),
        # two misbehaviours per notebook where they do not hide each other: each shows in the status
        "raises_after_huge_output.ipynb": submission(part3="for _ in range(300):\n    print('x' * 1_000_000)\n",
                                                     part4="1 / 0\n"),
        # the endless loops sleep rather than spin, to leave the test machine's cores to the others
        "loops.ipynb": submission(part3="import time\nwhile True:\n    time.sleep(0.2)\n"),
        "ignores_alarm.ipynb": submission(part3="import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                                "while True:\n    time.sleep(0.2)\n"),
        "step_never_returns.ipynb": submission(step="def rmsprop_step(theta, g, v, lr, beta, eps):\n"
                                                   "    import time\n    while True:\n        time.sleep(0.2)\n",
                                              part3=""),
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
    auto = {p.name: [(c.check, c.function) for c in p.checks] for p in parts if p.automatic}
    assert auto == {PART1: [("rmsprop_step", "rmsprop_step")], PART2: [("rmsprop_run", "rmsprop_run")]}


def test_every_file_gets_a_row_and_the_columns(graded):
    rows, subs = graded["rows"], graded["subs"]
    assert set(rows) == {p.name for p in subs.iterdir()}
    header = list(next(iter(rows.values())))
    assert header[0] == "submission" and PART1 in header and "5. explain the results" in header
    for col in ("automatic", "left to grade by hand", "status"):
        assert col in header
    for name in rows:
        assert (graded["out"] / "feedback" / f"{Path(name).stem}.md").exists()
        assert json.loads((graded["out"] / "gradescope" / f"{Path(name).stem}.json").read_text())["tests"]


def _row(graded, name):
    return graded["rows"][name]


def test_correct_submission_gets_the_automatic_points(graded):
    r = _row(graded, "good.ipynb")
    assert (r[PART1], r[PART2], r["automatic"], r["left to grade by hand"], r["status"]) == ("4", "3", "7", "13", "ok")
    text = (graded["out"] / "feedback" / "good.md").read_text()
    assert "correct on all 40 random cases" in text and "by the instructor" in text


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
            r["3. reproduce the oscillation"], r["instructor notes"] = "3.5", "Good figure; label the axes."
            r["adjustment"] = "-0.5"
    with open(out / "gradebook.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (subs / "bob.ipynb").unlink()        # bob's file disappears: his row stays

    rows = {r["submission"]: r for r in _grade(subs, out)}
    ada = rows["ada.ipynb"]
    assert ada["3. reproduce the oscillation"] == "3.5" and ada["instructor notes"].startswith("Good figure")
    assert (ada["automatic"], ada["left to grade by hand"], ada["adjustment"], ada["total"]) == ("0", "9", "-0.5", "3")
    assert "bob.ipynb" in rows and "no longer" in rows["bob.ipynb"]["status"]
    fb = (out / "feedback" / "ada.md").read_text()
    assert "3.5 / 4" in fb and "label the axes" in fb and "Adjusted by the instructor: -0.5" in fb


def test_without_a_sandbox_it_says_so_loudly(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "ada.ipynb").write_text(submission())
    rows = _grade(subs, out, "--sandbox", "none")
    printed = capsys.readouterr().out
    assert "NO SANDBOX" in printed
    assert rows[0]["sandbox"] == "none" and rows[0]["status"] == "ok"
    assert "NO SANDBOX" in (out / "feedback" / "ada.md").read_text()
