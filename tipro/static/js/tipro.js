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

  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("network-status");
    if (box) { box.hidden = false; }
  });
})();
