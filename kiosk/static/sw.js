/* Vårdmöteskiosk's service worker: a door or board that reloads or
 * restarts while the server cannot be reached shows its last known panel and
 * "no contact since ...", never the browser's error page.
 *
 * Served at /sw.js (scope /) by the rooms blueprint, registered only by a paired
 * tablet's door or board (js/offline.js). It steps aside whenever the server
 * answers: every request it handles goes to the network first, and the copy is
 * used only when the network fails. What it keeps:
 *   - the tablet's own door or board page, only as the server sent it and only
 *     when the server marked it keepable (X-Kiosk-Offline: keep): never an admin
 *     or staff page, never a POST answer, never a poll;
 *   - the files that page needs (CSS, JS, htmx, icons), the shell.
 * An offline copy is marked <body data-offline-copy>, so panel.js shows its
 * no-contact notice at once. */
"use strict";

var CACHE = "kiosk-offline-1";
var LAST = "/__kiosk-last-page";
var PAGES = /^\/(door|board|rooms\/[a-z0-9-]{1,60}\/door)$/;
var STATIC = /^\/static\//;

self.addEventListener("install", function (event) {
  // Polls and POSTs never wait for the worker: where the browser can (Chromium's
  // static routing), they go straight to the network without starting it.
  if (event.addRoutes) {
    try {
      event.waitUntil(event.addRoutes([
        { condition: { urlPattern: { pathname: "*/poll" } }, source: "network" },
        { condition: { requestMethod: "POST" }, source: "network" }
      ]).catch(function () { /* the fetch handler steps aside anyway */ }));
    } catch (e) { /* an older browser */ }
  }
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function sameOrigin(url) { return url.origin === self.location.origin; }

function keepable(response) {
  return response.ok && response.headers.get("X-Kiosk-Offline") === "keep";
}

/* A response without the redirected flag, so it can answer a navigation. */
function plain(response) {
  return response.blob().then(function (body) {
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  });
}

function storePage(url, response) {
  return Promise.all([plain(response.clone()), plain(response)]).then(function (copies) {
    return caches.open(CACHE).then(function (cache) {
      return Promise.all([cache.put(url, copies[0]), cache.put(LAST, copies[1])]);
    });
  });
}

function offlineCopy(url) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(url).then(function (hit) { return hit || cache.match(LAST); });
  }).then(function (hit) {
    if (!hit) { return Response.error(); }
    return hit.text().then(function (html) {
      var headers = new Headers(hit.headers);
      headers.delete("Content-Length");
      return new Response(html.replace("<body ", "<body data-offline-copy "), { status: 200, headers: headers });
    });
  });
}

function page(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (keepable(response)) {
      event.waitUntil(storePage(request.url, response.clone()));
    } else if (response.status === 403 || response.status === 404) {
      // Revoked, or no longer this room's tablet: its old panel must not come back offline.
      event.waitUntil(caches.delete(CACHE));
    }
    return response;
  }, function () { return offlineCopy(request.url); });
}

function shellFile(request) {
  return fetch(request).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(request); })
      .then(function (hit) { return hit || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; } // never a POST answer
  var url = new URL(request.url);
  if (!sameOrigin(url)) { return; }
  if (request.mode === "navigate" && PAGES.test(url.pathname)) {
    event.respondWith(page(event));
  } else if (STATIC.test(url.pathname)) {
    event.respondWith(shellFile(request));
  }
});

/* The page asks to keep itself (fetched again here, as the server sends it) and its shell. */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || typeof data.page !== "string") { return; }
  var pageUrl = new URL(data.page);
  if (!sameOrigin(pageUrl) || !PAGES.test(pageUrl.pathname)) { return; }
  var files = (Array.isArray(data.shell) ? data.shell : []).map(function (u) { return new URL(u, self.location.href); })
    .filter(function (u) { return sameOrigin(u) && STATIC.test(u.pathname); });
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    var pageDone = fetch(pageUrl.href, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (keepable(response)) { return storePage(pageUrl.href, response); }
      return null;
    });
    var shellDone = cache.keys().then(function (keys) {
      var wanted = files.map(function (u) { return u.href; });
      // Only this page's shell is kept: files of an older version go.
      return Promise.all(keys.filter(function (k) {
        var u = new URL(k.url);
        return STATIC.test(u.pathname) && wanted.indexOf(u.href) < 0;
      }).map(function (k) { return cache.delete(k); })).then(function () {
        return Promise.all(wanted.map(function (href) {
          return cache.match(href).then(function (hit) { return hit || cache.add(href); });
        }));
      });
    });
    return Promise.all([pageDone, shellDone]).catch(function () { /* the next page keeps it */ });
  }));
});
