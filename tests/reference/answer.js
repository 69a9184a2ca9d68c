// Answers conformance case lines (JSON Lines on stdin) with Segment's own packages,
// in the same answer format as `iterate-actions eval`. One answer line per case.
'use strict'
const readline = require('readline')
const { parseFql, validate } = require('@segment/destination-subscriptions')
const { transform } = require('@segment/actions-core/mapping-kit')

function answerTrigger(c) {
  const ast = parseFql(c.fql)
  if (ast.error) return { id: c.id, ok: false, error: String(ast.error.message) }
  try {
    return { id: c.id, ok: true, match: validate(ast, c.event) }
  } catch (e) {
    return { id: c.id, ok: false, error: String(e && e.message) }
  }
}

function answerMapping(c) {
  try {
    const output = transform(c.mapping, 'event' in c ? c.event : undefined)
    const a = { id: c.id, ok: true }
    if (output !== undefined) a.output = output
    return a
  } catch (e) {
    return { id: c.id, ok: false, error: String(e && e.message) }
  }
}

function answer(line) {
  let c
  try {
    c = JSON.parse(line)
  } catch (e) {
    return { id: null, ok: false, error: 'the line is not JSON' }
  }
  if (c.kind === 'fql') return answerTrigger(c)
  if (c.kind === 'mapping') return answerMapping(c)
  return { id: c.id, ok: false, error: 'unknown kind' }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
const out = []
rl.on('line', (line) => {
  if (line.trim() === '') return
  out.push(JSON.stringify(answer(line)))
  if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n')
})
rl.on('close', () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n')
})
