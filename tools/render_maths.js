// Render TeX to static HTML at build time (MathJax 3, npm mathjax-full, run by tools/site_assets.py).
//
// stdin: JSON {"items": [{"tex": "...", "display": true|false}, ...]}
// stdout: JSON {"html": ["<mjx-container ...>", ...], "css": "...", "errors": [[index, message], ...]}
//
// Each formula becomes an SVG (aria-hidden: it is a picture of the formula) beside
// its MathML in <mjx-assistive-mml>, which screen readers read. No script runs in
// the reader's browser and no font is downloaded; nothing is a tab stop.
"use strict";
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
const errors = [];
const tex = new TeX({
  packages: AllPackages.filter((p) => !["autoload", "require", "bussproofs"].includes(p)),
  formatError: (jax, err) => { throw err; },
});
const svg = new SVG({ fontCache: "local" });
const doc = mathjax.document("", { InputJax: tex, OutputJax: svg });

const html = input.items.map((item, i) => {
  try {
    const node = doc.convert(item.tex, { display: !!item.display, em: 16, ex: 8, containerWidth: 80 * 16 });
    return adaptor.outerHTML(node);
  } catch (err) {
    errors.push([i, String(err && err.message ? err.message : err)]);
    return null;
  }
});
const css = adaptor.textContent(svg.styleSheet(doc));
process.stdout.write(JSON.stringify({ html, css, errors }));
