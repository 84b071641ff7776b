/* Xiaoge handheld service worker (scope /handheld/).
 *
 * Keeps the app shell (page, scripts, styles, socket.io client) so the page reloads with no
 * network and shows the taps still queued in IndexedDB. Only the shell is answered from
 * the cache; the API and the socket always go to the network (the page queues what fails).
 * The cache name carries a digest of the shell files: a changed file makes a new worker,
 * which caches the new shell and drops the old one.
 */
"use strict";

var CACHE = {{ cache_name|tojson }};
var SHELL = {{ shell|tojson }};
var PAGE = {{ page|tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { return new Request(url, {cache: "reload"}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("xiaoge-handheld-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var key = request.mode === "navigate" ? (url.pathname === PAGE ? PAGE : null) : url.pathname;
  if (key === null || SHELL.indexOf(key) < 0) return;  // not the shell: the network as usual
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(key);
  }).then(function (cached) {
    return cached || fetch(request);
  }));
});
