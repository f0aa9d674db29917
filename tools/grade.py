"""Grade a class's submitted notebooks (``make grade SUBMISSIONS=dir OUT=dir``).

    python tools/grade.py SUBMISSIONS OUT [--timeout 120] [--memory 2GiB] [--jobs N]
                          [--assignment chapters/assignment_rmsprop.ipynb] [--sandbox auto]

Every file in SUBMISSIONS (one per student) is run in a process of its own, in a
scratch folder of its own, inside a sandbox (bubblewrap: no network, a read-only
view of only Python, the virtual environment and rmslib; the scratch folder is
the one writable place), with a time and a memory limit, and its graded functions
are checked with ``rmslib.check`` and its named answers read (tools/grade_worker.py
does that part); the answers are scored against values computed here with rmslib
(tools/grade_answers.py). It writes

- ``OUT/gradebook.csv``: one row per submission, one column per rubric part, the
  automatic total, the points left to grade by hand, the total and the status;
- ``OUT/feedback/<name>.md``: per part, the points and the check's diagnosis;
- ``OUT/gradescope/<name>.json``: the same, in Gradescope's autograder
  ``results.json`` format;
- ``OUT/output/<name>.txt``: what the notebook printed (its first and last 32 KiB).

The rubric comes from the assignment notebook (tools/grade_rubric.py). Points
typed by hand into the gradebook (the columns of the parts graded by hand,
``adjustment`` and ``instructor notes``) are kept by the next run. Re-running gives the same files;
each is written atomically.
"""

from __future__ import annotations

import argparse
import atexit
import concurrent.futures as cf
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_answers import RTOL, references  # noqa: E402
from grade_rubric import MUST_CALL, read_rubric, score_part  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "grade_worker.py"
MAX_NOTEBOOK_BYTES = 20 << 20
LOG_KEEP = 64 << 10             # characters of a notebook's output kept in OUT/output/<name>.txt
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STATUS_ORDER = ["invalid notebook", "timeout", "memory", "exited", "crashed", "error", "flagged",
                "missing function", "output capped", "grader error"]
HAND_NOTES = "instructor notes"
ADJUST = "adjustment"           # hand-entered points added to the total (for example after a flag)


# ----------------------------------------------------------------------------- sandbox

def _size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?\s*", text, re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (for example 2GiB or 512MiB)")
    unit = (m.group(2) or "B").upper()[0]
    return int(float(m.group(1)) * {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[unit])


def _rmslib_file():
    import rmslib
    return rmslib.__file__


def _ro_binds():
    """The read-only paths a sandboxed Python needs: system, interpreter, venv, rmslib. Nothing else."""
    import rmslib
    paths = ["/usr", os.path.realpath(sys.base_prefix), sys.prefix, os.path.realpath(sys.prefix),
             str(Path(rmslib.__file__).resolve().parent)]
    for f in ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(f):
            paths.append(f)
    out = []
    for p in paths:
        if p not in out and not any(p.startswith(q.rstrip("/") + "/") for q in paths if q != p and q != "/"):
            out.append(p)
    return out


def bwrap_command(scratch: Path, argv: list[str]) -> list[str]:
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--hostname", "grader"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for p in _ro_binds():
        cmd += ["--ro-bind", p, p]
    cmd += ["--ro-bind", str(WORKER), "/grader/grade_worker.py",
            "--proc", "/proc", "--dev", "/dev", "--bind", str(scratch), "/scratch", "--chdir", "/scratch",
            "--clearenv"]
    for k, v in sandbox_env("/scratch").items():
        cmd += ["--setenv", k, v]
    return cmd + ["--"] + argv


def sandbox_env(scratch: str) -> dict:
    return {"HOME": scratch, "TMPDIR": f"{scratch}/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{scratch}/.mpl", "PYTHONHASHSEED": "0",
            "PYTHONIOENCODING": "utf-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


SANDBOXES = {
    "bwrap": "bubblewrap: no network, read-only view of Python/venv/rmslib only, writable scratch folder",
    "unshare": "WARNING: PARTIAL SANDBOX (unshare): no network, but the submission can READ and WRITE "
               "files as the grader's user",
    "none": "WARNING: NO SANDBOX: submissions run as plain processes with the grader's rights "
            "(files, network); grade only code you trust",
}


def _works(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def pick_sandbox(wanted: str) -> str:
    probe = [sys.executable, "-c", "import socket, os; assert not os.path.exists('" + str(ROOT / "chapters") + "')"]
    if wanted in ("auto", "bwrap") and shutil.which("bwrap"):
        with tempfile.TemporaryDirectory() as d:
            if _works(bwrap_command(Path(d), probe)):
                return "bwrap"
    if wanted == "bwrap":
        sys.exit("grade: --sandbox bwrap, but bubblewrap is missing or does not work here "
                 "(Debian: apt-get install bubblewrap)")
    if wanted in ("auto", "unshare") and shutil.which("unshare"):
        if _works(["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child",
                   sys.executable, "-c", "pass"]):
            return "unshare"
    if wanted == "unshare":
        sys.exit("grade: --sandbox unshare, but unshare (user and network namespaces) does not work here")
    return "none"


def sandboxed(mode: str, scratch: Path, argv: list[str]):
    """(command, env, cwd) that runs argv for this scratch folder."""
    if mode == "bwrap":
        return bwrap_command(scratch, argv), {}, "/"
    env = sandbox_env(str(scratch))
    env["PATH"] = os.environ.get("PATH", env["PATH"])
    argv = [a.replace("/grader/grade_worker.py", str(WORKER)).replace("/scratch", str(scratch)) for a in argv]
    if mode == "unshare":
        argv = ["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"] + argv
    return argv, env, str(scratch)


# ----------------------------------------------------------------------------- one submission

@dataclass
class Result:
    name: str
    statuses: list = field(default_factory=list)
    verdicts: dict = field(default_factory=dict)     # function -> verdict (from the worker)
    answers: dict = field(default_factory=dict)      # answer name -> what the worker read
    problems: list = field(default_factory=list)     # lines for the feedback: what went wrong
    output: str = ""

    def add(self, status, line=None):
        if status and status not in self.statuses:
            self.statuses.append(status)
        if line and line not in self.problems:
            self.problems.append(line)


def validate(path: Path) -> str | None:
    """None for a notebook we can run, else why not."""
    if path.is_symlink():
        return "the file is a symbolic link, not a notebook (links are not followed)"
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return f"the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MiB"
        nb = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        return "the file is not text (UTF-8), so not a notebook"
    except (ValueError, RecursionError):
        return "the file is not JSON, so not a Jupyter notebook (File > Save and export as > Notebook)"
    except OSError as exc:
        return f"the file cannot be read ({exc.strerror})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "the file is JSON but not a Jupyter notebook (no list of cells)"
    try:
        import nbformat
        nbformat.validate(nbformat.from_dict(nb))
    except Exception as exc:  # noqa: BLE001 - any validation failure
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if nb.get("nbformat") != 4 or not all(isinstance(c, dict) and "cell_type" in c for c in nb["cells"]):
            return f"the notebook does not follow the Jupyter format ({first})"
    return None


def grade_one(path: Path, parts, opts, sandbox: str, mpl_cache: Path | None) -> Result:
    res = Result(path.name)
    why = validate(path)
    if why:
        res.add("invalid notebook", why)
        return res
    scratch = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        return _run(path, parts, opts, sandbox, mpl_cache, scratch, res)
    except Exception as exc:  # noqa: BLE001 - one submission's trouble never stops the class
        res.add("grader error", f"the grader failed on this submission: {type(exc).__name__}: {exc}")
        return res
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(path, parts, opts, sandbox, mpl_cache, scratch, res):
    (scratch / ".grade").mkdir()
    (scratch / "tmp").mkdir()
    (scratch / ".mpl").mkdir()
    if mpl_cache:
        for f in mpl_cache.glob("fontlist*.json"):
            shutil.copy(f, scratch / ".mpl" / f.name)
    shutil.copy(path, scratch / "submission.ipynb")
    inside = "/scratch" if sandbox == "bwrap" else str(scratch)
    functions = []
    for part in parts:
        for c in part.checks:
            functions.append({"function": c.function, "check": c.check, "kwargs": c.kwargs,
                              "helper": MUST_CALL.get(c.function, (None,))[0]})
    spec = {"notebook": f"{inside}/submission.ipynb", "events": f"{inside}/.grade/events.jsonl",
            "functions": functions, "answers": [a.name for part in parts for a in part.answers],
            "memory": opts.memory, "notebook_seconds": opts.timeout,
            "check_seconds": opts.check_timeout, "cpu_seconds": int(opts.timeout + opts.check_timeout * 4 + 30),
            "output_cap": opts.output_cap, "file_size": 64 << 20,
            # the rmslib this grader imported (and bound read-only into the sandbox), not another copy
            # an editable install may point at
            "rmslib_parent": str(Path(_rmslib_file()).resolve().parent.parent)}
    (scratch / ".grade" / "spec.json").write_text(json.dumps(spec))
    argv = [sys.executable, "-B", "-I", "/grader/grade_worker.py", "/scratch/.grade/spec.json"]
    cmd, env, cwd = sandboxed(sandbox, scratch, argv)
    hard = opts.kill_after or opts.timeout + opts.check_timeout * max(len(functions), 1) + 30
    killed = False
    # Both files are opened here and read back through these descriptors, never by their path:
    # the submission can write in its scratch folder and could put a link there, to a file of
    # this machine, in place of either of them.
    with open(scratch / ".grade" / "output.log", "w+b") as log, \
            open(scratch / ".grade" / "events.jsonl", "w+b") as events_file:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env or None, cwd=cwd, start_new_session=True)
        try:
            proc.wait(timeout=hard)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        res.output = read_output(log)
        events = _read_events(events_file)
    if os.environ.get("GRADE_DEBUG"):
        print(res.name, json.dumps(events)[:3000], file=sys.stderr)
    _interpret(res, events, proc.returncode, killed, hard, opts, cell_labels(path))
    for f in functions:
        if f["function"] not in res.verdicts:
            res.add("missing function", f"{f['function']} is not defined at the end of the notebook "
                                        f"(deleted, renamed, or the cell defining it failed).")
    return res


def read_output(fh) -> str:
    """The beginning and the end of what the notebook printed (LOG_KEEP bytes in all), as plain text."""
    half = LOG_KEEP // 2
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    if size <= LOG_KEEP:
        data = fh.read()
    else:
        head = fh.read(half)
        fh.seek(size - half)
        data = head + f"\n[grader: {size - 2 * half} bytes left out here]\n".encode() + fh.read(half)
    return ANSI.sub("", data.decode("utf-8", "replace"))


def _read_events(fh) -> list[dict]:
    out = []
    fh.seek(0)
    for line in fh.read(4 << 20).decode("utf-8", "replace").splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict):
            out.append(ev)
    return out


def cell_labels(path: Path) -> list[str]:
    """'code cell 3 (`def rmsprop_step(...`)' for each code cell: how a student finds it."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except Exception:  # noqa: BLE001 - labels are a courtesy
        return []
    out = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            src = "".join(map(str, src)) if isinstance(src, list) else str(src)
            first = next((ln.strip() for ln in src.splitlines() if ln.strip()), "")
            first = first if len(first) <= 40 else first[:37] + "..."
            out.append(f"code cell {len(out) + 1}" + (f" (`{first.replace('`', '')}`)" if first else ""))
    return out


def _interpret(res: Result, events, returncode, killed, hard, opts, labels=()):
    def cell(k):
        k = int(k)
        return labels[k] if 0 <= k < len(labels) else f"code cell {k + 1}"

    done = any(e.get("event") == "done" for e in events)
    last_cell = max((e.get("index", -1) for e in events if e.get("event") == "cell"), default=-1)
    for e in events:
        kind = e.get("event")
        if kind == "verdict" and isinstance(e.get("function"), str):
            res.verdicts[e["function"]] = e
            if e.get("mistake") == "timeout":
                res.add("timeout", f"checking {e['function']} took longer than {opts.check_timeout} s.")
            if e.get("mistake") == "memory":
                res.add("memory", f"checking {e['function']} ran out of memory.")
            if e.get("uses_rmslib"):
                res.add("flagged", f"{e['function']} calls {', '.join(e['uses_rmslib'])} instead of "
                                   f"implementing the update itself.")
        elif kind == "answer" and isinstance(e.get("name"), str):
            res.answers[e["name"]] = e
        elif kind == "unbound":
            res.verdicts.pop(e.get("function"), None)
        elif kind == "cell-error":
            etype, msg = str(e.get("type")), str(e.get("message", ""))[:200]
            where = cell(e.get("index", 0))
            if etype == "MemoryError":
                res.add("memory", f"{where} ran out of memory (limit {opts.memory >> 20} MiB).")
            elif etype == "SystemExit":
                res.add("exited", f"{where} called sys.exit(): the grader ran on with the next cell.")
            else:
                res.add("error", f"{where} raised {etype}: {msg}")
        elif kind == "exit-request":
            res.add("exited", f"{cell(e.get('index', 0))} called exit().")
        elif kind == "deadline":
            res.add("timeout", f"the notebook did not finish within {opts.timeout:g} s: "
                               f"{cell(e.get('index', 0))} was stopped, later cells did not run.")
        elif kind == "output-capped":
            res.add("output capped", f"the notebook printed more than {int(e.get('limit', 0))} characters; "
                                     f"the rest of its output was dropped.")
    if killed:
        res.add("timeout", f"the notebook was stopped after {hard:g} s (it ignored the time limit); "
                           f"it had reached {cell(last_cell)}.")
    elif not done:
        if returncode is not None and returncode < 0:
            sig = -returncode
            if sig == signal.SIGXCPU:
                res.add("timeout", f"the notebook used more CPU time than allowed ({cell(last_cell)}).")
            elif sig == signal.SIGKILL:
                res.add("memory", f"the notebook was killed ({cell(last_cell)}), most likely for "
                                  f"using too much memory.")
            else:
                res.add("crashed", f"the Python process crashed with signal {signal.Signals(sig).name} in "
                                   f"{cell(last_cell)}.")
        elif returncode == 3 and not events:
            res.add("grader error", "the grader could not start this notebook: " + res.output[-300:])
        else:
            res.add("exited", f"{cell(last_cell)} ended the Python process (os._exit or similar, "
                              f"exit code {returncode}); later cells did not run.")


# ----------------------------------------------------------------------------- gradebook

def columns(parts):
    return (["submission"] + [p.name for p in parts]
            + ["automatic", "left to grade by hand", ADJUST, "total", "status", "sandbox", "notes", HAND_NOTES])


def _num(text):
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if value == value else None


def _fmt_points(x):
    return f"{x:g}" if x is not None else ""


def build_rows(results, parts, previous: dict, sandbox: str, refs: dict | None = None):
    """Gradebook rows; hand-entered cells of ``previous`` (by submission) are kept."""
    rows, feedback = {}, {}
    hand_parts = [p for p in parts if not p.automatic]
    for res in results:
        old = previous.get(res.name, {})
        row = {"submission": res.name}
        scored = {}
        for part in parts:
            if part.automatic:
                if "invalid notebook" in res.statuses:
                    pts, why = 0.0, []
                else:
                    pts, why = score_part(part, res.verdicts, res.answers, refs)
                scored[part.name] = (pts, why)
                row[part.name] = _fmt_points(pts)
            else:
                row[part.name] = old.get(part.name, "").strip()
        auto = sum(pts for pts, _ in scored.values())
        left = sum(p.points for p in hand_parts if _num(row[p.name]) is None)
        hand = sum(min(max(_num(row[p.name]), 0.0), p.points) for p in hand_parts if _num(row[p.name]) is not None)
        row["automatic"] = _fmt_points(round(auto, 3))
        row["left to grade by hand"] = _fmt_points(left)
        row[ADJUST] = old.get(ADJUST, "").strip()
        row["total"] = _fmt_points(round(auto + hand + (_num(row[ADJUST]) or 0.0), 3))
        statuses = sorted(res.statuses, key=STATUS_ORDER.index)
        row["status"] = "; ".join(statuses) if statuses else "ok"
        row["sandbox"] = sandbox
        row["notes"] = " | ".join(res.problems)[:500]
        row[HAND_NOTES] = old.get(HAND_NOTES, "")
        rows[res.name] = row
        feedback[res.name] = (row, scored, res)
    for name, old in previous.items():     # a grade is never lost: keep rows whose file has gone
        if name not in rows:
            row = {c: old.get(c, "") for c in columns(parts)}
            row["status"] = "file no longer in SUBMISSIONS (row kept)"
            rows[name] = row
    return [rows[k] for k in sorted(rows)], feedback


def read_previous(path: Path) -> dict:
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:   # -sig: a spreadsheet may add a BOM
        return {r["submission"]: r for r in csv.DictReader(fh) if r.get("submission")}


def write_atomic(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def csv_text(rows, parts) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns(parts), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def feedback_name(name: str, taken: set) -> str:
    stem = re.sub(r"[^\w.-]+", "_", Path(name).stem) or "submission"
    out = stem
    if out in taken:
        out = re.sub(r"[^\w.-]+", "_", name)
    taken.add(out)
    return out


def feedback_md(row, scored, res, parts, sandbox) -> str:
    lines = [f"# Feedback on {res.name}", ""]
    if sandbox != "bwrap":
        lines += [f"**{SANDBOXES[sandbox]}**", ""]
    lines += [f"Status: **{row['status']}**.", "", "| part | points | graded |", "|---|---|---|"]
    for part in parts:
        if part.automatic:
            lines.append(f"| {part.name} | {row[part.name]} / {part.points:g} | automatically |")
        else:
            got = row[part.name] or "to be graded"
            lines.append(f"| {part.name} | {got} / {part.points:g} | by the instructor |")
    adjust = f" Adjusted by the instructor: {row[ADJUST]}." if _num(row.get(ADJUST, "")) else ""
    lines += ["", f"Automatic points: {row['automatic']}. Left to grade by hand: {row['left to grade by hand']} "
                  f"points.{adjust} Total so far: {row['total']}.", ""]
    for part in parts:
        lines.append(f"## {part.name}")
        lines.append("")
        if not part.automatic:
            lines.append(f"Graded by the instructor ({part.points:g} points), from your code, figures and "
                         f"answers in the notebook." + (f" Points: {row[part.name]}." if row[part.name] else ""))
            lines.append("")
            continue
        pts, why = scored[part.name]
        lines.append(f"{pts:g} of {part.points:g} points.")
        lines.append("")
        if part.answers:
            lines.append(f"Read from your variables {', '.join(f'`{a.name}`' for a in part.answers)} at the end of "
                         f"the notebook and compared with the values the grader computes with rmslib from the "
                         f"settings of part 3 (tolerance: {RTOL:g} relative).")
            lines.append("")
        for c in part.checks:
            v = res.verdicts.get(c.function)
            if "invalid notebook" in res.statuses:
                msg = "not checked: the file could not be read as a notebook."
            elif v is None:
                msg = f"{c.function} is not defined at the end of the notebook (deleted, renamed, or its cell failed)."
            else:
                msg = str(v.get("message", "")).strip()
                if v.get("helper") and v.get("calls_helper"):
                    msg += (f" (Checked with a correct {v['helper']} in place of yours, so that a mistake there "
                            f"does not cost points twice.)")
            lines.append(f"- `rmslib.check.{c.check}`: {msg}")
        for w in why:
            lines.append(f"- {w}")
        lines.append("")
    if res.problems:
        lines += ["## Running your notebook", ""] + [f"- {p}" for p in res.problems] + [""]
    if row.get(HAND_NOTES):
        lines += ["## From the instructor", "", row[HAND_NOTES], ""]
    return "\n".join(lines)


def gradescope_json(row, scored, res, parts) -> str:
    """Gradescope's autograder results.json: one test per rubric part."""
    tests = []
    for part in parts:
        if part.automatic:
            pts, why = scored[part.name]
            msgs = [str(res.verdicts.get(c.function, {}).get("message", f"{c.function} is not defined."))
                    for c in part.checks]
            tests.append({"name": part.name, "score": pts, "max_score": part.points,
                          "output": "\n".join(msgs + why), "visibility": "visible"})
        else:
            value = _num(row[part.name])
            tests.append({"name": part.name, "max_score": part.points, "visibility": "visible",
                          **({"score": value} if value is not None else {}),
                          "output": "Graded by the instructor."})
    return json.dumps({"score": _num(row["total"]) or 0.0, "output": f"Status: {row['status']}",
                       "visibility": "visible", "tests": tests}, indent=1, sort_keys=True) + "\n"


# ----------------------------------------------------------------------------- main

_MPL_CACHE: list[Path] = []


def warm_matplotlib_cache() -> Path:
    """Build matplotlib's font list once per process, so each sandbox copies it instead of scanning fonts."""
    if not _MPL_CACHE:
        d = Path(tempfile.mkdtemp(prefix="grade-mpl-"))
        env = {**os.environ, "MPLCONFIGDIR": str(d), "MPLBACKEND": "Agg"}
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True)
        atexit.register(shutil.rmtree, d, ignore_errors=True)
        _MPL_CACHE.append(d)
    return _MPL_CACHE[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--assignment", type=Path, default=ROOT / "chapters" / "assignment_rmsprop.ipynb")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per notebook (default 120)")
    ap.add_argument("--check-timeout", type=float, default=10.0, help="seconds per graded function's check")
    ap.add_argument("--memory", type=_size, default=2 << 30, help="address-space limit (default 2GiB)")
    ap.add_argument("--output-cap", type=_size, default=1 << 20, help="characters of output kept (default 1MiB)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks graded at once (default: cores)")
    ap.add_argument("--sandbox", choices=["auto", "bwrap", "unshare", "none"], default="auto")
    ap.add_argument("--kill-after", type=float, default=None,
                    help="seconds after which a notebook's process is killed whatever it does "
                         "(default: timeout + check timeouts + 30)")
    opts = ap.parse_args(argv)
    start = time.monotonic()

    from rmslib import check
    parts, settings = read_rubric(opts.assignment, set(check.CHECKS), with_settings=True)
    refs = references(settings)
    if not opts.submissions.is_dir():
        sys.exit(f"grade: SUBMISSIONS={opts.submissions} is not a folder")
    files = sorted(p for p in opts.submissions.iterdir()
                   if (p.is_file() or p.is_symlink()) and not p.name.startswith("."))
    sandbox = pick_sandbox(opts.sandbox)
    banner = f"sandbox: {SANDBOXES[sandbox]}"
    print(("!" * 78 + "\n" + banner + "\n" + "!" * 78) if sandbox != "bwrap" else banner, flush=True)
    print(f"rubric ({opts.assignment.name}): " + "; ".join(
        f"{p.name} [{p.points:g}, {'auto: ' + ', '.join([c.check for c in p.checks] + [a.name for a in p.answers]) if p.automatic else 'by hand'}]"
        for p in parts), flush=True)
    print(f"grading {len(files)} submissions, {opts.jobs} at a time, limits {opts.timeout:g} s and "
          f"{opts.memory >> 20} MiB per notebook", flush=True)

    mpl_cache = warm_matplotlib_cache()
    results = []
    with cf.ThreadPoolExecutor(max_workers=max(opts.jobs, 1)) as pool:
        futures = {pool.submit(grade_one, f, parts, opts, sandbox, mpl_cache): f for f in files}
        for fut in cf.as_completed(futures):
            f = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001
                res = Result(f.name)
                res.add("grader error", f"{type(exc).__name__}: {exc}")
            results.append(res)
            print(f"  {res.name}: {', '.join(res.statuses) or 'ok'}", flush=True)

    gradebook = opts.out / "gradebook.csv"
    rows, feedback = build_rows(sorted(results, key=lambda r: r.name), parts, read_previous(gradebook), sandbox, refs)
    taken = set()
    for name in sorted(feedback):
        row, scored, res = feedback[name]
        stem = feedback_name(name, taken)
        write_atomic(opts.out / "feedback" / f"{stem}.md", feedback_md(row, scored, res, parts, sandbox))
        write_atomic(opts.out / "gradescope" / f"{stem}.json", gradescope_json(row, scored, res, parts))
        write_atomic(opts.out / "output" / f"{stem}.txt", res.output)
    write_atomic(gradebook, csv_text(rows, parts))
    elapsed = time.monotonic() - start
    ok = sum(1 for r in rows if r["status"] == "ok")
    print(f"wrote {gradebook} ({len(rows)} rows, {ok} ok) and {len(feedback)} feedback files in "
          f"{opts.out / 'feedback'}; {elapsed:.1f} s")
    if sandbox != "bwrap":
        print("!" * 78 + "\n" + banner + "\n" + "!" * 78)
    return 0


if __name__ == "__main__":
    sys.exit(main())
