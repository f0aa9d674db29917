"""How much of every chapter nbval really validates, so coverage cannot erode silently.

Counts code cells per notebook, the ones exempted by an nbval marker, and
checks that each exemption carries a reason and that every cell was run
(nbval compares nothing for a cell stored without outputs).
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
MARKERS = re.compile(r"#\s*NBVAL_(IGNORE_OUTPUT|SKIP|RAISES_EXCEPTION)")
TAGS = {"nbval-ignore-output", "nbval-skip", "raises-exception"}
# Validated cells may only grow: raise this floor when chapters add cells.
MIN_VALIDATED = json.loads((ROOT / "tests" / "nbval_floor.json").read_text())


def census(path):
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    ignored = [c for c in cells if MARKERS.search("".join(c["source"]))
               or TAGS & set(c.get("metadata", {}).get("tags", []))]
    return cells, ignored


def test_report_validated_cells(capsys):
    total = validated = 0
    lines = []
    for path in NOTEBOOKS:
        cells, ignored = census(path)
        total += len(cells)
        validated += len(cells) - len(ignored)
        lines.append(f"{path.name:32s} {len(cells) - len(ignored):4d} validated / {len(cells):4d} code cells")
    with capsys.disabled():
        print("\nnbval coverage\n" + "\n".join(lines) + f"\n{'total':32s} {validated:4d} validated / {total:4d}")
    assert validated >= MIN_VALIDATED["total"], (
        f"only {validated} code cells are validated by nbval, fewer than the floor {MIN_VALIDATED['total']}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_was_run_and_exemptions_have_reasons(path):
    cells, ignored = census(path)
    unrun = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert not unrun, f"{path.name}: code cells {unrun} are stored unexecuted; run `make notebooks`"
    for cell in ignored:
        src = "".join(cell["source"])
        assert re.search(r"#.*\b(because|why|reason)\b", src, re.I), (
            f"{path.name}: an nbval exemption without a reason comment:\n{src[:200]}")
    assert len(ignored) <= max(1, len(cells) // 10), f"{path.name}: too many nbval exemptions"
