/* The night screen of doors and boards outside opening hours.
 *
 * The server renders the night screen (rooms/_night.html) as the panel's first
 * child while the unit is closed and the room is not in use; the CSS hides the
 * rest of the panel behind it. A tap anywhere on it, or its button, wakes the
 * panel for a minute, counted from the last touch or key; then it sleeps again.
 * A poll that brings a new panel keeps it awake within that minute. Nothing
 * burns in: the text drifts by a CSS animation, or, for a person who prefers
 * reduced motion, moves one small step per poll. */
(function () {
  "use strict";

  var WAKE_MS = 60000;
  var STEPS = 8;
  var awakeUntil = 0;
  var step = 0;
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function screen() { return document.querySelector("[data-night]"); }

  function apply() {
    var night = screen();
    if (!night) { return; }
    var awake = Date.now() < awakeUntil;
    if (night.hidden !== awake) { night.hidden = awake; }
    document.body.classList.toggle("is-night", !awake);
  }

  // A minute; the screen may say otherwise (data-wake-ms: the browser tests shorten it).
  function wakeMs() {
    var night = screen();
    return (night && Number(night.getAttribute("data-wake-ms"))) || WAKE_MS;
  }

  function wake() {
    awakeUntil = Date.now() + wakeMs();
    apply();
    var heading = document.querySelector("[data-panel] h1");
    if (heading) {
      if (!heading.hasAttribute("tabindex")) { heading.setAttribute("tabindex", "-1"); }
      heading.focus();
    }
  }

  function drift() {
    if (!reduced || !reduced.matches) { return; }
    var box = document.querySelector("[data-night-drift]");
    if (!box) { return; }
    box.classList.remove("drift-" + step);
    step = (step + 1) % STEPS;
    box.classList.add("drift-" + step);
  }

  document.addEventListener("click", function (evt) {
    if (evt.target.closest && evt.target.closest("[data-night]")) { wake(); }
  });
  // Someone using the woken panel keeps it awake.
  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, function (evt) {
      if (Date.now() < awakeUntil && !(evt.target.closest && evt.target.closest("[data-night]"))) {
        awakeUntil = Date.now() + wakeMs();
      }
    }, true);
  });

  function isPanel(evt) {
    var elt = evt.detail && evt.detail.elt;
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-panel"));
  }
  document.addEventListener("htmx:afterSwap", apply);
  document.addEventListener("htmx:afterSettle", apply);
  document.addEventListener("htmx:afterRequest", function (evt) { if (isPanel(evt)) { drift(); } });

  function start() {
    apply();
    window.setInterval(apply, 1000);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
