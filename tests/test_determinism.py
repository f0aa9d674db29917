"""Determinism: executing a chapter twice gives identical text outputs.

Two fresh executions (nbclient, this environment's kernel) of the same
notebook, with DIFFERENT hash seeds (PYTHONHASHSEED) so that anything that
depends on set or dict-of-strings iteration order shows up, must give exactly
the same text in every cell: streams, text/plain, text/html, text/latex,
text/markdown and error messages, compared without any sanitizing (unlike
nbval, which compares a run with the stored outputs after the sanitize file).
Images are not compared (PNG bytes carry no meaning a reader sees as text).

Cost: each chapter runs twice, so by default a representative subset runs:
the tour, and the chapters with seeded noise and mini-batches, the widgets,
and the student exercises. ``RMSBOOK_DETERMINISM=all`` checks every chapter.
"""

import copy
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ALL = sorted((ROOT / "chapters").glob("*.ipynb"))
SUBSET = ["00_tour.ipynb", "05_oscillation.ipynb", "06_practice.ipynb", "assignment_rmsprop.ipynb"]
CHOSEN = ALL if os.environ.get("RMSBOOK_DETERMINISM") == "all" else [p for p in ALL if p.name in SUBSET]
TEXT = ("text/plain", "text/html", "text/latex", "text/markdown")


def execute(nb, path, hash_seed):
    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, "PYTHONHASHSEED": str(hash_seed)})
    return nb


def texts(nb):
    """Every code cell's text outputs, as a list of (cell index, kind, text)."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        prev_stream = False
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream":
                # A print may arrive as one message or several (timing): join consecutive pieces of
                # the same stream, as a reader sees them (and as the book does with nb_merge_streams).
                if found and found[-1][:2] == (i, out["name"]) and prev_stream:
                    found[-1] = (i, out["name"], found[-1][2] + out["text"])
                else:
                    found.append((i, out["name"], out["text"]))
                prev_stream = True
                continue
            prev_stream = False
            if kind == "error":
                found.append((i, "error", f"{out['ename']}: {out['evalue']}"))
            else:
                for mime in TEXT:
                    if mime in out.get("data", {}):
                        data = out["data"][mime]
                        found.append((i, mime, "".join(data) if isinstance(data, list) else data))
    return found


def test_subset_is_not_empty():
    assert CHOSEN, "no chapter notebook selected for the determinism check"


@pytest.mark.slow
@pytest.mark.parametrize("path", CHOSEN, ids=lambda p: p.name)
def test_two_executions_give_identical_text(path):
    nb = nbformat.read(path, as_version=4)  # read once: both runs execute the same cells
    first, second = texts(execute(nb, path, 1)), texts(execute(nb, path, 2))
    assert first, f"{path.name} produced no text output at all"
    if len(first) != len(second):
        extra = [o for o in first if o not in second] + [o for o in second if o not in first]
        pytest.fail(f"{path.name}: {len(first)} text outputs, then {len(second)}; outputs in only one run:\n"
                    + "\n".join(f"cell {i} ({kind}): {text[:300]!r}" for i, kind, text in extra))
    for a, b in zip(first, second):
        assert a == b, (f"{path.name}, cell {a[0]} ({a[1]}): the output changed between two executions:\n"
                        f"first:  {a[2][:500]!r}\nsecond: {b[2][:500]!r}")
