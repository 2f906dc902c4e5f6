/* Guides: the no-show countdown, focus after the panel changes, copy buttons.
 *
 * The server decides when the minutes are up; this only shows the seconds
 * going down between polls (from the server's data-seconds-left) and, at
 * zero, asks the server at once instead of waiting for the next poll. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Minutes and seconds as the server writes them (i18n.countdown): "3.40" in
   * Swedish, "3:40" in English, the separator of a time of day. */
  function countdownText(left) {
    var separator = document.body.getAttribute("data-time-separator") || ":";
    return Math.floor(left / 60) + separator + pad(left % 60);
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (!el.hasAttribute("data-deadline")) {
        var seconds = parseInt(el.getAttribute("data-seconds-left"), 10) || 0;
        el.setAttribute("data-deadline", String(now + seconds * 1000));
      }
      var left = Math.max(0, Math.ceil((parseInt(el.getAttribute("data-deadline"), 10) - now) / 1000));
      el.textContent = countdownText(left);
      if (left === 0 && !el.hasAttribute("data-asked")) {
        el.setAttribute("data-asked", "");
        el.dispatchEvent(new CustomEvent("countdown-done", { bubbles: true }));
      }
    });
  }
  setInterval(tick, 1000);

  /* When the panel is replaced, the button that was pressed is gone: put
   * focus on the panel's heading (unless the user is busy elsewhere). */
  document.addEventListener("htmx:afterSettle", function () {
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) { return; }
    var heading = document.querySelector("#no-show-panel .panel-heading");
    if (heading) { heading.focus(); }
  });

  /* Copy buttons (kiosk.js copies) are useful only with a clipboard. */
  function revealCopyButtons(root) {
    if (!navigator.clipboard || !root.querySelectorAll) { return; }
    root.querySelectorAll("[data-copy-target][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("htmx:load", function (evt) { revealCopyButtons(evt.target); });
  revealCopyButtons(document);
})();
