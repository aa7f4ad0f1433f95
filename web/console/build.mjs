// Builds the console into dist/: one script, one stylesheet, index.html. No inline script (the host's CSP forbids it).
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await build({
  entryPoints: ['src/main.tsx'],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: 'dist/app.js',
  logLevel: 'warning',
});
cpSync('index.html', 'dist/index.html');
cpSync('src/app.css', 'dist/app.css');
cpSync('favicon.svg', 'dist/favicon.svg');
