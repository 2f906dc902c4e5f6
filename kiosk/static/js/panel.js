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

  function serverNow() { return new Date(Date.now() + offset); }

  function formatTime(date) {
    var p = panel();
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
    var p = panel();
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

  function contact() {
    failures = 0;
    lastContact = serverNow();
    remember(); // issue 15
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

  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (!isPoll(evt)) { return; }
    var xhr = evt.detail.xhr;
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

  // issue 15: a page the service worker served from its copy (the server could not be
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
  });
})();
