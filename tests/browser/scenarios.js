'use strict';
/*
 * Scenarios for run.js. Each scenario is data:
 *
 *   id            unique id (used by --scenario and differences.json)
 *   title         one line
 *   subscriptions the destination's `subscriptions` setting (array of
 *                 {id, name, enabled, partnerAction, subscribe, mapping})
 *   apiKey        destination setting apiKey (default 'test-api-key')
 *   loader        Iterate loader behaviour: 'normal' | '404' | 'never' | 'delayed'
 *   loaderDelayMs for 'delayed'
 *   loadOptions   second argument of AnalyticsBrowser.load()
 *   steps         [{op, args, await?, timeoutMs?}] run in order in the page;
 *                 op is an AnalyticsBrowser method ('track', 'identify',
 *                 'page', 'group', 'alias', 'reset', 'ready', ...), or
 *                 'loaded' (wait for load()), 'sleep' {ms}, or 'iterateCalls'
 *                 {count} (wait, bounded, for the stand-in to record count
 *                 Iterate calls). By default
 *                 each call's promise is awaited (bounded by stepTimeoutMs)
 *                 before the next step; await:false fires and moves on.
 *   stepTimeoutMs bound for each awaited step (default 5000)
 *   settleTimeoutMs bound for "wait until quiet" after the steps (default 8000)
 *   cdnIntegrationEntry  if set, CDN settings' `integrations` also get an
 *                 'Iterate Web (Actions)' entry with this value (analytics-next
 *                 merges load-option integration settings only into entries
 *                 that exist there)
 *   boundedHang   true: pending promises at the end are an observation, not
 *                 a harness failure (the "never ready" scenario)
 *   pageSetup     function run in the page (page.evaluate, so it must be
 *                 self-contained) after the page loaded and before
 *                 AnalyticsBrowser.load(); may return a promise
 *   destinationSettings  extra settings for the Iterate remote plugin
 *                 (Segment's bundle ignores ones it does not know)
 *   missingFiles  file names under our bundle's directory answered 404 (e.g.
 *                 'iterate.wasm': the full engine cannot be fetched)
 *   noPlan        true: the settings carry no iaPlan (by default run.js adds
 *                 the one our control plane would serve, for both bundles)
 *   oursChecks(r) expectations only our bundle must meet (where it does
 *                 better than Segment's)
 *   checks(r)     bundle-independent expectations; returns a list of failure
 *                 strings (r is the recorded result, see run.js)
 */

const TRACK_PRESET = {
  id: 'preset-track',
  name: 'Track Event',
  enabled: true,
  partnerAction: 'trackEvent',
  subscribe: 'type = "track"',
  mapping: { name: { '@path': '$.event' } }
};
const IDENTIFY_PRESET = {
  id: 'preset-identify',
  name: 'Identify User',
  enabled: true,
  partnerAction: 'identifyUser',
  subscribe: 'type = "identify"',
  mapping: { userId: { '@path': '$.userId' }, traits: { '@path': '$.traits' } }
};
const PRESETS = [TRACK_PRESET, IDENTIFY_PRESET];

function sub(id, partnerAction, subscribe, mapping, extra) {
  return Object.assign({ id, name: id, enabled: true, partnerAction, subscribe, mapping }, extra || {});
}

// ---- check helpers (bundle independent) --------------------------------
function noPageErrors(r) {
  return (r.pageErrorsAll || []).map((e) => `page error (${e.kind}): ${e.message}`);
}
function calledOk(r) {
  const bad = r.calls.filter((c) => c.status === 'pending' || c.status === 'rejected');
  return bad.map((c) => `analytics.${c.op}() #${c.i} ${c.status}${c.error ? ': ' + c.error : ''}`);
}
function readyOk(r) {
  const ready = r.calls.filter((c) => c.op === 'ready');
  return ready.filter((c) => c.status !== 'resolved').map((c) => `ready() ${c.status}`);
}
function recorderGot(r, n) {
  return r.recorder.length >= n ? [] : [`second destination got ${r.recorder.length} events, expected >= ${n}`];
}
function loaderCount(r, n) {
  return r.loaderRequests === n ? [] : [`Iterate loader requested ${r.loaderRequests} times, expected ${n}`];
}
function iterateCallCount(r, n) {
  return r.iterateCalls.length === n ? [] : [`${r.iterateCalls.length} window.Iterate calls, expected ${n}`];
}
function hasCall(r, args) {
  const want = JSON.stringify(args);
  return r.iterateCalls.some((c) => JSON.stringify(c.args) === want) ? [] : [`no window.Iterate(${want.slice(1, -1)}) call`];
}
function hasIdentify(r, externalId) {
  return r.iterateCalls.some((c) => c.args[0] === 'identify' && c.args[1] && c.args[1].external_id === externalId)
    ? [] : [`no window.Iterate('identify', {external_id: ${JSON.stringify(externalId)}, ...}) call`];
}
function eventNamesAreStrings(r) {
  return r.iterateCalls.filter((c) => c.args[0] === 'event' && typeof c.args[1] !== 'string')
    .map((c) => `window.Iterate('event', ${JSON.stringify(c.args[1])}): event name is not a string`);
}
const SKIP_WARNING = /^Iterate Web \(Actions\): mapping (.+?) skipped: /;
// exactly one "mapping <id> skipped: <reason>" warning for each id in `ids`, none for others
function skipWarnings(r, ids) {
  const seen = {};
  for (const c of r.console) {
    const m = c.type === 'warning' && SKIP_WARNING.exec(c.text);
    if (m) seen[m[1]] = (seen[m[1]] || 0) + 1;
  }
  const out = [];
  for (const id of ids) if (seen[id] !== 1) out.push(`${seen[id] || 0} "mapping ${id} skipped" console warnings, expected 1`);
  for (const id of Object.keys(seen)) if (!ids.includes(id)) out.push(`unexpected "mapping ${id} skipped" console warning`);
  return out;
}
function noEventDataInConsole(r, values) {
  const out = [];
  for (const c of r.console) {
    for (const v of values) if (c.text.includes(v)) out.push(`console.${c.type} contains event data ${JSON.stringify(v)}: ${c.text.slice(0, 160)}`);
  }
  return out;
}
// a console warning or error matching each pattern
function consoleNames(r, patterns) {
  return patterns.filter((p) => !r.console.some((c) => p.test(c.text))).map((p) => `no console message matches ${p}`);
}
// Our bundle fetched exactly these wasm modules, in this order.
function wasmFetched(r, files) {
  const got = r.wasmFiles || [];
  return JSON.stringify(got) === JSON.stringify(files) ? [] : [`wasm modules fetched ${JSON.stringify(got)}, expected ${JSON.stringify(files)}`];
}
function normal(r, expectedCalls) {
  return [...calledOk(r), ...loaderCount(r, 1), ...(expectedCalls === undefined ? [] : iterateCallCount(r, expectedCalls))];
}

const READY = { op: 'ready' };

// Iterate calls as 'command' or 'command:name' strings, in order.
function callOrder(r) {
  return r.iterateCalls.map((c) => c.args[0] + (typeof c.args[1] === 'string' ? ':' + c.args[1] : ''));
}
function orderIs(r, want) {
  const got = callOrder(r);
  return JSON.stringify(got) === JSON.stringify(want) ? [] : [`Iterate calls ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
}
function consent(prefs) {
  return { context: { consent: { categoryPreferences: prefs } } };
}
const COUNTERS = ['matched', 'skippedTrigger', 'skippedConsent', 'skippedValidation', 'delivered'];
// The delivery log's counters summed over every beacon, per subscription.
function beaconTotals(r) {
  const totals = {};
  for (const b of r.beacons || []) {
    for (const c of b.counters || []) {
      const t = totals[c.subscription] || (totals[c.subscription] = Object.fromEntries(COUNTERS.map((k) => [k, 0])));
      for (const k of COUNTERS) t[k] += c[k] || 0;
    }
  }
  return totals;
}
function totalsAre(r, want) {
  const got = beaconTotals(r);
  const out = [];
  for (const id of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const w = Object.fromEntries(COUNTERS.map((k) => [k, (want[id] || {})[k] || 0]));
    if (JSON.stringify(got[id]) !== JSON.stringify(w)) out.push(`delivery counters of ${id}: ${JSON.stringify(got[id] || null)}, expected ${JSON.stringify(w)}`);
  }
  return out;
}

const scenarios = [
  {
    id: 'default-presets',
    title: 'default presets; track + identify (+ page/group/alias that no preset matches)',
    subscriptions: PRESETS,
    steps: [
      READY,
      { op: 'track', args: ['Signed Up', { plan: 'pro', seats: 3 }] },
      { op: 'identify', args: ['user-1', { email: 'ann@example.com', name: 'Ann' }] },
      { op: 'page', args: ['Docs', 'Intro'] },
      { op: 'group', args: ['group-1', { name: 'Acme' }] },
      { op: 'alias', args: ['user-1-alias'] },
      { op: 'track', args: ['Second Event'] }
    ],
    checks: (r) => [...normal(r, 3), ...readyOk(r), ...recorderGot(r, 6)],
    // The page module runs the plan; the full engine is never fetched.
    oursChecks: (r) => wasmFetched(r, ['iterate-page.wasm'])
  },
  {
    id: 'no-plan',
    title: 'default-presets with settings that carry no iaPlan (hand-made settings): the full engine, same calls',
    subscriptions: PRESETS,
    noPlan: true,
    steps: [
      READY,
      { op: 'track', args: ['Signed Up', { plan: 'pro', seats: 3 }] },
      { op: 'identify', args: ['user-1', { email: 'ann@example.com', name: 'Ann' }] },
      { op: 'page', args: ['Docs', 'Intro'] },
      { op: 'track', args: ['Second Event'] }
    ],
    checks: (r) => [...normal(r, 3), ...readyOk(r), ...orderIs(r, ['event:Signed Up', 'identify', 'event:Second Event'])],
    oursChecks: (r) => wasmFetched(r, ['iterate.wasm'])
  },
  {
    id: 'defer',
    title: 'a trigger that reaches a JavaScript prototype member mid-page: that event and every later one run in the full engine, fetched only then, in order',
    subscriptions: [
      TRACK_PRESET,
      IDENTIFY_PRESET,
      // `properties.constructor` is Object.prototype's, which the page module leaves
      // to the full engine; it is looked up only for "Defer Me".
      sub('defer-me', 'trackEvent', 'event = "Defer Me" and properties.constructor != null', { name: { '@template': 'deferred {{event}}' } })
    ],
    destinationSettings: { deliveryLogUrl: '{deliveryLog}', deliveryLogSampleRate: 1 },
    steps: [
      READY,
      { op: 'track', args: ['Before'] },
      { op: 'identify', args: ['user-defer', { plan: 'pro' }] },
      // fired without waiting, so they arrive while the full engine loads
      { op: 'track', args: ['Defer Me'], await: false },
      { op: 'track', args: ['While Loading'], await: false },
      { op: 'identify', args: ['user-defer-2', { plan: 'team' }], await: false },
      { op: 'track', args: ['After'] },
      // analytics.js does not wait for the full engine: the page leaves once it ran all
      { op: 'iterateCalls', count: 7 },
      { op: 'dispatch', event: 'pagehide' }
    ],
    checks: (r) => [
      ...calledOk(r),
      ...readyOk(r),
      ...orderIs(r, ['event:Before', 'identify', 'event:Defer Me', 'event:deferred Defer Me', 'event:While Loading', 'identify', 'event:After'])
    ],
    oursChecks: (r) => {
      const deferAt = ((r.calls || []).find((c) => c.op === 'track' && c.args[0] === 'Defer Me') || {}).calledAtMs;
      const full = (r.wasmFetches || []).filter((f) => f.file === 'iterate.wasm');
      return [
        ...wasmFetched(r, ['iterate-page.wasm', 'iterate.wasm']),
        ...(full.length === 1 && full[0].atMs >= deferAt
          ? [] : [`the full engine was fetched at ${JSON.stringify(full)}, expected once, after "Defer Me" was tracked (${deferAt} ms)`]),
        // each event counted once, whichever engine ran it
        ...totalsAre(r, {
          'preset-track': { matched: 4, delivered: 4, skippedTrigger: 2 },
          'preset-identify': { matched: 2, delivered: 2, skippedTrigger: 4 },
          'defer-me': { matched: 1, delivered: 1, skippedTrigger: 5 }
        }),
        ...noPageErrors(r)
      ];
    }
  },
  {
    id: 'defer-full-engine-missing',
    title: 'as defer, but the full engine cannot be fetched: the deferred event is dropped with a warning, the page module runs the rest, analytics.js never waits',
    subscriptions: [
      TRACK_PRESET,
      IDENTIFY_PRESET,
      sub('defer-me', 'trackEvent', 'event = "Defer Me" and properties.constructor != null', { name: { '@template': 'deferred {{event}}' } })
    ],
    missingFiles: ['iterate.wasm'],
    steps: [
      READY,
      { op: 'track', args: ['Before'] },
      { op: 'track', args: ['Defer Me'], await: false },
      { op: 'track', args: ['While Loading'], await: false },
      { op: 'identify', args: ['user-missing', { plan: 'pro' }] },
      { op: 'track', args: ['After'] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...orderIs(r, ['event:Before', 'event:While Loading', 'identify', 'event:After']),
      ...wasmFetched(r, ['iterate-page.wasm']),
      ...((r.served || []).some((e) => e.path.endsWith('/iterate.wasm') && e.status === 404)
        ? [] : ['the full engine was never asked for']),
      ...(r.console.some((c) => c.type === 'warning' && /events the page module cannot run are dropped/.test(c.text))
        ? [] : ['no console warning that the full engine could not be loaded']),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'identify-variants',
    title: 'identify: traits only, userId only, numeric userId, user external_id, empty userId, nested traits',
    subscriptions: PRESETS,
    steps: [
      READY,
      { op: 'identify', args: [{ email: 'anon@example.com', plan: 'free' }] },
      { op: 'identify', args: ['user-2'] },
      { op: 'identify', args: [12345, { name: 'Numeric' }] },
      { op: 'identify', args: ['user-4', { external_id: 'theirs', email: 'four@example.com' }] },
      { op: 'identify', args: ['', { emptyId: true }] },
      { op: 'identify', args: ['user-6', { address: { city: 'Oslo', zip: '0150' }, tags: ['a', 'b'], nothing: null, n: 1.5, ok: false }] }
    ],
    checks: (r) => [...normal(r, 6), ...readyOk(r)]
  },
  {
    id: 'custom-mappings',
    title: 'custom triggers (FQL) and mappings with @template/@if/@case/@replace/@literal/@arrayPath',
    subscriptions: [
      sub('order-template', 'trackEvent', 'event = "Order Completed"', {
        name: { '@template': 'Order {{properties.order_id}} for {{properties.total}}' }
      }),
      sub('big-total-upper', 'trackEvent', 'type = "track" and properties.total > 100', {
        name: { '@case': { operator: 'upper', value: { '@path': '$.event' } } }
      }),
      sub('viewed-if', 'trackEvent', 'contains(event, "Viewed")', {
        name: { '@if': { exists: { '@path': '$.properties.coupon' }, then: { '@path': '$.properties.coupon' }, else: 'no-coupon' } }
      }),
      sub('page-name', 'trackEvent', 'type = "page"', { name: { '@path': '$.name' } }),
      sub('replace', 'trackEvent', 'event = "Replace Me"', {
        name: { '@replace': { pattern: 'Me', replacement: 'You', value: { '@path': '$.event' } } }
      }),
      sub('literal', 'trackEvent', 'event = "Literal"', { name: { '@literal': 'literal-name' } }),
      sub('missing-path', 'trackEvent', 'event = "Missing"', { name: { '@path': '$.properties.nope' } }),
      sub('non-string', 'trackEvent', 'event = "NonString"', { name: { '@path': '$.properties.obj' } }),
      sub('bad-fql', 'trackEvent', 'event = ', { name: 'never' }),
      sub('identify-email', 'identifyUser', 'type = "identify" and traits.email != null', {
        userId: { '@template': 'uid-{{userId}}' },
        traits: {
          email: { '@path': '$.traits.email' },
          plan: { '@case': { operator: 'lower', value: { '@path': '$.traits.plan' } } },
          static: 'x',
          nested: { deep: { '@path': '$.context.page.path' } }
        }
      }),
      sub('upgrade-identify', 'identifyUser', 'type = "track" and event = "Upgrade"', {
        userId: { '@path': '$.properties.account' },
        traits: { items: { '@arrayPath': ['$.properties.items', { sku: { '@path': '$.sku' } }] } }
      })
    ],
    steps: [
      READY,
      { op: 'track', args: ['Order Completed', { order_id: 'o-1', total: 150 }] },
      { op: 'track', args: ['Product Viewed', { coupon: 'SAVE10' }] },
      { op: 'track', args: ['Product Viewed', {}] },
      { op: 'page', args: ['Pricing'] },
      { op: 'track', args: ['Replace Me'] },
      { op: 'track', args: ['Literal'] },
      { op: 'track', args: ['Missing', { secret: 'pw-missing-1' }] },
      { op: 'track', args: ['NonString', { obj: { a: 1, token: 'tok-nonstring-1' } }] },
      { op: 'identify', args: ['u-9', { email: 'Mixed@Example.com', plan: 'PRO' }] },
      { op: 'identify', args: ['u-10', { plan: 'x' }] },
      { op: 'track', args: ['Upgrade', { account: 'acct-1', items: [{ sku: 'a', q: 1 }, { sku: 'b' }] }] },
      // the same invalid payloads again: still one warning per (mapping, reason)
      { op: 'track', args: ['Missing', { secret: 'pw-missing-2' }] },
      { op: 'track', args: ['NonString', { obj: { a: 2, token: 'tok-nonstring-2' } }] }
    ],
    checks: (r) => [...normal(r), ...readyOk(r)],
    // Ours validates payloads as Segment's cloud mode does: `missing-path`
    // (name undefined) and `non-string` (name an object) are skipped, each with
    // one console warning that carries no event data.
    oursChecks: (r) => [
      ...eventNamesAreStrings(r),
      ...skipWarnings(r, ['missing-path', 'non-string']),
      ...noEventDataInConsole(r, ['pw-missing-1', 'pw-missing-2', 'tok-nonstring-1', 'tok-nonstring-2', '"a":1', '"a":2',
        'o-1', 'SAVE10', 'Mixed@Example.com', 'acct-1', 'uid-u-9'])
    ]
  },
  {
    id: 'disabled-mappings',
    title: 'Track Event mapping disabled, Identify User enabled',
    subscriptions: [Object.assign({}, TRACK_PRESET, { enabled: false }), IDENTIFY_PRESET],
    steps: [READY, { op: 'track', args: ['Not Sent'] }, { op: 'identify', args: ['user-d', { a: 1 }] }],
    checks: (r) => [...normal(r, 1), ...readyOk(r)]
  },
  {
    id: 'all-mappings-disabled',
    title: 'every mapping disabled',
    subscriptions: PRESETS.map((s) => Object.assign({}, s, { enabled: false })),
    steps: [READY, { op: 'track', args: ['Not Sent'] }, { op: 'identify', args: ['user-d', { a: 1 }] }],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...iterateCallCount(r, 0), ...recorderGot(r, 2)]
  },
  {
    id: 'multiple-matches',
    title: 'several mappings match one event (same and different actions)',
    subscriptions: [
      sub('all-tracks', 'trackEvent', 'type = "track"', { name: { '@path': '$.event' } }),
      sub('buy-sku', 'trackEvent', 'event = "Buy"', { name: { '@template': 'buy:{{properties.sku}}' } }),
      sub('bulk', 'trackEvent', 'event = "Buy" and properties.qty >= 2', { name: 'bulk' }),
      IDENTIFY_PRESET,
      sub('identify-or-buy', 'identifyUser', 'type = "identify" or event = "Buy"', {
        userId: { '@path': '$.userId' },
        traits: { source: 'second', sku: { '@path': '$.properties.sku' } }
      })
    ],
    steps: [
      READY,
      { op: 'identify', args: ['user-5', { a: 1 }] },
      { op: 'track', args: ['Buy', { sku: 's1', qty: 3 }] },
      { op: 'track', args: ['Other'] }
    ],
    checks: (r) => [...normal(r), ...readyOk(r)]
  },
  {
    id: 'events-before-load',
    title: 'track/identify fired right after load(), before ready, not awaited',
    subscriptions: PRESETS,
    steps: [
      { op: 'track', args: ['Early 1', { n: 1 }], await: false },
      { op: 'identify', args: ['early-user', { e: 1 }], await: false },
      { op: 'track', args: ['Early 2', { n: 2 }], await: false },
      READY,
      { op: 'track', args: ['Late'] }
    ],
    checks: (r) => [...normal(r, 4), ...readyOk(r)]
  },
  {
    id: 'reset',
    title: 'identify, track, reset(), then events (our logout-on-reset setting off: Segment\'s behaviour)',
    subscriptions: PRESETS,
    destinationSettings: { uninstallOnReset: false },
    steps: [
      READY,
      { op: 'identify', args: ['user-r', { email: 'r@example.com' }] },
      { op: 'track', args: ['Before Reset'] },
      { op: 'reset', args: [] },
      { op: 'track', args: ['After Reset'] },
      { op: 'identify', args: [{ email: 'anon-after-reset@example.com' }] },
      { op: 'identify', args: ['user-r2'] }
    ],
    checks: (r) => [...normal(r, 5), ...readyOk(r)]
  },
  {
    id: 'integrations-flags',
    title: 'per-call integrations options',
    subscriptions: PRESETS,
    steps: [
      READY,
      { op: 'track', args: ['Iterate Off', {}, { integrations: { 'Iterate Web (Actions)': false } }] },
      { op: 'track', args: ['All Off', {}, { integrations: { All: false } }] },
      { op: 'track', args: ['All Off Iterate On', {}, { integrations: { All: false, 'Iterate Web (Actions)': true } }] },
      { op: 'track', args: ['Action Off', {}, { integrations: { 'Iterate Web (Actions) trackEvent': false } }] },
      { op: 'track', args: ['Segment Off', {}, { integrations: { 'Segment.io': false } }] },
      { op: 'track', args: ['Iterate Object', {}, { integrations: { 'Iterate Web (Actions)': {} } }] },
      { op: 'identify', args: ['user-i', { a: 1 }, { integrations: { 'Iterate Web (Actions)': false } }] },
      { op: 'identify', args: ['user-j', { b: 2 }, { integrations: { All: false } }] },
      { op: 'identify', args: ['user-k', { c: 3 }, { integrations: { 'Iterate Web (Actions) identifyUser': false } }] },
      { op: 'track', args: ['Plain'] }
    ],
    checks: (r) => [...normal(r), ...readyOk(r)]
  },
  {
    id: 'load-integrations-disabled',
    title: "load(..., {integrations: {'Iterate Web (Actions)': false}}): destination never loaded",
    subscriptions: PRESETS,
    loadOptions: { integrations: { 'Iterate Web (Actions)': false } },
    steps: [READY, { op: 'track', args: ['Ignored'] }, { op: 'identify', args: ['user-x', { a: 1 }] }],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...loaderCount(r, 0), ...iterateCallCount(r, 0), ...recorderGot(r, 2)]
  },
  {
    id: 'load-integrations-settings',
    title: "load(..., {integrations: {'Iterate Web (Actions)': {apiKey: 'override-key'}}}) with no CDN integrations entry",
    subscriptions: PRESETS,
    loadOptions: { integrations: { 'Iterate Web (Actions)': { apiKey: 'override-key' } } },
    steps: [READY, { op: 'track', args: ['Overridden'] }],
    checks: (r) => [...normal(r, 1), ...readyOk(r)]
  },
  {
    id: 'load-integrations-settings-cdn-entry',
    title: "as above, but the CDN settings' integrations also list 'Iterate Web (Actions)' (so analytics-next merges the override)",
    subscriptions: PRESETS,
    cdnIntegrationEntry: { versionSettings: { componentTypes: [] } },
    loadOptions: { integrations: { 'Iterate Web (Actions)': { apiKey: 'override-key' } } },
    steps: [READY, { op: 'track', args: ['Overridden'] }],
    checks: (r) => [...normal(r, 1), ...readyOk(r)]
  },
  {
    id: 'load-integrations-subscriptions-override',
    title: 'the load options override the subscriptions: the served iaPlan no longer fits them, so ours runs the overriding ones in the full engine',
    subscriptions: PRESETS,
    cdnIntegrationEntry: { versionSettings: { componentTypes: [] } },
    loadOptions: {
      integrations: {
        'Iterate Web (Actions)': {
          subscriptions: [{ ...TRACK_PRESET, id: 'override', mapping: { name: { '@template': 'Overridden {{event}}' } } }]
        }
      }
    },
    steps: [READY, { op: 'track', args: ['Event'] }, { op: 'identify', args: ['user-o', { a: 1 }] }],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...iterateCallCount(r, 1), ...hasCall(r, ['event', 'Overridden Event'])],
    oursChecks: (r) => wasmFetched(r, ['iterate.wasm'])
  },
  {
    id: 'loader-404',
    title: 'Iterate loader answers 404: ready() and track() still resolve, second destination still served',
    subscriptions: PRESETS,
    loader: '404',
    steps: [
      { op: 'track', args: ['Before Ready'], await: false },
      READY,
      { op: 'track', args: ['After Ready'] },
      { op: 'identify', args: ['user-404', { a: 1 }] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...loaderCount(r, 1), ...iterateCallCount(r, 0), ...recorderGot(r, 3)]
  },
  {
    id: 'loader-never-ready',
    title: 'Iterate loader runs but never replaces the placeholder (bounded 2 s waits)',
    subscriptions: PRESETS,
    loader: 'never',
    // Our readiness is bounded (default 10 s); 1 s here keeps the run short.
    destinationSettings: { readyTimeoutMs: 1000 },
    stepTimeoutMs: 2000,
    settleTimeoutMs: 2000,
    boundedHang: true,
    steps: [
      { op: 'track', args: ['Before Ready'], await: false },
      READY,
      { op: 'track', args: ['After Ready'] },
      { op: 'identify', args: ['user-never', { a: 1 }] }
    ],
    checks: (r) => [...loaderCount(r, 1), ...iterateCallCount(r, 0), ...recorderGot(r, 3)],
    // Segment's bundle hangs every call here; ours gives up on Iterate after the
    // bound, and analytics.js goes on.
    oursChecks: (r) => [...calledOk(r), ...readyOk(r), ...noPageErrors(r)]
  },
  {
    id: 'loader-delayed',
    title: 'Iterate loader replaces the placeholder 500 ms after it runs; events before and after',
    subscriptions: PRESETS,
    loader: 'delayed',
    loaderDelayMs: 500,
    steps: [
      { op: 'track', args: ['Early'], await: false },
      { op: 'identify', args: ['user-delay', { d: 1 }], await: false },
      READY,
      { op: 'track', args: ['Late'] }
    ],
    checks: (r) => [...normal(r, 3), ...readyOk(r)]
  },
  {
    id: 'reset-uninstall',
    title: 'beyond Segment: reset() logs the visitor out of Iterate (setting on by default)',
    subscriptions: PRESETS,
    steps: [
      READY,
      { op: 'identify', args: ['user-u', { email: 'u@example.com' }] },
      { op: 'reset', args: [] },
      { op: 'track', args: ['After Reset'] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => {
      const order = r.iterateCalls.map((c) => c.args[0] + (c.args[1] && typeof c.args[1] === 'string' ? ':' + c.args[1] : ''));
      const want = ['identify', 'uninstall', 'event:After Reset'];
      return JSON.stringify(order) === JSON.stringify(want) ? [] : [`Iterate calls ${JSON.stringify(order)}, expected ${JSON.stringify(want)}`];
    }
  },
  {
    id: 'beyond-segment-actions',
    title: 'beyond Segment: Show Survey on page views, and response properties on identify',
    subscriptions: [
      TRACK_PRESET,
      sub('show-survey', 'showSurvey', 'type = "page"', {}),
      sub('show-pricing-survey', 'showSurvey', 'type = "page" and name = "Pricing"', { surveyId: { '@path': '$.properties.survey' } }),
      sub('identify-with-response', 'identifyUser', 'type = "identify"', {
        userId: { '@path': '$.userId' },
        traits: { '@path': '$.traits' },
        responseProperties: { plan: { '@path': '$.traits.plan' } }
      })
    ],
    steps: [
      READY,
      { op: 'page', args: ['Home'] },
      { op: 'page', args: ['Pricing', { survey: 's-42' }] },
      { op: 'identify', args: ['user-b', { plan: 'pro' }] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...hasCall(r, ['install']),
      ...hasCall(r, ['install', 's-42']),
      ...hasCall(r, ['identify', { plan: 'pro', external_id: 'user-b' }, { plan: 'pro' }]),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'survey-events',
    title: 'beyond Segment: Iterate responses and closes become track events every destination receives',
    subscriptions: PRESETS,
    destinationSettings: { surveyEvents: true },
    steps: [
      READY,
      { op: 'track', args: ['Signed Up'] },
      { op: 'iterateFire', name: 'onResponse', args: [{ value: 9 }, { id: 'q-1', prompt: 'How likely are you to recommend us?' }, { id: 's-1', title: 'NPS' }] },
      { op: 'iterateFire', name: 'onClose', args: [{ id: 's-1', title: 'NPS' }] },
      { op: 'sleep', ms: 300 }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => {
      const names = r.recorder.map((e) => e.event).filter(Boolean);
      const out = [];
      for (const n of ['Survey Question Answered', 'Survey Closed']) if (!names.includes(n)) out.push(`the second destination did not get "${n}": ${JSON.stringify(names)}`);
      const answered = r.recorder.find((e) => e.event === 'Survey Question Answered');
      const want = { survey_id: 's-1', survey_title: 'NPS', question_id: 'q-1', question_prompt: 'How likely are you to recommend us?', response_value: 9 };
      if (answered && JSON.stringify(answered.properties) !== JSON.stringify(want)) out.push(`answered properties ${JSON.stringify(answered.properties)}`);
      // the survey events skip Iterate itself
      if (r.iterateCalls.some((c) => c.args[0] === 'event' && String(c.args[1]).startsWith('Survey'))) out.push('a survey event reached Iterate');
      return [...out, ...noPageErrors(r)];
    }
  },
  {
    id: 'consent',
    title: 'beyond Segment: consent per destination and per mapping; events wait for consent, revoking it logs out of Iterate',
    subscriptions: [
      TRACK_PRESET,
      IDENTIFY_PRESET,
      sub('ads-track', 'trackEvent', 'type = "track"', { name: { '@template': 'ads:{{event}}' } }, { consentCategories: ['advertising'] })
    ],
    destinationSettings: { consentCategories: ['surveys'] },
    steps: [
      READY,
      { op: 'track', args: ['Before Consent'] },
      { op: 'identify', args: ['user-c', { plan: 'pro' }] },
      { op: 'track', args: ['Consent Given', {}, consent({ surveys: true, advertising: false })] },
      { op: 'track', args: ['No Consent On Event'] },
      { op: 'track', args: ['Ads Allowed', {}, consent({ surveys: true, advertising: true })] },
      { op: 'track', args: ['Revoked', {}, consent({ surveys: false, advertising: true })] },
      { op: 'track', args: ['After Revoke'] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    // Held events go out, in order, once consent arrives; the ads mapping needs its
    // own category; revoking the destination's category uninstalls Iterate and
    // stops delivery.
    oursChecks: (r) => [
      ...orderIs(r, ['event:Before Consent', 'identify', 'event:Consent Given', 'event:No Consent On Event', 'event:Ads Allowed', 'event:ads:Ads Allowed', 'uninstall']),
      ...loaderCount(r, 1),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'consent-never-given',
    title: 'beyond Segment: with consent categories and no consent, Iterate is never loaded and nothing is sent',
    subscriptions: PRESETS,
    destinationSettings: { consentCategories: ['surveys'] },
    steps: [READY, { op: 'track', args: ['Signed Up'] }, { op: 'identify', args: ['user-n', { plan: 'pro' }] }, { op: 'page', args: ['Home'] }],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [...loaderCount(r, 0), ...iterateCallCount(r, 0), ...noPageErrors(r)]
  },
  {
    id: 'consent-denied',
    title: 'beyond Segment: events held before consent are dropped when consent is denied; at most 100 wait',
    subscriptions: [TRACK_PRESET],
    destinationSettings: { consentCategories: ['surveys'], deliveryLogUrl: '{deliveryLog}' },
    steps: [
      READY,
      ...Array.from({ length: 101 }, (_, i) => ({ op: 'track', args: [`Held ${i}`], await: false })),
      { op: 'track', args: ['Denied', {}, consent({ surveys: false })] },
      { op: 'track', args: ['Granted', {}, consent({ surveys: true })] },
      { op: 'dispatch', event: 'pagehide' }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...orderIs(r, ['event:Granted']),
      ...loaderCount(r, 1),
      // 103 tracks matched; the oldest held one was dropped when the 101st arrived,
      // the other 100 and "Denied" were refused, "Granted" delivered.
      ...totalsAre(r, { 'preset-track': { matched: 103, skippedConsent: 102, delivered: 1 } }),
      ...((r.beacons || []).some((b) => (b.errors || []).some((e) => e.kind === 'consent' && /more than 100 events were waiting/.test(e.reason)))
        ? [] : ['no delivery log error for the held event dropped from the full queue']),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'delivery-log',
    title: 'beyond Segment: per-mapping counters beaconed to the control plane (matched, trigger, consent, validation, delivered)',
    subscriptions: [
      TRACK_PRESET,
      IDENTIFY_PRESET,
      sub('needs-plan', 'trackEvent', 'event = "Upgraded"', { name: { '@path': '$.properties.plan' } }),
      sub('ads-track', 'trackEvent', 'type = "track"', { name: 'ad' }, { consentCategories: ['advertising'] })
    ],
    destinationSettings: { deliveryLogUrl: '{deliveryLog}', deliveryLogSampleRate: 1 },
    steps: [
      READY,
      { op: 'track', args: ['Signed Up', {}, consent({ advertising: false })] },
      { op: 'track', args: ['Upgraded', { plan: 'pro' }] },
      { op: 'track', args: ['Upgraded', { email: 'private@example.com' }] },
      { op: 'identify', args: ['user-d', { plan: 'pro' }] },
      { op: 'dispatch', event: 'pagehide' }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => {
      const out = totalsAre(r, {
        'preset-track': { matched: 3, delivered: 3, skippedTrigger: 1 },
        'preset-identify': { matched: 1, delivered: 1, skippedTrigger: 3 },
        'needs-plan': { matched: 2, delivered: 1, skippedValidation: 1, skippedTrigger: 2 },
        'ads-track': { matched: 3, skippedConsent: 3, skippedTrigger: 1 }
      });
      const errors = (r.beacons || []).flatMap((b) => b.errors || []);
      if (!errors.some((e) => e.subscription === 'needs-plan' && e.kind === 'validation' && /name/.test(e.reason))) out.push(`no validation error for needs-plan in ${JSON.stringify(errors)}`);
      const text = JSON.stringify(r.beacons || []);
      if (text.includes('private@example.com') || text.includes('user-d')) out.push('a beacon carries event contents');
      return [...out, ...orderIs(r, ['event:Signed Up', 'event:Upgraded', 'event:pro', 'event:Upgraded', 'identify']), ...noPageErrors(r)];
    }
  },
  {
    id: 'consent-unknown-at-exit',
    title: 'beyond Segment: events still waiting for consent when the page goes away are counted as skipped for consent',
    subscriptions: PRESETS,
    destinationSettings: { consentCategories: ['surveys'], deliveryLogUrl: '{deliveryLog}' },
    steps: [READY, { op: 'track', args: ['One'] }, { op: 'track', args: ['Two'] }, { op: 'dispatch', event: 'pagehide' }],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...iterateCallCount(r, 0),
      ...totalsAre(r, { 'preset-track': { matched: 2, skippedConsent: 2 }, 'preset-identify': { skippedTrigger: 2 } }),
      ...((r.beacons || []).some((b) => (b.errors || []).some((e) => e.kind === 'consent' && /page closed before consent/.test(e.reason)))
        ? [] : ['no delivery log error for the events dropped at exit']),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'consent-bfcache',
    title: 'beyond Segment: a page going into the back/forward cache keeps the events waiting for consent',
    subscriptions: PRESETS,
    destinationSettings: { consentCategories: ['surveys'], deliveryLogUrl: '{deliveryLog}' },
    steps: [
      READY,
      { op: 'track', args: ['Held'] },
      { op: 'dispatch', event: 'pagehide', persisted: true },
      { op: 'track', args: ['Granted', {}, consent({ surveys: true })] },
      { op: 'dispatch', event: 'pagehide' }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...orderIs(r, ['event:Held', 'event:Granted']),
      ...totalsAre(r, { 'preset-track': { matched: 2, delivered: 2 }, 'preset-identify': { skippedTrigger: 2 } }),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'delivery-log-large',
    title: 'beyond Segment: a delivery log batch over the 16 KiB the control plane takes is sent in parts',
    subscriptions: Array.from({ length: 50 }, (_, i) => sub(`m${i}-${'x'.repeat(400)}`, 'trackEvent', 'type = "track"', { name: { '@path': '$.event' } })),
    destinationSettings: { deliveryLogUrl: '{deliveryLog}' },
    steps: [READY, { op: 'track', args: ['Big'] }, { op: 'dispatch', event: 'pagehide' }],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => {
      const want = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`m${i}-${'x'.repeat(400)}`, { matched: 1, delivered: 1 }]))
      const sizes = (r.beacons || []).map((b) => Buffer.byteLength(JSON.stringify(b)))
      return [
        ...totalsAre(r, want),
        ...(sizes.length >= 2 && sizes.every((n) => n <= 16000) ? [] : [`beacon sizes ${JSON.stringify(sizes)}: expected several, each at most 16000 bytes`]),
        ...noPageErrors(r)
      ]
    }
  },
  {
    id: 'delivery-log-off',
    title: 'beyond Segment: a delivery log sample rate of 0 sends nothing',
    subscriptions: PRESETS,
    destinationSettings: { deliveryLogUrl: '{deliveryLog}', deliveryLogSampleRate: 0 },
    steps: [READY, { op: 'track', args: ['Signed Up'] }, { op: 'dispatch', event: 'pagehide' }],
    checks: (r) => [...calledOk(r), ...readyOk(r)],
    oursChecks: (r) => [
      ...((r.beacons || []).length === 0 ? [] : [`${r.beacons.length} beacon(s) sent with the sample rate at 0`]),
      ...orderIs(r, ['event:Signed Up']),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'fifty-mappings',
    title: '50 trackEvent mappings: even ones match every track, odd ones only "Special"',
    subscriptions: Array.from({ length: 50 }, (_, i) =>
      sub(`m${i}`, 'trackEvent', i % 2 === 0 ? 'type = "track"' : 'event = "Special"', {
        name: { '@template': `m${i}:{{event}}` }
      })
    ),
    steps: [READY, { op: 'track', args: ['Special'] }, { op: 'track', args: ['Other'] }],
    checks: (r) => [...normal(r, 75), ...readyOk(r)]
  },
  {
    id: 'existing-snippet',
    title: "page runs Iterate's embed snippet itself (own iterateSettings, placeholder, loader tag) before analytics.js loads",
    subscriptions: PRESETS,
    // The page's loader replaces the placeholder 500 ms after it runs, so the
    // destination initialises while the page's placeholder and loader tag are
    // still pending (deterministic, whatever the load timing).
    loader: 'delayed',
    loaderDelayMs: 500,
    pageSetup: () => {
      window.iterateSettings = { apiKey: 'page-key' };
      window.IterateObjectName = 'Iterate';
      var z = function () { z.command(Array.prototype.slice.call(arguments)); };
      z.loaded = false;
      z.q = [];
      z.command = function (args) { z.q.push(args); };
      window.Iterate = z;
      var js = document.createElement('script');
      js.src = 'https://platform.iteratehq.com/loader.js';
      js.async = true;
      document.head.appendChild(js);
      window.Iterate('event', 'queued-by-page');
    },
    steps: [
      READY,
      { op: 'track', args: ['Snippet Track'] },
      { op: 'identify', args: ['user-snippet', { plan: 'team' }] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...recorderGot(r, 2)],
    // Ours reuses the page's snippet: no second loader, the page's settings and
    // queued command kept, and analytics events reach Iterate.
    oursChecks: (r) => [
      ...loaderCount(r, 1),
      ...hasCall(r, ['event', 'Snippet Track']),
      ...hasIdentify(r, 'user-snippet'),
      ...hasCall(r, ['event', 'queued-by-page']),
      ...(r.iterateSettings && r.iterateSettings.apiKey === 'page-key' ? [] : [`window.iterateSettings is ${JSON.stringify(r.iterateSettings)}, expected the page's {apiKey: 'page-key'}`]),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'existing-snippet-verbatim',
    title: "as existing-snippet, with Iterate's published snippet as is (placeholder without `loaded`, queues `arguments` objects)",
    subscriptions: PRESETS,
    loader: 'delayed',
    loaderDelayMs: 500,
    // Iterate's embed code as found on sites using it (iterateSettings, then
    // this IIFE); it installs the loader tag right away when the document is
    // complete, as it is here.
    pageSetup: () => {
      window.iterateSettings = { apiKey: 'page-key' };
      /* eslint-disable */
      (function(i,t,e,r,a){if(t.getElementById(r)){return}
        i.IterateObjectName=a;var z=function(){z.c(arguments)};z.q=[];
        z.c=function(args){z.q.push(args)};i[a]=z;var js,fjs=t.getElementsByTagName(e)[0];
        function l() {js=t.createElement(e);js.id=r;js.async=1;js.src="https://platform.iteratehq.com/loader.js";fjs.parentNode.insertBefore(js,fjs)};
        if(t.readyState==="complete") {l();} else if(i.attachEvent) {i.attachEvent("onload", l);} else{i.addEventListener("load", l, false);}
      }(window, document,"script","iterate-js","Iterate"));
      /* eslint-enable */
      window.Iterate('event', 'queued-by-page');
    },
    steps: [
      READY,
      { op: 'track', args: ['Snippet Track'] },
      { op: 'identify', args: ['user-snippet', { plan: 'team' }] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...recorderGot(r, 2)],
    oursChecks: (r) => [
      ...loaderCount(r, 1),
      ...hasCall(r, ['event', 'Snippet Track']),
      ...hasIdentify(r, 'user-snippet'),
      ...hasCall(r, ['event', 'queued-by-page']),
      ...(r.iterateSettings && r.iterateSettings.apiKey === 'page-key' ? [] : [`window.iterateSettings is ${JSON.stringify(r.iterateSettings)}, expected the page's {apiKey: 'page-key'}`]),
      ...noPageErrors(r)
    ]
  },
  {
    id: 'bad-configuration',
    title: 'subscriptions as JSON text, holding the presets, an unknown partnerAction and an invalid trigger',
    // Segment's bundle calls subscriptions.filter() on the text and throws;
    // analytics-next then drops the whole destination.
    subscriptions: JSON.stringify([
      TRACK_PRESET,
      IDENTIFY_PRESET,
      sub('unknown-action', 'launchRocket', 'type = "track"', { name: { '@path': '$.event' } }),
      sub('bad-trigger', 'trackEvent', 'type = "track" and (event = "Config Track"', { name: 'from-bad-trigger' })
    ]),
    steps: [
      READY,
      { op: 'track', args: ['Config Track', { plan: 'pro' }] },
      { op: 'identify', args: ['user-config', { email: 'config@example.com' }] },
      { op: 'page', args: ['Config Page'] }
    ],
    checks: (r) => [...calledOk(r), ...readyOk(r), ...recorderGot(r, 3)],
    oursChecks: (r) => [
      ...noPageErrors(r),
      ...loaderCount(r, 1),
      ...iterateCallCount(r, 2),
      ...hasCall(r, ['event', 'Config Track']),
      ...hasIdentify(r, 'user-config'),
      ...consoleNames(r, [/DEF205.*unknown-action/, /FQL0\d\d.*bad-trigger/])
    ]
  }
];

module.exports = { scenarios, PRESETS };
