/*
 * Sparklytics tracker (served minified at /s.js; build: bash sparklytics/tracker/build.sh).
 *
 *   <script defer src="https://analytics.example.com/s.js" data-website-id="site_…"></script>
 *
 * Privacy rules this file keeps (see README.md next to it):
 *   - no cookies, ever; nothing identifying is computed here (the server derives a daily,
 *     salted visitor id from IP + user agent and never stores the IP);
 *   - nothing is written to browser storage except (a) the utm_* values of the landing URL,
 *     in sessionStorage so that later pages of the same tab keep the campaign, and (b) the id
 *     a site passes to identify(), in localStorage, until reset();
 *   - Do Not Track and Global Privacy Control stop all sending unless the site opts out
 *     with data-respect-dnt="false";
 *   - requests are "simple" CORS requests (POST, text/plain body, no custom headers), so the
 *     browser sends no preflight, and fetch() sends no credentials.
 *
 * Every request carries exactly one event with only the fields the collect API accepts
 * (API.md §1.4): website_id, type, url, referrer, screen, language, event_name, event_data,
 * utm_*, visitor_id. Unknown fields would be rejected by the server.
 */
import { attempt, post, watchLinks, watchPages } from './shared.js'

;((w, d, nav) => {
  const script = d.currentScript
  const attr = (name) => script && script.getAttribute('data-' + name)
  const websiteId = attr('website-id')
  // Without a website id (or when loaded in a way that hides currentScript) do nothing.
  if (!websiteId) return

  const loc = location
  const apiHost = attr('api-host')
  // Default endpoint sits next to the script: https://x/s.js -> https://x/e and, behind a
  // first-party proxy, https://site/_sl/s.js -> https://site/_sl/e.
  const endpoint = apiHost ? apiHost.replace(/\/+$/, '') + '/e' : new URL('e', script.src).href
  const excludeHash = attr('exclude-hash') == 'true'
  const off =
    attr('disabled') == 'true' ||
    (attr('respect-dnt') != 'false' && (nav.doNotTrack == '1' || nav.globalPrivacyControl == true)) ||
    // Opt-in only (tests and many dev setups run on localhost, so the default is to track).
    (attr('ignore-localhost') == 'true' && /^(localhost|127\.|\[::1\]$)/.test(loc.hostname))

  const VISITOR_KEY = 'sparklytics_visitor_id'
  const UTM_KEY = '_spl_utm'

  // utm_* values of this tab's landing page (restored on later pages of a multi-page site).
  let utm = attempt(() => JSON.parse(sessionStorage[UTM_KEY]))
  // URL of the last pageview sent (SPA de-duplication) and scroll thresholds already sent for it.
  let lastUrl, scrolled

  const currentUrl = () => (excludeHash ? loc.href.split('#')[0] : loc.href)

  const send = (type, eventName, eventData) => {
    if (off) return
    // JSON.stringify drops undefined values, so absent optional fields are not sent at all.
    const body = JSON.stringify({
      website_id: websiteId,
      type,
      url: currentUrl(),
      referrer: d.referrer || undefined,
      screen: screen.width + 'x' + screen.height,
      language: nav.language,
      event_name: eventName,
      event_data: eventData,
      visitor_id: attempt(() => localStorage[VISITOR_KEY]),
      ...utm,
    })
    post(endpoint, body)
  }

  const pageview = () => {
    const url = currentUrl()
    // One pageview per distinct URL: replaceState with the same URL, popstate + hashchange for
    // the same navigation, and hash-only changes under data-exclude-hash are ignored.
    if (url == lastUrl) return
    lastUrl = url
    scrolled = {}
    const params = new URLSearchParams(loc.search)
    let found
    for (const key of ['source', 'medium', 'campaign', 'term', 'content']) {
      const value = params.get('utm_' + key)
      if (value) (found ||= {})['utm_' + key] = value
    }
    if (found) {
      utm = found
      attempt(() => (sessionStorage[UTM_KEY] = JSON.stringify(found)))
    }
    send('pageview')
  }

  // SPA navigation: history API (wrapped), back/forward, hash routing, back-forward cache.
  watchPages(pageview, true, () => (lastUrl = 0))

  // data-track-links="true" (every http(s) link) or "outbound" (other hosts only).
  const links = attr('track-links')
  if (links == 'true' || links == 'outbound')
    watchLinks((a) => {
      const external = a.host != loc.host
      if (external || links == 'true')
        send('event', 'link_click', {
          // Internal links report the path only (no query string, no fragment).
          href: external ? a.href : a.pathname,
          text: a.textContent.trim().slice(0, 100),
          external,
        })
    })

  // data-track-scroll-depth="true" (25,50,75,100) or a comma list of percentages.
  const depths = attr('track-scroll-depth')
  const thresholds =
    depths == 'true' ? [25, 50, 75, 100] : (depths || '').split(',').map(Number).filter(Boolean)
  if (thresholds[0])
    w.addEventListener(
      'scroll',
      () => {
        const percent = Math.round(((scrollY + innerHeight) * 100) / d.documentElement.scrollHeight)
        for (const depth of thresholds)
          if (percent >= depth && !scrolled[depth]) {
            scrolled[depth] = 1
            send('event', 'scroll_depth', { depth })
          }
      },
      { passive: true },
    )

  // data-track-forms="true": one event per submit; field values are never read.
  if (attr('track-forms') == 'true')
    d.addEventListener(
      'submit',
      (event) => {
        // getAttribute, because form.id / form.name / form.action can be shadowed by inputs.
        const get = (name) => event.target.getAttribute(name) || undefined
        send('event', 'form_submit', { form_id: get('id'), form_name: get('name'), action: get('action') })
      },
      true,
    )

  w.sparklytics = {
    // track('signup', {plan: 'pro'}): name cut to 50 chars; events whose data serializes to
    // more than 4 096 bytes (the server's limit) are dropped here instead of failing there.
    track(name, data) {
      const json = attempt(() => JSON.stringify(data) || '')
      if (name && json != null && new Blob([json]).size <= 4096) send('event', String(name).slice(0, 50), data)
    },
    // identify('user-42'): an id the site chooses (1-64 chars), kept in localStorage and sent
    // as visitor_id until reset(). This is the only identifier the tracker ever stores.
    identify(id) {
      if (!off && typeof id == 'string' && id && id.length <= 64) attempt(() => (localStorage[VISITOR_KEY] = id))
    },
    reset() {
      attempt(() => localStorage.removeItem(VISITOR_KEY))
    },
  }

  // A page prerendered by the browser (speculation rules) counts only once it is shown.
  d.prerendering ? d.addEventListener('prerenderingchange', pageview, { once: true }) : pageview()
})(window, document, navigator)
