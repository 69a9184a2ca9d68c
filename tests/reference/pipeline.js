// Runs events through the reference pipeline: Segment's own browser runtime and Iterate
// definition, with actions-core's cloud-mode payload validation inserted before perform.
// Reads JSON Lines on stdin:
//   {"config": "<configId>", "settings": {"apiKey": ..., "subscriptions": [...]}}
//   {"id": "<caseId>", "config": "<configId>", "event": <any JSON>}
// and writes one line per event line, in order:
//   {"id": ..., "calls": [[...args], ...], "skipped": [{"subscription", "kind", "reason"}]}
// kind "invalid" means validation rejected the payload, so perform never ran;
// kind "error" means the runtime threw: an invalid mapping, or perform itself.
'use strict'
const path = require('path')
const readline = require('readline')
const { fieldsToJsonSchema, validateSchema } = require('@segment/actions-core')

// The packages' `exports` maps hide these files, so they are loaded by path from the
// directory Node resolves each package entry point to (dist/cjs in both packages).
const coreDir = path.dirname(require.resolve('@segment/actions-core'))
const browserDir = path.dirname(require.resolve('@segment/browser-destinations'))
const { removeEmptyValues } = require(path.join(coreDir, 'remove-empty-values.js'))
const { generatePlugins } = require(path.join(browserDir, 'runtime/plugin.js'))
const { destination } = require(path.join(browserDir, 'destinations/iterate/index.js'))

// The name analytics-core filters by: the CDN's creationName for this destination.
const CREATION_NAME = 'Iterate Web (Actions)'

// The methods analytics-next's ActionDestination forwards to a runtime plugin. The runtime
// plugin has no `screen`, and its other own properties (load, ready...) are never called
// with an event, so only these names may pick a hook.
const FORWARDED = new Set(['alias', 'group', 'identify', 'page', 'screen', 'track'])

// The answer being built and the subscription being run. Events and subscriptions run
// one at a time, and the runtime calls perform synchronously inside the hook, so the
// wrapped perform and the client below can find their answer here.
let active = null

// The client given to perform instead of the SDK that initialize() would load. Calls are
// copied through JSON so later mutation cannot change them; that also turns an undefined
// argument into null (["event", undefined] would read ["event", null]). Validation keeps
// that from happening here: a missing name is invalid, and missing traits become {}.
function Iterate(...args) {
  active.answer.calls.push(JSON.parse(JSON.stringify(args)))
}

function skip(kind, error) {
  active.answer.skipped.push({ subscription: active.subscription, kind, reason: reasonOf(error) })
}

// The mapping-kit reports an invalid mapping as an AggregateError whose message is the
// inner errors' stack traces (machine paths included); the inner messages are the reason.
function reasonOf(error) {
  if (error instanceof Error && error.name === 'AggregateError' && Symbol.iterator in error) {
    return [...error].map((inner) => String(inner && inner.message)).join(' ')
  }
  return String(error && error.message)
}

// Wraps perform in what actions-core's Action.execute does between transform and perform
// in cloud mode: drop empty values, then validate (and coerce) against the fields' schema.
// It works on a copy, because ajv coerces and removes properties in place.
// Action.execute also passes schemaKey `${destinationName}:${title}`, but with the ajv
// and fast-uri versions installed here any key with a space fails ajv.getSchema with
// "URI scheme is malformed." before validating anything. The key only names ajv's
// cache of compiled schemas, and ajv.compile() caches by schema object just as well,
// so no key is passed.
function validatingPerform(action) {
  const schema = action.fields ? fieldsToJsonSchema(action.fields) : undefined
  return (_client, data) => {
    const payload = removeEmptyValues(structuredClone(data.payload), schema, true)
    if (schema) {
      try {
        validateSchema(payload, schema, { exempt: ['dynamicAuthSettings'] })
      } catch (e) {
        return skip('invalid', e)
      }
    }
    return action.perform(Iterate, { ...data, payload })
  }
}

const wrappedDefinition = {
  ...destination,
  actions: Object.fromEntries(
    Object.entries(destination.actions).map(([key, action]) => [
      key,
      { ...action, perform: validatingPerform(action) }
    ])
  )
}

// One runtime plugin per enabled subscription, in the runtime's order (actions in
// definition order, then subscriptions in array order). The runtime puts all of an
// action's subscriptions in one plugin and stops at the first throw; one plugin each
// lets the later subscriptions still run and report, a deliberate difference.
function prepare(settings) {
  // The shim takes `subscriptions || []`; anything else that is not an array makes it
  // throw, and analytics-next then drops the whole destination.
  const subscriptions = settings.subscriptions || []
  if (!Array.isArray(subscriptions)) return []
  const runners = []
  for (const key of Object.keys(destination.actions)) {
    for (const sub of subscriptions) {
      if (!sub.enabled || sub.partnerAction !== key) continue
      const [plugin] = generatePlugins(wrappedDefinition, settings, [sub])
      runners.push({ subscription: sub.id, plugin })
    }
  }
  return runners
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

// analytics-core's availableExtensions(): the event's `integrations` can switch a
// destination plugin off by its creation name, by its own name, or with All: false.
function allowed(event, pluginName) {
  if (!isObject(event) || !isObject(event.integrations)) return true
  const deny = event.integrations
  return Boolean(deny[CREATION_NAME] ?? deny[pluginName] ?? (deny.All !== false))
}

// analytics-core looks the hook up by event type (a property lookup, so the type is
// converted to a string). Events that are not objects have no type and reach no hook,
// so the mapping-kit's "data must be an object" cannot arise here.
function hookFor(plugin, event) {
  if (!isObject(event)) return undefined
  const method = String(event.type)
  return FORWARDED.has(method) ? plugin[method] : undefined
}

async function answerEvent(runners, id, event) {
  const answer = { id, calls: [], skipped: [] }
  for (const { subscription, plugin } of runners) {
    const hook = hookFor(plugin, event)
    if (!hook || !allowed(event, plugin.name)) continue
    active = { answer, subscription }
    try {
      // evaluate() reads only ctx.event and hands ctx to perform as `context`.
      await hook.call(plugin, { event })
    } catch (e) {
      skip('error', e)
    } finally {
      active = null
    }
  }
  return answer
}

async function main() {
  const configs = new Map()
  const out = []
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of rl) {
    if (line.trim() === '') continue
    const message = JSON.parse(line)
    if ('settings' in message) {
      configs.set(message.config, prepare(message.settings))
      continue
    }
    const runners = configs.get(message.config)
    if (!runners) throw new Error(`event ${message.id} names an unknown config ${message.config}`)
    out.push(JSON.stringify(await answerEvent(runners, message.id, message.event)))
    if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n')
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n')
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
}

module.exports = { prepare, answerEvent }
