// Minifies src/s.js into dist/s.js (the file the server serves at /s.js).
// Usage: node build.mjs [outfile]   (default: dist/s.js next to this file)
// Run through build.sh, which installs the pinned esbuild first.
import { transform } from 'esbuild'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const outfile = resolve(process.argv[2] || join(here, 'dist', 's.js'))
const source = readFileSync(join(here, 'src', 's.js'), 'utf8')

const { code } = await transform(source, {
  loader: 'js',
  minify: true,
  // Optional chaining, ||=, object spread: every evergreen browser since 2020.
  target: 'es2021',
  legalComments: 'none',
  charset: 'utf8',
})

mkdirSync(dirname(outfile), { recursive: true })
writeFileSync(outfile, code)
const gz = gzipSync(code, { level: 9 }).length
console.log(`tracker: ${outfile} ${Buffer.byteLength(code)} bytes, ${gz} bytes gzipped`)
