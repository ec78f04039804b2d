// Bundles the notebook page's scripts and styles (src/) with their npm dependencies into one folder of flat file
// names that the server serves as /static/NAME (PageAssets), and writes assets.list naming every file in it.
// Usage: node build.mjs OUTDIR   (the Maven build passes target/generated-resources/frontend/dev/winnow/webui/notebook/page)
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const out = resolve(process.argv[2] || 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { notebook: 'src/notebook.js', 'notebook-libs': 'src/libs.css' },
  bundle: true,
  splitting: true,          // Vega (most of the bytes) is a chunk loaded the first time a plot is shown
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  legalComments: 'linked',  // the libraries' licence comments go to *.LEGAL.txt beside the bundles
  outdir: out,
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  loader: { '.woff2': 'file', '.woff': 'empty', '.ttf': 'empty' },  // KaTeX's fonts: woff2 only (every current browser)
  logLevel: 'warning',
});
const names = readdirSync(out).filter(n => !n.startsWith('.')).sort();
for (const n of names) {
  if (!/^[A-Za-z0-9_.-]+$/.test(n)) throw new Error(`bundle file name ${n} is not a plain name`);
}
writeFileSync(join(out, 'assets.list'), names.join('\n') + '\n');
console.log(`notebook page: ${names.length} files in ${out}`);
