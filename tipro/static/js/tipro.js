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
    // (The project control's own <select> is hidden: its search box carries the mark.)
    var bad = document.querySelector("[aria-invalid='true']:not(.combo-native), .form-errors");
    if (!bad) { return; }
    bad.scrollIntoView({ block: "center" });
    if (bad.matches("input, select, textarea")) { bad.focus({ preventScroll: true }); }
  });

  // A confirmation shows where the user is: after an action swapped part of the page, the
  // message it brought (flashes) is scrolled into view if it landed above or below the screen.
  function inView(el) {
    var r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (isMessage(event.detail) || !succeeded(event.detail)) { return; }
    var target = event.detail.target;
    // An outerHTML swap replaced the target: look in its successor (same id).
    if (target && !target.isConnected) { target = target.id ? document.getElementById(target.id) : null; }
    var flash = target && target.querySelector && target.querySelector(".flashes");
    if (flash && !inView(flash)) { flash.scrollIntoView({ block: "nearest" }); }
  });

  // A quick entry was stored (entries/_saved.html): the form stays for the next line, emptied
  // of what belongs to one entry (the date, project and activity stay).
  document.addEventListener("entry-saved", function (event) {
    var fields = event.target.querySelectorAll("textarea, input[name]:not([type=hidden]):not([type=date]), select[name^=x_]");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "checkbox") { field.checked = false; } else if (field.tagName === "SELECT") { field.selectedIndex = 0; } else { field.value = ""; }
    }
  });

  // Destructive or final actions ask first: `data-confirm` on the form holds the question.
  // Without JS the form is sent as it is (each of these has its own way back or a page before).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // No answer at all (offline, server gone): say so, since nothing on the page changed.
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("network-status");
    if (box) {
      box.hidden = false;
      box.scrollIntoView({ block: "nearest" });
    }
  });

  // ------------------------------------------------------------ the project control
  // Its search (js/combobox.js, named by the select) loads once a page has one, after the page
  // is shown: the plain <select> works meanwhile, and the first load stays light.
  function loadCombobox() {
    var select = document.querySelector("select[data-combobox]:not([data-combobox-ready])");
    if (!select) { return; }
    if (window.tiproCombobox) { window.tiproCombobox(document.body); return; }
    if (document.getElementById("tipro-combobox-js")) { return; }
    var script = document.createElement("script");
    script.id = "tipro-combobox-js";
    script.src = select.getAttribute("data-combobox");
    document.head.appendChild(script);
  }

  // After settling: htmx puts a swapped element's own attributes back when it settles.
  document.addEventListener("htmx:afterSettle", loadCombobox);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", loadCombobox);
  } else {
    loadCombobox();
  }
})();
