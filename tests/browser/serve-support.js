// What the end-to-end scripts share: a real `iterate-actions serve` process on a free
// 127.0.0.1 port, an authorized JSON API call, and Chromium launched as the project
// launches it (Debian's /usr/bin/chromium, a fresh profile, nothing in the background).
'use strict'
const { spawn } = require('child_process')
const readline = require('readline')
const { chromium } = require('playwright-core')

const TOKEN = 'e2e-admin-token'
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

// Starts the server and resolves once it prints its URL.
function start(binary, db, extraArgs = []) {
  const child = spawn(binary, ['serve', '--addr', '127.0.0.1:0', '--db', db, ...extraArgs], {
    cwd: require('path').join(__dirname, '../..'),
    env: { ...process.env, ITERATE_ACTIONS_ADMIN_TOKEN: TOKEN, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => {
      const m = /http:\/\/([\d.:]+)\//.exec(line)
      if (m) resolve({ child, origin: `http://${m[1]}` })
      else reject(new Error(`unexpected first line: ${line}`))
    })
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  })
}

async function api(origin, method, p, body) {
  const r = await fetch(origin + '/api/v1' + p, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await r.text()
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : null
}

function launch(profileDir, options = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    ...options
  })
}

module.exports = { TOKEN, start, api, launch }
