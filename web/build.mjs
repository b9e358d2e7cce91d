// Builds the web console into one directory of static files: index.html, main.js, main.css,
// the light client's worker (smoldot-worker.js) and the chunks pages load when first shown
// (the wallet's chain client, the light client).
//
//   node build.mjs --out DIR      (npm run build: --out dist)
//
// micro-node's build script runs this and embeds DIR in the binary; nothing is loaded from
// anywhere but the node's own gateway.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const at = process.argv.indexOf('--out');
const out = at > 0 ? process.argv[at + 1] : join(here, 'dist');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: {
    main: join(here, 'src/main.jsx'),
    'smoldot-worker': join(here, 'src/smoldot-worker.js'),
  },
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  logLevel: 'warning',
  legalComments: 'none',
});
await copyFile(join(here, 'src/index.html'), join(out, 'index.html'));
const files = await readdir(out);
console.log(`web console: ${files.sort().join(', ')} in ${out}`);
