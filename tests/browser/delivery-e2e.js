// Consent and the delivery log end to end: starts `iterate-actions serve` (the binary
// given as the first argument), configures an Iterate destination through the JSON API
// with consent categories (for the destination and for one mapping), plays events in
// the demo page with analytics-next in headless Chromium, and checks that
//   - the page waits for consent, delivers what is granted, logs out of Iterate when
//     consent is revoked;
//   - the counters the page beacons on `pagehide` (captured from the page's requests)
//     are what the events imply, reach the server, and are exactly what the API and the
//     destination page of the web UI show, per mapping.
// Prints `delivery-e2e: ok` or fails with every difference.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { start, api, launch, TOKEN } = require('./serve-support')

const COUNTERS = ['matched', 'skippedTrigger', 'skippedConsent', 'skippedValidation', 'delivered']
const ATTRIBUTES = { matched: 'data-matched', skippedTrigger: 'data-skipped-trigger', skippedConsent: 'data-skipped-consent', skippedValidation: 'data-skipped-validation', delivered: 'data-delivered' }

// Equal as JSON, whatever the order of object keys.
function same(a, b) {
  const canon = (v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]))
    : Array.isArray(v) ? v.map(canon) : v)
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b))
}

function zero() {
  return Object.fromEntries(COUNTERS.map((k) => [k, 0]))
}

// The counters of every beacon, summed per subscription.
function sum(beacons) {
  const totals = {}
  for (const b of beacons) {
    for (const c of b.counters) {
      const t = totals[c.subscription] || (totals[c.subscription] = zero())
      for (const k of COUNTERS) t[k] += c[k] || 0
    }
  }
  return totals
}

async function main() {
  const binary = process.argv[2] && path.resolve(process.argv[2])
  if (!binary || !fs.existsSync(binary)) throw new Error('usage: node delivery-e2e.js <path to iterate-actions>')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iterate-delivery-'))
  const { child, origin } = await start(binary, path.join(tmp, 'e2e.db'), ['--demo'])
  let context
  const problems = []
  const check = (ok, message) => {
    if (!ok) problems.push(message)
  }
  try {
    const source = await api(origin, 'POST', '/sources', { name: 'Consent site' })
    const dest = await api(origin, 'POST', '/destinations', {
      sourceId: source.id,
      slug: 'actions-iterate',
      enabled: true,
      settings: { apiKey: 'e2e-key', consentCategories: ['surveys'], deliveryLogSampleRate: 1 }
    })
    const byAction = (a) => dest.mappings.find((m) => m.partnerAction === a)
    const add = (m) => api(origin, 'POST', `/destinations/${dest.id}/mappings`, { enabled: true, partnerAction: 'trackEvent', ...m })
    const plan = await add({ name: 'Plan survey', subscribe: 'event = "Upgraded"', mapping: { name: { '@path': '$.properties.plan' } } })
    const ads = await add({ name: 'Ads survey', subscribe: 'type = "track"', mapping: { name: 'ads' }, consentCategories: ['advertising'] })
    const ids = { track: byAction('trackEvent').id, identify: byAction('identifyUser').id, plan: plan.id, ads: ads.id }

    const settings = await (await fetch(`${origin}/v1/projects/${source.writeKey}/settings`)).json()
    const plugin = settings.remotePlugins[0]
    const logUrl = `${origin}/v1/projects/${source.writeKey}/destinations/${dest.id}/delivery`
    check(plugin.settings.deliveryLogUrl === logUrl, `deliveryLogUrl ${plugin.settings.deliveryLogUrl}, expected ${logUrl}`)
    check(same(plugin.settings.consentCategories, ['surveys']), `plugin consentCategories ${JSON.stringify(plugin.settings.consentCategories)}`)
    // Only Segment.io there: another entry would make analytics-next fetch a chunk from its CDN.
    check(same(Object.keys(settings.integrations), ['Segment.io']), `integrations ${JSON.stringify(settings.integrations)}`)

    context = await launch(fs.mkdtempSync(path.join(tmp, 'profile-')))
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort())
    const beacons = []
    const answered = []
    page.on('request', (r) => {
      if (r.url() === logUrl && r.method() === 'POST') beacons.push(JSON.parse(r.postData()))
    })
    page.on('response', (r) => {
      if (r.url() === logUrl) answered.push(r.status())
    })
    await page.goto(`${origin}/demo?writeKey=${source.writeKey}`)
    await page.evaluate(async () => {
      const [a] = await window.demo.analytics
      const consent = (prefs) => ({ context: { consent: { categoryPreferences: prefs } } })
      await a.track('Before Consent')
      await a.track('Upgraded', { plan: 'pro' }, consent({ surveys: true, advertising: false }))
      await a.track('Upgraded', { seats: 3 })
      await a.identify('user-7', { email: 'private@example.com' })
      await a.track('Revoked', {}, consent({ surveys: false, advertising: true }))
      await a.track('After Revoke')
      window.dispatchEvent(new Event('pagehide'))
    })
    await page.waitForFunction((n) => window.__iterateCalls.length >= n, 5, { timeout: 10000 })
    const calls = await page.evaluate(() => window.__iterateCalls)
    const expectedCalls = [
      ['event', 'Before Consent'],
      ['event', 'Upgraded'],
      ['event', 'pro'],
      ['event', 'Upgraded'],
      ['identify', { email: 'private@example.com', external_id: 'user-7' }],
      ['uninstall']
    ]
    check(same(calls, expectedCalls), `Iterate calls ${JSON.stringify(calls)}, expected ${JSON.stringify(expectedCalls)}`)

    // The beacon's answer is the server's word that it stored the counters.
    const deadline = Date.now() + 10000
    while ((answered.length < beacons.length || !beacons.length) && Date.now() < deadline) await page.waitForTimeout(50)
    check(beacons.length > 0 && answered.length === beacons.length && answered.every((s) => s === 202), `beacons ${beacons.length}, answers ${JSON.stringify(answered)}`)
    check(!JSON.stringify(beacons).includes('private@example.com') && !JSON.stringify(beacons).includes('user-7'), 'a beacon carries event contents')
    const sent = sum(beacons)
    // What the six events imply, mapping by mapping (5 tracks, 1 identify; "Before
    // Consent" waited for consent and counts as matched once).
    const expected = {
      [ids.track]: { matched: 5, skippedTrigger: 1, skippedConsent: 2, skippedValidation: 0, delivered: 3 },
      [ids.identify]: { matched: 1, skippedTrigger: 5, skippedConsent: 0, skippedValidation: 0, delivered: 1 },
      [ids.plan]: { matched: 2, skippedTrigger: 4, skippedConsent: 0, skippedValidation: 1, delivered: 1 },
      [ids.ads]: { matched: 5, skippedTrigger: 1, skippedConsent: 5, skippedValidation: 0, delivered: 0 }
    }
    check(same(sent, expected), `the page sent ${JSON.stringify(sent)}, expected ${JSON.stringify(expected)}`)
    const sentErrors = beacons.flatMap((b) => b.errors || [])
    check(sentErrors.some((e) => e.subscription === ids.plan && e.kind === 'validation'), `errors sent: ${JSON.stringify(sentErrors)}`)

    // The API shows what was sent.
    const delivery = await api(origin, 'GET', `/destinations/${dest.id}/delivery?hours=24`)
    for (const m of delivery.mappings) {
      check(same(m.totals, sent[m.subscription] || zero()), `API totals of ${m.subscription}: ${JSON.stringify(m.totals)}, sent ${JSON.stringify(sent[m.subscription])}`)
    }
    check(delivery.mappings.length === 4, `API lists ${delivery.mappings.length} mappings`)
    check(delivery.errors.some((e) => e.subscription === ids.plan && e.kind === 'validation'), `API errors: ${JSON.stringify(delivery.errors)}`)

    // So does the destination page of the web UI.
    await page.goto(`${origin}/ui`)
    await page.getByLabel('Admin token').fill(TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${origin}/ui/destinations`)
    await page.goto(`${origin}/ui/destinations/${dest.id}`)
    const shown = await page.$$eval('tr[data-delivery-subscription]', (rows, attributes) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-delivery-subscription'), Object.fromEntries(Object.entries(attributes).map(([k, a]) => [k, Number(r.getAttribute(a))]))])),
    ATTRIBUTES)
    check(same(Object.keys(shown).sort(), Object.keys(expected).sort()), `the page lists ${JSON.stringify(Object.keys(shown))}`)
    for (const id of Object.keys(expected)) {
      check(same(shown[id], sent[id]), `the page shows ${JSON.stringify(shown[id])} for ${id}, the browser sent ${JSON.stringify(sent[id])}`)
    }
    const shots = path.join(__dirname, 'results', 'screenshots')
    fs.mkdirSync(shots, { recursive: true })
    await page.locator('#delivery-section').screenshot({ path: path.join(shots, 'delivery-log.png') })
    const planRow = page.locator(`tr[data-delivery-subscription="${ids.plan}"]`)
    check((await planRow.innerText()).includes('Plan survey'), 'the plan row does not name its mapping')
    check((await page.locator('svg').count()) > 0, 'no chart on the destination page')
    check(errors.length === 0, `page errors: ${errors.join('; ')}`)
    if (problems.length) throw new Error(problems.join('\n'))
    console.log(`delivery-e2e: ok (${beacons.length} beacon(s); counters sent = API = page for ${Object.keys(expected).length} mappings)`)
  } finally {
    if (context) await context.close()
    child.kill('SIGTERM')
  }
}

main().catch((e) => {
  console.error(`delivery-e2e: FAILED: ${e.stack || e}`)
  process.exit(1)
})
