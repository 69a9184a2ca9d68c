#!/usr/bin/env node
'use strict';
/*
 * Browser harness for the Iterate Web (Actions) device-mode destination
 * =====================================================================
 *
 * Drives headless Chromium (playwright-core, /usr/bin/chromium) with the real
 * @segment/analytics-next (UMD build) against a local server on 127.0.0.1.
 * analytics-next fetches CDN settings from that server; their `remotePlugins`
 * list the Iterate destination bundle (Segment's production bundle from
 * @segment/browser-destinations, or "ours") plus a small second destination
 * that records what it receives. The Iterate loader
 * (https://platform.iteratehq.com/loader.js) is answered by a stand-in script
 * through request interception; every other non-127.0.0.1 request is aborted
 * and recorded. For each scenario (scenarios.js) the harness records every
 * window.Iterate call and more (see "Recorded per scenario" below).
 *
 * Setup (once):   cd tests/browser && npm ci
 *                 apt-get install -y chromium        # gives /usr/bin/chromium
 *
 * Usage:
 *   node run.js --bundle segment                     Segment's bundle only
 *   node run.js --bundle ours --ours-dir DIR --ours-entry FILE
 *                                                    our bundle only; FILE is
 *                                                    relative to DIR and must
 *                                                    define window.iterateDestination
 *   node run.js --compare --ours-dir DIR --ours-entry FILE
 *                                                    both, then compare per scenario
 * Options:
 *   --cli PATH              the iterate-actions binary, whose `plan` command adds
 *                           the iaPlan our control plane would serve to each
 *                           scenario's settings (default ../../target/debug/
 *                           iterate-actions; `cargo build -p cli`)
 *   --scenario ID[,ID...]   run only these scenarios (see --list)
 *   --list                  list scenario ids and exit
 *   --ours-library NAME     window global of our factory (default iterateDestination)
 *   --show-calls            print every recorded window.Iterate call
 *   --out FILE              write all results as JSON (default results/<bundle>.json)
 *   --chromium PATH         browser binary (default /usr/bin/chromium)
 *   --verbose               progress, console messages
 *
 * Exit status: 0 all scenarios ran and their checks passed (and, with
 * --compare, every difference is listed in differences.json and the bytes
 * budget holds); 1 a check failed, a scenario broke, an unexpected
 * difference, or the bytes budget is exceeded; 2 usage or setup error
 * (e.g. Chromium missing).
 *
 * Output ends with "browser: N passed, N failed", counting one run per
 * scenario and bundle; with --compare, our run of a scenario that differs
 * from Segment's in a way differences.json does not list counts as failed.
 * --compare also prints a budget section:
 *   budget: bytes ours B segment B ratio R (target <= 0.5) ok|EXCEEDED
 *     gzip -9 bytes of every destination file the page downloaded in the
 *     default-presets scenario (entry script, chunks, wasm modules),
 *     ours/segment; over the target fails the run
 *   budget: bytes-all-scenarios ours B segment B ratio R (report only)
 *     the same over the union of the files of every scenario (ours includes
 *     the full engine, which the no-plan and defer scenarios fetch)
 *   budget: ready-ms ours MS segment MS (median over N scenarios ...)
 *     ms from AnalyticsBrowser.load() to every Iterate plugin's ready()
 *     resolving, median over the scenarios where both bundles got ready
 *     (report only)
 *
 * Settings: each scenario's Iterate settings get the iaPlan our control plane
 * would serve (`iterate-actions plan -`), for both bundles (Segment's ignores
 * the key), unless the scenario says noPlan: true.
 *
 * differences.json: deliberate differences between ours and Segment's bundle,
 *   { "<scenario-id>": { "fields": ["iterateCalls", ...], "reason": "..." } }
 * or "<scenario-id>": "reason" to accept every field of that scenario.
 * Compared fields: iterateCalls (as a multiset), iterateCallOrder,
 * loaderRequests, loaderRuns, iterateSettings, iterateObjectName,
 * iterateFinalState, callOutcomes, recorderEvents, iteratePluginNames,
 * pageErrors, blockedRequests.
 *
 * How the destination gets loaded (verified in analytics-next 1.84.3 source,
 * dist/cjs/browser/index.js and plugins/remote-loader/index.js):
 *   AnalyticsBrowser.load({writeKey, cdnURL}) calls setGlobalCDNUrl(cdnURL)
 *   and fetches `${cdnURL}/v1/projects/${writeKey}/settings`. Each
 *   remotePlugins entry {name, creationName, libraryName, url, settings} is
 *   loaded by a <script> at url, with "https://cdn.segment.com" in it
 *   replaced by the CDN URL; then window[libraryName]({...settings,
 *   ...loadOptions.integrations[name] if an object}) must return Plugin[];
 *   each plugin is wrapped in an ActionDestination named creationName (the
 *   plugin's own name becomes an alternative name usable in `integrations`).
 *   Segment's bundle computes its webpack publicPath from
 *   document.currentScript.src: dirname(entry src) + "../", and its lazy
 *   chunk is "688/<hash>.js" there. So the entry is served at
 *   /next-integrations/actions/iterate/<hash>.js (the real CDN layout,
 *   mirrored from node_modules/@segment/browser-destinations/dist/web) and
 *   the chunk at /next-integrations/actions/688/<hash>.js. "Ours" is served
 *   from /next-integrations/actions/iterate-ours/ (its directory as given).
 *
 * analytics-next build: dist/umd/index.js (window.AnalyticsNext), called as
 *   AnalyticsNext.AnalyticsBrowser.load({writeKey, cdnURL: <local origin>}).
 *   Chosen over dist/umd/standalone.js + snippet: the standalone build finds
 *   its writeKey and CDN from an https "/analytics.js/v1/<key>/" script URL,
 *   which a plain-http 127.0.0.1 server cannot provide without more stubs.
 *   Its lazy chunks (e.g. ajs-destination, loaded when CDN settings list
 *   more integrations than Segment.io) are fetched from
 *   getCDN() + "/analytics-next/bundles/", getCDN() being evaluated when the
 *   UMD script runs, before load(): the page sets window.analytics =
 *   {_cdn: <local origin>} first (as the snippet's documented _cdn does), and
 *   the server serves dist/umd there.
 *   Segment.io (the Segment API destination) is pointed at this server
 *   (apiHost 127.0.0.1:<port>/v1, protocol http) and remote metrics are off
 *   (sampleRate 0), so nothing needs the network.
 *
 * Recorded per scenario: window.Iterate calls (args as JSON, and whether they
 * were direct calls or replayed from the placeholder's queue `q`), loader
 * request count and stand-in runs, window.iterateSettings and
 * window.IterateObjectName, the final window.Iterate state, console errors
 * and warnings, page errors and unhandled rejections, every analytics call's
 * promise outcome (resolved / rejected / pending after a bounded wait), the
 * second destination's events, plugin names, timings (ms from load() to the
 * loader running, to window.Iterate being replaced, to the Iterate plugins
 * being ready), blocked requests, the files the server served (the
 * destination's files give the gzip -9 byte count: zlib level 9), and the
 * wasm modules the page fetched and when (wasmFetches).
 *
 * A scenario's pageSetup (if any) runs in the page after it loaded and before
 * AnalyticsBrowser.load(), e.g. to install Iterate's own snippet. The page
 * counts as quiet only once a 'delayed' loader stand-in has installed.
 */

const fs = require('fs');
const os = require('os');
const path = require('path');
const http = require('http');
const zlib = require('zlib');
const util = require('util');
const childProcess = require('child_process');

const HERE = __dirname;
const { scenarios } = require('./scenarios');

const ITERATE_NAME = 'Iterate Web (Actions)';
const RECORDER_NAME = 'Recorder (Actions)';
const LOADER_URL = 'https://platform.iteratehq.com/loader.js';
const SEGMENT_CDN = 'https://cdn.segment.com';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];
const DEFAULT_STEP_TIMEOUT_MS = 5000;
const DEFAULT_SETTLE_TIMEOUT_MS = 8000;
const QUIET_WINDOW_MS = 300;
const SCENARIO_HARD_TIMEOUT_MS = 90000;

// ---------------------------------------------------------------- arguments
function parseArgs(argv) {
  const o = { bundle: null, compare: false, scenario: null, oursDir: null, oursEntry: null, oursLibrary: 'iterateDestination',
    showCalls: false, out: null, chromium: '/usr/bin/chromium', verbose: false, list: false,
    cli: path.join(HERE, '../../target/debug/iterate-actions') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--bundle': o.bundle = val(); break;
      case '--compare': o.compare = true; break;
      case '--scenario': o.scenario = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--ours-dir': o.oursDir = val(); break;
      case '--ours-entry': o.oursEntry = val(); break;
      case '--ours-library': o.oursLibrary = val(); break;
      case '--show-calls': o.showCalls = true; break;
      case '--out': o.out = val(); break;
      case '--chromium': o.chromium = val(); break;
      case '--cli': o.cli = path.resolve(val()); break;
      case '--verbose': case '-v': o.verbose = true; break;
      case '--list': o.list = true; break;
      case '--help': case '-h': usage(null); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (o.list) return o;
  if (!o.compare && !o.bundle) o.bundle = 'segment';
  if (o.bundle && !['segment', 'ours'].includes(o.bundle)) usage(`--bundle must be segment or ours`);
  if (o.compare && o.bundle) usage('use either --compare or --bundle');
  if ((o.compare || o.bundle === 'ours') && (!o.oursDir || !o.oursEntry)) usage('ours needs --ours-dir DIR and --ours-entry FILE');
  if (o.scenario) {
    const known = new Set(scenarios.map((s) => s.id));
    const unknown = o.scenario.filter((s) => !known.has(s));
    if (unknown.length) usage(`unknown scenario(s): ${unknown.join(', ')} (see --list)`);
  }
  return o;
}

function usage(msg) {
  const lines = fs.readFileSync(__filename, 'utf8').split('\n');
  const end = lines.findIndex((l) => l.includes('differences.json: deliberate'));
  const head = lines.slice(3, end > 0 ? end : 45).join('\n');
  if (msg) {
    console.error(`run.js: ${msg}\n`);
    console.error(head.replace(/^ ?\* ?/gm, ''));
    process.exit(2);
  }
  console.log(head.replace(/^ ?\* ?/gm, ''));
  process.exit(0);
}

function fatal(msg) {
  console.error(`run.js: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------- bundles
function segmentBundle() {
  const webDir = path.join(HERE, 'node_modules/@segment/browser-destinations/dist/web');
  if (!fs.existsSync(webDir)) fatal(`missing ${webDir}: run "npm ci" in tests/browser`);
  const manifest = JSON.parse(fs.readFileSync(path.join(webDir, 'manifest-latest.json'), 'utf8'));
  const entryFile = manifest.iterate;
  if (!entryFile) fatal('no "iterate" entry in browser-destinations manifest-latest.json');
  const entryPath = path.join(webDir, 'iterate', entryFile);
  const src = fs.readFileSync(entryPath, 'utf8');
  const m = /window\.([A-Za-z_$][\w$]*)\s*=\s*[A-Za-z_$][\w$]*\.default\s*\}\)\(\)\s*;?\s*(\/\/.*)?$/m.exec(src.trim());
  const libraryName = m ? m[1] : 'iterateDestination';
  return {
    label: 'segment',
    mountPrefix: '/next-integrations/actions/',
    root: webDir,
    entryUrlPath: `/next-integrations/actions/iterate/${entryFile}`,
    libraryName,
    libraryNameDetected: !!m
  };
}

function oursBundle(opts) {
  const dir = path.resolve(opts.oursDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) fatal(`--ours-dir ${dir} is not a directory`);
  const entry = opts.oursEntry.split(path.sep).join('/').replace(/^\.?\//, '');
  const entryPath = path.resolve(dir, entry);
  if (!entryPath.startsWith(dir + path.sep)) fatal('--ours-entry must be inside --ours-dir');
  if (!fs.existsSync(entryPath)) fatal(`--ours-entry ${entryPath} does not exist`);
  return {
    label: 'ours',
    mountPrefix: '/next-integrations/actions/iterate-ours/',
    root: dir,
    entryUrlPath: `/next-integrations/actions/iterate-ours/${entry}`,
    libraryName: opts.oursLibrary,
    libraryNameDetected: false
  };
}

// ---------------------------------------------------------------- server
const UMD_DIR = () => path.join(HERE, 'node_modules/@segment/analytics-next/dist/umd');

function contentType(file) {
  if (file.endsWith('.js')) return 'application/javascript; charset=utf-8';
  if (file.endsWith('.json')) return 'application/json; charset=utf-8';
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.map')) return 'application/json; charset=utf-8';
  return 'application/octet-stream';
}

function safeJoin(root, rel) {
  const p = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  return p === root || p.startsWith(root + path.sep) ? p : null;
}

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>iterate-actions browser harness</title>
<link rel="icon" href="data:,">
<script src="/harness.js"></script>
<script>
  // Read by analytics-next's getCDN() when its UMD build initialises: it sets
  // the webpack publicPath of its own lazy chunks to <cdn>/analytics-next/bundles/
  // (same role as analytics._cdn in Segment's snippet for custom CDN proxies).
  window.analytics = { _cdn: location.origin };
</script>
<script src="/analytics-next/umd/index.js"></script>
</head><body><p>iterate-actions browser harness</p></body></html>
`;

function startServer(bundles) {
  const state = {
    settings: new Map(), // writeKey -> CDN settings
    beacons: new Map(), // writeKey -> delivery log bodies received (ours only)
    log: [], // served requests of the current scenario
    served: new Map(), // path+search -> responses finished (current scenario)
    missing: [], // destination files answered 404 in the current scenario (missingFiles)
    origin: null,
    t0: Date.now()
  };
  const mounts = bundles.map((b) => ({ prefix: b.mountPrefix, root: b.root, category: 'destination' }))
    .sort((a, b) => b.prefix.length - a.prefix.length);

  function serveFile(res, file, entry) {
    let buf;
    try {
      buf = fs.statSync(file).isFile() ? fs.readFileSync(file) : null;
    } catch (_) {
      buf = null;
    }
    if (!buf) return notFound(res, entry);
    entry.status = 200;
    entry.file = file;
    entry.bytes = buf.length;
    res.writeHead(200, { 'content-type': contentType(file), 'cache-control': 'no-store' });
    res.end(buf);
  }
  function notFound(res, entry) {
    entry.status = 404;
    res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end('not found');
  }
  function json(res, entry, obj, status) {
    entry.status = status || 200;
    res.writeHead(entry.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(obj));
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    const entry = { method: req.method, path: p, category: 'other', status: null, bytes: 0, file: null, atMs: Date.now() - state.t0 };
    state.log.push(entry);
    const key = url.pathname + url.search;
    const served = state.served;
    res.on('finish', () => served.set(key, (served.get(key) || 0) + 1));
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (p === '/' || p === '/index.html') {
        entry.category = 'page';
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(INDEX_HTML);
      }
      if (p === '/harness.js' || p === '/fixtures/recorder-destination.js') {
        entry.category = 'harness';
        return serveFile(res, path.join(HERE, 'page', path.basename(p)), entry);
      }
      let m = /^\/v1\/projects\/([^/]+)\/settings$/.exec(p);
      if (m) {
        entry.category = 'cdn-settings';
        const s = state.settings.get(m[1]);
        return s ? json(res, entry, s) : json(res, entry, { error: 'unknown writeKey' }, 404);
      }
      m = /^\/v1\/(t|i|p|g|a|s|b|m|batch)$/.exec(p);
      if (m && req.method === 'POST') {
        entry.category = 'segment-api';
        entry.apiType = m[1];
        try { entry.payloadType = JSON.parse(body).type || null; } catch (_) { /* not JSON */ }
        return json(res, entry, { success: true });
      }
      m = /^\/delivery-log\/([^/]+)$/.exec(p);
      if (m && req.method === 'POST') {
        // what the delivery log beacons (ours only): recorded per write key
        entry.category = 'delivery-log';
        if (!state.beacons.has(m[1])) state.beacons.set(m[1], []);
        try { state.beacons.get(m[1]).push(JSON.parse(body)); } catch (_) { state.beacons.get(m[1]).push({ unparsable: body }); }
        entry.status = 202;
        res.writeHead(202, { 'access-control-allow-origin': '*', 'content-type': 'application/json' });
        return res.end('{}');
      }
      m = /^\/analytics-next\/(umd|bundles)\/(.+)$/.exec(p);
      if (m) {
        entry.category = 'analytics-next';
        const f = safeJoin(UMD_DIR(), m[2]);
        return f ? serveFile(res, f, entry) : notFound(res, entry);
      }
      for (const mt of mounts) {
        if (p.startsWith(mt.prefix)) {
          entry.category = mt.category;
          const f = safeJoin(mt.root, p.slice(mt.prefix.length));
          if (state.missing.includes(path.basename(p))) return notFound(res, entry);
          return f ? serveFile(res, f, entry) : notFound(res, entry);
        }
      }
      return notFound(res, entry);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      state.origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ server, state });
    });
  });
}

// A scenario names the harness's delivery log endpoint as '{deliveryLog}'.
function withDeliveryLog(settings, url) {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v === '{deliveryLog}' ? url : v]));
}

// The settings with the iaPlan our control plane would serve in them.
function withPlan(settings, cli) {
  const out = childProcess.spawnSync(cli, ['plan', '-'], { input: JSON.stringify(settings), encoding: 'utf8' });
  if (out.error || out.status !== 0) fatal(`${cli} plan -: ${out.error ? out.error.message : out.stderr.trim() || 'exit ' + out.status}`);
  const planned = JSON.parse(out.stdout);
  return planned.iaPlan === undefined ? settings : { ...settings, iaPlan: planned.iaPlan };
}

function cdnSettings(origin, writeKey, bundle, scenario, cli) {
  const host = origin.replace(/^http:\/\//, '');
  const iterateSettings = {
    apiKey: scenario.apiKey === undefined ? 'test-api-key' : scenario.apiKey,
    subscriptions: scenario.subscriptions,
    versionSettings: { componentTypes: [] },
    ...withDeliveryLog(scenario.destinationSettings || {}, `${origin}/delivery-log/${writeKey}`)
  };
  const settings = {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${host}/v1`,
        protocol: 'http',
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
        versionSettings: { version: '4.4.7', componentTypes: ['browser'] }
      }
    },
    plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [
      {
        name: ITERATE_NAME,
        creationName: ITERATE_NAME,
        libraryName: bundle.libraryName,
        url: SEGMENT_CDN + bundle.entryUrlPath,
        settings: scenario.noPlan ? iterateSettings : withPlan(iterateSettings, cli)
      },
      {
        name: RECORDER_NAME,
        creationName: RECORDER_NAME,
        libraryName: 'recorderDestination',
        url: `${origin}/fixtures/recorder-destination.js`,
        settings: { subscriptions: [] }
      }
    ]
  };
  if (scenario.cdnIntegrationEntry) settings.integrations[ITERATE_NAME] = scenario.cdnIntegrationEntry;
  return settings;
}

// ---------------------------------------------------------------- Iterate loader stand-in
// Mimics what matters of Iterate's real loader: it takes the object named by
// window.IterateObjectName (default "Iterate"), replays the placeholder's
// queued commands (window.Iterate.q, arrays of args) and replaces the
// placeholder by a function without an own `loaded` property. Every call is
// recorded (as JSON, via window.__enc) in window.__iterateLoader.calls.
function loaderStandIn(mode, delayMs) {
  return `(function () {
  var L = window.__iterateLoader = window.__iterateLoader || { runs: 0, runAt: [], calls: [], replacedAt: null, placeholderSeen: null, settingsAtInstall: null };
  var enc = window.__enc || function (v) { try { return JSON.parse(JSON.stringify(v)); } catch (e) { return String(v); } };
  L.runs++;
  L.mode = ${JSON.stringify(mode)};
  L.runAt.push(performance.now());
  function install() {
    var name = window.IterateObjectName || 'Iterate';
    var ph = window[name];
    var q = ph && Array.isArray(ph.q) ? ph.q.slice() : [];
    L.placeholderSeen = {
      objectName: name,
      type: typeof ph,
      hasOwnLoaded: !!ph && Object.prototype.hasOwnProperty.call(ph, 'loaded'),
      loaded: ph ? enc(ph.loaded) : null,
      queueLength: ph && Array.isArray(ph.q) ? ph.q.length : null
    };
    L.settingsAtInstall = enc(window.iterateSettings);
    L.callbacks = L.callbacks || {};
    function keep(args) {
      // onResponse / onClose register a callback; kept so a scenario can fire it
      if (typeof args[0] === 'string' && typeof args[1] === 'function') (L.callbacks[args[0]] = L.callbacks[args[0]] || []).push(args[1]);
    }
    var recorder = function () {
      var args = Array.prototype.slice.call(arguments);
      keep(args);
      L.calls.push({ args: enc(args), via: 'direct', t: performance.now() });
    };
    recorder.__isRecorder = true;
    window[name] = recorder;
    L.replacedAt = performance.now();
    for (var i = 0; i < q.length; i++) {
      // entries are arrays (Segment's placeholder) or arguments objects (Iterate's own snippet)
      var isArgs = Object.prototype.toString.call(q[i]) === '[object Arguments]';
      var queued = Array.isArray(q[i]) ? q[i] : isArgs ? Array.prototype.slice.call(q[i]) : [q[i]];
      keep(queued);
      L.calls.push({ args: enc(queued), via: 'queue', t: performance.now() });
    }
  }
  if (L.mode === 'never') return;
  if (L.mode === 'delayed') {
    // counted so the harness waits for it before it calls the page quiet
    L.pendingInstalls = (L.pendingInstalls || 0) + 1;
    setTimeout(function () { L.pendingInstalls--; install(); }, ${Number(delayMs) || 500});
  }
  else install();
})();
`;
}

// ---------------------------------------------------------------- helpers
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(t));
}

function canon(v) {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = canon(v[k]);
    return o;
  }
  return v;
}
const cj = (v) => JSON.stringify(canon(v));

const gzipCache = new Map();
function gzip9(file) {
  if (!gzipCache.has(file)) gzipCache.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length);
  return gzipCache.get(file);
}

function isLocal(u, origin) {
  return u.startsWith(origin + '/') || u === origin;
}

// ---------------------------------------------------------------- one scenario
async function runScenario(chromium, opts, srv, bundle, scenario, seq) {
  const { state } = srv;
  const origin = state.origin;
  const writeKey = `wk_${bundle.label}_${seq}_${scenario.id}`.replace(/[^\w-]/g, '_');
  state.settings.set(writeKey, cdnSettings(origin, writeKey, bundle, scenario, opts.cli));
  state.missing = scenario.missingFiles || [];
  state.log = [];
  state.served = new Map();

  const loaderMode = scenario.loader || 'normal';
  const result = {
    id: scenario.id,
    bundle: bundle.label,
    loaderMode,
    loaderRequests: 0,
    blocked: [],
    console: [],
    playwrightPageErrors: [],
    harnessError: null
  };
  const inflight = { n: 0, total: 0, urls: [], compute: () => 0 };
  const consoleSeen = { n: 0 };

  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iterate-browser-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_FLAGS,
      serviceWorkers: 'block',
      viewport: { width: 800, height: 600 }
    });
    // In-flight requests: per URL, issued - max(done per playwright, done per
    // our server). Chromium does not report completion of keepalive fetches
    // (Segment.io uses them) to playwright, so the server's count is needed.
    const issued = new Map();
    const pwDone = new Map();
    const bump = (m, k) => m.set(k, (m.get(k) || 0) + 1);
    inflight.compute = () => {
      let n = 0;
      const urls = [];
      for (const [u, c] of issued) {
        const local = isLocal(u, origin) ? state.served.get(new URL(u).pathname + new URL(u).search) || 0 : 0;
        const open = c - Math.max(pwDone.get(u) || 0, local);
        if (open > 0) { n += open; urls.push(u.replace(origin, '<origin>')); }
      }
      inflight.n = n;
      inflight.urls = urls;
      return n;
    };
    context.on('request', (rq) => { bump(issued, rq.url()); inflight.total++; });
    context.on('requestfinished', (rq) => bump(pwDone, rq.url()));
    context.on('requestfailed', (rq) => bump(pwDone, rq.url()));

    await context.route((u) => !isLocal(u.href, origin), async (route) => {
      const u = route.request().url();
      const parsed = new URL(u);
      if (parsed.origin + parsed.pathname === LOADER_URL) {
        result.loaderRequests++;
        if (loaderMode === '404') {
          return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
        }
        return route.fulfill({
          status: 200,
          contentType: 'application/javascript',
          headers: { 'access-control-allow-origin': '*' },
          body: loaderStandIn(loaderMode, scenario.loaderDelayMs)
        });
      }
      result.blocked.push(u);
      return route.abort('blockedbyclient');
    });

    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (msg) => {
      consoleSeen.n++;
      const type = msg.type();
      if (type === 'error' || type === 'warning' || type === 'assert') {
        const loc = msg.location();
        result.console.push({ type, text: msg.text().replace(new RegExp(origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g'), '<origin>'), url: loc && loc.url ? loc.url.replace(origin, '<origin>') : null });
      }
      if (opts.verbose) console.log(`    [console.${type}] ${msg.text()}`);
    });
    page.on('pageerror', (err) => {
      result.playwrightPageErrors.push(String(err && err.message ? `${err.name}: ${err.message}` : err));
    });

    await page.goto(`${origin}/?scenario=${encodeURIComponent(scenario.id)}`, { waitUntil: 'load' });
    // What the page itself does before analytics.js loads (e.g. Iterate's own snippet)
    if (scenario.pageSetup) await withTimeout(page.evaluate(scenario.pageSetup), DEFAULT_STEP_TIMEOUT_MS, 'pageSetup');
    const spec = {
      writeKey,
      iterateName: ITERATE_NAME,
      loadOptions: scenario.loadOptions || {},
      steps: scenario.steps,
      stepTimeoutMs: scenario.stepTimeoutMs || DEFAULT_STEP_TIMEOUT_MS
    };
    const hard = SCENARIO_HARD_TIMEOUT_MS;
    await withTimeout(page.evaluate((s) => window.__harness.start(s), spec), hard, 'scenario steps');

    // Wait until the page is quiet: no pending analytics promises, Iterate
    // plugins settled, no request in flight, and nothing recorded changed for
    // QUIET_WINDOW_MS. Bounded by settleTimeoutMs.
    const settleTimeout = scenario.settleTimeoutMs || DEFAULT_SETTLE_TIMEOUT_MS;
    const deadline = Date.now() + settleTimeout;
    let lastSig = null;
    let since = Date.now();
    let probe;
    for (;;) {
      probe = await page.evaluate(() => window.__harness.probe());
      inflight.compute();
      const sig = `${probe.signature}|${inflight.total}|${inflight.n}|${consoleSeen.n}|${result.loaderRequests}`;
      if (sig !== lastSig) {
        lastSig = sig;
        since = Date.now();
      }
      const busy = !probe.stepsDone || probe.loadStatus === 'pending' || probe.pendingCalls > 0 || probe.pendingPlugins > 0 || probe.pendingLoaderInstalls > 0 || inflight.n > 0;
      if (!busy && Date.now() - since >= QUIET_WINDOW_MS) {
        result.quiet = true;
        break;
      }
      if (Date.now() >= deadline) {
        result.quiet = false;
        result.notQuiet = { pendingCalls: probe.pendingCalls, pendingPlugins: probe.pendingPlugins, pendingLoaderInstalls: probe.pendingLoaderInstalls, loadStatus: probe.loadStatus, inflight: inflight.n, inflightUrls: inflight.urls, afterMs: settleTimeout };
        break;
      }
      await sleep(50); // poll interval, not a synchronisation sleep
    }

    const snap = await page.evaluate(() => window.__harness.snapshot());
    Object.assign(result, snap);
  } catch (err) {
    result.harnessError = String(err && err.stack ? err.stack : err);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }

  // Derived fields
  const L = result.loader;
  result.iterateCalls = L ? L.calls : [];
  result.loaderRuns = L ? L.runs : 0;
  result.timings = {
    loadResolvedMs: result.load ? result.load.ms : null,
    loaderRunMs: L && L.runAtMs.length ? L.runAtMs[0] : null,
    iterateReplacedMs: L ? L.replacedAtMs : null,
    pluginsReadyMs: result.iteratePlugins && result.iteratePlugins.length && result.iteratePlugins.every((p) => p.status === 'settled')
      ? Math.max(...result.iteratePlugins.map((p) => p.settledAtMs)) : null,
    pluginsOk: result.iteratePlugins ? result.iteratePlugins.map((p) => p.ok) : null
  };
  result.pageErrorsAll = [
    ...result.playwrightPageErrors.map((m) => ({ kind: 'pageerror', message: m })),
    ...(result.pageErrors || []).filter((e) => e.kind === 'unhandledrejection')
  ];
  result.served = state.log.map((e) => ({ method: e.method, path: e.path, category: e.category, status: e.status, bytes: e.bytes, apiType: e.apiType }));
  const destFiles = new Map();
  for (const e of state.log) {
    if (e.category === 'destination' && e.status === 200 && e.file) destFiles.set(e.path, e.file);
  }
  result.destinationFiles = [...destFiles.entries()].map(([p, f]) => ({ path: p, bytes: fs.statSync(f).size, gzip9: gzip9(f) }));
  result.destinationGzipBytes = result.destinationFiles.reduce((a, f) => a + f.gzip9, 0);
  result.wasmFiles = result.destinationFiles.filter((f) => f.path.endsWith('.wasm')).map((f) => path.posix.basename(f.path));
  // (files the scenario made missing on purpose aside)
  result.destination404s = state.log
    .filter((e) => e.category === 'destination' && e.status !== 200 && !state.missing.includes(path.posix.basename(e.path)))
    .map((e) => e.path);
  result.segmentApi = state.log.filter((e) => e.category === 'segment-api').map((e) => e.apiType);
  result.beacons = state.beacons.get(writeKey) || [];
  state.settings.delete(writeKey);
  state.beacons.delete(writeKey);

  // Checks
  const failures = [];
  if (result.harnessError) failures.push(`harness error: ${result.harnessError.split('\n')[0]}`);
  else {
    if (result.load.status !== 'resolved') failures.push(`AnalyticsBrowser.load() ${result.load.status} ${result.load.error || ''}`);
    if (result.blocked.length) failures.push(`${result.blocked.length} non-local request(s) blocked: ${result.blocked.slice(0, 3).join(', ')}`);
    if (!result.quiet && !scenario.boundedHang) failures.push(`page not quiet after ${settleTimeoutOf(scenario)} ms: ${JSON.stringify(result.notQuiet)}`);
    if (result.destination404s.length) failures.push(`destination file(s) not found: ${result.destination404s.join(', ')}`);
    if (scenario.checks) failures.push(...scenario.checks(result));
    // What our bundle must do better than Segment's (never asked of theirs).
    if (bundle.label === 'ours' && scenario.oursChecks) failures.push(...scenario.oursChecks(result));
  }
  result.checkFailures = failures;
  return result;
}

function settleTimeoutOf(s) {
  return s.settleTimeoutMs || DEFAULT_SETTLE_TIMEOUT_MS;
}

// ---------------------------------------------------------------- reporting
function fmtArgs(args) {
  return JSON.stringify(args);
}

function outcomeSummary(r) {
  if (!r.calls) return '-';
  const calls = r.calls.filter((c) => c.op !== 'ready');
  const res = calls.filter((c) => c.status === 'resolved' || c.status === 'sync').length;
  const pend = calls.filter((c) => c.status === 'pending').length;
  const rej = calls.filter((c) => c.status === 'rejected').length;
  return `${res}/${calls.length}` + (pend ? ` ${pend}pend` : '') + (rej ? ` ${rej}rej` : '');
}
function readySummary(r) {
  if (!r.calls) return '-';
  const ready = r.calls.filter((c) => c.op === 'ready');
  return ready.length ? ready.map((c) => (c.status === 'resolved' ? 'ok' : c.status)).join(',') : '-';
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, ri) => {
    const line = r.map((c, i) => String(c).padEnd(widths[i])).join(' | ').trimEnd();
    return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('-+-')}` : line;
  }).join('\n');
}

function printSingle(results, opts) {
  const rows = [['scenario', 'Iterate calls', 'loader req/runs', 'ready()', 'calls resolved', 'load→loader→replaced→ready ms', 'console err/warn', 'page errors', 'dest gzip-9 B', 'wasm fetched', 'checks']];
  for (const r of results) {
    const t = r.timings || {};
    const ms = (v) => (v === null || v === undefined ? '-' : Math.round(v));
    rows.push([
      r.id,
      r.iterateCalls.length,
      `${r.loaderRequests}/${r.loaderRuns}`,
      readySummary(r),
      outcomeSummary(r),
      `${ms(t.loadResolvedMs)}→${ms(t.loaderRunMs)}→${ms(t.iterateReplacedMs)}→${ms(t.pluginsReadyMs)}${t.pluginsOk && t.pluginsOk.includes(false) ? ' (failed)' : ''}`,
      `${r.console.filter((c) => c.type === 'error').length}/${r.console.filter((c) => c.type === 'warning').length}`,
      r.pageErrorsAll.length,
      r.destinationGzipBytes,
      (r.wasmFiles || []).join('+') || '-',
      r.checkFailures.length ? `FAIL(${r.checkFailures.length})` : 'ok'
    ]);
  }
  console.log(table(rows));
  for (const r of results) {
    if (r.checkFailures.length) {
      console.log(`\n[${r.bundle}] ${r.id}: check failures`);
      for (const f of r.checkFailures) console.log(`  - ${f}`);
    }
    if (opts.showCalls) {
      console.log(`\n[${r.bundle}] ${r.id}: ${r.iterateCalls.length} window.Iterate call(s); iterateSettings=${JSON.stringify(r.iterateSettings)}; IterateObjectName=${JSON.stringify(r.iterateObjectName)}`);
      for (const c of r.iterateCalls) console.log(`    ${c.via === 'queue' ? '(queued) ' : ''}Iterate(${fmtArgs(c.args).slice(1, -1)})`);
      if (r.iterateState && r.iterateState.hasOwnLoaded) console.log(`    window.Iterate is still the placeholder; queue: ${JSON.stringify(r.iterateState.queue)}`);
      const stuck = (r.calls || []).filter((c) => c.status !== 'resolved' && c.status !== 'sync');
      for (const c of stuck) console.log(`    analytics.${c.op}(#${c.i}) ${c.status}${c.error ? ': ' + c.error : ''}`);
      for (const c of r.console) console.log(`    console.${c.type}: ${c.text.slice(0, 200)}`);
      for (const e of r.pageErrorsAll) console.log(`    page error (${e.kind}): ${e.message.slice(0, 200)}`);
    }
  }
}

function printBytes(results, bundle) {
  const files = new Map();
  for (const r of results) for (const f of r.destinationFiles || []) files.set(f.path, f);
  const list = [...files.values()];
  const total = list.reduce((a, f) => a + f.gzip9, 0);
  const raw = list.reduce((a, f) => a + f.bytes, 0);
  console.log(`\n[${bundle.label}] destination bytes (files the entry loaded, union over scenarios; gzip -9 = zlib level 9):`);
  for (const f of list) console.log(`  ${f.path}  ${f.bytes} B raw, ${f.gzip9} B gzip-9`);
  console.log(`  total: ${raw} B raw, ${total} B gzip-9`);
  return { files: list, total, raw };
}

// ---------------------------------------------------------------- comparison
function comparable(r) {
  const st = r.iterateState || {};
  return {
    iterateCalls: (r.iterateCalls || []).map((c) => cj(c.args)).sort(),
    iterateCallOrder: (r.iterateCalls || []).map((c) => cj(c.args)),
    loaderRequests: r.loaderRequests,
    loaderRuns: r.loaderRuns,
    iterateSettings: cj(r.iterateSettings),
    iterateObjectName: cj(r.iterateObjectName),
    iterateFinalState: cj({ hasOwnLoaded: !!st.hasOwnLoaded, queue: st.hasOwnLoaded ? st.queue : null }),
    callOutcomes: (r.calls || []).map((c) => `${c.op}:${c.status === 'sync' ? 'resolved' : c.status}`),
    recorderEvents: (r.recorder || []).map((e) => `${e.type}:${e.event || ''}`),
    iteratePluginNames: (r.iteratePlugins || []).map((p) => p.alternativeNames.join('/')).sort(),
    pageErrors: (r.pageErrorsAll || []).length,
    blockedRequests: (r.blocked || []).length
  };
}

function loadDifferences() {
  const f = path.join(HERE, 'differences.json');
  if (!fs.existsSync(f)) return {};
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (err) {
    fatal(`differences.json is not valid JSON: ${err.message}`);
  }
}

function compareResults(segRes, oursRes) {
  const declared = loadDifferences();
  const rows = [['scenario', 'Iterate calls seg/ours', 'loader req seg/ours', 'ready seg/ours', 'calls resolved seg/ours', 'result']];
  const details = [];
  const unexpectedIds = [];
  const stale = [];
  for (const s of segRes) {
    const o = oursRes.find((x) => x.id === s.id);
    const a = comparable(s);
    const b = comparable(o);
    let diffFields = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    // iterateCallOrder only tells something when the calls themselves agree
    if (diffFields.includes('iterateCalls')) diffFields = diffFields.filter((f) => f !== 'iterateCallOrder');
    const decl = declared[s.id];
    const accepted = decl === undefined ? [] : typeof decl === 'string' || !decl.fields ? Object.keys(a) : decl.fields;
    const unexp = diffFields.filter((f) => !accepted.includes(f));
    if (decl !== undefined && diffFields.length === 0) stale.push(s.id);
    if (s.harnessError || o.harnessError) unexp.push('harnessError');
    if (unexp.length) unexpectedIds.push(s.id);
    let verdict = 'same';
    if (unexp.length) verdict = `DIFF: ${unexp.join(',')}`;
    else if (diffFields.length) verdict = `accepted: ${diffFields.join(',')}`;
    rows.push([
      s.id,
      `${s.iterateCalls.length}/${o.iterateCalls.length}`,
      `${s.loaderRequests}/${o.loaderRequests}`,
      `${readySummary(s)}/${readySummary(o)}`,
      `${outcomeSummary(s)} / ${outcomeSummary(o)}`,
      verdict
    ]);
    if (diffFields.length) details.push({ id: s.id, fields: diffFields, unexpected: unexp, a, b, reason: decl && (typeof decl === 'string' ? decl : decl.reason) });
  }
  console.log('\nComparison (segment vs ours):');
  console.log(table(rows));
  for (const d of details) {
    console.log(`\n${d.id}: ${d.unexpected.length ? 'UNEXPECTED' : 'accepted'} difference(s)${d.reason ? ` (${d.reason})` : ''}`);
    for (const f of d.fields) {
      console.log(`  ${f}${d.unexpected.includes(f) ? '' : ' [accepted]'}:`);
      console.log(`    segment: ${JSON.stringify(d.a[f]).slice(0, 1500)}`);
      console.log(`    ours:    ${JSON.stringify(d.b[f]).slice(0, 1500)}`);
    }
  }
  for (const id of stale) console.log(`note: differences.json lists "${id}" but the bundles now agree there`);
  return unexpectedIds;
}

// ---------------------------------------------------------------- budget
// Lines start with "budget:" for callers. The bytes of the default-presets
// scenario (what a site with the presets downloads) are a gate: over the target
// fails the run. The rest is a report.
const BYTES_RATIO_TARGET = 0.5;
const BYTES_SCENARIO = 'default-presets';

function median(xs) {
  if (!xs.length) return null;
  const v = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function readyMs(r) {
  const t = r.timings || {};
  return t.pluginsReadyMs !== null && t.pluginsReadyMs !== undefined && t.pluginsOk && t.pluginsOk.length && !t.pluginsOk.includes(false) ? t.pluginsReadyMs : null;
}

function printBudget(all) {
  console.log('\nBudget:');
  const bytesOf = (label) => {
    const r = all[label].results.find((x) => x.id === BYTES_SCENARIO);
    return r && !r.harnessError ? r.destinationGzipBytes : null;
  };
  const ob = bytesOf('ours');
  const sb = bytesOf('segment');
  let bytesOk = true;
  if (ob === null || !sb) {
    console.log(`budget: bytes n/a (the ${BYTES_SCENARIO} scenario did not run in both bundles)`);
  } else {
    bytesOk = ob / sb <= BYTES_RATIO_TARGET;
    console.log(`budget: bytes ours ${ob} segment ${sb} ratio ${(ob / sb).toFixed(3)} (target <= ${BYTES_RATIO_TARGET}, ${BYTES_SCENARIO}) ${bytesOk ? 'ok' : 'EXCEEDED'}`);
  }
  const oa = all.ours.bytes.total;
  const sa = all.segment.bytes.total;
  console.log(`budget: bytes-all-scenarios ours ${oa} segment ${sa} ratio ${sa > 0 ? (oa / sa).toFixed(3) : 'n/a'} (report only)`);
  // load() called -> every Iterate plugin's ready() resolved with success, in
  // the scenarios where both bundles got there
  const pairs = [];
  for (const s of all.segment.results) {
    const o = all.ours.results.find((x) => x.id === s.id);
    const a = readyMs(s);
    const b = o && readyMs(o);
    if (a !== null && b !== null && b !== undefined) pairs.push({ id: s.id, segment: a, ours: b });
  }
  const fmt = (v) => (v === null ? 'n/a' : String(Math.round(v)));
  const mo = median(pairs.map((p) => p.ours));
  const ms = median(pairs.map((p) => p.segment));
  console.log(`budget: ready-ms ours ${fmt(mo)} segment ${fmt(ms)} (median over ${pairs.length} scenarios where both are ready; report only)`);
  return {
    bytesOk,
    bytes: { scenario: BYTES_SCENARIO, ours: ob, segment: sb, ratio: ob !== null && sb ? ob / sb : null, target: BYTES_RATIO_TARGET },
    bytesAllScenarios: { ours: oa, segment: sa, ratio: sa > 0 ? oa / sa : null },
    readyMs: { ours: mo, segment: ms, scenarios: pairs }
  };
}

// ---------------------------------------------------------------- main
async function runBundle(chromium, opts, srv, bundle, list) {
  console.log(`\n== bundle: ${bundle.label} (${bundle.entryUrlPath}, window.${bundle.libraryName}) ==`);
  const results = [];
  let seq = 0;
  for (const sc of list) {
    const started = Date.now();
    if (opts.verbose) console.log(`  running ${sc.id} ...`);
    const r = await runScenario(chromium, opts, srv, bundle, sc, seq++);
    r.wallMs = Date.now() - started;
    results.push(r);
    if (opts.verbose) console.log(`  ${sc.id}: ${r.iterateCalls.length} Iterate call(s), ${r.checkFailures.length} check failure(s), ${r.wallMs} ms`);
  }
  printSingle(results, opts);
  const bytes = printBytes(results, bundle);
  return { results, bytes };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const s of scenarios) console.log(`${s.id.padEnd(38)} ${s.title}`);
    return 0;
  }
  if (!fs.existsSync(opts.chromium)) {
    fatal(`Chromium not found at ${opts.chromium}. Install it with "apt-get install -y chromium" (Debian package; gives /usr/bin/chromium) or pass --chromium PATH. This harness never downloads a browser.`);
  }
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (err) {
    fatal(`cannot load playwright-core (${err.message}): run "npm ci" in ${HERE}`);
  }
  if (!fs.existsSync(path.join(UMD_DIR(), 'index.js'))) fatal('analytics-next UMD build missing: run "npm ci" in tests/browser');

  const list = opts.scenario ? scenarios.filter((s) => opts.scenario.includes(s.id)) : scenarios;
  if (list.some((s) => !s.noPlan) && !fs.existsSync(opts.cli)) fatal(`no iterate-actions binary at ${opts.cli} (for its plan command): run "cargo build -p cli" or pass --cli PATH`);
  const bundles = [];
  if (opts.compare || opts.bundle === 'segment') bundles.push(segmentBundle());
  if (opts.compare || opts.bundle === 'ours') bundles.push(oursBundle(opts));
  const seg = bundles.find((b) => b.label === 'segment');
  if (seg && !seg.libraryNameDetected) console.warn(`warning: could not detect libraryName in Segment's bundle; using ${seg.libraryName}`);

  const srv = await startServer(bundles);
  console.log(`server ${srv.state.origin}; chromium ${opts.chromium}; ${list.length} scenario(s)`);
  const all = {};
  let failed = 0;
  try {
    for (const b of bundles) {
      const out = await runBundle(chromium, opts, srv, b, list);
      all[b.label] = out;
      failed += out.results.filter((r) => r.checkFailures.length).length;
    }
  } finally {
    srv.server.close();
  }

  let unexpected = [];
  let budget = null;
  if (opts.compare) {
    unexpected = compareResults(all.segment.results, all.ours.results);
    // An unexpected difference fails our run of that scenario (if its checks
    // had not already failed it), so the final line counts it.
    for (const r of all.ours.results) {
      if (unexpected.includes(r.id) && !r.checkFailures.length) failed++;
    }
    budget = printBudget(all);
  }

  const outFile = opts.out || path.join(HERE, 'results', `${opts.compare ? 'compare' : opts.bundle}.json`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(budget ? { ...all, budget } : all, null, 2));
  console.log(`\nresults written to ${path.relative(process.cwd(), outFile) || outFile}`);

  const total = Object.values(all).reduce((a, o) => a + o.results.length, 0);
  if (opts.compare) console.log(`comparison: ${unexpected.length} scenario(s) with unexpected differences${unexpected.length ? ': ' + unexpected.join(', ') : ''}`);
  console.log(`browser: ${total - failed} passed, ${failed} failed`);
  if (budget && !budget.bytesOk) console.log(`browser: FAILED the bytes budget: ours ${budget.bytes.ours} B is over ${BYTES_RATIO_TARGET} of Segment's ${budget.bytes.segment} B (gzip -9, ${BYTES_SCENARIO})`);
  return failed || (budget && !budget.bytesOk) ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(util.inspect(err));
  process.exit(1);
});
