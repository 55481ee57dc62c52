// The outbox (loaded by js/offline.js for a logged-in user): hours saved without network wait
// in IndexedDB, per user, until POST /api/v1/entries/sync (tipro.pwa.routes) has taken them,
// in the order they were made. The forms stay ordinary forms: this only steps in when the
// network does not answer.
(function () {
  "use strict";

  function meta(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute("content") : null;
  }

  function parsed(text) {
    try { return JSON.parse(text || "{}"); } catch (e) { return {}; }
  }

  var TEXTS = self.TIPRO_TEXTS || {};
  var SYNC_URL = meta("tipro-sync");
  var DATA_URL = meta("tipro-data");
  var MAX_BATCH = 500;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // ------------------------------------------------------------ whose page this is

  // The log-out form names the user (a boosted page swaps <body>, not <head>).
  function currentUser() {
    var form = document.querySelector("form[data-tipro-user]");
    return form ? form.getAttribute("data-tipro-user") : null;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) { return ""; }
  }

  function renewCsrf(token) {
    var headers = parsed(document.body.getAttribute("hx-headers"));
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
    var fields = document.querySelectorAll("input[name='csrf_token']");
    for (var i = 0; i < fields.length; i++) { fields[i].value = token; }
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------ IndexedDB

  // outbox: one row per queued change, keyed by an increasing sequence (the order they were
  // made; a UUID key would sort them by UUID); data: the user's offline data with its ETag.
  var dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("tipro", 2);
        request.onupgradeneeded = function (event) {
          var db = request.result;
          if (event.oldVersion < 1) {
            var outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
            outbox.createIndex("user", "user");
            db.createObjectStore("data", { keyPath: "user" });
          }
          if (event.oldVersion < 2) {
            // Per-user state of the outbox's modules (the offline clock): key "<user>:<name>".
            db.createObjectStore("local", { keyPath: "key" });
          }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(storeName, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(storeName, mode);
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
        result = work(t.objectStore(storeName));
        if (result && "onsuccess" in result) {
          var req = result;
          req.onsuccess = function () { result = req.result; };
        }
      });
    });
  }

  function queued(user) {
    return tx("outbox", "readonly", function (store) {
      return store.index("user").getAll(user);
    }).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  // A change of an entry already waiting replaces it in its place (the newest content wins).
  function enqueue(user, entry, label) {
    return queued(user).then(function (rows) {
      var same = rows.filter(function (r) { return r.entry.uuid === entry.uuid; })[0];
      return tx("outbox", "readwrite", function (store) {
        var row = same || { user: user };
        row.entry = entry;
        row.label = label;
        row.status = "pending";
        row.errors = {};
        return store.put(row);
      });
    });
  }

  function removeRows(seqs) {
    return tx("outbox", "readwrite", function (store) {
      seqs.forEach(function (seq) { store.delete(seq); });
    });
  }

  function updateRows(rows) {
    return tx("outbox", "readwrite", function (store) {
      rows.forEach(function (row) { store.put(row); });
    });
  }

  // After a send: an answered row leaves the queue (accepted) or stays with its reasons
  // (rejected) only if it still holds what was sent. A change made while the request was out
  // replaced the row's entry in place (enqueue): that newer version waits for the next send.
  function settleRows(accepted, rejected) {
    var sent = function (row, settle) {
      return function (store) {
        var now = store.get(row.seq);
        now.onsuccess = function () {
          if (now.result && JSON.stringify(now.result.entry) === JSON.stringify(row.entry)) {
            settle(store);
          }
        };
      };
    };
    return tx("outbox", "readwrite", function (store) {
      accepted.forEach(function (row) { sent(row, function (s) { s.delete(row.seq); })(store); });
      rejected.forEach(function (row) { sent(row, function (s) { s.put(row); })(store); });
    });
  }

  function loadData(user) {
    return tx("data", "readonly", function (store) { return store.get(user); });
  }

  function saveData(record) {
    return tx("data", "readwrite", function (store) { return store.put(record); });
  }

  // ------------------------------------------------------------ offline data

  function refreshData(user) {
    if (!DATA_URL) { return Promise.resolve(null); }
    return loadData(user).then(function (old) {
      var headers = {};
      if (old && old.etag) { headers["If-None-Match"] = old.etag; }
      return fetch(DATA_URL, { credentials: "same-origin", headers: headers, redirect: "manual" })
        .then(function (response) {
          var token = response.headers.get("X-CSRF-Token");
          if (token) { renewCsrf(token); }
          if (response.status === 304 && old) { return old; }
          if (!response.ok) { return old || null; }
          return response.json().then(function (data) {
            var record = { user: user, etag: response.headers.get("ETag"), data: data };
            return saveData(record).then(function () { return record; });
          });
        }, function () { return old || null; });
    });
  }

  // ------------------------------------------------------------ what the user sees

  // Hours as the page's language writes them: 7,5 t in Norwegian, 7.5 h in English.
  function english() { return document.documentElement.lang === "en"; }
  function fmtHours(text) {
    var value = String(text || "");
    return english() ? value.replace(",", ".") : value.replace(".", ",");
  }
  function hoursUnit() { return english() ? " h" : " t"; }

  function rowLine(row) {
    var e = row.entry;
    var parts = [e.date];
    if (e.deleted) {
      parts.push("–");
    } else {
      parts.push(fmtHours(e.hours) + hoursUnit());
    }
    parts.push(row.label && row.label.project ? row.label.project : TEXTS.no_project);
    if (row.label && row.label.activity) { parts.push(row.label.activity); }
    return parts.join(" · ");
  }

  function renderCounter(rows) {
    var bar = document.querySelector(".topbar");
    if (!bar) { return; }
    var counter = document.getElementById("pwa-pending");
    if (!rows.length) {
      if (counter) { counter.remove(); }
      return;
    }
    if (!counter) {
      counter = el("a", "pwa-pending");
      counter.id = "pwa-pending";
      counter.href = "/#pwa-outbox";
      counter.setAttribute("role", "status");
      bar.appendChild(counter);
    }
    counter.textContent = (TEXTS.counter || "{n}").replace("{n}", rows.length);
    counter.classList.toggle("has-rejected", rows.some(function (r) { return r.status === "rejected"; }));
  }

  function outboxPlace() {
    var list = document.getElementById("list-heading");
    if (list && list.closest("section")) { return { before: list.closest("section") }; }
    var grid = document.getElementById("week-grid");
    if (grid) { return { after: grid }; }
    // The absence page: what it queued offline, and a refused day to fix, below its form.
    var absence = document.getElementById("absence-form");
    if (absence) { return { after: absence }; }
    return null;
  }

  function button(text, className, onClick) {
    var b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  var formCount = 0;

  // A labelled field of the small forms below: [wrapper, control].
  function field(label, control) {
    var id = "pwa-f" + (++formCount);
    control.id = id;
    var wrap = el("div", "field");
    var tag = el("label", null, label);
    tag.htmlFor = id;
    wrap.appendChild(tag);
    wrap.appendChild(control);
    return wrap;
  }

  function input(name, value, type) {
    var node = el("input");
    node.type = type || "text";
    node.name = name;
    node.value = value === undefined || value === null ? "" : String(value);
    node.autocomplete = "off";
    return node;
  }

  // One form open at a time in the list, under its row; Escape or «Avbryt» closes it.
  function openForm(item, form) {
    var open = document.querySelectorAll("#pwa-outbox .pwa-fix");
    for (var i = 0; i < open.length; i++) { open[i].remove(); }
    form.classList.add("pwa-reason", "pwa-fix");
    form.setAttribute("hx-boost", "false");
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { form.remove(); }
    });
    form.appendChild(button(TEXTS.cancel, "small", function () { form.remove(); }));
    item.appendChild(form);
    var first = form.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  // What a rejected row offers: fix or move it («Rett»), send it again, send it to the
  // approver as a change request (its period was handed in or approved meanwhile), delete it.
  function rejectedActions(row, item) {
    if (!row.entry.deleted) {
      item.appendChild(button(TEXTS.fix, "small", function () { openFix(row, item); }));
    }
    item.appendChild(button(TEXTS.retry, "small", function () {
      row.status = "pending";
      row.errors = {};
      updateRows([row]).then(refresh).then(function () { syncSoon(0); });
    }));
    if (row.code === "period_locked") {
      item.appendChild(button(TEXTS.cr_button, "small", function () { openChangeRequest(row, item); }));
    }
    item.appendChild(button(TEXTS.delete, "small danger", function () {
      // Dropping hours that never reached the server loses them: ask first.
      if (TEXTS.drop && !window.confirm(TEXTS.drop)) { return; }
      removeRows([row.seq]).then(refresh);
    }));
  }

  function fillSelect(select, options, chosen) {
    select.replaceChildren.apply(select, options);
    if (chosen !== undefined && chosen !== null &&
        select.querySelector("option[value='" + String(chosen) + "']")) {
      select.value = String(chosen);
    }
  }

  // An absence day queued offline has the id the server's absence form derives from (user,
  // type, day). Moved to another day it takes that day's id: registering either day again
  // online then updates the one entry, instead of adding a second on the new day or moving
  // this one back. Any other entry keeps its id (a move is an edit of the same entry).
  function movedAbsenceId(before, after) {
    var derive = window.TiproClock && window.TiproClock.derivedUuid;
    var type = after.x_absence_type;
    if (after.kind !== "absence" || !type || after.date === before.date || !derive) {
      return Promise.resolve(after.uuid);
    }
    var user = currentUser();
    return derive(["absence", user, type, before.date]).then(function (old) {
      if (old !== before.uuid) { return after.uuid; }
      return derive(["absence", user, type, after.date]).then(function (id) {
        return id || after.uuid;
      });
    });
  }

  // «Rett»: the entry's fields in a small form; saving queues the same UUID again (pending,
  // newer client time), so the fix replaces what was refused, online or not.
  function openFix(row, item) {
    var e = row.entry;
    var form = el("form");
    form.setAttribute("aria-label", TEXTS.fix);
    var date = input("date", e.date, "date");
    var hours = input("hours", fmtHours(e.hours));
    hours.inputMode = "decimal";
    var comment = input("comment", e.comment);
    form.appendChild(field(TEXTS.date_label, date));
    var project = null;
    var activity = null;
    var work = (e.kind || "work") === "work";
    loadData(currentUser()).then(function (record) {
      var data = record && record.data;
      if (data && work) {
        project = el("select");
        project.name = "project_id";
        var none = new Option(TEXTS.no_project, "");
        fillSelect(project, [none].concat(data.projects.map(function (p) {
          return new Option(p.name, String(p.id));
        })), e.project_id || "");
        activity = el("select");
        activity.name = "activity_id";
        var fill = function () {
          var projectId = parseInt(project.value, 10) || null;
          var choices = allowedActivities(data, projectId, date.value || data.today);
          var options = choices.length === 1 ? [] : [new Option(TEXTS.choose_activity, "")];
          choices.forEach(function (a) { options.push(new Option(a.name, String(a.id))); });
          fillSelect(activity, options, activity.value || e.activity_id);
        };
        fill();
        project.addEventListener("change", fill);
        date.addEventListener("change", fill);
        form.appendChild(field(TEXTS.project_label, project));
        form.appendChild(field(TEXTS.activity_label, activity));
      }
      form.appendChild(field(TEXTS.hours_label, hours));
      form.appendChild(field(TEXTS.comment_label, comment));
      var save = el("button", "small primary", TEXTS.save);
      save.type = "submit";
      form.appendChild(save);
      openForm(item, form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var entry = {};
      Object.keys(e).forEach(function (k) { entry[k] = e[k]; });
      entry.date = date.value;
      var newHours = hours.value.trim();
      if (newHours !== fmtHours(e.hours)) {
        // New hours stand for themselves: from–to times would contradict them.
        ["start_time", "end_time", "break_minutes"].forEach(function (k) { delete entry[k]; });
      }
      entry.hours = newHours;
      entry.comment = comment.value;
      var label = row.label || {};
      if (project && activity) {
        entry.project_id = project.value ? parseInt(project.value, 10) : null;
        entry.activity_id = activity.value ? parseInt(activity.value, 10) : null;
        label = { project: optionText(project), activity: optionText(activity) };
      }
      entry.client_modified_at = new Date().toISOString();
      movedAbsenceId(e, entry).then(function (id) {
        entry.uuid = id;
        row.entry = entry;
        row.label = label;
        row.status = "pending";
        row.errors = {};
        delete row.code;
        return updateRows([row]);
      }).then(refresh).then(function () {
        say(navigator.onLine ? TEXTS.fixed : TEXTS.queued);
        if (navigator.onLine) { syncSoon(0); }
      });
    });
  }

  // «Send som endringsønske»: the entry goes to the approver with an optional message; the
  // server keeps it, so it leaves the queue. Needs the network (the approver must get it).
  function openChangeRequest(row, item) {
    var form = el("form");
    form.setAttribute("aria-label", TEXTS.cr_button);
    var message = el("textarea");
    message.name = "message";
    message.rows = 2;
    message.maxLength = 2000;
    form.appendChild(field(TEXTS.cr_message, message));
    var send = el("button", "small primary", TEXTS.cr_send);
    send.type = "submit";
    form.appendChild(send);
    var problem = el("p", "error");
    problem.setAttribute("role", "alert");
    form.appendChild(problem);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!navigator.onLine || !REQUESTS_URL) { problem.textContent = TEXTS.cr_offline; return; }
      send.disabled = true;
      postJson(REQUESTS_URL, { entry: row.entry, message: message.value }).then(function (answer) {
        send.disabled = false;
        if (answer.login) { askLogin(); return; }
        if (answer.status === 201) {
          return removeRows([row.seq]).then(refresh).then(function () {
            say(TEXTS.cr_sent);
            loadRequests();
          });
        }
        problem.textContent = (answer.body && answer.body.error) || TEXTS.cr_offline;
      }, function () {
        send.disabled = false;
        problem.textContent = TEXTS.cr_offline;
      });
    });
    openForm(item, form);
  }

  // A JSON POST with the page's CSRF token (renewed once on an expired one); resolves to
  // {status, body} or {login: true} when the session has ended.
  function postJson(url, payload, retried) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(payload)
    }).then(function (response) {
      var token = response.headers.get("X-CSRF-Token");
      if (response.status === 400 && token && !retried) {
        renewCsrf(token);
        return postJson(url, payload, true);
      }
      if (response.type === "opaqueredirect" || response.status === 401) { return { login: true }; }
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      }, function () {
        return sessionGone().then(function (gone) {
          return gone ? { login: true } : { status: response.status, body: {} };
        });
      });
    });
  }

  // ------------------------------------------------------------ change requests sent

  var REQUESTS_URL = "/api/v1/change-requests";

  // The person's change requests: waiting, or decided and not yet dismissed («OK»). Shown on
  // the start page beside the queue, so the outcome reaches the one who asked.
  function loadRequests() {
    if (!navigator.onLine || !document.getElementById("today")) {
      return Promise.resolve();
    }
    return fetch(REQUESTS_URL, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
      if (!response.ok) { return null; }
      return response.json();
    }).then(function (body) {
      shownRequests = (body && body.change_requests) || [];
      renderRequests();
    }, function () {});
  }

  var shownRequests = [];

  function renderRequests() {
    var old = document.getElementById("pwa-requests");
    if (old) { old.remove(); }
    var found = shownRequests;
    var place = outboxPlace();
    if (!found.length || !place) { return; }
    var section = el("section", "pwa-outbox card");
    section.id = "pwa-requests";
    section.setAttribute("aria-labelledby", "pwa-requests-heading");
    var heading = el("h2", null, TEXTS.cr_heading);
    heading.id = "pwa-requests-heading";
    section.appendChild(heading);
    var list = el("ul", "pwa-outbox-list");
    found.forEach(function (r) { list.appendChild(requestItem(r)); });
    section.appendChild(list);
    var outbox = document.getElementById("pwa-outbox");
    if (outbox) {
      outbox.insertAdjacentElement("afterend", section);
    } else if (place.before) {
      place.before.parentNode.insertBefore(section, place.before);
    } else {
      place.after.insertAdjacentElement("afterend", section);
    }
  }

  function requestItem(r) {
    var item = el("li", "pwa-item is-" + (r.state === "declined" ? "rejected" : "pending"));
    var parts = [r.date || ""];
    if (r.deleted) { parts.push("–"); } else if (r.hours) { parts.push(fmtHours(r.hours) + hoursUnit()); }
    if (r.project) { parts.push(r.project); }
    if (r.activity) { parts.push(r.activity); }
    item.appendChild(el("span", "pwa-what", parts.join(" · ")));
    var states = { pending: TEXTS.cr_pending, accepted: TEXTS.cr_accepted_state, declined: TEXTS.cr_declined };
    item.appendChild(el("span", "pwa-state", states[r.state] || r.state));
    if (r.state === "accepted") {
      // A reason on an accepted request: the period was opened but the entry itself was
      // refused; the person must enter it (never «Timene er lagt inn» then).
      var done = r.reason
        ? el("span", "pwa-reason error", r.reason + " " + TEXTS.cr_not_saved + " ")
        : el("span", "pwa-reason", TEXTS.cr_accepted + " ");
      if (r.period_key) {
        var link = el("a", null, r.period || r.period_key);
        link.href = "/perioder/" + encodeURIComponent(r.period_key);
        done.appendChild(link);
      }
      item.appendChild(done);
    } else if (r.state === "declined" && r.reason) {
      item.appendChild(el("span", "pwa-reason", r.reason));
    }
    if (r.state !== "pending") {
      item.appendChild(button(TEXTS.cr_ok, "small", function () {
        postJson(REQUESTS_URL + "/" + r.id + "/sett", {}).then(function () {
          shownRequests = shownRequests.filter(function (x) { return x.id !== r.id; });
          item.remove();
          var section = document.getElementById("pwa-requests");
          if (section && !section.querySelector("li")) { section.remove(); }
        }, function () {});
      }));
    }
    return item;
  }

  function renderOutbox(rows) {
    var old = document.getElementById("pwa-outbox");
    if (old) { old.remove(); }
    var place = outboxPlace();
    if (!rows.length || !place) { return; }
    var section = el("section", "pwa-outbox card");
    section.id = "pwa-outbox";
    section.setAttribute("aria-labelledby", "pwa-outbox-heading");
    var heading = el("h2", null, TEXTS.pending);
    heading.id = "pwa-outbox-heading";
    section.appendChild(heading);
    var list = el("ul", "pwa-outbox-list");
    rows.forEach(function (row) {
      var item = el("li", "pwa-item is-" + row.status);
      item.setAttribute("data-uuid", row.entry.uuid);
      item.appendChild(el("span", "pwa-what", rowLine(row)));
      var state = el("span", "pwa-state", row.status === "rejected" ? TEXTS.rejected : TEXTS.pending);
      item.appendChild(state);
      if (row.status === "rejected") {
        var reasons = Object.keys(row.errors || {}).map(function (k) { return row.errors[k]; });
        item.appendChild(el("span", "pwa-reason error", reasons.join(" ")));
        rejectedActions(row, item);
      }
      list.appendChild(item);
    });
    section.appendChild(list);
    if (place.before) {
      place.before.parentNode.insertBefore(section, place.before);
    } else {
      place.after.insertAdjacentElement("afterend", section);
    }
  }

  function refresh() {
    var user = currentUser();
    if (!user) { return Promise.resolve([]); }
    return queued(user).then(function (rows) {
      renderCounter(rows);
      renderOutbox(rows);
      return rows;
    });
  }

  function say(text) {
    var box = document.getElementById("page-message");
    if (!box) { return; }
    box.replaceChildren(el("p", "flash", text));
  }

  // The session ended (expired, logged out elsewhere): ask for log-in with a link that comes
  // back here; the queue stays and is sent once the same user is logged in again.
  var needsLogin = false;

  function askLogin() {
    needsLogin = true;
    var box = document.getElementById("page-message");
    if (!box) { return; }
    var here = window.location.pathname + window.location.search;
    var link = el("a", null, TEXTS.login_link);
    link.href = "/logg-inn?next=" + encodeURIComponent(here);
    var text = el("p", "flash flash-warning", TEXTS.login + " ");
    text.appendChild(link);
    box.replaceChildren(text);
  }

  // Whether the session is gone: the offline data's URL answers a redirect to the log-in.
  function sessionGone() {
    if (!DATA_URL) { return Promise.resolve(false); }
    return fetch(DATA_URL, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
      return response.type === "opaqueredirect" || response.status === 401;
    }, function () { return false; });
  }

  // ------------------------------------------------------------ sync

  var syncing = false;
  var delay = 0;
  var timer = null;

  function syncSoon(ms) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; syncNow(); }, ms);
  }

  function retryLater() {
    delay = Math.min(delay ? delay * 2 : 1000, 60000);
    syncSoon(delay);
  }

  function reloadParts() {
    if (!window.htmx) { return; }
    if (document.getElementById("today") && window.location.pathname === "/") {
      window.htmx.ajax("GET", "/", { target: "#today", swap: "outerHTML" });
    } else if (document.getElementById("week-grid")) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
        { target: "#week-grid", swap: "outerHTML" });
      document.body.dispatchEvent(new CustomEvent("entries-changed", { bubbles: true }));
    }
  }

  // A request caught in a network switch can hang without an answer: give up after a while
  // (the queue stays; the server upserts by UUID, so sending again is safe).
  var SEND_TIMEOUT = 20000;

  function post(batch, retried) {
    var abort = window.AbortController ? new AbortController() : null;
    var timeout = abort ? setTimeout(function () { abort.abort(); }, SEND_TIMEOUT) : null;
    return fetch(SYNC_URL, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      signal: abort ? abort.signal : undefined,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      // Whose queue this is: a session that became someone else's refuses it whole (409).
      body: JSON.stringify({ user: currentUser(), entries: batch.map(function (row) { return row.entry; }) })
    }).then(function (response) {
      clearTimeout(timeout);
      var token = response.headers.get("X-CSRF-Token");
      if (response.status === 400 && token && !retried) {
        renewCsrf(token);  // an expired form token: once more with the fresh one
        return post(batch, true);
      }
      return response;
    });
  }

  function syncNow() {
    var user = currentUser();
    if (!user || !SYNC_URL || syncing) { return Promise.resolve(); }
    syncing = true;
    var accepted = 0;
    var stop = function () { syncing = false; };
    return queued(user).then(function (rows) {
      var batch = rows.filter(function (r) { return r.status === "pending"; }).slice(0, MAX_BATCH);
      if (!batch.length) { return null; }
      return post(batch).then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401 || response.status === 409) {
          askLogin();  // the session ended (or is another user's): the queue waits for the log-in
          return null;
        }
        if (response.status >= 500) { retryLater(); return null; }
        return response.json().then(null, function () {
          // Not the API's answer (a page: the form token of an ended session was refused).
          return sessionGone().then(function (gone) {
            if (gone) { askLogin(); } else { retryLater(); }
            return null;
          });
        }).then(function (body) {
          if (body === null) { return null; }
          if (!response.ok) {
            // The server refused the batch as a whole: keep every item, with the reason.
            batch.forEach(function (row) {
              row.status = "rejected";
              row.errors = { form: body.error || String(response.status) };
            });
            return settleRows([], batch);
          }
          var done = [];
          var rejected = [];
          (body.results || []).forEach(function (result, i) {
            var row = batch[i];
            if (!row || row.entry.uuid.toLowerCase() !== String(result.uuid).toLowerCase()) { return; }
            if (result.status === "accepted") {
              done.push(row);
            } else {
              row.status = "rejected";
              row.errors = result.errors || {};
              row.code = result.code || null;
              rejected.push(row);
            }
          });
          accepted = done.length;
          delay = 0;
          return settleRows(done, rejected).then(function () {
            if (batch.length === MAX_BATCH) { syncSoon(0); }
          });
        });
      }, function () { retryLater(); });  // no answer: try again, waiting longer each time
    }).then(function () {
      stop();
      return refresh();
    }, function () { stop(); retryLater(); }).then(function () {
      if (accepted) {
        say(TEXTS.sent);
        reloadParts();
        refreshData(user);
      }
    });
  }

  // ------------------------------------------------------------ queueing from the forms

  function optionText(select) {
    if (!select || select.selectedIndex < 0 || !select.value) { return ""; }
    return select.options[select.selectedIndex].textContent.trim();
  }

  function entryFromForm(form) {
    var data = new FormData(form);
    var entry = { uuid: String(data.get("uuid") || "") || newUuid(), deleted: false };
    ["date", "project_id", "activity_id", "hours", "start_time", "end_time", "break_minutes",
      "comment", "kind"].forEach(function (name) {
      if (data.has(name)) { entry[name] = String(data.get(name)); }
    });
    data.forEach(function (value, name) {
      if (name.indexOf("x_") === 0 && typeof value === "string") { entry[name] = value; }
    });
    ["project_id", "activity_id", "break_minutes"].forEach(function (name) {
      if (entry[name] === "") { entry[name] = null; }
    });
    entry.client_modified_at = new Date().toISOString();
    return entry;
  }

  function isEntryForm(form) {
    return form.classList && form.classList.contains("entry-form") && form.querySelector("input[name='uuid']");
  }

  function isCellForm(form) {
    return form.classList && form.classList.contains("cell-form");
  }

  // «Registrer for» someone else (admins): the entry form with a person chosen.
  function forOthers(form) {
    if (!currentUser() || !isEntryForm(form)) { return false; }
    var forWhom = form.querySelector("select[name='user_id']");
    return !!(forWhom && forWhom.value);
  }

  function tellForOthers() {
    var offline = document.getElementById("network-status");
    if (offline) { offline.hidden = true; }
    var box = document.getElementById("page-message");
    say(TEXTS.for_others);
    if (box && box.firstChild) {
      box.firstChild.className = "flash flash-error";
      box.scrollIntoView({ block: "nearest" });
    }
  }

  // Only what the sync API takes: the user's own entries (not «Registrer for», not the clock).
  function queueable(form, submitter) {
    if (!currentUser()) { return false; }
    if (submitter && submitter.hasAttribute("formaction")) { return false; }
    if (isEntryForm(form)) {
      var forWhom = form.querySelector("select[name='user_id']");
      return !(forWhom && forWhom.value);
    }
    return isCellForm(form);
  }

  function mondayOf(isoWeek) {
    var m = /^(\d{4})-W(\d{2})$/.exec(isoWeek || "");
    if (!m) { return null; }
    var jan4 = new Date(Date.UTC(+m[1], 0, 4));
    var day = jan4.getUTCDay() || 7;
    return new Date(jan4.getTime() + ((+m[2] - 1) * 7 - (day - 1)) * 86400000);
  }

  function cellTarget(form) {
    var get = function (name) {
      var field = form.querySelector("[name='" + name + "']");
      return field ? field.value : "";
    };
    var line = /^work-(\d+)-(\d+)$/.exec(get("linje"));
    var monday = mondayOf(get("uke"));
    var dayIndex = parseInt(get("dag"), 10);
    if (!line || !monday || isNaN(dayIndex)) { return null; }
    var day = new Date(monday.getTime() + dayIndex * 86400000).toISOString().slice(0, 10);
    return {
      date: day,
      project_id: line[1] === "0" ? null : parseInt(line[1], 10),
      activity_id: line[2] === "0" ? null : parseInt(line[2], 10),
      key: get("linje"), dayIndex: dayIndex, hours: get("hours").trim()
    };
  }

  function lineLabel(target) {
    var row = document.getElementById("line-" + target.key);
    var head = row && row.querySelector(".line-name");
    if (!head) { return {}; }
    var activity = head.querySelector(".muted");
    var activityText = activity ? activity.textContent.trim() : "";
    var projectText = head.textContent.trim();
    if (activityText) { projectText = projectText.slice(0, projectText.length - activityText.length).trim(); }
    return { project: target.project_id ? projectText : "", activity: activityText };
  }

  // The entry a cell stands for: one waiting in the queue, else the one in the offline data.
  function cellEntries(user, target) {
    var same = function (e) {
      return e.date === target.date && (e.kind || "work") === "work" &&
        String(e.project_id || "") === String(target.project_id || "") &&
        String(e.activity_id || "") === String(target.activity_id || "");
    };
    return Promise.all([queued(user), loadData(user)]).then(function (found) {
      var waiting = found[0].map(function (r) { return r.entry; }).filter(same);
      var known = ((found[1] && found[1].data && found[1].data.entries) || []).filter(same);
      var byUuid = {};
      known.concat(waiting).forEach(function (e) { byUuid[e.uuid] = e; });
      return Object.keys(byUuid).map(function (k) { return byUuid[k]; });
    });
  }

  function showCellQueued(form, target) {
    var cell = document.getElementById("cell-" + target.key + "-" + target.dayIndex);
    if (!cell) { return; }
    var mark = el("span", "pwa-cell-pending", (target.hours ? fmtHours(target.hours) : "–"));
    mark.title = TEXTS.pending;
    mark.setAttribute("aria-label", (target.hours || "0") + " · " + TEXTS.pending);
    cell.replaceChildren(mark);
  }

  function queueCell(form, user) {
    var target = cellTarget(form);
    if (!target) { return Promise.resolve(false); }
    return cellEntries(user, target).then(function (entries) {
      if (entries.length > 1) { say(TEXTS.several); return false; }
      var existing = entries[0];
      var empty = /^(0+([.,]0*)?)?$/.test(target.hours);
      if (empty && !existing) { showCellQueued(form, target); return true; }
      var entry = {
        uuid: existing ? existing.uuid : newUuid(),
        deleted: empty,
        date: target.date,
        project_id: target.project_id,
        activity_id: target.activity_id,
        hours: target.hours,
        comment: existing && existing.comment ? existing.comment : "",
        client_modified_at: new Date().toISOString()
      };
      return enqueue(user, entry, lineLabel(target)).then(function () {
        showCellQueued(form, target);
        return true;
      });
    });
  }

  function queueEntryForm(form, user) {
    var entry = entryFromForm(form);
    var label = {
      project: optionText(form.querySelector("select[name='project_id']")),
      activity: optionText(form.querySelector("select[name='activity_id']"))
    };
    return enqueue(user, entry, label).then(function () {
      // The form stays for the next entry, under a new id (else it would overwrite this one).
      var uuidField = form.querySelector("input[name='uuid']");
      if (uuidField && form.getAttribute("action") === "/registreringer") {
        uuidField.value = newUuid();
        ["hours", "comment", "start_time", "end_time", "break_minutes"].forEach(function (name) {
          var field = form.querySelector("[name='" + name + "']");
          if (field) { field.value = ""; }
        });
      }
      return true;
    });
  }

  function queueForm(form) {
    var user = currentUser();
    var work = isCellForm(form) ? queueCell(form, user) : queueEntryForm(form, user);
    return work.then(function (ok) {
      if (!ok) { return; }
      var offline = document.getElementById("network-status");
      if (offline) { offline.hidden = true; }
      say(TEXTS.queued);
      refresh();
      if (navigator.onLine) { syncSoon(delay || 1000); }
    });
  }

  // Without network the form goes to the queue at once; with network it is sent as always,
  // and only when no answer comes (htmx:sendError below) is it queued.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-tipro-user")) { return onLogout(event); }
    if (forOthers(form) && !navigator.onLine) {
      // Hours for someone else are not queued (the sync API takes one's own): say so, and
      // leave the form as filled in.
      event.preventDefault();
      event.stopImmediatePropagation();
      tellForOthers();
      return;
    }
    if (!queueable(form, event.submitter)) { return; }
    if (navigator.onLine && !form.hasAttribute("data-pwa-offline")) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    queueForm(form);
  }, true);

  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.form);
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (form && verb === "post" && forOthers(form)) {
      tellForOthers();
    } else if (form && verb === "post" && queueable(form, event.detail.requestConfig.triggeringEvent &&
        event.detail.requestConfig.triggeringEvent.submitter)) {
      queueForm(form);
    } else if (followsActivities(elt)) {
      var offline = document.getElementById("network-status");
      if (offline) { offline.hidden = true; }  // nothing was sent: the list is filled here
      fillActivities(document.getElementById("project_id"));
    }
  });

  // The activities allowed with a project (or none) on a day: the rule of tipro.entries.pickers
  // over the offline data. General ones only without a project; project-general ones on any
  // project; project-specific ones where linked (link open on that day). Absence ones are
  // registered under «Fravær».
  function allowedActivities(data, projectId, day) {
    var project = data.projects.filter(function (p) { return p.id === projectId; })[0];
    var linked = [];
    if (project) {
      linked = project.links ? project.links.filter(function (link) {
        return (!link.from || link.from <= day) && (!link.to || link.to >= day);
      }).map(function (link) { return link.activity_id; }) : (project.activity_ids || []);
    }
    return data.activities.filter(function (a) {
      if (a.absence) { return false; }
      var withoutProject = a.without_project !== undefined ? a.without_project : a.general;
      var anyProject = a.on_any_project !== undefined ? a.on_any_project : a.general;
      if (!projectId) { return withoutProject; }
      return anyProject || linked.indexOf(a.id) !== -1;
    });
  }

  // The activity last used with the project (or without one), from the offline data.
  function lastActivity(data, projectId) {
    if (!projectId) { return data.last_activity_without_project || null; }
    var project = data.projects.filter(function (p) { return p.id === projectId; })[0];
    return project ? project.last_activity_id || null : null;
  }

  // An activity list with nothing chosen yet gets the one last used with this project.
  function preselectActivity(data) {
    var select = document.getElementById("activity_id");
    var project = document.getElementById("project_id");
    if (!select || !project || select.value) { return; }
    var chosen = project.options[project.selectedIndex];
    if (!chosen || (!chosen.value && !chosen.hasAttribute("data-no-project"))) { return; }
    var last = lastActivity(data, parseInt(project.value, 10) || null);
    if (last && select.querySelector("option[value='" + last + "']")) { select.value = String(last); }
  }

  function preselectFromData() {
    var user = currentUser();
    if (!user) { return Promise.resolve(); }
    return loadData(user).then(function (record) {
      if (record && record.data) { preselectActivity(record.data); }
    });
  }

  // Offline, the activity list follows the project from the offline data.
  function fillActivities(projectSelect) {
    var user = currentUser();
    var select = document.getElementById("activity_id");
    if (!user || !select) { return Promise.resolve(); }
    return loadData(user).then(function (record) {
      if (!record || !record.data) { return; }
      var data = record.data;
      var projectId = parseInt(projectSelect.value, 10) || null;
      var dateField = document.getElementById("date");
      var day = (dateField && dateField.value) || data.today;
      var choices = allowedActivities(data, projectId, day);
      var options = [];
      if (choices.length !== 1) { options.push(new Option(TEXTS.choose_activity, "")); }
      choices.forEach(function (a) { options.push(new Option(a.name, String(a.id))); });
      var before = select.value;  // kept if still allowed (online, the server does the same)
      select.replaceChildren.apply(select, options);
      if (before && select.querySelector("option[value='" + before + "']")) { select.value = before; }
      preselectActivity(data);
    });
  }

  // Online, the server sends the activity field for the chosen project: preselect there too.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "activity-field") { preselectFromData(); }
  });

  // The entry form's fields the activity list depends on (links open on the entry's day).
  function followsActivities(elt) {
    return !!elt && (elt.id === "project_id" || elt.id === "date") &&
      !!document.getElementById("project_id");
  }

  // Offline, the activities follow the project and the date at once (htmx's request would
  // only fail).
  document.addEventListener("change", function (event) {
    if (followsActivities(event.target) && !navigator.onLine) {
      fillActivities(document.getElementById("project_id"));
    }
  });

  // Offline, «Gjenta» fills the quick entry from the offline data (the page cannot be fetched).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.repeat-button");
    var form = document.getElementById("entry-form");
    var user = currentUser();
    if (!link || !form || navigator.onLine || !user) { return; }
    var id = parseInt(new URL(link.href, window.location.href).searchParams.get("gjenta"), 10);
    event.preventDefault();
    event.stopImmediatePropagation();
    loadData(user).then(function (record) {
      var entries = (record && record.data && record.data.entries) || [];
      var source = entries.filter(function (e) { return e.id === id; })[0];
      if (!source) { return; }
      var project = document.getElementById("project_id");
      if (project) {
        project.value = source.project_id ? String(source.project_id) : "";
        if (!source.project_id) {
          var none = project.querySelector("option[data-no-project]");
          if (none) { none.selected = true; }
        }
        project.dispatchEvent(new CustomEvent("tipro:project-set"));
      }
      return fillActivities(project || form).then(function () {
        var activity = document.getElementById("activity_id");
        if (activity) { activity.value = source.activity_id ? String(source.activity_id) : ""; }
        var hours = form.querySelector("[name='hours']");
        if (hours) { hours.value = fmtHours(String(parseFloat(source.hours))); }
        var comment = form.querySelector("[name='comment']");
        if (comment) { comment.value = source.comment || ""; }
        form.scrollIntoView({ block: "start" });
      });
    });
  }, true);

  // Offline, a week cell opens a small form here (the server's form cannot be fetched).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.cell-link");
    if (!link || navigator.onLine || !currentUser()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var url = new URL(link.href, window.location.href);
    var cell = link.closest("td");
    var form = el("form", "cell-form");
    form.setAttribute("data-pwa-offline", "");
    form.method = "post";
    form.action = "/uke/celle";
    [["uke", url.searchParams.get("uke")], ["linje", url.searchParams.get("linje")],
      ["dag", url.searchParams.get("dag")]].forEach(function (pair) {
      var hidden = el("input");
      hidden.type = "hidden";
      hidden.name = pair[0];
      hidden.value = pair[1] || "";
      form.appendChild(hidden);
    });
    var input = el("input");
    input.type = "text";
    input.name = "hours";
    input.inputMode = "decimal";
    input.autocomplete = "off";
    input.id = "cell-hours";
    input.value = link.textContent.trim() === "–" ? "" : link.textContent.trim();
    input.setAttribute("aria-label", TEXTS.hours_label + " " + (link.getAttribute("aria-label") || ""));
    var button = el("button", "small", TEXTS.save);
    button.type = "submit";
    form.appendChild(input);
    form.appendChild(button);
    cell.replaceChildren(form);
    input.focus();
  }, true);

  // ------------------------------------------------------------ log-out

  function forgetUser(user) {
    var clearQueue = queued(user).then(function (rows) {
      return removeRows(rows.map(function (r) { return r.seq; }));
    });
    var clearData = tx("data", "readwrite", function (store) { return store.delete(user); });
    var clearLocal = tx("local", "readwrite", function (store) {
      return store.delete(IDBKeyRange.bound(user + ":", user + ":\uffff"));
    });
    var clearPages = !window.caches ? Promise.resolve() : caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("tipro-pages-") === 0 && name.slice(-("-u" + user).length) === "-u" + user;
      }).map(function (name) { return caches.delete(name); }));
    });
    var tellWorker = new Promise(function (resolve) {
      var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (!worker || !window.MessageChannel) { return resolve(); }
      var channel = new MessageChannel();
      channel.port1.onmessage = function () { resolve(); };
      worker.postMessage({ type: "forget-user", user: user }, [channel.port2]);
      setTimeout(resolve, 1500);
    });
    return Promise.all([clearQueue, clearData, clearLocal, clearPages, tellWorker]);
  }

  function onLogout(event) {
    var form = event.target;
    var user = form.getAttribute("data-tipro-user");
    if (form.hasAttribute("data-pwa-cleared")) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    queued(user).then(function (rows) {
      if (rows.length && !window.confirm((TEXTS.logout || "{n}").replace("{n}", rows.length))) {
        return;
      }
      var send = function () {
        form.setAttribute("data-pwa-cleared", "");
        form.submit();
      };
      forgetUser(user).then(send, send);
    }, function () { form.submit(); });
  }

  // ------------------------------------------------------------ when to sync

  // The installed app was opened (sw.js served the kept copy of the start page at once):
  // once online, its parts are fetched fresh, unless the user has begun typing meanwhile.
  var typed = false;
  document.addEventListener("input", function () { typed = true; }, { once: true });

  function freshenLaunch() {
    if (!/[?&]kilde=app\b/.test(window.location.search) || !navigator.onLine) { return; }
    if (window.history && history.replaceState) { history.replaceState(history.state, "", "/"); }
    if (!typed) { reloadParts(); }
  }

  function start() {
    var user = currentUser();
    if (!user || !window.indexedDB) { freshenLaunch(); return; }
    refresh().then(afterPaint).then(function () {
      // The network only once the page is drawn and usable (a launch needs none before).
      freshenLaunch();
      return syncNow();
    }).then(function () {
      loadRequests();
      return refreshData(user);
    });
  }

  function afterPaint() {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { setTimeout(resolve, 0); });
    });
  }

  window.addEventListener("online", function () { delay = 0; syncSoon(0); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && navigator.onLine) { syncSoon(0); }
  });
  // A boosted page or a swapped part replaced what was drawn: draw the queue again.
  document.addEventListener("htmx:afterSettle", function () {
    if (!currentUser()) { return; }
    refresh();
    if (shownRequests.length && document.getElementById("today") &&
        !document.getElementById("pwa-requests")) { renderRequests(); }
    if (needsLogin) { needsLogin = false; syncSoon(0); }  // logged in again: send the queue
  });

  // What the outbox's modules (listed after it in the tipro-outbox meta) build on.
  window.TiproOutbox = {
    texts: TEXTS, el: el, meta: meta, currentUser: currentUser, csrfToken: csrfToken,
    newUuid: newUuid, tx: tx, queued: queued, enqueue: enqueue, loadData: loadData,
    refreshData: refreshData, refresh: refresh, say: say, syncSoon: syncSoon, syncNow: syncNow,
    fmtHours: fmtHours, hoursUnit: hoursUnit, reloadParts: reloadParts
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
