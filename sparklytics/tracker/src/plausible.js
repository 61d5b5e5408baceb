/*
 * Plausible-compatible tracker, served at /js/script.js and /js/script.<ext>[.<ext>…].js
 * (also under the legacy name /js/plausible.js). A Plausible snippet keeps working when
 * only its host changes:
 *
 *   <script defer data-domain="example.com" src="https://ours/js/script.outbound-links.js"></script>
 *
 * One build serves every variant: the extensions are read from the script's own file
 * name, in any order (hash, outbound-links, file-downloads, tagged-events, revenue,
 * pageview-props, manual, exclusions, local, compat). It sends Plausible's body
 * ({n, u, d, r, p, $, i, h}) to POST /api/event (data-api overrides the endpoint), so
 * what a Plausible user configured — goals by event name, props, revenue — arrives as
 * they expect. window.plausible(name, {props, revenue, u, interactive, callback}) works,
 * also when called before the script loaded (the snippet's plausible.q queue).
 *
 * Privacy as in s.js: no cookies, nothing stored, requests are CORS "simple" (text/plain,
 * no credentials). Like Plausible, it does not count localhost unless `local` is given.
 */
import { attempt, post, watchLinks, watchPages } from './shared.js'

;(() => {
  const d = document
  const loc = location
  const script = d.currentScript || (d.getElementById && d.getElementById('plausible'))
  if (!script) return
  const attr = (name) => script.getAttribute(name)
  const file = new URL(script.src, loc.href).pathname.split('/').pop()
  const ext = new Set(file.split('.').slice(1, -1))
  const domain = attr('data-domain') || loc.hostname.replace(/^www\./, '')
  const endpoint = attr('data-api') || new URL('/api/event', script.src).href
  const FILE_TYPES = 'pdf xlsx docx txt rtf csv exe key pps ppt pptx 7z pkg rar gz zip avi mov mp4 mpeg wmv midi mp3 wav wma dmg'
  const list = (name) => (attr(name) || '').split(',').map((s) => s.trim()).filter(Boolean)

  // data-include / data-exclude: path patterns where * is one segment's text, ** anything.
  const matches = (patterns) =>
    patterns.some((pattern) =>
      new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*') + '/?$').test(
        loc.pathname,
      ),
    )
  const excluded = () =>
    ext.has('exclusions') &&
    ((list('data-include').length && !matches(list('data-include'))) || matches(list('data-exclude')))

  // event-* attributes of the script tag (pageview-props) go with every event.
  const scriptProps = () => {
    const props = {}
    if (ext.has('pageview-props'))
      for (const name of script.getAttributeNames())
        if (name.startsWith('event-')) props[name.slice(6)] = attr(name)
    return props
  }

  const trigger = (name, options = {}) => {
    const ignored =
      (!ext.has('local') && /^localhost$|^127(\.[0-9]+){0,2}\.[0-9]+$|^\[::1?\]$/.test(loc.hostname)) ||
      loc.protocol == 'file:' ||
      excluded() ||
      attempt(() => localStorage.plausible_ignore) == 'true'
    if (!ignored) {
      const props = { ...scriptProps(), ...options.props }
      post(
        endpoint,
        JSON.stringify({
          n: name,
          u: options.u || loc.href,
          d: domain,
          r: d.referrer || null,
          p: Object.keys(props).length ? props : undefined,
          $: options.revenue,
          i: options.interactive === false ? false : undefined,
          h: ext.has('hash') ? 1 : undefined,
        }),
      )
    }
    options.callback?.({ status: ignored ? 0 : 202 })
  }

  let lastPage
  const pageview = () => {
    const page = loc.pathname + (ext.has('hash') ? loc.hash : '')
    if (page == lastPage) return
    lastPage = page
    trigger('pageview')
  }

  // An element (or an ancestor) tagged with classes plausible-event-name=Signup,
  // plausible-event-<prop>=<value> (+ means a space) and, with `revenue`,
  // plausible-revenue-amount=9.99 plausible-revenue-currency=EUR.
  const tagged = (element) => {
    for (let el = element, depth = 0; el && depth < 4; el = el.parentElement, depth++) {
      const values = {}
      for (const cls of el.classList || []) {
        const tag = cls.match(/^plausible-((?:event|revenue)-[^=]+)=(.*)$/)
        if (tag) values[tag[1]] = tag[2].replace(/\+/g, ' ')
      }
      const name = values['event-name']
      if (name) {
        const props = {}
        for (const key in values) if (key.startsWith('event-') && key != 'event-name') props[key.slice(6)] = values[key]
        const amount = values['revenue-amount']
        const revenue = ext.has('revenue') && amount ? { amount, currency: values['revenue-currency'] } : undefined
        return [name, { props, revenue }]
      }
    }
  }

  const fileTypes = list('file-types').length ? list('file-types') : [...FILE_TYPES.split(' '), ...list('add-file-types')]
  watchLinks((a, event) => {
    const tag = ext.has('tagged-events') && tagged(a)
    if (tag) return trigger(...tag)
    if (ext.has('outbound-links') && a.host != loc.host) trigger('Outbound Link: Click', { props: { url: a.href } })
    const type = a.pathname.split('.').pop().toLowerCase()
    if (ext.has('file-downloads') && a.pathname.includes('.') && fileTypes.includes(type))
      trigger('File Download', { props: { url: a.href.split('?')[0] } })
  })
  if (ext.has('tagged-events')) {
    d.addEventListener(
      'click',
      (event) => {
        const tag = !event.target.closest?.('a[href]') && tagged(event.target)
        if (tag) trigger(...tag)
      },
      true,
    )
    d.addEventListener('submit', (event) => {
      const tag = tagged(event.target)
      if (tag) trigger(...tag)
    }, true)
  }

  const queued = (window.plausible && window.plausible.q) || []
  window.plausible = trigger
  for (const args of queued) trigger(...args)

  if (!ext.has('manual')) {
    watchPages(pageview, ext.has('hash'), () => (lastPage = 0))
    d.visibilityState == 'prerender'
      ? d.addEventListener('visibilitychange', () => lastPage || pageview())
      : pageview()
  }
})()
