// The trigger builder: conditions on the event type, the event name, and keys of
// properties, traits and context, joined by ALL (and) or ANY (or). It writes FQL into
// the trigger's textarea, and reads the textarea back when the text is one it can show
// (the FQL it writes, or text of the same shape); other text stays text, untouched.
// The engine in the page (editor.js) checks whatever the textarea holds.
'use strict'
;(function () {
  var TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias']
  var SUBJECTS = [
    ['type', 'Event type'],
    ['event', 'Event name'],
    ['properties', 'Property'],
    ['traits', 'Trait'],
    ['context', 'Context']
  ]
  var TEXT_OPS = [
    ['is', 'is'],
    ['is_not', 'is not'],
    ['contains', 'contains'],
    ['not_contains', 'does not contain'],
    ['starts_with', 'starts with'],
    ['ends_with', 'ends with']
  ]
  var KEY_OPS = TEXT_OPS.concat([
    ['num_eq', '= (number)'],
    ['num_ne', '≠ (number)'],
    ['lt', '< (number)'],
    ['le', '≤ (number)'],
    ['gt', '> (number)'],
    ['ge', '≥ (number)'],
    ['is_true', 'is true'],
    ['is_false', 'is false'],
    ['exists', 'exists'],
    ['not_exists', 'does not exist']
  ])
  var COMPARE = { num_eq: '=', num_ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }
  var KEY = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/
  var NUMBER = /^-?\d+(\.\d+)?$/

  function opsFor(subject) {
    if (subject === 'type') return [['is', 'is'], ['is_not', 'is not']]
    if (subject === 'event') return TEXT_OPS
    return KEY_OPS
  }
  function hasKey(subject) {
    return subject !== 'type' && subject !== 'event'
  }
  function needsValue(op) {
    return ['is_true', 'is_false', 'exists', 'not_exists'].indexOf(op) < 0
  }

  // One condition as FQL, or {error} saying why it cannot be written.
  function condition(c) {
    var field = c.subject
    if (hasKey(c.subject)) {
      if (!KEY.test(c.key || '')) {
        return { error: 'the key is letters, digits, `_`, `-` and `$`, with `.` between levels (e.g. plan or address.city)' }
      }
      field = c.subject + '.' + c.key
    }
    var v = c.value == null ? '' : String(c.value)
    var op = c.op
    if (COMPARE[op]) {
      if (!NUMBER.test(v.trim())) return { error: 'enter a number, such as 100 or 9.5' }
      return { text: field + ' ' + COMPARE[op] + ' ' + v.trim() }
    }
    if (op === 'is_true') return { text: field + ' = true' }
    if (op === 'is_false') return { text: field + ' = false' }
    if (op === 'exists') return { text: field + ' != null' }
    if (op === 'not_exists') return { text: field + ' = null' }
    if (/["\\]/.test(v)) return { error: 'FQL text cannot hold a double quote or a backslash; write the trigger as text' }
    if ((op === 'starts_with' || op === 'ends_with') && v.indexOf('*') >= 0) {
      return { error: '`*` cannot be part of a starts-with or ends-with value' }
    }
    switch (op) {
      case 'is':
        return { text: field + ' = "' + v + '"' }
      case 'is_not':
        return { text: field + ' != "' + v + '"' }
      case 'contains':
        return { text: 'contains(' + field + ', "' + v + '")' }
      case 'not_contains':
        return { text: '!contains(' + field + ', "' + v + '")' }
      case 'starts_with':
        return { text: 'match(' + field + ', "' + v + '*")' }
      case 'ends_with':
        return { text: 'match(' + field + ', "*' + v + '")' }
    }
    return { error: 'choose an operator' }
  }

  // The model as FQL: {text}, or {errors: [index → message]}.
  function generate(model) {
    var parts = []
    var errors = {}
    model.conds.forEach(function (c, i) {
      var r = condition(c)
      if (r.error) errors[i] = r.error
      else parts.push(r.text)
    })
    if (Object.keys(errors).length) return { errors: errors }
    return { text: parts.join(model.join === 'or' ? ' or ' : ' and ') }
  }

  function tokens(text) {
    var out = []
    var i = 0
    while (i < text.length) {
      var rest = text.slice(i)
      var m
      if ((m = /^\s+/.exec(rest))) {
        i += m[0].length
      } else if (rest[0] === '"') {
        var end = rest.indexOf('"', 1)
        if (end < 0) return null
        var body = rest.slice(1, end)
        if (body.indexOf('\\') >= 0) return null
        out.push({ kind: 'string', value: body })
        i += end + 1
      } else if ((m = /^-?\d+(\.\d+)?(?![\w.])/.exec(rest))) {
        out.push({ kind: 'number', value: m[0] })
        i += m[0].length
      } else if ((m = /^[A-Za-z_$][A-Za-z0-9_$.-]*/.exec(rest))) {
        out.push({ kind: 'word', value: m[0] })
        i += m[0].length
      } else if ((m = /^(!=|<=|>=|=|<|>|\(|\)|,|!)/.exec(rest))) {
        out.push({ kind: 'op', value: m[0] })
        i += m[0].length
      } else {
        return null
      }
    }
    return out
  }

  function subjectOf(word) {
    if (word === 'type' || word === 'event') return { subject: word, key: '' }
    var dot = word.indexOf('.')
    if (dot < 0) return null
    var subject = word.slice(0, dot)
    var key = word.slice(dot + 1)
    if (['properties', 'traits', 'context'].indexOf(subject) < 0 || !KEY.test(key)) return null
    return { subject: subject, key: key }
  }

  // FQL text as a model, or null when the builder cannot show it exactly.
  function parse(text) {
    var t = tokens(text)
    if (!t) return null
    var model = { join: 'and', conds: [] }
    if (!t.length) return model
    var i = 0
    var joins = []
    function next() {
      return t[i++]
    }
    function peek() {
      return t[i]
    }
    function one() {
      var first = next()
      if (!first) return null
      var negated = false
      if (first.kind === 'op' && first.value === '!') {
        negated = true
        first = next()
        if (!first) return null
      }
      if (first.kind === 'word' && (first.value === 'contains' || first.value === 'match')) {
        var open = next()
        var field = next()
        var comma = next()
        var value = next()
        var close = next()
        if (!open || open.value !== '(' || !field || field.kind !== 'word' || !comma || comma.value !== ',') return null
        if (!value || value.kind !== 'string' || !close || close.value !== ')') return null
        var s = subjectOf(field.value)
        if (!s || s.subject === 'type') return null
        if (first.value === 'contains') {
          return { subject: s.subject, key: s.key, op: negated ? 'not_contains' : 'contains', value: value.value }
        }
        var stars = value.value.split('*').length - 1
        if (negated || stars !== 1) return null
        if (value.value.slice(-1) === '*') return { subject: s.subject, key: s.key, op: 'starts_with', value: value.value.slice(0, -1) }
        if (value.value[0] === '*') return { subject: s.subject, key: s.key, op: 'ends_with', value: value.value.slice(1) }
        return null
      }
      if (negated || first.kind !== 'word') return null
      var subject = subjectOf(first.value)
      var op = next()
      var lit = next()
      if (!subject || !op || op.kind !== 'op' || !lit) return null
      var c = { subject: subject.subject, key: subject.key, op: null, value: '' }
      if (lit.kind === 'string' && (op.value === '=' || op.value === '!=')) {
        c.op = op.value === '=' ? 'is' : 'is_not'
        c.value = lit.value
        if (c.subject === 'type' && TYPES.indexOf(c.value) < 0) return null
        return c
      }
      if (!hasKey(c.subject)) return null
      if (lit.kind === 'number') {
        for (var k in COMPARE) {
          if (COMPARE[k] === op.value) {
            c.op = k
            c.value = lit.value
            return c
          }
        }
        return null
      }
      if (lit.kind === 'word' && op.value === '=' && (lit.value === 'true' || lit.value === 'false')) {
        c.op = lit.value === 'true' ? 'is_true' : 'is_false'
        return c
      }
      if (lit.kind === 'word' && lit.value === 'null' && (op.value === '=' || op.value === '!=')) {
        c.op = op.value === '!=' ? 'exists' : 'not_exists'
        return c
      }
      return null
    }
    for (;;) {
      var c = one()
      if (!c) return null
      model.conds.push(c)
      var j = peek()
      if (!j) break
      if (j.kind !== 'word' || (j.value !== 'and' && j.value !== 'or')) return null
      joins.push(next().value)
    }
    if (joins.some(function (j) { return j !== joins[0] })) return null
    model.join = joins[0] || 'and'
    return model
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag)
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k])
    })
    if (text != null) e.textContent = text
    return e
  }
  function select(attrs, options, value) {
    var s = el('select', attrs)
    options.forEach(function (o) {
      var opt = el('option', { value: o[0] }, o[1])
      if (o[0] === value) opt.selected = true
      s.appendChild(opt)
    })
    return s
  }

  function mount(container, textarea, onChange) {
    var model = parse(textarea.value) || { join: 'and', conds: [] }
    var unsupported = parse(textarea.value) === null

    function write() {
      var g = generate(model)
      render(g.errors || {})
      if (g.text !== undefined) {
        textarea.value = g.text
        onChange()
      }
    }

    function render(errors) {
      var focused = document.activeElement && document.activeElement.id
      container.textContent = ''
      container.appendChild(el('h3', { id: 'builder-title' }, 'Conditions'))
      if (unsupported) {
        var note = el('div', { class: 'warning unsupported', role: 'status' })
        note.appendChild(el('span', {}, 'The builder cannot show this trigger (it uses FQL beyond its conditions); it stays as text below. '))
        var reset = el('button', { type: 'button', class: 'link', id: 'builder-reset' }, 'Start over with the builder')
        reset.addEventListener('click', function () {
          unsupported = false
          model = { join: 'and', conds: [{ subject: 'type', key: '', op: 'is', value: 'track' }] }
          write()
          var first = document.getElementById('b-subject-0')
          if (first) first.focus()
        })
        note.appendChild(reset)
        container.appendChild(note)
        return
      }
      var match = el('div', { class: 'match' })
      match.appendChild(el('label', { for: 'b-join' }, 'Match'))
      var join = select({ id: 'b-join' }, [['and', 'ALL of the conditions (and)'], ['or', 'ANY of the conditions (or)']], model.join)
      join.addEventListener('change', function () {
        model.join = join.value
        write()
      })
      match.appendChild(join)
      container.appendChild(match)
      var list = el('ol', { 'aria-labelledby': 'builder-title' })
      model.conds.forEach(function (c, i) {
        var n = i + 1
        var li = el('li', { class: 'cond-item' })
        var row = el('div', { class: 'cond' })
        row.appendChild(el('label', { for: 'b-subject-' + i, class: 'vh' }, 'Condition ' + n + ': field'))
        var subject = select({ id: 'b-subject-' + i }, SUBJECTS, c.subject)
        subject.addEventListener('change', function () {
          c.subject = subject.value
          var ops = opsFor(c.subject).map(function (o) { return o[0] })
          if (ops.indexOf(c.op) < 0) c.op = ops[0]
          if (c.subject === 'type' && TYPES.indexOf(c.value) < 0) c.value = 'track'
          write()
        })
        row.appendChild(subject)
        if (hasKey(c.subject)) {
          row.appendChild(el('label', { for: 'b-key-' + i, class: 'vh' }, 'Condition ' + n + ': key'))
          var key = el('input', { id: 'b-key-' + i, value: c.key || '', placeholder: 'key, e.g. plan', spellcheck: 'false', autocomplete: 'off' })
          key.addEventListener('input', function () {
            c.key = key.value
            softWrite(li)
          })
          row.appendChild(key)
        }
        row.appendChild(el('label', { for: 'b-op-' + i, class: 'vh' }, 'Condition ' + n + ': operator'))
        var op = select({ id: 'b-op-' + i }, opsFor(c.subject), c.op)
        op.addEventListener('change', function () {
          c.op = op.value
          write()
        })
        row.appendChild(op)
        if (needsValue(c.op)) {
          row.appendChild(el('label', { for: 'b-value-' + i, class: 'vh' }, 'Condition ' + n + ': value'))
          var value
          if (c.subject === 'type') {
            value = select({ id: 'b-value-' + i, class: 'cond-value' }, TYPES.map(function (t) { return [t, t] }), c.value)
            value.addEventListener('change', function () {
              c.value = value.value
              write()
            })
          } else {
            value = el('input', { id: 'b-value-' + i, class: 'cond-value', value: c.value || '', spellcheck: 'false', autocomplete: 'off', placeholder: COMPARE[c.op] ? 'a number' : 'text' })
            value.addEventListener('input', function () {
              c.value = value.value
              softWrite(li)
            })
          }
          row.appendChild(value)
        }
        var remove = el('button', { type: 'button', class: 'link', id: 'b-remove-' + i, 'aria-label': 'Remove condition ' + n }, 'Remove')
        remove.addEventListener('click', function () {
          model.conds.splice(i, 1)
          write()
          var focus = document.getElementById('b-add')
          if (focus) focus.focus()
        })
        row.appendChild(remove)
        li.appendChild(row)
        if (errors[i]) li.appendChild(el('p', { class: 'error cond-error', role: 'alert' }, errors[i]))
        list.appendChild(li)
      })
      container.appendChild(list)
      if (!model.conds.length) container.appendChild(el('p', { class: 'hint' }, 'No condition: add one (a trigger must select something).'))
      var add = el('button', { type: 'button', id: 'b-add' }, 'Add condition')
      add.addEventListener('click', function () {
        model.conds.push({ subject: 'event', key: '', op: 'is', value: '' })
        write()
        var f = document.getElementById('b-subject-' + (model.conds.length - 1))
        if (f) f.focus()
      })
      container.appendChild(add)
      if (focused) {
        var again = document.getElementById(focused)
        if (again && again !== document.activeElement) again.focus()
      }
    }

    // Typing in a key or value: write the text without rebuilding the rows (focus and
    // caret stay); a row's error appears or goes in place.
    function softWrite(li) {
      var g = generate(model)
      Array.prototype.forEach.call(container.querySelectorAll('.cond-error'), function (p) {
        p.remove()
      })
      if (g.errors) {
        Array.prototype.forEach.call(container.querySelectorAll('.cond-item'), function (item, i) {
          if (g.errors[i]) item.appendChild(el('p', { class: 'error cond-error', role: 'alert' }, g.errors[i]))
        })
        return
      }
      textarea.value = g.text
      onChange()
    }

    textarea.addEventListener('input', function () {
      var parsed = parse(textarea.value)
      unsupported = parsed === null
      if (parsed) model = parsed
      render({})
    })
    container.hidden = false
    render({})
  }

  window.TriggerBuilder = { mount: mount, parse: parse, generate: generate }
})()
