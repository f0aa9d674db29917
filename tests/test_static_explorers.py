"""The static site's explorers (tools/site_explorers.py, explorers.js) compute what rmslib computes.

A page's explorer is driven through its real controls in Chromium (keyboard on
the sliders, clicks on the check boxes and radio buttons, typing in ε, the
drop-down menus), to 20 random settings per explorer (seeded, drawn before
any result is seen, none dropped); after each, the page's numbers (every path
point, loss, gradient and v_t of every run drawn, the series g_t, sqrt(v_t),
step size; chapter 4's v_t and effective rates) are compared with the same
explorer of rmslib.widgets set to the values the page reports, and the values
the page reports must be those its controls show.

What is compared, exactly:

- Tolerance 1e-12 relative (absolute for values below 1e-300) on every number,
  and the visible readout must read exactly as rmslib.widgets' summary (the
  head line and each optimizer's final loss and point). Which optimizers were
  drawn and which were not (divergence, invalid ε) must agree as well.
- The page does the same IEEE operations in the same order as rmslib (+ - * /
  and sqrt are correctly rounded, so those agree bit for bit). Two functions
  are not correctly rounded anywhere: exp (the sigmoid neuron) and beta**t
  (Adam's bias correction). NumPy's (SVML on AVX-512 machines, glibc's libm
  elsewhere) and V8's differ in the last bit on about 10% of arguments (and
  NumPy's own differ between machines), and RMSProp bouncing near a minimum
  with constant eta is chaotic, so one ulp can grow to any size over 500
  steps. The page therefore uses fixed, portable versions (fdlibm's exp; an
  integer power by squaring in double-double arithmetic), and the reference
  run here replaces ``np.exp`` and ``np.power`` by the same two functions
  (written below in Python; the rest of the computation is rmslib's own code,
  unchanged). With that, every path point, gradient, v_t and series value is
  also checked bit for bit. One exception: rmslib's Rosenbrock *loss* squares
  NumPy scalars with ``**``, which calls C's pow() (not correctly rounded: one
  square in about a thousand is one ulp off ``u*u``, the page's product); the
  loss is recorded, never fed back, so those values are checked to 1e-12 and
  to at most one ulp, not bit for bit (``LOSS_ULP``). Separately, ``test_portable_functions_*`` check that the page's
  two functions give bit-for-bit the values of the Python ones, and stay
  within one ulp of NumPy's.
- Settings: problem, optimizers (a random non-empty subset), eta over the whole
  slider (divergent settings included), beta, steps (1-500), start point,
  series focus and coordinate; ε is typed: 1e-8 mostly, sometimes 0, a
  larger value or a negative one (which must be refused with a message that
  names ε, nothing drawn for the optimizers that use it).
"""

from __future__ import annotations

import math
import os
import re
import struct
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import site_measure  # noqa: E402
from conftest import IN_CI, _unavailable  # one definition for every site test

SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
SETTINGS = 20
# Problems whose loss rmslib computes with ``np.float64 ** 2`` (Rosenbrock: NumPy scalars, so C's pow(),
# not correctly rounded, about 1 in 1000 squares one ulp off u*u); the page multiplies. The loss is only
# recorded, never fed back into the run, so the difference stays at one ulp: compared to 1e-12 and <= 1 ulp.
LOSS_ULP = {"Rosenbrock"}
RTOL = 1e-12
TIMEOUT_MS = 60_000


# ----------------------------------------------------------------- the page's portable exp and power, in Python

def _high(x):
    return struct.unpack(">II", struct.pack(">d", x))[0]


def _pow2(k):
    return struct.unpack(">d", struct.pack(">II", (0x3ff00000 + (k << 20)) & 0xffffffff, 0))[0]


_LN2_HI = (6.93147180369123816490e-01, -6.93147180369123816490e-01)
_LN2_LO = (1.90821492927058770002e-10, -1.90821492927058770002e-10)
_P = (1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
      -1.65339022054652515390e-06, 4.13813679705723846039e-08)


def fd_exp(x):
    """fdlibm's exp, operation for operation as explorers.js (Python floats are IEEE doubles)."""
    x = float(x)
    hx = _high(x)
    xsb = hx >> 31
    hx &= 0x7fffffff
    hi = lo = 0.0
    k = 0
    if hx >= 0x40862E42:
        if hx >= 0x7ff00000:
            return x + x if math.isnan(x) else (x if xsb == 0 else 0.0)
        if x > 7.09782712893383973096e+02:
            return math.inf
        if x < -7.45133219101941108420e+02:
            return 0.0
    if hx > 0x3fd62e42:
        if hx < 0x3FF0A2B2:
            if x == 1.0:
                return 2.718281828459045
            hi = x - _LN2_HI[xsb]
            lo = _LN2_LO[xsb]
            k = 1 - xsb - xsb
        else:
            k = math.trunc(1.44269504088896338700e+00 * x + (0.5, -0.5)[xsb])
            t = float(k)
            hi = x - t * _LN2_HI[0]
            lo = t * _LN2_LO[0]
        x = hi - lo
    elif hx < 0x3e300000:
        return 1.0 + x
    t = x * x
    c = x - t * (_P[0] + t * (_P[1] + t * (_P[2] + t * (_P[3] + t * _P[4]))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k >= -1021:
        if k == 1024:
            return y * 2.0 * 8.98846567431158e307
        return y * _pow2(k)
    return y * _pow2(k + 1000) * 9.33263618503218878990e-302


def _two_prod(a, b):
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _dd_mul(x, y):
    p, e = _two_prod(x[0], y[0])
    e = e + (x[0] * y[1] + x[1] * y[0])
    s = p + e
    return s, e - (s - p)


def dd_powi(b, n):
    """b**n for an integer n >= 0 by squaring in double-double arithmetic, as explorers.js."""
    r, base, n = (1.0, 0.0), (float(b), 0.0), int(n)
    while n > 0:
        if n & 1:
            r = _dd_mul(r, base)
        n >>= 1
        if n > 0:
            base = _dd_mul(base, base)
    return r[0] + r[1]


_real_exp, _real_power = np.exp, np.power


def _portable_exp(x, *args, **kwargs):
    if args or kwargs:
        return _real_exp(x, *args, **kwargs)
    arr = np.asarray(x, dtype=np.float64)
    out = np.array([fd_exp(v) for v in arr.ravel()]).reshape(arr.shape)
    return out if arr.ndim else np.float64(out)


def _portable_power(b, n, *args, **kwargs):
    if args or kwargs or np.ndim(b) or np.ndim(n) or float(n) != int(n) or n < 0:
        return _real_power(b, n, *args, **kwargs)
    return np.float64(dd_powi(float(b), int(n)))


@contextmanager
def portable_transcendentals():
    """rmslib's np.exp and np.power calls give the page's functions (everything else unchanged)."""
    with mock.patch.object(np, "exp", _portable_exp), mock.patch.object(np, "power", _portable_power):
        yield


# ----------------------------------------------------------------- fixtures

def _explorer_pages():
    if not SITE.is_dir():
        return {}
    found = {}
    for path in sorted(SITE.rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind in ("optimizer", "history"):
            if f"&quot;kind&quot;: &quot;{kind}&quot;" in text and kind not in found:
                found[kind] = path.relative_to(SITE).as_posix()
    return found


PAGES = _explorer_pages()


@pytest.fixture(scope="module")
def base():
    if not PAGES:
        _unavailable(f"no built site with explorers at {SITE} (run `make book`, or set SITE_DIR)")
    with site_measure.Server(SITE) as url:
        yield url


@pytest.fixture()
def open_page(browser, base):
    contexts = []

    def go(rel, width=1280, height=900):
        ctx = site_measure.new_context(browser, width=width, height=height)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + rel, wait_until="load")
        page.locator(".rx-explorer").first.scroll_into_view_if_needed()   # built as it nears the screen
        page.wait_for_function("window.RMSExplorers && RMSExplorers.list.length > 0")
        page.errors = errors
        return page

    yield go
    for ctx in contexts:
        ctx.close()


# ----------------------------------------------------------------- driving the real controls

def _root(page):
    return page.locator(".rx-explorer").first


def _set_slider(page, root, name, value, spec):
    """Move a range input to ``value``: set its position (as a drag or a tap does: one input event), then
    one arrow key press each way (the keyboard path), which must come back to the same value."""
    field = root.locator(f"input[type=range][id$='-{name}']")
    target = math.log10(value) if spec["type"] == "logslider" else value
    decimals = len(str(spec["step"]).split(".")[1]) if "." in str(spec["step"]) else 0
    field.fill(f"{target:.{decimals}f}")
    if float(field.input_value()) < float(field.get_attribute("max")):
        field.press("ArrowRight")
        field.press("ArrowLeft")
    else:
        field.press("ArrowLeft")
        field.press("ArrowRight")


def _set_select(root, name, value):
    root.locator(f"select[id$='-{name}']").select_option(value)


def _draw_optimizer_settings(rng, spec):
    c = {x["name"]: x for x in spec["controls"]}
    settings = []
    for _ in range(SETTINGS):
        problem = str(rng.choice(c["problem"]["options"]))
        names = [o[1] for o in c["optimizers"]["options"]]
        chosen = [n for n in names if rng.random() < 0.5] or [str(rng.choice(names))]
        p = spec["problems"][problem]
        s = {
            "problem": problem, "optimizers": chosen,
            "lr_pos": round(float(rng.uniform(c["lr"]["min"], c["lr"]["max"])) / c["lr"]["step"]) * c["lr"]["step"],
            "beta": round(float(rng.uniform(0, 0.999)), 3),
            "eps": str(rng.choice(["1e-8", "1e-8", "1e-8", "0", "0.01", "1e-6", "-1e-3"])),
            "steps": int(rng.integers(1, 501)),
            "x0": round(float(rng.uniform(*p["xlim"])) / 0.05) * 0.05,
            "y0": round(float(rng.uniform(*p["ylim"])) / 0.05) * 0.05,
            "coordinate": int(rng.integers(0, 2)),
        }
        s["focus"] = str(rng.choice(chosen))
        settings.append(s)
    return settings


def _drive_optimizer(page, root, s, spec):
    c = {x["name"]: x for x in spec["controls"]}
    _set_select(root, "problem", s["problem"])
    for i, (label, name) in enumerate(c["optimizers"]["options"]):
        box = root.locator(f".rx-multi input[value='{i}']")
        if box.is_checked() != (name in s["optimizers"]):
            box.click()
    _set_slider(page, root, "lr", 10 ** s["lr_pos"], c["lr"])
    _set_slider(page, root, "beta", s["beta"], c["beta"])
    eps = root.locator("input[type=text][id$='-eps']")
    eps.fill(s["eps"])
    _set_slider(page, root, "steps", s["steps"], c["steps"])
    _set_slider(page, root, "x0", s["x0"], c["x0"])
    _set_slider(page, root, "y0", s["y0"], c["y0"])
    _set_select(root, "focus", s["focus"])
    root.locator(f".rx-toggle input[value='{s['coordinate']}']").check()


def _close(name, got, want, exact=True):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{name}: shape {got.shape} on the page, {want.shape} in rmslib"
    with np.errstate(invalid="ignore"):   # inf - inf: an infinite rate (eps = 0, v_t = 0) must be inf on both
        bad = ~((got == want) | (np.abs(got - want) <= RTOL * np.maximum(np.abs(want), 1e-300)))
    assert not bad.any(), (f"{name}: {int(bad.sum())} of {bad.size} values differ beyond {RTOL:g} relative; "
                           f"first at {np.argwhere(bad)[0].tolist()}: page {got[bad][0]!r}, rmslib {want[bad][0]!r}")
    # Same operations in the same order: the bits agree too (the tolerance above is the requirement),
    # except where rmslib itself calls libm (see LOSS_ULP): there at most one ulp apart.
    if not exact:
        ulps = np.where(got == want, 0, np.abs(got.view(np.int64) - want.view(np.int64)))
        assert ulps.max() <= 1, f"{name}: {ulps.max()} ulps apart at {int(np.argmax(ulps))}"
        return
    differ = got != want
    assert not differ.any(), (f"{name}: within {RTOL:g} but {int(differ.sum())} values not bit-identical; first at "
                              f"{np.argwhere(differ)[0].tolist()}: page {got[differ][0]!r}, rmslib {want[differ][0]!r}")


def _words(text):
    return " ".join(text.split())


# ----------------------------------------------------------------- tests

@pytest.mark.browser
def test_portable_functions_match_python_bit_for_bit_and_numpy_within_one_ulp(open_page):
    page = open_page(PAGES.get("optimizer") or PAGES["history"])
    rng = np.random.default_rng(14)
    xs = np.concatenate([rng.uniform(-745, 709, 3000), rng.uniform(-30, 30, 3000), rng.uniform(-1e-3, 1e-3, 500),
                         [0.0, -0.0, 1.0, -1.0, 0.5 * math.log(2), 1.5 * math.log(2), 2 ** -30, 709.7, -745.0]])
    js = page.evaluate("xs => xs.map(x => RMSExplorers.exp(x))", xs.tolist())
    py = [fd_exp(x) for x in xs]
    assert [struct.pack("<d", v) for v in js] == [struct.pack("<d", v) for v in py], "exp: page and Python differ"
    ulps = np.abs(np.array(py).view(np.int64) - _real_exp(xs).view(np.int64))
    assert ulps.max() <= 1, f"fdlibm exp is {ulps.max()} ulps from NumPy's at {xs[np.argmax(ulps)]!r}"
    pairs = [(float(b), int(t)) for b in np.round(rng.uniform(0, 0.999, 300), 3) for t in rng.integers(1, 501, 10)]
    pairs += [(0.9, t) for t in range(1, 501)] + [(0.0, 3), (0.999, 500)]
    js = page.evaluate("ps => ps.map(p => RMSExplorers.powi(p[0], p[1]))", pairs)
    py = [dd_powi(b, t) for b, t in pairs]
    assert [struct.pack("<d", v) for v in js] == [struct.pack("<d", v) for v in py], "powi: page and Python differ"
    npv = np.array([_real_power(b, t) for b, t in pairs])
    ulps = np.abs(np.array(py).view(np.int64) - npv.view(np.int64))
    assert ulps.max() <= 1, f"powi is {ulps.max()} ulps from NumPy's power"
    assert not page.errors, page.errors


@pytest.mark.browser
def test_optimizer_explorer_computes_what_rmslib_computes(open_page):
    if "optimizer" not in PAGES:
        pytest.skip("no page has an optimizer explorer")
    from rmslib.widgets import OptimizerExplorer

    page = open_page(PAGES["optimizer"])
    root = _root(page)
    spec = page.evaluate("RMSExplorers.list[0].spec")
    settings = _draw_optimizer_settings(np.random.default_rng(2026), spec)
    kinds = {"drawn": 0, "refused": 0}
    for k, s in enumerate(settings):
        _drive_optimizer(page, root, s, spec)
        state = page.evaluate("RMSExplorers.list[0].state()")
        v = state["settings"]
        where = f"setting {k} ({s})"
        # the values used are the values the controls show
        assert v["problem"] == s["problem"] and v["optimizers"] == [o for o in spec["optimizers"] if o in s["optimizers"]]
        assert abs(math.log10(v["lr"]) - s["lr_pos"]) < 1e-9 and abs(v["beta"] - s["beta"]) < 1e-12, where
        assert v["steps"] == s["steps"] and abs(v["x0"] - s["x0"]) < 1e-9 and abs(v["y0"] - s["y0"]) < 1e-9, where
        assert v["focus"] == s["focus"] and v["coordinate"] == s["coordinate"], where
        shown = root.locator(f"output[for$='-lr']").inner_text()
        assert shown == format(v["lr"], ".3g"), f"{where}: the η readout shows {shown}"
        with portable_transcendentals():
            ex = OptimizerExplorer(problem=v["problem"], optimizers=tuple(v["optimizers"]), lr=v["lr"], beta=v["beta"],
                                   eps=float(s["eps"]), start=(v["x0"], v["y0"]), steps=v["steps"],
                                   focus=v["focus"], coordinate=v["coordinate"])
        assert sorted(state["traces"]) == sorted(ex.traces), f"{where}: drawn on the page {sorted(state['traces'])}, " \
                                                            f"by rmslib {sorted(ex.traces)}; page says {state['errors']}"
        for name, tr in ex.traces.items():
            got = state["traces"][name]
            _close(f"{where} {name} path", got["params"], tr.params)
            _close(f"{where} {name} loss", got["loss"], tr.loss, exact=v["problem"] not in LOSS_ULP)
            _close(f"{where} {name} gradients", got["grads"], tr.grads)
            if tr.v is not None:
                _close(f"{where} {name} v_t", got["v"], tr.v)
        if v["focus"] in ex.traces:
            _close(f"{where} series |g_t|", state["series"]["grad"], ex.series["grad"].get_ydata())
            _close(f"{where} series sqrt(v_t)", state["series"]["v"], ex.series["v"].get_ydata())
            _close(f"{where} series step", state["series"]["step"], ex.series["step"].get_ydata())
        ours = [_words(x) for x in state["summary"]]
        theirs = [_words(x) for x in ex.summary.splitlines() if not x.startswith(("not drawn", "nothing drawn"))]
        assert ours == theirs, f"{where}: the readout says {ours}, rmslib.widgets {theirs}"
        assert _words(root.locator(".rx-readout-text").inner_text()) == " ".join(ours), where
        if float(s["eps"]) < 0 and any(o in s["optimizers"] for o in ("Adagrad", "RMSProp", "Adam")):
            assert "ε" in state["message"], f"{where}: a negative ε is refused without naming ε: {state['message']!r}"
        for e in state["errors"]:
            assert re.search(r"\(the (ε|η \(lr\)) control\)|^optimizers:", e), f"{where}: message names no control: {e}"
        assert "NaN" not in state["readout"] and "nan" not in state["readout"], where
        kinds["drawn"] += len(ex.traces)
        kinds["refused"] += len(state["errors"])
    assert kinds["drawn"] >= SETTINGS, kinds
    assert not page.errors, page.errors


@pytest.mark.browser
def test_history_explorer_computes_what_rmslib_computes(open_page):
    if "history" not in PAGES:
        pytest.skip("no page has a history explorer")
    from rmslib.widgets import HistoryExplorer

    page = open_page(PAGES["history"])
    root = _root(page)
    spec = page.evaluate("RMSExplorers.list[0].spec")
    c = {x["name"]: x for x in spec["controls"]}
    rng = np.random.default_rng(4)
    for k in range(SETTINGS):
        s = {"beta": round(float(rng.uniform(0, 0.999)), 3),
             "eps": str(rng.choice(["1e-8", "1e-8", "0", "0.1", "-1"])),
             **{f"g{j}": round(float(rng.uniform(-3, 3)) / 0.05) * 0.05 for j in (1, 2, 3)},
             **{f"n{j}": int(rng.integers(0, 151)) for j in (1, 2, 3)}}
        _set_slider(page, root, "beta", s["beta"], c["beta"])
        root.locator("input[type=text][id$='-eps']").fill(s["eps"])
        for j in (1, 2, 3):
            _set_slider(page, root, f"g{j}", s[f"g{j}"], c[f"g{j}"])
            _set_slider(page, root, f"n{j}", s[f"n{j}"], c[f"n{j}"])
        state = page.evaluate("RMSExplorers.list[0].state()")
        v, where = state["settings"], f"setting {k} ({s})"
        for j in (1, 2, 3):
            assert abs(v[f"g{j}"] - s[f"g{j}"]) < 1e-9 and v[f"n{j}"] == s[f"n{j}"], where
        assert abs(v["beta"] - s["beta"]) < 1e-12, where
        ex = HistoryExplorer(grads=tuple(v[f"g{j}"] for j in (1, 2, 3)), lengths=tuple(v[f"n{j}"] for j in (1, 2, 3)),
                             beta=v["beta"], eps=float(s["eps"]))
        drawn = bool(len(ex.lines["rmsprop_v"].get_ydata()))
        assert (state["runs"] is not None) == drawn, f"{where}: page {state['errors']}, rmslib {ex.message.value}"
        if drawn:
            for key in ("rmsprop_v", "adagrad_v", "rmsprop_lr", "adagrad_lr", "grad"):
                _close(f"{where} {key}", state["runs"][key], ex.lines[key].get_ydata())
            assert state["runs"]["falls"] == ex.falls, where
            assert _words(state["readout"]) == _words(ex.summary), f"{where}: {state['readout']!r} vs {ex.summary!r}"
        else:
            assert state["errors"] and all("control" in e for e in state["errors"]), f"{where}: {state['errors']}"
            if float(s["eps"]) < 0:
                assert "ε" in state["message"], where
    assert not page.errors, page.errors


@pytest.mark.browser
@pytest.mark.parametrize("width", (1280, 390))
def test_explorers_are_usable_at_both_widths_in_both_themes(open_page, width):
    """Controls wide enough and labelled, readouts fully visible, no axe violation (light and dark), alt text."""
    for kind, rel in sorted(PAGES.items()):
        page = open_page(rel, width=width)
        page.locator(".rx-explorer").first.scroll_into_view_if_needed()
        info = page.evaluate("""() => {
          const root = document.querySelector('.rx-explorer');
          const vis = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
          const cut = [...root.querySelectorAll('label, legend, output, option, .rx-choice')].filter(vis)
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > root.getBoundingClientRect().right + 1)
            .map(e => e.textContent.trim());
          const inputs = [...root.querySelectorAll('input, select')];
          const unlabelled = inputs.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length;
          const narrow = [...root.querySelectorAll('input[type=range], select, input[type=text]')]
            .filter(e => e.getBoundingClientRect().width < 120).length;
          const small = [...root.querySelectorAll('input[type=range], select, input[type=text], .rx-choice')]
            .filter(e => e.getBoundingClientRect().height < 24).length;
          const canvases = [...root.querySelectorAll('canvas')].map(c => c.getAttribute('role') === 'img' ? (c.getAttribute('aria-label') || '') : '');
          return {cut, unlabelled, narrow, small, canvases, overflow: document.documentElement.scrollWidth - innerWidth,
                  rootRight: root.getBoundingClientRect().right, width: innerWidth};
        }""")
        where = f"{rel} at {width} px"
        assert not info["cut"], f"{where}: text cut: {info['cut']}"
        assert info["unlabelled"] == 0 and info["narrow"] == 0 and info["small"] == 0, f"{where}: {info}"
        assert all(len(a) > 40 and "NaN" not in a for a in info["canvases"]), f"{where}: {info['canvases']}"
        assert info["overflow"] <= 0, f"{where}: the page scrolls sideways by {info['overflow']} px"
        # keyboard: the first slider takes focus with Tab order and moves with the arrow keys
        slider = page.locator(".rx-explorer input[type=range]").first
        slider.focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none"), f"{where}: no visible focus on the sliders"
        for theme in ("light", "dark"):
            page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
            violations = [v for v in site_measure.axe(page) if ".rx-" in str(v) or "rx-" in str(v)]
            assert not violations, f"{where}, {theme}: {violations}"
        assert not page.errors, page.errors


@pytest.mark.browser
def test_invalid_eps_and_diverging_lr_give_messages_not_nan(open_page):
    page = open_page(PAGES["optimizer"])
    root = _root(page)
    box = root.locator("input[type=text][id$='-eps']")
    box.fill("-0.5")
    msg = root.locator(".rx-message").inner_text()
    assert "ε" in msg and "eps must be in [0, inf)" in msg, msg
    box.fill("abc")
    assert "ε" in root.locator(".rx-message").inner_text()
    box.fill("1e-8")
    assert root.locator(".rx-message").inner_text().strip() == ""
    field = root.locator("input[type=range][id$='-lr']")
    field.focus()
    field.press("End")   # eta = 10 diverges on the bowl for GD
    msg = root.locator(".rx-message").inner_text()
    assert "diverged" in msg and "η" in msg, msg
    label = page.evaluate("document.querySelector('.rx-overlay').getAttribute('aria-label')")
    assert "NaN" not in label and "NaN" not in root.locator(".rx-readout-text").inner_text()
    assert not page.errors, page.errors


@pytest.mark.browser
def test_an_explorer_computes_only_once_it_nears_the_screen(browser, base):
    """Not built during the page's load when it is far below the first screen; built when scrolled to."""
    pages = sorted({p for p in SITE.rglob("*.html") if 'class="rx-explorer"' in p.read_text(encoding="utf-8")})
    assert pages, "no page has an explorer"
    far = 0
    for path in pages:
        ctx = site_measure.new_context(browser, width=390, height=800)
        try:
            page = ctx.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(base + path.relative_to(SITE).as_posix(), wait_until="load")
            page.wait_for_timeout(300)
            top = page.evaluate("document.querySelector('.rx-explorer').getBoundingClientRect().top / innerHeight")
            built = page.evaluate("RMSExplorers.list.length")
            if top > 4:
                far += 1
                assert built == 0, f"{path.name}: the explorer {top:.0f} screens down was built during the load"
            page.locator(".rx-explorer").first.scroll_into_view_if_needed()
            page.wait_for_function("RMSExplorers.list.length > 0")
            assert page.locator(".rx-explorer input").count() > 0, path.name
        finally:
            ctx.close()
    assert far > 0, "no explorer is far enough down the page to check that its build waits"


# ----------------------------------------------------------------- the build side (no browser)

def test_explorer_call_reads_literal_keyword_arguments_only():
    import site_explorers as se

    src = 'from rmslib.widgets import OptimizerExplorer\n\nOptimizerExplorer(problem="bowl", optimizers=("GD",), lr=0.09)'
    assert se.explorer_call(src) == ("OptimizerExplorer", {"problem": "bowl", "optimizers": ("GD",), "lr": 0.09})
    assert se.explorer_call("print(1)") is None
    with pytest.raises(se.ExplorerError, match="literals"):
        se.explorer_call("OptimizerExplorer(lr=base_lr)")
    with pytest.raises(se.ExplorerError, match="keyword"):
        se.explorer_call('HistoryExplorer((1.0, 0.0, 1.0))')


def test_spec_is_generated_from_the_widgets_controls():
    import site_explorers as se
    from rmslib.widgets import HistoryExplorer, OptimizerExplorer

    kwargs = {"problem": "Rosenbrock", "optimizers": ("Adam", "GD"), "lr": 0.02, "steps": 77, "coordinate": 1}
    spec, ex = se.spec("OptimizerExplorer", kwargs), OptimizerExplorer(**kwargs)
    assert [c["name"] for c in spec["controls"]] == list(ex.controls)
    for c in spec["controls"]:
        w = ex.controls[c["name"]]
        assert c["label"] == w.description
        assert (list(c["value"]) if c["type"] == "multi" else c["value"]) == (list(w.value) if c["type"] == "multi" else w.value)
        for key in ("min", "max", "step"):
            if key in c:
                assert c[key] == getattr(w, key), (c["name"], key)
    from rmslib import problems
    assert spec["problems"]["rotated bowl"]["hessian"] == problems.Bowl((1.0, 20.0), angle=30.0).hessian.tolist()
    h = se.spec("HistoryExplorer", {"beta": 0.5})
    assert [c["name"] for c in h["controls"]] == list(HistoryExplorer(beta=0.5).controls)


def test_convert_page_replaces_the_widget_output_and_drops_the_manager(tmp_path):
    import site_explorers as se

    page = ('<html><head><script src="../_static/vendor/html-manager/embed-amd.js"></script></head><body>'
            '<div class="cell docutils container"><div class="cell_input docutils container"><pre><span>'
            'HistoryExplorer</span>(grads=(1.0, 0.0, 1.0), beta=0.9)</pre></div>'
            '<div class="cell_output docutils container"><img alt="three panels" src="../_images/x.webp" />'
            '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "1"}</script></div></div>'
            '<script type="application/vnd.jupyter.widget-state+json">{"state": {}}</script></body></html>')
    out = se.convert_page(page, 1, tmp_path)
    assert 'class="rx-explorer"' in out and "widget-view" not in out and "widget-state" not in out
    assert "embed-amd" not in out and "x.webp" not in out and "three panels" in out
    assert '<script defer src="../_static/explorers.js">' in out
    with pytest.raises(se.ExplorerError):
        se.convert_page(page.replace("HistoryExplorer", "print"), 1, tmp_path)
