/* The door as a sign: its text as large as its box allows, and the staff panel
 * that folds by itself.
 *
 * The sign's words are content (a unit may word its own sign) and tablets bring
 * their own fonts, so no size set in advance fits every door: the largest size
 * at which the text fits the red box ([data-fit]) is found by measuring, each
 * time the box changes size (a new panel, a turned tablet, the offline notice,
 * the staff panel opened or folded). The English line follows at the ratio the
 * CSS gives (--sign-ratio). Until then the text is hidden (is-fitting), so the
 * door never moves after it appears; without JavaScript the CSS sizes the text
 * by the box alone and no-script.css shows it.
 *
 * The staff panel (#door-controls, a <details>) folds after its idle time
 * (data-idle-seconds) without a touch, and on Esc, so a passer-by finds the
 * sign and not the controls; folded, it forgets an open "end the meeting?". */
(function () {
  "use strict";

  var MIN_PX = 12;

  function overflows(el) { return el.scrollWidth > el.clientWidth + 0.5; }

  function fits(box, text, room) {
    if (text.offsetHeight > room) { return false; }
    for (var i = 0; i < text.children.length; i++) {
      if (overflows(text.children[i])) { return false; }
    }
    return !overflows(text);
  }

  /* The text waits unseen (is-fitting) until it has its size, so the sign does
   * not move after it appears; it is shown whatever happens here. */
  function show(text) { text.classList.remove("is-fitting"); }

  function fit(box) {
    var text = box.querySelector("[data-fit-text]");
    if (!text || !box.isConnected) { return; }
    var style = window.getComputedStyle(box);
    var room = box.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    if (!(room > 0)) { show(text); return; }
    // No line is taller than the box: its height bounds the search.
    var lo = MIN_PX;
    var hi = Math.max(MIN_PX, room);
    while (hi - lo > 0.5) {
      var mid = (lo + hi) / 2;
      box.style.setProperty("--sign-size", mid + "px");
      if (fits(box, text, room)) { lo = mid; } else { hi = mid; }
    }
    box.style.setProperty("--sign-size", Math.floor(lo) + "px");
    show(text);
    // The box size the text was fitted to (the browser tests wait for it).
    box.setAttribute("data-fitted", box.clientWidth + "x" + box.clientHeight);
  }

  var observed = null;
  var observer = window.ResizeObserver ? new window.ResizeObserver(function (entries) {
    entries.forEach(function (entry) { fit(entry.target); });
  }) : null;

  function watchSign() {
    var box = document.querySelector("[data-fit]");
    if (box === observed) { return; }
    if (observer && observed) { observer.unobserve(observed); }
    observed = box;
    if (!box) { return; }
    if (observer) { observer.observe(box); } else { fit(box); }
  }

  if (!observer) {
    window.addEventListener("resize", function () { if (observed) { fit(observed); } });
  }

  /* The staff panel. A swap of the panel (a poll, an action) is no touch: the
   * folded part panel.js opens again in the new panel keeps its deadline. */
  var idleTimer = null;
  var deadline = null;

  function controls() { return document.getElementById("door-controls"); }

  function fold(giveFocus) {
    var panel = controls();
    if (!panel || !panel.open) { return; }
    panel.querySelectorAll("details[open]").forEach(function (inner) { inner.open = false; });
    panel.open = false;
    if (giveFocus) { panel.querySelector("summary").focus(); }
  }

  function schedule() {
    window.clearTimeout(idleTimer);
    idleTimer = null;
    var panel = controls();
    if (!panel || !panel.open) { deadline = null; return; }
    var seconds = Number(panel.getAttribute("data-idle-seconds"));
    if (!(seconds > 0)) { deadline = null; return; }
    if (deadline === null || deadline <= Date.now()) { deadline = Date.now() + seconds * 1000; }
    idleTimer = window.setTimeout(function () {
      idleTimer = null;
      deadline = null;
      var active = document.activeElement;
      var current = controls();
      fold(!!(current && active && current.contains(active)));
    }, deadline - Date.now());
  }

  function touched() {
    if (idleTimer) { deadline = null; schedule(); }
  }

  // "toggle" does not bubble: listen in the capture phase.
  document.addEventListener("toggle", function (evt) {
    if (!evt.target || evt.target.id !== "door-controls") { return; }
    if (!evt.target.open) { deadline = null; }
    schedule();
  }, true);

  ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (name) {
    document.addEventListener(name, touched, { capture: true, passive: true });
  });

  document.addEventListener("keydown", function (evt) {
    var panel = controls();
    if (evt.key === "Escape" && panel && panel.open) {
      evt.preventDefault();
      fold(true);
    }
  });

  // A new panel's sign is watched as soon as it is in the page (before htmx's
  // settle), so its text is fitted and shown before the next frame is drawn.
  document.addEventListener("htmx:afterSwap", watchSign);
  document.addEventListener("htmx:afterSettle", function () {
    watchSign();
    schedule();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watchSign);
  } else {
    watchSign();
  }
})();
