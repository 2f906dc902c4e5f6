/* A door or board that starts without the server.
 *
 * Registers our service worker (/sw.js, kiosk/static/sw.js) on a paired
 * tablet's door or board, and tells it what to keep: this page (fetched again
 * by the worker, so it keeps the server's answer, never the page as scripts
 * changed it) and the files the page needs (its shell). After every new panel
 * the kept page is refreshed, so a reload while the server is down shows the
 * last known state; panel.js then says since when there is no contact. */
(function () {
  "use strict";

  if (!("serviceWorker" in navigator)) { return; }
  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-worker");
  if (!workerUrl) { return; }

  function shell() {
    var urls = [];
    document.querySelectorAll("script[src], link[rel~='stylesheet'], link[rel~='icon'], link[rel='apple-touch-icon']")
      .forEach(function (el) { urls.push(el.src || el.href); });
    return urls;
  }

  function keep() {
    if (document.body.hasAttribute("data-offline-copy")) { return; } // a copy: nothing new to keep
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) {
        registration.active.postMessage({ type: "keep", page: window.location.href, shell: shell() });
      }
    });
  }

  navigator.serviceWorker.register(workerUrl, { scope: "/" }).then(keep, function () { /* no worker: no offline start */ });

  document.addEventListener("htmx:afterSettle", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("data-panel")) { return; }
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status === 200) {
      document.body.removeAttribute("data-offline-copy");
      keep();
    }
  });
})();
