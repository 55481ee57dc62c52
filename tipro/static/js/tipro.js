// TiPro's own behaviour on top of htmx. No inline scripts anywhere: a strict CSP holds.
(function () {
  "use strict";

  var MESSAGE_REGION = "#page-message";   // errors.MESSAGE_REGION
  var TOKEN_HEADER = "X-CSRF-Token";      // errors.CSRF_TOKEN_HEADER

  function isMessage(detail) {
    return detail.xhr && detail.xhr.getResponseHeader("HX-Retarget") === MESSAGE_REGION;
  }

  function succeeded(detail) {
    var status = detail.xhr && detail.xhr.status;
    return status >= 200 && status < 400;
  }

  // An expired form comes back with a fresh CSRF token: put it where the next request reads it
  // (the body's hx-headers and every form's hidden field), so sending the form again works.
  function renewCsrfToken(token) {
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { headers = {}; }
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    var fields = document.querySelectorAll("input[name='csrf_token']");
    for (var i = 0; i < fields.length; i++) { fields[i].value = token; }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (isMessage(event.detail)) {
      // An error page answered to htmx (errors.py): show it in the message region; the rest
      // of the page, and what the user typed, stays. Not an error swap, so no history entry.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    if (status === 422 || status === 400 || status === 409) {
      // Validation errors re-render the form fragment; swap it like a success.
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var token = xhr && xhr.getResponseHeader(TOKEN_HEADER);
    if (token) { renewCsrfToken(token); }
    if (succeeded(event.detail)) {
      var offline = document.getElementById("network-status");
      if (offline) { offline.hidden = true; }
      var config = event.detail.requestConfig;
      if (!isMessage(event.detail) && config && config.verb !== "get") {
        // A later change went through: the earlier error no longer applies.
        var box = document.querySelector(MESSAGE_REGION);
        if (box && event.detail.target !== box) { box.replaceChildren(); }
      }
    }
  });

  // After a refused save the message sits beside the field, often above the fold on a
  // phone (the user just tapped «Lagre» at the bottom): bring the first bad field into view.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (isMessage(event.detail)) {
      var box = document.querySelector(MESSAGE_REGION);
      if (box) {
        box.scrollIntoView({ block: "start" });
        box.focus({ preventScroll: true });
      }
      return;
    }
    var status = event.detail.xhr && event.detail.xhr.status;
    if (status !== 422 && status !== 400 && status !== 409) { return; }
    var bad = document.querySelector("[aria-invalid='true'], .form-errors");
    if (!bad) { return; }
    bad.scrollIntoView({ block: "center" });
    if (bad.matches("input, select, textarea")) { bad.focus({ preventScroll: true }); }
  });

  // No answer at all (offline, server gone): say so, since nothing on the page changed.
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("network-status");
    if (box) {
      box.hidden = false;
      box.scrollIntoView({ block: "nearest" });
    }
  });
})();
