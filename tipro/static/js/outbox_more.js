// More of the outbox (loaded after js/outbox.js, on its window.TiproOutbox): the stamp clock and
// absence without network, and Background Sync. Offline, «Start klokke» starts a clock kept on
// the device («local» store, key "<user>:clock"); «Stopp» makes one entry rounded like the
// server's clock (tipro.entries.timer) and queues it. A clock started on the server and stopped
// here is queued under the entry id the server's own stop would use ("stops_timer": the sync
// then removes that clock), so it is never lost nor doubled. Absence on /fravaer is queued as
// one entry per working day, from the working days and normal hours in the offline data.
(function () {
  "use strict";

  // The clock's rule, as tipro.entries.timer.timer_hours: whole seconds, the nearest quarter
  // hour (half up), at least one quarter. Tested against the server's (tests/pwa).
  var QUARTER_SECONDS = 900;
  var MAX_HOURS = 24;
  function clockHours(startMs, stopMs) {
    var seconds = Math.trunc((stopMs - startMs) / 1000);
    var quarters = Math.floor((seconds + QUARTER_SECONDS / 2) / QUARTER_SECONDS);
    return Math.max(1, quarters) / 4;
  }

  // tipro.entries.parsing.derived_uuid: a name-based UUID (version 5, SHA-1) in the server's
  // namespace, so what is queued here gets the id the server's own form gives the same thing
  // (absence: user, type, day) and sending it twice, or once here and once online, is one entry.
  // Resolves to null without Web Crypto (a page not served over HTTPS or localhost).
  var UUID_NAMESPACE = "6f1c8a52-3d1e-4f43-9d7b-2a0e7c1b5e90";
  function derivedUuid(parts) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle || !window.TextEncoder) { return Promise.resolve(null); }
    var ns = UUID_NAMESPACE.replace(/-/g, "").match(/../g).map(function (h) { return parseInt(h, 16); });
    var name = new TextEncoder().encode(parts.map(String).join(":"));
    var bytes = new Uint8Array(ns.length + name.length);
    bytes.set(ns, 0);
    bytes.set(name, ns.length);
    return subtle.digest("SHA-1", bytes).then(function (digest) {
      var b = Array.prototype.slice.call(new Uint8Array(digest), 0, 16);
      b[6] = (b[6] & 0x0f) | 0x50;
      b[8] = (b[8] & 0x3f) | 0x80;
      var h = b.map(function (x) { return (x + 256).toString(16).slice(1); }).join("");
      return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
    }, function () { return null; });
  }
  window.TiproClock = { hours: clockHours, derivedUuid: derivedUuid };

  var O = window.TiproOutbox;
  if (!O) { return; }
  var T = O.texts;
  var SYNC_TAG = "tipro-outbox";

  function local(user, name) {
    return O.tx("local", "readonly", function (store) { return store.get(user + ":" + name); });
  }
  function putLocal(user, name, value) {
    value.key = user + ":" + name;
    return O.tx("local", "readwrite", function (store) { return store.put(value); });
  }
  function dropLocal(user, name) {
    return O.tx("local", "readwrite", function (store) { return store.delete(user + ":" + name); });
  }
  function offlineData(user) {
    return O.loadData(user).then(function (record) { return (record && record.data) || null; });
  }
  function optionText(select) {
    if (!select || select.selectedIndex < 0 || !select.value) { return ""; }
    return select.options[select.selectedIndex].textContent.trim();
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localDay(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function hhmm(d) { return pad(d.getHours()) + ":" + pad(d.getMinutes()); }
  function fill(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] !== undefined ? values[name] : all;
    });
  }
  function queued(message) {
    var offline = document.getElementById("network-status");
    if (offline) { offline.hidden = true; }
    O.say(message);
    O.refresh();
    registerSync();
    if (navigator.onLine) { O.syncSoon(1000); }
  }

  // ------------------------------------------------------------ the clock

  function startButton() {
    return document.querySelector("#entry-form button[formaction$='/klokke/start']");
  }

  // The start page's «Start klokke», put back after a clock was stopped here (a page kept while
  // a clock ran has none), and hidden while a clock runs on this device.
  function showStart(show) {
    var button = startButton();
    var form = document.getElementById("entry-form");
    var today = form && form.querySelector("input[name='from'][value='today']");
    if (!button && show && today) {
      button = O.el("button", "secondary", T.clock_start);
      button.type = "submit";
      button.setAttribute("formaction", "/klokke/start");
      var actions = form.querySelector(".entry-actions");
      if (actions) { actions.appendChild(button); }
    }
    if (button) { button.hidden = !show; }
  }

  function badge(text, onStop, onDiscard) {
    var box = O.el("div", "timer-badge");
    box.setAttribute("role", "status");
    box.setAttribute("data-pwa-clock", "");
    var dot = O.el("span", "timer-dot");
    dot.setAttribute("aria-hidden", "true");
    box.appendChild(dot);
    box.appendChild(O.el("span", "timer-text", text));
    var stop = O.el("button", "primary small", T.clock_stop);
    stop.type = "button";
    stop.addEventListener("click", onStop);
    var discard = O.el("button", "link-button", T.clock_discard);
    discard.type = "button";
    discard.addEventListener("click", onDiscard);
    [stop, discard].forEach(function (button) {
      var wrap = O.el("span", "inline-form");  // laid out as the server's badge forms
      wrap.appendChild(button);
      box.appendChild(wrap);
    });
    return box;
  }

  function clockLabel(clock) {
    return fill(T.clock_since, { time: clock.since }) + ": " +
      (clock.project || T.no_project) + (clock.activity ? " · " + clock.activity : "");
  }

  function labelsFor(data, projectId, activityId) {
    var find = function (list, id) { return (list || []).filter(function (x) { return x.id === id; })[0]; };
    var project = data && find(data.projects, projectId);
    var activity = data && find(data.activities, activityId);
    return { project: project ? project.name : "", activity: activity ? activity.name : "" };
  }

  // What shows: a clock of this device; else, offline, the server's clock from the offline data
  // when the page has none; a server clock stopped here (waiting in the queue) shows no more.
  function draw() {
    var user = O.currentUser();
    var slot = document.getElementById("timer-badge");
    if (!user) { return Promise.resolve(); }
    return Promise.all([local(user, "clock"), local(user, "stopped"), offlineData(user)]).then(function (found) {
      var mine = found[0];
      var stopped = found[1];
      var server = found[2] && found[2].timer;
      if (stopped && (!server || server.uuid !== stopped.uuid)) {
        dropLocal(user, "stopped");  // the server has taken the stop (or the clock is gone)
        stopped = null;
      }
      var serverStopped = !!(server && stopped);
      var pageBadge = slot && slot.querySelector(".timer-badge:not([data-pwa-clock])");
      if (mine) {
        if (slot) { slot.replaceChildren(badge(clockLabel(mine), stopMine, discardMine)); }
        showStart(false);
      } else if (serverStopped) {
        if (slot) { slot.replaceChildren(); }
        showStart(true);
      } else if (server && !navigator.onLine && slot && !pageBadge) {
        var labels = labelsFor(found[2], server.project_id, server.activity_id);
        var text = clockLabel({ since: server.since, project: labels.project, activity: labels.activity });
        slot.replaceChildren(badge(text, stopServer, discardServer));
        showStart(false);
      } else if (slot && slot.querySelector("[data-pwa-clock]")) {
        slot.replaceChildren();
        showStart(!server);
      }
    });
  }

  function startOffline(form) {
    var user = O.currentUser();
    var project = form.querySelector("select[name='project_id']");
    var activity = form.querySelector("select[name='activity_id']");
    var comment = form.querySelector("[name='comment']");
    if (activity && !activity.value) { O.say(T.choose_activity); return Promise.resolve(); }
    return Promise.all([local(user, "clock"), local(user, "stopped"), offlineData(user)]).then(function (found) {
      var server = found[2] && found[2].timer;
      if (found[0] || (server && !(found[1] && found[1].uuid === server.uuid))) {
        O.say(T.clock_running);
        return;
      }
      var now = new Date();
      return putLocal(user, "clock", {
        uuid: O.newUuid(),
        started_at: now.toISOString(),
        date: localDay(now),
        since: hhmm(now),
        project_id: project && project.value ? parseInt(project.value, 10) : null,
        activity_id: activity && activity.value ? parseInt(activity.value, 10) : null,
        comment: comment ? comment.value.trim() : "",
        project: optionText(project),
        activity: optionText(activity)
      }).then(function () {
        if (comment) { comment.value = ""; }
        O.say(T.clock_started);
        return draw();
      });
    });
  }

  // The entry of a stopped clock; the times only when the rounded end stays on the same day.
  function clockEntry(clock, uuid) {
    var hours = clockHours(Date.parse(clock.started_at), Date.now());
    if (hours > MAX_HOURS) { return null; }
    var entry = {
      uuid: uuid, deleted: false, kind: "work", date: clock.date,
      project_id: clock.project_id, activity_id: clock.activity_id,
      hours: String(hours), comment: clock.comment || "",
      client_modified_at: new Date().toISOString()
    };
    var m = /^(\d{2}):(\d{2})$/.exec(clock.since || "");
    var end = m ? +m[1] * 60 + +m[2] + hours * 60 : 24 * 60;
    if (end < 24 * 60) {
      entry.start_time = clock.since;
      entry.end_time = pad(Math.floor(end / 60)) + ":" + pad(end % 60);
    }
    return entry;
  }

  function afterStop(entry) {
    var day = entry.date.split("-").reverse().slice(0, 2).map(Number).join(".") + ".";
    queued(fill(T.clock_stopped, { hours: O.fmtHours(entry.hours) + O.hoursUnit(), day: day }));
    return draw();
  }

  function stopMine() {
    var user = O.currentUser();
    return local(user, "clock").then(function (clock) {
      if (!clock) { return draw(); }
      var entry = clockEntry(clock, clock.uuid);
      if (!entry) { O.say(T.clock_too_long); return; }
      var label = { project: clock.project, activity: clock.activity };
      // Queued under the clock's own id first: stopping twice replaces, never doubles.
      return O.enqueue(user, entry, label).then(function () {
        return dropLocal(user, "clock");
      }).then(function () { return afterStop(entry); });
    });
  }

  function discardMine() {
    if (T.clock_discard_confirm && !window.confirm(T.clock_discard_confirm)) { return; }
    dropLocal(O.currentUser(), "clock").then(draw);
  }

  function stopServer() {
    var user = O.currentUser();
    return offlineData(user).then(function (data) {
      var server = data && data.timer;
      if (!server || !server.uuid) { O.say(T.clock_offline); return; }
      var entry = clockEntry(server, server.uuid);
      if (!entry) { O.say(T.clock_too_long); return; }
      entry.stops_timer = true;
      var label = labelsFor(data, server.project_id, server.activity_id);
      return O.enqueue(user, entry, label).then(function () {
        return putLocal(user, "stopped", { uuid: server.uuid });
      }).then(function () { return afterStop(entry); });
    });
  }

  function discardServer() { O.say(T.clock_offline); }

  // ------------------------------------------------------------ absence

  function addDays(day, n) {
    var d = new Date(Date.parse(day + "T00:00:00Z") + n * 86400000);
    return d.toISOString().slice(0, 10);
  }

  var MAX_ABSENCE_DAYS = 62;  // tipro.entries.absence.MAX_DAYS

  function queueAbsence(form) {
    var user = O.currentUser();
    var value = function (name) {
      var field = form.querySelector("[name='" + name + "']");
      return field ? field.value.trim() : "";
    };
    var typeId = parseInt(value("absence_type_id"), 10);
    var first = value("date");
    var last = value("end_date") || first;
    var valid = /^\d{4}-\d{2}-\d{2}$/;
    return offlineData(user).then(function (data) {
      var type = data && (data.absence_types || []).filter(function (t) { return t.id === typeId; })[0];
      var known = data && data.absence_days;
      if (!known) { O.say(T.absence_no_data); return; }
      if (!type) { O.say(T.absence_type); return; }
      if (!valid.test(first) || !valid.test(last) || last < first) { O.say(T.absence_dates); return; }
      var span = Math.round((Date.parse(last) - Date.parse(first)) / 86400000);
      if (span >= MAX_ABSENCE_DAYS) { O.say(fill(T.absence_too_long, { n: MAX_ABSENCE_DAYS })); return; }
      var keys = Object.keys(known).sort();
      if (!keys.length || first < keys[0] || last > keys[keys.length - 1]) {
        O.say(fill(T.absence_window, { from: keys[0], to: keys[keys.length - 1] }));
        return;
      }
      var days = [];
      for (var day = first; day <= last; day = addDays(day, 1)) {
        if (known[day]) { days.push(day); }
      }
      if (!days.length) { O.say(T.absence_no_days); return; }
      // As the form: the hours typed, else the person's normal day (the first working day's).
      var hours = value("hours") || known[days[0]];
      var comment = value("comment");
      var now = new Date().toISOString();
      var label = { project: type.name, activity: "" };
      var work = Promise.resolve();
      days.forEach(function (d) {
        work = work.then(function () {
          // The id the absence form gives this day: pressed twice, or registered again online,
          // it is the same entry, not a second one.
          return derivedUuid(["absence", user, type.id, d]);
        }).then(function (uuid) {
          var entry = {
            uuid: uuid || O.newUuid(), deleted: false, kind: "absence", date: d, project_id: null,
            activity_id: type.activity_id, hours: hours, comment: comment,
            x_absence_type: String(type.id), client_modified_at: now
          };
          return O.enqueue(user, entry, label);
        });
      });
      return work.then(function () {
        ["end_date", "hours", "comment"].forEach(function (name) {
          var field = form.querySelector("[name='" + name + "']");
          if (field) { field.value = ""; }
        });
        queued(fill(T.absence_queued, { n: days.length }));
      });
    });
  }

  // ------------------------------------------------------------ the forms, offline

  function isPath(url, path) {
    try { return new URL(url, window.location.href).pathname === path; } catch (e) { return false; }
  }

  // What a form does offline here: start or stop the clock, or queue absence (else: nothing).
  function offlineAction(form, submitter, action) {
    var target = action || (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    if (!O.currentUser() || !target) { return null; }
    if (isPath(target, "/klokke/start")) { return function () { return startOffline(form); }; }
    if (isPath(target, "/klokke/stopp")) { return stopServer; }
    if (isPath(target, "/klokke/forkast")) { return discardServer; }
    if (form.id === "absence-form") { return function () { return queueAbsence(form); }; }
    return null;
  }

  document.addEventListener("submit", function (event) {
    if (navigator.onLine) { return; }
    var act = offlineAction(event.target, event.submitter);
    if (!act) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    act();
  }, true);

  // Online, but no answer came: the same as offline.
  document.addEventListener("htmx:sendError", function (event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.form);
    var config = detail.requestConfig || {};
    if (!form || config.verb !== "post") { return; }
    var act = offlineAction(form, config.triggeringEvent && config.triggeringEvent.submitter, config.path);
    if (act) { act(); }
  });

  // ------------------------------------------------------------ Background Sync

  // The service worker sends the queue itself when no page is open (sw.js): it needs the
  // API's URLs, kept with the user's other local state. It takes a fresh CSRF token from the
  // user's offline data, which also proves the session is still theirs.
  function keepUrls() {
    var user = O.currentUser();
    if (!user) { return Promise.resolve(); }
    return putLocal(user, "sync", { sync: O.meta("tipro-sync"), data: O.meta("tipro-data") });
  }

  function registerSync() {
    if (!("serviceWorker" in navigator) || !window.SyncManager) { return; }
    keepUrls().then(function () { return navigator.serviceWorker.ready; }).then(function (registration) {
      return registration.sync && registration.sync.register(SYNC_TAG);
    }).catch(function () {});
  }

  // Whenever the pending counter shows (outbox.js draws it), a sync is asked for.
  var pendingSeen = false;
  function watchPending() {
    var now = !!document.getElementById("pwa-pending");
    if (now && !pendingSeen) { registerSync(); }
    pendingSeen = now;
  }
  new MutationObserver(watchPending).observe(document.documentElement, { childList: true, subtree: true });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "tipro-sync" || !O.currentUser()) { return; }
      if (event.ports && event.ports[0]) { event.ports[0].postMessage("syncing"); }
      O.syncNow();
    });
    navigator.serviceWorker.startMessages();
  }

  // ------------------------------------------------------------ when to draw

  document.addEventListener("htmx:afterSettle", function () { draw(); });
  window.addEventListener("online", function () { draw(); });
  window.addEventListener("offline", function () { draw(); });

  function start() {
    if (!O.currentUser()) { return; }
    draw();
    keepUrls();
    watchPending();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
