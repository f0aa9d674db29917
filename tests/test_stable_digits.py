"""Lint: stored outputs carry only digits that every machine agrees on (AUTHORING.md).

Every float printed or glued by a chapter (streams, text/plain, text/html,
text/markdown, text/latex and myst-nb glue records) may show at most
``rmslib.digits.MAX_DIGITS`` significant digits. Beyond that the last bits of
exp/log/power and of BLAS kernels, which differ between CPUs, show through
and nbval fails on another machine. A cell may allow more digits only with a
comment stating the number and the reason, e.g.
``# stable-digits: 12 because these are exact binary fractions``.
"""

import json
import re
from pathlib import Path

import pytest

from rmslib.digits import MAX_DIGITS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
FLOAT = re.compile(r"(?<![\w.])[-+]?(\d+\.\d*|\.\d+|\d+(?=[eE][-+]?\d))([eE][-+]?\d+)?(?![\w.])")
BASE64 = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
EXEMPT = re.compile(r"#\s*stable-digits:\s*(\d+)\b(.*)")
TEXT_KINDS = ("text/plain", "text/html", "text/markdown", "text/latex")


def significant(mantissa):
    """Significant digits written in a decimal literal's mantissa ('0.0294' -> 3, '1.000' -> 4)."""
    return len(mantissa.replace(".", "").lstrip("0")) or 1


def long_floats(text, limit):
    """The float literals in ``text`` that show more than ``limit`` significant digits."""
    text = BASE64.sub("", text)
    return [m.group(0) for m in FLOAT.finditer(text) if significant(m.group(1)) > limit]


def output_texts(cell):
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            yield out["name"], "".join(out["text"])
        elif out["output_type"] in ("display_data", "execute_result"):
            for mime, data in out.get("data", {}).items():
                if mime in TEXT_KINDS or mime.endswith("/text/plain"):  # glue: application/papermill.record/...
                    yield mime, "".join(data) if isinstance(data, list) else str(data)


def cell_limit(cell):
    src = "".join(cell["source"])
    m = EXEMPT.search(src)
    if not m:
        return MAX_DIGITS, None
    return int(m.group(1)), m.group(2)


def test_the_lint_sees_long_floats():
    assert long_floats("0.029402368926017552 and 1.01292 and 2e-05", 8) == ["0.029402368926017552"]
    assert long_floats("[1.23456789e-05 3.0]", 8) == ["1.23456789e-05"]
    assert long_floats("np.float64(0.5000066062679596)", 8) == ["0.5000066062679596"]
    assert long_floats("step 123456789012, version 0.1.0, x1.5", 8) == []
    assert long_floats('<img src="data:image/png;base64,AAA1.2345678901BBB">', 8) == []
    assert significant("0.00012345678") == 8 and significant("100.0") == 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_carry_only_stable_digits(path):
    nb = json.loads(path.read_text())
    problems = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        limit, reason = cell_limit(cell)
        if reason is not None:
            assert re.search(r"\bbecause\b\s*\S", reason), (
                f"{path.name} cell {i}: a stable-digits exemption needs a reason ('because ...')")
        for kind, text in output_texts(cell):
            bad = long_floats(text, limit)
            if bad:
                problems.append(f"cell {i} ({kind}): {', '.join(bad[:4])}{' ...' if len(bad) > 4 else ''}")
    assert not problems, (
        f"{path.name} stores floats with more than {MAX_DIGITS} significant digits; round them with "
        f"rmslib.digits.sig (or show only the magnitude of an ill-conditioned value):\n  " + "\n  ".join(problems))
