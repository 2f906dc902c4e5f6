/* Vårdmöteskiosk admin: the session-expiry warning (WCAG 2.2.1).
 *
 * The page carries its session's deadlines (#session-timer). Shortly before
 * the first of them (ADMIN_WARN_SECONDS, at least 20 s) the page asks the
 * server where the session really stands (/admin/session/poll: a poll, which
 * never extends it - another tab may have done something), and if it is still
 * about to end, shows a dialog with a countdown and one button that extends
 * it (POST /admin/session/extend). After the deadline it says the login has
 * ended and offers to log in again. No inline script, no eval. */
(function () {
  "use strict";

  var timer = document.getElementById("session-timer");
  var dialog = document.getElementById("session-warning");
  if (!timer || !dialog) { return; }

  var text = document.getElementById("session-warning-text");
  var button = document.getElementById("session-continue");
  var login = document.getElementById("session-login");
  var statusUrl = timer.getAttribute("data-status-url");
  var extendUrl = timer.getAttribute("data-extend-url");
  var warnMs = Number(timer.getAttribute("data-warn"));
  // The server's clock may differ from the browser's: keep the difference.
  var skew = Number(timer.getAttribute("data-server-now")) - Date.now();
  var idle = Number(timer.getAttribute("data-idle"));
  var absolute = Number(timer.getAttribute("data-absolute"));
  var checking = false;
  var ended = false;
  var returnFocus = null;

  function serverNow() { return Date.now() + skew; }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("data-hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function apply(state) {
    if (!state || !state.active) { showEnded(); return; }
    skew = state.now - Date.now();
    idle = state.idle;
    absolute = state.absolute;
    warnMs = state.warn || warnMs;
  }

  function request(method, url) {
    var headers = { "Accept": "application/json" };
    if (method === "POST") { headers["X-CSRFToken"] = csrfToken(); }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      });
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((Math.min(idle, absolute) - serverNow()) / 1000));
  }

  function show() {
    var left = secondsLeft();
    var key = absolute <= idle ? "data-absolute-text" : "data-idle-text";
    text.textContent = text.getAttribute(key).replace("[seconds]", String(left));
    button.hidden = absolute <= idle;  // the 12-hour limit cannot be extended
    login.hidden = !button.hidden;
    if (dialog.hidden) {
      returnFocus = document.activeElement;
      dialog.hidden = false;
      (button.hidden ? login : button).focus();
    }
  }

  function hide() {
    dialog.hidden = true;
    if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
    returnFocus = null;
  }

  function showEnded() {
    ended = true;
    text.textContent = text.getAttribute("data-ended-text");
    button.hidden = true;
    login.hidden = false;
    if (dialog.hidden) {
      dialog.hidden = false;
      login.focus();
    }
  }

  function tick() {
    if (ended || checking) { return; }
    var left = Math.min(idle, absolute) - serverNow();
    if (left > warnMs) {
      if (!dialog.hidden) { hide(); }
      return;
    }
    if (dialog.hidden) {
      // About to end: ask the server first (another tab may have extended it).
      checking = true;
      request("GET", statusUrl).then(function (state) {
        checking = false;
        apply(state);
        if (!ended && Math.min(idle, absolute) - serverNow() <= warnMs) { show(); }
      }, function () {
        checking = false;
        show();  // no answer: warn anyway, from what the page knows
      });
      return;
    }
    if (left <= 0) {
      checking = true;
      request("GET", statusUrl).then(function (state) {
        checking = false;
        apply(state);
        if (!ended) { show(); }
      }, function () { checking = false; showEnded(); });
      return;
    }
    show();  // update the countdown
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    request("POST", extendUrl).then(function (state) {
      button.disabled = false;
      apply(state);
      if (!ended) { hide(); }
    }, function () {
      button.disabled = false;
    });
  });

  window.setInterval(tick, 1000);
})();
