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

function pagesCache(user) { return PAGES_PREFIX + user; }

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell.map(function (url) {
        return new Request(url, { credentials: "same-origin", cache: "reload" });
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
        var current = name === SHELL_CACHE || name.indexOf(PAGES_PREFIX) === 0;
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
    return current === String(user) ? setCurrentUser("") : null;
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
        work = work.then(function () {
          return caches.open(pagesCache(user)).then(function (cache) {
            return cache.put(pageKey(url), copy);
          });
        });
      }
      event.waitUntil(work);
    }
    return response;
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
  if (isPageRequest(request)) {
    event.respondWith(pageFromNetwork(request, url, event).catch(function () {
      return pageFromCache(url);
    }));
  }
});
