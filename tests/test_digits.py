"""rmslib.digits: the numbers a chapter prints and glues carry only stable digits."""

import re

import numpy as np
import pytest

from rmslib import digits
from rmslib.digits import MAX_DIGITS, magnitude, print_stable, sig


def test_sig_rounds_to_significant_digits():
    assert sig(0.029402368926017552) == 0.029402369
    assert sig(0.029402368926017608) == 0.029402369  # the two machines' values of issue 11 now agree
    assert sig(123456789.0, 3) == 1.23e8 and sig(-0.000123456, 2) == -0.00012
    assert sig(0.0) == 0.0 and sig(np.inf) == np.inf and np.isnan(sig(np.nan))
    out = sig(np.array([[1 / 3, 2 / 3]]), 4)
    assert out.shape == (1, 2) and out.tolist() == [[0.3333, 0.6667]]
    assert isinstance(sig(np.float64(1.5)), float)
    assert len(repr(sig(np.pi)).replace(".", "")) == MAX_DIGITS


@pytest.mark.parametrize("bad,exc,msg", [
    (0, ValueError, r"^digits must be in \[1, 8\], got 0"),
    (9, ValueError, r"^digits must be in \[1, 8\], got 9"),
    (2.5, TypeError, r"^digits must be an integer in \[1, 8\]"),
    (True, TypeError, r"^digits must be an integer"),
])
def test_sig_rejects_bad_digits(bad, exc, msg):
    with pytest.raises(exc, match=msg):
        sig(1.0, bad)
    with pytest.raises(exc, match=msg):
        print_stable(bad)


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1, "a"]])
def test_sig_and_magnitude_reject_non_numbers(bad):
    with pytest.raises(TypeError, match="^x must be a real number"):
        sig(bad)
    with pytest.raises(TypeError, match="^x must be a real number"):
        magnitude(bad)


def test_magnitude_keeps_only_the_power_of_ten():
    assert magnitude(3.47e-19) == 1e-19 and magnitude(-0.5) == 0.1 and magnitude(1.0) == 1.0
    assert magnitude(9.99e5) == 1e5 and magnitude(0.0) == 0.0
    assert magnitude(np.array([2e-3, 7e4])).tolist() == [1e-3, 1e4]
    with pytest.raises(ValueError, match="^x must be finite"):
        magnitude(np.inf)


def test_print_stable_bounds_numpy_printing():
    before = np.get_printoptions()
    try:
        print_stable()
        text = str(np.array([1 / 3, 2.0, 1e-9 / 3, 115.133644123, np.nan]))
        assert text == "[0.33333333 2. 3.3333333e-10 115.13364 nan]"
        longest = max(len(m.replace(".", "").lstrip("0")) for m in re.findall(r"\d+\.\d*", text))
        assert longest <= MAX_DIGITS
        print_stable(3)
        assert str(np.array([np.pi, 1.0])) == "[3.14 1.]"
    finally:
        np.set_printoptions(**before)
    assert digits.MAX_DIGITS == 8
