/*
 * Umami-compatible tracker, served at /script.js. An Umami snippet keeps working when
 * only its host changes:
 *
 *   <script defer src="https://ours/script.js" data-website-id="<umami uuid or site_…>"></script>
 *
 * Umami's attributes: data-host-url (where to send; default the script's origin),
 * data-auto-track="false" (no automatic pageviews), data-domains (comma list: count only
 * on these hosts), data-tag, data-exclude-search, data-exclude-hash, data-do-not-track,
 * data-before-send (name of a global function that gets (type, payload) and returns the
 * payload to send, or a falsy value to drop it). Clicks on elements with
 * data-umami-event="name" (and data-umami-event-<prop>="value") are events.
 *
 *   umami.track()                          a pageview
 *   umami.track('signup')                  an event
 *   umami.track('signup', {plan: 'pro'})   an event with data
 *   umami.track({url: '/x', title: 'X'})   a pageview with these payload fields
 *   umami.track((p) => ({...p, url: '/x'})) a pageview with the payload the function returns
 *   umami.identify('user-42' [, data]) / umami.identify(data)   who the visitor is
 *
 * It sends Umami's body ({type, payload: {website, hostname, screen, language, title, url,
 * referrer, tag, id, name, data}}) to POST /api/send. Privacy as in s.js: no cookies, no
 * storage (an identify() id lives in memory for the page), CORS "simple" requests.
 */
import { attempt, post, watchLinks, watchPages } from './shared.js'

;(() => {
  const d = document
  const loc = location
  const script = d.currentScript
  const attr = (name) => script && script.getAttribute('data-' + name)
  const website = attr('website-id')
  if (!website) return

  const endpoint = (attr('host-url') || new URL(script.src).origin).replace(/\/+$/, '') + '/api/send'
  const domains = (attr('domains') || '').split(',').map((s) => s.trim()).filter(Boolean)
  const off =
    (attr('do-not-track') == 'true' && (navigator.doNotTrack == '1' || window.doNotTrack == '1')) ||
    (domains.length && !domains.includes(loc.hostname)) ||
    attempt(() => localStorage.getItem('umami.disabled'))

  const pageUrl = () => {
    const url = new URL(loc.href)
    if (attr('exclude-search') == 'true') url.search = ''
    if (attr('exclude-hash') == 'true') url.hash = ''
    return url.href
  }
  let url = pageUrl()
  let referrer = d.referrer
  let identity

  const basePayload = () => ({
    website,
    hostname: loc.hostname,
    screen: `${screen.width}x${screen.height}`,
    language: navigator.language,
    title: d.title,
    url,
    referrer,
    tag: attr('tag') || undefined,
    id: identity,
  })

  const send = (payload, type = 'event') => {
    if (off) return
    const hook = window[attr('before-send')]
    const final = typeof hook == 'function' ? hook(type, payload) : payload
    if (final) post(endpoint, JSON.stringify({ type, payload: final }))
  }

  const track = (name, data) => {
    if (typeof name == 'string') return send({ ...basePayload(), name, data })
    if (typeof name == 'object') return send({ ...name })
    if (typeof name == 'function') return send(name(basePayload()))
    return send(basePayload())
  }

  const identify = (id, data) => {
    if (typeof id == 'string') identity = id
    send({ ...basePayload(), data: typeof id == 'object' ? id : data }, 'identify')
  }

  if (attr('auto-track') != 'false') {
    watchPages(
      () => {
        const next = pageUrl()
        if (next == url) return
        referrer = url
        url = next
        track()
      },
      false,
      () => {},
    )
    // data-umami-event="name" on a link, a button or any element (or its parent).
    const tagged = (target) => {
      const el = target.closest?.('[data-umami-event]')
      if (!el) return
      const data = {}
      for (const name of el.getAttributeNames())
        if (name.startsWith('data-umami-event-')) data[name.slice(17)] = el.getAttribute(name)
      track(el.getAttribute('data-umami-event'), data)
    }
    watchLinks((a) => tagged(a))
    d.addEventListener('click', (event) => event.target.closest?.('a[href]') || tagged(event.target), true)
    track()
  }

  window.umami = { track, identify }
})()
