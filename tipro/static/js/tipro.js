// TiPro's own behaviour on top of htmx. No inline scripts anywhere: a strict CSP holds.
(function () {
  "use strict";

  // When an htmx request fails, show the server's (Norwegian) error fragment instead of
  // silently doing nothing: 4xx/5xx bodies are friendly messages rendered by the server.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 400 || status === 409) {
      // Validation errors re-render the form fragment; swap it like a success.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a refused save the message sits beside the field, often above the fold on a
  // phone (the user just tapped «Lagre» at the bottom): bring the first bad field into view.
  document.addEventListener("htmx:afterSettle", function (event) {
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status !== 422 && status !== 400 && status !== 409) { return; }
    var bad = document.querySelector("[aria-invalid='true'], .form-errors");
    if (!bad) { return; }
    bad.scrollIntoView({ block: "center" });
    if (bad.matches("input, select, textarea")) { bad.focus({ preventScroll: true }); }
  });

  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("network-status");
    if (box) { box.hidden = false; }
  });
})();
