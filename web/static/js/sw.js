// The card keeps working offline: its page and files come from the network when there is one (and are
// cached again), from this cache when there is not. The API is never cached.
const CACHE = "seoul-card-v2";
const CARD_FILES = [
  "/card",
  "/manifest.webmanifest",
  "/assets/css/site.css",
  "/assets/icon.svg",
  "/assets/js/api.js",
  "/assets/js/card.js",
  "/assets/js/dom.js",
  "/assets/js/i18n.js",
  "/assets/js/qr.js",
  "/assets/js/scc2.js",
  "/assets/js/totp.js",
  "/assets/vendor/qrcode-generator/qrcode.mjs",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(CARD_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  const stale = caches.keys().then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))));
  event.waitUntil(stale.then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !CARD_FILES.includes(url.pathname)) {
    return;
  }
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      })
      .catch(() => caches.match(url.pathname)),
  );
});
