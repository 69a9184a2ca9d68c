// The Node side of `cargo xtask bench`: the same workloads as crates/bench, run with
// Segment's packages, printed as one JSON object {"<group>/<case>": nanoseconds per op}.
'use strict'
const fs = require('fs')
const path = require('path')
const { parseFql, validate } = require('@segment/destination-subscriptions')
const { transform } = require('@segment/actions-core/mapping-kit')
const validateMapping = require('@segment/actions-core/mapping-kit/validate').default

const fixtures = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/bench.json'), 'utf8'))

// Runs fn in batches until at least `ms` milliseconds have passed; returns ns per call.
function measure(fn, ms = 2000) {
  let sink = 0
  for (let i = 0; i < 20000; i++) sink ^= fn() ? 1 : 0 // warm up the JIT
  let n = 0
  const start = process.hrtime.bigint()
  let elapsed = 0n
  while (elapsed < BigInt(ms) * 1000000n) {
    for (let i = 0; i < 10000; i++) sink ^= fn() ? 1 : 0
    n += 10000
    elapsed = process.hrtime.bigint() - start
  }
  if (sink === 42) console.error('')
  return Number(elapsed) / n
}

const out = {}
const src = fixtures.trigger
out['fql/parse'] = measure(() => parseFql(src))
const ast = parseFql(src)
for (const [name, event] of Object.entries(fixtures.events)) {
  out[`fql/evaluate_${name}`] = measure(() => validate(ast, event))
}
for (const [name, c] of Object.entries(fixtures.mappings)) {
  const event = fixtures.events[c.event]
  out[`mapping/compile_${name}`] = measure(() => (validateMapping(c.mapping), true))
  out[`mapping/evaluate_${name}`] = measure(() => transform(c.mapping, event))
}
console.log(JSON.stringify(out))
