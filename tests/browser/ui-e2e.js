// The web UI end to end in headless Chromium: starts `iterate-actions serve` (the binary
// given as the first argument) on 127.0.0.1 with a temporary database, then walks the
// seed's path click for click (sign in → Catalog → Destination Actions → search
// "Iterate (Actions)" → Configure → create a source → Embed API Key → the destination
// with its presets), manages mappings (disable, rename by keyboard, duplicate, delete
// with confirmation, the 50-mapping limit), the install snippet and the Iterate preview
// link, the mapping editor with the engine running in the page (positioned FQL errors,
// field errors, the trigger builder's round trip with the text, the event tester's
// verdict, payload, problems and calls), a refused save placed next to the trigger, a
// new mapping, the version history with a rollback, the Sources page (create with an
// empty name refused in place, copy a write key, rename by keyboard, disable so the
// settings endpoint answers 404, enable, the delete confirmation naming the
// destinations, delete a spare source), CSRF refusals and sign-out.
//
// Every page is saved as a screenshot at 1280 and 390 px wide into
// results/screenshots/, and at 390 px no page may scroll sideways. Requests to any host
// but 127.0.0.1 are blocked and reported. Prints `ui-e2e: ok` or fails with the step.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { TOKEN, start, api, launch } = require('./serve-support')

const SHOTS = path.join(__dirname, 'results', 'screenshots')
const WIDE = { width: 1280, height: 900 }
const NARROW = { width: 390, height: 844 }

function check(cond, message) {
  if (!cond) throw new Error(message)
}

let current = 'start'
function step(name) {
  current = name
  console.log(`ui-e2e: ${name}`)
}

async function main() {
  const binary = process.argv[2] && path.resolve(process.argv[2])
  if (!binary || !fs.existsSync(binary)) throw new Error('usage: node ui-e2e.js <path to iterate-actions>')
  fs.mkdirSync(SHOTS, { recursive: true })
  for (const f of fs.readdirSync(SHOTS)) if (f.endsWith('.png')) fs.unlinkSync(path.join(SHOTS, f))
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iterate-ui-e2e-'))
  const { child, origin } = await start(binary, path.join(tmp, 'ui.db'))
  let context
  try {
    context = await launch(fs.mkdtempSync(path.join(tmp, 'profile-')), { viewport: WIDE })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
    const page = context.pages()[0] || (await context.newPage())
    const errors = []
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
    // Refused forms answer 401, 403 or 422 on purpose; Chromium logs each such page.
    const expected = /^Failed to load resource: the server responded with a status of (401|403|422) /
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected.test(m.text())) errors.push(`console: ${m.text()}`)
    })
    const blocked = []
    await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => {
      blocked.push(route.request().url())
      route.abort()
    })

    let shots = 0
    // Both widths of the page as it is now; at 390 px nothing may scroll sideways, and
    // every control has a label.
    async function shot(name) {
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
          .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
          .map((e) => e.id || e.name || e.outerHTML.slice(0, 80))
      )
      check(!unlabelled.length, `${name}: controls without a label: ${unlabelled.join(', ')}`)
      shots++
      const n = String(shots).padStart(2, '0')
      await page.screenshot({ path: path.join(SHOTS, `${n}-${name}-1280.png`), fullPage: true })
      await page.setViewportSize(NARROW)
      await page.waitForTimeout(50)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      await page.screenshot({ path: path.join(SHOTS, `${n}-${name}-390.png`), fullPage: true })
      await page.setViewportSize(WIDE)
      check(overflow <= 0, `${name}: at 390 px the page is ${overflow} px wider than the window`)
    }
    const text = (sel) => page.locator(sel).innerText()
    // Clicks what sends a form, and waits for the page it answers with.
    const submit = (locator) => Promise.all([page.waitForEvent('load'), locator.click()])
    const main = () => text('main')

    step('sign-in: a wrong token is refused next to the field, the right one signs in')
    await page.goto(`${origin}/ui`)
    check(page.url().startsWith(`${origin}/ui/signin?next=`), `not sent to sign-in: ${page.url()}`)
    await shot('signin')
    await page.getByLabel('Admin token').fill('wrong')
    await submit(page.getByRole('button', { name: 'Sign in' }))
    check((await text('#token-error')).includes('not the admin token'), 'no error next to the token')
    check((await page.getAttribute('#token', 'aria-invalid')) === 'true', 'the token input is not marked invalid')
    await page.getByLabel('Admin token').fill(TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${origin}/ui/destinations`)
    const cookies = await context.cookies(`${origin}/ui/`)
    const session = cookies.find((c) => c.name === 'ia_session')
    check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/ui', `session cookie: ${JSON.stringify(session)}`)
    check((await main()).includes('No sources or destinations yet'), 'the empty destinations page')
    await shot('destinations-empty')

    step('keyboard: the first Tab reaches "Skip to content"')
    await page.keyboard.press('Tab')
    check((await page.evaluate(() => document.activeElement.textContent)) === 'Skip to content', 'skip link is not first')

    step('catalog: the Destination Actions category, then search (live and submitted)')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click()
    await page.waitForURL(`${origin}/ui/catalog`)
    await shot('catalog')
    await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: 'Destination Actions' }).click()
    await page.waitForURL(/category=destination-actions/)
    await page.getByLabel('Search destinations').fill('mixpanel')
    check(!(await page.locator('#catalog-cards .card').first().isVisible()), 'a non-matching search still shows the card')
    check(await page.locator('#catalog-empty').isVisible(), 'no "no destination matches" message')
    await page.getByLabel('Search destinations').fill('Iterate (Actions)')
    check((await text('#catalog-count')) === '1 destination', `count: ${await text('#catalog-count')}`)
    await page.getByLabel('Search destinations').press('Enter')
    await page.waitForURL(/q=Iterate/)
    check(page.url().includes('category=destination-actions'), 'the search left the category')
    await shot('catalog-search')
    await page.getByRole('link', { name: 'Iterate (Actions)', exact: true }).click()

    step('the destination page of the catalog, generated from the definition')
    await page.waitForURL(`${origin}/ui/catalog/actions-iterate`)
    const about = await main()
    for (const words of ['Benefits of Iterate (Actions)', 'Simple setup', 'Embed API Key', 'Getting your Embed API Key', 'In the ‘Embed your survey script’ section', 'Track Event', 'type = "track"', 'Identify User', 'type = "identify"', 'Sets user identity', 'The name of the event.', '$.event', '$.traits', 'at most 50 mappings']) {
      check(about.includes(words), `the catalog page lacks ${JSON.stringify(words)}`)
    }
    await shot('catalog-iterate')
    await page.getByRole('link', { name: 'Configure Iterate (Actions)' }).click()

    step('configure: create a source (its name is required), then the Embed API Key (required)')
    await page.waitForURL(`${origin}/ui/catalog/actions-iterate/configure`)
    check(await page.getByLabel('Create a new source').isChecked(), 'with no source, "create" is not preselected')
    await shot('configure-source')
    await submit(page.getByRole('button', { name: 'Next: Embed API Key' }))
    check((await text('#source-name-error')).includes('needs a name'), 'no error next to the source name')
    await page.getByLabel('New source name').fill('Marketing site')
    await page.getByRole('button', { name: 'Next: Embed API Key' }).click()
    await page.waitForURL(/\/configure\/[0-9a-f]+$/)
    const keyPage = await main()
    check(keyPage.includes('Marketing site') && keyPage.includes('Click Preview and publish.'), 'the key step lacks the source or the steps')
    await shot('configure-key')
    await page.getByLabel(/Embed API Key/).fill('   ')
    await submit(page.getByRole('button', { name: 'Create destination' }))
    check((await text('#apiKey-error')).includes('Embed API Key is required'), 'no error next to the Embed API Key')
    await page.getByLabel(/Embed API Key/).fill('embed-key-1')
    await submit(page.getByRole('button', { name: 'Create destination' }))
    await page.waitForURL(/\/ui\/destinations\/[0-9a-f]+$/)
    const destUrl = page.url()
    const destId = destUrl.split('/').pop()

    step('the destination: presets created and enabled, 2 of 50')
    check((await text('.notice')).includes('connected, with its 2 presets enabled'), 'no notice after creation')
    check((await text('#mapping-count')) === '2 of 50 mappings', `count: ${await text('#mapping-count')}`)
    const items = page.locator('#mapping-list > li')
    check((await items.count()) === 2, 'not two mappings')
    for (const [i, name, trigger] of [[0, 'Track Event', 'type = "track"'], [1, 'Identify User', 'type = "identify"']]) {
      const t = await items.nth(i).innerText()
      check(t.includes(name) && t.includes(trigger) && t.includes('Enabled'), `mapping ${i}: ${t}`)
    }
    await shot('destination')

    step('settings and the enabled toggle')
    await page.getByLabel(/Embed API Key/).fill('embed-key-2')
    // Beyond Segment's settings: switches, with the definition's defaults.
    check(await page.getByLabel('Log out of Iterate on reset').isChecked(), 'uninstallOnReset is not on by default')
    check(!(await page.getByLabel('Send survey events to analytics').isChecked()), 'surveyEvents is not off by default')
    await page.getByLabel('Send survey events to analytics').check()
    await submit(page.getByRole('button', { name: 'Save settings' }))
    await page.waitForURL(`${destUrl}#settings`)
    check((await text('.notice')).includes('Settings saved'), 'no notice after saving settings')
    check((await page.getByLabel(/Embed API Key/).inputValue()) === 'embed-key-2', 'the key did not change')
    check(await page.getByLabel('Send survey events to analytics').isChecked(), 'surveyEvents did not stick')
    // Beyond Segment: consent categories and the delivery log's sample rate, saved as
    // the engine reads them, then cleared again (the Iterate panel below needs no consent).
    await page.getByLabel('Consent categories').fill('surveys, analytics')
    await page.getByLabel('Delivery log sample rate').fill('0.5')
    await submit(page.getByRole('button', { name: 'Save settings' }))
    const withConsent = (await api(origin, 'GET', `/destinations/${destId}`)).settings
    check(JSON.stringify(withConsent.consentCategories) === '["surveys","analytics"]' && withConsent.deliveryLogSampleRate === 0.5, `consent settings: ${JSON.stringify(withConsent)}`)
    check((await text('#delivery-section')).includes('50%'), 'the delivery section does not show the sample rate')
    await page.getByLabel('Consent categories').fill('')
    await submit(page.getByRole('button', { name: 'Save settings' }))
    check((await api(origin, 'GET', `/destinations/${destId}`)).settings.consentCategories === undefined, 'the consent categories were not cleared')
    await submit(page.getByRole('button', { name: 'Disable destination' }))
    check((await text('.title-row .badge')).includes('Disabled'), 'not disabled')
    await submit(page.getByRole('button', { name: 'Enable destination' }))
    check((await text('.title-row .badge')).includes('Enabled'), 'not enabled again')

    step('mappings: disable, rename with the keyboard alone, duplicate (disabled), move up and down, delete with confirmation')
    await submit(page.getByRole('button', { name: 'Disable Identify User' }))
    check((await items.nth(1).innerText()).includes('Disabled'), 'Identify User is not disabled')
    await page.locator('#mapping-list > li').first().locator('summary').focus()
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('Signups')
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')])
    check((await text('.notice')).includes('renamed to “Signups”'), 'no rename notice')
    await submit(page.getByRole('button', { name: 'Duplicate Signups' }))
    check((await text('#mapping-count')) === '3 of 50 mappings', 'no copy')
    const copy = await items.nth(2).innerText()
    check(copy.includes('Signups (copy)') && copy.includes('Disabled'), `the copy: ${copy}`)
    // the order mappings of one action run in: the copy moves up, then back down
    check((await page.getByRole('button', { name: 'Move Signups up' }).count()) === 0, 'the first mapping offers to move up')
    await submit(page.getByRole('button', { name: 'Move Signups (copy) up' }))
    check((await text('.notice')).includes('“Signups (copy)” moved up'), 'no move notice')
    check((await items.nth(1).innerText()).includes('Signups (copy)'), 'the copy did not move up')
    const order = (await api(origin, 'GET', `/destinations/${destId}/mappings`)).map((m) => m.name)
    check(order[1] === 'Signups (copy)', `the API's order: ${order}`)
    await submit(page.getByRole('button', { name: 'Move Signups (copy) down' }))
    check((await items.nth(2).innerText()).includes('Signups (copy)'), 'the copy did not move back down')
    check((await page.getByRole('button', { name: 'Move Signups (copy) down' }).count()) === 0, 'the last mapping offers to move down')
    await page.getByRole('link', { name: 'Delete Signups (copy)' }).click()
    await page.waitForURL(/\/delete$/)
    check((await text('h1')).includes('Delete the mapping “Signups (copy)”?'), 'no confirmation')
    await shot('delete-confirm')
    await submit(page.getByRole('button', { name: 'Delete mapping' }))
    await page.waitForURL(`${destUrl}#mappings`)
    check((await text('#mapping-count')) === '2 of 50 mappings', 'the copy was not deleted')

    step('install snippet: this server as cdnURL, the write key, a working copy button')
    const source = (await api(origin, 'GET', '/sources'))[0]
    const npm = await text('#snippet-npm')
    check(npm.includes(`writeKey: "${source.writeKey}"`) && npm.includes(`cdnURL: "${origin}"`), `snippet: ${npm}`)
    await page.locator('button[data-copy="snippet-npm"]').click()
    await page.waitForFunction(() => document.querySelector('button[data-copy="snippet-npm"] + .copied').textContent === 'Copied')
    const clip = await page.evaluate(() => navigator.clipboard.readText())
    check(clip.includes('AnalyticsBrowser.load') && clip.includes(source.writeKey), `clipboard: ${clip}`)

    step('Iterate panel: a wrong site is refused in place; a preview link and the event that reaches Iterate')
    await page.getByLabel("Your site's page").fill('example.com')
    await page.getByLabel('Survey preview id').fill('abc123')
    await submit(page.getByRole('button', { name: 'Build the preview link' }))
    check((await text('#preview-site-error')).includes('starting with https://'), 'no error next to the site')
    await page.getByLabel("Your site's page").fill('https://www.example.com/pricing#plans')
    await page.getByLabel('Survey preview id').fill('iterate_preview=abc123')
    await page.getByLabel('Event name').fill('Signed Up')
    await submit(page.getByRole('button', { name: 'Build the preview link' }))
    check((await text('#preview-link')) === 'https://www.example.com/pricing?iterate_preview=abc123#plans', `link: ${await text('#preview-link')}`)
    check((await text('#preview-fire')) === 'analytics.track("Signed Up")', 'the event to fire')
    const preview = await text('#preview-result')
    check(preview.includes('Iterate("event", "Signed Up") by the mapping “Signups”') && preview.includes('targeting must list “Signed Up”'), `result: ${preview}`)
    await shot('destination-preview')

    step('editor: the engine from the server runs in the page; the sample event is tested')
    await page.goto(destUrl)
    await page.getByRole('link', { name: 'Edit Signups' }).click()
    await page.waitForURL(/\/mappings\/[0-9a-f]+$/)
    const editorUrl = page.url()
    await page.waitForFunction(() => document.getElementById('engine-status').textContent.startsWith('Engine ready'))
    check((await text('#engine-status')).includes('/bundles/iterate/'), 'not the served bundle')
    await page.waitForFunction(() => document.getElementById('test-matched').textContent.startsWith('Matched'))
    check((await text('#test-calls')) === 'Iterate("event", "Signed Up")', `calls: ${await text('#test-calls')}`)
    check(JSON.parse(await text('#test-payload')).name === 'Signed Up', 'payload')
    await shot('editor')

    step('editor: an event analytics.js delivered for the source is one of the tester\'s events')
    const site = await context.newPage()
    site.on('pageerror', (e) => errors.push(`site page error: ${e.message}`))
    await site.goto(`${origin}/demo?writeKey=${source.writeKey}`)
    await site.evaluate(async () => {
      const [a] = await window.demo.analytics
      await a.track('Plan Chosen', { plan: 'pro' })
    })
    const siteCalls = await site.evaluate(() => window.__iterateCalls)
    // Survey events were switched on above: the bundle registers Iterate's callbacks too.
    const callbacks = siteCalls.filter((c) => c[0] === 'onResponse' || c[0] === 'onClose').map((c) => c[0]).sort()
    const others = siteCalls.filter((c) => c[0] !== 'onResponse' && c[0] !== 'onClose')
    check(JSON.stringify(others) === '[["event","Plan Chosen"]]', `the site's Iterate calls: ${JSON.stringify(siteCalls)}`)
    check(JSON.stringify(callbacks) === '["onClose","onResponse"]', `the site's Iterate callbacks: ${JSON.stringify(callbacks)}`)
    await site.close()
    let recentValue = null
    for (let i = 0; i < 20 && recentValue === null; i++) {
      await page.reload()
      recentValue = await page.evaluate(() => {
        const o = Array.from(document.querySelectorAll('#sample option')).find((x) => x.textContent.startsWith('track “Plan Chosen”'))
        return o ? o.value : null
      })
      if (recentValue === null) await page.waitForTimeout(250)
    }
    check(recentValue !== null, 'the delivered event is not offered')
    await page.waitForFunction(() => document.getElementById('engine-status').textContent.startsWith('Engine ready'))
    await page.getByLabel('Sample event').selectOption(recentValue)
    check(JSON.parse(await page.getByLabel('Event (JSON)').inputValue()).properties.plan === 'pro', 'not the delivered event')
    await page.waitForFunction(() => document.getElementById('test-calls').textContent === 'Iterate("event", "Plan Chosen")')

    step('editor: a trigger error is shown with its code and a caret under the place, as you type')
    const trigger = page.getByLabel('Trigger (FQL)')
    await trigger.fill('type = "track" and event =~ "Order"')
    await page.waitForFunction(() => document.getElementById('subscribe-live').textContent.includes('FQL001'))
    const diag = await text('#subscribe-live pre.diag')
    check(diag.includes('1 | type = "track" and event =~ "Order"') && /\n\s+\|\s+\^/.test(diag), `caret: ${diag}`)
    check((await trigger.getAttribute('aria-invalid')) === 'true', 'the trigger is not marked invalid')
    check(await page.locator('#builder .unsupported').isVisible(), 'the builder does not say it cannot show this text')
    await page.getByRole('button', { name: 'Select it in the trigger' }).click()
    const selected = await page.evaluate(() => {
      const t = document.getElementById('subscribe')
      return t.value.slice(t.selectionStart, t.selectionEnd)
    })
    check(selected === '~', `selection: ${JSON.stringify(selected)}`)
    await shot('editor-trigger-error')

    step('trigger builder: text → conditions → text round trip; ALL/ANY; property conditions')
    await trigger.fill('type = "track" and event = "Order Completed"')
    await page.waitForFunction(() => document.querySelectorAll('#builder .cond').length === 2)
    check((await page.locator('#b-subject-1').inputValue()) === 'event', 'condition 2 is not on the event name')
    check((await page.locator('#b-value-1').inputValue()) === 'Order Completed', 'condition 2 value')
    await page.getByLabel('Condition 2: operator').selectOption('starts_with')
    await page.getByLabel('Condition 2: value').fill('Order')
    check((await trigger.inputValue()) === 'type = "track" and match(event, "Order*")', `text: ${await trigger.inputValue()}`)
    await page.getByLabel('Match').selectOption('or')
    check((await trigger.inputValue()) === 'type = "track" or match(event, "Order*")', `or: ${await trigger.inputValue()}`)
    await page.getByLabel('Match').selectOption('and')
    await page.getByRole('button', { name: 'Add condition' }).click()
    await page.getByLabel('Condition 3: field').selectOption('properties')
    await page.getByLabel('Condition 3: key').fill('total')
    await page.getByLabel('Condition 3: operator').selectOption('gt')
    await page.getByLabel('Condition 3: value').fill('abc')
    check((await text('#builder .cond-error')).includes('enter a number'), 'no error on a non-number')
    await page.getByLabel('Condition 3: value').fill('50')
    const built = 'type = "track" and match(event, "Order*") and properties.total > 50'
    check((await trigger.inputValue()) === built, `built: ${await trigger.inputValue()}`)
    const roundTrip = await page.evaluate((t) => TriggerBuilder.generate(TriggerBuilder.parse(t)).text, built)
    check(roundTrip === built, `round trip: ${roundTrip}`)
    await page.getByLabel('Sample event').selectOption({ label: 'Track: Order Completed' })
    await page.waitForFunction(() => document.getElementById('test-calls').textContent === 'Iterate("event", "Order Completed")')
    await page.getByLabel('Sample event').selectOption({ label: 'Track: Signed Up' })
    await page.waitForFunction(() => document.getElementById('test-matched').textContent.startsWith('Not matched'))
    await page.getByLabel('Sample event').selectOption({ label: 'Track: Order Completed' })
    await page.waitForFunction(() => document.getElementById('test-matched').textContent.startsWith('Matched'))
    await shot('editor-builder')

    step('fields: a directive, a field error in place, a payload that fails validation, a bad event')
    const mode = page.locator('#f-trackEvent-name-mode')
    const value = page.locator('#f-trackEvent-name-value')
    await mode.selectOption('json')
    await value.fill('{"@template": "Order {{properties.order_id}}"}')
    await page.waitForFunction(() => document.getElementById('test-calls').textContent === 'Iterate("event", "Order o-7")')
    await value.fill('{"@pth": "$.event"}')
    await page.waitForFunction(() => document.getElementById('f-trackEvent-name-live').textContent.includes('MAP101'))
    check((await text('#f-trackEvent-name-live')).includes('did you mean `@path`'), 'no help next to the field')
    await value.fill('{"@template": ')
    await page.waitForFunction(() => document.getElementById('f-trackEvent-name-live').textContent.includes('not JSON'))
    await mode.selectOption('path')
    await value.fill('$.properties.missing')
    await page.waitForFunction(() => document.getElementById('test-matched').textContent.includes('nothing is sent'))
    check((await text('#test-problems')).includes('name'), `problems: ${await text('#test-problems')}`)
    await shot('editor-validation')
    await page.getByLabel('Event (JSON)').fill('{"type": "track",')
    await page.waitForFunction(() => document.getElementById('event-live').textContent.includes('not JSON'))
    await page.getByLabel('Sample event').selectOption({ label: 'Track: Order Completed' })
    await page.locator('#f-trackEvent-name .use-default').click()
    check((await value.inputValue()) === '$.event', 'the default was not restored')

    step('a refused save comes back with the engine\'s words next to the trigger')
    await trigger.fill('type = "track" and event =~ "Order"')
    await submit(page.getByRole('button', { name: 'Save mapping' }))
    await page.waitForURL(editorUrl)
    const refusal = await page.locator('#trigger-section .server-errors').textContent()
    check(refusal.includes('error[FQL001]') && refusal.includes('^'), `the refusal is not at the trigger: ${refusal}`)
    await page.waitForFunction(() => document.getElementById('subscribe-live').textContent.includes('FQL001'))
    check(await page.locator('#trigger-section .server-errors').isHidden(), 'the server\'s copy stays next to the live one')
    await shot('editor-refused')
    await trigger.fill(built)
    await submit(page.getByRole('button', { name: 'Save mapping' }))
    await page.waitForURL(/\/ui\/destinations\/[0-9a-f]+#m-/)
    check((await text('.notice')).includes('Mapping “Signups” saved'), 'no saved notice')
    check((await items.nth(0).innerText()).includes(built), 'the list does not show the new trigger')

    step('a new mapping of Identify User, tested with the identify sample')
    await page.getByLabel('New mapping with the action').selectOption('identifyUser')
    await page.getByRole('button', { name: 'Add mapping' }).click()
    await page.waitForURL(/\/mappings\/new\?action=identifyUser/)
    check((await trigger.inputValue()) === 'type = "identify"', 'not the default trigger')
    await page.waitForFunction(() => document.getElementById('test-matched').textContent.startsWith('Matched'))
    const identifyCall = await text('#test-calls')
    check(identifyCall.startsWith('Iterate("identify", {') && identifyCall.includes('"external_id":"user_8731"'), `identify: ${identifyCall}`)
    await page.getByLabel('Name').fill('Identify with traits')
    // Beyond Segment: consent categories of this mapping alone.
    await page.getByLabel('Consent categories').fill('surveys, product research')
    await submit(page.getByRole('button', { name: 'Save mapping' }))
    await page.waitForURL(/#m-/)
    check((await text('#mapping-count')) === '3 of 50 mappings', 'the new mapping is not listed')
    const saved = (await api(origin, 'GET', `/destinations/${destId}/mappings`)).find((m) => m.name === 'Identify with traits')
    check(saved && JSON.stringify(saved.consentCategories) === '["surveys","product research"]', `the mapping's consent categories: ${JSON.stringify(saved && saved.consentCategories)}`)

    step('the 50-mapping limit: the engine\'s refusal shown at the mappings list')
    const config = await api(origin, 'GET', `/destinations/${destId}/config`)
    const base = config.subscriptions[0]
    while (config.subscriptions.length < 50) {
      config.subscriptions.push({ ...base, id: `bulk-${config.subscriptions.length}`, name: `Bulk ${config.subscriptions.length}`, enabled: false })
    }
    await api(origin, 'PUT', `/destinations/${destId}/config`, config)
    await page.goto(destUrl)
    check((await text('#mapping-count')) === '50 of 50 mappings', 'not 50')
    await submit(page.getByRole('button', { name: 'Duplicate Signups' }))
    check((await text('#mappings-errors')).includes('51 mappings, more than the limit of 50'), `limit: ${await text('#mappings-errors')}`)
    await shot('destination-limit')

    step('version history: readable differences, one-click rollback')
    await page.getByRole('link', { name: 'history' }).click()
    await page.waitForURL(/\/versions$/)
    const history = await main()
    for (const words of ['Created with 2 mappings', 'Embed API Key: embed-key-1', 'Mapping “Signups”: name: Track Event', 'Mapping “Signups”: trigger', 'mapping “Identify with traits” (trigger type = "identify", action identifyUser, enabled)']) {
      check(history.includes(words), `history lacks ${JSON.stringify(words)}`)
    }
    await shot('history')
    const before = (await api(origin, 'GET', `/destinations/${destId}/versions`)).length
    await submit(page.getByRole('button', { name: `Restore version ${before - 1}` }))
    await page.waitForURL(/\/versions$/)
    check((await text('.notice')).includes(`Version ${before - 1} restored as version ${before + 1}`), `notice: ${await text('.notice')}`)
    const restored = await api(origin, 'GET', `/destinations/${destId}`)
    check(restored.mappings.length === 3 && restored.version === before + 1, `after the rollback: ${restored.mappings.length} mappings, version ${restored.version}`)

    step('what analytics.js reads follows the UI\'s writes')
    const settings = await (await fetch(`${origin}/v1/projects/${source.writeKey}/settings`)).json()
    const plugin = settings.remotePlugins[0]
    check(plugin.settings.apiKey === 'embed-key-2', 'settings: the key')
    check(plugin.settings.surveyEvents === true && plugin.settings.uninstallOnReset === true, `settings: the switches ${JSON.stringify(plugin.settings)}`)
    check(plugin.settings.subscriptions.map((s) => s.name).join(',') === 'Signups,Identify with traits', `settings: ${plugin.settings.subscriptions.map((s) => s.name)}`)

    step('sources: create (an empty name refused in place), copy a write key, rename by keyboard, disable (settings 404), enable, delete a spare')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click()
    await page.waitForURL(`${origin}/ui/sources`)
    check((await text('#source-count')) === '1 source', `count: ${await text('#source-count')}`)
    const card = page.locator(`#source-${source.id}`)
    const cardText = await card.innerText()
    check(cardText.includes('Marketing site') && cardText.includes('Enabled') && cardText.includes(`/v1/projects/${source.writeKey}/settings`), `the source's card: ${cardText}`)
    await card.getByRole('link', { name: 'Iterate (Actions)', exact: true }).click()
    await page.waitForURL(destUrl)
    await page.goBack()
    await page.locator(`button[data-copy="key-${source.id}"]`).click()
    await page.waitForFunction((id) => document.querySelector(`button[data-copy="key-${id}"] + .copied`).textContent === 'Copied', source.id)
    const copiedKey = await page.evaluate(() => navigator.clipboard.readText())
    check(copiedKey === source.writeKey, `clipboard: ${copiedKey}`)
    await shot('sources')
    await page.getByLabel('Source name').fill('   ')
    await submit(page.getByRole('button', { name: 'Create source' }))
    check((await text('#new-source-name-error')).includes('must not be empty'), 'no error next to the source name')
    check((await page.getAttribute('#new-source-name', 'aria-invalid')) === 'true', 'the name input is not marked invalid')
    check((await page.evaluate(() => document.activeElement.id)) === 'new-source-name', 'the refused field is not focused')
    check((await api(origin, 'GET', '/sources')).length === 1, 'an empty name created a source')
    await shot('sources-refused')
    await page.getByLabel('Source name').fill('Spare site')
    await submit(page.getByRole('button', { name: 'Create source' }))
    check((await text('.notice')).includes('Source “Spare site” created'), 'no notice after creating a source')
    const spare = (await api(origin, 'GET', '/sources')).find((x) => x.name === 'Spare site')
    check(spare && spare.enabled && page.url().endsWith(`#source-${spare.id}`), `not back at the new source: ${page.url()}`)
    check((await text('#source-count')) === '2 sources', 'the new source is not listed')
    // Rename with the keyboard alone: open "Rename", Tab to the field, type, Enter.
    await page.locator(`#source-${spare.id} summary`).focus()
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    check((await page.evaluate(() => document.activeElement.id)) === `rename-${spare.id}`, 'Tab does not reach the new name')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('Spare')
    await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')])
    check((await text('.notice')).includes('Source renamed to “Spare”.'), 'no rename notice')
    check((await api(origin, 'GET', `/sources/${spare.id}`)).name === 'Spare', 'the API does not see the new name')
    const settingsStatus = async () => (await fetch(`${origin}/v1/projects/${source.writeKey}/settings`)).status
    check((await settingsStatus()) === 200, 'the settings endpoint before disabling')
    await submit(page.getByRole('button', { name: 'Disable Marketing site' }))
    check((await text('.notice')).includes('settings endpoint answers 404'), `notice: ${await text('.notice')}`)
    check((await card.locator('.badge').first().innerText()) === 'Disabled', 'the source is not shown disabled')
    check((await card.locator('.warning').innerText()).includes('answers 404'), 'no warning on the disabled source')
    check((await settingsStatus()) === 404, 'a disabled source\'s settings are still served')
    await shot('sources-disabled')
    await page.goto(destUrl)
    check((await text('main .warning')).includes('The source Marketing site is disabled'), 'the destination page does not say its source is disabled')
    await page.getByRole('link', { name: 'Enable it on the Sources page' }).click()
    await page.waitForURL(`${origin}/ui/sources#source-${source.id}`)
    await submit(page.getByRole('button', { name: 'Enable Marketing site' }))
    check((await text('.notice')).includes('“Marketing site” enabled'), 'no notice after enabling')
    check((await settingsStatus()) === 200, 'the settings are not served again after enabling')
    // The confirmation names the destinations that would go with a source; Cancel keeps it.
    await page.getByRole('link', { name: 'Delete Marketing site' }).click()
    await page.waitForURL(`${origin}/ui/sources/${source.id}/delete`)
    const going = await text('#deleted-destinations')
    check(going.includes('Iterate (Actions)') && going.includes('3 of 50 mappings'), `the destinations deleted with it: ${going}`)
    check((await main()).includes('each with its mappings, its version history and its delivery log'), 'the confirmation does not say what goes')
    await shot('source-delete-confirm')
    await page.getByRole('link', { name: 'Cancel' }).click()
    await page.waitForURL(`${origin}/ui/sources#source-${source.id}`)
    await page.getByRole('link', { name: 'Delete Spare' }).click()
    await page.waitForURL(`${origin}/ui/sources/${spare.id}/delete`)
    check((await text('#deleted-destinations')).includes('It has no destinations'), 'the spare source has destinations?')
    await submit(page.getByRole('button', { name: 'Delete the source' }))
    await page.waitForURL(`${origin}/ui/sources`)
    check((await text('.notice')).includes('Source “Spare” deleted.'), `notice: ${await text('.notice')}`)
    const left = await api(origin, 'GET', '/sources')
    check(left.length === 1 && left[0].id === source.id && left[0].enabled, `sources left: ${JSON.stringify(left)}`)
    check((await api(origin, 'GET', '/destinations')).length === 1, 'the other source\'s destination went too')

    step('CSRF: a post without the session\'s token changes nothing')
    const forged = await page.evaluate(async (id) => {
      const r = await fetch(`/ui/destinations/${id}/enabled`, { method: 'POST', body: new URLSearchParams({ enabled: 'off', _csrf: 'guess' }) })
      return r.status
    }, destId)
    check(forged === 403, `a forged post got ${forged}`)
    check((await api(origin, 'GET', `/destinations/${destId}`)).enabled === true, 'the forged post changed something')

    step('sign out: the session ends')
    await page.goto(destUrl)
    await submit(page.getByRole('button', { name: 'Sign out' }))
    await page.waitForURL(/\/ui\/signin\?out=1/)
    check((await text('.notice')).includes('signed out'), 'no signed-out notice')
    await page.goto(destUrl)
    check(page.url().startsWith(`${origin}/ui/signin?next=`), 'the session still works after sign-out')

    const problems = []
    if (errors.length) problems.push(`browser errors: ${errors.join('; ')}`)
    if (blocked.length) problems.push(`requests left 127.0.0.1: ${blocked.join(', ')}`)
    if (problems.length) throw new Error(problems.join('\n'))
    console.log(`ui-e2e: ok (${shots} pages at 1280 and 390 px in ${path.relative(process.cwd(), SHOTS) || SHOTS})`)
  } catch (e) {
    e.message = `${current}: ${e.message}`
    throw e
  } finally {
    if (context) await context.close()
    child.kill('SIGTERM')
  }
}

main().catch((e) => {
  console.error(`ui-e2e: FAILED: ${e.stack || e}`)
  process.exit(1)
})
