// Test page script: the npm package `@plausible-analytics/tracker` used as its README
// shows, with its endpoint pointing at our server (window.TEST_CONFIG = {domain, endpoint}).
import { init, track } from '@plausible-analytics/tracker'

const { domain, endpoint } = window.TEST_CONFIG
init({ domain, endpoint, outboundLinks: true, fileDownloads: true, customProperties: { section: 'docs' } })
window.purchase = () => track('Purchase', { revenue: { amount: 15.99, currency: 'USD' }, props: { item: 'book' } })
