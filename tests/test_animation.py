"""rmslib.animation: deterministic, small, accessible players whose data follow the traces."""

import json
import re

import numpy as np
import pytest

import rmslib
from rmslib import problems
from rmslib.animation import Animation, animate_series, animate_trajectories

BOWL = problems.Bowl(curvatures=(1.0, 20.0))
X0 = np.array([-4.0, 1.0])


def _runs(steps=30):
    return {"Adagrad": rmslib.run(rmslib.Adagrad(lr=0.1), BOWL, X0, steps=steps),
            "RMSProp": rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=steps)}


def _data(anim):
    m = re.search(r'<script type="application/json" class="rmslib-anim-data">(.*?)</script>', anim.html, re.S)
    assert m, "the player carries its frames as JSON"
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_trajectories_html_is_deterministic_and_small():
    a = animate_trajectories(BOWL, _runs(), xlim=(-4.5, 1), ylim=(-1.5, 1.5))
    b = animate_trajectories(BOWL, _runs(), xlim=(-4.5, 1), ylim=(-1.5, 1.5))
    assert isinstance(a, Animation)
    assert a.html == b.html
    assert a._repr_html_() == a.html
    assert "0x" not in repr(a) and repr(a) == repr(b)
    assert len(a.html.encode()) < 200_000
    assert not re.search(r'\bid="', a.html), "no ids: several players can share a page"


def test_player_is_accessible():
    a = animate_trajectories(BOWL, _runs(), xlim=(-4.5, 1), ylim=(-1.5, 1.5), alt="Two paths on a bowl.",
                             title="Race")
    assert 'alt="Two paths on a bowl."' in a.html
    assert 'aria-label="Race"' in a.html
    assert re.search(r'<button type="button" aria-pressed="false"[^>]*>&#9654; Play</button>', a.html)
    assert re.search(r'<input type="range"[^>]*aria-label=', a.html)
    generated = animate_trajectories(BOWL, _runs(), xlim=(-4.5, 1), ylim=(-1.5, 1.5))
    assert "Adagrad" in generated.alt and "RMSProp" in generated.alt


def test_trajectory_frames_follow_the_paths():
    runs = _runs(steps=30)
    a = animate_trajectories(BOWL, runs, xlim=(-4.5, 1), ylim=(-1.5, 1.5))
    d = _data(a)
    assert d["frames"] == 31 == a.frames and d["steps"] == list(range(31))
    assert [layer["color"] for layer in d["layers"]] == [rmslib.plot.color("Adagrad"), rmslib.plot.color("RMSProp")]
    for layer, tr in zip(d["layers"], runs.values()):
        xy = np.array(layer["xy"]).reshape(-1, 2)
        assert xy.shape == (31, 2)
        # pixels grow with x and shrink with y (canvas origin top left): compare with the data
        dx, dy = np.diff(xy[:, 0]), np.diff(xy[:, 1])
        tx, ty = np.diff(tr.params[:, 0]), np.diff(tr.params[:, 1])
        big = np.abs(tx) > 1e-3
        assert np.all(np.sign(dx[big]) == np.sign(tx[big]))
        big = np.abs(ty) > 1e-3
        assert np.all(np.sign(dy[big]) == -np.sign(ty[big]))


def test_frames_subsample_evenly_and_end_at_the_last_step():
    a = animate_trajectories(BOWL, _runs(steps=100), xlim=(-4.5, 1), ylim=(-1.5, 1.5), frames=11)
    assert a.steps == list(range(0, 101, 10))
    assert len(_data(a)["layers"][0]["xy"]) == 2 * 11


def test_series_shows_v_rising_then_falling():
    tr = rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=100)
    s = animate_series(tr, index=0)
    d = _data(s)
    assert d["steps"] == list(range(1, 101))
    grad, v = (np.array(layer["xy"]).reshape(-1, 2) for layer in d["layers"])
    assert [layer["color"] for layer in d["layers"]] == [rmslib.plot.color("grad"), rmslib.plot.color("v")]
    # v_t rises then falls in the data; on the canvas, up is a smaller pixel y
    peak = int(np.argmax(tr.v[:, 0]))
    assert 0 < peak < 99
    assert int(np.argmin(v[:, 1])) == peak
    assert np.all(np.diff(v[:, 0]) > 0), "x pixels advance with the step"


def test_two_players_on_one_page_do_not_share_state():
    html = animate_series(rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=20)).html
    assert "document.currentScript" in html and ".rmslib-anim:not([data-ready])" in html


@pytest.mark.parametrize("kwargs, error, match", [
    ({"traces": {}}, ValueError, "at least one"),
    ({"traces": "x"}, TypeError, "traces"),
    ({"xlim": (1, 0)}, ValueError, "xlim"),
    ({"ylim": "ab"}, ValueError, "ylim"),
    ({"frames": 1}, ValueError, "frames"),
    ({"interval": 0}, ValueError, "interval"),
    ({"alt": "  "}, ValueError, "alt"),
    ({"labels": ["one"]}, ValueError, "labels"),
])
def test_trajectories_bad_input(kwargs, error, match):
    args = {"traces": _runs(5), "xlim": (-4.5, 1), "ylim": (-1.5, 1.5)} | kwargs
    with pytest.raises(error, match=match):
        animate_trajectories(BOWL, **args)


def test_trajectories_reject_batched_or_3d_runs():
    batched = rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=5, batch={"lr": [0.1, 0.2]})
    with pytest.raises(ValueError, match="unbatched"):
        animate_trajectories(BOWL, [batched], xlim=(-4.5, 1), ylim=(-1.5, 1.5))


def test_series_bad_input():
    tr = rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=5)
    gd = rmslib.run(rmslib.GD(lr=0.01), BOWL, X0, steps=5)
    with pytest.raises(ValueError, match="index"):
        animate_series(tr, index=2)
    with pytest.raises(ValueError, match="show"):
        animate_series(tr, show=("loss",))
    with pytest.raises(ValueError, match="no v_t"):
        animate_series(gd)
    with pytest.raises(TypeError, match="Trace"):
        animate_series(np.zeros(3))
    assert animate_series(gd, show=("grad",)).frames == 5


def test_save_writes_a_standalone_page(tmp_path):
    a = animate_series(rmslib.run(rmslib.RMSProp(lr=0.1), BOWL, X0, steps=5))
    path = tmp_path / "a.html"
    a.save(path)
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and a.html in text
