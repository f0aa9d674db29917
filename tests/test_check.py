"""rmslib.check: every check accepts a right answer, says "not implemented yet" to a stub,
and names each classic mistake when given a deliberately wrong implementation.

The wrong implementations below are written the way a student would write them
(not derived from the variants inside rmslib.check), so each test shows that
the mistake is recognised from its numbers alone.
"""

import math

import numpy as np
import pytest

from rmslib import check

# --------------------------------------------------------------------------
# Right answers, written from the equations
# --------------------------------------------------------------------------


def rms_ok(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_torch_ok(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g * g
    return theta - lr * g / (np.sqrt(v_new) + eps), v_new


def ada_ok(theta, g, v, lr, eps):
    v_new = v + g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def weights_ok(beta, t):
    return np.array([(1 - beta) * beta ** (t - k) for k in range(1, t + 1)])


def v3_ok(g1, g2, g3, beta):
    v = 0.0
    for g in (g1, g2, g3):
        v = beta * v + (1 - beta) * g**2
    return v


def vseq_ok(grads, beta):
    v, out = np.zeros_like(grads[0]), []
    for g in grads:
        v = beta * v + (1 - beta) * g**2
        out.append(v)
    return np.array(out)


def run_ok(grad, x0, lr, beta, eps, steps):
    x, v, xs = np.array(x0, dtype=float), np.zeros_like(x0, dtype=float), [np.array(x0, dtype=float)]
    for t in range(1, steps + 1):
        x, v = rms_ok(x, grad(x), v, lr(t) if callable(lr) else lr, beta, eps)
        xs.append(x)
    return np.array(xs)


def stub(*args):
    raise NotImplementedError


RIGHT = {"rmsprop_step": rms_ok, "adagrad_step": ada_ok, "ema_weights": weights_ok,
         "unrolled_v3": v3_ok, "v_sequence": vseq_ok, "rmsprop_run": run_ok}


@pytest.mark.parametrize("name", sorted(check.CHECKS))
def test_right_answer_is_correct(name, capsys):
    verdict = check.CHECKS[name](RIGHT[name])
    out = capsys.readouterr().out
    assert verdict and verdict.ok and verdict.mistake is None
    assert out.startswith("✓") and "correct" in out and out.count("\n") == 1


@pytest.mark.parametrize("name", sorted(check.CHECKS))
def test_stub_gets_not_implemented_yet(name, capsys):
    verdict = check.CHECKS[name](stub)
    out = capsys.readouterr().out
    assert not verdict and verdict.mistake == "not-implemented"
    assert "not implemented yet" in out and "Traceback" not in out and out.count("\n") == 1


def test_eps_outside_convention_accepts_torch_and_rejects_keras():
    assert check.rmsprop_step(rms_torch_ok, eps_in_sqrt=False, quiet=True)
    verdict = check.rmsprop_step(rms_ok, eps_in_sqrt=False, quiet=True)
    assert verdict.mistake == "eps-inside" and "eps is inside the square root" in verdict.message


# --------------------------------------------------------------------------
# Deliberately wrong implementations: (check, function, expected key, phrase)
# --------------------------------------------------------------------------


def rms_no_one_minus_beta(theta, g, v, lr, beta, eps):
    v_new = beta * v + g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_swapped_beta(theta, g, v, lr, beta, eps):
    v_new = (1 - beta) * v + beta * g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_not_squared(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_abs(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * abs(g)
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_adagrad(theta, g, v, lr, beta, eps):
    v_new = v + g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_eps_outside(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - lr * g / (np.sqrt(v_new) + eps), v_new


def rms_no_eps(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    with np.errstate(all="ignore"):
        return theta - lr * g / np.sqrt(v_new), v_new


def rms_no_sqrt(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - lr * g / (v_new + eps), v_new


def rms_old_v(theta, g, v, lr, beta, eps):
    step = lr * g / np.sqrt(v + eps)
    return theta - step, beta * v + (1 - beta) * g**2


def rms_plus(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta + lr * g / np.sqrt(v_new + eps), v_new


def rms_no_lr(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - g / np.sqrt(v_new + eps), v_new


def rms_order(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return v_new, theta - lr * g / np.sqrt(v_new + eps)


def rms_pooled_sum(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * np.sum(g**2)
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_pooled_mean(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * np.mean(g**2)
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def rms_in_place(theta, g, v, lr, beta, eps):
    v *= beta
    v += (1 - beta) * g**2
    theta -= lr * g / np.sqrt(v + eps)
    return theta, v


def rms_flat(theta, g, v, lr, beta, eps):
    theta_new, v_new = rms_ok(theta, g, v, lr, beta, eps)
    return theta_new.ravel(), v_new.ravel()


def rms_one_value(theta, g, v, lr, beta, eps):
    return rms_ok(theta, g, v, lr, beta, eps)[0]


def rms_no_return(theta, g, v, lr, beta, eps):
    rms_ok(theta, g, v, lr, beta, eps)


def rms_math_sqrt(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - lr * g / math.sqrt(v_new + eps), v_new


def rms_crash(theta, g, v, lr, beta, eps):
    return {"theta": theta}["v"]


def rms_slightly_off(theta, g, v, lr, beta, eps):
    v_new = beta * v + (1 - beta) * g**2
    return theta - 1.01 * lr * g / np.sqrt(v_new + eps), v_new


def ada_averaged(theta, g, v, lr, eps):
    v_new = 0.9 * v + 0.1 * g**2
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def ada_not_squared(theta, g, v, lr, eps):
    v_new = v + g
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def ada_abs(theta, g, v, lr, eps):
    v_new = v + np.abs(g)
    return theta - lr * g / np.sqrt(v_new + eps), v_new


def ada_eps_outside(theta, g, v, lr, eps):
    v_new = v + g**2
    return theta - lr * g / (np.sqrt(v_new) + eps), v_new


def ada_no_eps(theta, g, v, lr, eps):
    v_new = v + g**2
    with np.errstate(all="ignore"):
        return theta - lr * g / np.sqrt(v_new), v_new


def ada_no_sqrt(theta, g, v, lr, eps):
    v_new = v + g**2
    return theta - lr * g / (v_new + eps), v_new


def ada_old_v(theta, g, v, lr, eps):
    return theta - lr * g / np.sqrt(v + eps), v + g**2


def ada_plus(theta, g, v, lr, eps):
    v_new = v + g**2
    return theta + lr * g / np.sqrt(v_new + eps), v_new


def ada_no_lr(theta, g, v, lr, eps):
    v_new = v + g**2
    return theta - g / np.sqrt(v_new + eps), v_new


def ada_order(theta, g, v, lr, eps):
    theta_new, v_new = ada_ok(theta, g, v, lr, eps)
    return v_new, theta_new


def ada_in_place(theta, g, v, lr, eps):
    v += g**2
    return theta - lr * g / np.sqrt(v + eps), v


def w_no_one_minus_beta(beta, t):
    return np.array([beta ** (t - k) for k in range(1, t + 1)])


def w_reversed(beta, t):
    return np.array([(1 - beta) * beta**j for j in range(t)])


def w_off_by_one(beta, t):
    return np.array([(1 - beta) * beta ** (t - k + 1) for k in range(1, t + 1)])


def w_off_by_one_up(beta, t):
    return np.array([(1 - beta) * beta ** (t - k - 1) for k in range(1, t + 1)])


def w_adagrad(beta, t):
    return np.ones(t)


def w_swapped(beta, t):
    return np.array([beta * (1 - beta) ** (t - k) for k in range(1, t + 1)])


def w_with_v0(beta, t):
    return np.array([(1 - beta) * beta ** (t - k) for k in range(0, t + 1)])


def v3_no_one_minus_beta(g1, g2, g3, beta):
    return beta**2 * g1**2 + beta * g2**2 + g3**2


def v3_not_squared(g1, g2, g3, beta):
    return (1 - beta) * (beta**2 * g1 + beta * g2 + g3)


def v3_abs(g1, g2, g3, beta):
    return (1 - beta) * (beta**2 * abs(g1) + beta * abs(g2) + abs(g3))


def v3_adagrad(g1, g2, g3, beta):
    return g1**2 + g2**2 + g3**2


def v3_reversed(g1, g2, g3, beta):
    return (1 - beta) * (g1**2 + beta * g2**2 + beta**2 * g3**2)


def v3_from_g1(g1, g2, g3, beta):
    v = g1**2
    for g in (g2, g3):
        v = beta * v + (1 - beta) * g**2
    return v


def v3_swapped(g1, g2, g3, beta):
    v = 0.0
    for g in (g1, g2, g3):
        v = (1 - beta) * v + beta * g**2
    return v


def v3_bias_corrected(g1, g2, g3, beta):
    return v3_ok(g1, g2, g3, beta) / (1 - beta**3)


def vs_no_one_minus_beta(grads, beta):
    v, out = 0.0, []
    for g in grads:
        v = beta * v + g**2
        out.append(v)
    return np.array(out)


def vs_not_squared(grads, beta):
    v, out = 0.0, []
    for g in grads:
        v = beta * v + (1 - beta) * g
        out.append(v)
    return np.array(out)


def vs_abs(grads, beta):
    v, out = 0.0, []
    for g in grads:
        v = beta * v + (1 - beta) * np.abs(g)
        out.append(v)
    return np.array(out)


def vs_adagrad(grads, beta):
    return np.cumsum(grads**2, axis=0)


def vs_swapped(grads, beta):
    v, out = 0.0, []
    for g in grads:
        v = (1 - beta) * v + beta * g**2
        out.append(v)
    return np.array(out)


def vs_bias_corrected(grads, beta):
    v, out = 0.0, []
    for t, g in enumerate(grads, start=1):
        v = beta * v + (1 - beta) * g**2
        out.append(v / (1 - beta**t))
    return np.array(out)


def vs_from_g1(grads, beta):
    v, out = grads[0] ** 2, [grads[0] ** 2]
    for g in grads[1:]:
        v = beta * v + (1 - beta) * g**2
        out.append(v)
    return np.array(out)


def vs_shifted(grads, beta):
    v, out = np.zeros_like(grads[0]), []
    for g in grads:
        out.append(v)
        v = beta * v + (1 - beta) * g**2
    return np.array(out)


def vs_with_v0(grads, beta):
    v, out = np.zeros_like(grads[0]), [np.zeros_like(grads[0])]
    for g in grads:
        v = beta * v + (1 - beta) * g**2
        out.append(v)
    return np.array(out)


def vs_in_place(grads, beta):
    grads **= 2
    v, out = 0.0, []
    for g2 in grads:
        v = beta * v + (1 - beta) * g2
        out.append(v)
    return np.array(out)


def run_no_x0(grad, x0, lr, beta, eps, steps):
    return run_ok(grad, x0, lr, beta, eps, steps)[1:]


def run_reset_v(grad, x0, lr, beta, eps, steps):
    x, xs = np.array(x0, dtype=float), [np.array(x0, dtype=float)]
    for t in range(1, steps + 1):
        x, _ = rms_ok(x, grad(x), np.zeros_like(x), lr(t) if callable(lr) else lr, beta, eps)
        xs.append(x)
    return np.array(xs)


def run_schedule_from_0(grad, x0, lr, beta, eps, steps):
    x, v, xs = np.array(x0, dtype=float), np.zeros(np.shape(x0)), [np.array(x0, dtype=float)]
    for t in range(steps):
        x, v = rms_ok(x, grad(x), v, lr(t) if callable(lr) else lr, beta, eps)
        xs.append(x)
    return np.array(xs)


def run_schedule_plus_one(grad, x0, lr, beta, eps, steps):
    x, v, xs = np.array(x0, dtype=float), np.zeros(np.shape(x0)), [np.array(x0, dtype=float)]
    for t in range(1, steps + 1):
        x, v = rms_ok(x, grad(x), v, lr(t + 1) if callable(lr) else lr, beta, eps)
        xs.append(x)
    return np.array(xs)


def run_in_place(grad, x0, lr, beta, eps, steps):
    x, v, xs = x0, np.zeros(np.shape(x0)), [x0.copy()]
    for t in range(1, steps + 1):
        x -= (lr(t) if callable(lr) else lr) * grad(x) / np.sqrt(
            (v := beta * v + (1 - beta) * grad(x) ** 2) + eps)
        xs.append(x.copy())
    return np.array(xs)


WRONG = [
    ("rmsprop_step", rms_no_one_minus_beta, "no-one-minus-beta", "forgot the (1 - beta) factor"),
    ("rmsprop_step", rms_swapped_beta, "swapped-beta", "swapped beta and 1 - beta"),
    ("rmsprop_step", rms_not_squared, "not-squared", "did not square the gradient"),
    ("rmsprop_step", rms_abs, "abs-not-squared", "|g|"),
    ("rmsprop_step", rms_adagrad, "summed", "summed instead of averaging"),
    ("rmsprop_step", rms_eps_outside, "eps-outside", "eps is outside the square root"),
    ("rmsprop_step", rms_no_eps, "no-eps", "left out eps"),
    ("rmsprop_step", rms_no_sqrt, "no-sqrt", "forgot the square root"),
    ("rmsprop_step", rms_old_v, "old-v", "OLD v"),
    ("rmsprop_step", rms_plus, "ascent", "uphill"),
    ("rmsprop_step", rms_no_lr, "no-lr", "forgot the learning rate"),
    ("rmsprop_step", rms_order, "order", "wrong order"),
    ("rmsprop_step", rms_pooled_sum, "pooled-sum", "over all the parameters"),
    ("rmsprop_step", rms_pooled_mean, "pooled-mean", "over all the parameters"),
    ("rmsprop_step", rms_in_place, "in-place", "modified its input `theta` and `v` in place"),
    ("rmsprop_step", rms_flat, "wrong-shape", "wrong shape"),
    ("rmsprop_step", rms_one_value, "wrong-count", "should return 2 values"),
    ("rmsprop_step", rms_no_return, "no-return", "`return` line missing"),
    ("rmsprop_step", rms_math_sqrt, "exception", "use np.sqrt"),
    ("rmsprop_step", rms_crash, "exception", "raised KeyError"),
    ("rmsprop_step", rms_slightly_off, "wrong", "v_new is right but theta_new is wrong"),
    ("rmsprop_step", 3.0, "not-callable", "expected a function"),
    ("adagrad_step", ada_averaged, "averaged", "averaged instead of summing"),
    ("adagrad_step", ada_not_squared, "not-squared", "did not square the gradient"),
    ("adagrad_step", ada_abs, "abs-not-squared", "|g|"),
    ("adagrad_step", ada_eps_outside, "eps-outside", "eps is outside the square root"),
    ("adagrad_step", ada_no_eps, "no-eps", "left out eps"),
    ("adagrad_step", ada_no_sqrt, "no-sqrt", "forgot the square root"),
    ("adagrad_step", ada_old_v, "old-v", "OLD v"),
    ("adagrad_step", ada_plus, "ascent", "uphill"),
    ("adagrad_step", ada_no_lr, "no-lr", "forgot the learning rate"),
    ("adagrad_step", ada_order, "order", "wrong order"),
    ("adagrad_step", ada_in_place, "in-place", "in place"),
    ("ema_weights", w_no_one_minus_beta, "no-one-minus-beta", "forgot the (1 - beta) factor"),
    ("ema_weights", w_reversed, "reversed", "reverse order"),
    ("ema_weights", w_off_by_one, "off-by-one", "off by one"),
    ("ema_weights", w_off_by_one_up, "off-by-one-up", "off by one"),
    ("ema_weights", w_adagrad, "summed", "Adagrad's sum"),
    ("ema_weights", w_swapped, "swapped-beta", "swapped beta and 1 - beta"),
    ("ema_weights", w_with_v0, "wrong-shape", "should have shape"),
    ("unrolled_v3", v3_no_one_minus_beta, "no-one-minus-beta", "forgot the (1 - beta) factor"),
    ("unrolled_v3", v3_not_squared, "not-squared", "did not square the gradients"),
    ("unrolled_v3", v3_abs, "abs-not-squared", "|g|"),
    ("unrolled_v3", v3_adagrad, "summed", "summed instead of averaging"),
    ("unrolled_v3", v3_reversed, "reversed", "reversed"),
    ("unrolled_v3", v3_from_g1, "started-at-g1", "v_1 = g1**2"),
    ("unrolled_v3", v3_swapped, "swapped-beta", "swapped beta and 1 - beta"),
    ("unrolled_v3", v3_bias_corrected, "bias-corrected", "Adam's bias correction"),
    ("v_sequence", vs_no_one_minus_beta, "no-one-minus-beta", "forgot the (1 - beta) factor"),
    ("v_sequence", vs_not_squared, "not-squared", "did not square the gradient"),
    ("v_sequence", vs_abs, "abs-not-squared", "|g|"),
    ("v_sequence", vs_adagrad, "summed", "summed instead of averaging"),
    ("v_sequence", vs_swapped, "swapped-beta", "swapped beta and 1 - beta"),
    ("v_sequence", vs_bias_corrected, "bias-corrected", "Adam's bias correction"),
    ("v_sequence", vs_from_g1, "started-at-g1", "v_1 = g_1**2"),
    ("v_sequence", vs_shifted, "shifted", "shifted by one step"),
    ("v_sequence", vs_with_v0, "with-v0", "one value too many"),
    ("v_sequence", vs_in_place, "in-place", "modified its input `grads` in place"),
    ("rmsprop_run", run_no_x0, "no-x0", "left out the start point"),
    ("rmsprop_run", run_reset_v, "reset-v", "v starts again from 0"),
    ("rmsprop_run", run_schedule_from_0, "schedule-from-0", "t = 0"),
    ("rmsprop_run", run_schedule_plus_one, "schedule-off-by-one", "t + 1"),
    ("rmsprop_run", run_in_place, "in-place", "modified its input `x0` in place"),
]


@pytest.mark.parametrize("name, fn, key, phrase", WRONG,
                         ids=[f"{n}-{getattr(f, '__name__', 'value')}" for n, f, _, _ in WRONG])
def test_wrong_implementation_is_diagnosed(name, fn, key, phrase, capsys):
    verdict = check.CHECKS[name](fn)
    out = capsys.readouterr().out
    assert not verdict
    assert verdict.mistake == key, verdict.message
    assert phrase in verdict.message
    assert out == "✗ " + verdict.message + "\n" and "\n" not in verdict.message and "Traceback" not in out


def test_every_named_diagnosis_has_a_wrong_implementation():
    tested = {(name, key) for name, _, key, _ in WRONG} | {("rmsprop_step", "eps-inside")}
    named = {(name, key) for name, keys in check.diagnoses().items() for key in keys}
    assert named <= tested, f"diagnoses without a test: {sorted(named - tested)}"
    assert len(named) >= 40


def test_in_place_is_reported_even_when_values_are_also_wrong():
    def wrong_and_in_place(theta, g, v, lr, beta, eps):
        v += g**2
        return theta - lr * g / np.sqrt(v + eps), v

    verdict = check.rmsprop_step(wrong_and_in_place, quiet=True)
    assert verdict.mistake == "summed" and "in place" in verdict.message


def test_verdicts_are_deterministic_and_the_check_leaves_nothing_behind():
    a = check.rmsprop_step(rms_slightly_off, quiet=True)
    b = check.rmsprop_step(rms_slightly_off, quiet=True)
    assert a.message == b.message
    other_seed = check.rmsprop_step(rms_slightly_off, seed=1, quiet=True)
    assert other_seed.mistake == "wrong"


def test_quiet_prints_nothing_and_verdict_displays_nothing(capsys):
    verdict = check.adagrad_step(ada_ok, quiet=True)
    assert capsys.readouterr().out == ""
    assert verdict.ok and "Verdict(ok=True" in repr(verdict)
    assert verdict._ipython_display_() is None


def test_diagnoses_lists_keys_and_rejects_unknown_names():
    assert "no-one-minus-beta" in check.diagnoses("rmsprop_step")["rmsprop_step"]
    assert set(check.diagnoses()) == set(check.CHECKS)
    with pytest.raises(ValueError, match="check must be one of"):
        check.diagnoses("sgd_step")


# --------------------------------------------------------------------------
# compare keeps its behaviour (chapters use it)
# --------------------------------------------------------------------------

CASES = [(np.array([1.0, -2.0]), np.array([0.5, 3.0]))]


def test_compare_correct_stub_in_place_and_mismatch(capsys):
    def add(a, b):
        return a + b

    def add_in_place(a, b):
        a += b
        return a

    assert check.compare(add, add, CASES) is True
    assert check.compare(stub, add, CASES) is False
    assert check.compare(add_in_place, add, CASES) is False
    assert check.compare(lambda a, b: a - b, add, CASES) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓") and "not implemented yet" in out[1]
    assert "in place" in out[2] and "differs from the reference" in out[3]
