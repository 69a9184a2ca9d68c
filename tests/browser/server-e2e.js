// End to end through the control plane: starts `iterate-actions serve` (the binary
// given as the first argument) on 127.0.0.1 with a temporary database, configures an
// Iterate destination through the JSON API (a custom mapping added, a preset
// disabled), then points analytics-next in headless Chromium at the server's settings
// endpoint and checks the window.Iterate calls our bundle makes. Prints
// `server-e2e: ok` or fails with the difference.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { start, api, launch } = require('./serve-support')


function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b)
}

async function main() {
  const binary = process.argv[2] && path.resolve(process.argv[2])
  if (!binary || !fs.existsSync(binary)) throw new Error('usage: node server-e2e.js <path to iterate-actions>')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iterate-e2e-'))
  const { child, origin } = await start(binary, path.join(tmp, 'e2e.db'), ['--demo'])
  let context
  try {
    const source = await api(origin, 'POST', '/sources', { name: 'E2E site' })
    const dest = await api(origin, 'POST', '/destinations', {
      sourceId: source.id,
      slug: 'actions-iterate',
      enabled: true,
      settings: { apiKey: 'e2e-key' }
    })
    const identify = dest.mappings.find((m) => m.partnerAction === 'identifyUser')
    await api(origin, 'PATCH', `/destinations/${dest.id}/mappings/${identify.id}`, { enabled: false })
    await api(origin, 'POST', `/destinations/${dest.id}/mappings`, {
      name: 'Order survey',
      enabled: true,
      subscribe: 'type = "track" and event = "Order Completed"',
      partnerAction: 'trackEvent',
      mapping: { name: { '@template': 'Order {{properties.order_id}} ({{properties.plan}})' } }
    })

    context = await launch(fs.mkdtempSync(path.join(tmp, 'profile-')))
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(e.message))
    const blocked = []
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => {
      blocked.push(route.request().url())
      route.abort()
    })
    await page.goto(`${origin}/demo?writeKey=${source.writeKey}`)
    await page.evaluate(async () => {
      const a = window.demo.analytics
      await a.identify('user-e2e', { email: 'e2e@example.com' })
      await a.track('Order Completed', { order_id: 'o-7', plan: 'pro' })
      await a.track('Signed Up')
    })
    await page.waitForFunction(() => window.__iterateCalls.length >= 3, null, { timeout: 10000 })
    const calls = await page.evaluate(() => window.__iterateCalls)
    const expected = [
      ['event', 'Order Completed'],
      ['event', 'Order o-7 (pro)'],
      ['event', 'Signed Up']
    ]
    const problems = []
    if (!same(calls, expected)) problems.push(`calls ${JSON.stringify(calls)}, expected ${JSON.stringify(expected)}`)
    if (errors.length) problems.push(`page errors: ${errors.join('; ')}`)
    if (blocked.length) problems.push(`requests left 127.0.0.1: ${blocked.join(', ')}`)
    // The same factory as an ES module, for sites that bundle analytics.js from npm:
    // imported from the server's bundle path, it finds iterate.wasm next to itself.
    const settings = await (await fetch(`${origin}/v1/projects/${source.writeKey}/settings`)).json()
    const moduleUrl = settings.remotePlugins[0].url.replace(/iterate\.js$/, 'index.mjs')
    const fromModule = await page.evaluate(async ({ url, pluginSettings }) => {
      const mod = await import(url)
      const plugins = await mod.default(pluginSettings)
      return { pluginName: mod.default.pluginName, names: plugins.map((p) => p.name) }
    }, { url: moduleUrl, pluginSettings: settings.remotePlugins[0].settings })
    const expectedModule = { pluginName: 'Iterate Web (Actions)', names: ['Iterate Web (Actions) trackEvent'] }
    if (!same(fromModule, expectedModule)) problems.push(`ES module: ${JSON.stringify(fromModule)}, expected ${JSON.stringify(expectedModule)}`)
    if (problems.length) throw new Error(problems.join('\n'))
    console.log(`server-e2e: ok (${calls.length} Iterate calls through ${origin})`)
  } finally {
    if (context) await context.close()
    child.kill('SIGTERM')
  }
}

main().catch((e) => {
  console.error(`server-e2e: FAILED: ${e.stack || e}`)
  process.exit(1)
})
