// The field app's service worker: the app shell from the cache (so the
// page opens with no network), the API's GET answers network-first with
// the last good answer as the fallback. Writes are never handled here:
// the app keeps them in IndexedDB and sends them itself when it can.
'use strict';
const CACHE = 'bantong-field-v1';
const SHELL = ['/field/', '/field/app.js', '/field/app.css', '/field/manifest.webmanifest', '/field/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request)
    .then((r) => { if (r.ok) cache.put(request, r.clone()); return r; })
    .catch(() => undefined);
  return cached || (await fresh) || Response.error();
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/field/')) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/blobs/')) {
    event.respondWith(networkFirst(request));
  }
});
