/* Vårdmöteskiosk: behaviour every page shares. No eval, no inline script.
 *
 * Error answers: htmx does not swap 4xx/5xx by default. Our server marks its
 * own error messages with X-Kiosk-Error and retargets them to #messages; only
 * those are swapped, so a proxy's error page never lands inside a panel. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("X-Kiosk-Error")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

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
})();
