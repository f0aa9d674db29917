/* Kernel-free explorers for the static site (written for tools/site_explorers.py).
 *
 * Each <div class="rx-explorer" data-spec="..."> holds a spec generated at build
 * time from rmslib.widgets (the controls, their ranges and defaults, the
 * problems' constants, the colours of rmslib.plot). This script builds the
 * controls and recomputes the runs in the page at every input:
 *
 * - the optimizers (GD, Momentum, Adagrad, RMSProp, Adam) and problems (bowl,
 *   rotated bowl, Rosenbrock, sigmoid neuron) do the same IEEE operations in the
 *   same order as rmslib/optimizers.py and rmslib/problems.py, so + - * / and
 *   sqrt give the same bits;
 * - exp (sigmoid neuron) and beta^t (Adam's bias correction) are not correctly
 *   rounded in any library, and NumPy's, glibc's and each browser's differ in
 *   the last bit; here they are fixed, portable functions (fdlibm's exp, and an
 *   integer power in double-double arithmetic), so every browser computes the
 *   same numbers; tests/test_static_explorers.py gives rmslib the same two
 *   functions and compares.
 *
 * The contour panel is a picture rendered by matplotlib at build time; the
 * paths are drawn over it on a canvas. Panels whose limits follow the data
 * (the series, chapter 4's history) are drawn here, in the book's colours.
 * An explorer is built when it nears the screen (see start()), not during the
 * page's load. window.RMSExplorers lists the built explorers: state() gives the numbers drawn,
 * timings the input-to-redraw times (ms), for tests and tools/bench_explorers.py.
 */
(function () {
  "use strict";

  // ------------------------------------------------------------------ portable maths
  var buf = new DataView(new ArrayBuffer(8));
  function highWord(x) { buf.setFloat64(0, x); return buf.getUint32(0); }
  function pow2(k) { buf.setUint32(0, (0x3ff00000 + (k << 20)) >>> 0); buf.setUint32(4, 0); return buf.getFloat64(0); }

  var LN2_HI = [6.93147180369123816490e-01, -6.93147180369123816490e-01];
  var LN2_LO = [1.90821492927058770002e-10, -1.90821492927058770002e-10];
  var HALF = [0.5, -0.5], INVLN2 = 1.44269504088896338700e+00;
  var P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05,
      P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  var TWOM1000 = 9.33263618503218878990e-302;

  /** exp(x) by fdlibm's algorithm (the one V8 uses): reduction by ln 2, a degree-5 rational fit. */
  function exp(x) {
    var hx = highWord(x), xsb = hx >>> 31, hi = 0, lo = 0, k = 0, t, c, y;
    hx = hx & 0x7fffffff;
    if (hx >= 0x40862E42) {
      if (hx >= 0x7ff00000) return isNaN(x) ? x + x : (xsb === 0 ? x : 0.0);
      if (x > 7.09782712893383973096e+02) return Infinity;
      if (x < -7.45133219101941108420e+02) return 0.0;
    }
    if (hx > 0x3fd62e42) {
      if (hx < 0x3FF0A2B2) {
        if (x === 1.0) return 2.718281828459045;
        hi = x - LN2_HI[xsb]; lo = LN2_LO[xsb]; k = 1 - xsb - xsb;
      } else {
        k = Math.trunc(INVLN2 * x + HALF[xsb]);
        t = k;
        hi = x - t * LN2_HI[0];
        lo = t * LN2_LO[0];
      }
      x = hi - lo;
    } else if (hx < 0x3e300000) {
      return 1.0 + x;
    } else {
      k = 0;
    }
    t = x * x;
    c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    if (k === 0) return 1.0 - ((x * c) / (c - 2.0) - x);
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
    if (k >= -1021) {
      if (k === 1024) return y * 2.0 * 8.98846567431158e307;
      return y * pow2(k);
    }
    return y * pow2(k + 1000) * TWOM1000;
  }

  var SPLIT = 134217729.0;  // 2^27 + 1 (Veltkamp)
  function twoProd(a, b) {
    var p = a * b, c = SPLIT * a, ah = c - (c - a), al = a - ah;
    c = SPLIT * b; var bh = c - (c - b), bl = b - bh;
    return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
  }
  function ddMul(x, y) {
    var p = twoProd(x[0], y[0]), e = p[1] + (x[0] * y[1] + x[1] * y[0]), s = p[0] + e;
    return [s, e - (s - p[0])];
  }
  /** b^n for an integer n >= 0, by squaring in double-double arithmetic, rounded once at the end. */
  function powi(b, n) {
    var r = [1.0, 0.0], base = [b, 0.0];
    while (n > 0) {
      if (n & 1) r = ddMul(r, base);
      n = n >>> 1;
      if (n > 0) base = ddMul(base, base);
    }
    return r[0] + r[1];
  }

  // ------------------------------------------------------------------ Python-style number formats
  function pyExpFormat(mant, e) {
    return mant + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
  }
  /** Python's format(x, f".{p}g"). */
  function fmtG(x, p) {
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    if (x === 0) return (1 / x < 0) ? "-0" : "0";
    var s = x.toExponential(p - 1), i = s.indexOf("e"), e = parseInt(s.slice(i + 1), 10);
    if (e >= -4 && e < p) {
      var f = x.toFixed(p - 1 - e);
      return f.indexOf(".") >= 0 ? f.replace(/0+$/, "").replace(/\.$/, "") : f;
    }
    var m = s.slice(0, i);
    if (m.indexOf(".") >= 0) m = m.replace(/0+$/, "").replace(/\.$/, "");
    return pyExpFormat(m, e);
  }
  /** Python's format(x, f".{p}e"). */
  function fmtE(x, p) {
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    var s = x.toExponential(p), i = s.indexOf("e");
    return pyExpFormat(s.slice(0, i), parseInt(s.slice(i + 1), 10));
  }
  /** Python's repr(x) of a float (shortest round trip). */
  function pyRepr(x) {
    if (!isFinite(x)) return isNaN(x) ? "nan" : (x > 0 ? "inf" : "-inf");
    if (x === 0) return (1 / x < 0) ? "-0.0" : "0.0";
    var s = x.toExponential(), i = s.indexOf("e"), e = parseInt(s.slice(i + 1), 10);
    if (e >= -4 && e < 16) { var f = String(x); return f.indexOf(".") >= 0 || f.indexOf("e") >= 0 ? f : f + ".0"; }
    return pyExpFormat(s.slice(0, i), e);
  }

  // ------------------------------------------------------------------ problems (rmslib/problems.py)
  function makeProblem(p) {
    if (p.kind === "bowl") {  // 1/2 (x - c)^T H (x - c); rows of H summed left to right as NumPy's sum(axis=-1)
      var H = p.hessian, c = p.center;
      return {
        grad: function (x) {
          var d0 = x[0] - c[0], d1 = x[1] - c[1];
          return [H[0][0] * d0 + H[0][1] * d1, H[1][0] * d0 + H[1][1] * d1];
        },
        loss: function (x) {
          var d0 = x[0] - c[0], d1 = x[1] - c[1];
          return 0.5 * (d0 * (H[0][0] * d0 + H[0][1] * d1) + d1 * (H[1][0] * d0 + H[1][1] * d1));
        }
      };
    }
    if (p.kind === "rosenbrock") {  // (a - x)^2 + b (y - x^2)^2
      var a = p.a, b = p.b;
      return {
        grad: function (x) {
          var inner = x[1] - x[0] * x[0];
          return [-2.0 * (a - x[0]) - 4.0 * b * x[0] * inner, 2.0 * b * inner];
        },
        loss: function (x) {
          var u = a - x[0], w = x[1] - x[0] * x[0];
          return u * u + b * (w * w);
        }
      };
    }
    if (p.kind === "sigmoid") {  // sum_i 1/2 (sigma(w x_i + b) - y_i)^2, two data points
      var xs = p.xs, ys = p.ys;
      var out = function (x) {
        return [1.0 / (1.0 + exp(-(x[0] * xs[0] + x[1]))), 1.0 / (1.0 + exp(-(x[0] * xs[1] + x[1])))];
      };
      return {
        grad: function (x) {
          var f = out(x), c0 = (f[0] - ys[0]) * f[0] * (1.0 - f[0]), c1 = (f[1] - ys[1]) * f[1] * (1.0 - f[1]);
          return [c0 * xs[0] + c1 * xs[1], c0 + c1];
        },
        loss: function (x) {
          var f = out(x), r0 = f[0] - ys[0], r1 = f[1] - ys[1];
          return 0.5 * (r0 * r0 + r1 * r1);
        }
      };
    }
    throw new Error("unknown problem kind " + p.kind);
  }

  // ------------------------------------------------------------------ optimizers (rmslib/optimizers.py)
  function scale(g, d, safe) { return safe ? g / d : (d > 0 ? g / d : 0.0); }

  /** One optimizer as rmslib builds it in the explorer: {v: bool, step(x, g, s, t) -> new x}. */
  function makeOptimizer(name, lr, beta, eps, mu) {
    var safe = eps > 0;
    if (name === "GD") return { v: false, init: {}, step: function (x, g) { return [x[0] - lr * g[0], x[1] - lr * g[1]]; } };
    if (name === "Momentum") {
      return { v: false, init: { buf: [0.0, 0.0] }, step: function (x, g, s) {
        var b = [mu * s.buf[0] + g[0], mu * s.buf[1] + g[1]];
        s.buf = b;
        return [x[0] - lr * b[0], x[1] - lr * b[1]];
      } };
    }
    if (name === "Adagrad") {
      return { v: true, init: { v: [0.0, 0.0] }, step: function (x, g, s) {
        var v = [s.v[0] + g[0] * g[0], s.v[1] + g[1] * g[1]];
        s.v = v;
        return [x[0] - lr * scale(g[0], Math.sqrt(v[0] + eps), safe), x[1] - lr * scale(g[1], Math.sqrt(v[1] + eps), safe)];
      } };
    }
    if (name === "RMSProp") {
      return { v: true, init: { v: [0.0, 0.0] }, step: function (x, g, s) {
        var v = [beta * s.v[0] + (1.0 - beta) * (g[0] * g[0]), beta * s.v[1] + (1.0 - beta) * (g[1] * g[1])];
        s.v = v;
        return [x[0] - lr * scale(g[0], Math.sqrt(v[0] + eps), safe), x[1] - lr * scale(g[1], Math.sqrt(v[1] + eps), safe)];
      } };
    }
    if (name === "Adam") {  // beta1 = mu, beta2 = beta
      return { v: true, init: { v: [0.0, 0.0], m: [0.0, 0.0] }, step: function (x, g, s, t) {
        var m = [mu * s.m[0] + (1.0 - mu) * g[0], mu * s.m[1] + (1.0 - mu) * g[1]];
        var v = [beta * s.v[0] + (1.0 - beta) * (g[0] * g[0]), beta * s.v[1] + (1.0 - beta) * (g[1] * g[1])];
        s.m = m; s.v = v;
        var c1 = 1.0 - powi(mu, t), c2 = 1.0 - powi(beta, t), out = [0, 0];
        for (var i = 0; i < 2; i++) out[i] = x[i] - lr * scale(m[i] / c1, Math.sqrt(v[i] / c2) + eps, safe);
        return out;
      } };
    }
    throw new Error("unknown optimizer " + name);
  }

  function finite2(a) { return isFinite(a[0]) && isFinite(a[1]); }

  /** rmslib.run(opt, problem, x0, steps) with its checks; returns a trace or throws an Error (the message). */
  function run(opt, problem, x0, steps, lr) {
    var x = x0.slice(), s = JSON.parse(JSON.stringify(opt.init));
    var params = [x], grads = [], vs = [], loss = [problem.loss(x)];
    for (var t = 0; t < steps; t++) {
      var g = problem.grad(x);
      if (!finite2(g)) throw new Error("the run diverged: the gradient became non-finite at step " + (t + 1) +
                                       " (lr=" + pyRepr(lr) + " is too large for this problem)");
      x = opt.step(x, g, s, t + 1);
      if (!finite2(x)) throw new Error("the update overflowed (params became non-finite); lower lr or check grads");
      if (opt.v && !finite2(s.v)) throw new Error("grads are too large: their squares overflow float64 (state.v became inf); rescale the problem or check grads");
      params.push(x); grads.push(g); if (opt.v) vs.push(s.v);
      loss.push(problem.loss(x));
    }
    for (var i = 0; i < loss.length; i++) {
      if (!isFinite(loss[i])) throw new Error("the run diverged: the loss became non-finite at step " + i +
                                              " (lr=" + pyRepr(lr) + " is too large for this problem)");
    }
    return { params: params, grads: grads, v: opt.v ? vs : null, loss: loss };
  }

  /** The hyperparameter checks of rmslib's constructors that a control can break (typed eps). */
  function checkEps(eps, raw) {
    if (isNaN(eps)) return "eps must be a number (such as 1e-8), got " + JSON.stringify(raw);
    if (!isFinite(eps)) return "eps must be finite, got " + raw;
    if (eps < 0) return "eps must be in [0, inf), got " + pyRepr(eps);
    return null;
  }

  // ------------------------------------------------------------------ drawing helpers
  var DASH = { "-": [], "--": [3.7, 1.6], ":": [1, 1.65], "-.": [6.4, 1.6, 1, 1.6] };

  function setupCanvas(canvas, w, h) {
    var r = Math.min(window.devicePixelRatio || 1, 3);
    if (canvas.width !== Math.round(w * r)) { canvas.width = Math.round(w * r); canvas.height = Math.round(h * r); }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return ctx;
  }

  function strokePath(ctx, pts, color, width, style) {
    ctx.save();
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.lineJoin = "round";
    ctx.setLineDash((DASH[style] || []).map(function (d) { return d * width; }));
    ctx.beginPath();
    var pen = false;
    for (var i = 0; i < pts.length; i++) {
      var p = pts[i];
      if (!isFinite(p[0]) || !isFinite(p[1])) { pen = false; continue; }
      if (pen) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]);
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }

  function marker(ctx, kind, x, y, size, fill, edge) {
    ctx.save();
    ctx.fillStyle = fill; ctx.strokeStyle = edge || fill; ctx.lineWidth = 1;
    ctx.beginPath();
    if (kind === "o") ctx.arc(x, y, size / 2, 0, 2 * Math.PI);
    else if (kind === "s") ctx.rect(x - size / 2, y - size / 2, size, size);
    else if (kind === "X") {
      var a = size / 2, b = size / 6;
      ctx.moveTo(x - a, y - a + b); ctx.lineTo(x - b, y); ctx.lineTo(x - a, y + a - b); ctx.lineTo(x - a + b, y + a);
      ctx.lineTo(x, y + b); ctx.lineTo(x + a - b, y + a); ctx.lineTo(x + a, y + a - b); ctx.lineTo(x + b, y);
      ctx.lineTo(x + a, y - a + b); ctx.lineTo(x + a - b, y - a); ctx.lineTo(x, y - b); ctx.lineTo(x - a + b, y - a);
      ctx.closePath();
    }
    ctx.fill(); if (edge) ctx.stroke();
    ctx.restore();
  }

  // rmslib.widgets' _nice / _linear_limits / _log_limits (1-2-5 steps, whole decades)
  function nice(x) {
    var power = Math.pow(10, Math.floor(Math.log10(x))), ms = [1, 2, 5, 10];
    for (var i = 0; i < ms.length; i++) if (ms[i] * power >= x * (1 - 1e-9)) return ms[i] * power;
    return 10 * power;
  }
  function finiteValues(arrays, positive) {
    var out = [];
    arrays.forEach(function (a) { a.forEach(function (v) { if (isFinite(v) && (!positive || v > 0)) out.push(v); }); });
    return out;
  }
  function linearLimits(arrays) {
    var d = finiteValues(arrays, false).concat([0]);
    var max = Math.max.apply(null, d), min = Math.min.apply(null, d);
    var top = max > 0 ? nice(max) : 0, bottom = min < 0 ? -nice(-min) : 0;
    if (top === bottom) top = 1;
    var pad = 0.05 * (top - bottom);
    return [bottom - pad, top + pad];
  }
  function logLimits(arrays) {
    var d = finiteValues(arrays, true);
    if (!d.length) return [1e-3, 1];
    var top = Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, d))));
    var bottom = Math.max(Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, d)))), top / 1e8);
    return [bottom, top > bottom ? top : 10 * bottom];
  }
  function xTicks(n) {
    var stepT = nice(n / 5), out = [];
    for (var t = 0; t <= n + 1e-9; t += stepT) out.push(t);
    return out;
  }

  var FONT = "12px DejaVu Sans, Verdana, sans-serif", INK = "#000000", GRID = "rgba(176,176,176,0.45)";

  /** A panel with its own axes: log or linear y, x from 0 to n; returns a mapper and draws the frame. */
  function panel(ctx, box, n, ylim, log, opts) {
    var x0 = box[0], y0 = box[1], w = box[2], h = box[3];
    var ly = log ? function (v) { return Math.log10(v); } : function (v) { return v; };
    var lo = ly(ylim[0]), hi = ly(ylim[1]);
    var xmax = opts.xmax;
    var map = function (t, v) { return [x0 + w * t / xmax, y0 + h - h * (ly(v) - lo) / (hi - lo)]; };
    ctx.save();
    ctx.font = FONT; ctx.fillStyle = INK; ctx.strokeStyle = GRID; ctx.lineWidth = 1;
    var yt = [];
    if (log) {
      var span = Math.round(hi - lo), every = Math.max(1, Math.ceil(span / 4));
      for (var e = Math.ceil(lo); e <= Math.floor(hi); e += every) yt.push([Math.pow(10, e), pyExpFormat("1", e)]);
    } else {
      var st = nice((ylim[1] - ylim[0]) / 4);
      for (var v = Math.ceil(ylim[0] / st) * st; v <= ylim[1] + 1e-12; v += st) yt.push([v, fmtG(Math.abs(v) < 1e-12 ? 0 : v, 3)]);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    yt.forEach(function (tk) {
      var p = map(0, tk[0]);
      ctx.beginPath(); ctx.moveTo(x0, p[1]); ctx.lineTo(x0 + w, p[1]); ctx.stroke();
      ctx.fillText(tk[1], x0 - 5, p[1]);
    });
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    xTicks(xmax - 1).forEach(function (t) {
      var p = map(t, ylim[0]);
      ctx.beginPath(); ctx.moveTo(p[0], y0); ctx.lineTo(p[0], y0 + h); ctx.stroke();
      if (opts.xlabels) ctx.fillText(String(t), p[0], y0 + h + 4);
    });
    ctx.strokeStyle = INK;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x0, y0 + h); ctx.lineTo(x0 + w, y0 + h); ctx.stroke();
    if (opts.title) { ctx.textAlign = "left"; ctx.textBaseline = "bottom"; ctx.fillText(opts.title, x0, y0 - 4); }
    if (opts.ylabel) {
      ctx.save(); ctx.translate(x0 - 44, y0 + h / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillText(opts.ylabel, 0, 0); ctx.restore();
    }
    if (opts.xlabel) { ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.fillText(opts.xlabel, x0 + w / 2, y0 + h + 20); }
    ctx.restore();
    return function (t, v) {
      if (log && !(v > 0)) return [NaN, NaN];
      return map(t, v);
    };
  }

  function series(ctx, mapTo, values, color, style, width) {
    var pts = values.map(function (v, i) { return mapTo(i + 1, v); });
    ctx.save();
    ctx.beginPath(); ctx.rect(mapTo.box[0], mapTo.box[1] - 2, mapTo.box[2], mapTo.box[3] + 4); ctx.clip();
    strokePath(ctx, pts, color, width || 2, style);
    ctx.restore();
  }

  function xLimit(steps) {
    var q = Math.max(1, Math.floor(Math.pow(10, Math.floor(Math.log10(steps))) / 2));
    return Math.ceil(steps / q) * q + 1;
  }

  function legendSwatch(color, style) {
    var dash = (DASH[style] || []).map(function (d) { return d * 2; }).join(" ");
    return '<svg class="rx-swatch" width="28" height="10" aria-hidden="true" focusable="false"><line x1="1" y1="5" x2="27" y2="5" stroke="' +
      color + '" stroke-width="2.5"' + (dash ? ' stroke-dasharray="' + dash + '"' : "") + "/></svg>";
  }

  // ------------------------------------------------------------------ controls
  var uid = 0;
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }
  function decimals(step) { var s = String(step); return s.indexOf(".") < 0 ? 0 : s.length - s.indexOf(".") - 1; }

  /** Build the control described by ``c`` (from an ipywidgets control); returns {el, get(), set(v)}. */
  function buildControl(c, onChange) {
    var id = "rx-" + (++uid) + "-" + c.name, wrap = el("div", { "class": "rx-field rx-" + c.type });
    var ctl = { spec: c, el: wrap };
    if (c.type === "select") {
      wrap.appendChild(el("label", { "for": id }, c.label));
      var sel = el("select", { id: id });
      ctl.setOptions = function (opts, value) {
        sel.innerHTML = "";
        opts.forEach(function (o) { sel.appendChild(el("option", { value: o }, o)); });
        if (value != null) sel.value = value;
      };
      ctl.setOptions(c.options, c.value);
      sel.addEventListener("change", function (e) { onChange(c.name, e); });
      wrap.appendChild(sel);
      ctl.input = sel;
      ctl.get = function () { return sel.value; };
      ctl.set = function (v) { sel.value = v; };
    } else if (c.type === "multi" || c.type === "toggle") {
      wrap = el("fieldset", { "class": "rx-field rx-" + c.type });
      ctl.el = wrap;
      wrap.appendChild(el("legend", {}, c.label));
      var box = el("div", { "class": "rx-choices" });
      ctl.boxes = c.options.map(function (o, i) {
        var lab = el("label", { "class": "rx-choice" });
        var inp = el("input", { type: c.type === "multi" ? "checkbox" : "radio", name: id, value: String(i) });
        inp.addEventListener("change", function (e) { onChange(c.name, e); });
        lab.appendChild(inp); lab.appendChild(document.createTextNode(" " + o[0]));
        box.appendChild(lab);
        return inp;
      });
      wrap.appendChild(box);
      ctl.input = ctl.boxes[0];
      ctl.get = function () {
        var on = c.options.filter(function (o, i) { return ctl.boxes[i].checked; }).map(function (o) { return o[1]; });
        return c.type === "multi" ? on : on[0];
      };
      ctl.set = function (v) {
        c.options.forEach(function (o, i) {
          ctl.boxes[i].checked = c.type === "multi" ? v.indexOf(o[1]) >= 0 : o[1] === v;
        });
      };
      ctl.set(c.value);
    } else if (c.type === "text") {
      wrap.appendChild(el("label", { "for": id }, c.label));
      var txt = el("input", { id: id, type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false" });
      txt.value = pyRepr(c.value).replace(/\.0$/, "");
      txt.addEventListener("input", function (e) { onChange(c.name, e); });
      wrap.appendChild(txt);
      ctl.input = txt;
      ctl.raw = function () { return txt.value; };
      ctl.get = function () {
        var s = txt.value.trim();
        return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? parseFloat(s) : NaN;
      };
      ctl.set = function (v) { txt.value = String(v); };
    } else {  // slider, logslider, intslider: a range input and its readout
      var row = el("div", { "class": "rx-range" });
      wrap.appendChild(el("label", { "for": id }, c.label));
      var dec = decimals(c.step);
      var r = el("input", { id: id, type: "range", min: String(c.min), max: String(c.max), step: String(c.step) });
      var out = el("output", { "for": id, "class": "rx-readout" });
      var value = c.value;
      var fmt = function (v) {
        if (c.type === "intslider") return String(v);
        var f = c.format || "";
        if (/^\.\d+f$/.test(f)) return v.toFixed(parseInt(f.slice(1), 10));
        if (/^\.\d+g$/.test(f)) return fmtG(v, parseInt(f.slice(1), 10));
        return fmtG(v, 6);
      };
      var fromPos = function (s) {
        var p = Number(parseFloat(s).toFixed(dec));
        return c.type === "logslider" ? Math.pow(c.base, p) : p;
      };
      var toPos = function (v) { return c.type === "logslider" ? Math.log(v) / Math.log(c.base) : v; };
      var show = function () { out.value = fmt(value); out.textContent = fmt(value); r.setAttribute("aria-valuetext", fmt(value)); };
      r.value = String(toPos(value));
      r.addEventListener("input", function (e) { value = fromPos(r.value); show(); onChange(c.name, e); });
      row.appendChild(r); row.appendChild(out); wrap.appendChild(row);
      ctl.input = r;
      ctl.get = function () { return value; };
      ctl.set = function (v) { value = v; r.value = String(toPos(v)); show(); };
      ctl.setRange = function (lo, hi) { r.min = String(lo); r.max = String(hi); };
      show();
    }
    return ctl;
  }

  // ------------------------------------------------------------------ the explorers
  var registry = [];

  function Explorer(root, spec) {
    this.root = root; this.spec = spec; this.timings = []; this.frameTimings = []; this.errors = [];
    var self = this;
    this.controls = {};
    var form = el("div", { "class": "rx-controls" });
    spec.controls.forEach(function (c) {
      var ctl = buildControl(c, function (name, e) { self.changed(name, e); });
      self.controls[c.name] = ctl;
      form.appendChild(ctl.el);
    });
    this.form = form;
    this.message = el("div", { "class": "rx-message", role: "alert" });
    this.readout = el("p", { "class": "rx-readout-text", "aria-live": "polite" });
  }
  Explorer.prototype.values = function () {
    var v = {}, self = this;
    Object.keys(this.controls).forEach(function (k) { v[k] = self.controls[k].get(); });
    return v;
  };
  Explorer.prototype.changed = function (name, e) {
    var t0 = e && e.timeStamp ? e.timeStamp : performance.now();
    if (this.onControl) this.onControl(name);
    this.update();
    var self = this;
    this.timings.push(performance.now() - t0);          // input event to the canvas drawn
    requestAnimationFrame(function () {                  // input event to the frame that shows it
      self.frameTimings.push(performance.now() - t0);
      if (self.frameTimings.length > 1000) self.frameTimings.shift();
    });
    if (this.timings.length > 1000) this.timings.shift();
  };
  Explorer.prototype.showErrors = function (errors) {
    this.errors = errors;
    this.message.innerHTML = "";
    var box = this.message;
    errors.forEach(function (m) { box.appendChild(el("p", {}, "⚠ " + m)); });
  };

  // -- chapters 3 and 5: paths on a contour plot, and one optimizer's g_t, v_t and step size
  function OptimizerExplorer(root, spec) {
    Explorer.call(this, root, spec);
    var self = this;
    this.problems = {};
    Object.keys(spec.problems).forEach(function (k) { self.problems[k] = makeProblem(spec.problems[k]); });
    var figs = el("div", { "class": "rx-figures" });
    var left = el("figure", { "class": "rx-figure rx-paths" });
    this.bg = root.querySelector("img.rx-background");
    this.overlay = el("canvas", { "class": "rx-overlay", role: "img" });
    var stack = el("div", { "class": "rx-stack" });
    stack.appendChild(this.bg); stack.appendChild(this.overlay);
    left.appendChild(stack);
    this.legend = el("figcaption", { "class": "rx-legend" });
    left.appendChild(this.legend);
    var right = el("figure", { "class": "rx-figure rx-series" });
    this.seriesCanvas = el("canvas", { "class": "rx-series-canvas", role: "img" });
    right.appendChild(this.seriesCanvas);
    this.seriesLegend = el("figcaption", { "class": "rx-legend" });
    right.appendChild(this.seriesLegend);
    figs.appendChild(left); figs.appendChild(right);
    root.appendChild(figs);
    root.appendChild(this.message);
    root.appendChild(this.readout);
    root.appendChild(this.form);
    this.onControl = function (name) {
      var c = self.controls;
      if (name === "problem") {
        var p = spec.problems[c.problem.get()];
        c.x0.setRange(p.xlim[0], p.xlim[1]); c.y0.setRange(p.ylim[0], p.ylim[1]);
        c.x0.set(p.start[0]); c.y0.set(p.start[1]);
      }
      if (name === "optimizers") {
        var sel = c.optimizers.get(), old = c.focus.get();
        if (sel.length) c.focus.setOptions(sel, sel.indexOf(old) >= 0 ? old : (sel.indexOf("RMSProp") >= 0 ? "RMSProp" : sel[0]));
        else c.focus.setOptions([], null);
      }
    };
    this.resizeObserver();
    this.update();
  }
  OptimizerExplorer.prototype = Object.create(Explorer.prototype);

  Explorer.prototype.resizeObserver = function () {
    var self = this, width = 0;
    if (!window.ResizeObserver) return;
    new ResizeObserver(function () {
      var w = self.root.clientWidth;
      if (w !== width) { width = w; self.draw(); }
    }).observe(this.root);
  };

  OptimizerExplorer.prototype.compute = function () {
    var v = this.values(), spec = this.spec, errors = [], traces = {};
    var prob = this.problems[v.problem], x0 = [v.x0, v.y0];
    if (!v.optimizers.length) errors.push("optimizers: select at least one");
    var epsError = checkEps(v.eps, this.controls.eps.raw());
    this.controls.eps.input.setAttribute("aria-invalid", epsError ? "true" : "false");
    v.optimizers.forEach(function (name) {
      if (name !== "GD" && name !== "Momentum" && epsError) { errors.push(name + ": " + epsError + " (the ε control)"); return; }
      var opt = makeOptimizer(name, v.lr, v.beta, v.eps, spec.mu);
      try {
        var tr = run(opt, prob, x0, v.steps, v.lr);
        var peak = Math.max.apply(null, tr.loss);
        if (!isFinite(peak) || peak > 1e6 * (1.0 + tr.loss[0])) {
          errors.push(name + " diverged with lr=" + fmtG(v.lr, 3) + " (the loss grew from " + fmtG(tr.loss[0], 3) +
                      " to " + fmtG(peak, 3) + "); lower η (the η (lr) control)");
        } else traces[name] = tr;
      } catch (err) {
        errors.push(name + ": " + err.message + " (the η (lr) control)");
      }
    });
    return { v: v, errors: errors, traces: traces };
  };

  OptimizerExplorer.prototype.update = function () {
    this.result = this.compute();
    this.draw();
  };

  OptimizerExplorer.prototype.draw = function () {
    var res = this.result, v = res.v, spec = this.spec, p = spec.problems[v.problem], self = this;
    if (!res) return;
    if (this.bg.getAttribute("src") !== p.background) {
      this.bg.setAttribute("src", p.background);
      this.bg.setAttribute("alt", p.alt);
    }
    var W = this.bg.clientWidth || p.size[0], H = W * p.size[1] / p.size[0];
    var ctx = setupCanvas(this.overlay, W, H);
    var ax = p.axes;  // [left, bottom, width, height] as figure fractions
    var map = function (x, y) {
      return [W * (ax[0] + ax[2] * (x - p.xlim[0]) / (p.xlim[1] - p.xlim[0])),
              H * (1 - ax[1] - ax[3] * (y - p.ylim[0]) / (p.ylim[1] - p.ylim[0]))];
    };
    ctx.save();
    ctx.beginPath(); ctx.rect(W * ax[0], H * (1 - ax[1] - ax[3]), W * ax[2], H * ax[3]); ctx.clip();
    var names = spec.optimizers, k = names.length, scaleW = Math.max(0.6, Math.min(1.2, W / 336));
    names.forEach(function (name, j) {
      var tr = res.traces[name];
      if (!tr) return;
      var pts = tr.params.map(function (q) { return map(q[0], q[1]); });
      strokePath(ctx, pts, spec.colors[name], (1.2 + 0.5 * (k - 1 - j)) * scaleW, spec.linestyles[name]);
      pts.forEach(function (q) { marker(ctx, "o", q[0], q[1], 4 * scaleW, spec.colors[name]); });
    });
    names.forEach(function (name) {
      var tr = res.traces[name];
      if (tr) { var q = map(tr.params[tr.params.length - 1][0], tr.params[tr.params.length - 1][1]); marker(ctx, "X", q[0], q[1], 11 * scaleW, spec.colors[name], "#000000"); }
    });
    var s = map(v.x0, v.y0);
    marker(ctx, "s", s[0], s[1], 8 * scaleW, "#000000");
    ctx.restore();
    var drawn = names.filter(function (n) { return res.traces[n]; });
    this.legend.innerHTML = drawn.map(function (n) {
      return '<span class="rx-key">' + legendSwatch(spec.colors[n], spec.linestyles[n]) + n + "</span>";
    }).join("") + '<span class="rx-key"><span class="rx-square" aria-hidden="true"></span>start</span>' +
      (drawn.length ? ' <span class="rx-key">✕ end</span>' : "");

    // the series of one optimizer, one parameter
    var focus = v.focus, i = v.coordinate, tr = res.traces[focus];
    var label = p.labels[i];
    var grad = tr ? tr.grads.map(function (g) { return Math.abs(g[i]); }) : [];
    var vt = tr && tr.v ? tr.v.map(function (q) { return Math.sqrt(q[i]); }) : [];
    var step = tr ? tr.params.slice(1).map(function (q, t) { return Math.abs(q[i] - tr.params[t][i]); }) : [];
    this.series = { grad: grad, v: vt, step: step };
    var SW = this.seriesCanvas.clientWidth || 460, SH = Math.max(300, Math.min(380, SW * 0.75));
    this.seriesCanvas.style.height = SH + "px";
    var c2 = setupCanvas(this.seriesCanvas, SW, SH);
    c2.fillStyle = "#ffffff"; c2.fillRect(0, 0, SW, SH);
    var xmax = xLimit(v.steps), left = 60, wide = SW - left - 12, h1 = (SH - 100) / 2;
    var lim1 = logLimits([grad, vt]), lim2 = logLimits([step]);
    var noV = tr && !tr.v ? " (no vₜ for " + focus + ")" : "";
    var m1 = panel(c2, [left, 30, wide, h1], v.steps, lim1, true, { xmax: xmax, title: tr ? focus + ", " + label + noV : "" });
    m1.box = [left, 30, wide, h1];
    var m2 = panel(c2, [left, 70 + h1, wide, h1], v.steps, lim2, true, { xmax: xmax, xlabels: true, xlabel: "step t", title: "step size |Δθₜ|" });
    m2.box = [left, 70 + h1, wide, h1];
    series(c2, m1, grad, spec.seriesColors.grad, "-");
    series(c2, m1, vt, spec.seriesColors.v, "--");
    series(c2, m2, step, spec.seriesColors.step, "-");
    this.seriesLegend.innerHTML = '<span class="rx-key">' + legendSwatch(spec.seriesColors.grad, "-") + "|gₜ|</span>" +
      '<span class="rx-key">' + legendSwatch(spec.seriesColors.v, "--") + "√vₜ</span>" +
      '<span class="rx-key">' + legendSwatch(spec.seriesColors.step, "-") + "step size</span>";

    // words: the errors, the readout (as rmslib.widgets' summary), what the pictures show
    this.showErrors(res.errors);
    var head = v.problem + " from (" + fmtG(v.x0, 6) + ", " + fmtG(v.y0, 6) + "), " + v.steps + " steps, lr=" +
      fmtG(v.lr, 6) + ", beta=" + fmtG(v.beta, 6) + ", eps=" + (isNaN(v.eps) ? this.controls.eps.raw() : fmtG(v.eps, 6));
    var lines = drawn.map(function (n) {
      var t = res.traces[n], last = t.params[t.params.length - 1];
      return n + " final loss " + fmtE(t.loss[t.loss.length - 1], 6) + " at (" + fmtG(last[0], 6) + ", " + fmtG(last[1], 6) + ")";
    });
    this.summaryLines = [head].concat(lines);
    this.readout.innerHTML = "";
    var ro = this.readout;
    this.summaryLines.forEach(function (line, j) { if (j) ro.appendChild(el("br")); ro.appendChild(document.createTextNode(line)); });
    var ends = drawn.map(function (n) {
      var t = res.traces[n], last = t.params[t.params.length - 1];
      return n + " ends at (" + fmtG(last[0], 3) + ", " + fmtG(last[1], 3) + ") with loss " + fmtG(t.loss[t.loss.length - 1], 3);
    });
    this.overlay.setAttribute("aria-label", "Contour plot of the " + v.problem + " with the paths of " +
      (drawn.length ? drawn.join(", ") : "no optimizer") + " over " + v.steps + " steps from the start point (" +
      fmtG(v.x0, 3) + ", " + fmtG(v.y0, 3) + ")" + (ends.length ? ": " + ends.join("; ") + "." : "."));
    this.seriesCanvas.setAttribute("aria-label", tr ? "Log-scale series for " + focus + ", parameter " + label +
      ": the gradient's size |g_t|" + (tr.v ? ", the root of v_t" : "") + " and below the step size, against step t from 1 to " + v.steps +
      "; the last gradient size is " + fmtG(grad[grad.length - 1], 3) + " and the last step " + fmtG(step[step.length - 1], 3) + "." :
      "No series: " + focus + " was not drawn.");
  };

  OptimizerExplorer.prototype.state = function () {
    var res = this.result, out = {};
    Object.keys(res.traces).forEach(function (n) { out[n] = res.traces[n]; });
    return { settings: res.v, traces: out, series: this.series, errors: this.errors, summary: this.summaryLines,
             readout: this.readout.innerText, message: this.message.innerText };
  };

  // -- chapter 4: a gradient history in three phases; RMSProp's v_t against Adagrad's sum
  function HistoryExplorer(root, spec) {
    Explorer.call(this, root, spec);
    var fig = el("figure", { "class": "rx-figure rx-history" });
    this.headline = el("p", { "class": "rx-headline" });
    fig.appendChild(this.headline);
    this.canvas = el("canvas", { "class": "rx-history-canvas", role: "img" });
    fig.appendChild(this.canvas);
    this.legend = el("figcaption", { "class": "rx-legend" });
    this.legend.innerHTML = '<span class="rx-key">' + legendSwatch(spec.colors.grad, "-") + "gₜ</span>" +
      '<span class="rx-key">' + legendSwatch(spec.colors.RMSProp, "-") + "RMSProp: average</span>" +
      '<span class="rx-key">' + legendSwatch(spec.colors.Adagrad, "--") + "Adagrad: sum</span>";
    fig.appendChild(this.legend);
    var figs = el("div", { "class": "rx-figures" });
    figs.appendChild(fig);
    root.appendChild(figs);
    root.appendChild(this.message);
    root.appendChild(this.readout);
    root.appendChild(this.form);
    this.resizeObserver();
    this.update();
  }
  HistoryExplorer.prototype = Object.create(Explorer.prototype);

  HistoryExplorer.prototype.update = function () {
    var v = this.values(), errors = [], g = [];
    [1, 2, 3].forEach(function (k) { for (var j = 0; j < v["n" + k]; j++) g.push(v["g" + k]); });
    var runs = null;
    if (!g.length) errors.push("the gradient history is empty: give a phase at least one step (the phase … steps controls)");
    var epsError = checkEps(v.eps, this.controls.eps.raw());
    this.controls.eps.input.setAttribute("aria-invalid", epsError ? "true" : "false");
    if (g.length && epsError) errors.push("RMSProp: " + epsError + " (the ε control)", "Adagrad: " + epsError + " (the ε control)");
    if (g.length && !epsError) {
      var rv = [], av = [], r = 0.0, a = 0.0, beta = v.beta;
      for (var t = 0; t < g.length; t++) {
        r = beta * r + (1.0 - beta) * (g[t] * g[t]);
        a = a + g[t] * g[t];
        rv.push(r); av.push(a);
      }
      runs = { rmsprop_v: rv, adagrad_v: av,
               rmsprop_lr: rv.map(function (x) { return 1.0 / Math.sqrt(x + v.eps); }),
               adagrad_lr: av.map(function (x) { return 1.0 / Math.sqrt(x + v.eps); }), grad: g };
      var falls = 0;
      for (t = 0; t < rv.length; t++) if (rv[t] - (t ? rv[t - 1] : 0.0) < 0) falls++;
      runs.falls = falls;
    }
    this.result = { v: v, g: g, runs: runs, errors: errors };
    this.draw();
  };

  HistoryExplorer.prototype.draw = function () {
    var res = this.result, v = res.v, runs = res.runs, spec = this.spec;
    if (!res) return;
    var W = this.canvas.clientWidth || 600, H = W < 500 ? 460 : Math.max(380, Math.min(440, W * 0.6));
    this.canvas.style.height = H + "px";
    var ctx = setupCanvas(this.canvas, W, H);
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
    var n = Math.max(res.g.length, 1), xmax = xLimit(n), left = 76, wide = W - left - 12, top = 12, h = (H - top - 50 - 2 * 22) / 3;
    var empty = [], d = runs || { grad: empty, rmsprop_v: empty, adagrad_v: empty, rmsprop_lr: empty, adagrad_lr: empty };
    var boxes = [[left, top, wide, h], [left, top + h + 22, wide, h], [left, top + 2 * (h + 22), wide, h]];
    var m0 = panel(ctx, boxes[0], n, linearLimits([d.grad]), false, { xmax: xmax, ylabel: "gₜ" });
    var m1 = panel(ctx, boxes[1], n, logLimits([d.rmsprop_v, d.adagrad_v]), true, { xmax: xmax, ylabel: "vₜ" });
    var m2 = panel(ctx, boxes[2], n, logLimits([d.rmsprop_lr, d.adagrad_lr]), true, { xmax: xmax, ylabel: "1/√(vₜ+ε)", xlabels: true, xlabel: "step t" });
    m0.box = boxes[0]; m1.box = boxes[1]; m2.box = boxes[2];
    series(ctx, m0, d.grad, spec.colors.grad, "-");
    series(ctx, m1, d.rmsprop_v, spec.colors.RMSProp, "-");
    series(ctx, m1, d.adagrad_v, spec.colors.Adagrad, "--");
    series(ctx, m2, d.rmsprop_lr, spec.colors.RMSProp, "-");
    series(ctx, m2, d.adagrad_lr, spec.colors.Adagrad, "--");
    this.showErrors(res.errors);
    var text, headline = "";
    if (runs) {
      var rv = runs.rmsprop_v, av = runs.adagrad_v;
      headline = "β = " + fmtG(v.beta, 3) + ": RMSProp's vₜ fell on " + runs.falls + " of " + res.g.length + " steps; Adagrad's sum never falls";
      text = "beta=" + fmtG(v.beta, 6) + ", eps=" + fmtG(v.eps, 6) + ", " + res.g.length + " steps: RMSProp's v_t fell on " +
        runs.falls + " steps, ends at " + fmtG(rv[rv.length - 1], 6) + " (max " + fmtG(Math.max.apply(null, rv), 6) +
        "); Adagrad's sum ends at " + fmtG(av[av.length - 1], 6);
    } else {
      text = "nothing drawn: " + res.errors.join("; ");
    }
    this.headline.textContent = headline;
    this.summary = text;
    this.readout.textContent = text;
    this.canvas.setAttribute("aria-label", runs ? "Three panels against step t from 1 to " + res.g.length +
      ": the gradient g_t in three phases (" + [1, 2, 3].map(function (k) { return v["n" + k] + " steps at " + fmtG(v["g" + k], 3); }).join(", ") +
      "); on a log scale RMSProp's v_t (solid) and Adagrad's sum (dashed); and the effective learning rate 1/√(v_t+ε) of each. " + headline + "." :
      "Nothing drawn: " + res.errors.join("; "));
  };

  HistoryExplorer.prototype.state = function () {
    var r = this.result;
    return { settings: r.v, grads: r.g, runs: r.runs, errors: this.errors, readout: this.readout.innerText,
             message: this.message.innerText };
  };

  function build(root) {
    if (root.dataset.ready) return;
    var spec = JSON.parse(root.getAttribute("data-spec"));
    root.dataset.ready = "1";
    var ex = spec.kind === "optimizer" ? new OptimizerExplorer(root, spec) : new HistoryExplorer(root, spec);
    registry.push(ex);
    root.classList.add("rx-live");
  }

  // An explorer is built (its controls made and its first runs computed) when it comes within
  // about two screens of the viewport, not while the page loads: on a phone the first runs cost
  // 100-150 ms of main thread that would delay the first screen. Until then it is its contour
  // picture; it has no controls, so nothing can be typed into it before it computes.
  function start() {
    var roots = [].slice.call(document.querySelectorAll(".rx-explorer[data-spec]"));
    if (!window.IntersectionObserver) { roots.forEach(build); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { observer.unobserve(e.target); build(e.target); }
      });
    }, { rootMargin: "200% 0px" });
    roots.forEach(function (root) { if (!root.dataset.ready) observer.observe(root); });
  }

  window.RMSExplorers = { list: registry, exp: exp, powi: powi, fmtG: fmtG, fmtE: fmtE, pyRepr: pyRepr, start: start,
                          build: build };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
