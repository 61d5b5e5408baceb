// Test page script: the npm package `plausible-tracker` used as its README shows, with
// apiHost pointing at our server (window.TEST_CONFIG = {domain, apiHost}).
import Plausible from 'plausible-tracker'

const { domain, apiHost } = window.TEST_CONFIG
const plausible = Plausible({ domain, apiHost, trackLocalhost: false })
plausible.trackPageview()
plausible.enableAutoOutboundTracking()
window.signup = () => plausible.trackEvent('Signup', { props: { plan: 'pro', seats: '3' } })
