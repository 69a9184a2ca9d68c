// The browser glue around the engine: analytics.js 2.0 calls the factory with the
// destination's settings; it returns one plugin per action that has enabled mappings,
// as Segment's bundle does. `cargo xtask web` wraps this file into the classic entry
// script (window.iterateDestination) and an ES module, dropping full-line comments and
// indentation (so no string here spans lines).
//
// Two engines: when the control plane compiled the configuration into a plan
// (settings.iaPlan), the small page module (iterate-page.wasm) runs it; the full engine
// (iterate.wasm) is fetched only when there is no plan, the page module cannot use it,
// or it defers an event it cannot run exactly (then that event and every later one run
// in the full engine, in order).
//
// Better than the reference: Iterate's readiness is bounded (settings.readyTimeoutMs,
// default 10 s), a page that already runs Iterate's snippet is reused, triggers and
// mappings are compiled once, invalid payloads are skipped with one console warning
// each, and a bad configuration is reported without breaking the page. Beyond it:
// consent per destination and per mapping (events wait, bounded, until consent is
// known; revoking it logs the visitor out of Iterate) and a delivery log (per-mapping
// counters, no event contents, beaconed to the control plane).

var DESTINATION = 'Iterate Web (Actions)'
var LOADER_URL = 'https://platform.iteratehq.com/loader.js'
var DEFAULT_READY_TIMEOUT_MS = 10000
var HOOKS = ['track', 'page', 'identify', 'group', 'alias']
// Events waiting for the visitor's consent are kept in memory, at most this many.
var HELD_LIMIT = 100
// Delivery counters go out this long after the first change, and when the page hides.
var FLUSH_MS = 5000
var MAX_ERRORS = 20
var MAX_BATCH_BYTES = 16000
var MAX_COUNT = 10000

// `base`: the URL of the folder the modules are in, ending in a slash.
function createFactory(base) {
  var modules = {}
  var encoder = new TextEncoder()
  var decoder = new TextDecoder()
  // The page module's exports, whose memory its imports read and write.
  var page = null
  // What the page module asks of JavaScript: ECMAScript's own Number(text) and
  // String(number), over ASCII text in its memory.
  var pageImports = {
    ia: {
      num: function (ptr, len) {
        return Number(decoder.decode(new Uint8Array(page.memory.buffer, ptr, len)))
      },
      fmt: function (n, ptr) {
        var text = encoder.encode(String(n))
        new Uint8Array(page.memory.buffer).set(text, ptr)
        return text.length
      }
    }
  }

  // FNV-1a of the settings' JSON with sorted keys and no iaPlan, as the control plane
  // computes it into iaPlan.fingerprint: a plan runs only for the settings it was made
  // from, not for settings the site overrode in its load options.
  function fingerprint(settings) {
    var text = JSON.stringify(settings, function (key, value) {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value
      var sorted = {}
      Object.keys(value).sort().forEach(function (k) {
        if (!(value === settings && k === 'iaPlan')) sorted[k] = value[k]
      })
      return sorted
    })
    var bytes = encoder.encode(text)
    var h = 0x811c9dc5
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0
    return h
  }

  // Fetches and instantiates a module once per page, however many destinations use it.
  function wasm(name, imports) {
    var url = base + name
    if (!modules[name]) {
      modules[name] = fetch(url)
        .then(function (response) {
          if (!response.ok) throw new Error('cannot fetch ' + url + ': HTTP ' + response.status)
          return response.arrayBuffer()
        })
        .then(function (bytes) {
          return WebAssembly.instantiate(bytes, imports || {})
        })
        .then(function (result) {
          return result.instance.exports
        })
      modules[name].then(null, function () {
        delete modules[name]
      })
    }
    return modules[name]
  }

  // Writes the parts (text) into the module's input buffer back to back and calls `fn`
  // with `args` and the parts' byte lengths; returns what `fn` returns.
  function call(exports, fn, args, parts) {
    var bytes = parts.map(function (p) {
      return encoder.encode(p)
    })
    var total = bytes.reduce(function (n, b) {
      return n + b.length
    }, 0)
    var at = exports.ia_input(total)
    var memory = new Uint8Array(exports.memory.buffer)
    bytes.forEach(function (b) {
      memory.set(b, at)
      at += b.length
    })
    return exports[fn].apply(
      null,
      args.concat(
        bytes.map(function (b) {
          return b.length
        })
      )
    )
  }

  // The JSON the module left in its output.
  function output(exports) {
    return JSON.parse(decoder.decode(new Uint8Array(exports.memory.buffer, exports.ia_output_ptr(), exports.ia_output_len())))
  }

  function hasOwn(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key)
  }

  // Iterate is ready when window.Iterate is a client without its placeholder's own
  // `loaded` flag (what Iterate's loader installs).
  function iterateReady() {
    return typeof window.Iterate === 'function' && !hasOwn(window.Iterate, 'loaded')
  }

  function loaderTag() {
    var scripts = document.getElementsByTagName('script')
    for (var i = 0; i < scripts.length; i++) {
      if (scripts[i].src === LOADER_URL) return scripts[i]
    }
    return null
  }

  // Installs Iterate's settings and placeholder queue, unless the page has them: calls
  // made before the real client arrives wait in the queue.
  function placeholder(settings) {
    if (iterateReady()) return
    if (!window.iterateSettings) window.iterateSettings = { apiKey: settings.apiKey, installOnLoad: false }
    if (!window.IterateObjectName) window.IterateObjectName = 'Iterate'
    if (typeof window.Iterate !== 'function') {
      var queue = function () {
        queue.command(arguments)
      }
      queue.loaded = false
      queue.q = []
      queue.command = function (args) {
        queue.q.push(args)
      }
      window.Iterate = queue
    }
  }

  // Installs the placeholder and Iterate's loader (unless the page already has them),
  // then waits, at most `timeoutMs`, for the real client.
  function initialize(settings, timeoutMs) {
    if (iterateReady()) return Promise.resolve()
    placeholder(settings)
    return new Promise(function (resolve, reject) {
      var settled = false
      var poll = null
      function finish(error) {
        if (settled) return
        settled = true
        clearInterval(poll)
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      }
      var timer = setTimeout(function () {
        finish(new Error(DESTINATION + ': Iterate did not become ready within ' + timeoutMs + ' ms'))
      }, timeoutMs)
      poll = setInterval(function () {
        if (iterateReady()) finish()
      }, 50)
      if (!loaderTag()) {
        var script = document.createElement('script')
        script.src = LOADER_URL
        script.async = true
        script.onerror = function () {
          finish(new Error(DESTINATION + ': cannot load ' + LOADER_URL))
        }
        // The loader usually installs the client as it runs: check at once, not at
        // the next poll.
        script.onload = function () {
          if (iterateReady()) finish()
        }
        ;(document.head || document.documentElement).appendChild(script)
      }
    })
  }

  // Beyond Segment: Iterate's response and close callbacks become Segment-spec track
  // events on the same analytics instance, so every destination receives them. The
  // web callbacks' arguments are not documented by Iterate; this follows its SDKs:
  // onResponse(response {value}, question {id, prompt}, survey {id, title}) and
  // onClose(survey). The events skip this destination, so a survey never triggers
  // itself.
  function surveyEvents(analytics) {
    var skipSelf = { integrations: {} }
    skipSelf.integrations[DESTINATION] = false
    function id(x) {
      return x && (typeof x === 'object' ? x.id : x)
    }
    window.Iterate('onResponse', function (response, question, survey) {
      analytics.track(
        'Survey Question Answered',
        {
          survey_id: id(survey),
          survey_title: survey && survey.title,
          question_id: id(question),
          question_prompt: question && question.prompt,
          response_value: response && typeof response === 'object' ? response.value : response
        },
        skipSelf
      )
    })
    window.Iterate('onClose', function (survey) {
      analytics.track('Survey Closed', { survey_id: id(survey), survey_title: survey && survey.title }, skipSelf)
    })
  }

  // Beyond Segment: per-mapping counters of where events stopped, sent without any
  // event contents to the control plane in small batches (sendBeacon), from a sample of
  // page loads. The control plane gives the URL (settings.deliveryLogUrl).
  function deliveryLog(url, rate) {
    var on = typeof url === 'string' && url !== '' && Math.random() < rate
    var counters = {}
    var errors = []
    var seen = {}
    var timer = null
    // Sends a batch, in parts when it is over the control plane's 16 KiB: the
    // counters are split (the errors go with the first part), then errors give way.
    function send(batch) {
      var body = JSON.stringify(batch)
      if (encoder.encode(body).length > MAX_BATCH_BYTES) {
        if (batch.counters.length > 1) {
          var half = Math.ceil(batch.counters.length / 2)
          send({ v: 1, counters: batch.counters.slice(0, half), errors: batch.errors })
          return send({ v: 1, counters: batch.counters.slice(half), errors: [] })
        }
        if (batch.errors.length) {
          batch.errors.pop()
          return send(batch)
        }
        // One mapping's counter alone is over the limit (an id of thousands of
        // characters): the control plane would refuse it.
        return
      }
      try {
        if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return
      } catch (e) {
        // A refused beacon falls back to a keepalive request.
      }
      if (typeof fetch === 'function') fetch(url, { method: 'POST', body: body, keepalive: true, mode: 'no-cors' }).catch(function () {})
    }
    function flush() {
      clearTimeout(timer)
      timer = null
      var ids = Object.keys(counters)
      if (!ids.length && !errors.length) return
      var batch = {
        v: 1,
        counters: ids.map(function (id) {
          var c = counters[id]
          c.subscription = id
          return c
        }),
        errors: errors
      }
      counters = {}
      errors = []
      seen = {}
      send(batch)
    }
    var log = {
      // Called as the page goes away, before the last flush.
      leaving: null,
      count: function (subscription, key, kind, reason) {
        if (!on) return
        var c = counters[subscription] || (counters[subscription] = { matched: 0, skippedTrigger: 0, skippedConsent: 0, skippedValidation: 0, delivered: 0 })
        c[key]++
        if (reason && errors.length < MAX_ERRORS && !seen[subscription + '\n' + reason]) {
          seen[subscription + '\n' + reason] = true
          // Whole characters only: half a surrogate pair is not JSON the server reads.
          errors.push({ subscription: subscription, kind: kind, reason: Array.from(String(reason)).slice(0, 500).join('') })
        }
        // The control plane takes at most MAX_COUNT of one outcome per batch.
        if (c[key] >= MAX_COUNT) flush()
        else if (!timer) timer = setTimeout(flush, FLUSH_MS)
      }
    }
    if (on) {
      window.addEventListener('pagehide', function (e) {
        // A page kept in the back/forward cache keeps its held events for when it
        // comes back.
        if (log.leaving && !e.persisted) log.leaving()
        flush()
      })
      document.addEventListener('visibilitychange', function () {
        if (document.visibilityState === 'hidden') flush()
      })
    }
    return log
  }

  function preferencesOf(event) {
    var consent = event && event.context && event.context.consent
    var prefs = consent && consent.categoryPreferences
    return prefs && typeof prefs === 'object' && !Array.isArray(prefs) ? prefs : null
  }

  function granted(categories, prefs) {
    return categories.every(function (c) {
      return prefs[c] === true
    })
  }

  function iterateDestination(settings) {
    settings = settings || {}
    var timeoutMs = Number(settings.readyTimeoutMs) > 0 ? Number(settings.readyTimeoutMs) : DEFAULT_READY_TIMEOUT_MS
    var plan = settings.iaPlan
    // The module events run in and the configuration's handle there.
    var engine = null
    // While the full engine loads after the page module deferred an event: what waits
    // for it (event deliveries and runs), in order.
    var queue = null

    // When the full engine could not be loaded after a defer: the page module runs on,
    // and what it defers is dropped.
    var fullFailed = false
    // After a trap the page module has lost this configuration: nothing runs without
    // the full engine.
    var pageLost = false

    // The full engine with the settings as given (it reads no iaPlan); its report.
    function full() {
      return wasm('iterate.wasm').then(function (exports) {
        engine = { x: exports, h: call(exports, 'ia_load', [], [JSON.stringify(settings)]) }
        // (also when it arrives after its bound: from then on nothing is dropped)
        fullFailed = false
        return output(exports)
      })
    }
    var loading =
      plan && plan.v === 1 && plan.fingerprint === fingerprint(settings)
        ? wasm('iterate-page.wasm', pageImports)
            .then(function (exports) {
              page = exports
              var handle = call(exports, 'ia_load', [], [JSON.stringify(plan)])
              if (handle < 0) throw new Error('the page module cannot run this plan')
              engine = { x: exports, h: handle }
              return plan.report
            })
            .then(null, function (e) {
              console.debug(DESTINATION + ': using the full engine: ' + e.message)
              return full()
            })
        : full()
    return loading.then(function (report) {
      if (report.handle < 0) {
        console.warn(DESTINATION + ': ' + report.error)
        return []
      }
      report.problems.forEach(function (p) {
        var where = (p.subscription ? p.subscription + ', ' : '') + (p.pointer || '')
        console.warn(DESTINATION + ': ' + p.severity + '[' + p.code + '] ' + p.message + (where ? ' (' + where + ')' : ''))
      })
      var options = report.options || {}
      var categories = report.consent || []
      var ready = null
      var loaded = false
      var warned = {}
      var log = deliveryLog(settings.deliveryLogUrl, Number(options.deliveryLogSampleRate))
      // Consent: the preferences last seen on an event, and the events held until then.
      var known = null
      var held = []
      // With consent categories, Iterate's loader waits for the visitor to grant them.
      var startIterate = null
      // Events still waiting for consent when the page goes away are never sent.
      log.leaving = function () {
        held.forEach(function (h) {
          h.ids.forEach(function (id) {
            log.count(id, 'skippedConsent', 'consent', 'dropped unsent: the page closed before consent was known')
          })
        })
        held = []
      }

      // Runs `action`'s subscriptions (or only `ids`) over the event's JSON, makes the
      // calls, counts, and holds what waits for consent. `replay` is true for held events.
      function runAction(action, eventJson, ids, replay) {
        if (queue) {
          queue.push(function () {
            runAction(action, eventJson, ids, replay)
          })
          return
        }
        if (!engine) return
        var parts = [action, eventJson, ids ? JSON.stringify(ids) : '', known ? JSON.stringify(known) : '']
        var status
        try {
          status = call(engine.x, 'ia_run', [engine.h], parts)
        } catch (e) {
          // A trap in the page module defers like an event it cannot run.
          if (engine.x !== page) throw e
          pageLost = true
          status = -2
        }
        if (status === -2) {
          if (fullFailed) return
          // The page module cannot run this event exactly: it and everything after it
          // wait for the full engine, at most as long as Iterate's readiness.
          queue = []
          runAction(action, eventJson, ids, replay)
          var pageEngine = engine
          var timer
          Promise.race([
            full(),
            new Promise(function (resolve, reject) {
              timer = setTimeout(function () {
                reject(new Error('the full engine did not load within ' + timeoutMs + ' ms'))
              }, timeoutMs)
            })
          ])
            .then(null, function (e) {
              console.warn(DESTINATION + ': ' + e.message + '; events the page module cannot run are dropped')
              fullFailed = true
              engine = pageLost ? null : pageEngine
            })
            .then(function () {
              clearTimeout(timer)
              var waiting = queue
              queue = null
              waiting.forEach(function (f) {
                try {
                  f()
                } catch (e) {
                  console.warn(DESTINATION + ': ' + e)
                }
              })
            })
          return
        }
        var outcome = output(engine.x)
        if (outcome.error) {
          console.warn(DESTINATION + ': ' + outcome.error)
          return
        }
        ;(outcome.calls || []).forEach(function (args) {
          window.Iterate.apply(null, args)
        })
        ;(outcome.skipped || []).forEach(function (skip) {
          var key = skip.subscription + '\n' + skip.reason
          if (warned[key]) return
          warned[key] = true
          console.warn(DESTINATION + ': mapping ' + skip.subscription + ' skipped: ' + skip.reason)
        })
        var waiting = []
        ;(outcome.steps || []).forEach(function (step) {
          var id = step.subscription
          if (step.outcome === 'trigger') return log.count(id, 'skippedTrigger', 'trigger', step.reason)
          if (!replay) log.count(id, 'matched')
          if (step.outcome === 'held') waiting.push(id)
          else if (step.outcome === 'consent') log.count(id, 'skippedConsent')
          else if (step.outcome === 'validation') log.count(id, 'skippedValidation', 'validation', step.reason)
          else if (step.outcome === 'delivered') log.count(id, 'delivered')
        })
        if (waiting.length) {
          held.push({ action: action, event: eventJson, ids: waiting })
          if (held.length > HELD_LIMIT) {
            held.shift().ids.forEach(function (id) {
              log.count(id, 'skippedConsent', 'consent', 'dropped unsent: more than ' + HELD_LIMIT + ' events were waiting for consent')
            })
          }
        }
      }

      // An event that carries consent preferences: revoking the destination's
      // categories logs the visitor out of Iterate; held events go out or are dropped.
      function consentSeen(prefs) {
        var before = known
        known = prefs
        if (categories.length && before && granted(categories, before) && !granted(categories, prefs)) {
          if (typeof window.Iterate === 'function') window.Iterate('uninstall')
        }
        if (startIterate && granted(categories, prefs)) {
          startIterate()
          startIterate = null
        }
        var waiting = held
        held = []
        waiting.forEach(function (h) {
          runAction(h.action, h.event, h.ids, true)
        })
      }

      function load(analytics) {
        if (!ready) {
          // Beyond Segment: a logout (analytics.reset()) logs the visitor out of Iterate
          // too, so the next person on a shared device is not surveyed as this one.
          if (options.uninstallOnReset && analytics && typeof analytics.on === 'function') {
            var uninstall = function () {
              if (typeof window.Iterate === 'function') window.Iterate('uninstall')
            }
            analytics.on('reset', function () {
              // After the events still waiting here for the full engine, not before them
              // (analytics.js itself may hand over earlier events after its reset).
              if (queue) queue.push(uninstall)
              else uninstall()
            })
          }
          if (categories.length && !iterateReady() && !loaderTag()) {
            // Beyond Segment: no third-party script before consent. The plugins are
            // ready at once; calls wait in Iterate's placeholder queue, and the loader
            // is added when the visitor grants the destination's categories.
            placeholder(settings)
            loaded = true
            ready = Promise.resolve()
            startIterate = function () {
              initialize(settings, timeoutMs).then(null, function (e) {
                console.warn(e.message)
              })
            }
          } else {
            ready = initialize(settings, timeoutMs).then(function () {
              loaded = true
            })
          }
          // After initialize(): the placeholder (or Iterate itself) is in place.
          if (options.surveyEvents && analytics && typeof analytics.track === 'function') {
            try {
              surveyEvents(analytics)
            } catch (e) {
              console.warn(DESTINATION + ': cannot register survey callbacks: ' + e)
            }
          }
        }
        return ready
      }
      return report.actions.map(function (action) {
        function deliver(ctx) {
          // The event as it is now: it may change once this returns.
          var prefs = preferencesOf(ctx.event)
          var prefsJson = prefs ? JSON.stringify(prefs) : ''
          var eventJson = JSON.stringify(ctx.event)
          function handle() {
            if (prefsJson && prefsJson !== JSON.stringify(known)) consentSeen(JSON.parse(prefsJson))
            runAction(action, eventJson, null, false)
          }
          // While the full engine loads, the event waits its turn here; analytics.js
          // goes on delivering to the other destinations.
          if (queue) queue.push(handle)
          else handle()
          return ctx
        }
        var plugin = {
          name: DESTINATION + ' ' + action,
          type: 'destination',
          version: '0.1.0',
          isLoaded: function () {
            return loaded
          },
          load: function (ctx, analytics) {
            return load(analytics)
          }
        }
        HOOKS.forEach(function (hook) {
          plugin[hook] = deliver
        })
        return plugin
      })
    })
  }
  // For the tests that hold the control plane's fingerprint to this one.
  iterateDestination.fingerprint = fingerprint
  return iterateDestination
}
