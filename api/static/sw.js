/* Keeps the stocktake page usable with no signal: the page and its files are
   cached; a scanned label's page (/s/TAG) falls back to the stocktake page,
   which then looks the tag up in the device list kept on the phone. */
var CACHE = "stocktake-v6";  // a new name when the files change: installed together, the old set dropped
var PAGE = "/stocktake";
// photos.js is small and must work with no signal the first time a photo is taken;
// fieldqueue.js is the queue both it and stocktake.js keep.
var FILES = ["/static/app.css", "/static/scan.css", "/field/tags.js", "/vocabulary.js", "/field/fieldqueue.js",
  "/field/stocktake.js", "/field/photos.js"];
// Fetched when first needed (the camera; rounds.js only ever with signal); kept from then on.
var LAZY = ["/field/camera.js", "/static/vendor/jsQR.min.js", "/field/rounds.js"];

function cachePage(cache) {
  return fetch(PAGE, { credentials: "same-origin" }).then(function (response) {
    // Only a real page: not the log-in page a redirect would bring.
    if (response.ok && !response.redirected) return cache.put(PAGE, response);
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(FILES).then(function () { return cachePage(cache); });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === PAGE || url.pathname.toLowerCase().indexOf("/s/") === 0)) {
    // Network first (a weak signal gets 5 s), then the cached page.
    event.respondWith(withTimeout(fetch(request), 5000).then(function (response) {
      if (url.pathname === PAGE && response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE).then(function (cached) {
        return cached || new Response("Không có mạng và trang kiểm kê chưa được lưu trên máy.",
          { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
      });
    }));
  } else if (FILES.indexOf(url.pathname) >= 0 || LAZY.indexOf(url.pathname) >= 0) {
    // Cached copy at once; refreshed in the background for next time.
    event.respondWith(caches.open(CACHE).then(function (cache) {
      // Pages ask for /static/FILE?v=HASH; the copy is kept under /static/FILE.
      return cache.match(url.pathname).then(function (cached) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(url.pathname, response.clone());
          return response;
        });
        if (cached) { fresh.catch(function () {}); return cached; }
        return fresh;
      });
    }));
  }
});
