/* Door panels and reception boards: live, and honest when the network fails.
 *
 * The panel polls itself (data-hx-trigger="every Ns"). The server answers 204
 * when nothing changed, or the new panel marked with X-Kiosk-Fragment. Anything
 * else - an error status, a proxy's error page, a timeout, no network - is a
 * failed poll: the panel keeps the last known state (the do-not-disturb sign
 * stays up) and after two failures in a row says since when it has had no
 * contact. The first good answer clears the notice; no reload is needed.
 * The clock and the elapsed time tick here, on the server's time. */
(function () {
  "use strict";

  var FAIL_LIMIT = 2;
  var failures = 0;
  var offset = 0; // server clock minus this browser's clock, in ms
  var lastContact = null;

  function panel() { return document.querySelector("[data-panel]"); }
  // Where the server's time and zone are read: the panel (each poll brings it
  // afresh), or on a page without one (a room's day) the page itself.
  function timeSource() { return panel() || document.body; }

  function serverNow() { return new Date(Date.now() + offset); }

  function formatTime(date) {
    var p = timeSource();
    var lang = document.documentElement.lang === "en" ? "en-GB" : "sv-SE";
    var options = { hour: "2-digit", minute: "2-digit" };
    if (p && p.getAttribute("data-tz")) { options.timeZone = p.getAttribute("data-tz"); }
    options.hourCycle = "h23";
    // Hours and minutes joined the way the server writes times (i18n.TIME_PATTERNS):
    // "11.01" in Swedish, "11:01" in English, whatever the browser's locale data says.
    var parts = {};
    new Intl.DateTimeFormat(lang, options).formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    var sep = document.body.getAttribute("data-time-separator") || ":";
    return parts.hour + sep + parts.minute;
  }

  function syncWithServer() {
    var p = timeSource();
    var stamp = p && Number(p.getAttribute("data-server-now"));
    if (stamp) { offset = stamp - Date.now(); }
    lastContact = serverNow();
  }

  function tick() {
    var now = serverNow();
    document.querySelectorAll("[data-clock]").forEach(function (el) {
      var text = formatTime(now);
      if (el.textContent !== text) { el.textContent = text; }
    });
    // An offer that lasts a few seconds (the board's undo of a check-in) goes
    // when the server would refuse it; the focus it held moves to its heading.
    document.querySelectorAll("[data-hide-at]").forEach(function (el) {
      if (el.hidden || now.getTime() < Number(el.getAttribute("data-hide-at"))) { return; }
      var hadFocus = el.contains(document.activeElement);
      el.hidden = true;
      var next = hadFocus && document.getElementById(el.getAttribute("data-focus-after"));
      if (next) { next.focus(); }
    });
    document.querySelectorAll("[data-elapsed-since]").forEach(function (el) {
      var since = Number(el.getAttribute("data-elapsed-since"));
      var minutes = Math.max(0, Math.floor((now.getTime() - since) / 60000));
      var text = el.getAttribute("data-template").replace("[minutes]", String(minutes));
      if (el.textContent !== text) { el.textContent = text; }
    });
  }

  function isPoll(evt) {
    var elt = evt.detail && evt.detail.elt;
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-panel"));
  }

  /* An action (a tick, a button) that did not reach the server - no network, a
   * timeout, a proxy's error page instead of our answer - is shown as not saved:
   * the panel keeps the state it had, the control used is marked, and the words
   * say nothing changed. All of it goes when the server answers again. */
  function showUnsaved(xhr) {
    var box = document.getElementById("messages");
    var text = document.body.getAttribute("data-network-error");
    if (box && text && !box.querySelector(".error-message")) { window.kiosk.showError(box, text); }
    if (box) { box.setAttribute("data-unsaved", ""); }
    var control = xhr && xhr.kioskControl && document.getElementById(xhr.kioskControl);
    if (control) { control.classList.add("is-unsaved"); }
  }

  function clearUnsaved() {
    var box = document.getElementById("messages");
    if (box && box.hasAttribute("data-unsaved")) { box.textContent = ""; box.removeAttribute("data-unsaved"); }
    document.querySelectorAll(".is-unsaved").forEach(function (el) { el.classList.remove("is-unsaved"); });
  }

  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (evt) {
      var xhr = evt.detail && evt.detail.xhr;
      if (xhr && xhr.kioskAction) { showUnsaved(xhr); }
    });
  });

  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    // Our own refusals (X-Kiosk-Error) say what was wrong themselves.
    if (xhr && xhr.kioskAction && !xhr.getResponseHeader("X-Kiosk-Error")) { showUnsaved(xhr); }
  });

  document.addEventListener("htmx:afterOnLoad", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && xhr.kioskAction && xhr.status >= 200 && xhr.status < 300) { clearUnsaved(); }
  });

  function contact() {
    clearUnsaved();
    failures = 0;
    lastContact = serverNow();
    remember();
    document.body.removeAttribute("data-offline-copy");
    var notice = document.getElementById("offline-notice");
    if (notice && !notice.hidden) { notice.hidden = true; notice.textContent = ""; }
    document.body.classList.remove("is-offline");
  }

  function failure() {
    failures += 1;
    if (failures < FAIL_LIMIT) { return; }
    var notice = document.getElementById("offline-notice");
    if (!notice) { return; }
    var text = notice.getAttribute("data-template").replace("[time]", formatTime(lastContact || serverNow()));
    if (notice.textContent !== text) { notice.textContent = text; }
    notice.hidden = false;
    document.body.classList.add("is-offline");
  }

  /* A poll and an action (a tick, a button) of the same panel never race: while
   * an action is on its way no poll is sent, and a poll answer that set out
   * before an action is dropped (it shows the room as it was). Nothing is
   * aborted, so no request fails on purpose. */
  var actionsInFlight = 0;
  var actionSeq = 0;

  function isPanelAction(evt) {
    var elt = evt.detail && evt.detail.elt;
    return !!(elt && elt.closest && !elt.hasAttribute("data-panel") && elt.closest("[data-panel]"));
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var xhr = evt.detail.xhr;
    if (isPoll(evt)) {
      if (actionsInFlight > 0) { evt.preventDefault(); return; }
      xhr.kioskActionSeq = actionSeq;
    } else if (isPanelAction(evt)) {
      actionsInFlight += 1;
      actionSeq += 1;
      xhr.kioskAction = true;
      var active = document.activeElement;
      xhr.kioskControl = active && active.id ? active.id : null;
    }
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (xhr && xhr.kioskAction && !xhr.kioskCounted) {
      xhr.kioskCounted = true; // htmx may tell twice (the form, then a live ancestor)
      actionsInFlight = Math.max(0, actionsInFlight - 1);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (!isPoll(evt)) { return; }
    var xhr = evt.detail.xhr;
    if (xhr.kioskActionSeq !== undefined && xhr.kioskActionSeq !== actionSeq && xhr.getResponseHeader("X-Kiosk-Fragment")) {
      contact();
      evt.detail.shouldSwap = false; // overtaken by an action: its own answer shows the room
      return;
    }
    var kind = xhr.getResponseHeader("X-Kiosk-Fragment");
    // A revoked tablet is told to reload by the server (HX-Refresh): htmx does it.
    if ((xhr.status === 200 || xhr.status === 204) && kind) {
      contact();
      return; // 200 swaps the new panel in; 204 swaps nothing
    }
    evt.detail.shouldSwap = false;
    evt.detail.isError = false;
    failure();
  });

  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (evt) { if (isPoll(evt)) { failure(); } });
  });

  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail && evt.detail.elt && evt.detail.elt.hasAttribute && evt.detail.elt.hasAttribute("data-panel")) {
      syncWithServer();
      tick();
    }
  });

  /* Focus after a swap. htmx gives the focus back to the element with the same
   * id (every control of a panel keeps its id across swaps); the panels swap
   * with settle:0ms, so a swapped-in form is live at once and an Enter right
   * after a swap never posts natively (a reload that dropped the focus). When
   * the control that had the focus is gone (the state changed, by this panel
   * or by a poll), the new state's heading takes it - only if the focus was in
   * the panel, so a poll never pulls the focus from elsewhere. */
  // The same for every swap on a kiosk page (a checklist item swapped on its own, say).
  if (window.htmx) { window.htmx.config.defaultSettleDelay = 0; }
  var focusInPanel = false;
  var focusedId = null;
  var openDetails = [];
  document.addEventListener("htmx:beforeSwap", function () {
    var p = panel();
    var active = document.activeElement;
    focusInPanel = !!(p && active && active !== document.body && p.contains(active));
    focusedId = focusInPanel && active.id ? active.id : null;
    // A folded part the user opened (the door's staff controls, "end the
    // meeting?") stays open across a swap of the same state.
    openDetails = p ? Array.prototype.map.call(p.querySelectorAll("details[open][id]"), function (d) { return d.id; }) : [];
  });

  document.addEventListener("htmx:afterSettle", function () {
    openDetails.forEach(function (id) {
      var details = document.getElementById(id);
      if (details && details.tagName === "DETAILS") { details.open = true; }
    });
    openDetails = [];
    if (!focusInPanel) { return; }
    focusInPanel = false;
    var active = document.activeElement;
    if (active && active !== document.body && document.body.contains(active)) { return; }
    var again = focusedId && document.getElementById(focusedId);
    if (again) { again.focus(); }
    if (again && document.activeElement === again) { return; }
    var heading = document.querySelector("[data-panel] h1[tabindex]");
    if (heading) { heading.focus(); }
  });

  /* A guide opened from the door returns to the door sign by itself after a
   * while without a touch (data-idle-return, data-idle-seconds): a door tablet
   * never stays on anything but its panel. */
  function setUpIdleReturn() {
    var holder = document.querySelector("[data-idle-return]");
    if (!holder) { return; }
    var url = holder.getAttribute("data-idle-return");
    var seconds = Number(holder.getAttribute("data-idle-seconds")) || 90;
    var timer = null;
    function arm() {
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { window.location.assign(url); }, seconds * 1000);
    }
    ["pointerdown", "keydown", "input", "wheel", "touchstart"].forEach(function (name) {
      document.addEventListener(name, arm, { passive: true });
    });
    arm();
  }

  // A page the service worker served from its copy (the server could not be
  // reached) says at once since when there is no contact, and its clock runs on.
  var CONTACT_KEY = "kiosk-last-contact";
  function remember() {
    try { window.localStorage.setItem(CONTACT_KEY, JSON.stringify({ at: lastContact.getTime(), offset: offset })); } catch (e) { /* private mode */ }
  }
  function startFromCopy() {
    syncWithServer(); // the copy's own time: the last contact, unless a later one is remembered
    offset = 0;
    try {
      var kept = JSON.parse(window.localStorage.getItem(CONTACT_KEY) || "null");
      if (kept && kept.at > lastContact.getTime()) { lastContact = new Date(kept.at); }
      if (kept && typeof kept.offset === "number") { offset = kept.offset; }
    } catch (e) { /* nothing remembered */ }
    failures = FAIL_LIMIT - 1;
    failure();
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.hasAttribute("data-offline-copy")) { startFromCopy(); } else { syncWithServer(); remember(); }
    tick();
    window.setInterval(tick, 1000);
    setUpIdleReturn();
  });
})();
