// The offline app, first part (every page, kept small): the service worker (installed, new
// versions announced, not swapped), «Installer», and loading the outbox (js/outbox.js) once a
// user is logged in — after the page is shown, so the first load stays light; the service
// worker keeps both files for opening without network.
(function () {
  "use strict";

  function meta(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute("content") : null;
  }

  function parsed(text) {
    try { return JSON.parse(text || "{}"); } catch (e) { return {}; }
  }

  var SHELL_TEXTS = parsed(meta("tipro-shell-texts"));

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // ------------------------------------------------------------ service worker, install

  var installPrompt = null;

  function announceUpdate(registration) {
    if (document.getElementById("pwa-update")) { return; }
    var bar = el("div", "pwa-update");
    bar.id = "pwa-update";
    bar.setAttribute("role", "status");
    var button = el("button", "primary small", SHELL_TEXTS.update);
    button.type = "button";
    button.addEventListener("click", function () {
      if (registration.waiting) {
        registration.waiting.postMessage({ type: "skip-waiting" });
      } else {
        window.location.reload();
      }
    });
    bar.appendChild(button);
    document.body.insertBefore(bar, document.body.firstChild);
  }

  function watchUpdates(registration) {
    if (registration.waiting && navigator.serviceWorker.controller) { announceUpdate(registration); }
    registration.addEventListener("updatefound", function () {
      var worker = registration.installing;
      if (!worker) { return; }
      worker.addEventListener("statechange", function () {
        // The first install takes over at once; a new version waits to be asked.
        if (worker.state === "installed" && navigator.serviceWorker.controller) {
          announceUpdate(registration);
        }
      });
    });
  }

  if ("serviceWorker" in navigator) {
    var hadController = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(watchUpdates, function () {});
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (hadController) { window.location.reload(); }
      hadController = true;
    });
  }

  function showInstall() {
    var bar = document.querySelector(".topbar");
    if (!bar || !installPrompt || document.getElementById("pwa-install")) { return; }
    var button = el("button", "small pwa-install", SHELL_TEXTS.install);
    button.id = "pwa-install";
    button.type = "button";
    button.addEventListener("click", function () {
      var prompt = installPrompt;
      installPrompt = null;
      button.remove();
      if (prompt) { prompt.prompt(); }
    });
    bar.appendChild(button);
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    installPrompt = event;
    showInstall();
  });

  function iosHint() {
    var ios = /iphone|ipad|ipod/i.test(navigator.userAgent);
    if (!ios || window.navigator.standalone || document.getElementById("pwa-ios")) { return; }
    var bar = document.querySelector(".topbar");
    if (!bar) { return; }
    var hint = el("p", "pwa-ios muted", SHELL_TEXTS.ios);
    hint.id = "pwa-ios";
    bar.insertAdjacentElement("afterend", hint);
  }

  // The outbox works for a logged-in user (the log-out form names them); a boosted log-in
  // swaps the body only, so this is checked again after every swap.
  function loadOutbox() {
    var list = meta("tipro-outbox");
    if (!list || window.tiproOutbox || !document.querySelector("form[data-tipro-user]")) { return; }
    window.tiproOutbox = true;
    list.split(" ").forEach(function (src) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false;  // in the listed order: the texts before the outbox
      document.head.appendChild(script);
    });
  }

  function start() {
    iosHint();
    showInstall();
    loadOutbox();
  }

  document.addEventListener("htmx:afterSettle", function () {
    showInstall();
    loadOutbox();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
