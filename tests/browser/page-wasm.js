#!/usr/bin/env node
// The two built wasm modules against each other, outside the browser:
//   node page-wasm.js <dist dir> <corpus.jsonl>
// The corpus (written by `cargo xtask browser` from the page differential's generators)
// holds configurations ({settings, plan}) each followed by events ({action, event, only,
// consent}). Every event runs through iterate.wasm (the full engine, with the settings)
// and iterate-page.wasm (the page engine, with the plan, its `num`/`fmt` imports done by
// this JavaScript as the glue does them). Wherever the page engine answers (does not
// defer, -2), the two answers must be equal. Each configuration's settings (as the
// control plane serves them) must also have the fingerprint the plan carries, computed by
// the glue's own function (from index.mjs). Exits 1 on any difference, or when the page
// engine answered too little for the comparison to mean anything.
'use strict';
const fs = require('fs');
const path = require('path');

const [dist, corpus] = process.argv.slice(2);
if (!dist || !corpus) {
  console.error('usage: node page-wasm.js <dist dir> <corpus.jsonl>');
  process.exit(2);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function instantiate(file, imports) {
  const module = new WebAssembly.Module(fs.readFileSync(path.join(dist, file)));
  return new WebAssembly.Instance(module, imports).exports;
}

let pageMemory = null;
const page = instantiate('iterate-page.wasm', {
  ia: {
    num(ptr, len) {
      return Number(decoder.decode(new Uint8Array(pageMemory.buffer, ptr, len)));
    },
    fmt(n, ptr) {
      const text = encoder.encode(String(n));
      new Uint8Array(pageMemory.buffer, ptr, text.length).set(text);
      return text.length;
    },
  },
});
pageMemory = page.memory;
const full = instantiate('iterate.wasm', {});

// Writes the parts back to back into the module's input, calls `fn` with the handle
// arguments and the parts' lengths; returns [code, output text].
function call(exports, fn, args, parts) {
  const bytes = parts.map((p) => encoder.encode(p));
  const total = bytes.reduce((n, b) => n + b.length, 0);
  const at = exports.ia_input(total);
  let offset = 0;
  for (const b of bytes) {
    new Uint8Array(exports.memory.buffer, at, total).set(b, offset);
    offset += b.length;
  }
  const code = exports[fn](...args, ...bytes.map((b) => b.length));
  const out = new Uint8Array(exports.memory.buffer, exports.ia_output_ptr(), exports.ia_output_len());
  return [code, decoder.decode(out)];
}

async function main() {
  // The glue's own fingerprint (the ES module build's factory carries it).
  const { default: factory } = await import(require('url').pathToFileURL(path.join(dist, 'index.mjs')).href);
  let config = null;
  let [answered, deferred, configs, fingerprinted] = [0, 0, 0, 0];
  const differences = [];
  for (const line of fs.readFileSync(corpus, 'utf8').split('\n')) {
    if (!line) continue;
    const c = JSON.parse(line);
    if (c.plan) {
      // The page runs the plan only for settings with its fingerprint; JavaScript cannot
      // write a `__proto__` member back, so those settings alone may differ.
      if (factory.fingerprint(c.settings) === c.plan.fingerprint) fingerprinted++;
      else if (!line.includes('"__proto__"')) differences.push(`the page's fingerprint of these settings is not the control plane's: ${JSON.stringify(c.settings)}`);
      if (config) {
        call(page, 'ia_free', [config.page], []);
        call(full, 'ia_free', [config.full], []);
      }
      const [fullHandle] = call(full, 'ia_load', [], [JSON.stringify(c.settings)]);
      const [pageHandle] = call(page, 'ia_load', [], [JSON.stringify(c.plan)]);
      if (fullHandle < 0 || pageHandle < 0) {
        differences.push(`a configuration did not load (full ${fullHandle}, page ${pageHandle}): ${line}`);
        config = null;
        continue;
      }
      config = { full: fullHandle, page: pageHandle, settings: c.settings };
      configs++;
      continue;
    }
    if (!config) continue;
    const parts = [c.action, JSON.stringify(c.event), c.only ? JSON.stringify(c.only) : '', c.consent ? JSON.stringify(c.consent) : ''];
    const [pageCode, pageOut] = call(page, 'ia_run', [config.page], parts);
    if (pageCode === -2) {
      deferred++;
      continue;
    }
    answered++;
    const [fullCode, fullOut] = call(full, 'ia_run', [config.full], parts);
    // Equal as the page sees them, member order included.
    const same = pageCode === fullCode && JSON.stringify(JSON.parse(pageOut)) === JSON.stringify(JSON.parse(fullOut));
    if (!same) {
      differences.push(`settings ${JSON.stringify(config.settings)}\n    event ${parts[1]} action ${c.action}\n    page ${pageCode} ${pageOut}\n    full ${fullCode} ${fullOut}`);
    }
  }

  const runs = answered + deferred;
  console.log(`page-wasm: ${configs} configurations (${fingerprinted} with the page's fingerprint); ${answered - differences.length}/${answered} answered runs agree between iterate-page.wasm and iterate.wasm; ${deferred}/${runs} deferred`);
  for (const d of differences.slice(0, 10)) console.log(`  DIFFER ${d}`);
  if (differences.length) process.exit(1);
  if (configs === 0 || runs === 0 || answered * 10 < runs * 7) {
    console.log('page-wasm: the page engine answered too little for the comparison to mean anything');
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
