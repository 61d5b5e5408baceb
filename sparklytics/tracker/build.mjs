// Bundles and minifies the tracker builds into dist/ (the files the server serves):
//   src/s.js         -> dist/s.js          (/s.js, our own tracker)
//   src/plausible.js -> dist/plausible.js  (/js/script.js and its variants, Plausible's snippet)
//   src/umami.js     -> dist/umami.js      (/script.js, Umami's snippet)
// The three share src/shared.js, which esbuild inlines into each.
// Usage: node build.mjs [outdir]   (default: dist/ next to this file)
// Run through build.sh, which installs the pinned esbuild first.
import { build } from 'esbuild'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const outdir = resolve(process.argv[2] || join(here, 'dist'))
const ENTRIES = ['s', 'plausible', 'umami']

mkdirSync(outdir, { recursive: true })
for (const name of ENTRIES) {
  const outfile = join(outdir, `${name}.js`)
  await build({
    entryPoints: [join(here, 'src', `${name}.js`)],
    outfile,
    bundle: true,
    format: 'iife',
    minify: true,
    // Optional chaining, ||=, object spread: every evergreen browser since 2020.
    target: 'es2021',
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  })
  const code = readFileSync(outfile)
  const gz = gzipSync(code, { level: 9 }).length
  console.log(`tracker: ${outfile} ${code.length} bytes, ${gz} bytes gzipped`)
}
