/*
 * What every tracker build shares (s.js, and the Plausible- and Umami-compatible builds
 * served at /js/script.js and /script.js): sending, page changes, link clicks.
 * esbuild inlines these into each build (build.mjs); nothing here runs on import.
 */

// Storage and some browser APIs throw when blocked (sandboxed iframes, strict settings).
export const attempt = (fn) => {
  try {
    return fn()
  } catch (e) {}
}

// A string body goes out as text/plain;charset=UTF-8: a CORS "simple" request, no
// preflight. sendBeacon survives page unload (outbound clicks, form submits);
// fetch(keepalive) is the fallback when it is missing or refuses the request.
export const post = (endpoint, body) =>
  navigator.sendBeacon?.(endpoint, body) ||
  fetch(endpoint, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {})

// Calls onPage() after every page change of a single-page app: history.pushState and
// replaceState (wrapped), back/forward, hash changes when `hashes` is set, and a page
// restored from the back-forward cache (the script does not run again, yet it is a page
// view like a reload would be; `onRestore` lets the caller forget its last URL first).
export const watchPages = (onPage, hashes, onRestore) => {
  for (const method of ['pushState', 'replaceState']) {
    const original = history[method]
    history[method] = function () {
      const result = original.apply(this, arguments)
      onPage()
      return result
    }
  }
  addEventListener('popstate', onPage)
  if (hashes) addEventListener('hashchange', onPage)
  addEventListener('pageshow', (event) => event.persisted && (onRestore(), onPage()))
}

// Calls onLink(a, event) for clicks (and middle clicks) on http(s) links; mailto:, tel:,
// javascript: and SVG links are ignored.
export const watchLinks = (onLink) => {
  const onClick = (event) => {
    const a = event.target.closest?.('a[href]')
    if (a && /^http/.test(a.protocol) && event.button <= 1) onLink(a, event)
  }
  document.addEventListener('click', onClick, true)
  document.addEventListener('auxclick', onClick, true)
}
