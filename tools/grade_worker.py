"""Run ONE submitted notebook and check its graded functions (started by tools/grade.py).

This file runs inside the sandbox, in a process of its own, with the submission
as ``submission.ipynb`` in its scratch folder (the current directory). It reads
``.grade/spec.json`` (written by the grader) and appends one JSON object per line
to ``.grade/events.jsonl`` as it goes, so that whatever the notebook does later
(loop forever, exit the interpreter, exhaust memory) the grader keeps what was
already found:

    {"event": "cell", "index": k}                 about to run code cell k
    {"event": "cell-error", "index": k, "type": ..., "message": ...}
    {"event": "exit-request", "index": k}         exit() / quit() in a cell
    {"event": "verdict", "function": f, ...}      a graded function was checked
    {"event": "unbound", "function": f}           the name no longer holds a function
    {"event": "answer", "name": n, "state": ...}  a named answer was (re)assigned (read_answer)
    {"event": "deadline", "index": k}             the time limit stopped cell k
    {"event": "output-capped", "limit": n}
    {"event": "done"}

Cells run in an IPython shell (so magics work), one after the other; an error in
a cell is recorded and the next cell still runs, as graders of "Restart and run
all" would read on. A graded function is checked with ``rmslib.check`` as soon as
a cell has (re)defined it, with its own time limit, and again at the end if it
changed. The named answers of the numeric parts are read (never called, never
printed through their own methods) after every cell that changed them. While a
student's function runs, calls into rmslib's optimizers are
recorded: the graded code must implement the update, not call it.

Standard library, IPython and rmslib only: no access to the grader, the
instructor's notebooks or the network is needed (nor given by the sandbox).
"""

import functools
import json
import os
import resource
import signal
import sys
import time
import traceback


START = time.monotonic()


class Deadline(BaseException):
    """Raised by the alarm: a cell or a check ran past its time."""


class Events:
    def __init__(self, path):
        self.fh = open(path, "a", encoding="utf-8", buffering=1)

    def __call__(self, event, **data):
        try:
            data["t"] = round(time.monotonic() - START, 3)
            self.fh.write(json.dumps({"event": event, **data}, default=str) + "\n")
            self.fh.flush()
        except Exception:  # a full disk or a closed file must not stop the grading
            pass


class CappedStream:
    """A text stream that forwards to ``real`` up to ``limit`` characters, then drops the rest."""

    def __init__(self, real, shared, events):
        self.real, self.shared, self.events = real, shared, events
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text):
        text = str(text)
        room = self.shared["limit"] - self.shared["used"]
        if room > 0:
            piece = text[:room]
            self.shared["used"] += len(piece)
            try:
                self.real.write(piece)
            except Exception:
                pass
        if len(text) > max(room, 0) and not self.shared["capped"]:
            self.shared["capped"] = True
            self.events("output-capped", limit=self.shared["limit"])
            try:
                self.real.write(f"\n[grader: output cut after {self.shared['limit']} characters]\n")
            except Exception:
                pass
        return len(text)

    def flush(self):
        try:
            self.real.flush()
        except Exception:
            pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        return self.real.fileno()


class Timer:
    """Nested wall-clock limits with SIGALRM: ``with timer.limit(s): ...`` raises Deadline."""

    def __init__(self):
        self.ends = []
        signal.signal(signal.SIGALRM, self._ring)

    def _ring(self, *_):
        # ring again every second: a student's bare `except:` may swallow one Deadline
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise Deadline()

    def _arm(self):
        if self.ends:
            signal.setitimer(signal.ITIMER_REAL, max(min(self.ends) - time.monotonic(), 0.001))
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def limit(self, seconds):
        timer = self

        class _Limit:
            def __enter__(self):
                timer.ends.append(time.monotonic() + seconds)
                timer._arm()

            def __exit__(self, *exc):
                signal.setitimer(signal.ITIMER_REAL, 0)
                timer.ends.pop()
                timer._arm()
                return False

        return _Limit()


class Tracer:
    """Records calls into rmslib's optimizers made while student code is running."""

    def __init__(self):
        self.depth = 0
        self.seen = []

    def install(self, rmslib):
        from rmslib import optimizers, running
        targets = []
        for name in dir(optimizers):
            obj = getattr(optimizers, name)
            if isinstance(obj, type) and issubclass(obj, optimizers.Optimizer):
                for meth in ("__init__", "init", "update"):
                    if meth in vars(obj):
                        targets.append((obj, meth, "." + meth if meth != "__init__" else ""))
        for mod in (running, rmslib):
            for fname in ("run", "grid"):
                if hasattr(mod, fname):
                    targets.append((mod, fname, f"rmslib.{fname}"))
        for owner, attr, label in targets:
            setattr(owner, attr, self._wrap(getattr(owner, attr), label))

    def _wrap(self, fn, label):
        tracer = self

        @functools.wraps(fn)
        def traced(*args, **kwargs):
            if tracer.depth > 0:
                # a method's label names the optimizer it was called on: rmslib.RMSProp.update
                full = f"rmslib.{type(args[0]).__name__}{label}" if not label.startswith("rmslib") else label
                if full not in tracer.seen:
                    tracer.seen.append(full)
            return fn(*args, **kwargs)

        return traced

    def student(self, fn):
        """``fn`` wrapped so that calls it makes into rmslib are recorded."""
        tracer = self

        @functools.wraps(fn)
        def as_student(*args, **kwargs):
            tracer.depth += 1
            try:
                return fn(*args, **kwargs)
            finally:
                tracer.depth -= 1

        return as_student

    def trusted(self, fn):
        """``fn`` (grader code) wrapped so that its own rmslib calls are not counted."""
        tracer = self

        @functools.wraps(fn)
        def as_grader(*args, **kwargs):
            saved, tracer.depth = tracer.depth, 0
            try:
                return fn(*args, **kwargs)
            finally:
                tracer.depth = saved

        return as_grader


def limit_resources(spec):
    mem = int(spec["memory"])
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(spec["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    size = int(spec["file_size"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a too-large write fails instead of killing us


def helper_functions(rmslib, tracer):
    """Correct versions of functions a graded function may call (by name), from rmslib itself."""

    import numpy as np
    from rmslib.optimizers import RMSProp, State

    def rmsprop_step(theta, g, v, lr, beta, eps):
        new, state = RMSProp(lr=lr, beta=beta, eps=eps).update(theta, g, State(t=0, v=np.asarray(v, dtype=float)))
        return new, state.v

    return {"rmsprop_step": tracer.trusted(rmsprop_step)}


MAX_ELEMENTS = 1000      # an answer array larger than this is described, not copied
NUMERIC_TYPES = (int, float)


def _plain_numbers(arr, np):
    """A float copy of a numeric array (bool, complex, object, str arrays are refused)."""
    if arr.dtype.kind not in "iuf":
        return None
    return np.array(arr, dtype=float, copy=True)


def read_answer(value, np):
    """What the grader needs of one answer, as plain JSON data, without trusting the object.

    Only exact built-in and NumPy numeric types, lists and tuples of them, and
    NumPy arrays are read; for anything else only the type's name is reported.
    """
    kind = type(value)
    out = {"type": kind.__name__ if isinstance(getattr(kind, "__name__", None), str) else "object"}
    if value is None or value is Ellipsis:
        return {**out, "state": "unanswered"}
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return {**out, "state": "wrong-type", "why": "a True/False value"}
    if kind in NUMERIC_TYPES or isinstance(value, (np.integer, np.floating)):
        integer = isinstance(value, (int, np.integer))
        try:
            number = float(int(value)) if integer else float(np.float64(value))
        except OverflowError:
            number = float("inf")
        return {**out, "state": "value", "value": number, "shape": [],
                "integer": integer}
    if isinstance(value, (np.ndarray, list, tuple)):
        if isinstance(value, np.ndarray):
            shape, size = list(value.shape), int(value.size)
        else:
            if len(value) > MAX_ELEMENTS:
                return {**out, "state": "value", "shape": [len(value)], "value": None, "too_large": True}
            if not all(type(v) in NUMERIC_TYPES or isinstance(v, (np.integer, np.floating, list, tuple, np.ndarray))
                       for v in value):
                return {**out, "state": "wrong-type", "why": f"a {out['type']} with items that are not numbers"}
            shape, size = None, None
        if size is not None and size > MAX_ELEMENTS:
            return {**out, "state": "value", "shape": shape, "value": None, "too_large": True}
        try:
            arr = np.array(np.ndarray.view(value, np.ndarray) if isinstance(value, np.ndarray) else value)
        except (ValueError, TypeError):
            return {**out, "state": "wrong-type", "why": f"a {out['type']} that is not a rectangular table of numbers"}
        if arr.size > MAX_ELEMENTS:
            return {**out, "state": "value", "shape": list(arr.shape), "value": None, "too_large": True}
        nums = _plain_numbers(arr, np)
        if nums is None:
            return {**out, "state": "wrong-type", "why": f"an array of {arr.dtype.name} values, not numbers"}
        return {**out, "state": "value", "shape": list(nums.shape), "value": nums.ravel().tolist(),
                "integer": arr.dtype.kind in "iu"}
    if isinstance(value, str):
        return {**out, "state": "wrong-type", "why": "a string (text), not a number"}
    if callable(value):
        return {**out, "state": "wrong-type", "why": "a function, not its result"}
    return {**out, "state": "wrong-type", "why": f"an object of type {out['type']}, not a number"}


def main(spec_path):
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    events = Events(spec["events"])
    limit_resources(spec)

    shared = {"limit": int(spec["output_cap"]), "used": 0, "capped": False}
    sys.stdout = CappedStream(sys.__stdout__, shared, events)
    sys.stderr = CappedStream(sys.__stderr__, shared, events)

    if spec.get("rmslib_parent"):
        sys.path.insert(0, spec["rmslib_parent"])
    import rmslib
    from rmslib import check
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    tracer = Tracer()
    tracer.install(rmslib)
    helpers = helper_functions(rmslib, tracer)
    timer = Timer()

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"     # plain tracebacks in the output file
    shell = InteractiveShell.instance(config=config)
    ns = shell.user_ns

    with open(spec["notebook"], encoding="utf-8") as fh:
        nb = json.load(fh)
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]

    graded = spec["functions"]          # [{"function", "check", "kwargs", "helper"}]
    checked = {}                         # function name -> id of the object last checked
    answers = {}                         # answer name -> the payload last reported
    import numpy as np

    def read_answers():
        for name in spec.get("answers", []):
            if name not in ns:
                data = {"state": "missing"}
            else:
                start, own = time.monotonic(), 2.0
                try:
                    with timer.limit(own):
                        data = read_answer(ns[name], np)
                except Deadline:
                    if time.monotonic() - start < own - 0.1:
                        raise                     # the notebook's time ran out, not this reading's
                    data = {"state": "unreadable", "why": "reading it took too long"}
                except BaseException as exc:  # a hostile object: report, never crash
                    data = {"state": "unreadable", "why": f"{type(exc).__name__} while reading it"}
            key = json.dumps(data, sort_keys=True)      # NaN-safe comparison with the last report
            if answers.get(name) != key:
                answers[name] = key
                events("answer", name=name, **data)

    def run_check(item, fn):
        name, helper = item["function"], item.get("helper")
        tracer.seen = []
        restore, calls = {}, [0]
        if helper and helper in helpers:
            # the helper the function should call is replaced by a correct one (so a mistake
            # in it does not count twice) that also counts the calls
            restore[helper] = ns.get(helper, KeyError)
            correct = helpers[helper]

            def counted(*args, **kwargs):
                calls[0] += 1
                return correct(*args, **kwargs)

            ns[helper] = counted
        data = {"function": name, "check": item["check"]}
        own, start = float(spec["check_seconds"]), time.monotonic()
        try:
            with timer.limit(own):
                verdict = check.CHECKS[item["check"]](tracer.student(fn), quiet=True, name=name,
                                                      **item.get("kwargs", {}))
            data.update(ok=bool(verdict.ok), mistake=verdict.mistake, message=verdict.message)
        except Deadline:
            if time.monotonic() - start < own - 0.1:
                # the notebook's time ran out, not this check's: check it again after the cells
                checked.pop(name, None)
                raise
            data.update(ok=False, mistake="timeout",
                        message=f"{name}: did not finish within {spec['check_seconds']} s on the check's "
                                f"cases (an endless loop?).")
        except MemoryError:
            data.update(ok=False, mistake="memory", message=f"{name}: ran out of memory on the check's cases.")
        except BaseException as exc:  # the check itself never raises; a hostile function might
            data.update(ok=False, mistake="exception", message=f"{name}: {type(exc).__name__} during the check.")
        finally:
            for key, old in restore.items():
                if old is KeyError:
                    ns.pop(key, None)
                else:
                    ns[key] = old
        data["uses_rmslib"] = list(tracer.seen)
        if helper:
            data["helper"] = helper
            data["calls_helper"] = calls[0] > 0
        events("verdict", **data)

    def check_changed():
        for item in graded:
            name = item["function"]
            fn = ns.get(name)
            if fn is None or not callable(fn):
                if name in checked:
                    checked.pop(name)
                    events("unbound", function=name)
                continue
            if checked.get(name) != id(fn):
                checked[name] = id(fn)
                run_check(item, fn)

    stopped, k = False, -1
    try:
        with timer.limit(float(spec["notebook_seconds"])):
            for k, cell in enumerate(cells):
                src = cell.get("source", "")
                src = "".join(map(str, src)) if isinstance(src, list) else str(src)
                events("cell", index=k)
                result = shell.run_cell(src, store_history=False)
                err = result.error_before_exec or result.error_in_exec
                if isinstance(err, Deadline):
                    raise err
                if err is not None:
                    text = str(err).splitlines()[0][:300] if str(err) else ""
                    events("cell-error", index=k, type=type(err).__name__, message=text)
                if getattr(shell, "exit_now", False):
                    shell.exit_now = False
                    events("exit-request", index=k)
                check_changed()
                read_answers()
    except Deadline:
        signal.setitimer(signal.ITIMER_REAL, 0)
        events("deadline", index=k)
        stopped = True
    signal.setitimer(signal.ITIMER_REAL, 0)
    check_changed()
    read_answers()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    events("done", stopped=stopped, cpu=round(usage.ru_utime + usage.ru_stime, 2))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except BaseException:
        try:
            sys.__stderr__.write(traceback.format_exc()[-4000:])
        finally:
            os._exit(3)
    sys.__stdout__.flush()
    os._exit(0)   # skip interpreter teardown: atexit handlers a notebook registered do not run
