// The browser glue around the engine (iterate.wasm): analytics.js 2.0 calls the factory
// with the destination's settings; it returns one plugin per action that has enabled
// mappings, as Segment's bundle does. `cargo xtask web` wraps this file into the classic
// entry script (window.iterateDestination) and an ES module.
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

function createFactory(wasmUrl) {
  var enginePromise = null
  var encoder = new TextEncoder()
  var decoder = new TextDecoder()

  // Compiles the module once per page, however many destinations use it.
  function engine() {
    if (!enginePromise) {
      enginePromise = fetch(wasmUrl)
        .then(function (response) {
          if (!response.ok) throw new Error('cannot fetch ' + wasmUrl + ': HTTP ' + response.status)
          return response.arrayBuffer()
        })
        .then(function (bytes) {
          return WebAssembly.instantiate(bytes, {})
        })
        .then(function (result) {
          return result.instance.exports
        })
    }
    return enginePromise
  }

  // Writes the parts (text) into the module's input buffer back to back, calls `fn`
  // with the parts' byte lengths, and parses the JSON the module left in its output.
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
    exports[fn].apply(
      null,
      args.concat(
        bytes.map(function (b) {
          return b.length
        })
      )
    )
    var out = new Uint8Array(exports.memory.buffer, exports.ia_output_ptr(), exports.ia_output_len())
    return JSON.parse(decoder.decode(out))
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

  return function iterateDestination(settings) {
    settings = settings || {}
    var timeoutMs = Number(settings.readyTimeoutMs) > 0 ? Number(settings.readyTimeoutMs) : DEFAULT_READY_TIMEOUT_MS
    return engine().then(function (exports) {
      var report = call(exports, 'ia_load', [], [JSON.stringify(settings)])
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
        var outcome = call(exports, 'ia_run', [report.handle], [action, eventJson, ids ? JSON.stringify(ids) : '', known ? JSON.stringify(known) : ''])
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
            analytics.on('reset', function () {
              if (typeof window.Iterate === 'function') window.Iterate('uninstall')
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
          var prefs = preferencesOf(ctx.event)
          if (prefs && JSON.stringify(prefs) !== JSON.stringify(known)) consentSeen(prefs)
          runAction(action, JSON.stringify(ctx.event), null, false)
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
}
