// TiPro's service worker, served at /sw.js (tipro.pwa.routes) with its settings in front:
// self.TIPRO = {version, shell, offlinePage, pages, staticPrefix}. A new app version or any
// changed static file changes those bytes, so the browser installs a new worker; it waits
// until the page asks it to take over (offline.js announces «Ny versjon — last inn på nytt»).
//
// What it keeps:
// - the app shell (static files at their hashed URLs, the offline page): tipro-shell-<version>;
// - the start page and the week as each user last saw them: tipro-pages-<version>-u<id>.
//   A page is stored under the user the server named in X-TiPro-User, and only the pages of
//   the user who used the app last are ever served; logging out deletes that user's pages.
// Everything else (admin pages, fragments, the API) goes to the network only.
"use strict";

var CONFIG = self.TIPRO;
var SHELL_CACHE = "tipro-shell-" + CONFIG.version;
var PAGES_PREFIX = "tipro-pages-" + CONFIG.version + "-u";
var META_CACHE = "tipro-meta";
var USER_KEY = "/__tipro/user";
// The start page as the installed app opens it (see install), one copy: the current user's.
var LAUNCH_CACHE = "tipro-launch-" + CONFIG.version;
var LAUNCH_SEARCH = "kilde=app";

function pagesCache(user) { return PAGES_PREFIX + user; }

self.addEventListener("install", function (event) {
  // The installed app's launch (the manifest's start_url) is answered by the browser itself
  // from the kept copy (Static Routing API), without starting this worker: otherwise Chromium's
  // ServiceWorkerAutoPreload sends the navigation to the server while the worker starts, and a
  // launch must need no network at all. No copy yet: the network, as any page.
  if (event.addRoutes && self.URLPattern) {
    event.waitUntil(event.addRoutes([{
      condition: { urlPattern: new URLPattern({ pathname: CONFIG.pages[0], search: LAUNCH_SEARCH }) },
      source: { cacheName: LAUNCH_CACHE }
    }]).catch(function () { return null; }));
  }
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell.map(function (url) {
        // A hashed URL (?v=) never changes content: the copy the page just loaded will do
        // (no second download); the rest is fetched fresh.
        var hashed = url.indexOf("?v=") !== -1 || url.indexOf("&v=") !== -1;
        return new Request(url, { credentials: "same-origin", cache: hashed ? "default" : "reload" });
      }));
    })
  );
});

self.addEventListener("activate", function (event) {
  // Old versions' shells and pages go: their pages point at static URLs no longer kept.
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) {
        var ours = name.indexOf("tipro-") === 0 && name !== META_CACHE;
        var current = name === SHELL_CACHE || name === LAUNCH_CACHE || name.indexOf(PAGES_PREFIX) === 0;
        return ours && !current ? caches.delete(name) : null;
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

function currentUser() {
  return caches.open(META_CACHE)
    .then(function (cache) { return cache.match(USER_KEY); })
    .then(function (response) { return response ? response.text() : ""; });
}

function setCurrentUser(user) {
  return caches.open(META_CACHE).then(function (cache) {
    if (!user) { return cache.delete(USER_KEY); }
    return cache.put(USER_KEY, new Response(user));
  });
}

function forgetUser(user) {
  return caches.keys().then(function (names) {
    return Promise.all(names.map(function (name) {
      return name.indexOf("tipro-pages-") === 0 && name.slice(-("-u" + user).length) === "-u" + user
        ? caches.delete(name) : null;
    }));
  }).then(currentUser).then(function (current) {
    if (current !== String(user)) { return null; }
    return Promise.all([setCurrentUser(""), caches.delete(LAUNCH_CACHE)]);
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "skip-waiting") {
    self.skipWaiting();
  } else if (data.type === "forget-user" && data.user) {
    var done = forgetUser(data.user);
    event.waitUntil(done);
    if (event.ports && event.ports[0]) {
      done.then(function () { event.ports[0].postMessage("done"); });
    }
  }
});

function pageKey(url) { return url.pathname + url.search; }

function isKeptPage(url) { return CONFIG.pages.indexOf(url.pathname) !== -1; }

function isPageRequest(request) {
  return request.mode === "navigate" || request.headers.get("HX-Boosted") === "true";
}

function offlinePage() {
  return caches.match(CONFIG.offlinePage, { cacheName: SHELL_CACHE }).then(function (response) {
    return response || new Response("Ingen forbindelse", {
      status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
    });
  });
}

// A page from the network; remembered for its user when it is one we keep. A page without a
// user (the log-in page) means nobody is using the app now: nothing is served from the cache.
function pageFromNetwork(request, url, event) {
  return fetch(request).then(function (response) {
    var user = response.headers.get("X-TiPro-User");
    var html = (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
    if (response.status === 200 && html) {
      var work = setCurrentUser(user || "");
      if (user && isKeptPage(url)) {
        var copy = response.clone();
        var launchCopy = url.pathname === CONFIG.pages[0] ? response.clone() : null;
        work = work.then(function () {
          return caches.open(pagesCache(user)).then(function (cache) {
            return cache.put(pageKey(url), copy);
          });
        }).then(function () {
          if (!launchCopy) { return null; }
          return caches.open(LAUNCH_CACHE).then(function (cache) {
            return cache.put(CONFIG.pages[0] + "?" + LAUNCH_SEARCH, launchCopy);
          });
        });
      } else if (!user) {
        work = work.then(signOutLaunch);
      }
      event.waitUntil(work);
    }
    return response;
  });
}

// Nobody's start page is kept once the user is gone (the log-in page came back). The launch
// route still answers from LAUNCH_CACHE, so its one copy becomes a page that only forwards to
// the start page (a meta refresh: no script, the strict CSP holds): online the server sends it
// on to log in, offline this worker answers with the offline page, not the browser's error.
function signOutLaunch() {
  var forward = '<!doctype html><html lang="nb"><head><meta charset="utf-8">' +
    '<meta http-equiv="refresh" content="0;url=' + CONFIG.pages[0] + '"><title>TiPro</title>' +
    '</head><body></body></html>';
  return caches.open(LAUNCH_CACHE).then(function (cache) {
    return cache.put(CONFIG.pages[0] + "?" + LAUNCH_SEARCH, new Response(forward, {
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }
    }));
  });
}

function pageFromCache(url) {
  return currentUser().then(function (user) {
    if (!user || !isKeptPage(url)) { return null; }
    return caches.open(pagesCache(user)).then(function (cache) {
      return cache.match(pageKey(url), { ignoreVary: true });
    });
  }).then(function (response) { return response || offlinePage(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var shellUrl = CONFIG.shell.indexOf(url.pathname + url.search) !== -1;
  if (shellUrl || url.pathname.indexOf(CONFIG.staticPrefix) === 0) {
    // Hashed URLs never change content: the cache answers first.
    event.respondWith(caches.match(request, { cacheName: SHELL_CACHE }).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok && url.searchParams.has("v")) {
          var copy = response.clone();
          event.waitUntil(caches.open(SHELL_CACHE).then(function (c) { return c.put(request, copy); }));
        }
        return response;
      });
    }));
    return;
  }
  if (isLaunch(request, url)) {
    event.respondWith(launchPage(request, url, event));
    return;
  }
  if (isPageRequest(request)) {
    event.respondWith(pageFromNetwork(request, url, event).catch(function () {
      return pageFromCache(url);
    }));
  }
});

// The installed app opening (the manifest's start_url carries ?kilde=app): the user's last copy
// of the start page at once, so the app is usable before any network request; the page then
// fetches its fresh parts and CSRF token itself (js/outbox.js freshenLaunch; an ended session
// sends it to log in). The copy is renewed whenever the start page is opened the usual way.
// Every other page stays network-first: what it shows must be current.
function isLaunch(request, url) {
  return request.mode === "navigate" && url.searchParams.get("kilde") === "app";
}

function launchPage(request, url, event) {
  var plain = new URL(url.pathname, url.origin);
  return currentUser().then(function (user) {
    if (!user || !isKeptPage(plain)) { return null; }
    return caches.open(pagesCache(user)).then(function (cache) {
      return cache.match(pageKey(plain), { ignoreVary: true });
    });
  }).then(function (kept) {
    if (!kept) {
      return pageFromNetwork(request, url, event).catch(function () { return pageFromCache(plain); });
    }
    return kept;
  });
}

// ------------------------------------------------------------ Background Sync
// js/outbox_more.js asks for the "tipro-outbox" sync whenever something waits in the queue.
// When it fires, an open page of the app sends the queue (it answers the message); with none
// open, the worker sends the queue of the user who used the app last, as the page would: in
// order, at most 500, rows removed when accepted and kept with their reasons when rejected.
// Sending twice is harmless: the server upserts by UUID.
var SYNC_TAG = "tipro-outbox";
var MAX_BATCH = 500;

function askPages() {
  return self.clients.matchAll({ type: "window" }).then(function (windows) {
    if (!windows.length || typeof MessageChannel === "undefined") { return false; }
    return new Promise(function (resolve) {
      var answered = false;
      var done = function (value) { if (!answered) { answered = true; resolve(value); } };
      windows.forEach(function (client) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function () { done(true); };
        client.postMessage({ type: "tipro-sync" }, [channel.port2]);
      });
      setTimeout(function () { done(false); }, 3000);  // no page with the outbox answered
    });
  });
}

function openQueue() {
  return new Promise(function (resolve) {
    var open = indexedDB.open("tipro");
    open.onupgradeneeded = function () { open.transaction.abort(); };  // no queue here at all
    open.onerror = function () { resolve(null); };
    open.onsuccess = function () {
      var db = open.result;
      db.onversionchange = function () { db.close(); };
      if (!db.objectStoreNames.contains("local")) { db.close(); resolve(null); return; }
      resolve(db);
    };
  });
}

function request(db, store, mode, work) {
  return new Promise(function (resolve, reject) {
    var t = db.transaction(store, mode);
    var result;
    var req = work(t.objectStore(store));
    if (req) { req.onsuccess = function () { result = req.result; }; }
    t.oncomplete = function () { resolve(result); };
    t.onerror = function () { reject(t.error); };
    t.onabort = function () { reject(t.error); };
  });
}

// The session must still be the user's whose queue this is (another person may have logged
// in on this phone since): their own offline data says so, with a fresh CSRF token. Nothing of
// the queue leaves the device before that.
function sessionToken(user, auth) {
  return fetch(auth.data, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
    var token = response.headers.get("X-CSRF-Token");
    if (response.status >= 500) { throw new Error("data " + response.status); }
    if (!response.ok || !token) { return null; }  // logged out: the queue waits for the log-in
    return response.json().then(function (data) {
      return data.user && String(data.user.id) === String(user) ? token : null;
    });
  });
}

// The batch names whose queue it is: should another person have logged in between the check
// above and this request, the server refuses it whole (409) and the queue waits.
function sendQueue(db, rows, auth, token, user) {
  return fetch(auth.sync, {
    method: "POST",
    credentials: "same-origin",
    redirect: "manual",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify({ user: user, entries: rows.map(function (row) { return row.entry; }) })
  }).then(function (response) {
    if (response.status >= 500) { throw new Error("sync " + response.status); }  // the browser tries again
    if (response.status === 409) { return null; }  // another user's session now: a page sends later
    var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
    if (response.type === "opaqueredirect" || !json) { return null; }  // not the API's answer: a page sends later
    return response.json().then(function (body) {
      var done = [];
      var rejected = [];
      if (!response.ok) {
        rows.forEach(function (row) {
          row.status = "rejected";
          row.errors = { form: body.error || String(response.status) };
          rejected.push(row);
        });
      } else {
        (body.results || []).forEach(function (result, i) {
          var row = rows[i];
          if (!row || row.entry.uuid.toLowerCase() !== String(result.uuid).toLowerCase()) { return; }
          if (result.status === "accepted") {
            done.push(row);
          } else {
            row.status = "rejected";
            row.errors = result.errors || {};
            row.code = result.code || null;  // «period_locked»: the page offers a change request
            rejected.push(row);
          }
        });
      }
      // Only rows still holding what was sent: a page may have changed one meanwhile (the
      // newer version waits for the next send), as js/outbox.js settles its own sends.
      return request(db, "outbox", "readwrite", function (store) {
        var settle = function (row, work) {
          var now = store.get(row.seq);
          now.onsuccess = function () {
            if (now.result && JSON.stringify(now.result.entry) === JSON.stringify(row.entry)) { work(); }
          };
        };
        done.forEach(function (row) { settle(row, function () { store.delete(row.seq); }); });
        rejected.forEach(function (row) { settle(row, function () { store.put(row); }); });
      });
    });
  });
}

function syncQueue() {
  return currentUser().then(function (user) {
    if (!user) { return null; }
    return openQueue().then(function (db) {
      if (!db) { return null; }
      return Promise.all([
        request(db, "outbox", "readonly", function (store) { return store.index("user").getAll(user); }),
        request(db, "local", "readonly", function (store) { return store.get(user + ":sync"); })
      ]).then(function (found) {
        var rows = (found[0] || []).filter(function (row) { return row.status === "pending"; })
          .sort(function (a, b) { return a.seq - b.seq; }).slice(0, MAX_BATCH);
        var auth = found[1];
        if (!rows.length || !auth || !auth.sync || !auth.data) { return null; }
        return sessionToken(user, auth).then(function (token) {
          return token ? sendQueue(db, rows, auth, token, user) : null;
        });
      }).then(function (result) { db.close(); return result; },
        function (error) { db.close(); throw error; });
    });
  });
}

// The event fires the moment the network is back: the worker lets that moment settle (a
// log-out or a page being opened right then) before it asks whose session it is.
var SETTLE_MS = 1500;

function settle() {
  return new Promise(function (resolve) { setTimeout(resolve, SETTLE_MS); });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== SYNC_TAG) { return; }
  event.waitUntil(askPages().then(function (taken) {
    return taken ? null : settle().then(syncQueue);
  }));
});
