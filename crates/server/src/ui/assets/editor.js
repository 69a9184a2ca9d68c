// The mapping editor's live side. It loads the engine this server serves to websites
// (iterate.wasm, the same bytes analytics.js runs) and, as the form changes:
// - loads a one-mapping settings document with `ia_load` and shows every problem next
//   to the trigger (with a caret under the place) or the field it is about;
// - runs the sample event through it with `ia_trace`: matched or not, the payload,
//   validation problems and the exact Iterate calls.
// The byte-buffer ABI is described in crates/web/src/lib.rs; core.js drives it the same way.
'use strict'
;(function () {
  var dataElement = document.getElementById('editor-data')
  var form = document.getElementById('mapping-form')
  if (!dataElement || !form) return
  var data = JSON.parse(dataElement.textContent)
  var encoder = new TextEncoder()
  var decoder = new TextDecoder()
  var $ = function (id) {
    return document.getElementById(id)
  }
  var status = $('engine-status')
  var eventBox = $('event')
  var subscribe = form.elements.subscribe
  var actionSelect = form.elements.partnerAction
  var engine = null

  function el(tag, attrs, text) {
    var e = document.createElement(tag)
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k])
    })
    if (text != null) e.textContent = text
    return e
  }

  function start() {
    if (!data.wasm || typeof WebAssembly !== 'object') return Promise.resolve()
    return fetch(data.wasm)
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status)
        return r.arrayBuffer()
      })
      .then(function (bytes) {
        return WebAssembly.instantiate(bytes, {})
      })
      .then(function (result) {
        engine = { exports: result.instance.exports }
      })
      .then(function () {
        status.textContent = 'Engine ready: ' + data.wasm
        status.className = 'hint ready'
      })
      .catch(function (e) {
        engine = null
        status.textContent = 'The engine could not load (' + e.message + '); saving still checks everything.'
        status.className = 'warning'
      })
  }

  // Writes the parts back to back into the module's input, calls `fn` with `args` and
  // the parts' byte lengths, and parses the JSON left in the output.
  function call(fn, args, parts) {
    var ex = engine.exports
    var bytes = parts.map(function (p) {
      return encoder.encode(p)
    })
    var total = bytes.reduce(function (n, b) {
      return n + b.length
    }, 0)
    var at = ex.ia_input(total)
    var memory = new Uint8Array(ex.memory.buffer)
    bytes.forEach(function (b) {
      memory.set(b, at)
      at += b.length
    })
    ex[fn].apply(null, args.concat(bytes.map(function (b) { return b.length })))
    var out = new Uint8Array(ex.memory.buffer, ex.ia_output_ptr(), ex.ia_output_len())
    return JSON.parse(decoder.decode(out))
  }

  function action() {
    return actionSelect.value
  }
  function actionDef(key) {
    for (var i = 0; i < data.actions.length; i++) if (data.actions[i].key === key) return data.actions[i]
    return null
  }
  function control(key, part) {
    return form.elements['f.' + action() + '.' + key + '.' + part]
  }

  // The form as a subscription, read the way the server reads it on save.
  function collect() {
    var def = actionDef(action())
    var mapping = {}
    try {
      var extra = JSON.parse(form.elements.extra.value || '{}')
      Object.keys(extra).forEach(function (k) {
        mapping[k] = extra[k]
      })
    } catch (e) {
      /* the server wrote it; it is JSON */
    }
    var fieldErrors = {}
    ;(def ? def.fields : []).forEach(function (f) {
      var mode = control(f.key, 'mode').value
      var text = control(f.key, 'value').value
      delete mapping[f.key]
      if (mode === 'none') return
      if (mode === 'text') mapping[f.key] = text
      else if (mode === 'path') {
        if (!text.trim()) fieldErrors[f.key] = 'enter a path into the event, such as `$.event` or `$.properties.plan`'
        else mapping[f.key] = { '@path': text }
      } else {
        try {
          mapping[f.key] = JSON.parse(text)
        } catch (e) {
          fieldErrors[f.key] = 'this is not JSON (' + e.message + '); write a number, true, an object such as {"@template": "Hi {{traits.name}}"}, or a quoted string'
        }
      }
    })
    return {
      subscription: {
        id: data.mappingId,
        name: form.elements.name.value,
        // Loaded enabled, so the tester shows what the mapping does once enabled.
        enabled: true,
        subscribe: subscribe.value,
        partnerAction: action(),
        mapping: mapping
      },
      fieldErrors: fieldErrors
    }
  }

  // Where a problem belongs (the same rule as the server's `place_of`).
  function placeOf(pointer) {
    var prefix = '/subscriptions/0'
    if (!pointer || pointer.indexOf(prefix) !== 0) return 'general'
    var rest = pointer.slice(prefix.length)
    if (rest && rest[0] !== '/') return 'general'
    if (rest === '/subscribe') return 'trigger'
    if (rest === '/partnerAction' || rest === '/name' || rest === '/mapping') return 'fields'
    if (rest.indexOf('/mapping/') === 0) {
      return 'field:' + rest.slice('/mapping/'.length).split('/')[0].replace(/~1/g, '/').replace(/~0/g, '~')
    }
    return 'general'
  }

  function utf16At(text, byteOffset) {
    var bytes = encoder.encode(text)
    return decoder.decode(bytes.slice(0, Math.min(byteOffset, bytes.length))).length
  }

  // The line of `text` holding the span, with carets under it.
  function caret(text, start, end) {
    var lineStart = start === 0 ? 0 : text.lastIndexOf('\n', start - 1) + 1
    var lineEnd = text.indexOf('\n', start)
    if (lineEnd < 0) lineEnd = text.length
    var lineNo = text.slice(0, lineStart).split('\n').length
    var pad = ' '.repeat(String(lineNo).length)
    var width = Math.max(1, Math.min(end, lineEnd) - start)
    return pad + ' |\n' + lineNo + ' | ' + text.slice(lineStart, lineEnd) + '\n' + pad + ' | ' + ' '.repeat(start - lineStart) + '^'.repeat(width)
  }

  function problemBlock(severity, code, message, help) {
    var box = el('div', { class: severity === 'error' ? 'error' : 'warn-item' })
    box.appendChild(el('strong', {}, severity + (code ? '[' + code + ']' : '') + ': '))
    box.appendChild(document.createTextNode(message))
    if (help) box.appendChild(el('p', { class: 'hint' }, 'help: ' + help))
    return box
  }

  function goButton(label, input, start, end) {
    var b = el('button', { type: 'button', class: 'link problem-go' }, label)
    b.addEventListener('click', function () {
      input.focus()
      input.setSelectionRange(start, end)
    })
    return b
  }

  function fieldLive(key) {
    var def = actionDef(action())
    var known = def && def.fields.some(function (f) {
      return f.key === key
    })
    return known ? $('f-' + action() + '-' + key + '-live') : $('fields-live')
  }

  function clearLive() {
    Array.prototype.forEach.call(document.querySelectorAll('.live-errors'), function (e) {
      e.textContent = ''
    })
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (e) {
      e.removeAttribute('aria-invalid')
    })
  }

  function show(problem) {
    var place = placeOf(problem.pointer)
    var block = problemBlock(problem.severity, problem.code, problem.message, problem.help)
    var span = problem.span
    if (place === 'trigger') {
      if (span) {
        var text = subscribe.value
        var s = utf16At(text, span[0])
        var e = utf16At(text, span[1])
        block.appendChild(el('pre', { class: 'diag' }, caret(text, s, e)))
        block.appendChild(goButton('Select it in the trigger', subscribe, s, e))
      }
      if (problem.severity === 'error') subscribe.setAttribute('aria-invalid', 'true')
      $('subscribe-live').appendChild(block)
    } else if (place.indexOf('field:') === 0) {
      var key = place.slice('field:'.length)
      var target = fieldLive(key)
      var input = control(key, 'value')
      if (span && input && control(key, 'mode').value === 'path' && /\/@path$/.test(problem.pointer)) {
        var v = input.value
        block.appendChild(goButton('Select it in the path', input, utf16At(v, span[0]), utf16At(v, span[1])))
      }
      if (input && problem.severity === 'error' && target !== $('fields-live')) input.setAttribute('aria-invalid', 'true')
      target.appendChild(block)
    } else if (place === 'fields') {
      $('fields-live').appendChild(block)
    } else {
      $('general-live').appendChild(block)
    }
  }

  function callText(call) {
    return 'Iterate(' + call.map(function (a) { return JSON.stringify(a) }).join(', ') + ')'
  }

  function result(verdict, yes, calls, payload, problems) {
    var v = $('test-matched')
    v.textContent = verdict
    v.className = 'verdict ' + (yes ? 'yes' : 'no')
    $('test-calls').textContent = calls.length ? calls.map(callText).join('\n') : '(none)'
    $('test-payload').textContent = payload === undefined ? '–' : JSON.stringify(payload, null, 2)
    var list = $('test-problems')
    list.textContent = ''
    if (!problems.length) list.appendChild(el('li', {}, '(none)'))
    problems.forEach(function (p) {
      list.appendChild(el('li', { class: 'error' }, p))
    })
  }

  function check() {
    clearLive()
    var c = collect()
    Object.keys(c.fieldErrors).forEach(function (k) {
      fieldLive(k).appendChild(problemBlock('error', '', c.fieldErrors[k]))
      var input = control(k, 'value')
      if (input) input.setAttribute('aria-invalid', 'true')
    })
    var eventText = eventBox.value
    var eventOk = false
    try {
      var event = JSON.parse(eventText)
      eventOk = event !== null && typeof event === 'object' && !Array.isArray(event)
      if (!eventOk) $('event-live').appendChild(problemBlock('error', '', 'the event must be a JSON object, such as {"type": "track", "event": "Signed Up"}'))
    } catch (e) {
      $('event-live').appendChild(problemBlock('error', '', 'the event is not JSON: ' + e.message))
    }
    if (!engine || !engine.exports) return
    var report = call('ia_load', [], [JSON.stringify({ apiKey: data.apiKey || 'preview', subscriptions: [c.subscription] })])
    ;(report.problems || []).forEach(show)
    if (report.handle < 0) {
      result(report.error || 'the engine did not load the mapping', false, [], undefined, [])
      return
    }
    // One configuration per check: the engine forgets it once traced.
    var traces = eventOk ? call('ia_trace', [report.handle], [eventText]) : null
    engine.exports.ia_free(report.handle)
    if (!eventOk) {
      result('Fix the event to test it.', false, [], undefined, [])
      return
    }
    if (traces.error) {
      result(traces.error, false, [], undefined, [])
      return
    }
    var t = traces.filter(function (x) {
      return x.subscription === data.mappingId
    })[0]
    var off = form.elements.enabled.checked ? '' : ' (the mapping is disabled: it runs only once enabled)'
    if (!t) {
      result('The mapping has errors, so it does not run: fix them to test it.', false, [], undefined, [])
    } else if (!t.matched) {
      result('Not matched: the trigger does not select this event.' + off, false, [], undefined, t.problems || [])
    } else if (t.calls.length) {
      result('Matched: Iterate is called.' + off, true, t.calls, t.payload, t.problems || [])
    } else {
      result('Matched, but nothing is sent: the payload is not valid.' + off, false, [], t.payload, t.problems || [])
    }
  }

  // Checks run one at a time, shortly after typing stops.
  var timer = null
  var busy = Promise.resolve()
  function schedule() {
    clearTimeout(timer)
    timer = setTimeout(function () {
      busy = busy
        .then(check)
        .catch(function (e) {
          status.textContent = 'The live check failed: ' + e.message
          status.className = 'warning'
        })
    }, 120)
  }

  // The server's messages about the trigger and fields of a refused save come from the
  // same engine; once it runs here, its live checks say what holds now. (Messages about
  // the destination, such as a conflict or the mapping limit, stay.)
  function dropServerChecks() {
    Array.prototype.forEach.call(form.querySelectorAll('.server-errors, [id$="-server"]'), function (e) {
      e.hidden = true
    })
  }
  function edited() {
    if (engine) dropServerChecks()
    schedule()
  }

  function showAction() {
    Array.prototype.forEach.call(form.querySelectorAll('.action-fields'), function (box) {
      box.hidden = box.getAttribute('data-action') !== action()
    })
  }

  var previousAction = action()
  actionSelect.addEventListener('change', function () {
    var before = actionDef(previousAction)
    var after = actionDef(action())
    // A trigger or name still at the old action's default follows the new action.
    if (before && after) {
      if (subscribe.value === before.defaultTrigger) {
        subscribe.value = after.defaultTrigger
        subscribe.dispatchEvent(new Event('input'))
      }
      if (form.elements.name.value === before.title) form.elements.name.value = after.title
    }
    previousAction = action()
    showAction()
    pickSample()
    edited()
  })

  var PLACEHOLDERS = { path: '$.event', text: 'Signed Up', json: '{"@template": "Plan {{properties.plan}}"}', none: '' }
  function placeholders() {
    Array.prototype.forEach.call(form.querySelectorAll('.mapfield'), function (box) {
      var mode = box.querySelector('select.mode')
      var value = box.querySelector('input.value')
      value.placeholder = PLACEHOLDERS[mode.value] || ''
      value.disabled = mode.value === 'none'
    })
  }
  form.addEventListener('change', function (e) {
    if (e.target.classList.contains('mode')) placeholders()
  })
  form.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button.use-default')
    if (!b) return
    var box = b.closest('.mapfield')
    box.querySelector('select.mode').value = b.getAttribute('data-mode')
    box.querySelector('input.value').value = b.getAttribute('data-value')
    placeholders()
    edited()
  })
  // A "Not mapped" value input is disabled (it would be ignored), so it is not posted;
  // the server reads a missing value as empty, which is the same.
  form.addEventListener('input', edited)
  form.addEventListener('change', edited)
  eventBox.addEventListener('input', schedule)

  // Made-up samples, then the events analytics.js recently delivered for this source.
  var sample = $('sample')
  var choices = data.samples.concat(data.recent || [])
  var made = el('optgroup', { label: 'Samples' })
  data.samples.forEach(function (s, i) {
    made.appendChild(el('option', { value: String(i) }, s.label))
  })
  sample.appendChild(made)
  var recent = el('optgroup', { label: (data.recent || []).length ? 'Recent events from ' + data.source : 'No recent events from ' + data.source + ' yet' })
  ;(data.recent || []).forEach(function (s, i) {
    recent.appendChild(el('option', { value: String(data.samples.length + i) }, s.label))
  })
  sample.appendChild(recent)
  function pickSample() {
    var want = action() === 'identifyUser' ? 'Identify' : 'Track: Signed Up'
    data.samples.forEach(function (s, i) {
      if (s.label === want) sample.value = String(i)
    })
    eventBox.value = JSON.stringify(choices[Number(sample.value)].event, null, 2)
  }
  sample.addEventListener('change', function () {
    eventBox.value = JSON.stringify(choices[Number(sample.value)].event, null, 2)
    schedule()
  })

  if (window.TriggerBuilder) {
    window.TriggerBuilder.mount($('builder'), subscribe, schedule)
  }
  showAction()
  placeholders()
  pickSample()
  start().then(function () {
    if (engine) dropServerChecks()
    schedule()
  })
  window.__editor = { check: check, collect: collect }
})()
