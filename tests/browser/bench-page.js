// The page engine's side of the pipeline benchmark in `cargo xtask bench`: the built
// iterate-page.wasm, in Node, over the same event lines as the reference pipeline
// (tests/reference/bench-pipeline.js), JSON text in and calls out, every event run for
// each action that has a plugin, as the page's plugins do:
//   node bench-page.js <iterate-page.wasm> <settings with iaPlan.json> <events.ndjson>
// Output lines go to stdout; one JSON line of statistics goes to stderr:
// {"events", "seconds", "events_per_second", "peak_rss_kb", "deferred"}.
'use strict'
const fs = require('fs')
const readline = require('readline')

const [wasmPath, settingsPath, eventsPath] = process.argv.slice(2)
const encoder = new TextEncoder()
const decoder = new TextDecoder()
let memory = null
const engine = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(wasmPath)), {
  ia: {
    num: (ptr, len) => Number(decoder.decode(new Uint8Array(memory.buffer, ptr, len))),
    fmt: (n, ptr) => {
      const text = encoder.encode(String(n))
      new Uint8Array(memory.buffer).set(text, ptr)
      return text.length
    }
  }
}).exports
memory = engine.memory

function call(fn, args, parts) {
  const bytes = parts.map((p) => encoder.encode(p))
  const total = bytes.reduce((n, b) => n + b.length, 0)
  let at = engine.ia_input(total)
  for (const b of bytes) {
    new Uint8Array(memory.buffer).set(b, at)
    at += b.length
  }
  const code = engine[fn](...args, ...bytes.map((b) => b.length))
  return [code, decoder.decode(new Uint8Array(memory.buffer, engine.ia_output_ptr(), engine.ia_output_len()))]
}

async function main() {
  const start = process.hrtime.bigint()
  const plan = JSON.parse(fs.readFileSync(settingsPath, 'utf8')).iaPlan
  const [handle] = call('ia_load', [], [JSON.stringify(plan)])
  if (handle < 0) throw new Error('the page engine cannot run this plan')
  const rl = readline.createInterface({ input: fs.createReadStream(eventsPath), crlfDelay: Infinity })
  const out = []
  let events = 0
  let deferred = 0
  for await (const line of rl) {
    if (line.trim() === '') continue
    // The page hands the plugins the event as an object; its text is what crosses into wasm.
    const event = JSON.stringify(JSON.parse(line))
    const calls = []
    for (const action of plan.report.actions) {
      const [code, text] = call('ia_run', [handle], [action, event, '', ''])
      if (code === -2) deferred++
      else if (code === 0) calls.push(...JSON.parse(text).calls)
    }
    out.push(JSON.stringify({ calls }))
    events++
    if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n')
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const stats = { events, seconds, events_per_second: events / seconds, peak_rss_kb: process.resourceUsage().maxRSS, deferred }
  process.stderr.write(JSON.stringify(stats) + '\n')
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
