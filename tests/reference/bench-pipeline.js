// The Node side of the pipeline benchmark in `cargo xtask bench`: the reference pipeline
// (pipeline.js) over raw event lines, JSON text in and calls out, exactly what
// `iterate-actions run --stats` does. Output lines go to stdout; one JSON line of
// statistics goes to stderr: {"events", "seconds", "events_per_second", "peak_rss_kb"}.
'use strict'
const fs = require('fs')
const readline = require('readline')
const { prepare, answerEvent } = require('./pipeline.js')

async function main() {
  const [settingsPath, eventsPath] = process.argv.slice(2)
  const start = process.hrtime.bigint()
  const runners = prepare(JSON.parse(fs.readFileSync(settingsPath, 'utf8')))
  const rl = readline.createInterface({ input: fs.createReadStream(eventsPath), crlfDelay: Infinity })
  const out = []
  let events = 0
  for await (const line of rl) {
    if (line.trim() === '') continue
    const answer = await answerEvent(runners, undefined, JSON.parse(line))
    out.push(JSON.stringify({ calls: answer.calls, skipped: answer.skipped }))
    events++
    if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n')
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const stats = { events, seconds, events_per_second: events / seconds, peak_rss_kb: process.resourceUsage().maxRSS }
  process.stderr.write(JSON.stringify(stats) + '\n')
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
