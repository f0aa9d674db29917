// Written for this book (tools/site_polish.py adds it, deferred, to every page).
(function () {
  "use strict";
  var me = document.currentScript;
  var STATIC = me ? me.src.slice(0, me.src.lastIndexOf("/") + 1) : "_static/";

  function load(src, attrs) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      Object.keys(attrs || {}).forEach(function (k) { s.setAttribute(k, attrs[k]); });
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }


  // --- Search results: maths pre-rendered as SVG reads as plain text in the summaries.
  function patchSearch() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search._mathsPatched) return;
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll("mjx-container").forEach(function (m) {
        m.replaceWith(doc.createTextNode(m.getAttribute("data-text") || ""));
      });
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search._mathsPatched = true;
  }
  patchSearch();

  // --- Skipped blocks (tools/site_speed.py): after the load, show them one per idle moment, in page
  // order, so that their text, figures and maths reach the accessibility tree (Chromium leaves a
  // skipped block's content out of it) without one long layout of the whole page. The page is
  // marked data-blocks-shown when all are (the tests wait for it).
  function showSkippedBlocks() {
    var blocks = Array.prototype.slice.call(document.querySelectorAll(".cv-block:not(.cv-shown)"));
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };
    function next() {
      var block = blocks.shift();
      if (!block) { document.documentElement.setAttribute("data-blocks-shown", ""); return; }
      block.classList.add("cv-shown");
      idle(next);
    }
    idle(next);
  }
  if (document.readyState === "complete") showSkippedBlocks();
  else window.addEventListener("load", showSkippedBlocks);

  // --- Live Code: if Thebe cannot start (no network, Binder unreachable), say so in plain words.
  function binderLink() {
    var a = document.querySelector("a[href*='/v2/gh/']");
    return a ? a.href : null;
  }
  function fallback(reason) {
    var button = document.querySelector(".thebe-launch-button");
    var host = button || document.querySelector("#main-content, main") || document.body;
    if (document.querySelector(".thebe-fallback")) return;
    var box = document.createElement("div");
    box.className = "thebe-fallback";
    box.setAttribute("role", "status");
    var link = binderLink();
    box.innerHTML = "<strong>Live Code could not start</strong>: " + reason +
      (link ? ' You can run this chapter in Binder instead: <a href="' + link + '">open it in Binder</a>.' : "");
    if (button) {
      button.textContent = "Live Code could not start";
      button.insertAdjacentElement("afterend", box);
    } else {
      host.insertAdjacentElement("afterbegin", box);
    }
  }
  function binderHub() {
    var hub = "https://mybinder.org";
    var a = binderLink();
    if (a) { try { hub = new URL(a).origin; } catch (e) { /* keep the default */ } }
    return hub;
  }
  var watching = false;
  function watchThebe() {
    if (watching) return;
    watching = true;
    // Can the BinderHub be reached at all? Answer within 5 s, whatever Thebe does meanwhile.
    var hub = binderHub();
    var probe = window.fetch ? fetch(hub, {mode: "no-cors", cache: "no-store"}) : Promise.resolve();
    Promise.race([probe, new Promise(function (_, reject) {
      setTimeout(function () { reject(new Error("timeout")); }, 5000);
    })]).catch(function () {
      fallback(hub.replace(/^https?:\/\//, "") + " cannot be reached from here (no network, or it is blocked).");
    });
    var started = Date.now(), hooked = false;
    var timer = setInterval(function () {
      if (typeof thebelab !== "undefined" && thebelab.on && !hooked) {
        hooked = true;
        if (thebelab.on && window.thebe && window.thebe.events) {
          thebelab.on("error", function (evt, data) {
            fallback("the connection to the computing server was lost" +
                     (data && data.message ? " (" + String(data.message).slice(0, 120) + ")" : "") + ".");
          });
        }
        thebelab.on("status", function (evt, data) {
          if (data && (data.status === "failed" || data.status === "dead" || data.status === "server-error")) {
            fallback("the computing server (mybinder.org) did not answer" +
                     (data.message ? " (" + String(data.message).slice(0, 120) + ")" : "") + ".");
          }
          if (data && data.status === "ready") clearInterval(timer);
        });
      }
      if (typeof thebelab === "undefined" && Date.now() - started > 5000) {
        clearInterval(timer);
        fallback("its script did not load.");
      }
      if (Date.now() - started > 600000) clearInterval(timer);
    }, 250);
    if (!navigator.onLine) fallback("this device is offline.");
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest(".btn-launch-thebe")) watchThebe();
  }, true);
})();
