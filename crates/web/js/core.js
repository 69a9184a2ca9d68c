// The browser glue around the engine (iterate.wasm): analytics.js 2.0 calls the factory
// with the destination's settings; it returns one plugin per action that has enabled
// mappings, as Segment's bundle does. `cargo xtask web` wraps this file into the classic
// entry script (window.iterateDestination) and an ES module.
//
// Better than the reference: Iterate's readiness is bounded (settings.readyTimeoutMs,
// default 10 s), a page that already runs Iterate's snippet is reused, triggers and
// mappings are compiled once, invalid payloads are skipped with one console warning
// each, and a bad configuration is reported without breaking the page.

var DESTINATION = 'Iterate Web (Actions)'
var LOADER_URL = 'https://platform.iteratehq.com/loader.js'
var DEFAULT_READY_TIMEOUT_MS = 10000
var HOOKS = ['track', 'page', 'identify', 'group', 'alias']

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

  // Installs the placeholder queue and Iterate's loader (unless the page already has
  // them), then waits, at most `timeoutMs`, for the real client.
  function initialize(settings, timeoutMs) {
    if (iterateReady()) return Promise.resolve()
    if (!window.iterateSettings) window.iterateSettings = { apiKey: settings.apiKey, installOnLoad: false }
    if (!window.IterateObjectName) window.IterateObjectName = 'Iterate'
    if (typeof window.Iterate !== 'function') {
      var placeholder = function () {
        placeholder.command(arguments)
      }
      placeholder.loaded = false
      placeholder.q = []
      placeholder.command = function (args) {
        placeholder.q.push(args)
      }
      window.Iterate = placeholder
    }
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
      var ready = null
      var loaded = false
      var warned = {}
      function load(analytics) {
        if (!ready) {
          // Beyond Segment: a logout (analytics.reset()) logs the visitor out of Iterate
          // too, so the next person on a shared device is not surveyed as this one.
          if (options.uninstallOnReset && analytics && typeof analytics.on === 'function') {
            analytics.on('reset', function () {
              if (typeof window.Iterate === 'function') window.Iterate('uninstall')
            })
          }
          ready = initialize(settings, timeoutMs).then(function () {
            loaded = true
          })
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
          var outcome = call(exports, 'ia_run', [report.handle], [action, JSON.stringify(ctx.event)])
          ;(outcome.calls || []).forEach(function (args) {
            window.Iterate.apply(null, args)
          })
          ;(outcome.skipped || []).forEach(function (skip) {
            var key = skip.subscription + '\n' + skip.reason
            if (warned[key]) return
            warned[key] = true
            console.warn(DESTINATION + ': mapping ' + skip.subscription + ' skipped: ' + skip.reason)
          })
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
