/*
 * In-page half of the browser harness (served as /harness.js, loaded before
 * analytics-next). run.js drives it through page.evaluate():
 *
 *   window.__harness.start(spec)   load analytics-next, run spec.steps
 *   window.__harness.probe()       small status object used to detect "quiet"
 *   window.__harness.snapshot()    everything recorded, as plain JSON
 *
 * window.__enc(value) turns any value into JSON that keeps what JSON.stringify
 * would lose (undefined, NaN, functions, cycles); the Iterate loader stand-in
 * uses it to record every window.Iterate call at the moment it is made.
 */
(function () {
  'use strict';

  function enc(value, depth, seen) {
    depth = depth || 0;
    seen = seen || [];
    if (value === undefined) return { $undefined: true };
    if (value === null) return null;
    var t = typeof value;
    if (t === 'string' || t === 'boolean') return value;
    if (t === 'number') return isFinite(value) ? value : { $number: String(value) };
    if (t === 'bigint') return { $bigint: String(value) };
    if (t === 'symbol') return { $symbol: String(value) };
    if (t === 'function') return { $function: value.name || '' };
    if (depth > 25) return { $tooDeep: true };
    if (seen.indexOf(value) !== -1) return { $cycle: true };
    if (value instanceof Date) return { $date: isNaN(value) ? 'Invalid Date' : value.toISOString() };
    if (value instanceof Error) return { $error: value.name + ': ' + value.message };
    seen = seen.concat([value]);
    if (Array.isArray(value)) {
      var arr = value.map(function (v) { return enc(v, depth + 1, seen); });
      // Own non-index properties on arrays (e.g. arr.external_id = ...) would
      // silently vanish in JSON: keep them visible.
      var extra = Object.keys(value).filter(function (k) { return !/^\d+$/.test(k); });
      if (extra.length) {
        var o = { $array: arr };
        extra.forEach(function (k) { o[k] = enc(value[k], depth + 1, seen); });
        return o;
      }
      return arr;
    }
    var out = {};
    var proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      out.$class = (value.constructor && value.constructor.name) || '?';
    }
    Object.keys(value).forEach(function (k) { out[k] = enc(value[k], depth + 1, seen); });
    return out;
  }
  window.__enc = enc;

  function describe(e) {
    if (e === undefined) return 'undefined';
    if (e && e.message !== undefined) return String(e.name || 'Error') + ': ' + e.message;
    try { return JSON.stringify(enc(e)); } catch (_) { return String(e); }
  }

  var H = {
    t0: null,
    spec: null,
    started: false,
    stepsDone: false,
    load: { status: 'not-started', ms: null, error: null },
    calls: [],
    pageErrors: [],
    iteratePlugins: null,
    pluginInfo: null,
    failedInitializations: null,
    recorder: [],
    stepLog: []
  };
  window.__harness = H;

  function now() {
    return H.t0 === null ? null : Math.round((performance.now() - H.t0) * 10) / 10;
  }
  function rel(t) {
    return t === null || t === undefined || H.t0 === null ? null : Math.round((t - H.t0) * 10) / 10;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  window.addEventListener('error', function (e) {
    H.pageErrors.push({ kind: 'error', message: String(e.message), source: e.filename || null, atMs: now() });
  });
  window.addEventListener('unhandledrejection', function (e) {
    H.pageErrors.push({ kind: 'unhandledrejection', message: describe(e.reason), atMs: now() });
  });

  // Second destination, loaded as a remote plugin (see recorder-destination.js)
  window.__recordDestinationEvent = function (ctx) {
    var ev = ctx && ctx.event ? ctx.event : {};
    H.recorder.push({ type: ev.type, event: ev.event, userId: ev.userId === undefined ? null : ev.userId, properties: ev.properties === undefined ? null : enc(ev.properties), atMs: now() });
  };

  // Attach a settle-recorder to a promise; returns a record.
  function watch(op, args, promise) {
    var rec = { i: H.calls.length, op: op, args: enc(args), status: 'pending', calledAtMs: now(), settledAtMs: null, error: null };
    H.calls.push(rec);
    if (!promise || typeof promise.then !== 'function') {
      rec.status = 'sync';
      rec.settledAtMs = rec.calledAtMs;
      rec.promise = Promise.resolve();
      return rec;
    }
    rec.promise = Promise.resolve(promise).then(function () {
      rec.status = 'resolved';
      rec.settledAtMs = now();
    }, function (err) {
      rec.status = 'rejected';
      rec.error = describe(err);
      rec.settledAtMs = now();
    });
    return rec;
  }

  // true if it settled within ms, false if still pending
  function settledWithin(rec, ms) {
    return Promise.race([rec.promise.then(function () { return true; }), sleep(ms).then(function () { return false; })]);
  }

  function hookPlugins(analytics) {
    var spec = H.spec;
    var plugins = (analytics.queue && analytics.queue.plugins) || [];
    H.pluginInfo = plugins.map(function (p) {
      return { name: p.name, type: p.type, alternativeNames: (p.alternativeNames || []).slice() };
    });
    H.iteratePlugins = plugins.filter(function (p) { return p.name === spec.iterateName; }).map(function (p) {
      var r = { name: p.name, alternativeNames: (p.alternativeNames || []).slice(), status: 'pending', ok: null, settledAtMs: null };
      try {
        Promise.resolve(p.ready ? p.ready() : true).then(function (ok) {
          r.status = 'settled';
          r.ok = ok !== false;
          r.settledAtMs = now();
        }, function (err) {
          r.status = 'settled';
          r.ok = false;
          r.error = describe(err);
          r.settledAtMs = now();
        });
      } catch (err) {
        r.status = 'settled';
        r.ok = false;
        r.error = describe(err);
      }
      return r;
    });
  }

  H.start = async function (spec) {
    if (H.started) throw new Error('harness already started');
    H.started = true;
    H.spec = spec;
    var AB = window.AnalyticsNext && window.AnalyticsNext.AnalyticsBrowser;
    if (!AB) throw new Error('window.AnalyticsNext.AnalyticsBrowser missing: analytics-next UMD build not loaded');
    var stepTimeout = spec.stepTimeoutMs;

    H.t0 = performance.now();
    H.load.status = 'pending';
    var ab = AB.load({ writeKey: spec.writeKey, cdnURL: location.origin }, spec.loadOptions || {});
    H.ab = ab;
    H.loadPromise = Promise.resolve(ab).then(function (res) {
      H.analytics = res[0];
      H.load.status = 'resolved';
      H.load.ms = now();
      try { hookPlugins(res[0]); } catch (err) { H.load.hookError = describe(err); }
    }, function (err) {
      H.load.status = 'rejected';
      H.load.ms = now();
      H.load.error = describe(err);
    });

    for (var s = 0; s < spec.steps.length; s++) {
      var step = spec.steps[s];
      var entry = { step: s, op: step.op, atMs: now() };
      H.stepLog.push(entry);
      if (step.op === 'sleep') {
        await sleep(step.ms);
        continue;
      }
      if (step.op === 'iterateFire') {
        // plays Iterate calling back what the page registered (onResponse, onClose)
        var L = window.__iterateLoader;
        var cbs = (L && L.callbacks && L.callbacks[step.name]) || [];
        entry.fired = cbs.length;
        for (var c = 0; c < cbs.length; c++) cbs[c].apply(null, step.args || []);
        continue;
      }
      if (step.op === 'dispatch') {
        // a page lifecycle event, e.g. pagehide (what the delivery log flushes on)
        // (persisted: a pagehide into the back/forward cache)
        var ev = step.persisted ? new PageTransitionEvent(step.event, { persisted: true }) : new Event(step.event);
        (step.target === 'document' ? document : window).dispatchEvent(ev);
        continue;
      }
      if (step.op === 'iterateCalls') {
        // waits (bounded) until the Iterate stand-in has recorded `count` calls
        var until = now() + (step.timeoutMs || stepTimeout);
        while (!(window.__iterateLoader && window.__iterateLoader.calls.length >= step.count) && now() < until) await sleep(10);
        entry.settled = !!(window.__iterateLoader && window.__iterateLoader.calls.length >= step.count);
        continue;
      }
      if (step.op === 'loaded') {
        entry.settled = await Promise.race([H.loadPromise.then(function () { return true; }), sleep(stepTimeout).then(function () { return false; })]);
        continue;
      }
      var fn = ab[step.op];
      if (typeof fn !== 'function') throw new Error('unknown analytics method ' + step.op);
      var args = step.args || [];
      var rec;
      try {
        rec = watch(step.op, args, fn.apply(ab, args));
      } catch (err) {
        rec = watch(step.op, args, Promise.reject(err));
      }
      if (step.await !== false) {
        entry.settled = await settledWithin(rec, step.timeoutMs || stepTimeout);
      }
    }
    H.stepsDone = true;
    return true;
  };

  function iterateState() {
    var name = window.IterateObjectName || 'Iterate';
    var obj = window[name];
    var st = { objectName: name, type: typeof obj };
    if (obj && (typeof obj === 'function' || typeof obj === 'object')) {
      st.hasOwnLoaded = Object.prototype.hasOwnProperty.call(obj, 'loaded');
      if (st.hasOwnLoaded) st.loaded = enc(obj.loaded);
      st.queue = Array.isArray(obj.q) ? enc(obj.q) : null;
      st.isRecorder = !!obj.__isRecorder;
    }
    return st;
  }

  H.probe = function () {
    var L = window.__iterateLoader;
    return {
      stepsDone: H.stepsDone,
      loadStatus: H.load.status,
      pendingCalls: H.calls.filter(function (c) { return c.status === 'pending'; }).length,
      pendingPlugins: (H.iteratePlugins || []).filter(function (p) { return p.status === 'pending'; }).length,
      pendingLoaderInstalls: L ? L.pendingInstalls || 0 : 0,
      signature: [
        H.calls.length,
        H.calls.filter(function (c) { return c.status !== 'pending'; }).length,
        L ? L.calls.length : -1,
        L ? L.runs : -1,
        L && L.replacedAt !== null ? 1 : 0,
        H.recorder.length,
        H.pageErrors.length,
        (H.iteratePlugins || []).filter(function (p) { return p.status !== 'pending'; }).length
      ].join(',')
    };
  };

  H.snapshot = function () {
    var L = window.__iterateLoader || null;
    return {
      load: H.load,
      calls: H.calls.map(function (c) {
        return { i: c.i, op: c.op, args: c.args, status: c.status, calledAtMs: c.calledAtMs, settledAtMs: c.settledAtMs, error: c.error };
      }),
      stepLog: H.stepLog,
      pageErrors: H.pageErrors,
      pluginInfo: H.pluginInfo,
      iteratePlugins: H.iteratePlugins,
      failedInitializations: H.analytics && H.analytics.queue ? (H.analytics.queue.failedInitializations || []).slice() : null,
      recorder: H.recorder,
      iterateSettings: enc(window.iterateSettings),
      iterateObjectName: enc(window.IterateObjectName),
      iterateState: iterateState(),
      loader: L && {
        runs: L.runs,
        mode: L.mode,
        runAtMs: L.runAt.map(rel),
        replacedAtMs: rel(L.replacedAt),
        placeholderSeen: L.placeholderSeen,
        settingsAtInstall: L.settingsAtInstall,
        calls: L.calls.map(function (c) { return { args: c.args, via: c.via, atMs: rel(c.t) }; })
      },
      // the wasm modules the page fetched, and when (ms after load())
      wasmFetches: performance.getEntriesByType('resource').filter(function (e) { return /\.wasm(\?|$)/.test(e.name); })
        .map(function (e) { return { file: e.name.replace(/[?#].*$/, '').replace(/^.*\//, ''), atMs: rel(e.startTime) }; }),
      nowMs: now()
    };
  };
})();
