/* Vårdmöteskiosk: behaviour every page shares. No eval, no inline script.
 *
 * Error answers: htmx does not swap 4xx/5xx by default. Our server marks its
 * own error messages with X-Kiosk-Error and retargets them to #messages; only
 * those are swapped, so a proxy's error page never lands inside a panel. */
(function () {
  "use strict";

  function isPanelPoll(evt) {
    var elt = evt.detail && evt.detail.elt;
    return !!(elt && elt.hasAttribute && elt.hasAttribute("data-panel"));
  }

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (isPanelPoll(evt)) { return; } // panel.js decides for polls
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Kiosk-Error")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    } else if (xhr.status >= 200 && xhr.status < 300) {
      clearMessages();
    }
  });

  function clearMessages() {
    var box = document.getElementById("messages");
    if (box && box.firstChild) { box.textContent = ""; }
  }

  /* A button that could not reach the server says so, in the page's language. */
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (evt) {
      if (isPanelPoll(evt)) { return; }
      var box = document.getElementById("messages");
      var text = document.body.getAttribute("data-network-error");
      if (!box || !text) { return; }
      showError(box, text);
    });
  });

  /* An error message, the one alert in box (the page's #messages); panel.js,
   * loaded after this file on every panel page, shows its own with it too. */
  function showError(box, text) {
    var div = document.createElement("div");
    div.className = "error-message";
    div.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    div.appendChild(p);
    box.textContent = "";
    box.appendChild(div);
  }
  window.kiosk = { showError: showError };

  /* Copy buttons: <button data-copy-target="ID"> copies that element's text. */
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    if (!source || !navigator.clipboard) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    navigator.clipboard.writeText(text.trim()).then(function () {
      var done = button.getAttribute("data-copied-label");
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      if (status && done) { status.textContent = done; }
    });
  });
  /* The staff menu folds behind one button on narrow screens (WCAG 1.4.10);
   * the CSS folds it before this script runs, which only opens and closes it. */
  function setUpMenu() {
    var button = document.querySelector(".site-header .menu-toggle");
    if (!button) { return; }
    var header = button.closest(".site-header");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    });
    document.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape" && header.classList.contains("menu-open")) {
        button.setAttribute("aria-expanded", "false");
        header.classList.remove("menu-open");
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpMenu);
  } else {
    setUpMenu();
  }
})();
